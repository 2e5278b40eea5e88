"""``lonesim experiment`` as a user runs it, ``lonesim defaults`` and ``lonesim --version``."""

from __future__ import annotations

import pandas as pd
import yaml

from sim.config import Scenario, load_scenario
from sim.paramdoc import SHIPPED_SEED
from tests.conftest import ROOT, assert_one_clear_error, lonesim


def test_mortality_landmark_beyond_the_follow_up_is_one_error_line_before_anything_runs(tmp_path):
    """The crash of issue 19 (KeyError 'alive_landmark'): a landmark at or after the last day left the
    landmark analysis without its window. Such a study is now refused when the file is checked."""
    res = lonesim("experiment", "experiments/mortality.yaml", "--quick", "--set", "days=120",
                  "--out", tmp_path / "out")
    err = assert_one_clear_error(res, "experiments/mortality.yaml:15: landmark_days: 365 leaves no follow-up",
                                 "120 days")
    assert len(err.splitlines()) == 1 and not (tmp_path / "out").exists()
    bad = tmp_path / "mortality.yaml"  # the quick form's own landmark, at the quick form's last day
    text = (ROOT / "experiments" / "mortality.yaml").read_text()
    bad.write_text(text.replace("landmark_days: 180 ", "landmark_days: 365 "))
    res = lonesim("experiment", bad, "--quick", "--out", tmp_path / "out")
    line = 1 + text.splitlines().index(next(ln for ln in text.splitlines() if "landmark_days: 180" in ln))
    assert_one_clear_error(res, f"mortality.yaml:{line}: quick.landmark_days: 365 leaves no follow-up", "365 days")


def test_experiment_writes_to_results_experiments_with_progress_and_never_to_the_reference(tmp_path):
    res = lonesim("experiment", ROOT / "experiments" / "big_joy.yaml", "--quick", "--workers", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    folder = tmp_path / "results" / "experiments" / "quick"
    assert (folder / "validation" / "big_joy.csv").is_file() and (folder / "validation" / "big_joy.png").is_file()
    assert set(pd.read_csv(folder / "validation.csv")["study"]) == {"big_joy"}
    assert not (tmp_path / "results" / "reference").exists()
    assert "big_joy (big_joy)" in res.stderr and "run/s" in res.stderr  # a progress bar over the replicates
    assert "1 of 1" in res.stderr


def test_update_reference_is_for_the_full_studies_only(tmp_path):
    for extra in (["--quick"], ["--out", str(tmp_path / "x")]):
        res = lonesim("experiment", "experiments/big_joy.yaml", "--update-reference", *extra, cwd=tmp_path)
        assert_one_clear_error(res, "--update-reference")
    assert not (tmp_path / "x").exists()


def test_defaults_is_a_complete_commented_scenario_with_the_shipped_seed(tmp_path):
    res = lonesim("defaults")
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert yaml.safe_load(text) == Scenario(seed=SHIPPED_SEED).model_dump(mode="json", exclude_none=True)
    (tmp_path / "mine.yaml").write_text(text)
    assert load_scenario(tmp_path / "mine.yaml").seed == SHIPPED_SEED
    lines = text.splitlines()
    assert "# Number of people (adults)." in lines[lines.index("  size: 10000") - 1]  # the comment above its key
    assert "Wang et al. 2023" in text and "per day" in text and "Assumption" in text  # sources and units
    keys = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    commented = [ln for i, ln in enumerate(lines) if i and lines[i - 1].lstrip().startswith("#")
                 and not ln.lstrip().startswith("#")]
    assert len(commented) > 0.9 * len(keys)  # (list items and a few keys without a description aside)


def test_every_shipped_scenario_uses_the_seed_defaults_prints():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        assert load_scenario(path).seed == SHIPPED_SEED, path.name


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    import sim

    res = lonesim("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"lonesim {version('lonesim')}" == f"lonesim {sim.__version__}"
    assert version("lonesim") in (ROOT / "pyproject.toml").read_text()
