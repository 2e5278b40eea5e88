"""``lonesim sweep`` and ``lonesim report``: batches of runs over a sweep block, and their tables and figures."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from sim.cli.common import (
    SET_HELP,
    check_memory_or_fail,
    check_scheduler_or_fail,
    echo_lines,
    fail,
    interrupted_by,
    interrupted_status,
    is_interrupt,
    load_with_lines_or_fail,
)
from sim.config import ScenarioError


def sweep(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a sweep: block."),
    workers: int = typer.Option(1, "--workers", "-w", help="Local worker processes (--executor process)."),
    executor: str = typer.Option("process", "--executor", help="process (local processes) or dask (a cluster)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Sweep folder (default results/<name>/sweep-seed-<seed>)."),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep: keep finished runs, redo the rest."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the runs without running them."),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default sweep folder."),
    figures: bool = typer.Option(True, "--figures/--no-figures",
                                 help="Draw the sweep figures (lonesim report can draw them later)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    allow_mixed_versions: bool = typer.Option(False, "--allow-mixed-versions",
                                              help="With --resume: finish a sweep started with other package versions."),
) -> None:
    """Run every (point, replicate) of a scenario's sweep block; write run folders, a summary and figures."""
    from sim.runs.sweep import SweepError, default_sweep_folder, describe_plan, plan_sweep, run_sweep

    if executor not in ("process", "dask"):
        fail(f"--executor: unknown executor '{executor}' (choose process or dask)")
    if executor == "process" and workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    if executor == "dask" and not scheduler:
        fail("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if executor == "process" and scheduler:
        fail("--scheduler is only used with --executor dask")
    if scheduler:
        from sim.runs.executors import check_scheduler_address

        try:
            check_scheduler_address(scheduler)
        except SweepError as exc:
            fail(str(exc))
    sc, linemap = load_with_lines_or_fail(scenario, sets, seed)
    try:
        plan = plan_sweep(sc, source=str(scenario), linemap=linemap)
    except ScenarioError as exc:
        fail(f"{scenario}: {exc}" if str(scenario) not in str(exc) else str(exc))
    folder = out if out is not None else default_sweep_folder(results, sc)
    if dry_run:
        for line in describe_plan(plan, folder):
            typer.echo(line)
        return
    if executor == "process":  # on a cluster, the workers' memory is the cluster's business
        check_memory_or_fail(plan.point(plan.largest), functools.partial(linemap.where, str(scenario)),
                             processes=min(workers, len(plan.runs)))
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if folder.exists() and not resume:
        fail(f"{folder}: sweep folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        where_runs = f"Dask scheduler {scheduler}" if executor == "dask" else f"{workers} worker process(es)"
        typer.echo(f"lonesim sweep: {sc.name}: {len(plan.points)} points x {plan.replicates} replicates = "
                   f"{len(plan.runs)} runs of {sc.population.size:,} people x {sc.days} days, on {where_runs}", err=True)
    try:
        outcome = run_sweep(plan, folder, executor=executor, workers=workers, scheduler=scheduler,
                            resume=resume, progress=not quiet, figures=figures, allow_mixed_versions=allow_mixed_versions,
                            warn=lambda msg: echo_lines("warning: ", msg))
    except (SweepError, ScenarioError) as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        typer.echo(f"\ninterrupted{interrupted_by()}: finished runs are kept in {folder}; continue with --resume", err=True)
        raise typer.Exit(code=interrupted_status()) from None
    if not quiet:
        extra = []
        if outcome.skipped:
            extra.append(f"{outcome.skipped} already finished (kept)")
        if outcome.redone_incomplete:
            extra.append(f"{outcome.redone_incomplete} incomplete folder(s) redone")
        if outcome.leftovers_removed:
            extra.append(f"{outcome.leftovers_removed} leftover temporary folder(s) removed")
        typer.echo(f"  {outcome.done} runs done" + (", " + ", ".join(extra) if extra else "")
                   + f" in {outcome.seconds:.1f}s", err=True)
    if outcome.failed or outcome.not_started:
        for name, msg in outcome.failed:
            typer.echo(f"error: run {name} failed: {msg}", err=True)
        typer.echo(f"{len(outcome.failed)} of {outcome.total} runs failed"
                   + (f", {outcome.not_started} not started" if outcome.not_started else "")
                   + f"; finished runs are kept in {folder}: fix the cause and rerun with --resume", err=True)
        raise typer.Exit(code=1)
    typer.echo(str(folder))


def report(
    sweep_dir: Path = typer.Argument(..., help="A sweep folder written by lonesim sweep."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Redraw the figures."),
    show: bool = typer.Option(True, "--show/--no-show", help="Print the dose-response of the main proxies."),
) -> None:
    """Rebuild a sweep's summary table (CSV, parquet) and figures from its run folders."""
    from sim.runs.layout import SweepError
    from sim.runs.report import build_report

    try:
        counts = build_report(sweep_dir, figures=figures)
    except SweepError as exc:
        fail(str(exc))
    if show:
        import pandas as pd

        from sim.runs.report import monotonic_check

        summary = pd.read_parquet(Path(sweep_dir) / "summary.parquet")
        for proxy in ("loneliness_prevalence_mean", "mean_relative_hazard", "expected_deaths_per_1000_py"):
            if summary.empty or proxy not in set(summary["proxy"]):
                continue
            c = monotonic_check(summary, proxy)
            typer.echo(f"{proxy}: " + " -> ".join(f"{m:.4g}" for m in c["means"])
                       + f"  increasing={c['increasing']}; 95% CI first [{c['ci_first'][0]:.4g}, "
                       f"{c['ci_first'][1]:.4g}] vs last [{c['ci_last'][0]:.4g}, {c['ci_last'][1]:.4g}]: "
                       + ("separate" if c["ci_separated"] else "OVERLAP"))
    if counts["missing"]:
        typer.echo(f"warning: {counts['missing']} of {counts['expected']} runs are not finished; the report "
                   "covers the finished ones (finish them with lonesim sweep ... --resume)", err=True)
    typer.echo(str(sweep_dir))
