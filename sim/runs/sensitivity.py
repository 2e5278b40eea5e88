"""Global sensitivity analysis: which assumptions move the answer (``lonesim sensitivity``).

The plan. A scenario's ``sensitivity:`` block (:mod:`sim.config.sensitivity`) names the parameters and
their ranges; SALib draws the sample (:func:`make_design`: ``SALib.sample.morris.sample`` trajectories or
``SALib.sample.sobol.sample``, Saltelli's scheme without second-order terms), seeded by the scenario's
seed, so the same file gives the same sample. Log-uniform parameters are sampled in log space.

From a sample point to a scenario. Sample point ``i`` is a set of dotted-path overrides
(``{"smiles.propensity": 0.41, ...}``, integers rounded) applied to the scenario's own data without its
``sweep:`` and ``sensitivity:`` blocks and validated into a :class:`~sim.config.Scenario`, exactly as
``--set`` does. Every point is validated in the parent before anything runs, so a combination the
schema refuses is one error line, not a failed batch.

Common random numbers. Run (point ``i``, replicate ``r``) is
``Simulation(point_scenario, seed=scenario.seed, replicate=r)``: every sample point of replicate ``r``
uses the same seed, so the difference between two points is the parameters, not the random numbers.
With two or more replicates the replicate noise is measured and reported beside the indices
(:mod:`sim.runs.sensitivity_analysis`).

On disk. A sensitivity folder holds ``sensitivity.json`` (the plan: scenario, parameters and ranges,
method and size, seed, replicates, package versions, git commit; nothing about workers or executor),
``samples.csv`` (the parameter values of every sample point, in the scenario's units) and
``runs/s<point>-r<replicate>.json``, one small file per run holding its parameter values and its
``summary.json`` scalars, written through a temporary file and a rename (:func:`sim.runs.layout.write_json_atomic`):
a file with its final name is a finished run. ``--resume`` keeps every finished run, removes temporary
files and runs the rest; the tables, figures and report are rebuilt from the run files only once every
run is there. With ``run_folders: true`` each run also writes a full run folder (``run_folders/<name>/``,
parquet tables, no figures) before its JSON.

Workers. The runs go through :func:`sim.runs.executors.open_executor` and :func:`~sim.runs.executors.dispatch`
(local spawned processes or a Dask cluster, a bounded number in flight). A worker process runs many
tasks, so it imports lonesim and loads the compiled kernels once; a task validates its scenario
(a millisecond), simulates, and writes one JSON file: no parquet, figures or run folder unless asked.
``benchmarks/sensitivity_throughput.py`` measures the runs per minute and the cost of a run beyond its
simulated days.

The evaluation function is a parameter of :func:`run_sensitivity`: :func:`simulate` runs lonesim; the
tests pass a known test function (Ishigami) through the same executors, files and analysis.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from sim.config import Scenario, ScenarioError, set_path
from sim.config.base import unranged_assumptions
from sim.config.expand import _copy_along
from sim.config.paths import LineMap, format_loc
from sim.config.sensitivity import Parameter, base_dump, check_outputs, resolve_parameters, where
from sim.runs.executors import run_batch
from sim.runs.layout import (
    RUNS_DIR,
    BatchError,
    BatchOutcome,
    claim_folder,
    prepare_folder,
    remove_leftovers,
    sweep_lock,
    unclaim_folder,
    write_json_atomic,
    write_text_atomic,
)

MANIFEST = "sensitivity.json"
SAMPLES = "samples.csv"
RUN_FOLDERS = "run_folders"
#: Most runs an analysis may have: far beyond what can be run, small enough to plan in memory.
MAX_RUNS = 2_000_000
#: Most sample points an analysis may have: each is validated when the plan is made (about 1 ms each),
#: so a plan (and a --dry-run) answers within a minute or is refused at once.
MAX_POINTS = 50_000
#: Keys of sensitivity.json that define the runs: a folder started with other values cannot be resumed.
DEFINING = ("seed", "method", "size", "levels", "replicates", "parameters", "base", "run_folders")


# =========================================================================== the design
@dataclass
class Design:
    """A SALib sample: the method, its size, the parameters and one row of ``X`` per sample point.

    ``X`` is in SALib's coordinates (the log of log-uniform parameters); :meth:`values` gives a
    point's parameter values in the scenario's units. ``size`` is Morris trajectories or Sobol' base samples.
    """

    method: str
    parameters: list[Parameter]
    size: int
    levels: int
    replicates: int
    seed: int
    X: np.ndarray = field(repr=False)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem: ``num_vars``, ``names`` (the parameter paths) and ``bounds``."""
        return {"num_vars": len(self.parameters), "names": [p.path for p in self.parameters],
                "bounds": [p.bounds for p in self.parameters]}

    @property
    def points(self) -> int:
        """Sample points (rows of X)."""
        return int(self.X.shape[0])

    def values(self, i: int) -> dict[str, float | int]:
        """Parameter values of sample point ``i``, in the scenario's units."""
        return {p.path: p.value(x) for p, x in zip(self.parameters, self.X[i])}

    def half_points(self) -> int:
        """Rows of the same design with half the trajectories (Morris) or base samples (Sobol'): its first rows."""
        d = len(self.parameters)
        return (self.size // 2) * (d + 1 if self.method == "morris" else d + 2)


def make_design(method: str, parameters: list[Parameter], size: int, levels: int = 4, replicates: int = 1,
                seed: int = 0) -> Design:
    """Draw the sample with SALib: ``size`` Morris trajectories of ``levels`` levels, or ``size`` Sobol' base samples.

    Morris gives ``size x (D + 1)`` points, Sobol' (first-order and total indices) ``size x (D + 2)``.
    """
    if not parameters:
        raise ValueError("a design needs at least one parameter")
    design = Design(method=method, parameters=list(parameters), size=size, levels=levels, replicates=replicates,
                    seed=seed, X=np.zeros((0, len(parameters))))
    if method == "morris":
        from SALib.sample import morris as morris_sample

        design.X = morris_sample.sample(design.problem, size, num_levels=levels, seed=seed)
    elif method == "sobol":
        from SALib.sample import sobol as sobol_sample

        design.X = sobol_sample.sample(design.problem, size, calc_second_order=False, scramble=True, seed=seed)
    else:
        raise ValueError(f"unknown method '{method}' (morris or sobol)")
    return design


# =========================================================================== the plan
@dataclass
class SensitivityPlan:
    """Everything a sensitivity analysis runs and analyses: the design, the scenario each point starts
    from (None for a test function), the outputs and the analysis settings."""

    name: str
    design: Design
    outputs: list[str]
    base: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    bootstrap: int = 1000
    confidence: float = 0.95
    run_folders: bool = False
    unranged: list[str] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        """Sample points x replicates."""
        return self.design.points * self.design.replicates

    def run_name(self, point: int, replicate: int) -> str:
        """File stem of run (point, replicate): ``s00012-r01``, zero-padded to fit the largest index."""
        wp = max(5, len(str(self.design.points - 1)))
        wr = max(2, len(str(self.design.replicates - 1)))
        return f"s{point:0{wp}d}-r{replicate:0{wr}d}"

    def runs(self) -> list[tuple[int, int, str]]:
        """(point, replicate, name) of every run, replicate-major within each point."""
        return [(i, r, self.run_name(i, r)) for i in range(self.design.points) for r in range(self.design.replicates)]

    def task(self, point: int, replicate: int, name: str, folder: Path) -> dict[str, Any]:
        """The picklable description a worker needs (plain JSON types only)."""
        folder = Path(folder).resolve()
        return {
            "point": point, "replicate": replicate, "name": name, "seed": self.design.seed,
            "values": self.design.values(point), "base": self.base,
            "out": str(folder / RUNS_DIR / f"{name}.json"),
            "run_folder": str(folder / RUN_FOLDERS / name) if self.run_folders else None,
        }

    def manifest(self) -> dict[str, Any]:
        """The content of sensitivity.json: what defines the runs and the analysis, nothing about how they ran."""
        from sim.results import git_commit, package_versions

        d = self.design
        return {
            "lonesim_sensitivity": 1, "name": self.name, "seed": d.seed, "method": d.method, "size": d.size,
            "levels": d.levels if d.method == "morris" else None, "replicates": d.replicates,
            "points": d.points, "runs": self.n_runs,
            "parameters": [{"path": p.path, "low": p.low, "high": p.high, "log": p.log, "integer": p.integer}
                           for p in d.parameters],
            "outputs": self.outputs, "bootstrap": self.bootstrap, "confidence": self.confidence,
            "run_folders": self.run_folders, "base": self.base, "scenario": self.scenario,
            "versions": package_versions(), "git_commit": git_commit(),
        }


def _summary_keys(scenario: Scenario) -> dict[str, Any]:
    """The summary of a one-day run of the scenario at a small size: which keys a run's summary.json has."""
    from sim.simulation import Simulation

    raw = base_dump(scenario)
    raw["days"], raw["burn_in_days"] = 1, 0
    if raw["network"]["kind"] != "edgelist":
        raw["population"]["size"] = min(raw["population"]["size"], 60)
    return Simulation(Scenario.model_validate(raw)).run().summary()


def plan_sensitivity(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None,
                     check_outputs_by_run: bool = True) -> SensitivityPlan:
    """Resolve the scenario's sensitivity block into a plan (raises :class:`ScenarioError` with file and line).

    Checks the parameters (:func:`sim.config.sensitivity.resolve_parameters`), draws the SALib sample,
    validates the scenario of every sample point, and (``check_outputs_by_run``) checks the outputs
    against the summary of a one-day run of the scenario at 60 people.
    """
    cfg = scenario.sensitivity
    if cfg is None:
        raise ScenarioError(f"{source}: no sensitivity: block (add e.g. sensitivity: {{method: morris, "
                            "parameters: {smiles.propensity: [0.3, 0.7]}})")
    params = resolve_parameters(scenario, source, linemap)
    unranged = unranged_assumptions(Scenario) if cfg.parameters is None else []
    if not params:
        raise ScenarioError(
            f"{where(source, linemap, 'sensitivity', 'parameters')}: sensitivity.parameters: no parameter of the "
            f"schema has an assumption range yet ({len(unranged)} are described as assumptions; declare their ranges "
            "with sim.config.base.assumption(...)), so 'assumptions' is empty: name the parameters and their ranges "
            "instead ({key.path: [low, high]})")
    size = cfg.trajectories if cfg.method == "morris" else cfg.samples
    runs = size * (len(params) + (1 if cfg.method == "morris" else 2)) * cfg.replicates
    if runs > MAX_RUNS:
        raise ScenarioError(f"{where(source, linemap, 'sensitivity')}: sensitivity: {runs:,} runs is more than the "
                            f"{MAX_RUNS:,} an analysis may have (fewer parameters, a smaller size or fewer replicates)")
    points = runs // cfg.replicates
    if points > MAX_POINTS:  # every point is validated before anything runs (dry run included): bounded time
        key = "trajectories" if cfg.method == "morris" else "samples"
        raise ScenarioError(f"{where(source, linemap, 'sensitivity', key)}: sensitivity.{key}: {size:,} x "
                            f"{runs // cfg.replicates // size} points each = {points:,} sample points is more "
                            f"than the {MAX_POINTS:,} an analysis may have (checking them alone would take minutes; "
                            f"use fewer {key} or parameters)")
    design = make_design(cfg.method, params, size, cfg.levels, cfg.replicates, scenario.seed)
    base = base_dump(scenario)
    for i in range(design.points):
        raw = base
        for path, value in design.values(i).items():
            raw = _copy_along(raw, path)  # (only the sections on the path are copied, not the whole scenario)
            set_path(raw, path, value)
        try:
            Scenario.model_validate(raw)
        except ValidationError as err:  # a combination of values that are each valid on their own
            first = err.errors()[0]
            label = ", ".join(f"{k}={v:.6g}" for k, v in design.values(i).items())
            raise ScenarioError(f"{where(source, linemap, 'sensitivity', 'parameters')}: sensitivity: sample point "
                                f"{i} ({label}): {format_loc(tuple(first['loc']))}: {first['msg']}") from None
    if check_outputs_by_run:
        check_outputs(scenario, _summary_keys(scenario), source, linemap)
    return SensitivityPlan(name=scenario.name, design=design, outputs=list(cfg.outputs), base=base,
                           scenario=scenario.model_dump(mode="json"), bootstrap=cfg.bootstrap,
                           confidence=cfg.confidence, run_folders=cfg.run_folders, unranged=unranged)


# =========================================================================== the worker side
def result_complete(path: Path) -> bool:
    """A run file with its final name is finished; also check that it really reached the disk whole."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("summary"), dict)


def write_result(task: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write a run's file (its point, replicate, seed, parameter values and summary scalars) atomically."""
    scalars = {k: v for k, v in summary.items() if isinstance(v, (int, float, str)) or v is None}
    write_json_atomic(Path(task["out"]), {"point": task["point"], "replicate": task["replicate"], "seed": task["seed"],
                                          "parameters": task["values"], "summary": scalars})


def simulate(task: dict[str, Any]) -> dict[str, Any]:
    """Run one lonesim simulation of a sample point and write its run file. Runs in a worker process.

    Returns a small dict (status and timings: ``seconds`` for the whole task, ``days_seconds`` for the
    recorded days, ``setup_seconds`` for network, population and burn-in days); the summary stays on disk.
    A run whose file is already complete (a duplicate task, e.g. a Dask retry) is not redone.
    """
    from sim.simulation import Simulation

    base = {"point": task["point"], "replicate": task["replicate"], "name": task["name"]}
    if result_complete(Path(task["out"])):
        return base | {"status": "exists", "seconds": 0.0}
    t0 = time.perf_counter()
    raw = copy.deepcopy(task["base"])
    for path, value in task["values"].items():
        set_path(raw, path, value)
    sim = Simulation(Scenario.model_validate(raw), seed=task["seed"], replicate=task["replicate"]).run()
    if task.get("run_folder"):
        from sim.results import write_run

        write_run(sim, Path(task["run_folder"]), figures=False, overwrite=True)
    write_result(task, sim.summary())
    return base | {"status": "done", "seconds": time.perf_counter() - t0, "days_seconds": sim.timings["step_s"],
                   "setup_seconds": sim.timings["setup_s"], "network_seconds": sim.timings["network_s"],
                   "days": sim.day, "burn_in_days": sim.scenario.burn_in_days}


# =========================================================================== the parent side
def samples_csv(plan: SensitivityPlan) -> str:
    """samples.csv: one row per sample point with its parameter values in the scenario's units."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["point", *[p.path for p in plan.design.parameters]])
    for i in range(plan.design.points):
        w.writerow([i, *[repr(v) for v in plan.design.values(i).values()]])
    return buf.getvalue()


def prepare_sensitivity_folder(plan: SensitivityPlan, folder: Path, created: bool) -> None:
    """Write the new folder's manifest and sample table, or check that an existing folder was started with
    the same runs (:func:`sim.runs.layout.prepare_folder`); a resumed folder with other outputs or analysis
    settings gets the new manifest."""
    folder = Path(folder)
    new = plan.manifest()
    old = prepare_folder(folder, created, kind="sensitivity", name=MANIFEST, manifest=new, defining=DEFINING,
                         differs="scenario, seed, method, size or parameters")
    new = json.loads(json.dumps(new))
    if old is not None and {k: v for k, v in old.items() if k != "git_commit"} \
            != {k: v for k, v in new.items() if k != "git_commit"}:
        write_json_atomic(folder / MANIFEST, new)  # same runs, other outputs or analysis settings
    # Missing (interrupted between the manifest and the sample table), emptied or edited: the table is the
    # plan's, so it is written again (a resumed analysis never leaves a wrong samples.csv).
    expected = samples_csv(plan)
    try:
        current = (folder / SAMPLES).read_text(encoding="utf-8") if old is not None else None
    except (OSError, UnicodeDecodeError):
        current = None
    if current != expected:
        write_text_atomic(folder / SAMPLES, expected)


def run_sensitivity(plan: SensitivityPlan, folder: Path, evaluate: Callable[[dict[str, Any]], Any] = simulate,
                    executor: str = "process", workers: int = 1, scheduler: str | None = None, resume: bool = False,
                    progress: bool = True, on_result: Callable[[dict[str, Any]], None] | None = None,
                    analyse: bool = True, figures: bool = True) -> BatchOutcome:
    """Run every unfinished run of ``plan`` into ``folder`` with ``evaluate``; once all are there, write
    the indices, figures, convergence check and report (:func:`sim.runs.sensitivity_analysis.write_analysis`).

    ``evaluate`` must be a module-level function of a task dict (workers import it by name) that writes
    the task's run file with :func:`write_result`. The folder is claimed atomically and locked for the whole
    analysis, like a sweep's.
    """
    folder = Path(folder)
    created = claim_folder(folder, "sensitivity", resume)
    with sweep_lock(folder, "sensitivity analysis"):  # a second --resume must not redo what this one writes
        try:
            return _run_locked(plan, folder, created, evaluate, executor, workers, scheduler, progress, on_result,
                               analyse, figures)
        except BatchError:
            unclaim_folder(folder, created)  # nothing ran: leave no folder behind
            raise


def _run_locked(plan: SensitivityPlan, folder: Path, created: bool, evaluate: Callable[[dict[str, Any]], Any],
                executor: str, workers: int, scheduler: str | None, progress: bool,
                on_result: Callable[[dict[str, Any]], None] | None, analyse: bool, figures: bool) -> BatchOutcome:
    """:func:`run_sensitivity` with the folder's lock held."""
    t0 = time.perf_counter()
    prepare_sensitivity_folder(plan, folder, created)
    runs_dir = folder / RUNS_DIR
    outcome = BatchOutcome(folder=folder, total=plan.n_runs)
    outcome.leftovers_removed = sum(remove_leftovers(d, files=True) for d in (runs_dir, folder / RUN_FOLDERS))
    todo = []
    for point, rep, name in plan.runs():
        target = runs_dir / f"{name}.json"
        if target.exists():
            if result_complete(target):
                outcome.skipped += 1
                continue
            target.unlink()
        todo.append((point, rep, name))

    batch = run_batch(evaluate, (plan.task(p, r, n, folder) for p, r, n in todo), count=len(todo),
                      total=plan.n_runs, skipped=outcome.skipped, label=plan.name, executor=executor,
                      workers=workers, scheduler=scheduler, progress=progress, on_result=on_result)
    outcome.done, outcome.failed, outcome.not_started = batch.done, batch.failed, batch.not_started
    if analyse and not outcome.failed and not outcome.not_started:
        from sim.runs.sensitivity_analysis import write_analysis

        outcome.notes = write_analysis(folder, plan, figures=figures)
        outcome.analysed = True
    outcome.seconds = time.perf_counter() - t0
    return outcome


def describe_plan(plan: SensitivityPlan, folder: Path | None = None) -> list[str]:
    """Lines for --dry-run: the method and size, each parameter with its range, and how many runs are done."""
    d = plan.design
    how = (f"{d.size} trajectories x {len(d.parameters) + 1} points" if d.method == "morris"
           else f"{d.size} base samples x {len(d.parameters) + 2} points")
    lines = [f"sensitivity '{plan.name}': {d.method}, {len(d.parameters)} parameters, {how} = {d.points} sample points "
             f"x {d.replicates} replicates = {plan.n_runs} runs, seed {d.seed}"
             + (f", folder {folder}" if folder is not None else "")]
    for p in d.parameters:
        lines.append(f"  {p.path}: [{p.low:g}, {p.high:g}]" + (" log-uniform" if p.log else "")
                     + (" integer" if p.integer else ""))
    lines.append("outputs: " + ", ".join(plan.outputs))
    if folder is not None and (Path(folder) / RUNS_DIR).is_dir():
        done = sum(result_complete(Path(folder) / RUNS_DIR / f"{n}.json") for _, _, n in plan.runs())
        lines.append(f"{done} of {plan.n_runs} runs already finished")
    return lines


def default_folder(results_root: Path, scenario: Scenario) -> Path:
    """``results/<name>/sensitivity-seed-<seed>``: fixed, so that ``--resume`` finds it again."""
    return Path(results_root) / scenario.name / f"sensitivity-seed-{scenario.seed}"
