"""Each daily kernel on tiny exact graphs (probabilities 0 or 1), and measured rates vs configured ones."""

import numpy as np
import pytest

from sim.config import Scenario
from sim.dynamics.contacts import Contacts, draw_contacts
from sim.dynamics.habits import update_habit
from sim.dynamics.kindness import do_kind_acts
from sim.dynamics.loneliness import loneliness_target
from sim.dynamics.mood import update_mood
from sim.dynamics.smiles import exchange_smiles, smile_probability
from sim.dynamics.ties import close_triads, dissolve_ties
from sim.initial import init_people
from sim.mortality import LIFE_TABLE_Q, baseline_hazard, combine, draw_deaths
from sim.networks import EdgeList
from sim.ties import Ties


def world(edges, n, **overrides):
    sc = Scenario().with_overrides({"population.size": n, **overrides})
    people = init_people(sc, n, np.random.default_rng(0))
    people.mood[:] = 0
    people.emotion[:] = 0  # neutral: resting mood 0
    people.loneliness[:] = 0
    people.habit[:] = 0.3
    u = np.array([a for a, b in edges], np.int32)
    v = np.array([b for a, b in edges], np.int32)
    ties = Ties.from_edges(EdgeList(n, np.minimum(u, v), np.maximum(u, v)), strength=1.0)
    people.degree[:] = ties.degrees()
    return sc, people, ties


def meeting(a, b, n):
    a, b = np.array(a, np.int32), np.array(b, np.int32)
    return Contacts(np.arange(a.size, dtype=np.int32), a, b, np.bincount(a, minlength=n) + np.bincount(b, minlength=n))


def test_two_people_always_or_never_meet():
    sc, people, ties = world([(0, 1)], 2, **{"contacts.rate_per_tie_per_day": 50.0})
    rng = np.random.default_rng(1)
    assert all(draw_contacts(people, ties, sc.contacts, 1.0, rng).count == 1 for _ in range(50))
    assert draw_contacts(people, ties, sc.contacts, 0.0, rng).count == 0  # lockdown multiplier 0


def test_two_people_smile_and_return_exactly():
    sc, people, _ = world([(0, 1)], 2, **{"smiles.propensity": 1.0, "smiles.return_probability": 1.0})
    s = exchange_smiles(people, meeting([0], [1], 2), sc.smiles, np.random.default_rng(0))
    assert s.first == 2 and s.returned == 2
    assert list(s.given) == [2, 2] and list(s.received) == [2, 2]
    sc0, people0, _ = world([(0, 1)], 2, **{"smiles.propensity": 0.0})
    assert exchange_smiles(people0, meeting([0], [1], 2), sc0.smiles, np.random.default_rng(0)).total == 0


def test_a_smile_raises_both_givers_and_receivers_mood():
    sc, people, _ = world([(0, 1)], 3, **{"smiles.propensity": 1.0, "smiles.return_probability": 0.0})
    boost = np.array([0.0, -1e9, 0.0], np.float32)  # only person 0 smiles; person 2 is a bystander
    s = exchange_smiles(people, meeting([0], [1], 3), sc.smiles, np.random.default_rng(0), boost)
    assert list(s.given) == [1, 0, 0] and list(s.received) == [0, 1, 0]
    gain = sc.smiles.giver_mood_gain * s.given + sc.smiles.receiver_mood_gain * s.received
    before = people.mood.copy()
    update_mood(people, sc.mood, gain.astype(np.float32))
    assert people.mood[0] > people.mood[2] and people.mood[1] > people.mood[2]
    assert people.mood[2] == pytest.approx(before[2] + (0.0 - before[2]) * (1 - np.exp(-1 / sc.mood.relaxation_days)), abs=1e-6)


def test_loneliness_lowers_smiling_and_mood_and_habit_raise_it():
    sc, people, _ = world([(0, 1)], 4)
    people.loneliness[:] = [0.0, 0.9, 0.0, 0.0]
    people.mood[:] = [0.0, 0.0, 0.5, 0.0]
    people.habit[:] = [0.3, 0.3, 0.3, 0.8]
    p = smile_probability(people, sc.smiles)
    assert p[1] < p[0] < p[2] and p[0] < p[3]
    assert p[0] == pytest.approx(sc.smiles.propensity, abs=1e-6)


def test_triangle_kind_acts_go_along_ties_and_strengthen_them():
    sc, people, ties = world([(0, 1), (1, 2), (0, 2)], 3, **{"kindness.rate_per_day": 3.0,
                             "kindness.stranger_fraction": 0.0, "kindness.pay_forward_probability": 1.0})
    ties.strength[:3] = 0.5
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(2))
    assert k.total > 0 and k.given.sum() == k.received.sum() == k.total
    assert ties.strength[:3].sum() == pytest.approx(1.5 + k.total * sc.kindness.tie_strength_gain)
    assert people.pay_forward[k.received > 0].all()  # pay-forward probability 1


def test_kind_act_to_a_stranger_can_start_a_tie():
    sc, people, ties = world([(0, 1)], 3, **{"kindness.rate_per_day": 5.0, "kindness.stranger_fraction": 1.0,
                             "kindness.new_tie_probability": 1.0})
    before = ties.count_active()
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(3))
    assert k.new_ties >= 1 and ties.count_active() == before + k.new_ties <= 3


def test_path_closes_into_a_triangle_and_ties_dissolve():
    sc, people, ties = world([(0, 1), (1, 2)], 3, **{"ties.triadic_closure_per_year": 1e6})
    formed = sum(close_triads(people, ties, sc.ties, sc.contacts, np.random.default_rng(s)) for s in range(20))
    assert formed == 1 and ties.lookup(np.array([0]), np.array([2]))[0] >= 0
    sc2, people2, ties2 = world([(0, 1), (1, 2)], 3, **{"ties.dissolution_per_year": 1e6})
    assert dissolve_ties(people2, ties2, sc2.ties, np.random.default_rng(0)) == 2 and ties2.count_active() == 0


def test_habit_grows_with_practice_and_fades_without():
    sc, people, _ = world([(0, 1)], 2)
    people.habit[:] = 0.3
    update_habit(people, sc.habits, np.array([6.0, 0.0]), np.array([1.0, 0.0]))
    assert people.habit[0] > 0.3 > people.habit[1]


def test_loneliness_target_is_the_gap_between_desired_and_received():
    sc, people, _ = world([(0, 1)], 3)
    people.desired[:] = 4.0
    people.perceived[:] = [4.0, 2.0, 0.0]
    assert loneliness_target(people, sc) == pytest.approx([0.0, 0.5, 1.0])


# ---------------------------------------------------------------- statistical checks of configured rates
def ring(n, k=4):
    return [(i, (i + j) % n) for i in range(n) for j in range(1, k // 2 + 1)]


def test_measured_meeting_rate_matches_configured_rate():
    sc, people, ties = world(ring(5000), 5000, **{"contacts.rate_per_tie_per_day": 0.3})
    rng = np.random.default_rng(4)
    meets = sum(draw_contacts(people, ties, sc.contacts, 1.0, rng).count for _ in range(20))
    trials = 20 * ties.count_active()
    p = 1 - np.exp(-0.3)
    assert abs(meets / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)


def test_measured_smile_return_rate_matches_configured_probability():
    n = 20000
    sc, people, _ = world([(0, 1)], n, **{"smiles.propensity": 1.0})
    a = np.arange(0, n, 2)
    s = exchange_smiles(people, meeting(a, a + 1, n), sc.smiles, np.random.default_rng(5))
    rate = s.returned / s.first
    assert abs(rate - 0.55) < 4 * np.sqrt(0.55 * 0.45 / s.first) and rate > 0.5  # "more than half" returned


def test_measured_pay_forward_rate_matches_configured_probability():
    n = 20000
    sc, people, ties = world(ring(n), n, **{"kindness.rate_per_day": 0.5, "kindness.stranger_fraction": 0.0})
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(6))
    receivers = (k.received > 0).sum()
    rate = people.pay_forward.sum() / receivers
    assert abs(rate - 0.4) < 4 * np.sqrt(0.24 / receivers)


def test_life_table_hazard_and_death_draws():
    sc = Scenario()
    ages = np.array([30, 50, 70, 90], np.float32)
    for sex, key in ((1, "male"), (0, "female")):
        mu = baseline_hazard(ages, np.full(4, sex, np.int8), sc.mortality)
        assert mu == pytest.approx(-np.log1p(-LIFE_TABLE_Q[key][[0, 2, 4, 6]]), rel=1e-9)
    assert combine(np.array([True]), np.array([True]), 1.32, 1.14, "multiplicative")[0] == pytest.approx(1.32 * 1.14)
    assert combine(np.array([True]), np.array([True]), 1.32, 1.14, "max")[0] == pytest.approx(1.32)
    assert combine(np.array([True]), np.array([True]), 1.32, 1.14, "additive")[0] == pytest.approx(1.46)
    hazard = np.full(200_000, 36.5)  # per year: daily probability 1 - exp(-0.1)
    dead = draw_deaths(hazard, np.random.default_rng(7)).size
    p = 1 - np.exp(-0.1)
    assert abs(dead / hazard.size - p) < 4 * np.sqrt(p * (1 - p) / hazard.size)


def test_bernoulli_indices_keep_each_index_with_the_given_probability():
    from sim._core import bernoulli_indices
    rng = np.random.default_rng(8)
    counts = np.zeros(1000)
    for _ in range(400):
        idx = bernoulli_indices(1000, 0.05, rng)
        assert np.all(np.diff(idx) > 0) and (idx.size == 0 or (idx[0] >= 0 and idx[-1] < 1000))
        counts[idx] += 1
    assert abs(counts.mean() / 400 - 0.05) < 0.002
    assert counts.std() / 400 < 0.02  # uniform over positions, no clumping at the ends
    assert bernoulli_indices(10, 0.0, rng).size == 0 and bernoulli_indices(10, 1.0, rng).size == 10


def test_degrees_kept_incrementally_match_a_recount_through_shocks_and_deaths():
    from sim.simulation import Simulation
    from tests.conftest import small
    sc = small(**{"population.size": 1500, "days": 40, "population.age_min": 80, "mortality.simulate_deaths": True,
                  "kindness.new_tie_probability": 0.3,
                  "shocks": [{"start_day": 5, "duration_days": 10, "tie_removal_fraction": 0.4}]})
    sim = Simulation(sc)
    for _ in range(40):
        sim.step()
        assert np.array_equal(sim.people.degree, sim.ties.degrees())
    assert (~sim.people.alive).any()


def test_daily_ledger_uses_the_life_table_hazard_to_within_a_tenth_of_a_percent():
    from sim.initial import init_people
    from sim.mortality import RiskLedger, assess_day
    sc = Scenario().with_overrides({"mortality.hr_isolation": 1.5, "mortality.hr_loneliness": 1.2})
    people = init_people(sc, 5000, np.random.default_rng(3))
    people.isolated[:] = np.arange(5000) % 3 == 0
    people.lonely[:] = np.arange(5000) % 2 == 0
    hazard = assess_day(people, sc.mortality, RiskLedger(), need_hazard=True)
    exact = baseline_hazard(people.age, people.sex, sc.mortality) * people.relative_hazard
    assert np.allclose(hazard, exact, rtol=1e-3)
    assert people.relative_hazard[0] == pytest.approx(1.8) and people.relative_hazard[1] == pytest.approx(1.0)


def test_tie_lookup_finds_ties_added_since_the_rebuild_and_after_it():
    n = 1000
    sc, people, ties = world(ring(n), n)
    rng = np.random.default_rng(11)
    added_a, added_b = [], []
    for _ in range(4):  # several days of additions: the tail index grows by merging
        a, b = rng.integers(0, n, 50), rng.integers(0, n, 50)
        ties.add(a.astype(np.int32), b.astype(np.int32), 0.5)
        added_a.append(a)
        added_b.append(b)
        a_all, b_all = np.concatenate(added_a), np.concatenate(added_b)
        ok = a_all != b_all
        slots = ties.lookup(a_all[ok], b_all[ok])
        assert (slots >= 0).all()
        lo, hi = np.minimum(a_all[ok], b_all[ok]), np.maximum(a_all[ok], b_all[ok])
        assert np.array_equal(ties.u[slots], lo) and np.array_equal(ties.v[slots], hi)
    absent = ties.lookup(np.array([0], np.int32), np.array([n // 2], np.int32))  # not a ring tie, maybe added
    assert absent.item() == -1 or (ties.u[absent], ties.v[absent]) == (0, n // 2)
    ties.rebuild_index()
    slots = ties.lookup(a_all[ok], b_all[ok])
    assert (slots >= 0).all() and np.array_equal(ties.u[slots], lo) and np.array_equal(ties.v[slots], hi)
    assert (np.diff(ties.u[: ties.m].astype(np.int64) * n + ties.v[: ties.m]) > 0).all()  # sorted again
    # the one-pass CSR of the sorted table is the general builder's CSR
    from sim.fastgraph import csr_from_edges
    general = csr_from_edges(n, ties.u[: ties.m], ties.v[: ties.m])
    assert all(np.array_equal(x, y) for x, y in zip((ties.indptr, ties.nbr, ties.eid), general))
