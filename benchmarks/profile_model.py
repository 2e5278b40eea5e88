"""Where does the full model's day go?  Phase breakdown plus a pyinstrument profile.

    python benchmarks/profile_model.py                 # 1,000,000 people, 10 days
    python benchmarks/profile_model.py --n 100000 --days 20 --no-pyinstrument

Two views of the same days:

1. Phase table: every kernel that ``sim.simulation`` calls is wrapped (in this process only; no
   source is changed) with a timer that records wall time *and* this process's CPU time, so the
   shares stay meaningful when other jobs share the machine.  Shares are of the summed day.
2. pyinstrument (``pip install pyinstrument``; not a project dependency), if installed: the call
   tree with the top functions by self time.  Written to ``benchmarks/results/profile_<n>.txt``.

The model is built with ``burn_in=False`` (set-up is timed separately and not profiled).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (module attribute in sim.simulation, label) - the kernels the day calls, in day order
PHASES = [
    ("apply_shocks", "0 shocks"),
    ("retire", "0 retirement"),
    ("meet", "1-2 meetings (contacts + smiles)"),
    ("do_kind_acts", "3 kind acts"),
    ("resting_mood", "4 resting mood"),
    ("sisa_step", "4 contagion (SISa)"),
    ("_day_totals", "4 day totals"),
    ("update_mood", "4 mood"),
    ("update_loneliness", "5 loneliness"),
    ("update_habit", "5 habits"),
    ("update_ties", "6 ties"),
    ("classify", "6 classify"),
    ("update_health", "7 health"),
]


class PhaseTimer:
    def __init__(self):
        self.wall = defaultdict(float)
        self.cpu = defaultdict(float)
        self.calls = defaultdict(int)
        self._depth = 0

    def wrap(self, fn, label):
        @functools.wraps(fn)
        def inner(*a, **k):
            if self._depth:  # nested call: charged to the outer phase
                return fn(*a, **k)
            self._depth += 1
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                self.wall[label] += time.perf_counter() - t
                self.cpu[label] += time.process_time() - c
                self.calls[label] += 1
                self._depth -= 1

        return inner


def instrument(timer: PhaseTimer) -> None:
    """Wrap the day's kernels as seen from sim.simulation (module globals and two methods)."""
    from sim import mortality, simulation
    from sim.ties import Ties

    for attr, label in PHASES:
        setattr(simulation, attr, timer.wrap(getattr(simulation, attr), label))
    mortality.assess_day = timer.wrap(mortality.assess_day, "8 mortality: hazards + ledger")
    mortality.draw_deaths = timer.wrap(mortality.draw_deaths, "8 mortality: deaths")
    simulation.Simulation._bury = timer.wrap(simulation.Simulation._bury, "8 mortality: burials")
    Ties.degrees = timer.wrap(Ties.degrees, "Ties.degrees (after ties / burials)")
    simulation.Simulation._record = timer.wrap(simulation.Simulation._record, "record time series")
    simulation.Programmes.effects = timer.wrap(simulation.Programmes.effects, "0 programmes")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=None)
    ap.add_argument("--no-pyinstrument", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    a = ap.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import load_bench_scenario  # noqa: E402

    from sim.simulation import Simulation

    sc = load_bench_scenario(a.scenario, a.n, a.days)
    t0 = time.perf_counter()
    sim = Simulation(sc, seed=a.seed, burn_in=False)
    print(f"n={a.n:,}: graph {sim.timings['network_s']:.2f} s, set-up {sim.timings['setup_s']:.2f} s "
          f"(built in {time.perf_counter() - t0:.2f} s); {sim.ties.count_active():,} ties")

    timer = PhaseTimer()
    instrument(timer)
    prof = None
    if not a.no_pyinstrument:
        try:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.002)
        except ImportError:
            print("pyinstrument not installed: phase table only (pip install pyinstrument)")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if prof:
        prof.start()
    sim.run(days=a.days)
    if prof:
        prof.stop()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    lines = [f"# Full-model day at {a.n:,} people ({a.days} days; wall {wall / a.days:.3f} s/day, "
             f"CPU {cpu / a.days:.3f} s/day)", "",
             "| phase | wall ms/day | CPU ms/day | share of CPU |", "|---|---:|---:|---:|"]
    tracked = sum(timer.cpu.values())
    for label in sorted(timer.cpu, key=lambda k: -timer.cpu[k]):
        lines.append(f"| {label} | {1e3 * timer.wall[label] / a.days:.1f} | {1e3 * timer.cpu[label] / a.days:.1f} "
                     f"| {100 * timer.cpu[label] / cpu:.1f}% |")
    lines.append(f"| (rest of `_advance`: glue arithmetic, gains, casts) | | {1e3 * (cpu - tracked) / a.days:.1f} "
                 f"| {100 * (cpu - tracked) / cpu:.1f}% |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"phases_{a.n}.md").write_text(text)
    if prof:
        tree = prof.output_text(show_all=False, timeline=False)
        (out / f"profile_{a.n}.txt").write_text(tree)
        print(tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
