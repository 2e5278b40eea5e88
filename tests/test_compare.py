"""``lonesim compare`` as a user runs it: the files it writes, the same bytes with any worker count, the control
arm equal to a plain run, resume after an interruption, bad comparison blocks, and read-outs that move the
right way (a programme that does nothing averts nothing; a strong one averts deaths)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.runs.tracking import track_complete

ROOT = Path(__file__).resolve().parents[1]
LONESIM = [sys.executable, "-m", "sim"]

TINY = """\
name: tiny_compare
seed: 77
days: 90
burn_in_days: 10
population:
  size: 400
output:
  figures: false
comparison:
  replicates: 2
  horizon_years: 0.5
  follow_up_days: [20, 40]
  hr_draws: 60
  arms:
    - name: nothing
      kind: befriending
      targeting: loneliest
      coverage: 0.2
      start_day: 10
      duration_days: 20
      visits_per_week: 0
      cost_per_enrolled: 50
    - name: groups
      kind: group_activity
      targeting: loneliest
      coverage: 0.3
      start_day: 10
      duration_days: 30
      group_tie_closeness: 1.0
      ties_kept_share: 1.0
      cost_per_enrolled: 100
"""


def lonesim(*args, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*LONESIM, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def invoke(*args):
    """The command line in this process (Typer's test runner): exit code and output."""
    from typer.testing import CliRunner

    from sim.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, without the ``git_commit`` line of manifests (others commit while tests run)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            if p.name in ("manifest.json", "comparison.json"):
                data = b"\n".join(ln for ln in data.split(b"\n") if not ln.lstrip().startswith(b'"git_commit"'))
            out[str(p.relative_to(folder))] = data
    return out


@pytest.fixture(scope="module")
def tiny_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cmp") / "tiny_compare.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tiny_yaml, tmp_path_factory) -> Path:
    """The tiny comparison on two worker processes."""
    out = tmp_path_factory.mktemp("ref") / "cmp"
    res = lonesim("compare", tiny_yaml, "--workers", "2", "--out", out)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(out)
    return out


def test_folder_tables_figures_and_a_self_contained_report(reference):
    for name in ("comparison.json", "comparison.csv", "comparison.parquet", "trial.csv", "trial.parquet", "forest.png",
                 "cost.png", "ranking.png", "trajectories.png", "trajectories.csv", "report.html"):
        assert (reference / name).stat().st_size > 0, name
    runs = sorted(p.name for p in (reference / "runs").iterdir())
    assert runs == sorted(f"{a}-r{r:03d}" for a in ("control", "nothing", "groups") for r in range(2))
    assert all(track_complete(reference / "tracks" / r) for r in runs)
    table = pd.read_csv(reference / "comparison.csv")
    for col in ("arm", "programme", "targeting", "enrolled", "trial_smd", "trial_smd_low", "trial_smd_high",
                "deaths_averted_per_1000_enrolled", "deaths_averted_low", "deaths_averted_high",
                "deaths_averted_per_1000_residents", "life_years_gained_per_1000_enrolled",
                "loneliness_free_years_per_1000_enrolled", "spillover_first_degree", "spillover_second_degree",
                "cost_per_life_year", "cost_per_loneliness_free_year", "probability_best_deaths_averted"):
        assert col in table.columns, col
    assert table["arm"].tolist() == ["nothing", "groups"] and table["enrolled"].tolist() == [80, 120]
    pd.testing.assert_frame_equal(table, pd.read_parquet(reference / "comparison.parquet"), check_dtype=False)
    trial = pd.read_csv(reference / "trial.csv")
    assert trial[trial.arm == "groups"]["time_point"].tolist() == ["baseline", "end", "20d", "40d"]
    assert trial[trial.arm == "groups"]["day"].tolist() == [9, 39, 59, 79]
    html = (reference / "report.html").read_text()
    assert "<img" in html and html.count("data:image/png;base64,") == 4
    assert not re.search(r"(src|href)=[\"']https?://", html), "the report must not need the internet"
    assert "<script" not in html


def test_the_report_reads_plainly_and_follows_its_wording_rules(reference):
    """Issue 19 item 2: plain names, the certainty rule, no 'cheapest' when the gain's interval includes zero, the
    header from the resolved configuration, a warning for 2 replicates, figures before tables, a glossary."""
    html = (reference / "report.html").read_text()
    table = pd.read_csv(reference / "comparison.csv")
    groups = table.set_index("arm").loc["groups"]
    assert groups["deaths_averted_low"] > 0  # the strong arm's benefit is clear of zero ...
    assert "<b>Most deaths averted: Group activities — for the loneliest</b>" in html
    share = groups["probability_best_deaths_averted"]
    word = "very likely" if share >= 0.95 else "likely" if share >= 0.75 else "uncertain — the ranking could change"
    assert f"came first in {share:.0%} of the model's uncertainty draws: {word}." in html
    for vague in ("fairly sure", "somewhat sure", "not sure"):
        assert vague not in html
    # ... its loneliness-free-year gain is not: no 'cheapest'/'lowest cost' headline names it
    assert groups["loneliness_free_years_low"] <= 0
    assert "No arm is named as the cheapest way to a loneliness-free year" in html
    assert "Lowest cost per loneliness-free year" not in html
    # plain names, not code names; ranked by deaths averted (groups first although second in the file)
    assert "group_activity" not in html and ">loneliest<" not in html
    policy = html[html.index("As a policy"):html.index("The whole town")]
    assert policy.index("Group activities") < policy.index("Befriending visits")
    assert policy.index("<img") < policy.index("<table")  # the figure before the table
    assert "a town of 400 adults simulated for 90 days; 2 replicate towns per arm" in html
    assert "Warning." in html and "only 2 replicate towns per arm" in html
    assert "<h2>Glossary</h2>" in html and "Standardised mean difference" in html
    assert "Over time: each arm against the town without it" in html
    assert "willingness-to-pay" in html


def test_lonesim_report_rebuilds_a_comparison_folder_byte_for_byte(reference, tmp_path):
    copy = tmp_path / "cmp"
    shutil.copytree(reference, copy)
    for name in ("report.html", "cost.png", "comparison.csv"):
        (copy / name).unlink()
    res = lonesim("report", copy)
    assert res.returncode == 0, res.stderr
    assert "comparison report:" in res.stderr
    for name in ("report.html", "cost.png", "comparison.csv", "trajectories.csv"):
        assert (copy / name).read_bytes() == (reference / name).read_bytes(), name


def test_the_header_follows_set_overrides():
    """The page's facts come from the resolved scenario: --set population.size=300 says 300, not the file's size."""
    from sim.config import load_scenario
    from sim.runs.compare import plan_comparison
    from sim.runs.compare_html import facts

    path = ROOT / "scenarios" / "programmes.yaml"
    plan = plan_comparison(load_scenario(path, {"population.size": 300, "comparison.replicates": 3}))
    manifest = plan.manifest()
    text = facts(manifest, pd.DataFrame({"extrapolated_share_of_horizon": [0.0]}))
    assert "a town of 300 adults" in text and "3 replicate towns per arm" in text and "5,000" not in text


def test_a_programme_that_does_nothing_averts_nothing_and_a_strong_one_helps(reference):
    table = pd.read_csv(reference / "comparison.csv").set_index("arm")
    nothing, groups = table.loc["nothing"], table.loc["groups"]
    for col in ("deaths_averted_per_1000_enrolled", "deaths_averted_low", "deaths_averted_high",
                "life_years_gained_per_1000_enrolled", "loneliness_free_years_per_1000_enrolled",
                "loneliness_prevalence_change_end", "isolation_prevalence_change_end", "spillover_first_degree"):
        assert nothing[col] == 0, col  # the same town, to the bit
    trial = pd.read_csv(reference / "trial.csv")
    null = trial[trial.arm == "nothing"]
    assert ((null["smd_low"] < 0) & (null["smd_high"] > 0)).all()  # only the randomisation's imbalance: no effect
    # the paired effect (the same people in both towns) has no imbalance: exactly 0 for a programme that does nothing
    assert (null["paired_smd"] == 0).all() and (null["paired_smd_low"] == 0).all()
    real = trial[(trial.arm == "groups") & (trial.time_point != "baseline")]
    assert (trial[(trial.arm == "groups") & (trial.time_point == "baseline")]["paired_smd"] == 0).all()
    assert (real["paired_smd"] < 0).all()  # groups lower loneliness, measured without the imbalance
    assert np.isnan(nothing["cost_per_life_year"])  # nothing gained: no cost per gain
    # groups of close ties: members meet more and are less lonely, and fewer people are isolated at the end
    # (membership itself ends with the programme on day 40; the kept ties remain: 8 of 400 fewer isolated)
    assert groups["isolation_prevalence_change_end"] < 0 and groups["loneliness_prevalence_change_end"] < 0
    # (the trial's own SMD at 400 people is noisy since loneliness moves from year to year: its point is below the
    # null arm's, and the paired effect above is negative at every time point)
    assert groups["trial_smd_40d"] < null["smd"].iloc[3]
    assert groups["deaths_averted_low"] > 0 and groups["life_years_gained_low"] > 0
    assert groups["deaths_averted_per_1000_residents"] == pytest.approx(
        groups["deaths_averted_per_1000_enrolled"] * 120 / 400, rel=1e-5)  # the CSV keeps 6 digits
    assert groups["cost_per_life_year"] == pytest.approx(100_000 / groups["life_years_gained_per_1000_enrolled"], rel=1e-5)
    assert 0 < groups["extrapolated_share_of_horizon"] < 1  # 80 of 182 days simulated after the start
    assert groups["probability_best_deaths_averted"] == 1.0


def test_same_files_with_one_worker_and_control_equals_a_plain_run(reference, tiny_yaml, tmp_path):
    one = tmp_path / "one"
    res = lonesim("compare", tiny_yaml, "--workers", "1", "--out", one, "--quiet")
    assert res.returncode == 0, res.stderr
    a, b = files_of(reference), files_of(one)
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    plain = tmp_path / "plain"
    res = lonesim("run", tiny_yaml, "--out", plain, "--quiet")
    assert res.returncode == 0, res.stderr
    assert files_of(plain) == files_of(reference / "runs" / "control-r000")  # file for file, byte for byte


def test_dask_cluster_gives_the_same_files(reference, tiny_yaml, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        out = tmp_path / "dask"
        res = lonesim("compare", tiny_yaml, "--executor", "dask", "--scheduler", cluster.scheduler_address,
                      "--out", out, "--quiet")
        assert res.returncode == 0, res.stderr
    assert files_of(out) == files_of(reference)


def _finished(out: Path) -> list[str]:
    from sim.runs.layout import run_complete

    runs = out / "runs"
    if not runs.is_dir():
        return []
    return [p.name for p in sorted(runs.iterdir())
            if not p.name.startswith(".") and run_complete(p) and track_complete(out / "tracks" / p.name)]


def test_sigkill_then_resume_keeps_finished_runs_and_ends_as_if_never_interrupted(reference, tiny_yaml, tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "killed"
    proc = subprocess.Popen([*LONESIM, "compare", str(tiny_yaml), "--workers", "2", "--out", str(out), "--quiet"],
                            cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while len(_finished(out)) < 2:
            assert proc.poll() is None, f"the comparison ended before it could be killed: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no run finished within 120 s"
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, no clean-up
        proc.wait()
    finished = _finished(out)
    assert 2 <= len(finished) < 6 and not (out / "comparison.csv").exists()
    stamps = {n: (out / "runs" / n / "summary.json").stat().st_mtime_ns for n in finished}
    res = lonesim("compare", tiny_yaml, "--workers", "2", "--out", out, "--resume")
    assert res.returncode == 0, res.stderr
    assert f"{len(finished)} already finished (kept)" in res.stderr
    assert all((out / "runs" / n / "summary.json").stat().st_mtime_ns == stamps[n] for n in finished)
    assert not [p for sub in ("runs", "tracks") for p in (out / sub).iterdir() if p.name.startswith(".")]
    assert files_of(out) == files_of(reference)


def test_resume_redoes_only_what_is_missing(reference, tiny_yaml, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(reference, out)
    for name in ("comparison.csv", "report.html"):
        (out / name).unlink()
    shutil.rmtree(out / "runs" / "groups-r001")  # a run that never finished ...
    (out / "tracks" / ".groups-r001.tmp-1234").mkdir()  # ... and left a temporary folder
    shutil.rmtree(out / "tracks" / "nothing-r000")  # a run whose track is missing is redone as a whole
    kept = (out / "runs" / "control-r001" / "manifest.json").stat().st_mtime_ns
    res = lonesim("compare", tiny_yaml, "--workers", "2", "--out", out)
    assert res.returncode == 2 and "already exists" in res.stderr and "--resume" in res.stderr
    res = lonesim("compare", tiny_yaml, "--workers", "2", "--out", out, "--resume")
    assert res.returncode == 0, res.stderr
    assert "2 runs done, 4 already finished (kept)" in res.stderr
    assert (out / "runs" / "control-r001" / "manifest.json").stat().st_mtime_ns == kept
    assert files_of(out) == files_of(reference)
    res = lonesim("compare", tiny_yaml, "--out", out, "--resume", "--seed", "5")
    assert res.returncode == 2 and "different scenario" in res.stderr


def test_dry_run_lists_the_arms_and_runs(tiny_yaml, tmp_path):
    res = invoke("compare", tiny_yaml, "--dry-run", "--out", tmp_path / "dry")
    assert res.exit_code == 0, res.output
    assert "control + 2 arms x 2 replicates = 6 runs" in res.output
    assert "arm groups: group_activity, loneliest, coverage 0.3, days 10-39, £100 per enrolled" in res.output
    assert len([ln for ln in res.output.splitlines() if ln.startswith("runs/")]) == 6
    assert not (tmp_path / "dry").exists()


BAD = [
    ("      kind: befriending\n", "      kind: hugging\n", r":\d+: comparison\.arms\[0\]\.kind: Input should be"),
    ("      coverage: 0.2\n", "      coverage: 1.5\n",
     r":\d+: comparison\.arms\[0\]\.coverage: Input should be less than or equal to 1"),
    ("      start_day: 10\n      duration_days: 30\n", "      start_day: 90\n      duration_days: 30\n",
     r":\d+: comparison\.arms\[1\]\.start_day: day 90 is after the last day \(the scenario has 90 days: 0-89\)"),
    ("    - name: groups\n", "    - name: nothing\n",
     r":\d+: comparison\.arms\[1\]\.name: duplicate arm name 'nothing' \(also arms\[0\]\)"),
    ("    - name: groups\n", "    - name: control\n", r":\d+: comparison\.arms\[1\]\.name: 'control' is the name of the town"),
    ("  replicates: 2\n", "  replicates: 0\n", r":\d+: comparison\.replicates: Input should be greater than 0"),
]


@pytest.mark.parametrize("old,new,pattern", BAD)
def test_bad_comparison_blocks_get_one_line_with_file_line_and_key(tmp_path, old, new, pattern):
    text = TINY.replace(old, new, 1)
    assert text != TINY
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    res = invoke("compare", path, "--out", tmp_path / "out")  # in-process: the same command, no interpreter start-up
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.output, res.output
    assert isinstance(res.exception, SystemExit), res.exception  # typer.Exit(2), not an error escaping
    assert re.search(rf"^error: {re.escape(str(path))}{pattern}", lines[0]), lines[0]
    # the line number is the line of the key in the file
    number = int(lines[0].split(":")[2])
    key = lines[0].split(": ")[2].split(".")[-1].split("[")[0]
    assert key in text.splitlines()[number - 1], (number, text.splitlines()[number - 1])
    assert not (tmp_path / "out").exists()


def test_a_bad_value_given_with_set_is_blamed_on_set(tiny_yaml, tmp_path):
    res = invoke("compare", tiny_yaml, "--set", "comparison.arms.1.start_day=500", "--out", tmp_path / "o")
    assert res.exit_code == 2
    assert res.output.strip() == (f"error: {tiny_yaml} (--set): comparison.arms[1].start_day: day 500 is after the "
                                  "last day (the scenario has 90 days: 0-89)")
    res = invoke("compare", tiny_yaml, "--set", "comparison.arms.0.coverage=2", "--out", tmp_path / "o")
    assert res.exit_code == 2 and res.output.startswith(f"error: {tiny_yaml} (--set): comparison.arms[0].coverage:")


def test_no_comparison_block_and_bad_options(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("population:\n  size: 100\n")
    res = invoke("compare", path)
    assert res.exit_code == 2 and "no comparison block" in res.output and "Traceback" not in res.output
    res = invoke("compare", path, "--executor", "dask")
    assert res.exit_code == 2 and "--scheduler" in res.output


def test_manifest_records_the_plan_not_how_it_ran(reference):
    manifest = json.loads((reference / "comparison.json").read_text())
    assert manifest["replicates"] == 2 and [a["name"] for a in manifest["arms"]] == ["control", "nothing", "groups"]
    assert manifest["arms"][2]["time_points"] == {"baseline": 9, "end": 39, "20d": 59, "40d": 79}
    assert "workers" not in json.dumps(manifest)
