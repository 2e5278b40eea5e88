"""``lonesim compare``: programme arms against a control town, as a trial and as a policy (docs/programmes.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.common import (
    SET_HELP,
    check_scheduler_or_fail,
    fail,
    interrupted_by,
    interrupted_status,
    is_interrupt,
    load_or_fail,
)
from sim.config import ScenarioError, parse_set_options


def compare(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a comparison: block."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Comparison folder (default results/<name>/compare-seed-<seed>)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Local worker processes (--executor process)."),
    executor: str = typer.Option("process", "--executor", help="process (local processes) or dask (a cluster)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786."),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted comparison: keep finished runs."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check the file and list the runs without running them."),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default comparison folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Compare programmes and targeting rules: simulated trials, deaths averted per 1,000 enrolled, costs."""
    from sim.config.paths import LineMap
    from sim.runs.compare import default_comparison_folder, describe_plan, plan_comparison, run_comparison
    from sim.runs.layout import SweepError

    if executor not in ("process", "dask"):
        fail(f"--executor: unknown executor '{executor}' (choose process or dask)")
    if executor == "process" and workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    if executor == "dask" and not scheduler:
        fail("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if executor == "process" and scheduler:
        fail("--scheduler is only used with --executor dask")
    sc = load_or_fail(scenario, sets, seed)
    try:
        linemap = LineMap(scenario.read_text(encoding="utf-8"))
        linemap.overridden = {tuple(k.split(".")) for k in parse_set_options(sets)}  # blamed on --set, not a line
        plan = plan_comparison(sc, source=str(scenario), linemap=linemap)
    except ScenarioError as exc:
        fail(str(exc))
    folder = out if out is not None else default_comparison_folder(results, sc)
    if dry_run:
        for line in describe_plan(plan, folder):
            typer.echo(line)
        return
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if folder.exists() and not resume:
        fail(f"{folder}: comparison folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        where = f"Dask scheduler {scheduler}" if executor == "dask" else f"{workers} worker process(es)"
        typer.echo(f"lonesim compare: {sc.name}: control + {len(plan.arms)} arms x {sc.comparison.replicates} "
                   f"replicates = {len(plan.runs)} runs of {sc.population.size:,} people x {sc.days} days, on {where}",
                   err=True)
    try:
        outcome = run_comparison(plan, folder, executor=executor, workers=workers, scheduler=scheduler,
                                 resume=resume, progress=not quiet)
    except (SweepError, ScenarioError) as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        typer.echo(f"\ninterrupted{interrupted_by()}: finished runs are kept in {folder}; continue with --resume",
                   err=True)
        raise typer.Exit(code=interrupted_status()) from None
    if outcome.failed or outcome.not_started:
        for name, msg in outcome.failed:
            typer.echo(f"error: run {name} failed: {msg}", err=True)
        typer.echo(f"{len(outcome.failed)} of {outcome.total} runs failed"
                   + (f", {outcome.not_started} not started" if outcome.not_started else "")
                   + f"; finished runs are kept in {folder}: fix the cause and rerun with --resume", err=True)
        raise typer.Exit(code=1)
    if not quiet:
        extra = f", {outcome.skipped} already finished (kept)" if outcome.skipped else ""
        typer.echo(f"  {outcome.done} runs done{extra} in {outcome.seconds:.1f}s", err=True)
        _print_summary(folder)
    typer.echo(str(folder))


def _print_summary(folder: Path) -> None:
    import pandas as pd

    table = pd.read_csv(folder / "comparison.csv")
    for _, r in table.iterrows():
        typer.echo(f"  {r['arm']}: trial SMD {r['trial_smd']:+.2f} ({r['trial_smd_low']:+.2f} to {r['trial_smd_high']:+.2f}); "
                   f"deaths averted per 1,000 enrolled {r['deaths_averted_per_1000_enrolled']:.2f} "
                   f"({r['deaths_averted_low']:.2f} to {r['deaths_averted_high']:.2f})", err=True)
