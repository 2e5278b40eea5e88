"""The Python API (docs/api.md) as a user calls it: the same files as the command line, tidy tables of
batches read back from disk, one-line errors for bad arguments, Mesa's batch_run, the quickstart notebook."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.runs.layout import SweepError
from tests.conftest import ROOT, lonesim

BASELINE = ROOT / "scenarios" / "baseline.yaml"
SMALL = {"population.size": 300, "days": 15, "burn_in_days": 5}

SWEEP = """\
name: tiny_api_sweep
seed: 5
days: 12
burn_in_days: 3
population: {size: 300}
output: {figures: false}
sweep:
  replicates: 2
  grid:
    network.isolation.fraction: [0.0, 0.3]
"""


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_run_writes_what_lonesim_run_writes_and_holds_the_same_tables(tmp_path):
    res = lonesim("run", BASELINE, "--out", tmp_path / "cli", "--seed", "11", "-q",
                  *[f"--set={k}={v}" for k, v in SMALL.items()])
    assert res.returncode == 0, res.stderr
    r = sim.run(BASELINE, seed=11, out=tmp_path / "api", set={"population.size": 300}, days=15, burn_in_days=5)
    cli, api = _files(tmp_path / "cli"), _files(tmp_path / "api")
    assert cli.keys() == api.keys() and "timeseries.png" in cli
    for name in cli:
        assert cli[name] == api[name], name  # byte-identical: the same functions made them
    disk = sim.load(tmp_path / "cli")
    assert isinstance(disk, sim.RunResult) and disk.seed == 11 and disk.scenario.population.size == 300
    pd.testing.assert_frame_equal(r.timeseries, disk.timeseries)
    pd.testing.assert_frame_equal(r.agents, disk.agents)
    pd.testing.assert_frame_equal(r.edges, disk.edges)
    assert r.summary == json.loads((tmp_path / "cli" / "summary.json").read_text())
    assert len(r.timeseries) == 15 and len(r.agents) == 300 and {"source", "target", "kind", "closeness"} <= set(r.edges)
    fig = r.plot()
    assert [ax.get_xlabel() for ax in fig.axes] == ["day"] * 3 and all(ax.get_ylabel() for ax in fig.axes)
    assert fig.axes[0].lines[0].get_ydata().tolist() == r.timeseries["loneliness_prevalence"].tolist()


def test_keyword_overrides_are_dotted_paths_with_double_underscores():
    from sim.api import overrides_from

    assert overrides_from({"days": 3}, population__size=2000, shocks__0__start_day=5) == {
        "days": 3, "population.size": 2000, "shocks.0.start_day": 5}
    assert overrides_from({"days": 3}, days=4) == {"days": 4}  # the keyword wins
    a = sim.run(sim.Scenario(), seed=2, population__size=200, days=4, burn_in_days=2)
    b = sim.run(sim.Scenario(), seed=2, set={"population.size": 200, "days": 4, "burn_in_days": 2})
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.scenario.population.size == 200 and a.seed == 2


@pytest.mark.parametrize("call, message", [
    (lambda: sim.run(BASELINE, seed=1.9), "seed: must be a whole number"),
    (lambda: sim.run(BASELINE, seed=True), "seed: must be a whole number"),
    (lambda: sim.run(BASELINE, seed="3"), "seed: must be a whole number"),
    (lambda: sim.run(BASELINE, seed=-1), "seed: must be a whole number"),
    (lambda: sim.run(BASELINE, population__sise=5), "population.sise: unknown key 'sise' (did you mean 'size'?)"),
    (lambda: sim.run(BASELINE, days="x"), "(override): days:"),
    (lambda: sim.run(BASELINE, set=["days=3"]), "set: expected a mapping"),
    (lambda: sim.run(5), "scenario: expected the path of a scenario YAML file or a sim.Scenario"),
    (lambda: sim.run(ROOT / "nope.yaml"), "nope.yaml: file not found"),
    (lambda: sim.run(BASELINE, overwrite="yes"), "overwrite: must be True or False"),
    (lambda: sim.sweep(BASELINE, workers=0), "workers: must be a whole number of processes"),
    (lambda: sim.sweep(BASELINE, workers=1.5), "workers: must be a whole number of processes"),
    (lambda: sim.sweep(BASELINE, executor="spark"), "executor: unknown executor 'spark' (choose 'local' or 'dask')"),
    (lambda: sim.sweep(BASELINE, executor="local"), "sweep"),  # local is accepted, as by the commands (issue 19)
    (lambda: sim.sweep(BASELINE), "sweep"),  # no sweep block: the command's own message
    (lambda: sim.compare(BASELINE), "comparison: no comparison block"),
])
def test_bad_arguments_raise_one_line_scenario_errors(call, message):
    with pytest.raises(sim.ScenarioError) as err:
        call()
    text = str(err.value)
    assert message in text and "\n" not in text, text


def test_sweep_returns_a_tidy_table_of_every_run_by_every_day(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP)
    res = lonesim("sweep", path, "--out", tmp_path / "cli", "-q", "--no-figures")
    assert res.returncode == 0, res.stderr
    b = sim.sweep(path, out=tmp_path / "api", figures=False)
    for name, data in _files(tmp_path / "cli").items():  # the same runs and tables as the command
        if name.startswith("runs/") or name.endswith(".csv"):
            assert data == (tmp_path / "api" / name).read_bytes(), name
    assert b.kind == "sweep" and b.by == ["point", "network.isolation.fraction"]
    ts = b.timeseries
    assert len(ts) == 2 * 2 * 12 and list(ts.columns[:5]) == ["run", "replicate", "point", "network.isolation.fraction", "day"]
    one = ts[(ts["network.isolation.fraction"] == 0.3) & (ts["replicate"] == 1)].drop(
        columns=["run", "replicate", "point", "network.isolation.fraction"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(one, pd.read_parquet(tmp_path / "cli" / "runs" / "p001-r001" / "timeseries.parquet"))
    runs = b.runs
    assert len(runs) == 4 and runs.groupby("point")["isolation_prevalence"].mean().is_monotonic_increasing
    again = sim.load(tmp_path / "cli")
    pd.testing.assert_frame_equal(again.timeseries, ts)
    pd.testing.assert_frame_equal(again.summary, pd.read_parquet(tmp_path / "cli" / "summary.parquet"))
    fig = b.plot("isolation_prevalence")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2  # a mean line and a replicate band per point
    assert ax.get_xlabel() == "day" and "isolated" in ax.get_ylabel() and "2 replicate" in ax.get_title()
    assert ax.lines[1].get_ydata().tolist() == pytest.approx(
        ts[ts["point"] == 1].groupby("day")["isolation_prevalence"].mean().tolist())
    with pytest.raises(SweepError, match="sweep folder already exists"):
        sim.sweep(path, out=tmp_path / "api")
    assert b.run("p000-r000").timeseries.equals(pd.read_parquet(tmp_path / "api" / "runs" / "p000-r000" / "timeseries.parquet"))


@pytest.mark.slow
def test_compare_and_sensitivity_results_name_arms_and_parameters(tmp_path):
    from tests.test_compare import TINY as COMPARE
    from tests.test_sensitivity import TINY as SENSITIVITY

    (tmp_path / "compare.yaml").write_text(COMPARE)
    c = sim.compare(tmp_path / "compare.yaml", out=tmp_path / "c", comparison__replicates=1, days=60)
    assert c.kind == "comparison" and set(c.timeseries["arm"]) == {"control", "nothing", "groups"}
    assert len(c.timeseries) == 3 * 60 and set(c.summary["arm"]) == {"nothing", "groups"}
    labels = [t.get_text() for t in c.plot().legends[0].get_texts()]
    assert labels[0] == "control" and "groups (group_activity, loneliest)" in labels
    (tmp_path / "sens.yaml").write_text(SENSITIVITY)
    small = {"sensitivity.trajectories": 2, "sensitivity.replicates": 1}
    s = sim.sensitivity(tmp_path / "sens.yaml", out=tmp_path / "s", set=small, figures=False)
    with pytest.raises(SweepError, match="run_folders: true"):
        s.timeseries  # noqa: B018 - the property is the call under test
    assert len(s.runs) == 2 * 5 and "smiles.propensity" in s.runs and "loneliness_prevalence" in s.runs
    s = sim.sensitivity(tmp_path / "sens.yaml", out=tmp_path / "s2", set=small, figures=False,
                        sensitivity__run_folders=True)
    ts = s.timeseries
    assert len(ts) == 2 * 5 * 20 and {"smiles.propensity", "ties.friend.rate_per_day", "day"} <= set(ts)
    assert ts.groupby("run")["smiles.propensity"].nunique().eq(1).all()


def test_connection_model_works_with_mesa_batch_run():
    import mesa

    from sim.model import ConnectionModel

    rows = mesa.batch_run(ConnectionModel, parameters={"n_people": 200, "days": 4, "isolation_fraction": [0.0, 0.4],
                                                       "agents": False},
                          rng=[1, 2], max_steps=100, number_processes=1, data_collection_period=1, display_progress=False)
    df = pd.DataFrame(rows)
    assert len(df) == 2 * 2 * 5 and set(df["seed"]) == {1, 2}  # 5 rows a run: day 0 and four days
    assert (df["Step"] == df["day"]).all()
    last = df[df["day"] == 4].set_index(["seed", "isolation_fraction"])["isolation_prevalence"]
    assert last[(1, 0.4)] > last[(1, 0.0)] + 0.1 and last[(2, 0.4)] > last[(2, 0.0)] + 0.1
    same = sim.run(sim.Scenario(), seed=1, population__size=200, days=4, network__isolation__fraction=0.4)
    assert same.timeseries["isolation_prevalence"].iloc[-1] == pytest.approx(last[(1, 0.4)])


def test_quickstart_notebook_runs_and_draws_a_figure():
    import nbclient  # the test extras (pyproject.toml): a missing one fails here rather than skipping
    import nbformat

    nb = nbformat.read(ROOT / "docs" / "quickstart.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert sum(len(c.source.strip().splitlines()) for c in code) <= 5  # five lines from import to a figure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # jupyter_client's own, on some versions
        nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook shows no figure"


def test_load_refuses_what_is_not_a_finished_folder(tmp_path):
    with pytest.raises(SweepError, match="not a lonesim batch folder"):
        sim.load(tmp_path)
    (tmp_path / "sweep.json").write_text('{"points": [{"point": 0}]}')
    with pytest.raises(SweepError, match="not a lonesim sweep manifest"):
        sim.load(tmp_path)
    (tmp_path / "sweep.json").write_text('{"points": [], "swept": []}')
    with pytest.raises(SweepError, match="no finished runs yet"):
        sim.load(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "manifest.json").write_text("{}")
    with pytest.raises(SweepError, match="not a finished lonesim run folder"):
        sim.load(tmp_path / "run")
