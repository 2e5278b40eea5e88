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


def measure(sets: dict[str, object], figures: bool = True) -> tuple[int, int, int]:
    """``(peak RSS, peak address space, ties)`` of ``lonesim run scenarios/baseline.yaml --set ...``: bytes,
    bytes, and the ties the run ended with (rows of its edges.parquet)."""
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
        import pyarrow.parquet as pq

        ties = pq.ParquetFile(Path(tmp) / "run" / "edges.parquet").metadata.num_rows
        return usage.ru_maxrss * 1024, vm_peak[0], ties


def fit(rows: list[tuple[float, ...]], peaks: list[float]) -> np.ndarray:
    """Least-squares costs (bytes per unit) of the columns of ``rows`` against the peaks."""
    coef, *_ = np.linalg.lstsq(np.array(rows, float), np.array(peaks, float), rcond=None)
    return coef


def traced_peak(fn) -> float:
    """Peak bytes Python allocates while ``fn()`` runs (tracemalloc: numpy arrays included)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def networkx_costs() -> tuple[float, float, list[str]]:
    """Bytes per person and per tie of building a graph with NetworkX (the stochastic block model,
    the most costly family), measured in this process at four sizes."""
    from sim.config import Scenario
    from sim.networks import _build_networkx, from_networkx

    rows, peaks, lines = [], [], []
    for n, k in ((20_000, 4), (20_000, 20), (60_000, 4), (60_000, 20)):
        cfg = Scenario().with_overrides({"network.kind": "communities", "network.mean_degree": k}).network
        box: dict[str, int] = {}

        def build(cfg=cfg, n=n, box=box) -> None:
            box["m"] = from_networkx(_build_networkx(cfg, n, np.random.default_rng(1))).m

        peak = traced_peak(build)
        rows.append((n, box["m"]))
        peaks.append(peak)
        lines.append(f"| communities | {n:,} | {box['m']:,} | {peak / MB:.0f} |")
    per_person, per_tie = fit(rows, peaks)
    return per_person, per_tie, lines


def edgelist_cost(tmp: Path) -> tuple[float, str]:
    """Bytes per line of reading a text edge list (1,000,000 lines, string labels)."""
    from sim.networks import _load_edgelist

    path = tmp / "edges.csv"
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 200_000, (2, 1_000_000))
    path.write_text("".join(f"p{x},p{y}\n" for x, y in zip(a, b)))
    peak = traced_peak(lambda: _load_edgelist(str(path), 0, 0))
    return peak / 1_000_000, f"| text edge list | 1,000,000 lines | {peak / MB:.0f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="Multiply the population sizes (e.g. 0.5 for a quick look).")
    args = ap.parse_args()
    from sim.config import Scenario
    from sim.memory import COSTS, MARGIN, POPULATION_TIES_PER_PERSON, estimate_bytes

    def people(n: float) -> int:
        return int(n * args.scale)

    base = {"days": 5, "burn_in_days": 2}
    # the default population network (its tie count follows from the tie rates), then an array family
    # whose mean degree varies the ties independently of the people
    cases = [("population", {**base, "population.size": people(n)}) for n in (100_000, 400_000, 1_000_000)]
    arrays = [(100_000, 4), (100_000, 20), (400_000, 4), (400_000, 20)]
    cases += [("arrays", {**base, "population.size": people(n), "network.mean_degree": k, "network.generator": "arrays",
                          "network.kind": "watts_strogatz"}) for n, k in arrays]
    cases += [("networkx", {**base, "population.size": people(n), "network.mean_degree": k, "network.generator": "networkx",
                            "network.kind": "communities"}) for n, k in ((20_000, 20), (60_000, 20))]
    small = {**base, "population.size": 1000, "network.mean_degree": 10}
    rss0, vm0, _ = measure(small)
    print(f"process (1,000 people): peak RSS {rss0 / MB:.0f} MB, peak address space {vm0 / MB:.0f} MB", flush=True)
    results = []
    for label, sets in cases:
        rss, vm, ties = measure(sets)
        sc = Scenario().with_overrides(sets)
        n = sc.population.size
        results.append((label, n, ties, rss, vm, estimate_bytes(sc)))
        print(f"{label:9s} {n:>9,} people {ties:>11,.0f} ties: peak RSS {rss / MB:7.0f} MB, address space "
              f"{vm / MB:7.0f} MB; estimate {results[-1][5].total / MB:7.0f} MB", flush=True)
    arr = [(1.0, n, t) for lab, n, t, *_ in results if lab != "networkx"]
    process, per_person, per_tie = fit(arr, [r for lab, _, _, r, *_ in results if lab != "networkx"])
    pop = [(n, t) for lab, n, t, *_ in results if lab == "population"]
    ties_per_person = sum(t for _, t in pop) / sum(n for n, _ in pop)
    nx_person, nx_tie, nx_lines = networkx_costs()
    with tempfile.TemporaryDirectory() as tmp:
        per_line, el_line = edgelist_cost(Path(tmp))
    vm_reserve = max(v - r for _, _, _, r, v, _ in results + [("", 0, 0, rss0, vm0, None)])
    fitted = {"process": process, "per_person": per_person, "per_tie": per_tie, "networkx_per_person": nx_person,
              "networkx_per_tie": nx_tie, "edgelist_per_line": per_line, "address_space_reserve": vm_reserve}
    lines = ["# Memory of a run: measured peaks and the fitted costs", "",
             "`python benchmarks/memory.py`. End to end: `lonesim run scenarios/baseline.yaml` (5 days, 2 burn-in "
             "days, figures on) in a fresh process; ties counted from its edges.parquet; peak RSS from `wait4`, "
             "peak address space sampled from "
             f"`/proc/<pid>/status`. The estimate is sim/memory.py's (costs in COSTS, times MARGIN = {MARGIN}).", "",
             "| generator | people | ties | peak RSS, MB | peak address space, MB | estimate, MB | estimate / peak |",
             "|---|---|---|---|---|---|---|",
             f"| (process) | 1,000 | 5,000 | {rss0 / MB:.0f} | {vm0 / MB:.0f} | | |"]
    lines += [f"| {lab} | {n:,} | {t:,.0f} | {r / MB:.0f} | {v / MB:.0f} | {e.total / MB:.0f} | {e.total / r:.2f} |"
              for lab, n, t, r, v, e in results]
    lines += ["", "Building a graph with NetworkX (in one process, tracemalloc peak):", "",
              "| family | people | ties | peak, MB |", "|---|---|---|---|", *nx_lines, el_line, "",
              "| cost | fitted | in sim/memory.py (COSTS) |", "|---|---|---|"]
    lines += [f"| {k} | {v:,.0f} | {COSTS.get(k, float('nan')):,.0f} |" for k, v in fitted.items()]
    lines += [f"| population ties per person | {ties_per_person:.2f} | {POPULATION_TIES_PER_PERSON} "
              "(POPULATION_TIES_PER_PERSON) |"]
    lines += [f"| per_day | (not fitted: 20 float64 a day and their output copies) | {COSTS['per_day']:,.0f} |"]
    text = "\n".join(lines) + "\n"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "memory.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
