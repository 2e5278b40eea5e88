"""``lonesim sweep`` and ``lonesim report``: batches of runs over a sweep block, and the report of any batch folder."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import typer

from sim.cli.batch import (
    DEFAULT_WORKERS,
    DRY_RUN_HELP,
    EXECUTOR_HELP,
    QUIET_HELP,
    RESUME_HELP,
    SCHEDULER_HELP,
    WORKERS_HELP,
    batch_errors,
    check_executor,
    finish,
    kept_message,
    where_runs,
)
from sim.cli.common import (
    SET_HELP,
    check_memory_or_fail,
    check_scheduler_or_fail,
    echo_lines,
    fail,
    load_with_lines_or_fail,
)
from sim.cli.estimate import estimate_line
from sim.config import ScenarioError


def sweep(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a sweep: block."),
    workers: int = typer.Option(DEFAULT_WORKERS, "--workers", "-w", help=WORKERS_HELP),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Sweep folder (default results/<name>/sweep-seed-<seed>)."),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default sweep folder."),
    figures: bool = typer.Option(True, "--figures/--no-figures",
                                 help="Draw the sweep figures (lonesim report can draw them later)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    allow_mixed_versions: bool = typer.Option(False, "--allow-mixed-versions",
                                              help="With --resume: finish a sweep started with other package versions."),
) -> None:
    """Run every (point, replicate) of a scenario's sweep block; write run folders, a summary and figures."""
    from sim.runs.sweep import default_sweep_folder, run_sweep

    kind = check_executor(executor, workers, scheduler)
    sc, linemap, plan = plan_or_fail(scenario, sets, seed)
    folder = out if out is not None else default_sweep_folder(results, sc)
    if dry_run:
        print_dry_run(plan, folder, workers if kind == "process" else None)
        return
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if kind == "process":  # on a cluster, the workers' memory is the cluster's business
        check_memory_or_fail(plan.point(plan.largest), functools.partial(linemap.where, str(scenario)),
                             processes=min(workers, len(plan.runs)))
    if folder.exists() and not resume:
        fail(f"{folder}: sweep folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        typer.echo(f"lonesim sweep: {sc.name}: {len(plan.points)} points x {plan.replicates} replicates = "
                   f"{len(plan.runs)} runs of {sc.population.size:,} people x {sc.days} days, "
                   f"{where_runs(kind, workers, scheduler)}", err=True)
    with batch_errors(kept_message(folder)):
        outcome = run_sweep(plan, folder, executor=kind, workers=workers, scheduler=scheduler,
                            resume=resume, progress=not quiet, figures=figures, allow_mixed_versions=allow_mixed_versions,
                            warn=lambda msg: echo_lines("warning: ", msg))
    finish(outcome, folder, quiet)


def plan_or_fail(scenario: Path, sets: list[str] | None, seed: int | None) -> tuple[Any, Any, Any]:
    """The scenario, its line map and its sweep plan, or exit 2 with the error (file, key, line)."""
    from sim.runs.sweep import plan_sweep

    sc, linemap = load_with_lines_or_fail(scenario, sets, seed)
    try:
        plan = plan_sweep(sc, source=str(scenario), linemap=linemap)
    except ScenarioError as exc:
        fail(f"{scenario}: {exc}" if str(scenario) not in str(exc) else str(exc))
    return sc, linemap, plan


def print_dry_run(plan: Any, folder: Path, workers: int | None) -> None:
    """The sweep's runs (marking those on disk) and how long they would take on this machine."""
    from sim.runs.sweep import describe_plan

    for line in describe_plan(plan, folder):
        typer.echo(line)
    sizes = [(pt.population.size, pt.days + pt.burn_in_days) for pt in map(plan.point, range(len(plan.points)))]
    typer.echo(estimate_line([size for size in sizes for _ in range(plan.replicates)], workers))


def report(
    folder: Path = typer.Argument(..., help="A batch folder: written by lonesim sweep, compare, sensitivity or "
                                            "experiment."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Redraw the figures."),
    show: bool = typer.Option(True, "--show/--no-show", help="Print the dose-response of the main proxies (sweeps)."),
) -> None:
    """Rebuild the tables, figures and report.html of any batch folder from the runs on disk."""
    from sim.runs.layout import BatchError
    from sim.runs.rebuild import rebuild

    try:
        kind, counts = rebuild(folder, figures=figures)
    except BatchError as exc:
        fail(str(exc))
    if show and kind == "sweep":
        import pandas as pd

        from sim.runs.report import monotonic_check

        summary = pd.read_parquet(Path(folder) / "summary.parquet")
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
    typer.echo(f"{kind} report: {Path(folder) / 'report.html'}", err=True)
    typer.echo(str(folder))
