"""``lonesim sensitivity``: known indices of known functions through the executors, a tiny model end to end,
byte-identical across workers and Dask, resumable after SIGKILL, common random numbers, the replicate-noise
floor, the assumption ranges of the schema, and bad blocks reported with file, key and line."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from sim.cli import app
from sim.config import Scenario
from sim.config.base import assumption, assumption_fields, unranged_assumptions
from sim.config.sensitivity import DEFAULT_OUTPUTS, Parameter
from sim.runs.layout import RUNS_DIR
from sim.runs.sensitivity import SensitivityPlan, make_design, run_sensitivity
from tests.conftest import ROOT, lonesim
from tests.known_functions import ISHIGAMI_S1, ISHIGAMI_ST, ishigami, linear, noisy

TINY = """\
name: tiny_sensitivity
seed: 7
days: 20
burn_in_days: 5
population:
  size: 200
sensitivity:
  method: morris
  trajectories: 4
  replicates: 2
  parameters:
    smiles.propensity: [0.3, 0.7]
    ties.friend.rate_per_day: {low: 0.1, high: 0.6, log: true}
    network.isolation.fraction: [0.0, 0.3]
    mortality.gompertz_a_per_year: [5.0e-5, 2.0e-4]
"""
N_RUNS = 4 * 5 * 2  # trajectories x (parameters + 1) x replicates


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, without the ``git_commit`` line of the manifest (others commit while tests run)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name == "sensitivity.json":
                data = b"\n".join(ln for ln in data.split(b"\n") if not ln.lstrip().startswith(b'"git_commit"'))
            out[str(p.relative_to(folder))] = data
    return out


def assert_same_files(a: Path, b: Path) -> None:
    fa, fb = files_of(a), files_of(b)
    assert sorted(fa) == sorted(fb)
    differ = [name for name in fa if fa[name] != fb[name]]
    assert not differ, f"files differ between {a} and {b}: {differ[:10]}"


@pytest.fixture(scope="module")
def tiny_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scen") / "tiny_sensitivity.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tiny_yaml, tmp_path_factory) -> Path:
    """The tiny analysis, uninterrupted, on one worker process, as a user runs it."""
    out = tmp_path_factory.mktemp("ref") / "sens"
    res = lonesim("sensitivity", tiny_yaml, "--workers", "1", "--out", out)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    return out


# =========================================================================== the tiny model end to end
def test_tiny_model_writes_indices_figures_convergence_and_report(reference):
    assert len(list((reference / RUNS_DIR).glob("*.json"))) == N_RUNS
    assert not (reference / "run_folders").exists()  # no parquet per run unless asked
    idx = pd.read_csv(reference / "indices.csv")
    assert list(idx.columns[:10]) == ["parameter", "output", "method", "rank", "mu_star", "mu_star_conf", "sigma", "mu",
                                      "mu_star_noise", "above_noise"]
    assert set(idx["output"]) == set(DEFAULT_OUTPUTS) and len(idx) == 4 * len(DEFAULT_OUTPUTS)
    pd.testing.assert_frame_equal(pd.read_parquet(reference / "indices.parquet"), idx, check_dtype=False)
    for out in DEFAULT_OUTPUTS:
        assert (reference / "figures" / f"{out}.png").read_bytes()[:4] == b"\x89PNG"
    # isolation prevalence is moved by the share of near-isolates far beyond its noise
    iso = idx[idx.output == "isolation_prevalence_mean"].set_index("parameter")
    assert iso["rank"]["network.isolation.fraction"] == 1
    assert iso["mu_star"]["network.isolation.fraction"] > 0.1 and iso["above_noise"]["network.isolation.fraction"]
    # common random numbers: the Gompertz A is unused by the default life-table baseline, so with the same seed
    # at every sample point its elementary effects are exactly zero, on every output, and so is its noise index
    gomp = idx[idx.parameter == "mortality.gompertz_a_per_year"]
    assert (gomp["mu_star"] == 0).all() and (gomp["mu_star_noise"] == 0).all() and not gomp["above_noise"].any()
    runs = [json.loads(p.read_text()) for p in sorted((reference / RUNS_DIR).glob("*.json"))]
    assert {r["seed"] for r in runs} == {7} and sorted({r["replicate"] for r in runs}) == [0, 1]
    # convergence: every index with half the trajectories beside the full one
    conv = pd.read_csv(reference / "convergence.csv")
    assert set(conv["index"]) == {"mu_star", "sigma"} and len(conv) == 2 * len(idx)
    row = conv[(conv.parameter == "network.isolation.fraction") & (conv.output == "isolation_prevalence_mean")
               & (conv["index"] == "mu_star")].iloc[0]
    assert row["full"] == pytest.approx(iso["mu_star"]["network.isolation.fraction"]) and row["half"] > 0
    noise = pd.read_csv(reference / "noise.csv").set_index("output")
    assert (noise["replicate_sd"] > 0).all() and noise["analysed"].all()
    report = (reference / "report.md").read_text()
    assert "## Ranking over all outputs" in report and "above noise" in report and "Convergence:" in report
    assert report.index("`network.isolation.fraction`") < report.index("`mortality.gompertz_a_per_year`")
    samples = pd.read_csv(reference / "samples.csv")
    assert len(samples) == N_RUNS // 2
    assert samples["ties.friend.rate_per_day"].between(0.1, 0.6).all()


def test_identical_files_for_1_and_2_workers_and_dask(reference, tiny_yaml, tmp_path):
    two = tmp_path / "two"
    res = lonesim("sensitivity", tiny_yaml, "--workers", "2", "--out", two, "-q")
    assert res.returncode == 0, res.stderr
    assert_same_files(reference, two)

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        res = lonesim("sensitivity", tiny_yaml, "--executor", "dask", "--scheduler", cluster.scheduler_address,
                      "--out", tmp_path / "dask", "-q")
        assert res.returncode == 0, res.stderr
    assert_same_files(reference, tmp_path / "dask")


def _finished(folder: Path) -> list[Path]:
    runs = folder / RUNS_DIR
    return sorted(p for p in runs.glob("s*.json")) if runs.is_dir() else []


def test_sigkill_then_resume(reference, tiny_yaml, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sensitivity", str(tiny_yaml), "--workers", "2", "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while len(_finished(out)) < 3:
            assert proc.poll() is None, f"ended before it could be killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no run finished within 60 s"
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, no clean-up
        proc.wait()
    finished = _finished(out)
    assert 3 <= len(finished) < N_RUNS, "the kill should land part-way"
    assert not (out / "indices.csv").exists()
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in finished}

    res = subprocess.run(cmd[:-1] + ["--resume"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert f"{len(finished)} already finished (kept)" in res.stderr
    for p in finished:  # not recomputed, not rewritten
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == before[p], p
    assert not [p for p in (out / RUNS_DIR).iterdir() if p.name.startswith(".")], "leftover temporary files"
    assert_same_files(reference, out)  # as if never interrupted


def test_existing_folder_needs_resume_and_the_same_scenario(reference, tiny_yaml):
    before = {str(p): p.stat().st_mtime_ns for p in (reference / RUNS_DIR).iterdir()}
    res = lonesim("sensitivity", tiny_yaml, "--out", reference)
    assert res.returncode == 2 and "already exists" in res.stderr and "--resume" in res.stderr
    res = lonesim("sensitivity", tiny_yaml, "--out", reference, "--resume", "--set", "sensitivity.trajectories=6")
    assert res.returncode == 2 and "different scenario" in res.stderr and "Traceback" not in res.stderr
    assert {str(p): p.stat().st_mtime_ns for p in (reference / RUNS_DIR).iterdir()} == before


def test_dry_run_lists_parameters_and_runs(tiny_yaml, tmp_path):
    res = lonesim("sensitivity", tiny_yaml, "--dry-run", "--out", tmp_path / "never",
                  "--set", "sensitivity.method=sobol", "--set", "sensitivity.samples=8")
    assert res.returncode == 0, res.stderr
    assert "sobol, 4 parameters, 8 base samples x 6 points = 48 sample points x 2 replicates = 96 runs" in res.stdout
    assert "ties.friend.rate_per_day: [0.1, 0.6] log-uniform" in res.stdout
    assert not (tmp_path / "never").exists()


# =========================================================================== bad input
BAD = "name: bad\npopulation:\n  size: 100\nsensitivity:\n  outputs: [{output}]\n  parameters:\n    {param}\n"


@pytest.mark.parametrize("param, output, line, expected", [
    ("smiles.propensty: [0.3, 0.7]", "mean_relative_hazard", 7,
     "sensitivity.parameters.smiles.propensty: unknown parameter path (did you mean 'propensity'?)"),
    ("smiles.propensity: [0.7, 0.3]", "mean_relative_hazard", 7,
     "sensitivity.parameters.smiles.propensity: low (0.7) must be below high (0.3)"),
    ("smiles.propensity: [0.3, 1.5]", "mean_relative_hazard", 7,
     "sensitivity.parameters.smiles.propensity: high 1.5: smiles.propensity: Input should be less than or equal to 1"),
    ("network.kind: [0, 1]", "mean_relative_hazard", 7,
     "sensitivity.parameters.network.kind: not a numeric parameter (a str); a sensitivity range needs a number"),
    ("smiles.propensity: [0.3, 0.7]", "mean_relative_hazrd", 5,
     "sensitivity.outputs: unknown output 'mean_relative_hazrd' (did you mean 'mean_relative_hazard'?)"),
    ("smiles.propensity: [0.3, 0.7]", "scenario", 5, "sensitivity.outputs: 'scenario' is not a number in summary.json"),
])
def test_bad_blocks_get_one_line_with_file_key_and_line(tmp_path, param, output, line, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.format(param=param, output=output), encoding="utf-8")
    res = lonesim("sensitivity", path, "--out", tmp_path / "never")
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == f"error: {path}:{line}: {expected}", res.stderr
    assert not (tmp_path / "never").exists()
    if line == 7:  # parameters are checked whenever the file is loaded, so validate reports them too
        val = CliRunner().invoke(app, ["validate", str(path)])
        assert val.exit_code == 2 and f"{path}:{line}: {expected}" in val.output


def test_bad_options_and_missing_block_exit_2(tiny_yaml, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: plain\n", encoding="utf-8")
    for args, msg in [
        ((plain,), "no sensitivity: block"),
        ((tiny_yaml, "--executor", "spark"), "unknown executor"),
        ((tiny_yaml, "--executor", "dask"), "needs --scheduler"),
        ((tiny_yaml, "--workers", "0"), "at least 1"),
        ((tiny_yaml, "--set", "sensitivity.samples=100"), "sensitivity.samples: must be a power of 2"),
        ((tiny_yaml, "--set", "sensitivity.parameters=everything"), "write 'assumptions' or a mapping"),
        ((tiny_yaml, "--set", "sensitivity.method=sobol", "--set", "sensitivity.samples=1048576"),
         "12,582,912 runs is more than the 2,000,000"),
    ]:
        res = CliRunner().invoke(app, ["sensitivity", *map(str, args), "--out", str(tmp_path / "never")])
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output and "Traceback" not in res.output, (args, res.output)
    assert not (tmp_path / "never").exists()


# =========================================================================== assumptions in the schema
class _Toy(BaseModel):
    class Inner(BaseModel):
        rate: float = assumption(0.3, "Rate per day. Assumption.", low=0.1, high=1.0, log=True, ge=0)
        known: float = Field(2.0, description="Published.")
        guess: float = Field(0.5, description="Something. Assumption.")

    size: int = Field(10, description="People.")
    share: float = assumption(0.5, "A share. Assumption.", low=0.2, high=0.8, ge=0, le=1)
    inner: Inner = Field(default_factory=Inner)


def test_assumption_ranges_are_written_beside_the_field_and_listed_with_their_paths():
    got = [(a.path, a.low, a.high, a.log, a.default) for a in assumption_fields(_Toy)]
    assert got == [("share", 0.2, 0.8, False, 0.5), ("inner.rate", 0.1, 1.0, True, 0.3)]
    assert unranged_assumptions(_Toy) == ["inner.guess"]
    schema = _Toy.model_json_schema()
    assert schema["properties"]["share"]["assumption"] == {"low": 0.2, "high": 0.8, "log": False}
    from sim.paramdoc import _rows

    rows = {path: desc for path, _, desc in _rows(_Toy)}
    assert rows["inner.rate"].endswith("Sensitivity range: [0.1, 1], log-uniform.")
    for bad in ({"low": 0.8, "high": 0.2}, {"low": 0.0, "high": 1.0, "log": True}, {"low": 0.6, "high": 0.9}):
        with pytest.raises(ValueError):
            assumption(0.5, "x", **bad)


def test_parameters_assumptions_uses_every_range_of_the_schema(tmp_path):
    """Until the schema's assumption fields carry ranges, 'assumptions' is a clear error; once they do, the
    plan holds every one of them, and each range fits its field's bounds (checked when the file is loaded)."""
    path = tmp_path / "assume.yaml"
    path.write_text("name: assume\nsensitivity:\n  method: morris\n  trajectories: 2\n  parameters: assumptions\n")
    res = lonesim("sensitivity", path, "--dry-run", "--out", tmp_path / "o")
    ranged = assumption_fields(Scenario)
    if not ranged:
        assert res.returncode == 2
        assert res.stderr.startswith(f"error: {path}:5: sensitivity.parameters: no parameter of the schema has an "
                                     "assumption range yet"), res.stderr
    else:
        assert res.returncode == 0, res.stderr
        for a in ranged:
            assert f"  {a.path}: [{a.low:g}, {a.high:g}]" in res.stdout
        unranged = unranged_assumptions(Scenario)
        assert ("warning" in res.stderr) == bool(unranged)


def test_shipped_sensitivity_scenarios_are_valid():
    for name in ("sensitivity_morris", "sensitivity_sobol"):
        res = CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / f"{name}.yaml")])
        assert res.exit_code == 0, res.output
    sobol = Scenario.model_validate(yaml.safe_load((ROOT / "scenarios/sensitivity_sobol.yaml").read_text()))
    assert sobol.sensitivity.method == "sobol" and len(sobol.sensitivity.parameters) == 8


# =========================================================================== known functions, same executors
def _plan(method: str, params: list[Parameter], size: int, outputs: list[str], replicates: int = 1, seed: int = 1):
    design = make_design(method, params, size, levels=4, replicates=replicates, seed=seed)
    return SensitivityPlan(name="known", design=design, outputs=outputs, bootstrap=200)


def test_ishigami_sobol_indices_are_recovered_through_the_executors(tmp_path):
    plan = _plan("sobol", [Parameter(n, -math.pi, math.pi) for n in ("x1", "x2", "x3")], 512, ["y"])
    outcome = run_sensitivity(plan, tmp_path / "ishigami", evaluate=ishigami, workers=2, progress=False)
    assert outcome.done == 512 * 5 and not outcome.failed and outcome.analysed
    idx = pd.read_csv(tmp_path / "ishigami" / "indices.csv").set_index("parameter")
    for name, s1, st in zip(("x1", "x2", "x3"), ISHIGAMI_S1, ISHIGAMI_ST):
        assert abs(idx.S1[name] - s1) < min(0.06, idx.S1_conf[name]), (name, idx.S1[name], s1)
        assert abs(idx.ST[name] - st) < min(0.06, idx.ST_conf[name]), (name, idx.ST[name], st)
    assert list(idx.sort_values("rank").index) == ["x1", "x2", "x3"]  # ranked by ST
    assert (idx.ST_noise.isna()).all() and idx.above_noise.isna().all()  # one replicate: noise not measured
    assert "One replicate per point" in (tmp_path / "ishigami" / "report.md").read_text()


def test_morris_elementary_effects_of_a_linear_function_are_exact(tmp_path):
    params = [Parameter("a", 0, 1), Parameter("b", 0, 2), Parameter("c", -1, 1), Parameter("d", 1, math.e**2, log=True)]
    plan = _plan("morris", params, 6, ["y"])
    outcome = run_sensitivity(plan, tmp_path / "lin", evaluate=linear, workers=1, progress=False)
    assert outcome.done == 6 * 5 and outcome.analysed
    idx = pd.read_csv(tmp_path / "lin" / "indices.csv").set_index("parameter")
    assert idx.mu_star.to_list() == pytest.approx([3, 4, 0, 2], abs=1e-9)
    assert idx.mu.to_list() == pytest.approx([3, -4, 0, 2], abs=1e-9)
    assert idx.sigma.to_list() == pytest.approx([0, 0, 0, 0], abs=1e-9)
    conv = pd.read_csv(tmp_path / "lin" / "convergence.csv")
    assert conv[conv["index"] == "mu_star"]["half"].to_list() == pytest.approx([3, 4, 0, 2], abs=1e-9)


def test_replicate_noise_floor_tells_an_index_from_noise(tmp_path):
    plan = _plan("morris", [Parameter("x", 0, 1), Parameter("dummy", 0, 1)], 20, ["y", "common"], replicates=3)
    outcome = run_sensitivity(plan, tmp_path / "noisy", evaluate=noisy, workers=2, progress=False)
    assert outcome.analysed
    idx = pd.read_csv(tmp_path / "noisy" / "indices.csv").set_index(["output", "parameter"])
    # independent noise: the dummy parameter's mu_star is noise, and the noise index is of its size
    dummy = idx.loc[("y", "dummy")]
    assert dummy.mu_star > 0 and 0.5 < dummy.mu_star / dummy.mu_star_noise < 2 and not dummy.above_noise
    assert idx.loc[("y", "x")].above_noise and idx.loc[("y", "x")].mu_star == pytest.approx(1, abs=0.05)
    # noise shared by every point of a replicate (what common random numbers give) cancels exactly
    assert idx.loc[("common", "dummy")].mu_star == pytest.approx(0, abs=1e-12)
    assert idx.loc[("common", "dummy")].mu_star_noise == pytest.approx(0, abs=1e-12)
    assert idx.loc[("common", "x")].mu_star == pytest.approx(1, abs=1e-9)
    noise = pd.read_csv(tmp_path / "noisy" / "noise.csv").set_index("output")
    assert noise.loc["common"].replicate_sd > 0.3 and noise.loc["common"].noise_share < 1e-12
    assert noise.loc["y"].replicate_sd == pytest.approx(0.05, rel=0.3)


def test_run_folders_only_when_asked(tiny_yaml, tmp_path):
    out = tmp_path / "folders"
    res = lonesim("sensitivity", tiny_yaml, "--out", out, "-q", "--no-figures", "--set", "sensitivity.run_folders=true",
                  "--set", "sensitivity.trajectories=2", "--set", "sensitivity.replicates=1")
    assert res.returncode == 0, res.stderr
    names = sorted(p.stem for p in (out / RUNS_DIR).glob("*.json"))
    assert names == sorted(p.name for p in (out / "run_folders").iterdir()) and len(names) == 2 * 5
    for name in names[:2]:
        folder = out / "run_folders" / name
        assert (folder / "timeseries.parquet").exists() and not list(folder.glob("*.png"))
        summary = json.loads((folder / "summary.json").read_text())
        assert json.loads((out / RUNS_DIR / f"{name}.json").read_text())["summary"]["mean_relative_hazard"] == \
            summary["mean_relative_hazard"]
    assert not (out / "figures").exists() and (out / "indices.csv").exists()
