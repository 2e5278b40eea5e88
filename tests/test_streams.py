"""Counter-based random streams: their statistics, thread-count independence and common random numbers."""

import numpy as np
import pytest
from scipy import stats

from sim import streams
from sim._core import set_threads
from sim.config import Scenario
from sim.dynamics.kindness import do_kind_acts
from sim.dynamics.meetings import meet
from sim.simulation import Simulation
from tests.conftest import ring, tiny_world


def test_uniforms_are_uniform_and_uncorrelated():
    x = streams.uniforms(streams.phase_key(np.uint64(12345), 7, streams.CONTACTS), 0, 1_000_000)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert stats.kstest(x, "uniform").pvalue > 1e-3
    assert abs(x.mean() - 0.5) < 4 * np.sqrt(1 / 12 / x.size)
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 4 / np.sqrt(x.size)  # neighbouring counters
    # neighbouring keys (next day, next phase) are unrelated streams
    y = streams.uniforms(streams.phase_key(np.uint64(12345), 8, streams.CONTACTS), 0, 1_000_000)
    z = streams.uniforms(streams.phase_key(np.uint64(12345), 7, streams.SMILES), 0, 1_000_000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(x.size)
    assert abs(np.corrcoef(x, z)[0, 1]) < 4 / np.sqrt(x.size)
    # a number is a pure function of (key, counter)
    k = streams.phase_key(np.uint64(1), 2, 3)
    assert streams.uniform(k, 999) == streams.uniforms(k, 990, 20)[9]


def _splitmix64_reference(seed: int, count: int) -> list[int]:
    """Vigna's splitmix64.c next(), in Python integers."""
    out, state, mask = [], seed, (1 << 64) - 1
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def test_stream_is_splitmix64():
    """Number k of stream K is the k-th output of SplitMix64 seeded with K (top 53 bits / 2^53)."""
    for key in (0, 1234567, 2**64 - 3):
        ref = _splitmix64_reference(key, 5)
        got = streams.uniforms(np.uint64(key), 0, 5)
        assert list(got) == [(z >> 11) / 2.0**53 for z in ref]


def _run(threads: int):
    set_threads(threads)
    try:
        sc = Scenario().with_overrides({"population.size": 3000, "days": 40, "burn_in_days": 10})
        sim = Simulation(sc).run()
        return sim.timeseries(), sim.agents_frame()
    finally:
        set_threads(None)


def test_same_bits_with_one_or_two_threads():
    ts1, agents1 = _run(1)
    ts2, agents2 = _run(2)
    assert ts1.equals(ts2)
    assert agents1.equals(agents2)


def test_normal_deviates_are_standard_normal():
    key = streams.phase_key(np.uint64(7), 1, streams.SURVEY)
    z = np.array([streams.normal(key, k) for k in range(200_000)])
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_a_ties_meeting_depends_only_on_its_own_number():
    """Common random numbers: making some ties less close changes no other tie's meeting on the same day."""
    n = 20000
    sc, people, ties = tiny_world(ring(n, 2), n, **{"ties.friend.rate_per_day": 0.6})
    kc, ks = streams.phase_key(np.uint64(99), 0, streams.CONTACTS), streams.phase_key(np.uint64(99), 0, streams.SMILES)
    before = meet(people, ties, sc, 1.0, kc, ks).met()
    weakened = np.arange(0, ties.m, 3)
    ties.closeness[weakened] = ties.base[weakened] = 0.2
    after = meet(people, ties, sc, 1.0, kc, ks).met()
    untouched = np.setdiff1d(np.arange(ties.m), weakened)
    assert np.array_equal(np.intersect1d(before, untouched), np.intersect1d(after, untouched))
    # and the weakened ties meet only on days (numbers) on which they met at full closeness
    assert np.isin(np.intersect1d(after, weakened), before).all()
    assert np.intersect1d(after, weakened).size < 0.5 * np.intersect1d(before, weakened).size


@pytest.mark.parametrize("rate", [0.1, 2.5])
def test_kind_acts_per_person_are_poisson_at_the_configured_rate(rate):
    n = 50000
    sc, people, ties = tiny_world(ring(n, 2), n, **{
        "kindness.rate_per_day": rate, "kindness.mood_weight": 0.0, "kindness.habit_weight": 0.0,
        "kindness.loneliness_weight": 0.0, "kindness.stranger_fraction": 0.0})  # every act goes along an active tie
    people.pay_forward[:] = False
    k = do_kind_acts(people, ties, sc.kindness, sc.ties, np.random.default_rng(8))
    assert abs(k.total / n - rate) < 4 * np.sqrt(rate / n)
    observed = np.bincount(k.given, minlength=8)[:8]
    expected = stats.poisson.pmf(np.arange(8), rate) * n
    keep = expected > 20
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


def test_meetings_by_state_counted_per_person_match_a_recount_from_the_ties():
    n = 5000
    sc, people, ties = tiny_world(ring(n, 4), n)
    people.emotion[:] = np.random.default_rng(1).integers(0, 3, n)
    ties.add(np.arange(0, 200, 2, dtype=np.int32), np.arange(1000, 1200, 2, dtype=np.int32), 1.0)  # not yet indexed
    m = meet(people, ties, sc, 1.0, np.uint64(2), np.uint64(3))
    met = m.met()
    a, b = ties.u[met], ties.v[met]
    me = np.concatenate([a, b])
    other = np.concatenate([people.emotion[b], people.emotion[a]])  # the other end's state, both sides
    assert m.count == met.size > 1000 and np.array_equal(m.per_person, np.bincount(me, minlength=n))
    assert np.array_equal(m.met_content, np.bincount(me[other == 1], minlength=n))
    assert np.array_equal(m.met_discontent, np.bincount(me[other == 2], minlength=n))
    assert met.max() >= ties.indexed  # the appended ties took part
