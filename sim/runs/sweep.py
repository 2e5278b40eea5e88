"""Sweeps: expand a scenario's ``sweep:`` block into (point, replicate) runs and run them in parallel.

A sweep folder::

    sweep.json                 the plan: scenario (with its sweep block), points, run folder names,
                               package versions and git commit. Never the worker count or executor.
    runs/p000-r000/ ...        one run folder per (point, replicate), written by sim.results.write_run
                               (temporary folder, then rename: a folder with its final name is complete)
    runs.csv, runs.parquet     one row per finished run (its summary.json flattened)
    summary.csv, summary.parquet
                               per point and proxy: n, mean, sd, 95% CI of the mean, 2.5-97.5% range
    timeseries_summary.parquet per point and day: mean and 2.5-97.5% range across replicates
    dose_response.png, timeseries_by_point.png

Everything after ``runs/`` is rebuilt from the run folders on disk (:mod:`sim.runs.report`), so it is always
consistent with them, and ``lonesim report`` can redo it without running anything.

Randomness: run (point p, replicate r) uses ``Simulation(point_scenario, seed=scenario.seed, replicate=r)``,
i.e. ``SeedSequence(seed, spawn_key=(r,))``: the same replicate gets the same streams at every point
(common random numbers). The seed never depends on the worker, the order of completion or the executor.

Executors: anything with the ``concurrent.futures.Executor`` interface. :func:`sim.runs.executors.open_executor`
is the only place that knows which one: a ``ProcessPoolExecutor`` (spawned workers) by default, or a Dask distributed
``Client(address).get_executor()``. Each task runs one simulation, writes its own run folder and returns a
small dict; the parent keeps at most a few futures in flight and never holds time series, so its memory
does not grow with the number of runs.

Resume: finished run folders are kept as they are (not even rewritten); folders that fail the completeness
check (e.g. after a power cut before the data reached the disk) and leftover temporary folders are removed
and their runs redone.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config import LineMap, Scenario, ScenarioError, iter_points, set_path
from sim.runs.executors import run_batch
from sim.runs.layout import (
    RUNS_DIR,
    SWEEP_MANIFEST,
    BatchError,
    BatchOutcome,
    claim_folder,
    prepare_folder,
    remove_leftovers,
    run_complete,
    run_name,
    sweep_lock,
    unclaim_folder,
)
from sim.runs.report import build_report


# =========================================================================== the plan
@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: point ``point``, replicate ``replicate``, written to ``runs/<name>``."""

    point: int
    replicate: int
    seed: int
    name: str
    label: str

    def task(self, plan: SweepPlan, sweep_dir: Path) -> dict[str, Any]:
        """The picklable description a worker needs (plain JSON types only)."""
        return {
            "scenario": plan.point_scenario(self.point),
            "seed": self.seed,
            "replicate": self.replicate,
            "point": self.point,
            "name": self.name,
            "out": str((sweep_dir / RUNS_DIR / self.name).resolve()),
        }


@dataclass(frozen=True)
class PlanPoint:
    """One point of a sweep: its index and the overrides that define it (its scenario is built when needed)."""

    index: int
    overrides: dict[str, Any]

    @property
    def label(self) -> str:
        """``key=value, ...`` of the point's overrides (``base`` when there are none)."""
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "base"


@dataclass
class SweepPlan:
    """A sweep expanded: the scenario, its points, replicates per point and one RunSpec per run.

    Only the overrides of each point are held; a point's scenario is rebuilt when a run needs it, so the
    plan's memory is that of its overrides and run names (at most :data:`sim.config.MAX_RUNS` runs).
    ``largest`` is the point whose run needs the most memory (its estimate, in bytes, is ``largest_bytes``).
    """
    scenario: Scenario
    points: list[PlanPoint]
    replicates: int
    runs: list[RunSpec]
    largest: int = 0
    largest_bytes: float = 0.0

    @property
    def swept_keys(self) -> list[str]:
        """The parameter paths the sweep moves, in order of first appearance."""
        keys: list[str] = []
        for p in self.points:
            keys += [k for k in p.overrides if k not in keys]
        return keys

    def point_scenario(self, index: int) -> dict[str, Any]:
        """The validated scenario of point ``index`` as plain JSON data (what a worker receives)."""
        raw = self.scenario.model_dump(mode="json")
        raw["sweep"] = None
        for key, value in self.points[index].overrides.items():
            set_path(raw, key, value)
        return Scenario.model_validate(raw).model_dump(mode="json")

    def point(self, index: int) -> Scenario:
        """The validated scenario of point ``index``."""
        return Scenario.model_validate(self.point_scenario(index))

    def manifest(self) -> dict[str, Any]:
        """The content of sweep.json: everything that defines the sweep, nothing about how it ran."""
        from sim.results import git_commit, package_versions

        sweep = self.scenario.sweep
        names: dict[int, list[str]] = {}
        for r in self.runs:
            names.setdefault(r.point, []).append(r.name)
        return {
            "lonesim_sweep": 1,
            "name": self.scenario.name,
            "seed": self.scenario.seed,
            "replicates": self.replicates,
            "swept": self.swept_keys,
            "grid": list(sweep.grid) if sweep else [],
            "zip": list(sweep.zip) if sweep else [],
            "scenario": self.scenario.model_dump(mode="json"),
            "points": [
                {"point": p.index, "label": p.label, "overrides": p.overrides, "runs": names.get(p.index, [])}
                for p in self.points
            ],
            "versions": package_versions(),
            "git_commit": git_commit(),
        }


def plan_sweep(scenario: Scenario, source: str | None = None, linemap: LineMap | None = None) -> SweepPlan:
    """Expand the scenario's sweep block into points x replicates (raises ScenarioError).

    Every point is validated (one at a time, :func:`sim.config.iter_points`) and its memory estimated.
    """
    from sim.memory import estimate_bytes

    if scenario.sweep is None:
        raise ScenarioError(
            f"scenario '{scenario.name}' has no sweep: block (add e.g. "
            "sweep: {grid: {network.isolation.fraction: [0, 0.2, 0.4]}, replicates: 10})"
        )
    points: list[PlanPoint] = []
    largest, largest_bytes = 0, 0.0
    for index, overrides, concrete in iter_points(scenario, source or scenario.name, linemap, dumps=False):
        points.append(PlanPoint(index=index, overrides=overrides))
        need = estimate_bytes(concrete).total
        if need > largest_bytes:
            largest, largest_bytes = index, need
    reps = scenario.sweep.replicates
    runs = [
        RunSpec(point=p.index, replicate=r, seed=scenario.seed,
                name=run_name(p.index, r, len(points), reps), label=p.label)
        for p in points for r in range(reps)
    ]
    return SweepPlan(scenario=scenario, points=points, replicates=reps, runs=runs, largest=largest,
                     largest_bytes=largest_bytes)


# =========================================================================== the worker side
def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one (point, replicate) and write its folder atomically. Runs in a worker process.

    Returns a small dict (status, timing, the summary's scalars): the time series stays on disk.
    If the folder is already complete (a duplicate task, e.g. a Dask retry), nothing is redone.
    """
    from sim.results import write_run
    from sim.simulation import Simulation

    out = Path(task["out"])
    base = {"point": task["point"], "replicate": task["replicate"], "name": task["name"]}
    if run_complete(out):
        return base | {"status": "exists", "seconds": 0.0, "summary": {}}
    t0 = time.perf_counter()
    scenario = Scenario.model_validate(task["scenario"])
    sim = Simulation(scenario, seed=task["seed"], replicate=task["replicate"])
    sim.run()
    try:
        write_run(sim, out, figures=False)
    except ScenarioError:
        if run_complete(out):  # another copy of this task finished first
            return base | {"status": "exists", "seconds": time.perf_counter() - t0, "summary": {}}
        raise
    summary = {k: v for k, v in sim.summary().items() if isinstance(v, (int, float, str))}
    return base | {"status": "done", "seconds": time.perf_counter() - t0, "summary": summary}


# =========================================================================== the parent side
#: The manifest keys that define a sweep's runs: resuming with other values is refused.
DEFINING = ("seed", "replicates", "scenario", "points")


def prepare_sweep_folder(plan: SweepPlan, folder: Path, created: bool, allow_mixed_versions: bool = False,
                         warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write the new sweep folder's manifest, or check that an existing folder belongs to this plan
    (:func:`sim.runs.layout.prepare_folder`); returns the folder's manifest.

    Called with the folder's lock held. Resuming a sweep started by other package versions (the
    numbers could differ) is refused unless ``allow_mixed_versions``; a different git commit of
    lonesim is reported through ``warn``.
    """
    new = plan.manifest()
    old = prepare_folder(folder, created, kind="sweep", name=SWEEP_MANIFEST, manifest=new, defining=DEFINING,
                         differs="scenario, seed or sweep block")
    if old is None:
        return new
    _check_versions(Path(folder), old, new, allow_mixed_versions, warn)
    return old


def _check_versions(folder: Path, old: dict[str, Any], new: dict[str, Any], allow: bool,
                    warn: Callable[[str], None] | None) -> None:
    """Refuse to mix runs made by other package versions (unless ``allow``); report another git commit."""
    before, now = old.get("versions") or {}, new.get("versions") or {}
    changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
    if changed:
        what = ", ".join(f"{k} {before.get(k, '-')} -> {now.get(k, '-')}" for k in changed)
        if not allow:
            raise BatchError(f"{folder}: was started with other package versions ({what}); its finished runs "
                             "would be mixed with runs of this version. Finish it with the versions that "
                             "started it, or add --allow-mixed-versions")
        if warn:
            warn(f"{folder}: resuming with other package versions ({what}): runs of both are mixed")
    if old.get("git_commit") and new.get("git_commit") and old["git_commit"] != new["git_commit"] and warn:
        warn(f"{folder}: started at lonesim commit {old['git_commit']}, resumed at {new['git_commit']}: "
             "runs from both are mixed (each run's manifest.json records its commit)")


def run_sweep(plan: SweepPlan, folder: Path, executor: str = "process", workers: int = 1,
              scheduler: str | None = None, resume: bool = False, progress: bool = True,
              on_result: Callable[[dict[str, Any]], None] | None = None,
              report: bool = True, figures: bool = True, allow_mixed_versions: bool = False,
              warn: Callable[[str], None] | None = None) -> BatchOutcome:
    """Run every unfinished run of ``plan`` into ``folder``; rebuild the summary and figures from disk.

    The folder is claimed atomically and locked for the whole sweep (:func:`sim.runs.layout.sweep_lock`),
    so two sweeps (or two ``--resume``) of one folder never run at once.
    """
    folder = Path(folder)
    created = claim_folder(folder, "sweep", resume)
    with sweep_lock(folder):
        try:
            return _run_locked(plan, folder, created, executor, workers, scheduler, progress, on_result, report,
                               figures, allow_mixed_versions, warn)
        except BatchError:
            unclaim_folder(folder, created)
            raise


def _run_locked(plan: SweepPlan, folder: Path, created: bool, executor: str, workers: int, scheduler: str | None,
                progress: bool, on_result: Callable[[dict[str, Any]], None] | None, report: bool, figures: bool,
                allow_mixed_versions: bool, warn: Callable[[str], None] | None) -> BatchOutcome:
    t0 = time.perf_counter()
    prepare_sweep_folder(plan, folder, created, allow_mixed_versions, warn)
    runs_dir = folder / RUNS_DIR
    outcome = BatchOutcome(folder=folder, total=len(plan.runs))
    outcome.leftovers_removed = remove_leftovers(runs_dir)
    todo: list[RunSpec] = []
    for run in plan.runs:
        target = runs_dir / run.name
        if target.exists():
            if run_complete(target):
                outcome.skipped += 1
                continue
            shutil.rmtree(target)
            outcome.redone_incomplete += 1
        todo.append(run)

    batch = run_batch(run_task, (r.task(plan, folder) for r in todo), count=len(todo), total=len(plan.runs),
                      skipped=outcome.skipped, label=plan.scenario.name, executor=executor, workers=workers,
                      scheduler=scheduler, progress=progress, on_result=on_result)  # a BatchError: see run_sweep
    outcome.done, outcome.failed, outcome.not_started = batch.done, batch.failed, batch.not_started
    if report:
        build_report(folder, figures=figures)
    outcome.seconds = time.perf_counter() - t0
    return outcome


def describe_plan(plan: SweepPlan, folder: Path | None = None) -> list[str]:
    """Human-readable lines for --dry-run: one per run, marking those already on disk."""
    lines = [f"sweep '{plan.scenario.name}': {len(plan.points)} points x {plan.replicates} replicates = "
             f"{len(plan.runs)} runs, seed {plan.scenario.seed}"
             + (f", folder {folder}" if folder is not None else "")]
    for run in plan.runs:
        state = ""
        if folder is not None and (Path(folder) / RUNS_DIR / run.name).exists():
            state = "  [done]" if run_complete(Path(folder) / RUNS_DIR / run.name) else "  [incomplete]"
        lines.append(f"{RUNS_DIR}/{run.name}  point {run.point}  replicate {run.replicate}  {run.label}{state}")
    return lines


def default_sweep_folder(results_root: Path, scenario: Scenario) -> Path:
    """``results/<name>/sweep-seed-<seed>``: fixed, so that ``--resume`` finds it again."""
    return Path(results_root) / scenario.name / f"sweep-seed-{scenario.seed}"
