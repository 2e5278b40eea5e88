"""Run folders: written into a locked temporary folder and renamed into place (:mod:`sim.folders`), so a
crash never leaves half a run and a folder lonesim did not write is never replaced. The files are
deterministic: the same scenario and seed give byte-identical files (no timestamps or timings inside them).

Layout of a run folder::

    manifest.json       resolved scenario, seed, replicate, package versions, git commit
    summary.json        prevalences and the mortality-risk proxies (sim.mortality.proxies)
    timeseries.parquet  one row per day
    agents.parquet      final state, one row per person
    edges.parquet       final network (source, target, kind, closeness)
    survey.parquet      the surveys of output.survey_days (if any), one row per person and day
    *.png               figures (sim.plots)
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import subprocess
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

from sim import folders
from sim.config import ScenarioError

PACKAGES = ("lonesim", "mesa", "numpy", "networkx", "pandas", "pyarrow", "pydantic", "matplotlib")


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of Python and the key packages (looked up once per process)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@functools.cache
def git_commit() -> str | None:
    """The commit of the lonesim checkout the code runs from (None outside a git checkout).

    Looked up once per process, when first needed (a ``git`` subprocess, so not at import); a sweep's
    parent records it in ``sweep.json`` when the sweep starts."""
    here = Path(__file__).resolve().parent
    try:
        res = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return res.stdout.strip() + ("-dirty" if dirty else "")


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null; numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented UTF-8 JSON (NaN and infinities as null) to ``path``."""
    path.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def check_writable(parent: Path) -> None:
    """Fail early, with a clear message, if run folders cannot be created under ``parent``."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".lonesim-probe-{uuid.uuid4().hex}"
        probe.mkdir()
        probe.rmdir()
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{parent}: output folder is not writable ({getattr(exc, 'strerror', None) or exc})") from None


#: Every file a run folder can hold (sim.plots writes the three figures, in output.figure_format).
RUN_FILES = frozenset({"manifest.json", "summary.json", "timeseries.parquet", "agents.parquet", "edges.parquet"}
                      | {f"{stem}.{fmt}" for stem in ("timeseries", "distributions", "network")
                         for fmt in ("png", "svg", "pdf")})


def not_a_run_folder(path: Path) -> str | None:
    """None if ``path`` is a run folder lonesim wrote (its manifest says so and it holds only run files),
    else why not, in a few words. Only such a folder may be replaced by ``--overwrite``."""
    path = Path(path)
    if path.is_symlink():
        return "it is a symbolic link"
    if not path.is_dir():
        return "it is not a folder"
    try:
        entries = sorted(os.listdir(path))
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "it has no manifest.json"
    except (OSError, ValueError):
        return "its manifest.json is not readable"
    if not isinstance(manifest, dict) or "lonesim_run" not in manifest:
        return "its manifest.json is not a lonesim run manifest"
    others = [e for e in entries if e not in RUN_FILES or not (path / e).is_file() or (path / e).is_symlink()]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        return f"it holds files lonesim did not write ({shown})"
    return None


def _holds_only_run_files(path: Path) -> bool:
    try:
        return all(e in RUN_FILES and not (path / e).is_symlink() for e in os.listdir(path))
    except OSError:
        return False


def _normal(out: Path) -> Path:
    """``out``, made absolute when its last part is not a name (``.``, ``..``), so it can be renamed."""
    out = Path(out)
    return out.resolve() if out.name in ("", ".", "..") else out


def check_destination(out: Path, overwrite: bool = False, unique: bool = False) -> tuple[int, int]:
    """Check, before a run starts, that it may write ``out``; return what is there now (for :func:`write_run`).

    Raises :class:`ScenarioError` when ``out`` exists and neither ``unique`` (take the next free name)
    nor ``overwrite`` of a lonesim run folder applies, or when its parent is not writable.
    """
    out = _normal(out)
    if not unique and os.path.lexists(out):
        if not overwrite:
            raise ScenarioError(f"{out}: run folder already exists (choose another --out, or --overwrite)")
        reason = not_a_run_folder(out)
        if reason:
            raise ScenarioError(f"{out}: --overwrite replaces only a lonesim run folder: {reason}")
    check_writable(out.parent)
    return folders.identity(out)


def clean_leftovers(parent: Path) -> list[str]:
    """Remove temporary run folders that killed runs left in ``parent`` (one line per folder dealt with)."""
    return folders.remove_stale(Path(parent), removable=_holds_only_run_files)


def write_run(sim, out: Path, figures: bool | None = None, overwrite: bool = False, unique: bool = False,
              expected: tuple[int, int] | None = None) -> Path:
    """Write a finished :class:`sim.simulation.Simulation` to ``out`` atomically; return the folder written.

    The files go to a locked temporary folder beside ``out``, renamed into place when complete
    (:mod:`sim.folders`). ``unique``: if ``out`` is taken, write ``out-2``, ``out-3`` ... instead.
    ``overwrite``: replace ``out`` if it is a lonesim run folder (:func:`not_a_run_folder`) and,
    when ``expected`` is given (from :func:`check_destination`), still the one that was there then.
    Anything else at ``out`` is never touched (:class:`ScenarioError`).
    """
    out = _normal(out)
    if not unique and os.path.lexists(out) and not overwrite:
        raise ScenarioError(f"{out}: run folder already exists (choose another --out, or --overwrite)")
    check_writable(out.parent)
    try:
        with folders.TempFolder(out.parent, out.name) as tmp:
            fill_run_folder(sim, tmp.path, figures)
            return tmp.publish(out, unique=unique, replaceable=not_a_run_folder if overwrite else None,
                               expected=expected)
    except OSError as exc:  # disk full, permissions changed under us ...: nothing was written
        raise ScenarioError(f"{out}: could not write the run folder ({exc.strerror or exc}); nothing was written") from None


def fill_run_folder(sim, folder: Path, figures: bool | None = None) -> None:
    """Write every file of a run folder (manifest, summary, parquet tables, figures) into ``folder``."""
    sc = sim.scenario
    manifest = {
        "lonesim_run": 1,
        "scenario": sc.model_dump(mode="json"),
        "seed": sim.seed,
        "replicate": sim.replicate,
        "people": sim.n,
        "days_simulated": sim.day,
        "versions": package_versions(),
        "git_commit": git_commit(),
    }
    write_json(folder / "manifest.json", manifest)
    write_json(folder / "summary.json", sim.summary())
    sim.timeseries().to_parquet(folder / "timeseries.parquet", index=False)
    if sc.output.agents_file:
        sim.agents_frame().to_parquet(folder / "agents.parquet", index=False)
    sim.edges_frame().to_parquet(folder / "edges.parquet", index=False)
    survey = sim.survey_frame()
    if survey is not None:
        survey.to_parquet(folder / "survey.parquet", index=False)
    if sc.output.figures if figures is None else figures:
        from sim import plots

        plots.run_figures(sim, folder)


def default_run_folder(results_root: Path, scenario_name: str, seed: int) -> Path:
    """``results/<scenario>/seed-<seed>``: the name a run asks for with ``unique=True`` (:func:`write_run`
    then takes ``...-2``, ``-3`` ... if it is taken when the run finishes)."""
    return Path(results_root) / scenario_name / f"seed-{seed}"

