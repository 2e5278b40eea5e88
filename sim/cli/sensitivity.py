"""``lonesim sensitivity``: global sensitivity analysis (Morris screening or Sobol' indices) of a scenario's
``sensitivity:`` block, run through the sweep executors (docs/sensitivity.md)."""

from __future__ import annotations

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
from sim.cli.common import SET_HELP, check_scheduler_or_fail, fail, load_or_fail
from sim.cli.estimate import estimate_line
from sim.config import LineMap, ScenarioError, parse_set_options


def sensitivity(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a sensitivity: block."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Analysis folder (default results/<name>/sensitivity-seed-<seed>)."),
    workers: int = typer.Option(DEFAULT_WORKERS, "--workers", "-w", help=WORKERS_HELP),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default analysis folder."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Draw a figure per output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Which assumptions move the answer: Morris or Sobol' indices of the mortality proxies, with replicate noise."""
    from sim.runs.sensitivity import default_folder, describe_plan, run_sensitivity

    kind = check_executor(executor, workers, scheduler)
    sc, plan = plan_or_fail(scenario, sets, seed)
    folder = out if out is not None else default_folder(results, sc)
    if plan.unranged:
        typer.echo(f"warning: {len(plan.unranged)} parameter(s) described as assumptions have no range in the schema "
                   f"yet and are left out: {', '.join(plan.unranged)}", err=True)
    if dry_run:
        for line in describe_plan(plan, folder):
            typer.echo(line)
        typer.echo(estimate_line([(sc.population.size, sc.days + sc.burn_in_days)] * plan.n_runs,
                                 workers if kind == "process" else None))
        return
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if folder.exists() and not resume:
        fail(f"{folder}: sensitivity folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        d = plan.design
        typer.echo(f"lonesim sensitivity: {sc.name}: {d.method}, {len(d.parameters)} parameters, {d.points} sample points "
                   f"x {d.replicates} replicates = {plan.n_runs} runs of {sc.population.size:,} people x {sc.days} days, "
                   f"{where_runs(kind, workers, scheduler)}", err=True)
    with batch_errors(kept_message(folder)):
        outcome = run_sensitivity(plan, folder, executor=kind, workers=workers, scheduler=scheduler, resume=resume,
                                  progress=not quiet, figures=figures)
    for note in outcome.notes:
        typer.echo(f"warning: {note}", err=True)
    if not quiet and outcome.analysed:
        _print_top(folder, plan.design.method)
    finish(outcome, folder, quiet, max_errors=20)


def plan_or_fail(scenario: Path, sets: list[str] | None, seed: int | None) -> tuple[Any, Any]:
    """The scenario and its sensitivity plan, or exit 2 with the error (file, key, line)."""
    from sim.runs.sensitivity import plan_sensitivity

    sc = load_or_fail(scenario, sets, seed)
    linemap = LineMap(scenario.read_text(encoding="utf-8"))  # load_or_fail has read it: it exists and is text
    try:
        linemap.overridden = {tuple(k.split(".")) for k in parse_set_options(sets)}
        plan = plan_sensitivity(sc, str(scenario), linemap)
    except ScenarioError as exc:
        fail(str(exc))
    return sc, plan


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
