"""The population: who is drawn (shares by age against the configured curves), the contexts network
(kinds, closeness, age homophily, households), the instruments (UCLA-3, isolation index, affect) and the
life events (retirement, widowhood)."""

import numpy as np
import pytest

from sim._core import ACQUAINTANCE, FAMILY, FRIEND, HOUSEHOLD, MALE, PARTNER, TIE_ACTIVE, WORK
from sim.config import Scenario
from sim.contexts import merge_ties, population_network
from sim.demography import draw_demography
from sim.dynamics.life_events import retire
from sim.readouts import overlap
from sim.simulation import Simulation
from sim.survey import classify, take_survey, ucla3_latent_cutoff, ucla3_true_score
from tests.conftest import small, tiny_world


@pytest.fixture(scope="module")
def town():
    sc = Scenario().with_overrides({"population.size": 60_000})
    rng = np.random.default_rng(5)
    demo = draw_demography(sc, sc.population.size, rng)
    return sc, demo, population_network(demo, sc, rng)


# ---------------------------------------------------------------- who is drawn (sim/demography.py)
def test_shares_by_age_follow_the_configured_curves(town):
    sc, demo, _ = town
    male = demo.sex == MALE
    for lo, hi in ((25, 35), (45, 55), (75, 85)):
        for sex in (True, False):
            sel = (demo.age >= lo) & (demo.age < hi) & (male == sex)
            expect = sc.population.partners.share.at(demo.age[sel], male[sel]).mean()
            got = demo.wants_partner[sel].mean()
            assert abs(got - expect) < 4 * np.sqrt(expect * (1 - expect) / sel.sum())
    young = (demo.age >= 25) & (demo.age < 50)
    assert abs(demo.employed[young].mean() - 0.807) < 0.02  # BLS 25-54: 80.7%
    assert demo.employed[demo.age >= demo.retirement_age].sum() == 0


def test_desire_follows_sociability_by_the_configured_correlation(town):
    sc, demo, _ = town
    r = np.corrcoef(np.log(demo.sociability), np.log(demo.desired / sc.population.desire_by_age.at(demo.age)))[0, 1]
    assert r == pytest.approx(sc.population.desire_sociability_correlation, abs=0.02)


# ---------------------------------------------------------------- the network (sim/contexts.py)
def test_partners_pair_women_and_men_of_similar_age(town):
    sc, demo, edges = town
    sel = edges.kind == PARTNER
    a, b = edges.u[sel], edges.v[sel]
    assert (demo.sex[a] != demo.sex[b]).all()
    men = np.where(demo.sex[a] == MALE, a, b)
    women = np.where(demo.sex[a] == MALE, b, a)
    gap = demo.age[men] - demo.age[women]
    assert 0 < gap.mean() < 5 and np.corrcoef(demo.age[men], demo.age[women])[0, 1] > 0.9
    degree = np.bincount(np.r_[a, b], minlength=demo.n)
    assert degree.max() == 1  # at most one partner each
    assert abs(sel.sum() * 2 / demo.wants_partner.sum() - 1) < 0.1  # nearly everyone drawn as partnered has one


def test_household_ties_only_for_people_without_a_partner_who_live_with_family(town):
    _, demo, edges = town
    partner = np.zeros(demo.n, bool)
    partner[edges.u[edges.kind == PARTNER]] = partner[edges.v[edges.kind == PARTNER]] = True
    hh = edges.kind == HOUSEHOLD
    starters = np.r_[edges.u[hh], edges.v[hh]]
    # every household tie has at least one end without a partner who lives with family
    ok = (~partner[edges.u[hh]] & demo.with_family[edges.u[hh]]) | (~partner[edges.v[hh]] & demo.with_family[edges.v[hh]])
    assert ok.all() and starters.size > 0


def test_friends_are_of_similar_age_and_family_spans_ages(town):
    _, demo, edges = town
    gap = {k: np.abs(demo.age[edges.u] - demo.age[edges.v])[edges.kind == k].mean() for k in (FRIEND, FAMILY)}
    assert gap[FRIEND] < 8 < gap[FAMILY]
    degree = np.bincount(np.r_[edges.u, edges.v], minlength=demo.n)
    assert 9 < degree.mean() < 13  # Framingham: 10.4 ties per person


def test_friend_and_personal_networks_shrink_with_age_family_does_not(town):
    _, demo, edges = town
    young, old = (demo.age >= 20) & (demo.age < 30), demo.age >= 70

    def per_person(kinds):
        sel = np.isin(edges.kind, kinds)
        d = np.bincount(np.r_[edges.u[sel], edges.v[sel]], minlength=demo.n)
        return d[young].mean(), d[old].mean()

    fy, fo = per_person([FRIEND])
    ky, ko = per_person([FAMILY, HOUSEHOLD])
    ty, to = per_person([PARTNER, HOUSEHOLD, FAMILY, FRIEND, WORK, ACQUAINTANCE])
    assert fo < 0.8 * fy and abs(ko - ky) < 0.15 * ky and to < 0.85 * ty


def test_the_region_size_does_not_change_whom_people_know(town):
    """Regions (network.contexts.region_size) only keep contexts local: one town-wide region of 60,000
    gives the same ties per person of every kind, and the same age gaps, as three regions of 20,000."""
    sc, demo, edges = town
    whole = population_network(demo, sc.with_overrides({"network.contexts.region_size": 60_000}),
                               np.random.default_rng(6))
    for kind in (PARTNER, HOUSEHOLD, FAMILY, FRIEND, WORK, ACQUAINTANCE):
        a, b = (e.kind == kind for e in (edges, whole))
        assert a.sum() == pytest.approx(b.sum(), rel=0.03), kind
        gap_a = np.abs(demo.age[edges.u[a]] - demo.age[edges.v[a]]).mean()
        gap_b = np.abs(demo.age[whole.u[b]] - demo.age[whole.v[b]]).mean()
        assert gap_a == pytest.approx(gap_b, rel=0.05, abs=0.3), kind


def test_a_kin_group_shares_one_closeness_and_merging_keeps_the_closer_kind():
    edges = merge_ties(4, np.array([0, 1, 0]), np.array([1, 0, 2]), np.array([FRIEND, PARTNER, WORK], np.int8),
                       np.array([0.1, 0.9, 0.3], np.float32))
    assert list(edges.u) == [0, 0] and list(edges.v) == [1, 2]
    assert list(edges.kind) == [PARTNER, WORK] and edges.closeness[0] == pytest.approx(0.9)


def test_the_same_seed_builds_the_same_town():
    sc = Scenario().with_overrides({"population.size": 3000})
    a = population_network(draw_demography(sc, 3000, np.random.default_rng(1)), sc, np.random.default_rng(2))
    b = population_network(draw_demography(sc, 3000, np.random.default_rng(1)), sc, np.random.default_rng(2))
    assert all(np.array_equal(x, y) for x, y in ((a.u, b.u), (a.v, b.v), (a.kind, b.kind), (a.closeness, b.closeness)))


# ---------------------------------------------------------------- instruments (sim/survey.py)
def test_ucla3_true_score_runs_from_3_to_9_and_the_cutoff_sits_between_the_thresholds():
    sc = Scenario()
    assert ucla3_true_score(-5.0, sc.survey) == pytest.approx(3.0) and ucla3_true_score(5.0, sc.survey) == pytest.approx(9.0)
    cut = ucla3_latent_cutoff(sc.survey)
    assert ucla3_true_score(cut, sc.survey) == pytest.approx(6.0, abs=1e-6)
    assert sc.survey.ucla3.low_threshold < cut < sc.survey.ucla3.high_threshold


def test_survey_scores_exactly_without_measurement_error():
    sc, people, ties = tiny_world([(0, 1)], 4, **{"survey.ucla3.item_sd": 1e-6, "survey.affect.day_noise_sd": 0.0,
                                                  "survey.isolation_index.misreport_probability": 0.0,
                                                  "survey.ucla3.low_threshold": 0.3, "survey.ucla3.high_threshold": 0.6})
    people.loneliness[:] = [0.0, 0.45, 0.7, 0.2]
    people.mood[:] = [0.5, -1.0, 0.0, 1.0]
    people.partner[:] = [1, 0, -1, -1]
    people.contact_family[:] = [1.0, 0.0, 0.0, 1.0]
    people.contact_friend[:] = [1.0, 1.0, 0.0, 1.0]
    people.group_member[:] = [True, True, False, False]
    a = take_survey(people, sc, np.uint64(3))
    assert list(a.ucla3) == [3, 6, 9, 3] and list(a.ucla3_max_item) == [1, 2, 3, 1]
    assert list(a.isolation_index) == [0, 1, 4, 2]
    assert a.positive_affect == pytest.approx([4.0, 1.0, 3.0, 5.0])
    classify(people, sc)
    assert list(people.isolation_index) == [0, 1, 4, 2] and list(people.isolated) == [False, False, True, True]
    assert list(people.lonely) == [False, True, True, False]


def test_measurement_error_matches_the_configured_reliability():
    n = 40_000
    sc, people, _ = tiny_world([(0, 1)], n, **{"survey.isolation_index.misreport_probability": 0.1,
                                               "survey.affect.day_noise_sd": 0.2})
    people.partner[:] = -1  # item 1 true for everyone, the others false
    people.contact_family[:] = people.contact_friend[:] = 1.0
    people.mood[:] = 0.0
    a = take_survey(people, sc, np.uint64(4))
    # index 1: no answer flipped, or the true item flipped and exactly one of the three others
    expect = 0.9 ** 4 + 0.1 * 3 * 0.1 * 0.9 ** 2
    assert abs((a.isolation_index == 1).mean() - expect) < 4 * np.sqrt(expect * (1 - expect) / n)
    assert np.std((a.positive_affect - 3) / 2) == pytest.approx(0.2, rel=0.03)
    b = take_survey(people, sc, np.uint64(5))
    assert abs(np.corrcoef(a.positive_affect, b.positive_affect)[0, 1]) < 0.03  # fresh noise every survey


def test_overlap_of_two_flags():
    iso = np.array([1, 1, 0, 0, 1, 0], bool)
    lon = np.array([1, 0, 1, 0, 0, 0], bool)
    o = overlap(iso, lon)
    assert o["isolated_not_lonely"] == pytest.approx(2 / 3) and o["lonely_not_isolated"] == pytest.approx(0.5)
    assert o["phi"] == pytest.approx(np.corrcoef(iso, lon)[0, 1])


# ---------------------------------------------------------------- life events (dynamics/life_events.py)
def test_retirement_ends_work_ties_on_the_day():
    sc, people, ties = tiny_world([(0, 1), (0, 2), (1, 2)], 3, kind=[WORK, FRIEND, WORK])
    people.employed[:] = True
    people.retirement_age[:] = [60, 70, 70]
    people.age[:] = [60.0, 50, 50]
    assert retire(people, ties) == 1
    assert list(people.employed) == [False, True, True]
    assert list(ties.status[:3]) == [0, TIE_ACTIVE, TIE_ACTIVE]  # (0, 1) was work: gone; (0, 2) is a friendship


def test_a_partners_death_widows_the_survivor_and_grief_follows_closeness():
    sc, people, ties = tiny_world([(0, 1), (0, 2)], 3, kind=[PARTNER, ACQUAINTANCE], closeness=0.8,
                                  **{"loneliness.bereavement_shock": 0.5, "mortality.simulate_deaths": True})
    sim = Simulation(small(**{"population.size": 3}), burn_in=False)
    sim.scenario, sim.people, sim.ties, sim.n = sc, people, ties, 3
    ties.closeness[1] = 0.2
    people.partner[:] = [1, 0, -1]
    sim._bury(np.array([0]))
    assert people.widowed[1] and people.partner[1] == -1 and not people.widowed[2]
    assert people.loneliness[1] == pytest.approx(0.5 * 0.8) and people.loneliness[2] == pytest.approx(0.5 * 0.2)
    assert ties.count_active() == 0 and people.degree.sum() == 0


def test_deaths_widow_people_during_a_run():
    sc = small(**{"population.size": 3000, "days": 60, "population.age_min": 85, "population.age_max": 100,
                  "mortality.simulate_deaths": True})
    sim = Simulation(sc)
    widowed0 = sim.people.widowed.copy()
    sim.run()
    p = sim.people
    new = p.widowed & ~widowed0 & p.alive
    assert (~p.alive).sum() > 10 and new.sum() > 0 and (p.partner[new] == -1).all()


def test_towns_of_one_two_and_three_people_run():
    """Tiny towns (nobody to pair, one sex only, a lone person) build and run: a regression test for a
    crash when no one of one sex wanted a partner."""
    for n in (1, 2, 3):
        for seed in range(4):
            sim = Simulation(Scenario().with_overrides({"population.size": n, "days": 2, "seed": seed}))
            sim.run()
            assert sim.people.alive.size == n and sim.day == 2


def test_the_retirement_check_finds_exactly_the_employed_past_their_age_in_order():
    """The daily check runs in parallel over blocks of 4,096 people; it must return what a plain scan
    returns, in the same order, at block edges too."""
    from sim.dynamics.life_events import _due_to_retire

    rng = np.random.default_rng(7)
    for n in (0, 1, 4095, 4096, 4097, 3 * 4096 + 5, 50_000):
        employed, alive = rng.random(n) < 0.6, rng.random(n) < 0.97
        age = rng.uniform(18, 90, n).astype(np.float32)
        retirement_age = rng.normal(64, 4, n).astype(np.float32)
        expected = np.flatnonzero(employed & alive & (age >= retirement_age))
        assert np.array_equal(_due_to_retire(employed, alive, age, retirement_age), expected), n
