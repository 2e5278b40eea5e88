"""Time building a town's population network (``sim.simulation.build_town``) in a fresh process.

    .venv/bin/python benchmarks/network_build.py --people 10000000             # this tree
    .venv/bin/python benchmarks/network_build.py --people 10000000 --sim-path OTHER_CHECKOUT   # A/B

Builds ``scenarios/city_1m.yaml`` at ``--people`` people (after a 30,000-person warm-up that loads the
compiled kernels) and prints wall and CPU seconds (this process, all threads), the number of ties, the
peak resident memory and the load average. Run two trees back to back and compare CPU seconds on a
shared machine (benchmarks/README.md, "The 10M network build").
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=10_000_000)
    ap.add_argument("--sim-path", default=str(Path(__file__).resolve().parent.parent),
                    help="the source tree to time (default: this one)")
    a = ap.parse_args(argv)
    sys.path.insert(0, a.sim_path)
    from sim.config import load_scenario
    from sim.simulation import build_town

    scenario = Path(a.sim_path) / "scenarios" / "city_1m.yaml"
    build_town(load_scenario(scenario, {"population.size": 30_000}), 1)
    sc = load_scenario(scenario, {"population.size": a.people})
    t, c = time.perf_counter(), time.process_time()
    _, edges, _ = build_town(sc, 1)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{a.sim_path}: {a.people:,} people, {edges.m:,} ties: wall {wall:.1f} s, CPU {cpu:.1f} s, "
          f"peak {peak:.2f} GB, load average {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
