"""``lonesim experiment``: re-run a validation study and write its figure and table (docs/validation.md).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from sim.cli.batch import DEFAULT_WORKERS, WORKERS_HELP, batch_errors, check_executor
from sim.cli.common import fail
from sim.memory import check_fits, estimate_bytes

#: Where ``lonesim experiment`` writes unless told otherwise, and the tracked reference results.
EXPERIMENTS = Path("results/experiments")
REFERENCE = Path("results/reference")


def experiment(
    files: list[Path] = typer.Argument(..., help="Experiment files (experiments/<name>.yaml)."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="Folder for validation.csv; figures and tables go to <out>/validation/ "
                                            "(default results/experiments, or results/experiments/quick with --quick)."),
    update_reference: bool = typer.Option(False, "--update-reference",
                                          help="Write into the shipped results/reference/ (the full forms only)."),
    workers: int = typer.Option(DEFAULT_WORKERS, "--workers", "-w", help=WORKERS_HELP),
    executor: str = typer.Option("local", "--executor",
                                 help="local (worker processes on this machine; 'process' is the same); "
                                      "validation studies run on this machine only."),
    quick: bool = typer.Option(False, "--quick", help="The reduced form the test suite runs (small, few replicates)."),
    sets: list[str] | None = typer.Option(None, "--set",
                                             help="Override a field of the study's scenario: --set key.path=value."),
) -> None:
    """Re-run validation studies: model beside published figures, with 95% intervals."""
    from sim.config import ScenarioError, parse_set_options

    if check_executor(executor, workers, None) != "process":
        fail("--executor dask: validation studies run on this machine only (use --executor local)")
    if update_reference and (quick or out is not None):
        fail("--update-reference writes the full studies into results/reference/: not with "
             + ("--quick" if quick else "--out"))
    if out is None:  # the tracked reference results change only when asked to
        out = REFERENCE if update_reference else EXPERIMENTS / "quick" if quick else EXPERIMENTS
    try:
        overrides = parse_set_options(sets)
    except ScenarioError as exc:
        fail(str(exc))
    checked = check_files(files, quick, overrides, workers)
    from sim.results import check_writable
    from sim.validation import check_validation_csv

    try:
        check_validation_csv(out / "validation.csv")  # (first: nothing is created beside a foreign table)
        check_writable(out / "validation")
    except ScenarioError as exc:
        fail(str(exc))
    for k, (f, exp) in enumerate(checked, 1):
        typer.echo(f"lonesim experiment: {f} (study {exp['study']}{', quick' if quick else ''}; "
                   f"{k} of {len(checked)})", err=True)
        run_one(f, exp, out, workers, quick, overrides)


def check_files(files: list[Path], quick: bool, overrides: dict, workers: int) -> list[tuple[Path, Any]]:
    """Every file, and every scenario its study runs, checked before anything runs: (file, experiment)
    pairs, or exit 2 with one line per problem."""
    from sim.config import ScenarioError
    from sim.validation import check_experiment_file

    checked, errors = [], []
    for f in files:
        try:
            exp, scenarios = check_experiment_file(f, quick, overrides)
            largest = max(scenarios, key=lambda s: estimate_bytes(s).total)
            check_fits(largest, f"{f} (study {exp['study']})", processes=max(1, min(workers, exp.get("replicates", 1))))
        except ScenarioError as exc:
            errors.append(str(exc))
            continue
        checked.append((f, exp))
    if errors:
        fail("\n".join(errors))
    return checked


def run_one(f: Path, exp: Any, out: Path, workers: int, quick: bool, overrides: dict) -> None:
    """Run one checked study (a progress bar per batch of replicates, on stderr) and print its rows."""
    from sim.runs.executors import task_progress
    from sim.validation import run_experiment

    t0 = time.perf_counter()
    with batch_errors(f"{f} was not finished"), task_progress(f"{exp['study']} ({exp['name']})"):
        result = run_experiment(f, out=out, workers=workers, quick=quick, overrides=overrides)
    for r in result.rows:
        inside = {True: "inside", False: "OUTSIDE", None: "beside"}[r["inside"]]
        lo = "" if r["model_low"] is None else f" ({r['model_low']:.3g}–{r['model_high']:.3g})"
        pub = ("" if r["published_low"] is None
               else f"published {r['published_low']:.3g}–{r['published_high']:.3g}")
        typer.echo(f"  {r['quantity']}: model {r['model_estimate']:.3g}{lo}; {pub}: {inside}")
    for note in result.notes:
        typer.echo(f"  - {note}")
    typer.echo(f"  {time.perf_counter() - t0:.0f}s; wrote {out / 'validation' / exp['name']}.png/.csv and "
               f"{out / 'validation.csv'}")
