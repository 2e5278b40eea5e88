"""The 1M-person day on a shared machine: quiet, beside a busy process, and two runs at once.

    .venv/bin/python benchmarks/contention.py                       # 1M people, 30 days a run, 2 repeats (~6-10 min)
    .venv/bin/python benchmarks/contention.py --people 200000 --days 20 --repeat 1   # a quick look
    .venv/bin/python benchmarks/contention.py --starsim              # adds Starsim's bare SIS (if installed)

Every measurement is a fresh process that builds the town of ``--scenario`` (default
``scenarios/city_1m.yaml``) at ``--people`` people without burn-in and times ``--days`` simulated days one
by one; the figure is the median day. Thread settings (each a fresh process; the environment is what a
user would set):

* ``default``: lonesim as shipped: every core of the process's affinity, OpenMP threads waiting
  passively (``sim/_threads.py``);
* ``LONESIM_THREADS=1``: one thread;
* ``LONESIM_THREADS=free``: only the cores other processes leave free (``sim/_threads.py``);
* ``v0.2 (2 threads, spinning)``: what v0.2 did: every core, OpenMP's default spin-wait
  (``LONESIM_THREADS=2 OMP_WAIT_POLICY=active``; only with ``--old``, the default).

Conditions: **quiet** (nothing started by the benchmark; other users of the machine are not stopped, so
the load average is printed beside each row), **one busy process** (a pure-Python loop keeping a core at
100%, started before and stopped after each measurement), **two runs at once** (two processes with the
same thread setting started together; each one's median day is reported). Within a condition the thread
settings alternate (A, B, A, B ...) so drift in the machine's speed hits them alike. Prints the table and
the ratios (default / one thread in each condition; each condition / quiet) and writes
``benchmarks/results/contention.md`` and ``.json``.

``--starsim`` adds one quiet row: Starsim's bare SIS (``ss.SIS`` on an ``ss.StaticNet`` of the **same
graph** the town is built on, no demographics; numpy, one thread), for the comparison in
benchmarks/README.md. Starsim is not a dependency of lonesim: ``pip install starsim`` first; without it
the row is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Thread settings: label -> environment added to the child's.
MODES = {
    "default": {},
    "LONESIM_THREADS=1": {"LONESIM_THREADS": "1"},
    "LONESIM_THREADS=free": {"LONESIM_THREADS": "free"},
    "v0.2 (2 threads, spinning)": {"LONESIM_THREADS": "2", "OMP_WAIT_POLICY": "active"},
}

#: SIS parameters of the Starsim row (as benchmarks/run.py's SIS references: infection probability per
#: contact-day, recovery probability per day, share infected on day 0).
SIS_BETA, SIS_GAMMA, SIS_PREVALENCE0 = 0.03, 0.1, 0.3


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _burn(stop) -> None:  # keeps one core busy until told to stop
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


# ============================================================================ children
def child_lonesim(people: int, days: int, scenario: str, seed: int) -> dict:
    """Build the town (no burn-in) and time ``days`` days; the median and the threads each day used."""
    import numba

    from sim import _threads
    from sim.config import load_scenario
    from sim.simulation import Simulation

    sc = load_scenario(scenario, {"population.size": people, "days": days, "burn_in_days": 0})
    t0 = time.perf_counter()
    sim = Simulation(sc, seed=seed, burn_in=False)
    build = time.perf_counter() - t0
    sim.step()  # the first day loads the compiled kernels and starts the thread pool: not timed
    wall, threads = [], []
    for _ in range(days - 1):
        t = time.perf_counter()
        sim.step()
        wall.append(time.perf_counter() - t)
        threads.append(_threads.last_choice() if sim.n >= 20_000 else 1)
    return {"day_s": statistics.median(wall), "days": wall, "threads": threads, "build_s": build,
            "people": sim.n, "ties": int(sim.ties.count_active()), "pool": numba.config.NUMBA_NUM_THREADS}


def child_starsim(people: int, days: int, scenario: str, seed: int) -> dict:
    """Starsim's bare SIS on the same graph (``ss.StaticNet`` of the town's ties), ``days`` days timed."""
    import numpy as np
    import starsim as ss

    from sim.config import load_scenario
    from sim.simulation import build_town

    sc = load_scenario(scenario, {"population.size": people, "days": days, "burn_in_days": 0})
    edges = build_town(sc, seed, 0)[1]
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(edges.n))
    graph.add_edges_from(zip(edges.u.tolist(), edges.v.tolist(), strict=True))
    net = ss.StaticNet(graph=graph)
    del graph
    # Starsim's SIS without immunity: transmission at SIS_BETA per contact-day, infections lasting an
    # exponential 1 / SIS_GAMMA days (the geometric recovery of benchmarks/reference_sis.py in continuous form).
    sis = ss.SIS(beta=ss.perday(SIS_BETA), init_prev=SIS_PREVALENCE0, dur_inf=ss.expon(scale=ss.days(1 / SIS_GAMMA)),
                 imm_boost=0.0, waning=ss.perday(0.0))
    sim = ss.Sim(n_agents=edges.n, networks=net, diseases=sis, start=ss.days(0), stop=ss.days(days + 1),
                 dt=ss.days(1), rand_seed=seed, verbose=0)
    t0 = time.perf_counter()
    sim.init()
    build = time.perf_counter() - t0
    sim.run_one_step()  # not timed, as lonesim's first day
    wall = []
    for _ in range(days - 1):
        t = time.perf_counter()
        sim.run_one_step()
        wall.append(time.perf_counter() - t)
    return {"day_s": statistics.median(wall), "days": wall, "build_s": build, "people": edges.n,
            "ties": int(edges.m), "version": ss.__version__,
            "prevalence": float(np.mean(sim.diseases.sis.infected))}


# ============================================================================ parent
def _start(kind: str, env_extra: dict, a) -> subprocess.Popen:
    env = {**os.environ, "STARSIM_INSTALL_FONTS": "0", **env_extra}
    for k in ("LONESIM_THREADS", "OMP_WAIT_POLICY"):  # only what the mode sets
        if k not in env_extra:
            env.pop(k, None)
    days = min(a.days, a.old_days) if env_extra.get("OMP_WAIT_POLICY") == "active" else a.days
    cmd = [sys.executable, __file__, "--child", kind, "--people", str(a.people), "--days", str(days),
           "--scenario", a.scenario, "--seed", str(a.seed)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a measuring process failed (status {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def measure(condition: str, modes: list[str], a) -> dict[str, list[dict]]:
    """``a.repeat`` rounds of every mode in ``condition``, alternating; per mode a list of child results."""
    out: dict[str, list[dict]] = {m: [] for m in modes}
    for _ in range(a.repeat):
        for mode in modes:
            stop, burner = mp.Event(), None
            if condition == "one busy process":
                burner = mp.Process(target=_burn, args=(stop,), daemon=True)
                burner.start()
                time.sleep(1.0)
            load0 = _load()
            try:
                procs = [_start("lonesim", MODES[mode], a) for _ in range(2 if condition == "two runs at once" else 1)]
                results = [_finish(p) for p in procs]
            finally:
                if burner is not None:
                    stop.set()
                    burner.join()
            for r in results:
                r["load_before"] = load0
                out[mode].append(r)
            days = " / ".join(f"{r['day_s']:.3f}" for r in results)
            threads = " / ".join(f"{statistics.median(r['threads']):.0f}" for r in results)
            print(f"  {condition:>18} | {mode:<27} | {days} s/day | threads {threads} | load {load0:.1f}",
                  flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, default=30, help="simulated days timed per measurement (default 30)")
    ap.add_argument("--repeat", type=int, default=2, help="measurements per thread setting and condition")
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "city_1m.yaml"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--old-days", type=int, default=10,
                    help="days timed in the v0.2 setting (slow under load; default 10)")
    ap.add_argument("--modes", default="default,LONESIM_THREADS=1",
                    help=f"thread settings, comma-separated, from: {', '.join(MODES)} (default: the first two)")
    ap.add_argument("--conditions", default="quiet,one busy process,two runs at once",
                    help="conditions, comma-separated (default: all three)")
    ap.add_argument("--no-old", dest="old", action="store_false", help="skip the v0.2 setting")
    ap.add_argument("--starsim", action="store_true", help="add Starsim's bare SIS on the same graph (quiet)")
    ap.add_argument("--name", default="contention", help="results file name (benchmarks/results/NAME.md, .json)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        fn = child_lonesim if a.child == "lonesim" else child_starsim
        print(json.dumps(fn(a.people, a.days, a.scenario, a.seed)))
        return 0

    modes = [m for m in a.modes.split(",") if m]
    if a.old:
        modes.append("v0.2 (2 threads, spinning)")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"--modes: unknown {unknown} (choose from: {', '.join(MODES)})")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{a.people:,} people, {a.days} days a measurement, {a.repeat} rounds; {os.cpu_count()} cores; "
          f"load average {_load():.1f} at {started}", flush=True)
    table = {}
    for condition in a.conditions.split(","):
        table[condition] = measure(condition, modes, a)
    starsim: dict | str | None = None
    if a.starsim:
        try:
            import starsim  # noqa: F401
        except ImportError:
            starsim = "skipped: Starsim is not installed (`pip install starsim` to add this row)"
        else:
            runs = []
            for _ in range(a.repeat):  # alternating with lonesim's default, quiet
                runs.append(_finish(_start("starsim", {}, a)))
                table["quiet"]["default"].append(_finish(_start("lonesim", MODES["default"], a)))
            starsim = {"day_s": statistics.median(r["day_s"] for r in runs), "runs": runs}
        print(f"  starsim: {starsim if isinstance(starsim, str) else f'{starsim['day_s']:.3f} s/day'}", flush=True)
    text = report(table, starsim, modes, a, started)
    print(text)
    res = ROOT / "benchmarks" / "results"
    (res / f"{a.name}.md").write_text(text)
    (res / f"{a.name}.json").write_text(json.dumps({"table": table, "starsim": starsim, "args": vars(a)}, indent=1))
    print(f"wrote benchmarks/results/{a.name}.md and {a.name}.json")
    return 0


def _med(rs: list[dict]) -> float:
    return statistics.median(r["day_s"] for r in rs)


def report(table: dict, starsim, modes: list[str], a, started: str) -> str:
    """The markdown table and ratios."""
    import numba
    import numpy

    head = "| condition | " + " | ".join(modes) + " | default / one thread | load average |"
    lines = [
        f"# The 1M-person day on a shared machine ({a.people:,} people)",
        "",
        f"`python benchmarks/contention.py --people {a.people} --days {a.days} --repeat {a.repeat}"
        f"{' --starsim' if a.starsim else ''}`, started {started}. Seconds per simulated day: median over "
        f"{a.days - 1} timed days of each run ({min(a.days, a.old_days) - 1} in the v0.2 setting), then the "
        f"median of the {a.repeat} runs (each run of 'two at once' counts). Machine: {os.cpu_count()} cores, "
        f"{platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}, numpy {numpy.__version__}, numba {numba.__version__}.",
        "",
        head,
        "|---|" + "---:|" * (len(modes) + 2),
    ]
    for cond, per_mode in table.items():
        cells = [f"{_med(per_mode[m]):.3f} s" for m in modes]
        ratio = (f"{_med(per_mode['default']) / _med(per_mode['LONESIM_THREADS=1']):.2f}"
                 if {"default", "LONESIM_THREADS=1"} <= set(modes) else "–")
        loads = [r["load_before"] for m in modes for r in per_mode[m] if "load_before" in r]
        lines.append(f"| {cond} | " + " | ".join(cells) + f" | {ratio} | {min(loads):.1f}–{max(loads):.1f} |")
    lines += ["", "Ratios:", ""]
    quiet = {m: _med(table["quiet"][m]) for m in modes} if "quiet" in table else {}
    for cond, per_mode in table.items():
        for m in modes:
            if cond != "quiet" and quiet:
                lines.append(f"- {cond} / quiet, {m}: {_med(per_mode[m]) / quiet[m]:.2f}x")
    if isinstance(starsim, dict) and "default" in quiet:
        lines.append(f"- quiet, lonesim default / Starsim {starsim['runs'][0]['version']} bare SIS: "
                     f"{quiet['default'] / starsim['day_s']:.2f}x ({quiet['default']:.3f} vs {starsim['day_s']:.3f} s "
                     "per day, same graph)")
    elif isinstance(starsim, str):
        lines.append(f"- Starsim row {starsim}")
    threads = {c: statistics.median(t for r in table[c]["default"] for t in r["threads"])
               for c in table if table[c].get("default")}
    lines += ["", "Threads the default chose (median over the timed days): "
              + ", ".join(f"{c} {t:.0f}" for c, t in threads.items()), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
