"""What a reader of lonesim's reports and figures sees (issue 19 items 2 and 3): the display-name map covers
every code name a page can show, the certainty wording follows its documented rule, no headline names an arm
"most"/"lowest cost" when its interval includes zero, and run figures come in the chosen format, at 300 dpi,
byte-identical for the same run, with a network figure that costs seconds, not minutes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.config.display import (
    CERTAINTY_RULE,
    PROGRAMMES,
    TARGETING,
    certainty,
    label,
    parameter_name,
    programme_name,
    targeting_name,
)

ROOT = Path(__file__).resolve().parents[1]


def lonesim(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def test_every_programme_and_targeting_rule_has_a_plain_name():
    from sim.config.programmes import PROGRAMME_KINDS, TARGETING_RULES

    assert set(PROGRAMME_KINDS) <= set(PROGRAMMES) and set(TARGETING_RULES) <= set(TARGETING)
    assert programme_name("social_cognition").startswith("CBT-type") and targeting_name("most_isolated") == \
        "the most isolated"
    assert label("mean_relative_hazard") == "Mean relative hazard of death (× baseline hazard)"
    assert parameter_name("network.isolation.fraction") == "Share made structurally isolated"
    assert parameter_name("shocks.1.duration_days") == "Shock 2: duration days"  # the fallback, never blank


@pytest.mark.parametrize("share, words", [(1.0, "very likely"), (0.95, "very likely"), (0.949, "likely"),
                                          (0.75, "likely"), (0.749, "uncertain — the ranking could change"),
                                          (0.53, "uncertain — the ranking could change")])
def test_certainty_words_follow_the_documented_rule(share, words):
    assert certainty(share) == words
    assert "95%" in CERTAINTY_RULE and "75" in CERTAINTY_RULE
    assert "95%" in (ROOT / "docs" / "programmes.md").read_text() and "very likely" in \
        (ROOT / "docs" / "programmes.md").read_text()


def _table(**changes) -> pd.DataFrame:
    """Two arms as comparison.csv has them: ``kind`` (cheap, wide intervals) and ``calls``."""
    rows = []
    for arm, kind, target, deaths, lo, hi, lfy, lfy_lo, cost in (
            ("kindness", "kindness_campaign", "random", 0.9, -0.4, 2.1, 112.0, -246.0, 10.0),
            ("calls", "phone_calls", "loneliest", 0.5, -0.2, 1.3, 60.0, 5.0, 60.0)):
        rows.append({"arm": arm, "programme": kind, "targeting": target, "coverage": 0.1,
                     "deaths_averted_per_1000_enrolled": deaths, "deaths_averted_low": lo, "deaths_averted_high": hi,
                     "probability_best_deaths_averted": 0.53 if arm == "kindness" else 0.47,
                     "trial_smd": -0.1, "trial_smd_low": -0.3, "trial_smd_high": 0.1,
                     "loneliness_free_years_per_1000_enrolled": lfy, "loneliness_free_years_low": lfy_lo,
                     "loneliness_free_years_high": 470.0, "cost_per_loneliness_free_year": 1000 * cost / lfy,
                     "life_years_gained_low": -1.0, "cost_per_life_year": 5000.0})
    df = pd.DataFrame(rows)
    for k, v in changes.items():
        df[k] = v
    return df


def test_no_best_or_cheapest_headline_when_the_interval_includes_zero():
    from sim.runs.compare_html import headline

    text = " ".join(headline(_table(), "£"))
    assert "Most deaths averted" not in text and "can be told apart from none" in text
    assert "uncertain — the ranking could change" in text and "53%" in text
    assert "Befriending phone calls — for the loneliest" in text and "kindness_campaign" not in text
    # kindness has the lowest cost per loneliness-free year, but its gain interval (−246 to 470) includes zero
    assert "Lowest cost per loneliness-free year gained</b> among arms whose gain is clear of zero: Befriending phone " \
           "calls" in text
    assert "No arm is named as the cheapest way to a life-year" in text
    text = " ".join(headline(_table(deaths_averted_low=[0.2, -0.2], probability_best_deaths_averted=[0.97, 0.03]),
                             "£"))
    assert "<b>Most deaths averted: Kindness campaign — for anyone (random)</b>" in text
    assert "97% of the model's uncertainty draws: very likely" in text


@pytest.fixture(scope="module")
def svg_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fig") / "svg"
    res = lonesim("run", ROOT / "scenarios" / "baseline.yaml", "--set", "population.size=300", "--set", "days=15",
                  "--set", "output.figure_format=svg", "--out", out, "--quiet")
    assert res.returncode == 0, res.stderr
    return out


def test_figure_format_svg_writes_svg_figures_byte_identical_on_a_second_run(svg_run, tmp_path):
    names = sorted(p.name for p in svg_run.iterdir() if p.suffix in (".svg", ".png", ".pdf"))
    assert names == ["distributions.svg", "network.svg", "timeseries.svg"]
    for n in names:
        text = (svg_run / n).read_text()
        assert text.lstrip().startswith("<?xml") and "<dc:date>" not in text
    again = tmp_path / "again"
    res = lonesim("run", ROOT / "scenarios" / "baseline.yaml", "--set", "population.size=300", "--set", "days=15",
                  "--set", "output.figure_format=svg", "--out", again, "--quiet")
    assert res.returncode == 0, res.stderr
    for n in names:
        assert (again / n).read_bytes() == (svg_run / n).read_bytes(), n
    ts = (svg_run / "timeseries.svg").read_text()
    for axis_title in ("adults (%)", "per person per day", "× baseline hazard", "day"):
        assert axis_title in ts, axis_title


def test_a_bad_figure_format_is_one_line_naming_the_key(tmp_path):
    res = lonesim("run", ROOT / "scenarios" / "baseline.yaml", "--set", "output.figure_format=jpg", "--out",
                  tmp_path / "x")
    assert res.returncode == 2 and "output.figure_format" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x").exists()


def test_png_figures_are_300_dpi_and_the_network_figure_takes_seconds_at_2000_people(tmp_path):
    """The ego-network figure of a 2,000-person town: a few people, drawn in seconds (the old whole-network
    layout took ~26 s); the PNG carries 300 dpi."""
    from PIL import Image

    from sim.config import load_scenario
    from sim.plots import network_figure
    from sim.simulation import Simulation

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml", {"population.size": 2000, "days": 2, "burn_in_days": 0})
    sim = Simulation(sc)
    sim.run()
    t0 = time.perf_counter()
    path = network_figure(sim, tmp_path / "network.png")
    seconds = time.perf_counter() - t0
    assert seconds < 8, f"network figure took {seconds:.1f} s"
    with Image.open(path) as im:
        assert round(im.info["dpi"][0]) == 300
        assert im.size[0] > 2000  # 300 dpi at figure width
