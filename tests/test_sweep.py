"""Sweeps: reproducible across workers and executors, resumable after SIGKILL, bounded parent memory,
validation with file:line, and the dose-response direction of the isolation levels."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.config import load_scenario
from sim.runs.layout import RUNS_DIR, run_complete
from sim.runs.sweep import plan_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
LONESIM = [sys.executable, "-m", "sim"]

# Three isolation levels, all three mechanisms walked together; 9 runs of a fraction of a second.
SMALL = """\
name: small_sweep
seed: 4242
days: 40
burn_in_days: 10
population:
  size: 500
shocks:
  - start_day: 10
    duration_days: 20
    tie_removal_fraction: 0.0
sweep:
  zip:
    network.isolation.fraction: [0.0, 0.25, 0.5]
    contacts.frequency_multiplier: [1.0, 0.7, 0.4]
    shocks.0.tie_removal_fraction: [0.0, 0.25, 0.5]
  replicates: 3
"""
N_RUNS = 9

runner = CliRunner()


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file's bytes. The ``git_commit`` line of manifests is dropped: other people commit to this
    repository while the tests run, and the manifest rightly records the code each run came from."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name in ("manifest.json", "sweep.json"):
                data = b"\n".join(ln for ln in data.split(b"\n") if not ln.lstrip().startswith(b'"git_commit"'))
            out[str(p.relative_to(folder))] = data
    return out


def assert_same_files(a: Path, b: Path, figures: bool = True) -> None:
    fa, fb = files_of(a), files_of(b)
    if not figures:  # b was swept with --no-figures (saves test time; figures are compared elsewhere)
        fa = {k: v for k, v in fa.items() if not k.endswith(".png")}
        fa.pop("report.html", None)  # its figures are embedded: compare its text without them
        fb = dict(fb)
        fb.pop("report.html", None)
    assert sorted(fa) == sorted(fb)
    differ = [name for name in fa if fa[name] != fb[name]]
    assert not differ, f"files differ between {a} and {b}: {differ[:10]}"


def invoke(*args: str):
    res = runner.invoke(app, [str(a) for a in args])
    return res


@pytest.fixture(scope="module")
def small_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "small_sweep.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(small_yaml, tmp_path_factory) -> Path:
    """The small sweep, uninterrupted, on one worker process."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    res = invoke("sweep", small_yaml, "--workers", "1", "--out", out, "--quiet")
    assert res.exit_code == 0, res.output
    return out


def test_sweep_folder_layout_and_summary(reference):
    runs = sorted(p.name for p in (reference / RUNS_DIR).iterdir())
    assert runs == [f"p{p:03d}-r{r:03d}" for p in range(3) for r in range(3)]
    assert all(run_complete(reference / RUNS_DIR / r) for r in runs)
    for name in ("sweep.json", "runs.csv", "runs.parquet", "summary.csv", "summary.parquet",
                 "timeseries_summary.parquet", "dose_response.png", "timeseries_by_point.png", "report.html"):
        assert (reference / name).stat().st_size > 0, name
    html = (reference / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<script" not in html
    # display names, not dotted keys; the resolved town; too few replicates said plainly
    assert "Share made structurally isolated" in html and "network.isolation.fraction" not in html
    assert "a town of 500 adults simulated for 40 days" in html and "only 3 replicate towns per point" in html
    summary = pd.read_parquet(reference / "summary.parquet")
    row = summary[(summary.point == 2) & (summary.proxy == "mean_relative_hazard")].iloc[0]
    assert row.n == 3 and row.ci95_low <= row["mean"] <= row.ci95_high and row.p2_5 <= row.p97_5
    pd.testing.assert_frame_equal(pd.read_csv(reference / "summary.csv"), summary, check_dtype=False)
    # common random numbers: replicate r has the same seed (and hence the same ages) at every point
    runs_df = pd.read_parquet(reference / "runs.parquet")
    assert runs_df.groupby("replicate")["person_years"].nunique().max() == 1


def test_dose_response_direction(reference):
    """More isolation -> more loneliness, higher relative hazard, more expected deaths (per point means)."""
    summary = pd.read_parquet(reference / "summary.parquet")
    for proxy in ("loneliness_prevalence_mean", "isolation_prevalence_mean", "mean_relative_hazard",
                  "expected_deaths_per_1000_py"):
        means = summary[summary.proxy == proxy].sort_values("point")["mean"].to_list()
        assert means == sorted(means) and means[0] < means[-1], (proxy, means)
    # paired by replicate (common random numbers), each replicate shows the rise on its own
    runs = pd.read_parquet(reference / "runs.parquet")
    wide = runs.pivot(index="replicate", columns="point", values="expected_deaths_per_1000_py")
    assert (wide[2] > wide[0]).all()


def test_identical_files_for_1_and_2_workers_and_dask(reference, small_yaml, tmp_path):
    two = tmp_path / "two"
    res = invoke("sweep", small_yaml, "--workers", "2", "--out", two, "--quiet")
    assert res.exit_code == 0, res.output
    assert_same_files(reference, two)

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        dask_out = tmp_path / "dask"
        res = invoke("sweep", small_yaml, "--executor", "dask", "--scheduler", cluster.scheduler_address,
                     "--out", dask_out, "--quiet", "--no-figures")
        assert res.exit_code == 0, res.output
    assert_same_files(reference, dask_out, figures=False)


def _complete_runs(folder: Path) -> list[Path]:
    runs = folder / RUNS_DIR
    if not runs.is_dir():
        return []
    return [p for p in sorted(runs.iterdir()) if not p.name.startswith(".") and run_complete(p)]


def _stats(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in [folder, *sorted(folder.iterdir())]:
        st = p.stat()
        out[str(p)] = (st.st_ino, st.st_mtime_ns)
    return out


def test_sigkill_then_resume(reference, small_yaml, tmp_path):
    out = tmp_path / "killed"
    proc = subprocess.Popen([*LONESIM, "sweep", str(small_yaml), "--workers", "2", "--out", str(out), "--quiet"],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while len(_complete_runs(out)) < 2:
            assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no run finished within 60 s"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its worker processes, no clean-up
        proc.wait()
    finished = _complete_runs(out)
    assert 2 <= len(finished) < N_RUNS, "the kill should land part-way"
    before = {str(f): _stats(f) for f in finished}
    assert not (out / "summary.csv").exists()

    res = subprocess.run([*LONESIM, "sweep", str(small_yaml), "--workers", "2", "--out", str(out), "--resume",
                          "--no-figures"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{len(finished)} already finished (kept)" in res.stderr
    for f in finished:  # not recomputed, not rewritten
        assert _stats(f) == before[str(f)], f
    assert len(_complete_runs(out)) == N_RUNS
    assert not [p for p in (out / RUNS_DIR).iterdir() if p.name.startswith(".")], "leftover temporary folders"
    assert_same_files(reference, out, figures=False)  # summary and every run folder as if never interrupted


def test_existing_folder_needs_resume(reference, small_yaml):
    before = {str(p): p.stat().st_mtime_ns for p in reference.rglob("*")}
    res = invoke("sweep", small_yaml, "--out", reference)
    assert res.exit_code == 2
    assert "already exists" in res.output and "--resume" in res.output and "Traceback" not in res.output
    # a finished sweep resumes to a no-op; a different scenario is refused
    res = invoke("sweep", small_yaml, "--out", reference, "--resume", "--quiet", "--no-figures")
    assert res.exit_code == 0, res.output
    res = invoke("sweep", small_yaml, "--out", reference, "--resume", "--seed", "1")
    assert res.exit_code == 2 and "different scenario" in res.output
    after = {str(p): p.stat().st_mtime_ns for p in reference.rglob("*")
             if p.suffix not in (".csv", ".parquet", ".png", ".html")}  # the report, rebuilt from the same runs
    assert all(after[k] == before[k] for k in after)


def test_dry_run_lists_runs(small_yaml, tmp_path):
    out = tmp_path / "dry"
    res = invoke("sweep", small_yaml, "--dry-run", "--out", out)
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("runs/")]
    assert len(lines) == N_RUNS
    assert "runs/p002-r001  point 2  replicate 1" in res.output
    assert "network.isolation.fraction=0.5" in res.output and "3 points x 3 replicates = 9 runs" in res.output
    assert not out.exists()


def test_report_rebuilds_from_run_folders(reference, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(reference, copy)
    for name in ("summary.csv", "summary.parquet", "runs.csv", "dose_response.png"):
        (copy / name).unlink()
    res = invoke("report", copy)
    assert res.exit_code == 0, res.output
    assert_same_files(reference, copy)
    res = invoke("report", tmp_path / "nowhere")
    assert res.exit_code == 2 and "no such folder" in res.output
    (tmp_path / "other").mkdir()
    res = invoke("report", tmp_path / "other")
    assert res.exit_code == 2 and "not a batch folder (no sweep.json, comparison.json" in res.output


@pytest.mark.parametrize("block, expected", [
    ("  grid:\n    network.isolation.fractoin: [0, 0.1]\n", "unknown parameter path (did you mean 'fraction'?)"),
    ("  grid:\n    network.isolation.fraction: []\n", "empty list of values"),
    ("  grid:\n    network.isolation.fraction: [0, 1.5]\n", "less than or equal to 1"),
])
def test_sweep_block_errors_name_file_and_line(tmp_path, block, expected):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\npopulation:\n  size: 100\nsweep:\n" + block + "  replicates: 2\n", encoding="utf-8")
    for cmd in ("sweep", "validate"):
        res = invoke(cmd, path)
        assert res.exit_code == 2, res.output
        assert f"{path}:6" in res.output and expected in res.output, res.output
        assert "Traceback" not in res.output


def test_bad_options_exit_2(small_yaml, tmp_path):
    nosweep = tmp_path / "nosweep.yaml"
    nosweep.write_text("name: x\n", encoding="utf-8")
    for args, msg in [
        ((nosweep,), "no sweep: block"),
        ((small_yaml, "--executor", "spark"), "unknown executor"),
        ((small_yaml, "--executor", "dask"), "needs --scheduler"),
        ((small_yaml, "--workers", "0"), "at least 1"),
        ((small_yaml, "--set", "sweep.replicates=0"), "sweep.replicates"),
    ]:
        res = invoke("sweep", *args, "--out", tmp_path / "never")
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output and "Traceback" not in res.output, (args, res.output)
    assert not (tmp_path / "never").exists()


def test_parent_memory_does_not_grow_with_runs(tmp_path):
    """Many tiny runs: results returned to the parent are small and its memory stays flat."""
    import tracemalloc

    import psutil

    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\ndays: 5\nburn_in_days: 0\npopulation:\n  size: 60\noutput:\n  agents_file: false\n"
                    "sweep:\n  grid:\n    contacts.frequency_multiplier: [0.5, 1.0]\n  replicates: 30\n", encoding="utf-8")
    plan = plan_sweep(load_scenario(path))
    proc = psutil.Process()
    seen = {"n": 0, "max_result": 0}

    def on_result(result):
        seen["n"] += 1
        seen["max_result"] = max(seen["max_result"], len(pickle.dumps(result)))
        if seen["n"] == 15:
            tracemalloc.start()
            seen["rss0"] = proc.memory_info().rss
            seen["traced0"] = tracemalloc.get_traced_memory()[0]

    try:
        outcome = run_sweep(plan, tmp_path / "tiny", workers=2, progress=False, on_result=on_result, report=False)
        traced = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert outcome.done == 60 and not outcome.failed
    assert seen["max_result"] < 8_000  # a summary, never a time series
    # 45 more results after the baseline: holding each (a few KB with its summary) would exceed this
    assert traced - seen["traced0"] < 60_000, traced - seen["traced0"]
    assert proc.memory_info().rss - seen["rss0"] < 20_000_000
