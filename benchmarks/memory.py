"""Measure the memory a run needs, to (re)fit the byte costs in sim/memory.py.

    .venv/bin/python benchmarks/memory.py            # ~2 minutes on 2 cores; writes benchmarks/results/memory.md

Each case is ``lonesim run`` in a fresh process (the command a user runs: network, set-up, days,
parquet files and figures), its peak resident memory taken from the kernel when it exits (``wait4``)
and its peak address space (``VmPeak``) sampled while it runs. The cases vary one thing at a time:
people and ties with the array generators, the same with NetworkX, and the length of the run. The
fitted costs are printed beside the ones in ``sim/memory.py`` (``COSTS``): when the model's state grows
(new per-person arrays, a bigger tie table), run this, copy the new numbers into ``COSTS`` (rounded
up) and run ``tests/test_memory.py``, which checks the estimate against two measured runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MB = 1024 * 1024


def measure(sets: dict[str, object], figures: bool = True) -> tuple[int, int]:
    """``(peak RSS, peak address space)`` in bytes of ``lonesim run scenarios/baseline.yaml --set ...``."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "baseline.yaml"), "--out",
                str(Path(tmp) / "run"), "-q"] + [x for k, v in sets.items() for x in ("--set", f"{k}={v}")]
        if not figures:
            args.append("--no-figures")
        proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        vm_peak = [0]

        def sample() -> None:
            while proc.returncode is None:
                try:
                    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                        if line.startswith("VmPeak:"):
                            vm_peak[0] = max(vm_peak[0], int(line.split()[1]) * 1024)
                except OSError:
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        thread.join()
        if proc.returncode != 0:
            raise SystemExit(f"case {sets} failed: {proc.stderr.read().decode()[-2000:]}")
        return usage.ru_maxrss * 1024, vm_peak[0]


def fit(rows: list[tuple[float, ...]], peaks: list[float]) -> np.ndarray:
    """Least-squares costs (bytes per unit) of the columns of ``rows`` against the peaks."""
    coef, *_ = np.linalg.lstsq(np.array(rows, float), np.array(peaks, float), rcond=None)
    return coef


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="Multiply the population sizes (e.g. 0.5 for a quick look).")
    args = ap.parse_args()
    from sim.config import Scenario
    from sim.memory import COSTS, estimate_bytes

    def people(n: float) -> int:
        return int(n * args.scale)

    base = {"days": 5, "burn_in_days": 2}
    cases = [  # (label, sets)
        ("arrays", {**base, "population.size": people(100_000), "network.mean_degree": 4, "network.generator": "arrays"}),
        ("arrays", {**base, "population.size": people(100_000), "network.mean_degree": 20, "network.generator": "arrays"}),
        ("arrays", {**base, "population.size": people(400_000), "network.mean_degree": 4, "network.generator": "arrays"}),
        ("arrays", {**base, "population.size": people(400_000), "network.mean_degree": 20, "network.generator": "arrays"}),
        ("networkx", {**base, "population.size": people(20_000), "network.mean_degree": 4, "network.generator": "networkx"}),
        ("networkx", {**base, "population.size": people(20_000), "network.mean_degree": 20, "network.generator": "networkx"}),
        ("networkx", {**base, "population.size": people(60_000), "network.mean_degree": 4, "network.generator": "networkx"}),
        ("networkx", {**base, "population.size": people(60_000), "network.mean_degree": 20, "network.generator": "networkx"}),
    ]
    small = {**base, "population.size": 1000, "network.mean_degree": 10}
    results = []
    rss0, vm0 = measure(small)
    print(f"process (1,000 people): peak RSS {rss0 / MB:.0f} MB, peak address space {vm0 / MB:.0f} MB", flush=True)
    for label, sets in cases:
        rss, vm = measure(sets)
        sc = Scenario().with_overrides(sets)
        n = sc.population.size
        ties = n * min(sc.network.mean_degree, n - 1) / 2
        est = estimate_bytes(sc)
        results.append((label, n, ties, rss, vm, est))
        print(f"{label:9s} {n:>9,} people {ties:>11,.0f} ties: peak RSS {rss / MB:7.0f} MB, address space "
              f"{vm / MB:7.0f} MB; estimate {est.total / MB:7.0f} MB ({est.total / rss:.2f}x)", flush=True)
    arr = [(n, t) for lab, n, t, *_ in results if lab == "arrays"]
    arr_peaks = [r - rss0 for lab, _, _, r, *_ in results if lab == "arrays"]
    per_person, per_tie = fit(arr, arr_peaks)
    nx_rows = [(n, t) for lab, n, t, *_ in results if lab == "networkx"]
    nx_extra = [r - rss0 - per_person * n - per_tie * t for lab, n, t, r, *_ in results if lab == "networkx"]
    nx_person, nx_tie = fit(nx_rows, nx_extra)
    vm_reserve = max(v - r for *_, r, v, _ in results + [("", 0, 0, rss0, vm0, None)])
    fitted = {"process": rss0, "per_person": per_person, "per_tie": per_tie, "networkx_per_person": nx_person,
              "networkx_per_tie": nx_tie, "address_space_reserve": vm_reserve}
    lines = ["# Memory of a run: measured peaks and the fitted costs", "",
             "`python benchmarks/memory.py`: each case is `lonesim run scenarios/baseline.yaml` (5 days, 2 burn-in "
             "days, figures on) in a fresh process; peak RSS from `wait4`, peak address space sampled from "
             "`/proc/<pid>/status`.", "",
             "| generator | people | ties | peak RSS, MB | peak address space, MB | estimate, MB | estimate / peak |",
             "|---|---|---|---|---|---|---|",
             f"| (process) | 1,000 | 5,000 | {rss0 / MB:.0f} | {vm0 / MB:.0f} | | |"]
    lines += [f"| {lab} | {n:,} | {t:,.0f} | {r / MB:.0f} | {v / MB:.0f} | {e.total / MB:.0f} | {e.total / r:.2f} |"
              for lab, n, t, r, v, e in results]
    lines += ["", "| cost | fitted | in sim/memory.py (COSTS) |", "|---|---|---|"]
    lines += [f"| {k} | {v:,.0f} | {COSTS.get(k, float('nan')):,.0f} |" for k, v in fitted.items()]
    text = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "memory.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
