"""``lonesim compare``: programme arms against a control town, as a trial and as a policy (docs/programmes.md)."""

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
from sim.cli.common import SET_HELP, check_scheduler_or_fail, fail, load_or_fail, one_line
from sim.cli.estimate import estimate_line
from sim.config import LineMap, ScenarioError, parse_set_options


def compare(
    scenario: Path = typer.Argument(..., help="Scenario YAML file with a comparison: block."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Comparison folder (default results/<name>/compare-seed-<seed>)."),
    workers: int = typer.Option(DEFAULT_WORKERS, "--workers", "-w", help=WORKERS_HELP),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help=SCHEDULER_HELP),
    resume: bool = typer.Option(False, "--resume", help=RESUME_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    seed: int | None = typer.Option(None, "--seed", help="Root seed (overrides the scenario's)."),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for the default comparison folder."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Compare programmes and targeting rules: simulated trials, deaths averted per 1,000 enrolled, costs."""
    from sim.runs.compare import default_comparison_folder, describe_plan, run_comparison

    kind = check_executor(executor, workers, scheduler)
    sc, plan = plan_or_fail(scenario, sets, seed)
    folder = out if out is not None else default_comparison_folder(results, sc)
    if dry_run:
        for line in describe_plan(plan, folder):
            typer.echo(line)
        typer.echo(estimate_line([(plan.scenario.population.size, horizon(plan))] * len(plan.runs),
                                 workers if kind == "process" else None))
        return
    check_scheduler_or_fail(scheduler)  # before any folder exists: a silent server leaves nothing
    if folder.exists() and not resume:
        fail(f"{folder}: comparison folder already exists (add --resume to finish it, or choose another --out)")
    if not quiet:
        typer.echo(f"lonesim compare: {sc.name}: control + {len(plan.arms)} arms x {sc.comparison.replicates} "
                   f"replicates = {len(plan.runs)} runs of {sc.population.size:,} people x {sc.days} days, "
                   f"{where_runs(kind, workers, scheduler)}", err=True)
    with batch_errors(kept_message(folder)):
        outcome = run_comparison(plan, folder, executor=kind, workers=workers, scheduler=scheduler,
                                 resume=resume, progress=not quiet)
    if not quiet and not outcome.failed and not outcome.not_started:
        _print_summary(folder)
    finish(outcome, folder, quiet)


def plan_or_fail(scenario: Path, sets: list[str] | None, seed: int | None) -> tuple[Any, Any]:
    """The scenario and its comparison plan, or exit 2 with the error (file, key, line)."""
    from sim.runs.compare import comparison_notes, plan_comparison

    sc = load_or_fail(scenario, sets, seed)
    try:
        linemap = LineMap(scenario.read_text(encoding="utf-8"))
        linemap.overridden = {tuple(k.split(".")) for k in parse_set_options(sets)}  # blamed on --set, not a line
        plan = plan_comparison(sc, source=str(scenario), linemap=linemap)
    except ScenarioError as exc:
        fail(str(exc))
    for line in comparison_notes(sc, str(scenario), linemap):  # legal, but not what it seems
        typer.echo(one_line(line), err=True)
    from sim.memory import check_analysis_fits

    try:  # the analysis after the runs (comparison.hr_draws): refused now, not after every run is done
        check_analysis_fits(sc, lambda key: linemap.where(str(scenario), key))
    except ScenarioError as exc:
        fail(str(exc))
    return sc, plan


def horizon(plan: Any) -> int:
    """Days each comparison run simulates, burn-in included."""
    return plan.scenario.days + plan.scenario.burn_in_days


def _print_summary(folder: Path) -> None:
    import pandas as pd

    table = pd.read_csv(folder / "comparison.csv")
    for _, r in table.iterrows():
        if not r["enrolled"] > 0:
            typer.echo(f"warning: arm {r['arm']} enrolled nobody in any town (its targeting found no one): it has "
                       "no effect per enrolled person and is not ranked", err=True)
            continue
        typer.echo(f"  {r['arm']}: trial SMD {r['trial_smd']:+.2f} ({r['trial_smd_low']:+.2f} to {r['trial_smd_high']:+.2f}); "
                   f"deaths averted per 1,000 enrolled {r['deaths_averted_per_1000_enrolled']:.2f} "
                   f"({r['deaths_averted_low']:.2f} to {r['deaths_averted_high']:.2f})", err=True)
