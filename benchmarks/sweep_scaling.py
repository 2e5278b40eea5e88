"""Sweep scaling: the same sweep of N equal runs with --workers 1 and --workers 2, timed end to end.

    .venv/bin/python benchmarks/sweep_scaling.py                      # 8 runs of 50,000 people x 365 days
    .venv/bin/python benchmarks/sweep_scaling.py --runs 12 --repeat 2 --out results/reference/sweep_scaling

Each measurement is the wall time of the whole command ``lonesim sweep FILE --workers W --quiet`` in a fresh
process (start-up, worker processes, the runs, writing every run folder, the report and its figures), so it is
what a user waits for. The runs are replicates of one point: equal work. With --repeat R the worker counts
alternate (1, 2, 1, 2, ...) and the fastest of each is kept (the least disturbed by other load).
The 1-minute load average before each measurement and the CPU seconds used (the command and its workers) are
recorded: other processes on a 2-core machine take cores away from the sweep and distort the ratio; with
the machine otherwise idle the load average before is below 1.
Writes ``sweep_scaling.csv``, ``sweep_scaling.json`` and ``sweep_scaling.png`` into --out.
Target (issue 3): time(2 workers) / time(1 worker) <= 0.6.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """\
name: sweep_scaling
seed: 11
days: {days}
population:
  size: {size}
output:
  figures: false
sweep:
  replicates: {runs}
"""


def wait_for_quiet(max_load: float, max_wait: float) -> None:
    """Wait (at most max_wait seconds) until the 1-minute load average is below max_load (0: don't wait)."""
    if max_load <= 0:
        return
    t0 = time.monotonic()
    while os.getloadavg()[0] >= max_load and time.monotonic() - t0 < max_wait:
        time.sleep(5)


def time_sweep(scenario: Path, workers: int, work: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the command and its worker processes, 1-min load average before)."""
    out = work / f"w{workers}-{time.monotonic_ns()}"
    load = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", "sweep", str(scenario), "--workers", str(workers), "--out", str(out),
                    "--quiet"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    shutil.rmtree(out, ignore_errors=True)
    return dt, cpu, load


def plot(meta: dict, path: Path) -> None:
    """Bar chart of the best wall time per worker count (from the sweep_scaling.json content)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = meta["results"]
    base = rows[0]["best_s"]
    fig, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    ax.bar([str(r["workers"]) for r in rows], [r["best_s"] for r in rows], color=["C0", "C1", "C2", "C3"][: len(rows)])
    for i, r in enumerate(rows):
        load = r["loadavg_before"][r["all_s"].index(r["best_s"])]
        ax.text(i, r["best_s"], f"{r['best_s']:.1f} s (x{r['best_s'] / base:.2f})\nload avg before {load:.2f}",
                ha="center", va="bottom", fontsize=8)
    ax.set_xlabel("--workers")
    ax.set_ylabel("wall time of lonesim sweep, s")
    ax.set_ylim(0, max(r["best_s"] for r in rows) * 1.3)
    ax.set_title(f"{meta['runs']} equal runs of {meta['people']:,} people x {meta['days']} days, "
                 f"{meta['cpu_count']} CPUs\n(best of {meta['repeat']}; target: 2 workers <= 0.6 x 1 worker)",
                 fontsize=9)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=8, help="equal runs in the sweep (>= 8 for the issue's target)")
    ap.add_argument("--size", type=int, default=50_000, help="people per run")
    ap.add_argument("--days", type=int, default=365, help="days per run")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per worker count (fastest kept)")
    ap.add_argument("--quiet-load", type=float, default=0.0,
                    help="before each measurement wait until the 1-min load average is below this (0: no wait)")
    ap.add_argument("--max-wait", type=float, default=600.0, help="longest wait for --quiet-load, seconds")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "reference" / "sweep_scaling")
    ap.add_argument("--replot", type=Path, help="only redraw the figure from this sweep_scaling.json")
    args = ap.parse_args()
    if args.replot:
        plot(json.loads(args.replot.read_text(encoding="utf-8")), args.replot.with_suffix(".png"))
        return
    counts = [int(w) for w in args.workers.split(",")]

    work = Path(tempfile.mkdtemp(prefix="lonesim-sweep-scaling-"))
    scenario = work / "sweep_scaling.yaml"
    scenario.write_text(SCENARIO.format(days=args.days, size=args.size, runs=args.runs), encoding="utf-8")
    load_before = os.getloadavg()
    times: dict[int, list[float]] = {w: [] for w in counts}
    cpus: dict[int, list[float]] = {w: [] for w in counts}
    loads: dict[int, list[float]] = {w: [] for w in counts}
    try:
        for _ in range(args.repeat):
            for w in counts:
                wait_for_quiet(args.quiet_load, args.max_wait)
                dt, cpu, load = time_sweep(scenario, w, work)
                times[w].append(dt)
                cpus[w].append(cpu)
                loads[w].append(load)
                print(f"workers={w}: {dt:.1f} s wall, {cpu:.1f} s CPU, load average before {load:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    best = {w: min(v) for w, v in times.items()}
    base = best[counts[0]]
    rows = [{"workers": w, "best_s": round(best[w], 2), "all_s": [round(x, 2) for x in times[w]],
             "cpu_s": [round(x, 2) for x in cpus[w]], "loadavg_before": [round(x, 2) for x in loads[w]],
             "speedup": round(base / best[w], 3), "ratio_to_first": round(best[w] / base, 3)} for w in counts]

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "sweep_scaling.csv").open("w", encoding="utf-8") as f:
        f.write("workers,best_s,speedup,ratio_to_first,cpu_s_of_best,loadavg_before_best\n")
        for r in rows:
            i = r["all_s"].index(r["best_s"])
            f.write(f"{r['workers']},{r['best_s']},{r['speedup']},{r['ratio_to_first']},{r['cpu_s'][i]},"
                    f"{r['loadavg_before'][i]}\n")
    meta = {"runs": args.runs, "people": args.size, "days": args.days, "repeat": args.repeat,
            "cpu_count": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after], "results": rows,
            "target": "time(2 workers) / time(1 worker) <= 0.6"}
    (args.out / "sweep_scaling.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    plot(meta, args.out / "sweep_scaling.png")
    print(json.dumps(meta["results"]))
    if len(counts) > 1:
        print(f"ratio workers={counts[1]} / workers={counts[0]}: {best[counts[1]] / base:.3f} (target <= 0.6)")


if __name__ == "__main__":
    main()
