"""Time the baseline scenario (10,000 people, 365 days): median of repeats, split into phases.

    .venv/bin/python benchmarks/baseline.py [--repeats 3] [--scenario scenarios/baseline.yaml]

Writes benchmarks/results/baseline.md. Timings on shared machines are noisy: the median is quoted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from sim.config import load_scenario
from sim.simulation import Simulation

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scenario", default=str(HERE.parent / "scenarios" / "baseline.yaml"))
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    Simulation(sc.with_overrides({"population.size": 200, "days": 2, "burn_in_days": 1})).run()  # compile/load kernels
    rows = []
    for r in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        sim = Simulation(sc).run()
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append((sim.timings["network_s"], sim.timings["setup_s"], sim.timings["step_s"], total, cpu))
        print(f"repeat {r + 1}: network {rows[-1][0]:.2f}s, set-up+burn-in {rows[-1][1]:.2f}s, "
              f"{sc.days} days {rows[-1][2]:.2f}s, total {total:.2f}s (CPU {cpu:.2f}s), "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    med = [statistics.median(col) for col in zip(*rows)]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").exists() else platform.processor()
    text = (
        f"# Baseline scenario timing\n\n"
        f"`{Path(args.scenario).name}`: {sc.population.size:,} people, {sc.days} days (+{sc.burn_in_days} burn-in days), "
        f"median of {args.repeats} runs on {cpu}, Python {platform.python_version()}, numpy {np.__version__}.\n\n"
        f"| phase | seconds |\n|---|---|\n| network | {med[0]:.2f} |\n| set-up and burn-in | {med[1]:.2f} |\n"
        f"| {sc.days} simulated days | {med[2]:.2f} |\n| total (wall) | {med[3]:.2f} |\n"
        f"| total (CPU of this process) | {med[4]:.2f} |\n\n"
        f"1-minute load average at the end: {os.getloadavg()[0]:.1f} (2 cores; above ~1 the wall times are inflated "
        f"by other work). The kernels are compiled once, by scripts/install.sh (~26 s CPU, cached on disk); "
        f"the first repeat here runs after a warm-up run.\n"
    )
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "baseline.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
