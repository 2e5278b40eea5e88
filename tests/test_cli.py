"""The command line as a user calls it: a subprocess, files on disk read back, errors with exit 2."""

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, lonesim

SMALL = ["--set", "population.size=300", "--set", "days=15", "--set", "burn_in_days=5"]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_run_writes_a_complete_readable_run_folder(tmp_path):
    out = tmp_path / "run"
    res = lonesim("run", "scenarios/baseline.yaml", "--out", out, *SMALL, "--seed", "11")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "summary.json", "timeseries.parquet", "agents.parquet", "edges.parquet",
            "timeseries.png", "distributions.png", "network.png"} <= names
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 15 and list(ts["day"]) == list(range(15))
    for col in ("mean_mood", "loneliness_prevalence", "isolation_prevalence", "smiles", "kind_acts", "ties", "deaths"):
        assert col in ts
    agents = pd.read_parquet(out / "agents.parquet")
    for col in ("agent_id", "age", "sex", "mood", "loneliness", "health", "isolated", "lonely", "degree",
                "relative_hazard", "alive"):
        assert col in agents
    assert len(agents) == 300
    edges = pd.read_parquet(out / "edges.parquet")
    assert (edges["source"] < edges["target"]).all() and len(edges) == agents["degree"].sum() // 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["scenario"]["population"]["size"] == 300
    assert manifest["versions"]["mesa"].startswith("3.")
    summary = json.loads((out / "summary.json").read_text())
    for key in ("mean_relative_hazard", "expected_deaths_per_1000_py", "paf_isolation", "paf_loneliness",
                "life_years_lost_per_1000", "isolation_prevalence", "loneliness_prevalence"):
        assert summary[key] is not None
    assert "loneliness" in res.stderr and "relative hazard" in res.stderr  # the printed headline
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary folder left behind


def test_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        res = lonesim("run", "scenarios/smile_campaign.yaml", "--out", tmp_path / name, *SMALL, "-q")
        assert res.returncode == 0, res.stderr
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    other = lonesim("run", "scenarios/smile_campaign.yaml", "--out", tmp_path / "c", *SMALL, "-q", "--seed", "99")
    assert other.returncode == 0
    assert (tmp_path / "c" / "timeseries.parquet").read_bytes() != (tmp_path / "a" / "timeseries.parquet").read_bytes()


def test_default_run_folder_never_overwrites(tmp_path):
    for _ in range(2):
        res = lonesim("run", ROOT / "scenarios/baseline.yaml", *SMALL, "-q", "--no-figures", "--results", tmp_path / "res")
        assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "res" / "baseline").iterdir()) == ["seed-20261126", "seed-20261126-2"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_runs(tmp_path, scenario):
    res = lonesim("run", scenario, "--out", tmp_path / "r", *SMALL, "-q", "--no-figures")
    assert res.returncode == 0, res.stderr
    assert len(pd.read_parquet(tmp_path / "r" / "timeseries.parquet")) == 15


def test_validate_and_schema(tmp_path):
    res = lonesim("validate", *SCENARIOS)
    assert res.returncode == 0 and res.stdout.count("ok:") == len(SCENARIOS)
    schema = json.loads(lonesim("schema").stdout)
    assert "population" in schema["properties"] and "$defs" in schema
    assert "days:" in lonesim("defaults").stdout


def bad(tmp_path, text):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, expect", [
    ("name: x\nsmiles:\n  propensty: 0.5\n", ":3: smiles.propensty: unknown key 'propensty' (did you mean 'propensity'?)"),
    ("name: x\ndays: soon\n", ":2: days: Input should be a valid integer"),
    ("name: x\npopulation:\n  size: -5\n", ":3: population.size: Input should be greater than 0"),
    ("name: x\ncontacts:\n  rate_per_tie_per_day: -1\n", ":3: contacts.rate_per_tie_per_day"),
    ("name: x\n  days: 3\n", "YAML syntax error"),
    ("name: x\nnetwork:\n  kind: edgelist\n  path: nowhere.csv\n", "network.path: edge-list file not found"),
])
def test_bad_input_one_clear_message_exit_2(tmp_path, text, expect):
    p = bad(tmp_path, text)
    for cmd in (["run", p, "--out", tmp_path / "out"], ["validate", p]):
        res = lonesim(*cmd)
        assert res.returncode == 2, res.stderr
        assert expect in res.stderr and str(p) in res.stderr
        assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "out").exists()


def test_malformed_edge_list_names_its_line(tmp_path):
    (tmp_path / "g.csv").write_text("a,b\nb,c\nc\n")
    p = bad(tmp_path, "network:\n  kind: edgelist\n  path: g.csv\ndays: 5\n")
    res = lonesim("run", p, "--out", tmp_path / "out")
    assert res.returncode == 2 and "g.csv:3: network.path: expected two node columns" in res.stderr
    assert "Traceback" not in res.stderr


def test_real_edge_list_runs_and_keeps_labels(tmp_path):
    rows = "".join(f"p{i},p{(i + 1) % 30}\np{i},p{(i + 2) % 30}\n" for i in range(30))
    (tmp_path / "g.csv").write_text("source,target\n" + rows)
    p = bad(tmp_path, "network:\n  kind: edgelist\n  path: g.csv\ndays: 5\nburn_in_days: 2\n")
    res = lonesim("run", p, "--out", tmp_path / "out", "-q")
    assert res.returncode == 0, res.stderr
    agents = pd.read_parquet(tmp_path / "out" / "agents.parquet")
    assert len(agents) == 30 and set(agents["node_label"]) == {f"p{i}" for i in range(30)}


def test_missing_scenario_and_bad_set(tmp_path):
    res = lonesim("run", tmp_path / "nope.yaml")
    assert res.returncode == 2 and "file not found" in res.stderr
    res = lonesim("run", "scenarios/baseline.yaml", "--set", "smiles.propensity=7", "--out", tmp_path / "o")
    assert res.returncode == 2 and "(--set): smiles.propensity" in res.stderr and "Traceback" not in res.stderr


def test_existing_output_is_not_damaged(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    res = lonesim("run", "scenarios/baseline.yaml", "--out", out, *SMALL)
    assert res.returncode == 2 and "already exists" in res.stderr
    assert (out / "precious.txt").read_text() == "keep me" and len(list(out.iterdir())) == 1


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = lonesim("run", "scenarios/baseline.yaml", "--out", blocker / "run", *SMALL)
    assert res.returncode == 2 and "not writable" in res.stderr and "Traceback" not in res.stderr
    assert blocker.read_text() == "not a folder"


def test_console_script_and_module_agree():
    import shutil
    import subprocess
    exe = shutil.which("lonesim") or str(Path(__import__("sys").executable).parent / "lonesim")
    res = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "run" in res.stdout and "validate" in res.stdout


def test_an_error_caused_by_ctrl_c_counts_as_the_interruption():
    """A Ctrl-C that lands inside a compiled call surfaces as SystemError caused by KeyboardInterrupt:
    the commands must treat it as the interruption (one line, exit 130), not as an internal error."""
    from sim.cli.common import is_interrupt

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as inner:
            raise SystemError("CPUDispatcher(...) returned a result with an exception set") from inner
    except SystemError as exc:
        assert is_interrupt(exc)
    assert is_interrupt(KeyboardInterrupt())
    assert not is_interrupt(SystemError("something else")) and not is_interrupt(ValueError("x"))
