"""Sensitivity throughput: runs per minute of ``lonesim sensitivity`` at 5,000 people x 365 days, with 1 and
2 worker processes, and what a run costs inside a worker beyond its simulated days.

    .venv/bin/python benchmarks/sensitivity_throughput.py                   # 3 trajectories x 4 points x 2 reps = 24 runs
    .venv/bin/python benchmarks/sensitivity_throughput.py --repeat 3 --quiet-load 0.8

Each measurement runs a Morris plan over three parameters through the same code as the command
(``sim.runs.sensitivity.run_sensitivity`` with ``simulate``: spawned worker processes, one JSON file per run,
no analysis) into a fresh folder, and records:

- **runs per minute, end to end**: runs / wall time of the whole call (worker start-up and kernel loading included);
- **runs per minute, steady**: runs finished after every worker's first one / the time they took (what a long
  analysis such as the shipped Morris screening sees);
- **overhead per run in a worker**: the task's wall time minus the time of its simulated days
  (``Simulation.timings['step_s']``): validating the scenario, building the network and the population, the
  summary and writing the run file. Median over runs; the first run of each worker (which loads the compiled
  kernels) is reported apart; the network and the set-up of population and tie table (``timings['setup_s']``,
  which also holds the burn-in days when there are any) are shown as parts of it. The runs have no burn-in
  days by default (``--burn-in 0``), so that every simulated day is a timed one and the overhead is measured
  exactly; the default 60-day burn-in adds 60 simulated days to each run (counted in the projection below);
- **dispatch overhead per run**: steady wall time per run x workers minus the mean task time (the parent's
  and the executor's share).

With --repeat R the worker counts alternate (1, 2, 1, 2, ...) and the median of each figure is kept. The
1-minute load average before each measurement is recorded: other processes on a 2-core machine slow the runs
and distort the 2-worker ratio. From the steady rate with 2 workers the script projects the wall time of the
shipped Morris screening (``scenarios/sensitivity_morris.yaml``: 20 trajectories x (D + 1) points x 2 replicates,
D = the parameters described as assumptions in the schema).
Writes ``sensitivity_throughput.json`` and ``sensitivity_throughput.md`` into --out (default benchmarks/results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARAMETERS = {
    "smiles.propensity": [0.4, 0.6],
    "kindness.rate_per_day": [0.05, 0.2],
    "contacts.withdrawal_per_loneliness": [0.3, 0.7],
}


def wait_for_quiet(max_load: float, max_wait: float) -> None:
    """Wait (at most max_wait seconds) until the 1-minute load average is below max_load (0: don't wait)."""
    if max_load <= 0:
        return
    t0 = time.monotonic()
    while os.getloadavg()[0] >= max_load and time.monotonic() - t0 < max_wait:
        time.sleep(5)


def measure(plan, workers: int, work: Path) -> dict:
    """One measurement: run every run of ``plan`` with ``workers`` processes; the figures of the module docstring."""
    from sim.runs.sensitivity import run_sensitivity

    folder = work / f"w{workers}-{time.monotonic_ns()}"
    done_at: list[float] = []
    results: list[dict] = []

    def on_result(r: dict) -> None:
        done_at.append(time.perf_counter())
        results.append(r)

    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    outcome = run_sensitivity(plan, folder, workers=workers, progress=False, on_result=on_result, analyse=False)
    wall = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)
    assert outcome.done == plan.n_runs and not outcome.failed, outcome
    n = len(done_at)
    steady_runs = n - workers
    steady_s = done_at[-1] - done_at[workers - 1]

    def overhead(r: dict) -> float:
        per_day = r["days_seconds"] / max(r["days"], 1)  # burn-in days (none by default) at the recorded days' cost
        return r["seconds"] - per_day * (r["days"] + r["burn_in_days"])

    first, rest = results[:workers], results[workers:]
    task_median = statistics.median(r["seconds"] for r in rest)
    return {
        "workers": workers, "runs": n, "wall_s": wall, "loadavg_before": load,
        "runs_per_min_end_to_end": 60 * n / wall,
        "runs_per_min_steady": 60 * steady_runs / steady_s,
        "task_median_s": task_median,
        "days_median_s": statistics.median(r["days_seconds"] for r in rest),
        "overhead_median_s": statistics.median(overhead(r) for r in rest),
        "overhead_max_s": max(overhead(r) for r in rest),
        "network_median_s": statistics.median(r["network_seconds"] for r in rest),
        "setup_median_s": statistics.median(r["setup_seconds"] for r in rest),
        "first_run_overhead_s": statistics.median(overhead(r) for r in first),
        "dispatch_per_run_s": steady_s / steady_runs * workers - statistics.mean(r["seconds"] for r in rest),
    }


def markdown(meta: dict) -> str:
    """The results table as Markdown."""
    lines = [
        "# Sensitivity throughput",
        "",
        f"Command: `{meta['command']}`  ",
        f"Plan: Morris over {len(meta['parameters'])} parameters, {meta['trajectories']} trajectories x "
        f"{len(meta['parameters']) + 1} points x {meta['replicates']} replicates = {meta['runs']} runs of "
        f"{meta['people']:,} people x {meta['days']} days (+{meta['burn_in_days']} burn-in days), "
        f"through `run_sensitivity` (spawned workers, one JSON per run, no analysis); median of {meta['repeat']} "
        f"measurement(s) per worker count.  ",
        f"Machine: {meta['machine']}; load average before: {meta['loadavg_before']}, after: {meta['loadavg_after']}.",
        "",
        "| workers | runs/min end to end | runs/min steady | task (median) | its days | overhead beyond the days "
        "(median / max) | of which network | population + ties | first run in a worker: overhead | dispatch per run "
        "| load before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in meta["results"]:
        lines.append(
            f"| {r['workers']} | {r['runs_per_min_end_to_end']:.0f} | {r['runs_per_min_steady']:.0f} | "
            f"{r['task_median_s']:.3f} s | {r['days_median_s']:.3f} s | {r['overhead_median_s']:.3f} / "
            f"{r['overhead_max_s']:.3f} s | {r['network_median_s']:.3f} s | {r['setup_median_s']:.3f} s | "
            f"{r['first_run_overhead_s']:.2f} s | "
            f"{r['dispatch_per_run_s']:.3f} s | {r['loadavg_before']:.2f} |")
    lines += ["", f"Steady 2-worker / 1-worker rate: **{meta['steady_ratio']:.2f}x**. Target: a run costs at most "
              f"0.2 s beyond its simulated days: **{'met' if meta['overhead_target_met'] else 'missed'}** "
              f"(largest median overhead {meta['largest_overhead_median_s']:.3f} s).",
              "",
              f"Projected shipped Morris screening (`scenarios/sensitivity_morris.yaml`, {meta['morris_parameters']} "
              f"parameters described as assumptions: {meta['morris_runs']} runs of 5,000 people x (365 + 60 burn-in) days) at "
              f"the steady 2-worker rate scaled to those days: "
              f"**{meta['morris_projected_min']:.1f} minutes** (target <= 15).", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trajectories", type=int, default=3, help="Morris trajectories (runs = T x 4 x replicates)")
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--size", type=int, default=5_000, help="people per run")
    ap.add_argument("--days", type=int, default=365, help="days per run")
    ap.add_argument("--burn-in", type=int, default=0, help="burn-in days per run (0: the overhead is measured exactly)")
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="measurements per worker count (median kept)")
    ap.add_argument("--quiet-load", type=float, default=0.0,
                    help="before each measurement wait until the 1-min load average is below this (0: no wait)")
    ap.add_argument("--max-wait", type=float, default=600.0, help="longest wait for --quiet-load, seconds")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()

    from sim.config import Scenario
    from sim.config.base import assumption_fields, unranged_assumptions
    from sim.runs.sensitivity import plan_sensitivity

    counts = [int(w) for w in args.workers.split(",")]
    sc = Scenario().with_overrides({
        "name": "sensitivity_throughput", "seed": 20261126, "population.size": args.size, "days": args.days,
        "burn_in_days": args.burn_in,
        "output.figures": False, "output.agents_file": False,
        "sensitivity": {"method": "morris", "trajectories": args.trajectories, "replicates": args.replicates,
                        "parameters": PARAMETERS, "outputs": ["mean_relative_hazard"]},
    })
    plan = plan_sensitivity(sc, check_outputs_by_run=False)
    work = Path(tempfile.mkdtemp(prefix="lonesim-sensitivity-throughput-"))
    load_before = os.getloadavg()
    measured: dict[int, list[dict]] = {w: [] for w in counts}
    try:
        for _ in range(args.repeat):
            for w in counts:
                wait_for_quiet(args.quiet_load, args.max_wait)
                m = measure(plan, w, work)
                measured[w].append(m)
                print(f"workers={w}: {m['runs_per_min_end_to_end']:.0f} runs/min end to end, "
                      f"{m['runs_per_min_steady']:.0f} steady; overhead beyond the days {m['overhead_median_s']:.3f} s "
                      f"(median); load before {m['loadavg_before']:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [{k: (statistics.median(m[k] for m in ms) if isinstance(ms[0][k], float) else ms[0][k]) for k in ms[0]}
            for ms in measured.values()]
    steady = {r["workers"]: r["runs_per_min_steady"] for r in rows}
    d_morris = len(assumption_fields(Scenario)) + len(unranged_assumptions(Scenario))
    morris_runs = 20 * (d_morris + 1) * 2
    # the shipped screening keeps the default burn-in: its runs simulate (365 + 60) days, not days + burn_in
    stretch = (365 + Scenario().burn_in_days) / (args.days + args.burn_in)
    best = steady.get(2, max(steady.values())) / stretch
    meta = {
        "command": "python benchmarks/sensitivity_throughput.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("out", "max_wait")),
        "parameters": PARAMETERS, "trajectories": args.trajectories, "replicates": args.replicates,
        "runs": plan.n_runs, "people": args.size, "days": args.days, "burn_in_days": sc.burn_in_days,
        "repeat": args.repeat,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "loadavg_before": [round(x, 2) for x in load_before], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        "results": [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        "steady_ratio": (steady[2] / steady[1]) if 1 in steady and 2 in steady else float("nan"),
        "largest_overhead_median_s": max(r["overhead_median_s"] for r in rows),
        "morris_parameters": d_morris, "morris_runs": morris_runs, "morris_projected_min": morris_runs / best,
    }
    meta["overhead_target_met"] = meta["largest_overhead_median_s"] <= 0.2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sensitivity_throughput.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (args.out / "sensitivity_throughput.md").write_text(markdown(meta), encoding="utf-8")
    print(markdown(meta))


if __name__ == "__main__":
    main()
