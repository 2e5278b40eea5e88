"""The validation studies in reduced form: small populations, few replicates; each checks direction
and rough size of the real behaviour (the full versions are ``lonesim experiment experiments/*.yaml``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import validation as V
from sim.validation import big_joy, common, contagion, dose_response, mortality, population

EXP = Path(__file__).resolve().parent.parent / "experiments"


def quick(name: str, **changes) -> dict:
    exp = V.load_experiment(EXP / f"{name}.yaml", quick=True)
    for k, v in changes.items():
        if k == "set":
            exp["set"] = {**exp["set"], **v}
        else:
            exp[k] = v
    return exp


# --------------------------------------------------------------------------- 1. mortality
def test_cox_estimates_follow_the_configured_ratios():
    """Simulated deaths + lifelines Cox recover a strong isolation effect and find none when there is none."""
    exp = quick("mortality", set={"population.size": 3000, "population.age_min": 65, "days": 730})
    base = common.base_scenario(exp)
    # Two replicates (~600 deaths): with one (~300) the Cox interval is wide enough that a single
    # draw lands outside the time-in-state prediction now and then.
    strong = mortality.cohort_frame(base.with_overrides({"mortality.hr_isolation": 2.5, "mortality.hr_loneliness": 1.0}), 2, 1)
    null = mortality.cohort_frame(base.with_overrides({"mortality.hr_isolation": 1.0, "mortality.hr_loneliness": 1.0}), 1, 1)
    assert strong["event"].sum() > 200  # enough deaths to say something
    hr_s, lo_s, hi_s = mortality.cox_hr(strong, ["isolated0"])["isolated0"]
    hr_n, lo_n, hi_n = mortality.cox_hr(null, ["isolated0"])["isolated0"]
    # baseline exposure is diluted (people leave isolation), so the marginal HR sits below 2.5 but far above 1
    assert 1.5 < hr_s < 2.6, hr_s
    assert lo_n < 1.0 < hi_n or abs(math.log(hr_n)) < 0.2, (hr_n, lo_n, hi_n)
    # the expected marginal HR from the time spent in each state agrees with the Cox estimate
    pred_iso, _ = mortality.predicted_marginal_hr(strong, 2.5, 1.0, "multiplicative")
    assert lo_s < pred_iso < hi_s, (pred_iso, lo_s, hi_s)
    # isolation measured at baseline (with the instrument's error) is followed by far more isolated time
    assert strong.loc[strong["isolated0"] == 1, "frac_isolated"].mean() > 0.5
    assert strong.loc[strong["isolated0"] == 0, "frac_isolated"].mean() < 0.25
    # the survey disagrees with the true score for some people, as a real instrument would
    assert 0 < (strong["isolated0"] != strong["true_isolated0"]).mean() < 0.2


def test_life_expectancy_gap_matches_gompertz_shift():
    """Under the model's baseline hazard, an HR of 1.32 costs roughly ln(1.32)/β ≈ 3.5 years."""
    gap = mortality.life_expectancy(50, 1.0) - mortality.life_expectancy(50, 1.32)
    assert 2.5 < gap < 4.5, gap
    assert mortality.life_expectancy(50, 1.0) > mortality.life_expectancy(60, 1.0) > 15


# --------------------------------------------------------------------------- 2. Big Joy
def test_big_joy_week_raises_mood_of_enrolled_and_receivers_and_fades():
    exp = quick("big_joy")
    res = big_joy.study_big_joy(exp, workers=1)
    t = res.table.set_index("measure")["mean"]
    assert 0.1 < t["mood_d_smc"] < 1.0                     # a moderate standardised gain
    assert t["mood_did_enrolled"] > 0.05                   # more than the untouched others
    assert t["mood_did_receivers"] > 0                     # the people they were kind to gain too
    assert t["mood_did_receivers"] < t["mood_did_enrolled"]
    assert 1 <= t["half_life_days"] <= 21                  # the gain fades after the week
    assert t["mood_d_z_noise_free"] > t["mood_d_smc"]      # error-free d_z is inflated (documented)


def test_big_joy_gain_is_monotone_in_self_act_mood_gain():
    exp = quick("big_joy", follow_days=0)
    sc = common.base_scenario(exp)
    effects = []
    for g in (0.0, 0.06):
        s = sc.with_overrides({"interventions.0.self_act_mood_gain": g, "days": 37})
        effects.append(big_joy.big_joy_measures(big_joy.big_joy_run((s.model_dump(mode="json"), 0, 0)))["mood_d_smc"])
    assert effects[1] > effects[0] + 0.1


# --------------------------------------------------------------------------- 3. population
def test_population_study_measures_the_town_as_a_survey_would():
    exp = quick("population", set={"population.size": 3000, "days": 60})
    res = population.study_population(exp, workers=1)
    t = res.table.set_index("measure")["mean"]
    assert 0.05 < t["lonely_adults"] < 0.5 and 0.05 < t["isolated_65plus"] < 0.6
    assert 0.3 < t["isolated_not_lonely_65plus"] < 1.0 and t["phi_65plus"] < 0.5  # two different exposures
    assert 0.5 < t["ties_ratio_70_20"] < 1.0                                     # fewer ties late in life
    assert 0.4 < t["ucla3_alpha"] < 0.95 and 0.2 < t["affect_icc"] < 0.8
    assert abs(t["drift_180"]) < 0.02
    assert {r["quantity"] for r in res.rows} >= {"isolation prevalence, 65+ (isolation index >= 2)"}
    more = population.study_population(quick("population", set={"population.size": 3000, "days": 60,
                                                                "network.isolation.fraction": 0.3}), workers=1)
    t2 = more.table.set_index("measure")["mean"]
    assert t2["isolated_adults"] > t["isolated_adults"] + 0.1 and t2["lonely_adults"] > t["lonely_adults"]


def test_affect_icc_of_known_variance_components():
    rng = np.random.default_rng(4)
    person = rng.normal(0, 1.0, (5000, 1))
    scores = person + rng.normal(0, 1.0, (5000, 7))  # equal variance between and within
    assert abs(population.affect_icc(scores) - 0.5) < 0.03


# --------------------------------------------------------------------------- 4. contagion
def test_sisa_estimator_recovers_per_tie_asymmetry():
    """With per-contact rates raised tenfold (to get events in a small run) and the mood coupling off
    (a person just back from discontent keeps a low mood for days and relapses, next to the discontent
    neighbours who made them so: that inflates the apparent per-tie rate), the estimated per-tie
    rates keep the configured 2:1 negative/positive ratio, and content lasts longer than discontent.
    States are redrawn in equal shares after burn-in (the study's ``perturb``): without it discontent
    is ~0.5% and the negative per-tie rate rests on a handful of events (replicates gave 0 to 1.8)."""
    exp = quick("contagion", set={"contagion.neutral_to_content_per_contact_year": 0.2,
                                  "contagion.neutral_to_discontent_per_contact_year": 0.4,
                                  "contagion.mood_coupling": 0.0,
                                  "population.size": 3000, "days": 365})
    sc = common.base_scenario(exp)
    m = contagion.contagion_measures(contagion.contagion_run((sc.model_dump(mode="json"), 0, 20, True)))
    assert m["per_tie_n_to_c_per_year"] > 0.05
    assert 1.2 < m["spread_ratio_negative_over_positive"] < 3.5, m
    assert m["mean_years_content"] > m["mean_years_discontent"]


def test_linear_hazard_fit_on_known_rates():
    rng = np.random.default_rng(3)
    days = np.full(11, 200_000.0)
    k = np.arange(11)
    events = rng.poisson(days * (0.1 + 0.05 * k) / 365)
    a, b = contagion.linear_hazard_fit(days, events)
    assert abs(a - 0.1) < 0.03 and abs(b - 0.05) < 0.01


# --------------------------------------------------------------------------- 5. dose–response
def test_dose_response_rises_with_isolation_and_hazard_ratio():
    res = dose_response.study_dose_response(quick("dose_response"), workers=1)
    t = res.table
    c = t[t["hr_set"] == "central"].sort_values("isolation_fraction")
    assert c["deaths_per_1000_py"].iloc[-1] > c["deaths_per_1000_py"].iloc[0]
    assert c["isolation_prevalence"].iloc[-1] > c["isolation_prevalence"].iloc[0] + 0.15
    at = t[t["isolation_fraction"] == 0.3].set_index("hr_set")
    assert at.loc["low", "attributable_per_1000_py"] < at.loc["central", "attributable_per_1000_py"] \
        < at.loc["high", "attributable_per_1000_py"]
    r = res.rows[0]
    assert 0.03 < r["model_estimate"] < 0.2   # PAF near Levin's formula at the town's own isolation


# --------------------------------------------------------------------------- table and command
def test_validation_csv_replaces_only_the_study_rows(tmp_path):
    path = tmp_path / "validation.csv"
    V.update_validation_csv(path, [common.row("mortality", "q1", 0.1, 0.2, 0.15, 0.14, 0.16)], "mortality")
    V.update_validation_csv(path, [common.row("population", "hr", 1.26, 1.39, 1.5, 1.4, 1.6)], "population")
    V.update_validation_csv(path, [common.row("mortality", "q2", 0.1, 0.2, 0.3)], "mortality")
    df = pd.read_csv(path)
    assert list(df.columns[:8]) == common.VALIDATION_COLUMNS
    assert list(df["quantity"]) == ["hr", "q2"]          # study order; old mortality row replaced
    assert list(df["inside"]) == ["no", "no"]


def test_cli_experiment_writes_figure_table_and_csv(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    res = CliRunner().invoke(app, ["experiment", str(EXP / "population.yaml"), "--quick", "--workers", "1",
                                   "--out", str(tmp_path), "--set", "population.size=1500", "--set", "days=30"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "validation" / "population.png").stat().st_size > 1000
    assert (tmp_path / "validation" / "population.csv").exists()
    df = pd.read_csv(tmp_path / "validation.csv")
    assert set(df["study"]) == {"population"} and len(df) >= 12
    bad = CliRunner().invoke(app, ["experiment", str(tmp_path / "missing.yaml")])
    assert bad.exit_code == 2


def test_mortality_study_end_to_end_quick():
    """The whole study in its reduced form: Cox rows for both exposures and the two life-expectancy rows."""
    exp = quick("mortality", set={"population.size": 3000, "population.age_min": 65}, landmark_days=180)
    res = mortality.study_mortality(exp, workers=1)
    q = [r["quantity"] for r in res.rows]
    assert len(res.rows) == 4 and q[0].startswith("HR isolated") and q[1].startswith("HR lonely")
    hr_iso = res.rows[0]["model_estimate"]
    assert 1.0 < hr_iso < 2.2, hr_iso
    ageing, gap = res.rows[2], res.rows[3]
    assert 2.9 < ageing["published_low"] < 3.0 and 4.1 < ageing["published_high"] < 4.2   # ln(1.26..1.39)/β
    assert 0 < gap["published_low"] < gap["published_high"] < ageing["published_high"]
    d = res.table.iloc[0]
    assert d["deaths"] > 100 and 0.05 < d["isolated_at_start"] < 0.6
    assert d["frac_isolated_if_isolated0"] > 3 * d["frac_isolated_if_not"]


def test_paf_of_one_exposure_is_levins_formula_on_the_hazard_weighted_prevalence():
    """With loneliness carrying no risk, the ledger's PAF of isolation is exactly Levin's p(HR-1)/(1+p(HR-1))
    when p is the share of baseline deaths among the isolated (not the share of people): the dose-response
    study's comparison rests on this."""
    from sim.config import Scenario
    from sim.mortality import RiskLedger, proxies

    ledger = RiskLedger()
    # neither, isolated only, lonely only, both: baseline deaths (hazard-years) and person-days
    ledger.hazard_years[:] = [10.0, 1.0, 3.0, 2.0]
    ledger.person_days[:] = [500.0, 400.0, 50.0, 50.0]   # the isolated are many but die little (young)
    cfg = Scenario().mortality.model_copy(update={"hr_isolation": 1.4, "hr_loneliness": 1.0})
    p_w = (1.0 + 2.0) / 16.0
    assert proxies(ledger, cfg)["paf_isolation"] == pytest.approx(p_w * 0.4 / (1 + p_w * 0.4), rel=1e-12)
    p_people = 450 / 1000
    assert proxies(ledger, cfg)["paf_isolation"] < p_people * 0.4 / (1 + p_people * 0.4)


# --------------------------------------------------------------------------- 9. panel (how loneliness moves)
def test_mantel_haenszel_odds_ratio_of_a_hand_computed_table():
    from sim.validation.panel_measures import _mh_odds_ratio, _odds_ratio

    # one stratum: a=20 exposed lonely, b=80 exposed not, c=10 unexposed lonely, d=90: OR = 20*90 / (80*10) = 2.25
    y = np.array([1] * 20 + [0] * 80 + [1] * 10 + [0] * 90, bool)
    x = np.array([1] * 100 + [0] * 100, bool)
    assert _odds_ratio(y, x) == pytest.approx(2.25)
    # two strata with OR 2.25 each but different base rates: the pooled crude OR is confounded, MH is 2.25
    y2 = np.concatenate([y, np.array([1] * 60 + [0] * 40 + [1] * 40 + [0] * 60, bool)])
    x2 = np.concatenate([x, np.array([1] * 100 + [0] * 100, bool)])
    strata = np.repeat([0, 1], 200)
    assert _mh_odds_ratio(y2[:200], x2[:200], strata[:200]) == pytest.approx(2.25)
    assert _mh_odds_ratio(y2, x2, strata) == pytest.approx((20 * 90 / 200 + 60 * 60 / 200) / (80 * 10 / 200 + 40 * 40 / 200))


def test_panel_study_sees_loneliness_move_and_widowhood_peak():
    from sim.validation import panel

    exp = quick("panel", set={"population.size": 3000, "population.age_min": 60, "days": 400})
    res = panel.study_panel(exp, workers=1)
    t = res.table.set_index("measure")["mean"]
    assert 0.3 < t["stability_1y"] < 0.98                   # trait-like, not frozen
    assert t["persist_1y"] < t["persist_1d"]                # a year changes more than a night's retest
    assert t["widow_n_m1"] > 10 and t["widow_did_m1"] > 0   # partners died and their survivors got lonelier
    assert t["lonely_unpartnered_65plus"] > t["lonely_partnered_65plus"]
    assert {r["study"] for r in res.rows} == {"panel"} and len(res.rows) == len(panel.ROWS)


def test_every_published_band_of_the_population_study_becomes_a_row():
    """Regression: the typed experiment model answered `key in published` with False for every key, and the
    population study silently wrote no rows."""
    exp = V.load_experiment(EXP / "population.yaml")
    assert "phi" in exp.published and "no_such_band" not in exp.published
    assert all(key in exp.published for _, _, key, _ in population.ROWS)
