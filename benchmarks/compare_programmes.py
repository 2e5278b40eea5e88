"""How long the shipped programme comparison takes: ``lonesim compare scenarios/programmes.yaml --workers 2``, end to end.

    .venv/bin/python benchmarks/compare_programmes.py                       # time it, keep the folder in a temp dir
    .venv/bin/python benchmarks/compare_programmes.py --reference           # ... and copy its tables, figures and
                                                                            # report to results/reference/programmes/

The measurement is the wall time of the whole command in a fresh process (start-up, worker processes, every
run of every arm and replicate, writing the run and track folders, the tables, the figures and report.html):
what a user waits for. The 1-minute load average before and after and the CPU seconds of the command and
its workers are recorded, since other processes on this 2-core machine take cores away from it. Writes
``benchmarks/results/compare_programmes.json``. Target (issue 12): at most 10 minutes on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "programmes.yaml"
REFERENCE = ROOT / "results" / "reference" / "programmes"
#: What the reference folder keeps (the run and track folders are ~100 MB and are rebuilt by the command).
PRODUCTS = ("comparison.json", "comparison.csv", "comparison.parquet", "trial.csv", "trial.parquet", "forest.png",
            "cost.png", "report.html")
TARGET_SECONDS = 600.0


def main() -> None:
    """Time the comparison; optionally keep its products as the reference output."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reference", action="store_true", help="copy the products to results/reference/programmes/")
    parser.add_argument("--out", type=Path, default=None, help="comparison folder (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lonesim-compare-bench-"))
    out = args.out or work / "programmes"
    cmd = [sys.executable, "-m", "sim", "compare", str(SCENARIO), "--workers", str(args.workers), "--out", str(out),
           "--quiet"]
    load_before = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    manifest = json.loads((out / "comparison.json").read_text())
    result = {
        "command": f"lonesim compare scenarios/programmes.yaml --workers {args.workers}",
        "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1), "target_seconds": TARGET_SECONDS,
        "met": wall <= TARGET_SECONDS, "runs": sum(len(a["runs"]) for a in manifest["arms"]),
        "people": manifest["scenario"]["population"]["size"], "days": manifest["days"],
        "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(), "python": platform.python_version(), "machine": platform.processor() or platform.machine(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    path = ROOT / "benchmarks" / "results" / "compare_programmes.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    if args.reference:
        REFERENCE.mkdir(parents=True, exist_ok=True)
        for name in PRODUCTS:
            shutil.copyfile(out / name, REFERENCE / name)
        print(f"copied {', '.join(PRODUCTS)} to {REFERENCE.relative_to(ROOT)}")
    if args.out is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
