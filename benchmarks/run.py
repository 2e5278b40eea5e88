"""Scale benchmark: the full lonesim model against two SIS reference points, per population size.

    python benchmarks/run.py                          # 1k, 10k, 100k, 1M; 365 days of the full model
    python benchmarks/run.py --sizes 1000,10000 --days 30
    python benchmarks/run.py --with-10m               # adds 10M people (several minutes, ~GBs)

For every size, each measurement runs in a *fresh subprocess* (so ``ru_maxrss`` is that size's own
peak resident memory, interpreter and imports included):

* ``full``      - the full model (``sim.simulation.Simulation``, arrays only, no Mesa objects):
                  graph build (``timings['network_s']``), set-up (population + tie table, burn-in
                  excluded), then ``--days`` days stepped one at a time; seconds per simulated day is
                  the median over days.  The burn-in a normal run adds before day 0 is reported as
                  ``burn_in_days x median day`` in the projected run time.  Its compiled kernels use
                  every core (numba's default: 2 here).
* ``full_1t``   - the same with the kernels held to one thread (``set_threads(1)``): the
                  like-for-like comparison with the single-threaded references (default at 100k and
                  1M; ``--one-thread-sizes``).
* ``numpy_sis`` - bare SIS contagion over the same graph's CSR (one Bernoulli per tie direction per
                  day): the floor any array-based daily step pays.  Median over ``--sis-days`` days.
* ``mesa_sis``  - the same SIS written the idiomatic Mesa way (one agent per person on a
                  ``mesa.discrete_space.Network``, ``agents.shuffle_do("step")``); only at
                  <= ``--mesa-max`` people and for a few days (it costs ~0.7 s per day at 100k).

"The same graph": every worker rebuilds the scenario's network with ``sim.simulation.build_town``
from the run's network seed stream, exactly as ``Simulation`` does, so all three see identical ties.

Writes ``benchmarks/results/scale.csv``, ``benchmarks/results/scale.md`` and ``docs/img/scale.png``
and prints the machine, the table and the two ratios the scale issue targets:
full-model day / bare numpy SIS day at 1M (target <= 5x) and idiomatic Mesa SIS day / full-model
day at 100k (target >= 50x).
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # (run as a script: its siblings)
from run_report import fmt_s, machine_info, ratios, write_figure, write_markdown  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SCENARIO = ROOT / "scenarios" / "city_1m.yaml"
FALLBACK_SCENARIO = ROOT / "scenarios" / "baseline.yaml"
RESULTS = ROOT / "benchmarks" / "results"
FIGURE = ROOT / "docs" / "img" / "scale.png"

SIS_BETA = 0.03  # infection probability per contact-day (tie direction per day)
SIS_GAMMA = 0.1  # recovery probability per day
SIS_PREVALENCE0 = 0.3  # start near the endemic level so per-day cost is steady

FIELDS = [
    "kind", "threads", "people", "ties", "days", "graph_s", "setup_s", "day_s_median", "day_s_p10", "day_s_p90",
    "day_cpu_s_median", "step_total_s", "load_avg_1m", "run_365_s", "peak_mb", "import_mb", "loneliness_prevalence",
    "isolation_prevalence",
    "content_share", "mean_mood", "status",
]


# ============================================================================ scenario / graph
def scenario_path(path: str | None) -> Path | None:
    """``path``, else scenarios/city_1m.yaml, else scenarios/baseline.yaml; None = built-in defaults."""
    if path:
        return Path(path)
    for p in (DEFAULT_SCENARIO, FALLBACK_SCENARIO):
        if p.exists():
            return p
    return None


def load_bench_scenario(path: str | None, n: int, days: int):
    """The benchmark scenario with ``population.size = n`` and ``days`` days."""
    from sim.config import Scenario, load_scenario

    p = scenario_path(path)
    sc = load_scenario(p) if p is not None else Scenario()
    return sc.with_overrides({"population.size": int(n), "days": int(max(days, 1))})


def build_graph(sc, seed: int):
    """The exact network ``Simulation(sc, seed)`` builds (same seed streams)."""
    from sim.simulation import build_town

    return build_town(sc, seed, 0)[1]


def _rss_mb() -> float:
    """Peak resident memory of this process so far, MB.

    ``VmHWM`` of the process's own address space; ``ru_maxrss`` is the fallback off Linux.  (On
    Linux ``ru_maxrss`` carries the *parent's* high-water mark across fork + exec, which would
    charge every worker the driver's ~190 MB.)
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KB, macOS: bytes


def _time_days(step, days: int):
    """Call ``step()`` ``days`` times; return per-day wall and CPU (this process) seconds."""
    wall, cpu = [], []
    for _ in range(days):
        t, c = time.perf_counter(), time.process_time()
        step()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def _day_stats(wall, cpu) -> dict:
    import numpy as np

    med, p10, p90 = _quantiles(wall)
    return {"day_s_median": med, "day_s_p10": p10, "day_s_p90": p90, "day_cpu_s_median": float(np.median(cpu)),
            "step_total_s": float(sum(wall)), "load_avg_1m": os.getloadavg()[0]}


def _quantiles(xs):
    import numpy as np

    a = np.asarray(xs, dtype=float)
    return float(np.median(a)), float(np.percentile(a, 10)), float(np.percentile(a, 90))


# ============================================================================ workers
def worker_full(n: int, days: int, seed: int, scenario: str | None, threads: int | None = None) -> dict:
    import_mb = _rss_mb()
    from sim._core import set_threads
    from sim.simulation import Simulation

    threads = set_threads(threads)

    sc = load_bench_scenario(scenario, n, days)
    sim = Simulation(sc, seed=seed, burn_in=False)
    ties0 = int(sim.ties.count_active())
    wall, cpu = _time_days(sim.step, days)
    stats = _day_stats(wall, cpu)
    stats["first_day_s"] = wall[0]  # includes compiling the kernels when the numba cache is cold
    med = stats["day_s_median"]
    ts = sim.timeseries()
    last = ts.iloc[-1]
    return {
        "kind": "full" if threads > 1 else "full_1t", "threads": threads, "people": sim.n, "ties": ties0, "days": days,
        "graph_s": sim.timings["network_s"], "setup_s": sim.timings["setup_s"], **stats,
        "run_365_s": sim.timings["network_s"] + sim.timings["setup_s"] + (365 + sc.burn_in_days) * med,
        "burn_in_days": sc.burn_in_days,
        "peak_mb": _rss_mb(), "import_mb": import_mb,
        "loneliness_prevalence": float(ts["loneliness_prevalence"].mean()),
        "isolation_prevalence": float(ts["isolation_prevalence"].mean()),
        "content_share": float(ts["content_share"].mean()),
        "mean_mood": float(last["mean_mood"]),
        "status": "ok",
    }


def worker_numpy_sis(n: int, days: int, seed: int, scenario: str | None) -> dict:
    import_mb = _rss_mb()
    import numpy as np
    from benchmarks_reference import reference_sis as ref

    from sim import fastgraph, networks, simulation  # noqa: F401 - imported before timing

    sc = load_bench_scenario(scenario, n, days)
    t0 = time.perf_counter()
    edges = build_graph(sc, seed)
    graph_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    indptr, nbr, _ = fastgraph.csr_from_edges(edges.n, edges.u, edges.v)
    rng = np.random.default_rng(seed)
    model = ref.NumpySIS(indptr, nbr, SIS_BETA, SIS_GAMMA, ref.initial_infected(edges.n, SIS_PREVALENCE0, rng), rng)
    setup_s = time.perf_counter() - t0
    stats = _day_stats(*_time_days(model.step, days))
    med = stats["day_s_median"]
    return {
        "kind": "numpy_sis", "people": edges.n, "ties": edges.m, "days": days, "graph_s": graph_s,
        "setup_s": setup_s, **stats, "run_365_s": graph_s + setup_s + 365 * med,
        "peak_mb": _rss_mb(), "import_mb": import_mb,
        "content_share": float(model.infected.mean()), "status": "ok",
    }


def worker_mesa_sis(n: int, days: int, seed: int, scenario: str | None) -> dict:
    import_mb = _rss_mb()
    import numpy as np
    from benchmarks_reference import reference_sis as ref

    from sim import fastgraph, networks, simulation  # noqa: F401 - imported before timing

    sc = load_bench_scenario(scenario, n, days)
    t0 = time.perf_counter()
    edges = build_graph(sc, seed)
    G = fastgraph.to_networkx(edges.n, edges.u, edges.v)
    graph_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    _ = ref._mesa_classes()  # import Mesa before timing
    t0 = time.perf_counter()
    model = ref.MesaSIS(G, SIS_BETA, SIS_GAMMA, ref.initial_infected(edges.n, SIS_PREVALENCE0, rng),
                        rng=int(rng.integers(2**31)))
    setup_s = time.perf_counter() - t0
    stats = _day_stats(*_time_days(model.step, days))
    med = stats["day_s_median"]
    return {
        "kind": "mesa_sis", "people": edges.n, "ties": edges.m, "days": days, "graph_s": graph_s,
        "setup_s": setup_s, **stats, "run_365_s": graph_s + setup_s + 365 * med,
        "peak_mb": _rss_mb(), "import_mb": import_mb,
        "content_share": model.prevalence(), "status": "ok",
    }


GRAPH_FAMILIES = {  # mean degree 10 in each family
    "watts_strogatz": lambda fg, n, rng: fg.watts_strogatz(n, 10, 0.1, rng),
    "erdos_renyi": lambda fg, n, rng: fg.erdos_renyi(n, 10 / max(n - 1, 1), rng),
    "holme_kim": lambda fg, n, rng: fg.holme_kim(n, 5, 0.5, rng),
}


def worker_graph(n: int, days: int, seed: int, scenario: str | None, family: str = "watts_strogatz") -> dict:
    """Time one sim.fastgraph generator plus csr_from_edges (``days`` is unused)."""
    import numpy as np

    from sim import fastgraph

    import_mb = _rss_mb()
    rng = np.random.default_rng(seed)
    t, c = time.perf_counter(), time.process_time()
    u, v = GRAPH_FAMILIES[family](fastgraph, n, rng)
    gen_s, gen_cpu = time.perf_counter() - t, time.process_time() - c
    gen_mb = _rss_mb()
    t, c = time.perf_counter(), time.process_time()
    indptr, nbr, eid = fastgraph.csr_from_edges(n, u, v)
    csr_s, csr_cpu = time.perf_counter() - t, time.process_time() - c
    return {"kind": f"graph:{family}", "people": n, "ties": int(u.size), "graph_s": gen_s, "graph_cpu_s": gen_cpu,
            "csr_s": csr_s, "csr_cpu_s": csr_cpu, "gen_peak_mb": gen_mb, "peak_mb": _rss_mb(), "import_mb": import_mb,
            "load_avg_1m": os.getloadavg()[0], "status": "ok"}


WORKERS = {"full": worker_full, "full_1t": lambda *a: worker_full(*a, threads=1),
           "numpy_sis": worker_numpy_sis, "mesa_sis": worker_mesa_sis,
           **{f"graph:{f}": functools.partial(worker_graph, family=f) for f in GRAPH_FAMILIES}}


def run_graphs(args, sizes) -> None:
    """``--graphs``: time the array generators and the CSR build alone; writes graphs.md/csv."""
    rows = []
    for n in sizes:
        for fam in GRAPH_FAMILIES:
            print(f"  {fam:<15} n={n:>12,} ...", end=" ", flush=True)
            rec = run_worker(f"graph:{fam}", n, 0, args.seed, None, args.timeout)
            rows.append(rec)
            print(rec.get("status") if rec.get("status") != "ok" else
                  f"generate {fmt_s(rec['graph_s'])} (CPU {fmt_s(rec['graph_cpu_s'])}), "
                  f"CSR {fmt_s(rec['csr_s'])} (CPU {fmt_s(rec['csr_cpu_s'])}), peak {rec['peak_mb']:,.0f} MB", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keys = ["kind", "people", "ties", "graph_s", "graph_cpu_s", "csr_s", "csr_cpu_s", "gen_peak_mb", "peak_mb",
            "import_mb", "load_avg_1m", "status"]
    with open(out / "graphs.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    lines = ["| generator (mean degree 10) | people | ties | generate (wall / CPU) | CSR (wall / CPU) "
             "| peak MB after generate | peak MB with CSR | load |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(f"| {r['kind']} | {r['people']:,} | | {r.get('status')} | | | | |")
            continue
        lines.append(f"| {r['kind'].split(':')[1]} | {r['people']:,} | {r['ties']:,} | {fmt_s(r['graph_s'])} / "
                     f"{fmt_s(r['graph_cpu_s'])} | {fmt_s(r['csr_s'])} / {fmt_s(r['csr_cpu_s'])} "
                     f"| {r['gen_peak_mb']:,.0f} | {r['peak_mb']:,.0f} | {r['load_avg_1m']:.1f} |")
    text = "\n".join(lines) + "\n"
    (out / "graphs.md").write_text(text)
    print(text)


def _install_reference_alias() -> None:
    """Make benchmarks/reference_sis.py importable as ``benchmarks_reference.reference_sis``."""
    import importlib.util
    import types

    pkg = types.ModuleType("benchmarks_reference")
    spec = importlib.util.spec_from_file_location("benchmarks_reference.reference_sis",
                                                  Path(__file__).with_name("reference_sis.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["benchmarks_reference"] = pkg
    sys.modules["benchmarks_reference.reference_sis"] = mod
    spec.loader.exec_module(mod)
    pkg.reference_sis = mod


def run_worker(kind: str, n: int, days: int, seed: int, scenario: str | None, timeout: float,
               sim_path: str | None = None, cold_jit: bool = False) -> dict:
    """Run one measurement in a fresh interpreter; return its JSON record (or a failure record)."""
    import tempfile

    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--n", str(n), "--days", str(days),
           "--seed", str(seed)]
    if scenario:
        cmd += ["--scenario", scenario]
    if sim_path:
        cmd += ["--sim-path", sim_path]
    env = dict(os.environ)
    tmp = tempfile.TemporaryDirectory(prefix="lonesim-numba-") if cold_jit else None
    if tmp:
        env["NUMBA_CACHE_DIR"] = tmp.name
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=str(ROOT), env=env)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "people": n, "days": days, "status": f"timeout after {timeout:.0f} s"}
    finally:
        if tmp:
            tmp.cleanup()
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"kind": kind, "people": n, "days": days, "status": "failed: " + " | ".join(tail)}
    rec = json.loads(lines[-1])
    rec["wall_s"] = wall
    return rec


TIMING_FIELDS = ("graph_s", "setup_s", "day_s_median", "day_s_p10", "day_s_p90", "day_cpu_s_median", "step_total_s",
                 "run_365_s", "peak_mb", "first_day_s", "load_avg_1m", "wall_s")


def combine_repeats(recs: list[dict]) -> dict:
    """One record from repeated fresh-process measurements: the median of every timing field."""
    import statistics

    ok = [r for r in recs if r.get("status") == "ok"]
    if not ok:
        return recs[0]
    out = dict(ok[0])
    for k in TIMING_FIELDS:
        vals = [r[k] for r in ok if isinstance(r.get(k), (int, float))]
        if vals:
            out[k] = statistics.median(vals)
    out["repeats"] = len(ok)
    return out


# ============================================================================ main
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="lonesim scale benchmark (see module docstring)")
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated population sizes")
    ap.add_argument("--with-10m", action="store_true", help="also run 10,000,000 people (full model + numpy SIS)")
    ap.add_argument("--days", type=int, default=365, help="days of the full model per size")
    ap.add_argument("--days-10m", type=int, default=10, help="days of the full model at 10M")
    ap.add_argument("--one-thread-sizes", default="100000,1000000", type=lambda s: {int(x) for x in s.split(",") if x},
                    help="sizes at which the full model is also timed with its kernels on one thread")
    ap.add_argument("--sis-days", type=int, default=20, help="days of the bare numpy SIS")
    ap.add_argument("--mesa-days", type=int, default=4,
                    help="days of the idiomatic Mesa SIS (the first builds Mesa's neighbourhood caches; the median skips it)")
    ap.add_argument("--mesa-max", type=int, default=100_000, help="largest population for the Mesa SIS")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process repeats per row below 1M people "
                    "(the table gives the median of each timing over the repeats)")
    ap.add_argument("--repeats-large", type=int, default=1, help="repeats per row at 1M people and above")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=None, help=f"scenario YAML (default {DEFAULT_SCENARIO.relative_to(ROOT)} "
                    f"if present, else {FALLBACK_SCENARIO.relative_to(ROOT)}); population.size is overridden per size")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per worker process")
    ap.add_argument("--out", default=str(RESULTS), help="folder for scale.csv and scale.md")
    ap.add_argument("--figure", default=str(FIGURE))
    ap.add_argument("--graphs", action="store_true", help="only time the array graph generators + CSR "
                    "(sim/fastgraph.py) at --sizes; writes graphs.csv / graphs.md")
    ap.add_argument("--sim-path", default=None, help="import the `sim` package from this source tree instead "
                    "(A/B comparisons, e.g. an older commit exported with git archive)")
    ap.add_argument("--cold-jit", action="store_true", help="give every worker an empty NUMBA_CACHE_DIR so "
                    "compile time is included (first_day_s)")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)  # noqa: E501
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        if args.sim_path:
            sys.path.insert(0, str(Path(args.sim_path).resolve()))
        _install_reference_alias()
        rec = WORKERS[args.worker](args.n, args.days, args.seed, args.scenario)
        print(json.dumps(rec))
        return 0

    args.command_line = "python benchmarks/run.py" + ("" if argv is None and len(sys.argv) == 1 else
                                                      " " + " ".join(argv if argv is not None else sys.argv[1:]))
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.with_10m and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    info = machine_info()
    print("machine:", ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    if args.graphs:
        run_graphs(args, sizes)
        return 0
    records = []
    for n in sizes:
        full_days = args.days_10m if n >= 10_000_000 else args.days
        plan = [("full", full_days)]
        if n in args.one_thread_sizes:
            plan.append(("full_1t", full_days))
        plan.append(("numpy_sis", args.sis_days))
        if n <= args.mesa_max:
            plan.append(("mesa_sis", args.mesa_days))
        for kind, days in plan:
            print(f"  {kind:<10} n={n:>12,} days={days:<4} ...", end=" ", flush=True)
            reps = args.repeats if n < 1_000_000 else args.repeats_large
            rec = combine_repeats([run_worker(kind, n, days, args.seed, args.scenario, args.timeout, args.sim_path,
                                              args.cold_jit) for _ in range(max(reps, 1))])
            records.append(rec)
            if rec.get("status") == "ok":
                print(f"graph {fmt_s(rec['graph_s'])}, set-up {fmt_s(rec['setup_s'])}, "
                      f"day {fmt_s(rec['day_s_median'])}, peak {rec['peak_mb']:,.0f} MB", flush=True)
            else:
                print(rec["status"], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "scale.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS + ["first_day_s", "burn_in_days", "wall_s", "repeats"],
                           extrasaction="ignore")
        w.writeheader()
        for r in records:
            w.writerow(r)
    rat = ratios(records)
    (out / "machine.json").write_text(json.dumps({"machine": info, "ratios": rat,
                                                   "command": args.command_line}, indent=2) + "\n")
    text = write_markdown(records, info, rat, args, out / "scale.md", scenario_path(args.scenario))
    write_figure(records, Path(args.figure))
    print()
    print(text)
    if "full_over_numpy_sis_1000000" in rat:
        r = rat["full_over_numpy_sis_1000000"]
        print(f"full-model day / bare numpy SIS day at 1M: {r:.1f}x (target <= 5x: {'met' if r <= 5 else 'MISSED'})")
    if "mesa_sis_over_full_100000" in rat:
        r = rat["mesa_sis_over_full_100000"]
        print(f"idiomatic Mesa SIS day / full-model day at 100k: {r:.1f}x (target >= 50x: {'met' if r >= 50 else 'MISSED'})")
    print(f"wrote {out / 'scale.csv'}, {out / 'scale.md'}, {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
