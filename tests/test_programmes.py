"""Programmes and targeting rules: exact tiny cases, statistical checks and directions (sim/interventions.py,
sim/targeting.py), the programme stream's common random numbers, and the read-out statistics
(sim/runs/compare_stats.py, sim/runs/tracking.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import streams
from sim._core import ACQUAINTANCE, FRIEND
from sim.config import programme
from sim.interventions import Programmes, call_schedule
from sim.runs import compare_stats as cs
from sim.runs.tracking import TrackPlan, run_tracked, trial_allocation
from sim.simulation import Simulation
from sim.targeting import enrol, network_rings
from tests.conftest import ring, small, tiny_world

KEY = np.uint64(20261126)


def programmes_for(sc, **programme):
    """A Programmes object for ``sc`` with one programme (fields as keyword arguments)."""
    return Programmes(sc.with_overrides({"interventions": [programme]}))


# ---------------------------------------------------------------- phone calls
def test_calls_are_daily_then_twice_a_week_worth_call_value_at_closeness_one():
    sc, people, ties = tiny_world(ring(6), 6, **{"population.size": 6})
    prog = programmes_for(sc, kind="phone_calls", coverage=0.5, start_day=2, duration_days=10, daily_call_days=3,
                          calls_per_week=2, call_value=1.5)
    seen = []
    for day in range(14):
        eff = prog.effects(day, people, ties, KEY)
        seen.append(None if eff.visits is None else eff.visits.copy())
        if eff.visits is not None:
            enrolled = prog.enrolled_mask(0)
            assert (eff.visit_closeness[enrolled] == 1.0).all() and (eff.visits[~enrolled] == 0).all()
    assert seen[0] is None and seen[1] is None and seen[12] is None and seen[13] is None  # before and after
    enrolled = prog.enrolled_mask(0)
    assert enrolled.sum() == 3
    for day in (2, 3, 4):
        assert seen[day][enrolled] == pytest.approx(1.5)  # daily calls
    for day in (5, 11):
        assert seen[day][enrolled] == pytest.approx(1.5 * 2 / 7)  # then twice a week
    assert call_schedule(0, programme(kind="phone_calls", daily_call_days=0, calls_per_week=7)) == 1.0


def test_befriending_and_calls_together_give_the_mean_closeness_of_their_contacts():
    sc, people, ties = tiny_world(ring(4), 4)
    prog = Programmes(sc.with_overrides({"interventions": [
        {"kind": "befriending", "coverage": 1.0, "visits_per_week": 7, "visit_closeness": 0.2},
        {"kind": "phone_calls", "coverage": 1.0, "call_value": 1.0}]}))
    eff = prog.effects(0, people, ties, KEY)
    assert eff.visits == pytest.approx([2.0] * 4)
    assert eff.visit_closeness == pytest.approx([0.6] * 4)  # (1 x 0.2 + 1 x 1.0) / 2


# ---------------------------------------------------------------- group activity
def test_groups_tie_their_members_as_acquaintances_and_part_of_the_ties_outlast_them():
    edges = [(0, 1)]  # two of the eight are already friends
    for kept, expected_after in ((1.0, 12), (0.0, 0)):
        sc, people, ties = tiny_world(edges, 8)
        people.group_member[:] = False
        people.group_member[7] = True
        prog = programmes_for(sc, kind="group_activity", coverage=1.0, start_day=0, duration_days=5, group_size=4,
                              group_tie_closeness=0.42, ties_kept_share=kept)
        prog.effects(0, people, ties, KEY)
        ids = ties.active_ids()
        groupies = ids[ties.kind[ids] == ACQUAINTANCE]
        # two groups of four neighbours (ids 0-3, 4-7), everyone tied: 2 x 6 pairs, minus the friendship already there
        assert groupies.size == 11
        assert set(zip(ties.u[groupies].tolist(), ties.v[groupies].tolist())) == (
            {(a, b) for a in range(4) for b in range(a + 1, 4)} | {(a, b) for a in range(4, 8) for b in range(a + 1, 8)}
        ) - {(0, 1)}
        assert np.allclose(ties.closeness[groupies], 0.42)
        assert ties.kind[ties.lookup(np.array([0]), np.array([1]))[0]] == FRIEND  # a friend stays a friend
        assert people.group_member.all()  # members for the programme
        for day in range(1, 6):
            prog.effects(day, people, ties, KEY)
        assert list(people.group_member) == [False] * 7 + [True]  # membership as it was
        ids = ties.active_ids()
        assert (ties.kind[ids] == ACQUAINTANCE).sum() == expected_after - (1 if kept else 0)
        assert (ties.kind[ids] == FRIEND).sum() == 1


def test_a_share_of_group_ties_outlasts_the_programme():
    sc, people, ties = tiny_world([], 400)
    prog = programmes_for(sc, kind="group_activity", coverage=1.0, duration_days=1, group_size=10, ties_kept_share=0.3)
    prog.effects(0, people, ties, KEY)
    made = ties.count_active()
    assert made == 40 * 45
    prog.effects(1, people, ties, KEY)
    assert ties.count_active() / made == pytest.approx(0.3, abs=0.03)  # binomial sd 0.011


# ---------------------------------------------------------------- social cognition
def test_reappraisal_lowers_vigilance_and_desire_linearly_then_relapses_with_the_half_life():
    sc, people, ties = tiny_world(ring(10), 10)
    v0, d0 = people.vigilance.copy(), people.desired.copy()
    prog = programmes_for(sc, kind="social_cognition", coverage=1.0, start_day=3, duration_days=4, reappraisal=0.4,
                          relapse_half_life_days=10)
    factors = {}
    for day in range(3, 3 + 4 + 11):
        prog.effects(day, people, ties, KEY)
        factors[day] = float(people.vigilance[0] / v0[0])
        assert people.desired == pytest.approx(d0 * factors[day], rel=1e-6)
    assert [round(factors[d], 4) for d in (3, 4, 5, 6)] == [0.9, 0.8, 0.7, 0.6]  # a quarter of 0.4 per day
    assert factors[16] == pytest.approx(1 - 0.4 * 0.5, rel=1e-5)  # 10 days after the last day: half of it back


# ---------------------------------------------------------------- targeting
def test_most_connected_enrols_the_hub_and_aged_65plus_only_the_old():
    star = [(0, k) for k in range(1, 10)]
    sc, people, ties = tiny_world(star, 10)
    iv = programme(kind="befriending", coverage=0.1, targeting="most_connected")
    assert np.flatnonzero(enrol(people, ties, iv, sc, KEY)).tolist() == [0]
    old = programme(kind="befriending", coverage=0.3, targeting="aged_65plus")
    people.age[:] = 40
    people.age[[2, 5]] = [70, 65]
    assert np.flatnonzero(enrol(people, ties, old, sc, KEY)).tolist() == [2, 5]  # 3 asked for, only 2 are 65+
    people.age[[1, 3, 4, 6]] = 80
    chosen = enrol(people, ties, old, sc, KEY)
    assert chosen.sum() == 3 and (people.age[chosen] >= 65).all()


def test_nominated_friends_finds_the_hub_without_knowing_the_network():
    """In a star, almost every random person's random friend is the hub (Kim et al. 2015)."""
    star = [(0, k) for k in range(1, 20)]
    sc, people, ties = tiny_world(star, 20)
    iv = programme(kind="befriending", coverage=0.05, targeting="nominated_friends")
    hub = sum(int(enrol(people, ties, iv, sc, np.uint64(k))[0]) for k in range(200))
    assert hub / 200 == pytest.approx(19 / 20, abs=0.05)
    rnd = programme(kind="befriending", coverage=0.05, targeting="random")
    assert sum(int(enrol(people, ties, rnd, sc, np.uint64(k))[0]) for k in range(200)) < 30


def test_screened_loneliest_and_most_isolated_pick_by_the_survey_score():
    sc, people, ties = tiny_world(ring(200), 200, **{"survey.ucla3.item_sd": 1e-4,
                                                     "survey.isolation_index.misreport_probability": 0.0})
    people.loneliness[:] = np.linspace(0, 0.2, 200)
    people.loneliness[[7, 99, 150]] = 0.9  # UCLA-3 9 at negligible item error
    iv = programme(kind="befriending", coverage=0.015, targeting="loneliest")
    assert np.flatnonzero(enrol(people, ties, iv, sc, KEY)).tolist() == [7, 99, 150]
    people.partner[:] = 0
    people.contact_family[:] = people.contact_friend[:] = 1.0
    people.partner[[3, 60]] = -1
    people.contact_friend[[3, 60, 61]] = 0.0
    people.group_member[[3, 60]] = False
    iso = programme(kind="befriending", coverage=0.01, targeting="most_isolated")
    assert np.flatnonzero(enrol(people, ties, iso, sc, KEY)).tolist() == [3, 60]  # index 3 each


def test_screening_with_measurement_error_enrols_mostly_but_not_only_the_loneliest():
    sim = Simulation(small(**{"population.size": 3000, "days": 1}))
    p = sim.people
    iv = programme(kind="befriending", coverage=0.1, targeting="loneliest")
    chosen = enrol(p, sim.ties, iv, sim.scenario, KEY)
    top = p.loneliness >= np.quantile(p.loneliness, 0.9)
    assert p.loneliness[chosen].mean() > p.loneliness[~chosen].mean() + 0.2
    assert 0.5 < (chosen & top).sum() / chosen.sum() < 1.0  # screening errs, as a survey does


def test_friend_nomination_reaches_more_connected_people_than_random_in_a_town():
    sim = Simulation(small(**{"population.size": 3000, "days": 1}))
    deg = sim.people.degree.astype(float)
    nominated = enrol(sim.people, sim.ties, programme(kind="befriending", coverage=0.2,
                                                                targeting="nominated_friends"), sim.scenario, KEY)
    random = enrol(sim.people, sim.ties, programme(kind="befriending", coverage=0.2), sim.scenario, KEY)
    assert nominated.sum() == random.sum() == 600
    # the friendship paradox: a random person's random contact has more ties than a random person. The
    # population network's degrees vary little (partners, kin groups: SD ~3.8 around ~11.6), so the gain
    # is modest (~6%): test it against the sampling error of the two means rather than a fixed ratio.
    se = np.sqrt(deg[nominated].var() / 600 + deg[random].var() / 600)
    assert deg[nominated].mean() > deg[random].mean() + 2 * se
    assert deg[nominated].mean() > 1.03 * deg.mean()


def test_rings_are_network_distances_from_the_enrolled():
    sc, people, ties = tiny_world([(i, i + 1) for i in range(6)], 8)  # a path 0-1-2-3-4-5-6, and 7 alone
    enrolled = np.zeros(8, bool)
    enrolled[0] = True
    assert network_rings(people, ties, enrolled).tolist() == [0, 1, 2, 3, 3, 3, 3, 3]


# ---------------------------------------------------------------- common random numbers
def test_programmes_draw_no_number_of_the_dynamics_and_the_towns_agree_until_the_start():
    base = small(**{"population.size": 800, "days": 40})
    arm = base.with_overrides({"interventions": [{"kind": "group_activity", "targeting": "random", "coverage": 0.2,
                                                  "start_day": 20, "duration_days": 15}]})
    a, c = Simulation(arm), Simulation(base)
    for _ in range(20):
        a.step()
        c.step()
    state = a.rng.bit_generator.state
    for name in ("loneliness", "mood", "degree", "health", "perceived", "contact_friend"):
        assert np.array_equal(getattr(a.people, name), getattr(c.people, name)), name
    assert a.rng.bit_generator.state == c.rng.bit_generator.state
    a.programmes.effects(a.day, a.people, a.ties, a.key(streams.PROGRAMMES))  # enrolment: no dynamics number drawn
    assert a.rng.bit_generator.state == state
    a.step()
    c.step()
    assert not np.array_equal(a.people.degree, c.people.degree)  # the groups' new ties


def test_trial_allocation_is_1_to_1_and_the_same_in_every_arm():
    eligible = np.zeros(101, bool)
    eligible[::2] = True  # 51 eligible
    alloc = trial_allocation(eligible, KEY)
    assert (alloc[~eligible] == -1).all() and (alloc[eligible] == 1).sum() == 26 and (alloc[eligible] == 0).sum() == 25
    assert np.array_equal(alloc, trial_allocation(eligible, KEY))
    other = eligible.copy()
    other[1] = True
    again = trial_allocation(other, KEY)
    assert (again[eligible] == alloc[eligible]).mean() > 0.9  # each person's number is their own


# ---------------------------------------------------------------- the track and the read-out statistics
def test_track_hazard_years_add_up_to_the_ledger():
    sc = small(**{"population.size": 600, "days": 25})
    sim, people, days = run_tracked(sc, sc.seed, 0, TrackPlan(survey_days=[10], checkpoints=[25]))
    per_group = np.array([people[f"hy{g}_25"].sum() for g in range(4)])
    assert per_group == pytest.approx(sim.ledger.hazard_years, rel=1e-6)
    assert days[[f"hazard_years_{g}" for g in range(4)]].sum().to_numpy() == pytest.approx(sim.ledger.hazard_years)
    assert days["alive"].tolist() == [600] * 25
    assert (people["ucla3_10"] >= 3).all() and people["lonely_days_25"].max() <= 25


def test_hedges_g_and_random_effects_exact():
    g, se, diff, se_diff = cs.hedges_g(np.array([2.0, 4.0, 6.0, 8.0]), np.array([1.0, 3.0, 5.0, 7.0]))
    sd = math.sqrt(20 / 3)
    assert diff == 1.0 and g == pytest.approx((1 - 3 / 23) / sd)
    assert se_diff == pytest.approx(math.sqrt(2 * (20 / 3) / 4))
    est, lo, hi = cs.random_effects(np.array([0.1, 0.3]), np.array([0.1, 0.1]))
    assert est == pytest.approx(0.2)  # equal weights
    q = 2.0  # (0.1^2 + 0.1^2) / 0.01: tau^2 = (q - 1) / (200 - 100) = 0.01
    assert hi - lo == pytest.approx(2 * 1.959964 * math.sqrt((0.01 + 0.01) / 2), rel=1e-4), q


def test_window_total_sums_the_simulated_days_and_extrapolates_decay_or_holds():
    flat = np.ones(100)
    sim, tail = cs.window_total(flat, 10, 20, 200, 100)
    assert sim[0] == 90 and tail[0] == pytest.approx(110)  # no decay seen: held
    days = np.arange(400)
    decay = np.where(days >= 50, np.exp(-(days - 50) / 60.0), 1.0)
    sim, tail = cs.window_total(decay, 0, 50, 4000, 400)
    exact = decay[50] * np.exp(-np.arange(400 - 50, 4000 - 50) / 60.0).sum()  # the days 400..3999 not simulated
    assert tail[0] == pytest.approx(exact, rel=1e-6)
    assert sim[0] == pytest.approx(decay.sum())
    sim, tail = cs.window_total(flat, 10, 20, 50, 100)
    assert sim[0] == 50 and tail[0] == 0


def test_hazard_ratio_draws_follow_the_published_intervals():
    sc = small(**{"comparison": {"arms": [{"name": "a", "kind": "befriending"}]}})
    rr = cs.hr_draws(sc, 4000)
    a, b = sc.mortality.hr_isolation, sc.mortality.hr_loneliness
    assert rr.shape == (4000, 4) and rr[0] == pytest.approx([1.0, a, b, a * b])
    # the draws spread around the scenario's ratios as Wang et al.'s intervals spread around 1.32 and 1.14
    iso = np.percentile(rr[1:, 1], [2.5, 97.5]) / a * 1.32
    lon = np.percentile(rr[1:, 2], [2.5, 97.5]) / b * 1.14
    assert iso == pytest.approx([1.26, 1.39], abs=0.01) and lon == pytest.approx([1.08, 1.20], abs=0.01)


def test_life_expectancy_of_the_baseline_table():
    from sim.validation.mortality import life_expectancy

    sc = small()
    e = cs.life_expectancy(np.array([50.0, 50.0, 80.0]), np.array([0, 1, 0]), sc)
    assert e[0] > e[1] > e[2] > 5  # women outlive men; the old have fewer years left
    assert (e[0] + e[1]) / 2 == pytest.approx(life_expectancy(50, 1.0), abs=1.5)


def test_draws_interval_widens_with_replicate_noise():
    quiet = np.tile(np.linspace(1.0, 2.0, 200), (4, 1))  # no replicate noise: only the ratios
    point, lo, hi = cs.draws_interval(quiet, 1)
    assert point == 1.0
    assert lo == pytest.approx(np.percentile(quiet[0], 2.5)) and hi == pytest.approx(np.percentile(quiet[0], 97.5))
    noisy = quiet + np.array([[-1.0], [1.0], [-1.0], [1.0]])
    _, lo2, hi2 = cs.draws_interval(noisy, 1)
    assert lo2 < lo and hi2 > hi


# ---------------------------------------------------------------- the programme trials (sim/validation/programmes.py)
def test_each_trial_grounded_programme_lowers_loneliness_in_its_simulated_trial():
    """The three experiments' designs in a small town: each programme's trial finds less loneliness at the
    end of the programme than usual life, and stronger programmes (bigger size parameter) find more."""
    from pathlib import Path

    from sim.validation import load_experiment
    from sim.validation.programmes import run_trials

    root = Path(__file__).resolve().parents[1] / "experiments"
    for file, param, weak, strong in (("programme_phone_calls.yaml", "call_value", 1.0, 4.0),
                                      ("programme_groups.yaml", "group_tie_closeness", 0.2, 0.6),
                                      ("programme_cbt.yaml", "reappraisal", 0.15, 0.5)):
        exp = load_experiment(root / file, quick=True)
        exp["set"] = {**exp["set"], "population.size": 1200, "burn_in_days": 30}
        exp["replicates"] = 1
        low, control = run_trials(exp, 1, {f"programme.{param}": weak}, until="end")
        high, _ = run_trials(exp, 1, {f"programme.{param}": strong}, control=control, until="end")
        assert high["end"]["smd"][0] < low["end"]["smd"][0] < 0, file
        assert high["end"]["smd"][2] < 0 and high["end"]["difference"][0] < 0, file
        assert abs(low["baseline"]["smd"][0]) < 0.25  # randomised: balanced before the programme


def test_the_study_writes_rows_under_the_experiments_own_name(tmp_path):
    from pathlib import Path

    from sim.validation import load_experiment, update_validation_csv
    from sim.validation.programmes import study_programme_trial

    exp = load_experiment(Path(__file__).resolve().parents[1] / "experiments" / "programme_groups.yaml", quick=True)
    exp["set"] = {**exp["set"], "population.size": 1000, "burn_in_days": 20}
    exp["replicates"] = 1
    exp["programme"] = {**exp["programme"], "start_day": 5, "duration_days": 20}
    exp["follow_up_days"] = [30]
    result = study_programme_trial(exp, workers=1)
    assert [r["study"] for r in result.rows] == ["programme_groups"] * 2
    smd, persistence = result.rows
    assert (smd["published_low"], smd["published_high"]) == (-0.48, -0.08)
    assert persistence["published_low"] == 0.5 and "Lasgaard" in persistence["reference"]
    assert list(result.table["time_point"]) == ["baseline", "end", "1m"]
    csv = tmp_path / "validation.csv"
    update_validation_csv(csv, [dict(smd, study="other")], "other")
    table = update_validation_csv(csv, result.rows, result.study)
    assert sorted(table["study"]) == ["other", "programme_groups", "programme_groups"]
    result.figure(tmp_path / "groups.png")
    assert (tmp_path / "groups.png").stat().st_size > 10_000
