"""Threads for small towns: a 5,000-person year with the day's kernels on one thread against two.

    .venv/bin/python benchmarks/small_town_threads.py [--people 5000] [--repeat 3]

Below ``sim._core.SERIAL_BELOW`` people a run keeps its kernels on one thread (``kernel_threads``). This
measures why: the same run (baseline scenario, ``--people`` people, 365 days after the burn-in) with the
threshold in force (one thread) and with it lifted (all cores), alternating, ``--repeat`` times each;
first on the machine as it is, then beside one busy process that keeps a core at 100% (what a sweep
worker, a browser or a second run does to a parallel loop: it waits for a descheduled thread). Prints
the median wall time of the 365 days of each and their ratio, and writes
``benchmarks/results/small_town_threads.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _burn(stop) -> None:  # keeps one core busy until told to stop
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def one_run(people: int, parallel: bool) -> float:
    """Seconds of the 365 recorded days of one run (the kernels compiled beforehand)."""
    import sim._core as core
    from sim.config import load_scenario
    from sim.simulation import Simulation

    saved = core.SERIAL_BELOW
    core.SERIAL_BELOW = 0 if parallel else saved
    try:
        sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"population.size": people, "days": 365})
        sim = Simulation(sc)
        t0 = time.perf_counter()
        sim.run()
        return time.perf_counter() - t0
    finally:
        core.SERIAL_BELOW = saved


def measure(people: int, repeat: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"one thread": [], "all cores": []}
    for _ in range(repeat):
        out["one thread"].append(one_run(people, parallel=False))
        out["all cores"].append(one_run(people, parallel=True))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    import numba

    from sim._core import SERIAL_BELOW

    one_run(1000, parallel=True)  # load the compiled kernels before timing
    rows = []
    for label in ("machine as it is", "beside one busy process"):
        stop, burner = mp.Event(), None
        if label != "machine as it is":
            burner = mp.Process(target=_burn, args=(stop,), daemon=True)
            burner.start()
        try:
            t = measure(a.people, a.repeat)
        finally:
            if burner is not None:
                stop.set()
                burner.join()
        one, par = statistics.median(t["one thread"]), statistics.median(t["all cores"])
        rows.append(f"| {label} | {one:.2f} s | {par:.2f} s | {par / one:.2f} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        f"# Threads for small towns ({a.people:,} people x 365 days; median of {a.repeat}, alternating)",
        "",
        f"`python benchmarks/small_town_threads.py --people {a.people} --repeat {a.repeat}`; {numba.config.NUMBA_NUM_THREADS} "
        f"cores; runs below {SERIAL_BELOW:,} people keep their kernels on one thread.",
        "",
        "| machine | one thread | all cores | all cores / one thread |",
        "|---|---:|---:|---:|",
        *rows,
        "",
    ])
    out = ROOT / "benchmarks" / "results" / "small_town_threads.md"
    out.write_text(text)
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
