"""Run folders: written into a temporary folder and renamed into place, so a crash never leaves
half a run. The files are deterministic: the same scenario and seed give byte-identical files
(no timestamps or timings inside them).

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
import shutil
import subprocess
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

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
    except OSError as exc:
        raise ScenarioError(f"{parent}: output folder is not writable ({exc.strerror or exc})") from None


def write_run(sim, out: Path, figures: bool | None = None, overwrite: bool = False) -> Path:
    """Write a finished :class:`sim.simulation.Simulation` to ``out`` atomically; return ``out``."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise ScenarioError(f"{out}: run folder already exists (choose another --out, or --overwrite)")
    check_writable(out.parent)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        fill_run_folder(sim, tmp, figures)
        if out.exists():
            trash = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, trash)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


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
    """``results/<scenario>/seed-<seed>``, or ``...-2``, ``-3`` ... if taken (never overwrites)."""
    base = results_root / scenario_name / f"seed-{seed}"
    if not base.exists():
        return base
    k = 2
    while (base.parent / f"{base.name}-{k}").exists():
        k += 1
    return base.parent / f"{base.name}-{k}"

