"""The Python API: run a scenario, a sweep, a comparison or a sensitivity analysis from Python (docs/api.md).

Each function calls what the matching command calls — :func:`sim.config.load_scenario_lines` for the
file and its overrides, :class:`sim.simulation.Simulation` and :func:`sim.results.write_run` for a run,
``plan_*``/``run_*`` of :mod:`sim.runs` for the batches — so a run made here and the same run made by
``lonesim`` give byte-identical files. Bad arguments raise :class:`sim.config.ScenarioError` with the
project's one-line message naming the argument (or the file, key and line); a batch that cannot start
or finish raises :class:`sim.runs.layout.SweepError`.

Overrides. ``set={"population.size": 2000}`` takes dotted key paths exactly as ``--set`` does; keyword
arguments are the same paths with ``__`` for each dot (``population__size=2000``,
``shocks__0__day=30``). Both may be given; a keyword wins over the same key in ``set``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.api_results import BatchResult, RunResult
from sim.config import LineMap, Scenario, ScenarioError, load_scenario_lines
from sim.runs.layout import SweepError

__all__ = ["run", "sweep", "compare", "sensitivity", "load", "overrides_from"]

#: Largest seed the schema accepts (``seed`` in sim/config/schema.py).
MAX_SEED = 2**63 - 1


# =========================================================================== arguments
def overrides_from(set: Mapping[str, Any] | None = None, **keywords: Any) -> dict[str, Any]:  # noqa: A002 - the CLI's name
    """``{dotted.key.path: value}`` from ``set`` (dotted paths, as ``--set``) and keywords (``__`` for each dot).

    >>> overrides_from({"days": 30}, population__size=2000)
    {'days': 30, 'population.size': 2000}
    """
    out: dict[str, Any] = {}
    if set is not None:
        if not isinstance(set, Mapping):
            raise ScenarioError(f"set: expected a mapping of key paths to values, e.g. {{'population.size': 2000}} "
                                f"(got {type(set).__name__})")
        for key, value in set.items():
            if not isinstance(key, str) or not key.strip():
                raise ScenarioError(f"set: keys are dotted key paths such as 'population.size' (got {key!r})")
            out[key.strip()] = value
    for name, value in keywords.items():
        if name.startswith("_") or name.endswith("_") or "___" in name:
            raise ScenarioError(f"{name}: an override keyword is a key path with '__' for each dot "
                                "(e.g. population__size=2000)")
        out[name.replace("__", ".")] = value
    return out


def _seed(seed: Any) -> int | None:
    """``seed`` as an int, or None; a bool, a float (even 2.0), a string or a number out of range is refused."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ScenarioError(f"seed: must be a whole number from 0 to {MAX_SEED} (got {seed!r})")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ScenarioError(f"seed: must be a whole number from 0 to {MAX_SEED} (got {int(seed)})")
    return int(seed)


def _workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or int(workers) < 1:
        raise ScenarioError(f"workers: must be a whole number of processes, at least 1 (got {workers!r})")
    return int(workers)


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(f"{name}: must be True or False (got {value!r})")
    return value


def _folder(name: str, value: Any) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise ScenarioError(f"{name}: must be a folder path (got {value!r})")
    return Path(value)


def _executor(executor: Any, scheduler: Any) -> str:
    from sim.runs.executors import EXECUTOR_NAMES

    kind = EXECUTOR_NAMES.get(executor) if isinstance(executor, str) else None
    if kind is None:
        raise ScenarioError(f"executor: unknown executor {executor!r} (choose 'local' or 'dask')")
    if kind == "dask" and not scheduler:
        raise ScenarioError("executor: 'dask' needs scheduler='tcp://HOST:8786'")
    if kind == "process" and scheduler:
        raise ScenarioError("scheduler: only used with executor='dask'")
    return kind


def _scenario(scenario: Any, seed: Any, overrides: dict[str, Any]) -> tuple[Scenario, LineMap | None, str]:
    """The validated scenario (its file read as ``lonesim`` reads it), its line map and the name its errors use.

    Warnings about the scenario (a shock after the last day) become Python warnings."""
    seed = _seed(seed)
    if seed is not None:
        overrides = {**overrides, "seed": seed}
    notes: list[str] = []
    if isinstance(scenario, Scenario):
        sc = scenario.with_overrides(overrides, source="overrides") if overrides else scenario
        linemap, source = None, f"<scenario {sc.name}>"
    elif isinstance(scenario, (str, Path)) and str(scenario).strip():
        try:
            sc, linemap = load_scenario_lines(Path(scenario), overrides, notes=notes)
        except ScenarioError as exc:  # the command line's "(--set)" is an override argument here
            raise ScenarioError(str(exc).replace(" (--set): ", " (override): ")) from None
        source = str(scenario)
    else:
        raise ScenarioError("scenario: expected the path of a scenario YAML file or a sim.Scenario "
                            f"(got {type(scenario).__name__})")
    for note in notes:
        warnings.warn(note.removeprefix("warning: "), stacklevel=3)
    return sc, linemap, source


def _where(linemap: LineMap | None, source: str):
    return (lambda key: linemap.where(source, key)) if linemap is not None else source


def _check_memory(sc: Scenario, linemap: LineMap | None, source: str, processes: int = 1) -> None:
    from sim.memory import check_fits

    check_fits(sc, _where(linemap, source), processes)


def _fresh(folder: Path, resume: bool, what: str) -> None:
    if folder.exists() and not resume:
        raise SweepError(f"{folder}: {what} folder already exists (pass resume=True to finish it, or choose another out=)")


def _finished(outcome: Any, folder: Path) -> None:
    """Raise :class:`SweepError` when some runs of a batch failed or never started (finished ones are kept)."""
    if outcome.failed or outcome.not_started:
        first = f" (first: run {outcome.failed[0][0]}: {outcome.failed[0][1]})" if outcome.failed else ""
        raise SweepError(f"{len(outcome.failed)} of {outcome.total} runs failed"
                         + (f", {outcome.not_started} not started" if outcome.not_started else "")
                         + f"{first}; finished runs are kept in {folder}: fix the cause and call again with resume=True")


# =========================================================================== one run
def run(scenario: str | Path | Scenario, *, seed: int | None = None, out: str | Path | None = None,
        set: Mapping[str, Any] | None = None, figures: bool | None = None, overwrite: bool = False,  # noqa: A002
        progress: bool = False, **overrides: Any) -> RunResult:
    """Simulate one scenario (``lonesim run``) and return its :class:`RunResult` (tables in memory).

    ``scenario``: a YAML path or a :class:`sim.Scenario`; ``seed`` overrides its seed; ``set`` and keyword
    overrides as described in the module. With ``out``, the run folder is also written there, exactly as
    ``lonesim run --out`` writes it (figures as the scenario says unless ``figures`` is given;
    ``overwrite=True`` replaces a lonesim run folder). ``progress`` shows a progress bar of the days.
    """
    from sim.results import check_destination, write_run
    from sim.simulation import Simulation

    sc, linemap, source = _scenario(scenario, seed, overrides_from(set, **overrides))
    out = _folder("out", out)
    overwrite, progress = _flag("overwrite", overwrite), _flag("progress", progress)
    if figures is not None:
        _flag("figures", figures)
    expected = check_destination(out, overwrite=overwrite) if out is not None else None
    _check_memory(sc, linemap, source)
    simulation = Simulation(sc, progress=progress)
    simulation.run(progress=progress)
    folder = None
    if out is not None:
        folder = write_run(simulation, out, figures=sc.output.figures if figures is None else figures,
                           overwrite=overwrite, expected=expected)
    return RunResult.from_simulation(simulation, folder)


# =========================================================================== batches
def sweep(scenario: str | Path | Scenario, *, seed: int | None = None, out: str | Path | None = None,
          workers: int = 1, resume: bool = False, figures: bool = True, progress: bool = False,
          executor: str = "local", scheduler: str | None = None, results: str | Path = "results",
          set: Mapping[str, Any] | None = None, **overrides: Any) -> BatchResult:  # noqa: A002
    """Run a scenario's ``sweep:`` block (``lonesim sweep``) and return the finished folder as a :class:`BatchResult`.

    The folder is ``out`` or ``<results>/<name>/sweep-seed-<seed>``; ``resume=True`` finishes an
    interrupted sweep. Same files as the command, whatever ``workers``.
    """
    from sim.runs.sweep import default_sweep_folder, plan_sweep, run_sweep

    sc, linemap, source = _scenario(scenario, seed, overrides_from(set, **overrides))
    workers, kind = _workers(workers), _executor(executor, scheduler)
    resume, figures, progress = _flag("resume", resume), _flag("figures", figures), _flag("progress", progress)
    plan = plan_sweep(sc, source=source, linemap=linemap)
    folder = _folder("out", out) or default_sweep_folder(_folder("results", results), sc)
    _fresh(folder, resume, "sweep")
    if kind == "process":
        _check_memory(plan.point(plan.largest), linemap, source, processes=min(workers, len(plan.runs)))
    outcome = run_sweep(plan, folder, executor=kind, workers=workers, scheduler=scheduler, resume=resume,
                        progress=progress, figures=figures, warn=lambda msg: warnings.warn(msg, stacklevel=3))
    _finished(outcome, folder)
    return BatchResult.load(folder)


def compare(scenario: str | Path | Scenario, *, seed: int | None = None, out: str | Path | None = None,
            workers: int = 1, resume: bool = False, progress: bool = False, executor: str = "local",
            scheduler: str | None = None, results: str | Path = "results",
            set: Mapping[str, Any] | None = None, **overrides: Any) -> BatchResult:  # noqa: A002
    """Run a scenario's ``comparison:`` block (``lonesim compare``) and return the finished folder as a :class:`BatchResult`."""
    from sim.runs.compare import default_comparison_folder, plan_comparison, run_comparison

    sc, linemap, source = _scenario(scenario, seed, overrides_from(set, **overrides))
    workers, kind = _workers(workers), _executor(executor, scheduler)
    resume, progress = _flag("resume", resume), _flag("progress", progress)
    plan = plan_comparison(sc, source=source, linemap=linemap)
    folder = _folder("out", out) or default_comparison_folder(_folder("results", results), sc)
    _fresh(folder, resume, "comparison")
    outcome = run_comparison(plan, folder, executor=kind, workers=workers, scheduler=scheduler, resume=resume,
                             progress=progress)
    _finished(outcome, folder)
    return BatchResult.load(folder)


def sensitivity(scenario: str | Path | Scenario, *, seed: int | None = None, out: str | Path | None = None,
                workers: int = 1, resume: bool = False, figures: bool = True, progress: bool = False,
                executor: str = "local", scheduler: str | None = None, results: str | Path = "results",
                set: Mapping[str, Any] | None = None, **overrides: Any) -> BatchResult:  # noqa: A002
    """Run a scenario's ``sensitivity:`` block (``lonesim sensitivity``) and return the folder as a :class:`BatchResult`.

    Its ``timeseries`` needs the runs' daily series: set ``sensitivity.run_folders: true`` in the file
    (or pass ``sensitivity__run_folders=True``)."""
    from sim.runs.sensitivity import default_folder, plan_sensitivity, run_sensitivity

    sc, linemap, source = _scenario(scenario, seed, overrides_from(set, **overrides))
    workers, kind = _workers(workers), _executor(executor, scheduler)
    resume, figures, progress = _flag("resume", resume), _flag("figures", figures), _flag("progress", progress)
    plan = plan_sensitivity(sc, source, linemap)
    if plan.unranged:
        warnings.warn(f"{len(plan.unranged)} parameter(s) described as assumptions have no range in the schema yet "
                      f"and are left out: {', '.join(plan.unranged)}", stacklevel=2)
    folder = _folder("out", out) or default_folder(_folder("results", results), sc)
    _fresh(folder, resume, "sensitivity")
    outcome = run_sensitivity(plan, folder, executor=kind, workers=workers, scheduler=scheduler, resume=resume,
                              progress=progress, figures=figures)
    for note in outcome.notes:
        warnings.warn(note, stacklevel=2)
    _finished(outcome, folder)
    return BatchResult.load(folder)


def load(folder: str | Path) -> RunResult | BatchResult:
    """A finished folder on disk: a run folder as a :class:`RunResult`, a sweep, comparison or sensitivity
    folder as a :class:`BatchResult` (what the functions above return)."""
    path = _folder("folder", folder)
    if path is None:
        raise ScenarioError("folder: must be a folder path (got None)")
    if (path / "manifest.json").is_file():
        return RunResult.load(path)
    return BatchResult.load(path)
