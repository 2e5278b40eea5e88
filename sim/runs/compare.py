"""Comparisons: programme arms against a control town, as a trial and as a policy (``lonesim compare``).

A comparison folder::

    comparison.json              the plan: scenario (with its comparison block), arms, run folder names,
                                 what each run tracks, package versions and git commit (never the worker count)
    runs/control-r000/ ...       one run folder per (arm, replicate); the control's is exactly what
                                 ``lonesim run FILE`` writes for the file's scenario and seed (replicate 0)
    tracks/control-r000/ ...     what each run recorded for the read-outs (sim.runs.tracking)
    comparison.csv, .parquet     one row per arm: trial effects, policy effects, deaths averted, costs
    trial.csv, .parquet          one row per arm and trial time point (end of programme, 1, 3, 6 months after)
    forest.png, cost.png, report.html

Runs: arm k of replicate r is ``Simulation(base + programme k, seed, replicate=r)``, the control of
replicate r is ``Simulation(base, seed, replicate=r)``: the same town, and the same random numbers for
everything the programme does not change (programmes draw from their own counter-based stream, sim/
interventions.py). Each task writes its run folder and its track folder atomically; a run is finished
when both are complete, so ``--resume`` keeps finished runs and redoes the rest. Everything after
``tracks/`` is rebuilt from disk (:mod:`sim.runs.compare_report`), whatever the executor or worker count.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.config import Scenario, ScenarioError
from sim.config.paths import LineMap
from sim.config.programmes import ArmConfig
from sim.runs.executors import run_batch
from sim.runs.layout import (
    RUNS_DIR,
    BatchError,
    BatchOutcome,
    claim_folder,
    prepare_folder,
    remove_leftovers,
    run_complete,
    sweep_lock,
    unclaim_folder,
)
from sim.runs.tracking import TrackPlan, track_complete

COMPARISON_MANIFEST = "comparison.json"
TRACKS_DIR = "tracks"
CONTROL = "control"


# =========================================================================== checks
def check_comparison(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None) -> None:
    """What the schema cannot check of a ``comparison:`` block (raises :class:`ScenarioError`, one line):
    a block is there, every arm starts before the last day, arm names are distinct and not ``control``."""
    comp = scenario.comparison

    def where(*loc: Any) -> str:
        text = tuple(str(p) for p in loc)
        if linemap is not None and any(text[: len(k)] == k for k in linemap.overridden):
            return f"{source} (--set)"
        line = linemap.line_for(loc) if linemap is not None else None
        return f"{source}:{line}" if line else source

    if comp is None:
        raise ScenarioError(f"{where()}: comparison: no comparison block (add comparison: with a list of arms; "
                            "see scenarios/programmes.yaml)")
    if horizon_days(scenario) < 1:
        raise ScenarioError(f"{where('comparison', 'horizon_years')}: comparison.horizon_years: "
                            f"{comp.horizon_years:g} years is less than a day (the read-outs need at least one day)")
    seen: dict[str, int] = {}
    for i, arm in enumerate(comp.arms):
        # Names become folder names: compared without case, as a case-insensitive file system (macOS,
        # Windows) would, so 'Control' or 'calls' and 'CALLS' cannot end up in one folder.
        if arm.name.lower() == CONTROL:
            raise ScenarioError(f"{where('comparison', 'arms', i, 'name')}: comparison.arms[{i}].name: "
                                f"'{arm.name}' is the name of the town without a programme (names are compared "
                                "without case); choose another")
        if arm.name.lower() in seen:
            raise ScenarioError(f"{where('comparison', 'arms', i, 'name')}: comparison.arms[{i}].name: duplicate arm "
                                f"name '{arm.name}' (also arms[{seen[arm.name.lower()]}]); names are compared "
                                "without case, as folder names on many file systems")
        seen[arm.name.lower()] = i
        if arm.coverage == 0:
            raise ScenarioError(f"{where('comparison', 'arms', i, 'coverage')}: comparison.arms[{i}].coverage: 0 "
                                "enrols nobody, so the arm has no effect to estimate (give a share above 0)")
        if arm.start_day >= scenario.days:
            raise ScenarioError(f"{where('comparison', 'arms', i, 'start_day')}: comparison.arms[{i}].start_day: "
                                f"day {arm.start_day} is after the last day (the scenario has {scenario.days} days: "
                                f"0-{scenario.days - 1})")


def comparison_notes(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None) -> list[str]:
    """``warning: ...`` / ``note: ...`` lines for a comparison that is valid but will not do what it seems
    to: a programme cut at the last day, follow-ups after it (reported as missing), a hazard-ratio
    interval that does not contain the scenario's ratio (only its width is used), and blocks the
    comparison ignores (``sweep:``, ``sensitivity:``). (Another programme's settings on an arm are an
    error of the schema: each programme is its own model.)"""
    comp = scenario.comparison
    if comp is None:
        return []

    def where(*loc: Any) -> str:
        text = tuple(str(p) for p in loc)
        if linemap is not None and any(text[: len(k)] == k for k in linemap.overridden):
            return f"{source} (--set)"
        line = linemap.line_for(loc) if linemap is not None else None
        return f"{source}:{line}" if line else source

    out: list[str] = []
    last_day = scenario.days - 1
    for i, arm in enumerate(comp.arms):
        last = arm.start_day + arm.duration_days - 1
        if last > last_day:
            out.append(f"warning: {where('comparison', 'arms', i, 'duration_days')}: comparison.arms[{i}]"
                       f".duration_days: the programme runs to day {last}, past the last day ({last_day}; days: "
                       f"{scenario.days}): it is cut there, and its 'end' read-out is day {last_day}")
        late = [f for f in comp.follow_up_days if last + f > last_day]
        if late:
            out.append(f"warning: {where('comparison', 'follow_up_days')}: comparison.follow_up_days: arm "
                       f"'{arm.name}' ends on day {min(last, last_day)}, so follow-up(s) {late} fall after the last "
                       f"day ({last_day}) and are reported as missing (make days larger)")
    for key, ratio in (("hr_isolation_interval", scenario.mortality.hr_isolation),
                       ("hr_loneliness_interval", scenario.mortality.hr_loneliness)):
        low, high = getattr(comp, key)
        if not low <= ratio <= high:
            what = key.removeprefix("hr_").removesuffix("_interval")
            out.append(f"note: {where('comparison', key)}: comparison.{key}: [{low:g}, {high:g}] does not contain "
                       f"mortality.hr_{what} ({ratio:g}): the draws are centred on {ratio:g} and take only the "
                       "interval's width")
    if scenario.sweep is not None:
        out.append(f"note: {where('sweep')}: sweep: `lonesim compare` ignores the sweep block "
                   "(`lonesim sweep` runs it)")
    if scenario.sensitivity is not None:
        out.append(f"note: {where('sensitivity')}: sensitivity: `lonesim compare` ignores the sensitivity block "
                   "(`lonesim sensitivity` runs it)")
    return out


# =========================================================================== the plan
def horizon_days(scenario: Scenario) -> int:
    """The horizon of the policy read-outs in days."""
    return int(round(scenario.comparison.horizon_years * 365))


def arm_time_points(arm: ArmConfig, scenario: Scenario) -> dict[str, int | None]:
    """Recorded days of an arm's trial read-outs: ``baseline`` (the day before the start), ``end`` (the
    programme's last day, or the run's last day if it runs longer) and one per follow-up (``1m`` ...);
    None where the run has no such day."""
    days = scenario.days
    last = arm.start_day + arm.duration_days - 1
    out: dict[str, int | None] = {"baseline": arm.start_day - 1 if arm.start_day >= 1 else None,
                                  "end": min(last, days - 1)}
    for f in scenario.comparison.follow_up_days:
        out[follow_up_label(f)] = last + f if last + f < days else None
    return out


def follow_up_label(days: int) -> str:
    """``1m``, ``3m``, ``6m`` for follow-ups of about 30, 91, 182 days; else ``<days>d``.

    >>> [follow_up_label(d) for d in (30, 91, 182, 10)]
    ['1m', '3m', '6m', '10d']
    """
    months = days / 30.4
    return f"{round(months)}m" if days >= 28 and abs(months - round(months)) < 0.1 else f"{days}d"


def checkpoint(arm: ArmConfig, scenario: Scenario) -> int:
    """The end (exclusive) of an arm's simulated horizon window: start + horizon, or the run's end."""
    return min(arm.start_day + horizon_days(scenario), scenario.days)


@dataclass(frozen=True)
class ArmRun:
    """One run of a comparison: arm ``arm`` (0 = the control, k = arm k) of replicate ``replicate``."""

    arm: int
    label: str
    replicate: int
    name: str


@dataclass
class ComparisonPlan:
    """A comparison expanded: the base scenario, its arms, and one ArmRun per (arm, replicate)."""

    scenario: Scenario
    runs: list[ArmRun]
    scenarios: list[dict[str, Any]] = field(repr=False)  # JSON of each arm's scenario; 0 = the control
    survey_days: list[int] = field(default_factory=list)
    checkpoints: list[int] = field(default_factory=list)

    @property
    def arms(self) -> list[ArmConfig]:
        """The programme arms (without the control)."""
        return list(self.scenario.comparison.arms)

    def track_plan(self, arm: int) -> TrackPlan:
        """What run ``arm`` records: every arm's trial days and checkpoints (the control serves them all)."""
        programme = None if arm == 0 else len(self.scenario.interventions)
        return TrackPlan(survey_days=self.survey_days, checkpoints=self.checkpoints, programme=programme)

    def manifest(self) -> dict[str, Any]:
        """The content of comparison.json: everything that defines the comparison, nothing about how it ran."""
        from sim.results import git_commit, package_versions

        sc = self.scenario
        return {
            "lonesim_comparison": 1,
            "name": sc.name,
            "seed": sc.seed,
            "replicates": sc.comparison.replicates,
            "days": sc.days,
            "horizon_days": horizon_days(sc),
            "scenario": sc.model_dump(mode="json"),
            "arms": [{"arm": 0, "name": CONTROL, "runs": [r.name for r in self.runs if r.arm == 0]}]
            + [{"arm": k + 1, "name": a.name, "programme": a.kind, "targeting": a.targeting,
                "time_points": arm_time_points(a, sc), "checkpoint": checkpoint(a, sc),
                "runs": [r.name for r in self.runs if r.arm == k + 1]} for k, a in enumerate(self.arms)],
            "survey_days": self.survey_days,
            "checkpoints": self.checkpoints,
            "versions": package_versions(),
            "git_commit": git_commit(),
        }


def run_folder_name(label: str, replicate: int, replicates: int) -> str:
    """``<arm>-r000``, the replicate zero-padded to fit the largest.

    >>> run_folder_name("calls", 3, 12)
    'calls-r003'
    """
    return f"{label}-r{replicate:0{max(3, len(str(replicates - 1)))}d}"


def plan_comparison(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None) -> ComparisonPlan:
    """Expand the scenario's comparison block into (arm, replicate) runs (raises ScenarioError)."""
    check_comparison(scenario, source, linemap)
    comp = scenario.comparison
    base = scenario.model_dump(mode="json")
    scenarios = [base]
    for arm in comp.arms:
        raw = json.loads(json.dumps(base))
        raw["interventions"] = list(raw.get("interventions") or []) + [arm.programme().model_dump(mode="json")]
        scenarios.append(Scenario.model_validate(raw).model_dump(mode="json"))
    labels = [CONTROL] + [a.name for a in comp.arms]
    reps = comp.replicates
    runs = [ArmRun(arm=k, label=labels[k], replicate=r, name=run_folder_name(labels[k], r, reps))
            for r in range(reps) for k in range(len(labels))]
    survey = sorted({d for a in comp.arms for d in arm_time_points(a, scenario).values() if d is not None})
    checks = sorted({checkpoint(a, scenario) for a in comp.arms})
    return ComparisonPlan(scenario=scenario, runs=runs, scenarios=scenarios, survey_days=survey, checkpoints=checks)


# =========================================================================== the worker side
def compare_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one (arm, replicate), write its track folder and its run folder atomically. Runs in a worker.

    If both folders are already complete (a duplicate task, e.g. a Dask retry), nothing is redone."""
    from sim.results import write_run
    from sim.runs.tracking import run_tracked, write_track

    out, track = Path(task["out"]), Path(task["track"])
    base = {"arm": task["arm"], "replicate": task["replicate"], "name": task["name"]}
    if run_complete(out) and track_complete(track):
        return base | {"status": "exists", "seconds": 0.0}
    t0 = time.perf_counter()
    scenario = Scenario.model_validate(task["scenario"])
    plan = TrackPlan(**task["plan"])
    sim, people, days = run_tracked(scenario, task["seed"], task["replicate"], plan)
    meta = {"arm": task["arm"], "label": task["label"], "replicate": task["replicate"], "plan": plan.to_json(),
            "people": sim.n}
    for folder, write in ((track, lambda: write_track(track, people, days, meta)),
                          (out, lambda: write_run(sim, out, figures=False))):
        if folder.exists():  # a leftover of an interrupted task: this task's output replaces it
            shutil.rmtree(folder)
        write()
    return base | {"status": "done", "seconds": time.perf_counter() - t0}


# =========================================================================== the parent side
#: The manifest keys that define a comparison's runs: resuming with other values is refused.
DEFINING = ("seed", "replicates", "scenario", "arms", "survey_days", "checkpoints")


def run_comparison(plan: ComparisonPlan, folder: Path, executor: str = "process", workers: int = 1,
                   scheduler: str | None = None, resume: bool = False, progress: bool = True,
                   report: bool = True, on_result: Callable[[dict[str, Any]], None] | None = None) -> BatchOutcome:
    """Run every unfinished (arm, replicate) of ``plan`` into ``folder``; rebuild the tables, figures and
    report from disk. The folder is claimed atomically and locked for the whole comparison, like a sweep's."""
    folder = Path(folder)
    created = claim_folder(folder, "comparison", resume)
    with sweep_lock(folder, "comparison"):  # a second --resume must not redo the runs this one is writing
        try:
            return _run_locked(plan, folder, created, executor, workers, scheduler, progress, report, on_result)
        except BatchError:
            unclaim_folder(folder, created)  # nothing ran: leave no folder behind
            raise


def _run_locked(plan: ComparisonPlan, folder: Path, created: bool, executor: str, workers: int,
                scheduler: str | None, progress: bool, report: bool,
                on_result: Callable[[dict[str, Any]], None] | None) -> BatchOutcome:
    """:func:`run_comparison` with the folder's lock held."""
    from sim.runs.compare_report import build_comparison_report

    t0 = time.perf_counter()
    prepare_folder(folder, created, kind="comparison", name=COMPARISON_MANIFEST, manifest=plan.manifest(),
                   defining=DEFINING, differs="scenario, seed or comparison block", subdirs=(RUNS_DIR, TRACKS_DIR))
    outcome = BatchOutcome(folder=folder, total=len(plan.runs))
    for sub in (RUNS_DIR, TRACKS_DIR):
        outcome.leftovers_removed += remove_leftovers(folder / sub)
    todo: list[ArmRun] = []
    for run in plan.runs:
        out, track = folder / RUNS_DIR / run.name, folder / TRACKS_DIR / run.name
        if run_complete(out) and track_complete(track):
            outcome.skipped += 1
            continue
        if out.exists() or track.exists():
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(track, ignore_errors=True)
            outcome.redone_incomplete += 1
        todo.append(run)

    def task(run: ArmRun) -> dict[str, Any]:
        return {"scenario": plan.scenarios[run.arm], "seed": plan.scenario.seed, "replicate": run.replicate,
                "arm": run.arm, "label": run.label, "name": run.name, "plan": plan.track_plan(run.arm).to_json(),
                "out": str((folder / RUNS_DIR / run.name).resolve()),
                "track": str((folder / TRACKS_DIR / run.name).resolve())}

    batch = run_batch(compare_task, (task(r) for r in todo), count=len(todo), total=len(plan.runs),
                      skipped=outcome.skipped, label=plan.scenario.name, executor=executor, workers=workers,
                      scheduler=scheduler, progress=progress, on_result=on_result)  # a BatchError: see run_comparison
    outcome.done, outcome.failed, outcome.not_started = batch.done, batch.failed, batch.not_started
    if report and not outcome.failed and not outcome.not_started:
        build_comparison_report(folder)
    outcome.seconds = time.perf_counter() - t0
    return outcome


def describe_plan(plan: ComparisonPlan, folder: Path | None = None) -> list[str]:
    """Human-readable lines for --dry-run: the arms, then one line per run, marking those already on disk."""
    sc = plan.scenario
    lines = [f"comparison '{sc.name}': control + {len(plan.arms)} arms x {sc.comparison.replicates} replicates = "
             f"{len(plan.runs)} runs of {sc.population.size:,} people x {sc.days} days, seed {sc.seed}"
             + (f", folder {folder}" if folder is not None else "")]
    for a in plan.arms:
        cost = f", {sc.comparison.currency}{a.cost_per_enrolled:g} per enrolled" if a.cost_per_enrolled is not None else ""
        lines.append(f"  arm {a.name}: {a.kind}, {a.targeting}, coverage {a.coverage:g}, days {a.start_day}-"
                     f"{a.start_day + a.duration_days - 1}{cost}")
    for run in plan.runs:
        state = ""
        if folder is not None:
            out, track = Path(folder) / RUNS_DIR / run.name, Path(folder) / TRACKS_DIR / run.name
            if out.exists() or track.exists():
                state = "  [done]" if run_complete(out) and track_complete(track) else "  [incomplete]"
        lines.append(f"{RUNS_DIR}/{run.name}  arm {run.label}  replicate {run.replicate}{state}")
    return lines


def default_comparison_folder(results_root: Path, scenario: Scenario) -> Path:
    """``results/<name>/compare-seed-<seed>``: fixed, so that ``--resume`` finds it again."""
    return Path(results_root) / scenario.name / f"compare-seed-{scenario.seed}"
