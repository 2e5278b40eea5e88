"""Output folders under hostile use (issue 14): --overwrite never deletes what lonesim did not write,
concurrent runs never replace each other, sweeps are locked, and interrupted runs leave nothing behind
that the next run does not clean up. Every case runs the CLI as a subprocess under a timeout and a
memory limit (tests/conftest.py)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import assert_one_clear_error, lonesim_limited, start_lonesim

TINY = ["--set", "population.size=200", "--set", "days=5", "--set", "burn_in_days=2", "--no-figures", "-q"]
SCENARIO = "scenarios/baseline.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def a_run(tmp_path_factory) -> Path:
    """One finished run folder (seed 1), copied by the tests that need one."""
    out = tmp_path_factory.mktemp("a_run") / "run"
    res = lonesim_limited("run", SCENARIO, "--out", out, *TINY, "--seed", "1")
    assert res.returncode == 0, res.stderr
    return out


def copy_run(a_run: Path, dest: Path) -> Path:
    shutil.copytree(a_run, dest)
    return dest


def user_folder(path: Path) -> dict[str, bytes]:
    path.mkdir(parents=True, exist_ok=True)
    (path / "thesis.tex").write_text("\\chapter{Years of work}\n")
    (path / "data").mkdir(exist_ok=True)
    (path / "data" / "survey.csv").write_text("id,score\n1,3\n")
    return tree(path)


# --------------------------------------------------------------------------- --overwrite
def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path):
    out = tmp_path / "mine"
    before = user_folder(out)
    res = lonesim_limited("run", SCENARIO, "--out", out, "--overwrite", *TINY)
    assert_one_clear_error(res, str(out), "--overwrite replaces only a lonesim run folder", "no manifest.json")
    assert tree(out) == before
    assert sorted(os.listdir(tmp_path)) == ["mine"]  # no temporary folder either


def test_overwrite_refuses_a_run_folder_holding_user_files(tmp_path, a_run):
    out = copy_run(a_run, tmp_path / "run")
    (out / "my-notes.txt").write_text("what I saw in this run\n")
    before = tree(out)
    res = lonesim_limited("run", SCENARIO, "--out", out, "--overwrite", "--seed", "7", *TINY)
    assert_one_clear_error(res, "files lonesim did not write (my-notes.txt)")
    assert tree(out) == before


def test_overwrite_of_the_current_folder(tmp_path, a_run):
    """`--out .` in a folder of the user's files: refused; in a run folder: replaced, no traceback."""
    mine = tmp_path / "mine"
    before = user_folder(mine)
    res = lonesim_limited("run", Path.cwd() / SCENARIO, "--out", ".", "--overwrite", *TINY, cwd=mine)
    assert_one_clear_error(res, "--overwrite replaces only a lonesim run folder")
    assert tree(mine) == before
    res = lonesim_limited("run", Path.cwd() / SCENARIO, "--out", ".", *TINY, cwd=mine)
    assert_one_clear_error(res, "already exists")
    assert tree(mine) == before

    run = copy_run(a_run, tmp_path / "run")
    res = lonesim_limited("run", Path.cwd() / SCENARIO, "--out", ".", "--overwrite", *TINY, "--seed", "2", cwd=run)
    assert res.returncode == 0, res.stderr
    assert json.loads((run / "manifest.json").read_text())["seed"] == 2
    assert sorted(os.listdir(tmp_path)) == ["mine", "run"]


def test_overwrite_replaces_a_run_folder_atomically(tmp_path, a_run):
    out = copy_run(a_run, tmp_path / "run")
    res = lonesim_limited("run", SCENARIO, "--out", out, "--overwrite", *TINY, "--seed", "2")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_overwrite_refuses_files_and_links(tmp_path, a_run):
    target = copy_run(a_run, tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(target)
    plain = tmp_path / "plain.txt"
    plain.write_text("keep")
    for out, reason in ((link, "symbolic link"), (plain, "not a folder")):
        res = lonesim_limited("run", SCENARIO, "--out", out, "--overwrite", *TINY)
        assert_one_clear_error(res, reason)
    assert link.is_symlink() and plain.read_text() == "keep" and (target / "manifest.json").exists()


# --------------------------------------------------------------------------- runs at the same time
def _wait_all(procs, timeout=180):
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        out.append((p.returncode, stdout, stderr))
    return out


def test_concurrent_runs_to_the_default_folder_get_their_own_folders(tmp_path):
    """Started together, all pick seed-N when they start; the -2, -3 rule must hold when they finish."""
    procs = [start_lonesim("run", SCENARIO, "--results", tmp_path, *TINY) for _ in range(3)]
    results = _wait_all(procs)
    assert all(rc == 0 for rc, _, _ in results), [err[-500:] for _, _, err in results]
    printed = sorted(stdout.strip() for _, stdout, _ in results)
    base = tmp_path / "baseline" / "seed-20261126"
    assert printed == sorted(str(p) for p in (base, base.with_name(base.name + "-2"), base.with_name(base.name + "-3")))
    assert sorted(os.listdir(base.parent)) == ["seed-20261126", "seed-20261126-2", "seed-20261126-3"]
    frames = [pd.read_parquet(Path(p) / "timeseries.parquet") for p in printed]
    for f in frames[1:]:  # same scenario and seed: the same numbers in each folder
        pd.testing.assert_frame_equal(frames[0], f)


def test_concurrent_runs_to_one_out_folder_one_wins_the_other_says_so(tmp_path):
    out = tmp_path / "run"
    procs = [start_lonesim("run", SCENARIO, "--out", out, *TINY, "--seed", str(s)) for s in (1, 2)]
    results = _wait_all(procs)
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0, 2], [(rc, err[-500:]) for rc, _, err in results]
    winner = [seed for seed, (rc, _, _) in zip((1, 2), results) if rc == 0][0]
    loser_err = [err for rc, _, err in results if rc == 2][0]
    assert "Traceback" not in loser_err and loser_err.startswith("error: ") and str(out) in loser_err
    assert json.loads((out / "manifest.json").read_text())["seed"] == winner
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_concurrent_overwrites_do_not_silently_undo_each_other(tmp_path, a_run):
    out = copy_run(a_run, tmp_path / "run")
    procs = [start_lonesim("run", SCENARIO, "--out", out, "--overwrite", *TINY, "--seed", str(s)) for s in (2, 3)]
    results = _wait_all(procs)
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0, 2], [(rc, err[-500:]) for rc, _, err in results]
    winner = [seed for seed, (rc, _, _) in zip((2, 3), results) if rc == 0][0]
    assert "replaced this folder while this run ran" in [err for rc, _, err in results if rc == 2][0]
    assert json.loads((out / "manifest.json").read_text())["seed"] == winner
    assert sorted(os.listdir(tmp_path)) == ["run"]


# --------------------------------------------------------------------------- sweeps
SWEEP = """\
name: locked
seed: 5
days: 40
burn_in_days: 5
population:
  size: 1500
sweep:
  grid:
    contacts.frequency_multiplier: [0.5, 1.0]
  replicates: {reps}
"""


def test_a_sweep_folder_is_locked_while_a_sweep_runs_in_it(tmp_path):
    scen = tmp_path / "locked.yaml"
    # enough runs that the first sweep is still running (not already exiting, when Python restores the
    # default SIGTERM action) after the two other commands have started and failed
    scen.write_text(SWEEP.format(reps=40))
    out = tmp_path / "sweep"
    first = start_lonesim("sweep", scen, "--out", out, "--no-figures", "-q")
    deadline = time.monotonic() + 60
    while not (out / "sweep.json").exists():  # the manifest is written with the lock held
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    resume = lonesim_limited("sweep", scen, "--out", out, "--resume", "--no-figures", "-q")
    fresh = lonesim_limited("sweep", scen, "--out", out, "--no-figures", "-q")
    assert first.poll() is None, "the first sweep should still be running"
    first.send_signal(signal.SIGTERM)  # (resuming after it ends is tested below)
    first.communicate(timeout=60)
    assert_one_clear_error(resume, "another lonesim sweep is running in this folder")
    assert_one_clear_error(fresh, "already exists")
    assert first.returncode == 143


@pytest.fixture(scope="module")
def a_sweep(tmp_path_factory) -> tuple[Path, Path]:
    """A finished tiny sweep: (scenario file, sweep folder), copied by the tests that change it."""
    folder = tmp_path_factory.mktemp("a_sweep")
    scen = folder / "tiny.yaml"
    scen.write_text(SWEEP.format(reps=1).replace("size: 1500", "size: 100").replace("days: 40", "days: 5"))
    res = lonesim_limited("sweep", scen, "--out", folder / "sweep", "--no-figures", "-q")
    assert res.returncode == 0, res.stderr
    return scen, folder / "sweep"


def test_resume_refuses_while_another_process_holds_the_lock(tmp_path, a_sweep):
    scen, out = a_sweep[0], copy_run(a_sweep[1], tmp_path / "sweep")
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running sweep holds
        before = tree(out)
        res = lonesim_limited("sweep", scen, "--out", out, "--resume", "--no-figures", "-q")
        assert_one_clear_error(res, str(out), "another lonesim sweep is running")
        assert tree(out) == before
    finally:
        os.close(fd)
    assert lonesim_limited("sweep", scen, "--out", out, "--resume", "--no-figures", "-q").returncode == 0


def test_two_new_sweeps_at_once_one_runs(tmp_path):
    scen = tmp_path / "locked.yaml"
    scen.write_text(SWEEP.format(reps=1).replace("size: 1500", "size: 300").replace("days: 40", "days: 10"))
    out = tmp_path / "sweep"
    results = _wait_all([start_lonesim("sweep", scen, "--out", out, "--no-figures", "-q") for _ in range(2)])
    assert sorted(rc for rc, _, _ in results) == [0, 2], [(rc, err[-400:]) for rc, _, err in results]
    assert "already exists" in [err for rc, _, err in results if rc == 2][0]
    assert sorted(p.name for p in (out / "runs").iterdir()) == ["p000-r000", "p001-r000"]


@pytest.mark.parametrize("field, value", [("versions", {"numpy": "0.0.1"}), ("git_commit", "0000000")])
def test_resume_with_other_code_versions_says_so(tmp_path, a_sweep, field, value):
    scen, out = a_sweep[0], copy_run(a_sweep[1], tmp_path / "sweep")
    manifest = json.loads((out / "sweep.json").read_text())
    manifest[field] = {**manifest[field], **value} if isinstance(value, dict) else value
    (out / "sweep.json").write_text(json.dumps(manifest, indent=2))
    res = lonesim_limited("sweep", scen, "--out", out, "--resume", "--no-figures", "-q")
    if field == "versions":
        assert_one_clear_error(res, "other package versions (numpy 0.0.1 -> ", "--allow-mixed-versions")
        res = lonesim_limited("sweep", scen, "--out", out, "--resume", "--allow-mixed-versions", "--no-figures", "-q")
    assert res.returncode == 0, res.stderr
    assert res.stderr.startswith("warning: ") and ("mixed" in res.stderr), res.stderr


# --------------------------------------------------------------------------- interrupted runs
def _interrupt_while_writing(tmp_path: Path, sig: int) -> tuple[subprocess.Popen, Path]:
    """Start a run whose simulation is long enough to be interrupted, then send ``sig`` once its
    temporary folder exists (i.e. while it writes)."""
    out = tmp_path / "run"
    proc = start_lonesim("run", SCENARIO, "--out", out, "--set", "population.size=150000", "--set", "days=3",
                         "--set", "burn_in_days=0", "-q")
    deadline = time.monotonic() + 120
    while not any(p.name.startswith(".run.tmp-") for p in tmp_path.iterdir()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.005)
    proc.send_signal(sig)
    return proc, out


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_while_writing_leaves_nothing(tmp_path, sig, code):
    proc, out = _interrupt_while_writing(tmp_path, sig)
    stdout, stderr = proc.communicate(timeout=60)
    if proc.returncode == 0:  # the run finished first: then it must be complete
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == code, stderr[-2000:]
    assert "Traceback" not in stderr
    last = [ln for ln in stderr.splitlines() if ln.strip()][-1]
    assert last.startswith("interrupted") and "nothing was written" in last, stderr[-500:]
    assert os.listdir(tmp_path) == []


def test_kill_9_while_writing_is_cleaned_up_by_the_next_run(tmp_path):
    proc, out = _interrupt_while_writing(tmp_path, signal.SIGKILL)
    proc.communicate(timeout=60)
    left = [p.name for p in tmp_path.iterdir()]
    if "run" in left:
        pytest.skip("the run finished before the kill arrived")
    assert len(left) == 1 and left[0].startswith(".run.tmp-")
    res = lonesim_limited("run", SCENARIO, "--out", out, *TINY)
    assert res.returncode == 0, res.stderr
    assert f"removed {left[0]}, a temporary folder left by an interrupted run" in res.stderr
    assert sorted(os.listdir(tmp_path)) == ["run"]


def _cmdline(proc) -> list[str]:
    """A child's command line, or nothing if it has just exited (a zombie between exit and reaping)."""
    import psutil

    try:
        return proc.cmdline()
    except (psutil.ZombieProcess, psutil.NoSuchProcess, psutil.AccessDenied):
        return ["resource_tracker"]  # not a worker: leave it out


def _status(proc) -> str | None:
    """A process's status, or None once it is gone."""
    import psutil

    try:
        return proc.status()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def test_workers_stop_when_the_sweep_process_is_killed(tmp_path):
    """kill -9 of the sweep's process alone: its workers must not go on running queued runs."""
    import psutil

    scen = tmp_path / "orphans.yaml"
    scen.write_text(SWEEP.format(reps=6).replace("size: 1500", "size: 3000").replace("days: 40", "days: 60"))
    out = tmp_path / "sweep"
    parent = start_lonesim("sweep", scen, "--out", out, "--workers", "2", "--no-figures", "-q",
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    workers: list = []
    while len(workers) < 2:
        assert parent.poll() is None and time.monotonic() < deadline, "the sweep never started its workers"
        kids = psutil.Process(parent.pid).children(recursive=True)
        workers = [p for p in kids if "resource_tracker" not in " ".join(_cmdline(p))]
        time.sleep(0.05)
    time.sleep(1.0)  # the workers are running their first runs
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    gone, alive = psutil.wait_procs(workers, timeout=20)
    # an exited worker whose parent is gone may stay a zombie until something reaps it (in a container,
    # PID 1 may not): it has stopped all the same
    alive = [p for p in alive if _status(p) not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD, None)]
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} worker(s) still running 20 s after their sweep was killed"
    runs = sorted(p.name for p in (out / "runs").iterdir()) if (out / "runs").exists() else []
    assert len([r for r in runs if not r.startswith(".")]) < 12  # they did not finish the sweep on their own
    assert not [r for r in runs if r.startswith(".")], f"the stopped workers left temporary folders: {runs}"


def test_ctrl_c_during_the_simulation_ends_with_one_line(tmp_path):
    proc = start_lonesim("run", SCENARIO, "--out", tmp_path / "run", "--set", "population.size=200000",
                         "--set", "burn_in_days=400", "--set", "days=5")
    deadline = time.monotonic() + 60
    seen = ""
    while "lonesim: baseline:" not in seen:  # the banner: the simulation starts now
        assert proc.poll() is None and time.monotonic() < deadline, seen
        seen += proc.stderr.read(1)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-1500:]
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == "interrupted: nothing was written"
    assert os.listdir(tmp_path) == []
