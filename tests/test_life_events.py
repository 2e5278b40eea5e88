"""Change within a person and life events (issue 18): desire that drifts, episodes of adversity and illness,
grief, support and adaptation after a death, the household's weight, and the widowed at day 0.

Exact small cases, statistical checks that the configured rates and steady states are what the kernels
produce, and a directional test of each mechanism."""

import math

import numpy as np
import pytest

from sim._core import ACQUAINTANCE, FAMILY, HOUSEHOLD, NO_DAY, PARTNER
from sim.config import Scenario
from sim.demography import draw_demography
from sim.dynamics.desire import LIFE_COURSE_DAYS, drift_desire, persistence
from sim.dynamics.episodes import stationary_share, step_episodes
from sim.dynamics.grief import adaptation_left, grief_after
from sim.dynamics.loneliness import loneliness_target, update_loneliness
from sim.dynamics.meetings import contact_factors, meet
from sim.simulation import Simulation
from tests.conftest import small, tiny_world

pytestmark = pytest.mark.model


# ---------------------------------------------------------------- desire drifts
def test_desire_persistence_is_the_ornstein_uhlenbeck_autocorrelation():
    assert persistence(365, 5.0) == pytest.approx(math.exp(-1 / 5))
    assert persistence(7, 0.0) == 1.0


def test_drifting_desire_keeps_its_spread_and_loses_rank_at_the_configured_rate():
    n = 100_000
    sc, people, _ = tiny_world([(0, 1)], n, **{"population.desire_change_years": 2.0,
                                               "population.desire_stable_share": 0.0})
    rng = np.random.default_rng(1)
    people.desire_z[:] = rng.standard_normal(n).astype(np.float32)
    z0 = people.desire_z.copy()
    log_d0 = np.log(people.desired.copy())
    weeks = 52
    for w in range(weeks):
        drift_desire(people, sc, np.uint64(1000 + w))
    z = people.desire_z
    assert z.mean() == pytest.approx(0.0, abs=0.02) and z.std() == pytest.approx(1.0, abs=0.02)
    phi = persistence(weeks * LIFE_COURSE_DAYS, 2.0)
    assert np.corrcoef(z0, z)[0, 1] == pytest.approx(phi, abs=0.01)
    # desired connection moves with exp(sigma * change of z) (the age profile stays as day 0 drew it)
    sigma = sc.population.desired_contacts_sigma
    assert np.log(people.desired) == pytest.approx(log_d0 + sigma * (z - z0), abs=2e-3)


def test_fixed_desire_when_the_time_scale_is_zero():
    sc, people, _ = tiny_world([(0, 1)], 50, **{"population.desire_change_years": 0.0})
    before = people.desired.copy()
    drift_desire(people, sc, np.uint64(3))
    assert (people.desired == before).all()


def test_selection_acts_on_the_lasting_part_of_desire_only():
    """The unpartnered want less than the partnered, but by the lasting part only: the changing part of desire
    is independent of partnering."""
    sc = Scenario().with_overrides({"population.size": 60_000})
    demo = draw_demography(sc, 60_000, np.random.default_rng(5))
    z_change = demo.desire_z
    assert abs(np.corrcoef(z_change, demo.wants_partner)[0, 1]) < 0.02
    log_d = np.log(demo.desired / sc.population.desire_by_age.at(demo.age))
    assert log_d[demo.wants_partner].mean() > log_d[~demo.wants_partner].mean() + 0.1


# ---------------------------------------------------------------- episodes of adversity and illness
def test_stationary_share_of_a_two_state_chain():
    start, end = 1 - math.exp(-0.365 * 7 / 365), 1 - math.exp(-7 / 100.0)
    assert stationary_share(0.365, 100.0) == pytest.approx(start / (start + end))
    assert stationary_share(0.365, 100.0, step_days=1) == pytest.approx(0.1 / 1.1, rel=0.01)  # lambda d / (1 + lambda d)
    assert stationary_share(0.0, 100.0) == 0.0


def test_episodes_start_and_end_at_the_configured_rates_and_hold_their_stationary_share():
    n = 100_000
    sc, people, _ = tiny_world([(0, 1)], n, **{"life_events.enabled": True,
                                               "life_events.adversity.onset_per_year": 0.5,
                                               "life_events.adversity.duration_days": 70.0})
    people.adversity[:] = False
    step_episodes(people, sc, np.uint64(11))
    p_start = 1 - math.exp(-0.5 * LIFE_COURSE_DAYS / 365)
    se = math.sqrt(p_start * (1 - p_start) / n)
    assert people.adversity.mean() == pytest.approx(p_start, abs=4 * se)
    people.adversity[:] = True
    step_episodes(people, sc, np.uint64(12))
    p_end = 1 - math.exp(-LIFE_COURSE_DAYS / 70.0)
    assert 1 - people.adversity.mean() == pytest.approx(p_end, abs=4 * math.sqrt(p_end * (1 - p_end) / n))
    share = stationary_share(0.5, 70.0)
    people.adversity[:] = np.random.default_rng(0).random(n) < share
    for w in range(40):
        step_episodes(people, sc, np.uint64(100 + w))
    assert people.adversity.mean() == pytest.approx(share, abs=4 * math.sqrt(share * (1 - share) / n))


def test_no_episodes_when_life_events_are_off():
    sc, people, _ = tiny_world([(0, 1)], 1000, **{"life_events.adversity.onset_per_year": 5.0})
    step_episodes(people, sc, np.uint64(1))
    assert not people.adversity.any() and not people.ill.any()


def test_adversity_raises_the_loneliness_target_by_its_weight():
    sc, people, _ = tiny_world([(0, 1)], 2, **{"life_events.enabled": True,
                                               "life_events.adversity.loneliness_weight": 0.25})
    people.desired[:] = 2.0
    people.perceived[:] = 1.0
    people.perceived_close[:] = 2.0
    people.adversity[:] = [False, True]
    t = loneliness_target(people, sc)
    assert t[1] - t[0] == pytest.approx(0.25)


def test_illness_multiplies_every_tie_of_the_ill_by_the_contact_factor():
    sc, people, _ = tiny_world([(0, 1)], 2, **{"life_events.enabled": True, "life_events.illness.contact_factor": 0.4})
    people.ill[:] = [True, False]
    f = contact_factors(people, sc)
    assert f[0] == pytest.approx(0.4 * f[1])


# ---------------------------------------------------------------- grief, support and adaptation
def _widow_town(**overrides):
    """Two partners (0, 1) with closeness 0.8, person 1 also tied to kin 2 and friend 3; person 0 dies."""
    sc, people, ties = tiny_world([(0, 1), (1, 2), (1, 3)], 4, kind=[PARTNER, FAMILY, ACQUAINTANCE], closeness=0.8,
                                  **{"mortality.simulate_deaths": True, **overrides})
    sim = Simulation(small(**{"population.size": 4}), burn_in=False)
    sim.scenario, sim.people, sim.ties, sim.n = sc, people, ties, 4
    people.partner[:] = [1, 0, -1, -1]
    return sim


def test_a_partners_death_starts_grief_and_adaptation_and_records_the_day():
    sim = _widow_town(**{"life_events.grief.partner_loss": 0.6, "life_events.grief.adaptation": 0.4})
    sim.day = 17
    sim._bury(np.array([0]))
    p = sim.people
    assert p.widowed[1] and p.widowed_day[1] == 17 and p.widowed_day[2] == NO_DAY
    assert p.grief[1] == pytest.approx(0.6 * 0.8) and p.grief[2] == 0
    assert p.adaptation[1] == pytest.approx(0.4) and p.adaptation[2] == 0


def test_grief_fades_and_desire_adapts_as_their_expected_forms_say():
    sim = _widow_town(**{"life_events.grief.fade_days": 100.0, "life_events.grief.adaptation": 0.5,
                         "life_events.grief.adaptation_days": 200.0})
    sc, p = sim.scenario, sim.people
    sim._bury(np.array([0]))
    g0, d0 = float(p.grief[1]), float(p.desired[1])
    z = np.zeros(4, np.float32)
    for _ in range(150):
        update_loneliness(p, sc, z, z, z, z.astype(np.int32), z.astype(np.int32))
    assert p.grief[1] == pytest.approx(grief_after(g0, 150, 100.0), rel=1e-4)
    left = adaptation_left(150, sc)
    assert p.adaptation[1] == pytest.approx(left, rel=1e-3)
    assert p.desired[1] == pytest.approx(d0 * math.exp(-(0.5 - left)), rel=1e-3)


def test_grief_raises_loneliness_and_the_bereaved_meet_more():
    sim = _widow_town(**{"life_events.grief.support_per_grief": 2.0})
    p, sc = sim.people, sim.scenario
    before_target = loneliness_target(p, sc)[1]
    f_before = contact_factors(p, sc)[1]
    p.grief[1] = 0.5
    assert loneliness_target(p, sc)[1] == pytest.approx(min(before_target + 0.5, 1.0))
    assert contact_factors(p, sc)[1] == pytest.approx(f_before * 2.0)


def test_the_bereaved_see_kin_more_often_in_a_town():
    """Statistical: on a star of kin, the meeting rate of a grieving centre is (1 + support x grief) times."""
    n = 2001
    edges = [(0, j) for j in range(1, n)]
    sc, people, ties = tiny_world(edges, n, kind=FAMILY, closeness=0.5, **{"life_events.grief.support_per_grief": 1.0})
    people.loneliness[:] = 0
    counts = {}
    for grief in (0.0, 1.0):
        people.grief[0] = grief
        met = sum(int(meet(people, ties, sc, 1.0, np.uint64(k), np.uint64(k + 99)).per_person[0]) for k in range(20))
        counts[grief] = met
    assert counts[1.0] / counts[0.0] == pytest.approx(
        -np.expm1(-2 * sc.ties.family.rate_per_day * 0.5) / -np.expm1(-sc.ties.family.rate_per_day * 0.5), rel=0.06)


# ---------------------------------------------------------------- households and the widowed at day 0
def test_a_household_meeting_counts_its_connection_weight_in_felt_connection():
    sc, people, ties = tiny_world([(0, 1), (2, 3)], 4, kind=[HOUSEHOLD, PARTNER], closeness=1.0,
                                  **{"ties.household.rate_per_day": 50.0, "ties.partner.rate_per_day": 50.0,
                                     "ties.household.connection_weight": 0.25})
    mt = meet(people, ties, sc, 1.0, np.uint64(1), np.uint64(2))
    assert list(mt.per_person) == [1, 1, 1, 1]          # reported contact: every meeting
    assert mt.felt == pytest.approx([0.25, 0.25, 1, 1])  # felt connection: weighted
    assert mt.closeness == pytest.approx([0.25, 0.25, 1, 1])


def test_the_widowed_at_day_0_carry_the_grief_and_adaptation_their_years_since_the_death_leave():
    sc = Scenario().with_overrides({"population.size": 20_000, "population.age_min": 60})
    sim = Simulation(sc, burn_in=False)
    p = sim.people
    w = p.widowed
    assert w.sum() > 500 and (p.widowed_day[w] <= 0).all() and (p.widowed_day[~w] == NO_DAY).all()
    days = -p.widowed_day[w].astype(float)
    g = sc.life_events.grief
    first = g.partner_loss * sc.ties.partner.closeness_mean
    assert p.grief[w] == pytest.approx(grief_after(first, days, g.fade_days), abs=2e-3)
    assert p.adaptation[w] == pytest.approx(adaptation_left(days, sc), abs=2e-3)
    assert days.mean() / 365 == pytest.approx(g.widowed_years_mean, rel=0.35)  # truncated at the years since 40


def test_the_widowed_are_drawn_from_the_partnered_selection_not_the_never_partnered():
    sc = Scenario().with_overrides({"population.size": 80_000, "population.age_min": 65})
    demo = draw_demography(sc, 80_000, np.random.default_rng(3))
    log_d = np.log(demo.desired / sc.population.desire_by_age.at(demo.age))
    never = ~demo.wants_partner & ~demo.widowed_if_single
    partnered = demo.wants_partner
    widowed = demo.widowed_if_single
    # the widowed want what the partnered want, and more than the never partnered
    assert log_d[never].mean() < log_d[widowed].mean() - 0.1
    assert log_d[widowed].mean() == pytest.approx(log_d[partnered].mean(), abs=0.03)


# ---------------------------------------------------------------- directional tests in a town
def _yearly_stability(**overrides):
    sc = small(**{"population.size": 3000, "days": 365, **overrides})
    sim = Simulation(sc)
    start = sim.people.loneliness.copy()
    sim.run()
    return float(np.corrcoef(start, sim.people.loneliness)[0, 1])


def test_drifting_desire_and_adversity_make_loneliness_less_stable_over_a_year():
    fixed = _yearly_stability(**{"population.desire_change_years": 0.0, "life_events.enabled": False})
    moving = _yearly_stability()
    assert moving < fixed - 0.05


def test_adversity_makes_a_town_lonelier():
    def lonely(weight):
        sc = small(**{"population.size": 3000, "days": 60, "life_events.adversity.loneliness_weight": weight,
                      "life_events.adversity.onset_per_year": 0.3})
        sim = Simulation(sc)
        sim.run()
        return float(sim.people.loneliness.mean())
    assert lonely(0.4) > lonely(0.0) + 0.01


def test_illness_lowers_contact_in_a_town():
    def contacts(factor):
        sc = small(**{"population.size": 3000, "days": 30, "life_events.illness.contact_factor": factor,
                      "life_events.illness.onset_per_year.values": [0.5] * 5})
        sim = Simulation(sc)
        sim.run()
        return float(sim.timeseries().contacts.mean())
    assert contacts(0.2) < contacts(1.0) * 0.97


def test_the_unpartnered_living_with_kin_are_lonelier_when_kin_count_for_less():
    def lonely_with_kin(weight):
        sc = small(**{"population.size": 6000, "days": 30, "ties.household.connection_weight": weight})
        sim = Simulation(sc)
        sim.run()
        from sim.readouts import household_ties
        p = sim.people
        kin = (p.partner < 0) & (household_ties(sim) > 0)
        return float(p.loneliness[kin].mean())
    assert lonely_with_kin(0.1) > lonely_with_kin(1.0) + 0.02


# ---------------------------------------------------------------- switches: responsiveness and homophily
def test_a_lonely_partner_gives_less_close_connection_when_responsiveness_loss_is_on():
    edges = [(0, 1), (2, 3)]
    over = {"ties.friend.rate_per_day": 50.0}
    for q, expected in ((0.0, [1.0, 1.0, 1.0, 1.0]), (0.5, [0.6, 1.0, 1.0, 1.0])):
        sc, people, ties = tiny_world(edges, 4, closeness=1.0, **over, **{"loneliness.responsiveness_loss": q})
        people.loneliness[:] = [0.0, 0.8, 0.0, 0.0]  # person 1 is lonely: person 0 receives less from them
        mt = meet(people, ties, sc, 1.0, np.uint64(1), np.uint64(2))
        assert list(mt.per_person) == [1, 1, 1, 1] and mt.closeness == pytest.approx(expected)


def test_homophily_makes_new_friends_alike_in_loneliness():
    from sim.dynamics.ties import close_triads

    def gap_of_new_ties(h):
        n = 3000
        edges = [(i, (i + d) % n) for i in range(n) for d in (1, 2, 3)]
        sc, people, ties = tiny_world(edges, n, **{"ties.homophily_loneliness": h,
                                                   "ties.triadic_closure_per_year": 300.0})
        people.loneliness[:] = np.random.default_rng(4).random(n).astype(np.float32) * 0.9
        before = ties.m
        close_triads(people, ties, sc.ties, sc.contacts, np.random.default_rng(9))
        u, v = ties.u[before:ties.m], ties.v[before:ties.m]
        assert u.size > 50
        return float(np.abs(people.loneliness[u] - people.loneliness[v]).mean())
    assert gap_of_new_ties(8.0) < 0.7 * gap_of_new_ties(0.0)
