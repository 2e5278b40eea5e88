"""How long a batch will take on this machine, for dry runs (``lonesim sweep/compare/sensitivity --dry-run``).

The cost of a run grows with its people and its days (burn-in included): a run of ``N`` people and ``D``
days takes about ``N * (setup + D * per_person_day)`` seconds. Both rates are measured here once, by a
short calibration run (:data:`CALIBRATION_PEOPLE` people for :data:`CALIBRATION_DAYS` days, a few seconds),
and kept in ``$XDG_CACHE_HOME/lonesim/speed.json`` (default ``~/.cache``) for this lonesim version and
core count; delete the file to measure again. The estimate leaves out writing the output files and
figures and assumes the machine is as busy as it was during the calibration, so it is a guide (within a
factor of about two), not a promise. Worker processes divide the time up to the number of cores.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CALIBRATION_PEOPLE = 2000
CALIBRATION_DAYS = 30


def cache_file() -> Path:
    """``$XDG_CACHE_HOME/lonesim/speed.json`` (``~/.cache/lonesim/speed.json`` by default)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "lonesim" / "speed.json"


def _key() -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("lonesim")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        v = "source"
    return {"lonesim": v, "cores": os.cpu_count() or 1}


def measure() -> dict[str, float]:
    """Time a small run: seconds of set-up per person, and seconds per person-day of simulation."""
    from sim.config import Scenario
    from sim.simulation import Simulation

    sc = Scenario.model_validate({"name": "calibration", "population": {"size": CALIBRATION_PEOPLE},
                                  "days": CALIBRATION_DAYS + 2, "burn_in_days": 0})
    sim = Simulation(sc, burn_in=False)
    sim.run(2)  # the first days load the compiled kernels: not part of the rate
    t0 = time.perf_counter()
    sim.run(CALIBRATION_DAYS)
    step = time.perf_counter() - t0
    setup = sim.timings["network_s"] + sim.timings["setup_s"]
    return {"seconds_per_person_day": step / (CALIBRATION_PEOPLE * CALIBRATION_DAYS),
            "setup_seconds_per_person": setup / CALIBRATION_PEOPLE}


def speed() -> dict[str, float]:
    """This machine's rates (:func:`measure`), from the cache when it was measured for this version and core
    count, else measured now and cached (a cache that cannot be written is not an error)."""
    path, key = cache_file(), _key()
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and cached.get("key") == key:
            return {k: float(cached[k]) for k in ("seconds_per_person_day", "setup_seconds_per_person")}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    rates = measure()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"key": key, **rates}, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return rates


def run_seconds(people: int, days: int, rates: dict[str, float]) -> float:
    """Estimated seconds of one run of ``people`` for ``days`` days (burn-in included)."""
    return people * (rates["setup_seconds_per_person"] + days * rates["seconds_per_person_day"])


def batch_seconds(runs: Iterable[tuple[int, int]], workers: int, rates: dict[str, float]) -> float:
    """Estimated wall time of runs ``(people, days)`` on ``workers`` processes: the total divided by the
    processes that can run at once (no more than the cores), and never less than the longest run."""
    times = [run_seconds(n, d, rates) for n, d in runs]
    if not times:
        return 0.0
    parallel = max(1, min(workers, len(times), os.cpu_count() or 1))
    return max(sum(times) / parallel, max(times))


def human_seconds(seconds: float) -> str:
    """``40 s``, ``12 min``, ``3.5 h``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
