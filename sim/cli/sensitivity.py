"""``lonesim sensitivity``: global sensitivity analysis (Morris screening or Sobol' indices) of a scenario's
``sensitivity:`` block, run through the sweep executors (docs/sensitivity.md)."""

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

EXECUTOR_NAMES = {"process": "process", "local": "process", "dask": "dask"}


def sensitivity(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a sensitivity: block."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Analysis folder (default results/<name>/sensitivity-seed-<seed>)."),
    workers: int = typer.Option(1, "--workers", "-w", help="Local worker processes (--executor local)."),
    executor: str = typer.Option("local", "--executor",
                                 help="local (worker processes on this machine; also 'process') or dask (a cluster)."),
    scheduler: str | None = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786."),
    resume: bool = typer.Option(False, "--resume",
                                help="Finish an interrupted analysis: keep finished runs, run the rest, analyse."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the parameters, ranges and number of runs; run nothing."),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default analysis folder."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw a figure per output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Which assumptions move the answer: Morris or Sobol' indices of the mortality proxies, with replicate noise."""
    from sim.config import LineMap
    from sim.runs.layout import SweepError
    from sim.runs.sensitivity import default_folder, describe_plan, plan_sensitivity, run_sensitivity

    kind = EXECUTOR_NAMES.get(executor)
    if kind is None:
        fail(f"--executor: unknown executor '{executor}' (choose local or dask)")
    if kind == "process" and workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    if kind == "dask" and not scheduler:
        fail("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if kind == "process" and scheduler:
        fail("--scheduler is only used with --executor dask")
    sc = load_or_fail(scenario, sets, seed)
    linemap = LineMap(scenario.read_text(encoding="utf-8"))  # load_or_fail has read it: it exists and is text
    try:
        linemap.overridden = {tuple(k.split(".")) for k in parse_set_options(sets)}
        plan = plan_sensitivity(sc, str(scenario), linemap)
    except ScenarioError as exc:
        fail(str(exc))
    folder = out if out is not None else default_folder(results, sc)
    if plan.unranged:
        typer.echo(f"warning: {len(plan.unranged)} parameter(s) described as assumptions have no range in the schema "
                   f"yet and are left out: {', '.join(plan.unranged)}", err=True)
    if dry_run:
        for line in describe_plan(plan, folder):
            typer.echo(line)
        return
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if folder.exists() and not resume:
        fail(f"{folder}: sensitivity folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        where = f"Dask scheduler {scheduler}" if kind == "dask" else f"{workers} worker process(es)"
        d = plan.design
        typer.echo(f"lonesim sensitivity: {sc.name}: {d.method}, {len(d.parameters)} parameters, {d.points} sample points "
                   f"x {d.replicates} replicates = {plan.n_runs} runs of {sc.population.size:,} people x {sc.days} days, "
                   f"on {where}", err=True)
    try:
        outcome = run_sensitivity(plan, folder, executor=kind, workers=workers, scheduler=scheduler, resume=resume,
                                  progress=not quiet, figures=figures)
    except (SweepError, ScenarioError) as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        typer.echo(f"\ninterrupted{interrupted_by()}: finished runs are kept in {folder}; continue with --resume",
                   err=True)
        raise typer.Exit(code=interrupted_status()) from None
    for note in outcome.notes:
        typer.echo(f"warning: {note}", err=True)
    if not quiet:
        extra = []
        if outcome.skipped:
            extra.append(f"{outcome.skipped} already finished (kept)")
        if outcome.leftovers_removed:
            extra.append(f"{outcome.leftovers_removed} leftover temporary file(s) removed")
        typer.echo(f"  {outcome.done} runs done" + (", " + ", ".join(extra) if extra else "")
                   + f" in {outcome.seconds:.1f}s", err=True)
        if outcome.analysed:
            _print_top(folder, plan.design.method)
    if outcome.failed or outcome.not_started:
        for name, msg in outcome.failed[:20]:
            typer.echo(f"error: run {name} failed: {msg}", err=True)
        typer.echo(f"{len(outcome.failed)} of {outcome.total} runs failed"
                   + (f", {outcome.not_started} not started" if outcome.not_started else "")
                   + f"; finished runs are kept in {folder}: fix the cause and rerun with --resume", err=True)
        raise typer.Exit(code=1)
    typer.echo(str(folder))


def _print_top(folder: Path, method: str) -> None:
    """The three parameters with the largest index per output, on stderr."""
    import pandas as pd

    by = "mu_star" if method == "morris" else "ST"
    df = pd.read_parquet(folder / "indices.parquet")
    for out, sub in df.groupby("output", sort=False):
        top = sub.sort_values("rank").head(3)
        cells = [f"{r.parameter} {getattr(r, by):.3g}"
                 + (" (not above noise)" if r.above_noise is not None and not pd.isna(r.above_noise)
                    and not bool(r.above_noise) else "")
                 for r in top.itertuples()]
        typer.echo(f"  {out}: " + ", ".join(cells), err=True)
