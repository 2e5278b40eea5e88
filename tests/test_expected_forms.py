"""Each mechanism's stochastic step and its expected / steady-state form (what the settled start uses) agree:
on average for the random steps, exactly at the fixed point for the deterministic ones (issue 17, item 1)."""

import numpy as np
import pytest

from sim.dynamics.habits import steady_habit, update_habit
from sim.dynamics.health import steady_health, update_health
from sim.dynamics.kindness import do_kind_acts, expected_acts, expected_acts_received
from sim.dynamics.meetings import expected_contacts, meet
from sim.dynamics.mood import resting_mood, steady_mood, update_mood
from tests.conftest import ring, tiny_world

pytestmark = pytest.mark.model


def _town(n=3000, **overrides):
    sc, people, ties = tiny_world(ring(n, 6), n, closeness=0.6, **overrides)
    rng = np.random.default_rng(2)
    people.loneliness[:] = rng.random(n).astype(np.float32) * 0.6
    people.mood[:] = (rng.random(n).astype(np.float32) - 0.5)
    people.health[:] = 0.7 + 0.3 * rng.random(n).astype(np.float32)
    return sc, people, ties


def test_meetings_and_smiles_average_what_expected_contacts_says():
    sc, people, ties = _town(**{"ties.closeness_days": 1e9})  # closeness held fixed over the days averaged
    meetings, close, _, friends, smiles_in, smiles_out, felt = expected_contacts(people, ties, sc)
    days = 60
    got_meet = np.zeros(people.n)
    got_in = np.zeros(people.n)
    got_out = np.zeros(people.n)
    got_close = np.zeros(people.n)
    for d in range(days):
        mt = meet(people, ties, sc, 1.0, np.uint64(10 + d), np.uint64(5000 + d))
        got_meet += mt.per_person
        got_in += mt.smiles_received
        got_out += mt.smiles_given
        got_close += mt.closeness
    for got, expected in ((got_meet, meetings), (got_in, smiles_in), (got_out, smiles_out), (got_close, close)):
        assert got.sum() / days == pytest.approx(expected.sum(), rel=0.02)
    assert friends == pytest.approx(meetings)  # every tie of the ring is a friendship
    assert felt == pytest.approx(meetings)     # friends count fully in felt connection


def test_kind_acts_average_what_the_expected_form_says():
    sc, people, ties = _town(**{"kindness.rate_per_day": 0.2, "kindness.stranger_fraction": 0.0,
                                "kindness.pay_forward_probability": 0.0})
    acts = expected_acts(people, sc.kindness)
    received = expected_acts_received(ties, acts, people.degree, sc.kindness)
    days = 60
    given_sum = np.zeros(people.n)
    received_sum = np.zeros(people.n)
    for d in range(days):
        out = do_kind_acts(people, ties, sc.kindness, sc.ties, np.uint64(77 + d))
        given_sum += out.given
        received_sum += out.received
    assert given_sum.sum() / days == pytest.approx(acts.sum(), rel=0.02)
    assert received_sum.sum() / days == pytest.approx(received.sum(), rel=0.02)


def test_mood_habit_and_health_stay_at_their_fixed_points():
    sc, people, _ = _town(n=500)
    rng = np.random.default_rng(3)
    gain = (0.05 * rng.random(people.n)).astype(np.float32)
    smiles = rng.poisson(2.0, people.n).astype(np.int32)
    acts = rng.poisson(0.2, people.n).astype(np.int32)
    rest = resting_mood(people, sc.mood)
    people.mood[:] = steady_mood(rest, gain, sc.mood)
    people.habit[:] = steady_habit(smiles, acts, sc.habits)
    before_mood, before_habit = people.mood.copy(), people.habit.copy()
    update_mood(people, sc.mood, gain, rest)
    update_habit(people, sc.habits, smiles, acts)
    assert people.mood == pytest.approx(before_mood, abs=1e-5)
    assert people.habit == pytest.approx(before_habit, abs=1e-5)
    people.isolated[:] = rng.random(people.n) < 0.3
    smiles_today = (smiles + 1).astype(np.float32)
    people.health[:] = steady_health(people, sc.health, smiles_today)
    before = people.health.copy()
    update_health(people, sc.health, smiles_today)
    inside = (before > 0.01) & (before < 0.99)
    assert people.health[inside] == pytest.approx(before[inside], abs=1e-6)
