"""The batch commands agree (issue 19, "commands that agree"): the same executor names, worker default and
option names in sweep / compare / sensitivity / experiment; one way to refuse a bad option; dry runs that
say how long the runs take here; `run` on a batch file says which command runs it; `validate` applies the
checks of the block's command; every batch says where its report is. And the shared batch scaffold
(sim.runs.layout): one atomic writer, one manifest reader, one folder preparation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import lonesim

from sim.runs import layout

SWEEP = """\
name: tiny_sweep
seed: 5
days: 4
burn_in_days: 1
population:
  size: 60
output:
  figures: false
sweep:
  replicates: 2
  grid:
    network.isolation.fraction: [0.0, 0.2]
"""

COMPARE = """\
name: tiny_compare
seed: 7
days: 30
burn_in_days: 1
population:
  size: 80
output:
  figures: false
comparison:
  replicates: 2
  horizon_years: 0.1
  follow_up_days: [5]
  arms:
    - name: groups
      kind: group_activity
      targeting: loneliest
      coverage: 0.3
      start_day: 5
      duration_days: 10
"""

SENSITIVITY = """\
name: tiny_sens
seed: 9
days: 4
burn_in_days: 1
population:
  size: 60
output:
  figures: false
sensitivity:
  method: morris
  trajectories: 2
  replicates: 1
  parameters:
    smiles.propensity: [0.3, 0.7]
"""

FILES = {"sweep": SWEEP, "compare": COMPARE, "sensitivity": SENSITIVITY}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for command, text in FILES.items():
        out[command] = tmp_path / f"{command}.yaml"
        out[command].write_text(text, encoding="utf-8")
    return out


def known_speed(cache: Path, per_person_day: float, setup_per_person: float) -> dict[str, str]:
    """An environment whose speed cache holds known rates (so the estimate is exact)."""
    from sim.runs.estimate import _key

    path = cache / "lonesim" / "speed.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"key": _key(), "seconds_per_person_day": per_person_day,
                                "setup_seconds_per_person": setup_per_person}), encoding="utf-8")
    return {"XDG_CACHE_HOME": str(cache)}


def run_env(*args, env: dict[str, str] | None = None):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})


# =========================================================================== options that agree
@pytest.mark.parametrize("command", ["sweep", "compare", "sensitivity", "experiment"])
def test_every_batch_command_has_the_same_executor_and_worker_options(command):
    res = lonesim(command, "--help")
    assert res.returncode == 0, res.stderr
    text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", res.stdout))
    for option in ("--executor", "--workers", "-w"):
        assert option in text, (command, option)
    assert "local (worker processes on this machine" in text
    assert re.search(r"--workers -w \S+ Worker processes on this machine \(--executor local\)\. \[default: 1\]", text), text
    assert re.search(r"--executor \S+ local .*?\[default: local\]", text), text


def test_local_is_accepted_and_unknown_executors_are_refused_alike_everywhere(files, tmp_path):
    for command, path in files.items():
        res = run_env(command, path, "--executor", "local", "--dry-run", "--out", tmp_path / f"o-{command}",
                      env=known_speed(tmp_path / f"c-{command}", 1e-6, 1e-6))
        assert res.returncode == 0, (command, res.stderr)
        res = lonesim(command, path, "--executor", "spark")
        assert res.returncode == 2 and res.stderr.strip() == (
            "error: --executor: unknown executor 'spark' (choose local or dask)"), (command, res.stderr)
        res = lonesim(command, path, "--workers", "0")
        assert res.returncode == 2 and res.stderr.strip() == "error: --workers must be at least 1 (got 0)", command
        res = lonesim(command, path, "--scheduler", "tcp://127.0.0.1:8786")
        assert res.returncode == 2 and "--scheduler is only used with --executor dask" in res.stderr
    res = lonesim("experiment", "experiments/contagion.yaml", "--executor", "spark")
    assert res.returncode == 2 and "unknown executor 'spark' (choose local or dask)" in res.stderr


# =========================================================================== dry runs say how long
def test_dry_runs_print_the_estimated_time_from_this_machines_speed(files, tmp_path):
    env = known_speed(tmp_path / "cache", 1e-3, 1e-2)  # 1 ms per person-day, 10 ms of set-up per person
    res = run_env("sweep", files["sweep"], "--dry-run", "--workers", "1", env=env)
    assert res.returncode == 0, res.stderr
    # 4 runs of 60 people x (4 + 1) days: 60 * (0.01 + 5 * 0.001) = 0.9 s each, 3.6 s in all on one process
    assert "estimated time on this machine: about 4 s (4 runs, 1.2e+03 person-days" in res.stdout, res.stdout
    res = run_env("compare", files["compare"], "--dry-run", env=env)
    # control + 1 arm, 2 replicates: 4 runs of 80 people x 31 days = 80 * (0.01 + 0.031) = 3.28 s each
    assert "estimated time on this machine: about 13 s (4 runs" in res.stdout, res.stdout
    res = run_env("sensitivity", files["sensitivity"], "--dry-run", env=env)
    # Morris, 1 parameter, 2 trajectories: 4 points x 1 replicate of 60 people x 5 days
    assert "estimated time on this machine: about 4 s (4 runs" in res.stdout, res.stdout


def test_the_first_dry_run_measures_this_machine_and_keeps_the_measurement(files, tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    res = run_env("sweep", files["sweep"], "--dry-run", env=env)
    assert res.returncode == 0, res.stderr
    cached = json.loads((tmp_path / "cache" / "lonesim" / "speed.json").read_text())
    assert 1e-9 < cached["seconds_per_person_day"] < 1e-2 and cached["setup_seconds_per_person"] > 0
    assert "estimated time on this machine: about" in res.stdout


# =========================================================================== run and validate know the blocks
@pytest.mark.parametrize("command", ["sweep", "compare", "sensitivity"])
def test_run_on_a_batch_file_says_which_command_runs_it(files, tmp_path, command):
    res = lonesim("run", files[command], "--out", tmp_path / "run", "-q")
    assert res.returncode == 0, res.stderr
    assert f"`lonesim {command} {files[command]}` runs the" in res.stderr
    assert "ignores the block" in res.stderr


def test_validate_applies_the_checks_of_the_blocks_command(files, tmp_path):
    bad = tmp_path / "bad_compare.yaml"
    bad.write_text(COMPARE.replace("start_day: 5", "start_day: 40"), encoding="utf-8")
    dry = lonesim("compare", bad, "--dry-run")
    assert dry.returncode == 2
    res = lonesim("validate", bad)
    assert res.returncode == 2
    assert res.stderr.strip() == dry.stderr.strip()  # the same one-line error (file, line, key)
    assert re.match(rf"error: {re.escape(str(bad))}:\d+: comparison\.arms\[0\]\.start_day", res.stderr)

    bad = tmp_path / "bad_sens.yaml"
    bad.write_text(SENSITIVITY.replace("smiles.propensity:", "smiles.no_such_thing:"), encoding="utf-8")
    dry = lonesim("sensitivity", bad, "--dry-run")
    res = lonesim("validate", bad)
    assert dry.returncode == res.returncode == 2
    assert res.stderr.strip() == dry.stderr.strip()

    res = lonesim("validate", *files.values())
    assert res.returncode == 0, res.stderr
    assert "sweep of 2 points x 2 replicates (lonesim sweep)" in res.stdout
    assert "comparison of control + 1 arms x 2 replicates (lonesim compare)" in res.stdout
    assert "sensitivity analysis (morris) of 4 runs (lonesim sensitivity)" in res.stdout


def test_a_batch_says_where_its_report_is(files, tmp_path):
    out = tmp_path / "sw"
    res = lonesim("sweep", files["sweep"], "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    line = [ln for ln in res.stderr.splitlines() if ln.startswith("report: ")]
    assert len(line) == 1 and Path(line[0].removeprefix("report: ")).is_file()
    assert res.stdout.strip() == str(out)


# =========================================================================== the scaffold
def test_the_atomic_writer_leaves_the_old_file_and_no_temporary_file_when_writing_fails(tmp_path):
    path = tmp_path / "table.csv"
    layout.write_text_atomic(path, "old\n")

    def half(tmp: Path) -> None:
        tmp.write_text("ha", encoding="utf-8")
        raise OSError("disk full")

    for keep_suffix in (False, True):
        with pytest.raises(OSError):
            layout.write_atomic(path, half, keep_suffix=keep_suffix)
        assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]
    layout.write_atomic(path, lambda tmp: tmp.write_text("new\n"), keep_suffix=True)
    assert path.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_one_manifest_reader_names_what_is_wrong(tmp_path):
    with pytest.raises(layout.BatchError, match="no such comparison folder"):
        layout.read_manifest(tmp_path / "nope", "comparison.json", "comparison")
    with pytest.raises(layout.BatchError, match=r"not a sweep folder \(no sweep.json\)"):
        layout.read_manifest(tmp_path, "sweep.json", "sweep")
    (tmp_path / "sweep.json").write_text("[1, 2]")
    with pytest.raises(layout.BatchError, match=r"not a lonesim sweep manifest \(not a JSON object\)"):
        layout.read_manifest(tmp_path, "sweep.json", "sweep")
    (tmp_path / "sweep.json").write_text("{")
    with pytest.raises(layout.BatchError, match="unreadable sweep manifest"):
        layout.read_manifest(tmp_path, "sweep.json", "sweep")


def test_one_folder_preparation_refuses_another_batch_and_a_stranger_folder(tmp_path):
    folder = tmp_path / "b"
    assert layout.claim_folder(folder, "comparison", resume=False) is True
    kw = dict(kind="comparison", name="comparison.json", defining=("seed",), differs="seed")
    assert layout.prepare_folder(folder, True, manifest={"seed": 1, "x": (1, 2)}, **kw) is None
    assert (folder / layout.RUNS_DIR).is_dir()
    with pytest.raises(layout.BatchError, match="comparison folder already exists"):
        layout.claim_folder(folder, "comparison", resume=False)
    assert layout.claim_folder(folder, "comparison", resume=True) is False
    assert layout.prepare_folder(folder, False, manifest={"seed": 1, "x": (1, 2)}, **kw) == {"seed": 1, "x": [1, 2]}
    with pytest.raises(layout.BatchError, match="was started with a different seed"):
        layout.prepare_folder(folder, False, manifest={"seed": 2}, **kw)
    stranger = tmp_path / "s"
    stranger.mkdir()
    (stranger / "thesis.tex").write_text("mine")
    with pytest.raises(layout.BatchError, match="not a comparison folder .*will not touch it"):
        layout.prepare_folder(stranger, False, manifest={"seed": 1}, **kw)
    assert (stranger / "thesis.tex").read_text() == "mine"
