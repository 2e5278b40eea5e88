"""Each daily kernel on tiny exact graphs (probabilities 0 or 1), and measured rates vs configured ones."""

import numpy as np
import pytest

from sim._core import ACQUAINTANCE, FAMILY, FRIEND, HOUSEHOLD, PARTNER, WORK, bernoulli_indices
from sim.config import Scenario
from sim.dynamics.habits import update_habit
from sim.dynamics.kindness import do_kind_acts
from sim.dynamics.loneliness import loneliness_target, update_loneliness
from sim.dynamics.meetings import HIGH_SMILES, LOW_SMILES, MET, meet
from sim.dynamics.mood import update_mood
from sim.dynamics.smiles import smile_probabilities
from sim.dynamics.ties import close_triads, dissolve_ties
from sim.mortality import LIFE_TABLE_Q, baseline_hazard, combine, draw_deaths
from tests.conftest import ring, tiny_world

KEY_A, KEY_B = np.uint64(11), np.uint64(12)


# ---------------------------------------------------------------- contacts and smiles (dynamics/meetings.py)
def test_two_people_always_or_never_meet():
    sc, people, ties = tiny_world([(0, 1)], 2, **{"ties.friend.rate_per_day": 50.0})
    for day in range(30):
        assert meet(people, ties, sc, 1.0, np.uint64(day), KEY_B).count == 1
    assert meet(people, ties, sc, 0.0, KEY_A, KEY_B).count == 0  # lockdown multiplier 0
    people.alive[1] = False  # the dead meet nobody
    assert meet(people, ties, sc, 1.0, KEY_A, KEY_B).count == 0


def test_a_meeting_is_counted_by_kind_and_closeness_for_both_ends():
    edges = [(0, 1), (0, 2), (0, 3)]
    sc, people, ties = tiny_world(edges, 4, kind=[PARTNER, FAMILY, FRIEND], closeness=0.5,
                                  **{f"ties.{k}.rate_per_day": 100.0 for k in ("partner", "family", "friend")})
    people.emotion[:] = [0, 1, 2, 1]
    m = meet(people, ties, sc, 1.0, KEY_A, KEY_B)
    assert m.count == 3 and list(m.per_person) == [3, 1, 1, 1]
    assert list(m.met_kin) == [1, 0, 1, 0] and list(m.met_friends) == [1, 0, 0, 1]
    assert list(m.met_content) == [2, 0, 0, 0] and list(m.met_discontent) == [1, 0, 0, 0]
    assert m.closeness == pytest.approx([1.5, 0.5, 0.5, 0.5])


def test_two_people_smile_and_return_exactly():
    hi = {"ties.friend.rate_per_day": 50.0}
    sc, people, ties = tiny_world([(0, 1)], 2, **hi, **{"smiles.propensity": 1.0, "smiles.return_probability": 1.0})
    m = meet(people, ties, sc, 1.0, KEY_A, KEY_B)
    assert m.smiles_first == 2 and m.smiles_returned == 2
    assert list(m.smiles_given) == [2, 2] and list(m.smiles_received) == [2, 2]
    sc0, people0, ties0 = tiny_world([(0, 1)], 2, **hi, **{"smiles.propensity": 0.0})
    assert meet(people0, ties0, sc0, 1.0, KEY_A, KEY_B).smiles == 0


def test_a_smile_raises_both_givers_and_receivers_mood():
    sc, people, ties = tiny_world([(0, 1)], 3, **{"ties.friend.rate_per_day": 50.0, "smiles.propensity": 1.0,
                                                  "smiles.return_probability": 0.0})
    boost = np.array([0.0, -1e9, 0.0], np.float32)  # only person 0 smiles; person 2 is a bystander
    m = meet(people, ties, sc, 1.0, KEY_A, KEY_B, boost)
    assert list(m.smiles_given) == [1, 0, 0] and list(m.smiles_received) == [0, 1, 0]
    assert m.codes[0] & LOW_SMILES and not m.codes[0] & HIGH_SMILES
    gain = sc.smiles.giver_mood_gain * m.smiles_given + sc.smiles.receiver_mood_gain * m.smiles_received
    before = people.mood.copy()
    update_mood(people, sc.mood, gain.astype(np.float32))
    assert people.mood[0] > people.mood[2] and people.mood[1] > people.mood[2]
    relax = 1 - np.exp(-1 / sc.mood.relaxation_days)
    assert people.mood[2] == pytest.approx(before[2] + (0.0 - before[2]) * relax, abs=1e-6)


def test_loneliness_lowers_smiling_and_mood_and_habit_raise_it():
    sc, people, _ = tiny_world([(0, 1)], 4)
    people.loneliness[:] = [0.0, 0.9, 0.0, 0.0]
    people.mood[:] = [0.0, 0.0, 0.5, 0.0]
    people.habit[:] = [0.3, 0.3, 0.3, 0.8]
    p = smile_probabilities(people, sc.smiles)[:, 0]
    assert p[1] < p[0] < p[2] and p[0] < p[3]
    assert p[0] == pytest.approx(sc.smiles.propensity, abs=1e-6)


def test_closeness_fades_back_to_its_base_without_kind_acts():
    sc, people, ties = tiny_world([(0, 1)], 2, closeness=0.4, **{"ties.closeness_days": 10.0})
    ties.closeness[0] = 0.9  # lifted by kind acts
    meet(people, ties, sc, 1.0, KEY_A, KEY_B)
    assert ties.closeness[0] == pytest.approx(0.9 + (0.4 - 0.9) * (1 - np.exp(-0.1)), rel=1e-6)


# ---------------------------------------------------------------- kind acts, habits, ties
def test_triangle_kind_acts_go_along_ties_and_bring_people_closer():
    sc, people, ties = tiny_world([(0, 1), (1, 2), (0, 2)], 3, closeness=0.5, **{
        "kindness.rate_per_day": 3.0, "kindness.stranger_fraction": 0.0, "kindness.pay_forward_probability": 1.0})
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(2))
    assert k.total > 0 and k.given.sum() == k.received.sum() == k.total
    assert ties.closeness[:3].sum() == pytest.approx(1.5 + k.total * sc.kindness.closeness_gain, rel=1e-6)
    assert people.pay_forward[k.received > 0].all()  # pay-forward probability 1


def test_kind_act_to_a_stranger_can_start_an_acquaintance_tie():
    sc, people, ties = tiny_world([(0, 1)], 3, **{"kindness.rate_per_day": 5.0, "kindness.stranger_fraction": 1.0,
                                                  "kindness.new_tie_probability": 1.0})
    before = ties.count_active()
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(3))
    assert k.new_ties >= 1 and ties.count_active() == before + k.new_ties <= 3
    new = ties.active_ids()[1:]
    assert (ties.kind[new] == ACQUAINTANCE).all() and ties.closeness[new] == pytest.approx(sc.ties.new_tie_closeness)


def test_path_closes_into_a_triangle_of_friends():
    sc, people, ties = tiny_world([(0, 1), (1, 2)], 3, **{"ties.triadic_closure_per_year": 1e6})
    formed = sum(close_triads(people, ties, sc.ties, sc.contacts, np.random.default_rng(s)) for s in range(20))
    slot = ties.lookup(np.array([0]), np.array([2]))[0]
    assert formed == 1 and slot >= 0 and ties.kind[slot] == FRIEND


def test_only_kinds_that_dissolve_dissolve():
    kinds = [PARTNER, HOUSEHOLD, FAMILY, FRIEND, WORK, ACQUAINTANCE]
    sc, people, ties = tiny_world([(0, k + 1) for k in range(6)], 7, kind=kinds,
                                  **{"ties.friend.dissolution_per_year": 1e6, "ties.work.dissolution_per_year": 1e6})
    assert dissolve_ties(people, ties, sc.ties, np.random.default_rng(0)) == 2
    left = ties.active_ids()
    assert sorted(ties.kind[left].tolist()) == [PARTNER, HOUSEHOLD, FAMILY, ACQUAINTANCE]


def test_habit_grows_with_practice_and_fades_without():
    sc, people, _ = tiny_world([(0, 1)], 2)
    update_habit(people, sc.habits, np.array([6.0, 0.0]), np.array([1.0, 0.0]))
    assert people.habit[0] > 0.3 > people.habit[1]


# ---------------------------------------------------------------- loneliness (dynamics/loneliness.py)
def test_loneliness_target_weighs_the_gaps_in_amount_and_closeness():
    sc, people, _ = tiny_world([(0, 1)], 4, **{"loneliness.emotional_weight": 0.6, "loneliness.intimacy_share": 0.5})
    people.desired[:] = 4.0
    people.perceived[:] = [4.0, 2.0, 4.0, 0.0]
    people.perceived_close[:] = [2.0, 2.0, 1.0, 0.0]  # the close need is 0.5 x 4 = 2 a day
    assert loneliness_target(people, sc) == pytest.approx([0.0, 0.4 * 0.5, 0.6 * 0.5, 1.0])


def test_negative_mood_raises_the_target_in_proportion_to_vigilance():
    sc, people, _ = tiny_world([(0, 1)], 3)
    people.desired[:] = 2.0
    people.perceived[:] = 2.0
    people.perceived_close[:] = 2.0
    people.mood[:] = [-0.5, -0.5, 0.5]
    people.vigilance[:] = [0.2, 0.6, 0.6]
    assert loneliness_target(people, sc) == pytest.approx([0.1, 0.3, 0.0])


def test_reported_contact_moves_toward_todays_meetings_by_kind():
    sc, people, _ = tiny_world([(0, 1)], 2, **{"survey.isolation_index.contact_window_days": 1.0})
    people.contact_family[:] = 0
    people.contact_friend[:] = 0
    ones, zeros = np.ones(2, np.float32), np.zeros(2, np.float32)
    update_loneliness(people, sc, ones, ones, ones, np.array([2, 0], np.int32), np.array([0, 3], np.int32))
    k = 1 - np.exp(-1.0)
    assert people.contact_family == pytest.approx([2 * k, 0]) and people.contact_friend == pytest.approx([0, 3 * k])
    del zeros


# ---------------------------------------------------------------- statistical checks of configured rates
def test_measured_meeting_rate_matches_configured_rate_per_kind():
    n = 6000
    edges = ring(n, 4)
    kinds = [FAMILY if i % 2 else WORK for i in range(len(edges))]
    sc, people, ties = tiny_world(edges, n, kind=kinds, closeness=0.5,
                                  **{"ties.family.rate_per_day": 0.2, "ties.work.rate_per_day": 1.0})
    met = np.zeros(ties.m)
    days = 10
    for d in range(days):
        met += meet(people, ties, sc, 1.0, np.uint64(100 + d), KEY_B).codes[: ties.m] & MET
    for kind, rate in ((FAMILY, 0.2), (WORK, 1.0)):
        sel = ties.kind[: ties.m] == kind
        p = 1 - np.exp(-rate * 0.5)
        trials = days * sel.sum()
        assert abs(met[sel].sum() / trials - p) < 4 * np.sqrt(p * (1 - p) / trials)


def test_withdrawal_and_poor_health_lower_the_meeting_rate():
    n = 4000
    sc, people, ties = tiny_world([(i, i + 1) for i in range(0, n, 2)], n, **{
        "ties.friend.rate_per_day": 1.0, "contacts.withdrawal_per_loneliness": 0.5, "contacts.health_weight": 0.5})
    people.loneliness[: n // 2] = 1.0  # the first half of the pairs: both ends lonely
    people.health[n // 2:] = 0.0       # the second half: both ends in poor health
    met = meet(people, ties, sc, 1.0, KEY_A, KEY_B).codes[: ties.m] & MET
    half = ties.m // 2
    p = 1 - np.exp(-1.0 * 0.5 * 0.5)
    for part in (met[:half], met[half:]):
        assert abs(part.mean() - p) < 4 * np.sqrt(p * (1 - p) / half)


def test_measured_smile_return_rate_matches_configured_probability():
    n = 20000
    sc, people, ties = tiny_world([(i, i + 1) for i in range(0, n, 2)], n,
                                  **{"ties.friend.rate_per_day": 50.0, "smiles.propensity": 1.0})
    m = meet(people, ties, sc, 1.0, KEY_A, KEY_B)
    rate = m.smiles_returned / m.smiles_first
    assert m.smiles_first == n and abs(rate - 0.55) < 4 * np.sqrt(0.55 * 0.45 / n) and rate > 0.5  # "more than half"


def test_measured_pay_forward_rate_matches_configured_probability():
    n = 20000
    sc, people, ties = tiny_world(ring(n), n, **{"kindness.rate_per_day": 0.5, "kindness.stranger_fraction": 0.0})
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
                  "kindness.new_tie_probability": 0.3, "ties.friend.dissolution_per_year": 5.0,
                  "shocks": [{"start_day": 5, "duration_days": 10, "tie_removal_fraction": 0.4}]})
    sim = Simulation(sc)
    for _ in range(40):
        sim.step()
        assert np.array_equal(sim.people.degree, sim.ties.degrees())
    assert (~sim.people.alive).any()


def test_daily_ledger_uses_the_life_table_hazard_to_within_a_tenth_of_a_percent():
    from sim.mortality import RiskLedger, assess_day
    from sim.simulation import Simulation
    sc = Scenario().with_overrides({"population.size": 5000, "mortality.hr_isolation": 1.5,
                                    "mortality.hr_loneliness": 1.2})
    people = Simulation(sc, burn_in=False).people
    people.isolated[:] = np.arange(5000) % 3 == 0
    people.lonely[:] = np.arange(5000) % 2 == 0
    hazard = assess_day(people, sc.mortality, RiskLedger(), need_hazard=True)
    exact = baseline_hazard(people.age, people.sex, sc.mortality) * people.relative_hazard
    assert np.allclose(hazard, exact, rtol=1e-3)
    assert people.relative_hazard[0] == pytest.approx(1.8) and people.relative_hazard[1] == pytest.approx(1.0)


def test_tie_lookup_finds_ties_added_since_the_rebuild_and_after_it():
    n = 1000
    sc, people, ties = tiny_world(ring(n), n)
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
        assert set(ties.slots_of(np.array([a_all[0]])).tolist()) >= set(ties.lookup(a_all[:1], b_all[:1]).tolist()) - {-1}
    ties.rebuild_index()
    slots = ties.lookup(a_all[ok], b_all[ok])
    assert (slots >= 0).all() and np.array_equal(ties.u[slots], lo) and np.array_equal(ties.v[slots], hi)
    assert (np.diff(ties.u[: ties.m].astype(np.int64) * n + ties.v[: ties.m]) > 0).all()  # sorted again
    # the one-pass CSR of the sorted table is the general builder's CSR
    from sim.fastgraph import csr_from_edges
    general = csr_from_edges(n, ties.u[: ties.m], ties.v[: ties.m])
    assert all(np.array_equal(x, y) for x, y in zip((ties.indptr, ties.nbr, ties.eid), general))
    # slots_of: every tie of a person, indexed or not
    mine = ties.slots_of(np.array([5]))
    assert set(mine.tolist()) == set(np.flatnonzero((ties.u[: ties.m] == 5) | (ties.v[: ties.m] == 5)).tolist())
