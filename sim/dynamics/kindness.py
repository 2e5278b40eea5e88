"""Step 3 — kind acts: rarer and larger than smiles; both sides gain; receivers may pay it forward.

Kind acts by person i today ~ Poisson(rate_i) + (1 if i received one yesterday and pays it forward),
with rate_i = rate_per_day x exp(mood_weight x mood_i + habit_weight x (habit_i - 0.3)
              - loneliness_weight x loneliness_i) + programme extras (per day).
Each act goes to a random tie (bringing the two closer by ``closeness_gain``) or, with probability
``stranger_fraction``, to a random living stranger, which starts a new acquaintance tie with
probability ``new_tie_probability``. A receiver pays it forward the next day with probability
``pay_forward_probability`` (Pressman, Kraft & Cross 2015: about 40% of receivers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._core import ACQUAINTANCE, TIE_ACTIVE, decay_factor, jit, pjit
from sim.config import KindnessConfig, TiesConfig
from sim.dynamics.smiles import HABIT_REFERENCE
from sim.state import People
from sim.streams import key_of, phase_key, uniform
from sim.ties import Ties

_NO_EXTRA = np.zeros(0, np.float32)
MAX_ACTS_PER_DAY = 255  # per person; Poisson draws are capped here (rates are far below 1 per day)
# Sub-streams of the kind-act key: counts per person, then the acts' targets, then paying forward.
_COUNTS, _TARGETS, _FORWARD = 0, 1, 2


@dataclass
class KindActs:
    """Today's kind acts: given and received per person, the total done, and the ties they started."""
    given: np.ndarray     # kind acts given per person today
    received: np.ndarray  # kind acts received per person today
    total: int
    new_ties: int


@jit
def _rate(i, rate, w_mood, mood, w_habit, habit, habit_ref, w_lonely, loneliness, alive, extra):
    """Expected kind acts of person i per day (0 for the dead), programme extras included."""
    if not alive[i]:
        return 0.0
    # single-precision exponential: twice as fast, and a rate needs no more than float32's 7 digits
    r = rate * math.exp(np.float32(w_mood * mood[i] + w_habit * (habit[i] - habit_ref) - w_lonely * loneliness[i]))
    return r + extra[i] if extra.size else r


@pjit
def _act_counts(key, rate, w_mood, mood, w_habit, habit, habit_ref, w_lonely, loneliness, alive, extra, pay_forward):
    """Kind acts per person today: Poisson(rate_i) by inversion of uniform i, plus one if paying forward."""
    n = mood.size
    counts = np.zeros(n, np.int32)
    for i in numba.prange(n):
        lam = _rate(i, rate, w_mood, mood, w_habit, habit, habit_ref, w_lonely, loneliness, alive, extra)
        k = 0
        x = uniform(key, i)
        if x >= 1.0 - lam:  # else no act: P(0) = exp(-lam) >= 1 - lam (skips the exponential ~90% of the time)
            term = math.exp(-lam)
            cdf = term
            while x >= cdf and k < MAX_ACTS_PER_DAY:
                k += 1
                term *= lam / k
                cdf += term
        counts[i] = k + (1 if pay_forward[i] and alive[i] else 0)
    return counts


def expected_acts(people: People, cfg: KindnessConfig) -> np.ndarray:
    """Per person: expected kind acts per day from their own rate (no programme, no paying forward)."""
    return _expected(cfg.rate_per_day, cfg.mood_weight, people.mood, cfg.habit_weight, people.habit, HABIT_REFERENCE,
                     cfg.loneliness_weight, people.loneliness, people.alive)


@pjit
def _expected(rate, w_mood, mood, w_habit, habit, habit_ref, w_lonely, loneliness, alive):
    out = np.empty(mood.size, np.float32)
    for i in numba.prange(mood.size):
        out[i] = _rate(i, rate, w_mood, mood, w_habit, habit, habit_ref, w_lonely, loneliness, alive, _NO_EXTRA)
    return out


def do_kind_acts(people: People, ties: Ties, cfg: KindnessConfig, ties_cfg: TiesConfig,
                 rng: np.random.Generator | int, extra: np.ndarray | None = None) -> KindActs:
    """Today's kind acts; ``rng`` is a numpy Generator or the stream key (:mod:`sim.streams`)."""
    key = key_of(rng)
    counts = _act_counts(phase_key(key, 0, _COUNTS), cfg.rate_per_day, cfg.mood_weight, people.mood,
                         cfg.habit_weight, people.habit, HABIT_REFERENCE, cfg.loneliness_weight, people.loneliness,
                         people.alive, _NO_EXTRA if extra is None else np.asarray(extra, np.float32),
                         people.pay_forward)
    offsets = _offsets(counts)
    givers, receiver, tie, befriend = _choose_targets(
        phase_key(key, 0, _TARGETS), counts, offsets, cfg.stranger_fraction, cfg.new_tie_probability,
        ties.indptr, ties.nbr, ties.eid, ties.status, people.alive)
    given, received, done = _apply(givers, receiver, tie, ties.closeness, cfg.closeness_gain, people.n)
    new_ties = (ties.add(givers[befriend], receiver[befriend], ties_cfg.new_tie_closeness, ACQUAINTANCE)
                if befriend.any() else 0)
    _choose_pay_forward(phase_key(key, 0, _FORWARD), received, cfg.pay_forward_probability, people.pay_forward)
    return KindActs(given, received, int(done), new_ties)


@jit
def _offsets(counts):
    """offsets[g] = acts of givers before g (offsets[n] = all acts): where giver g's acts go."""
    out = np.empty(counts.size + 1, np.int64)
    total = 0
    for g in range(counts.size):
        out[g] = total
        total += counts[g]
    out[counts.size] = total
    return out


@pjit
def _choose_targets(key, counts, offsets, stranger_fraction, new_tie_probability, indptr, nbr, eid, status, alive):
    """Giver, receiver (-1: none), tie used (-1: a stranger) and 'starts a tie' of every act, in giver order.

    Act r of giver g uses counters 4(256g + r) + (0, 1, 2): stranger or tie, which tie (or which
    stranger), new tie - numbers of the giver's own, whatever others do. An act along a tie that
    is gone or suspended is not done today.
    """
    n = counts.size
    total = offsets[n]
    givers = np.empty(total, np.int32)
    receiver = np.full(total, -1, np.int32)
    tie = np.full(total, -1, np.int32)
    befriend = np.zeros(total, np.bool_)
    for g in numba.prange(n):
        for r in range(counts[g]):
            j = offsets[g] + r
            givers[j] = g
            c = 4 * (256 * np.int64(g) + r)
            if uniform(key, c) < stranger_fraction:
                s = min(int(uniform(key, c + 1) * n), n - 1)
                if s != g and alive[s]:
                    receiver[j] = s
                    befriend[j] = uniform(key, c + 2) < new_tie_probability
            else:
                deg = indptr[g + 1] - indptr[g]
                if deg > 0:
                    slot = indptr[g] + min(int(uniform(key, c + 1) * deg), deg - 1)
                    if status[eid[slot]] == TIE_ACTIVE:
                        receiver[j] = nbr[slot]
                        tie[j] = eid[slot]
    return givers, receiver, tie, befriend


@jit
def _apply(givers, receiver, tie, closeness, gain, n):
    """Acts given and received per person, and the closeness the ties used gain (in act order)."""
    given = np.zeros(n, np.int32)
    received = np.zeros(n, np.int32)
    done = 0
    for j in range(givers.size):
        r = receiver[j]
        if r < 0:
            continue
        given[givers[j]] += 1
        received[r] += 1
        done += 1
        e = tie[j]
        if e >= 0:
            closeness[e] = min(closeness[e] + gain, 1.0)
    return given, received, done


@pjit
def _choose_pay_forward(key, received, probability, pay_forward):
    """Tomorrow's pay-it-forward: each receiver once, with the configured probability (uniform i)."""
    for i in numba.prange(received.size):
        pay_forward[i] = received[i] > 0 and uniform(key, i) < probability


# ---------------------------------------------------------------- expected form (the settled start)
def expected_acts_received(ties: Ties, acts: np.ndarray, degree: np.ndarray, cfg: KindnessConfig) -> np.ndarray:
    """Per person: expected kind acts received per day along ties when each person gives ``acts`` a day, each to
    one of their ties at random (the share ``1 - stranger_fraction`` that goes along ties)."""
    return _acts_received(ties.indptr, ties.nbr, ties.status, ties.eid, acts, degree, 1.0 - cfg.stranger_fraction)


def hold_closeness(ties: Ties, acts: np.ndarray, degree: np.ndarray, cfg: KindnessConfig, ties_cfg: TiesConfig) -> None:
    """Set each active tie's closeness where the kind acts along it (``acts`` per day from each end) balance its
    relaxation to its base (in place): c* = base + gain x acts along the tie per day / (1 − e^{−1/closeness_days}).
    Closeness fades in the meeting kernel (:func:`sim.dynamics.meetings.meet`); kind acts lift it in
    :func:`do_kind_acts`."""
    relax = decay_factor(ties_cfg.closeness_days)
    _held(ties.u, ties.v, ties.status, ties.base, ties.closeness, acts, degree,
          np.float32((1.0 - cfg.stranger_fraction) * cfg.closeness_gain / relax))


@pjit
def _held(u, v, status, base, closeness, acts, degree, scale):
    """Each active tie's closeness where kind acts along it balance its relaxation to ``base``:
    base + scale x (acts of each end per day / that end's ties), at most 1 (in place)."""
    for e in numba.prange(u.size):
        if status[e] != TIE_ACTIVE:
            continue
        a, b = u[e], v[e]
        along = acts[a] / max(degree[a], 1) + acts[b] / max(degree[b], 1)
        closeness[e] = min(base[e] + scale * along, np.float32(1.0))


@pjit
def _acts_received(indptr, nbr, status, eid, acts, degree, along_ties):
    """Per person: expected kind acts received per day along ties (each giver picks one of their ties at random)."""
    n = acts.size
    out = np.zeros(n, np.float32)
    for i in numba.prange(n):
        r = 0.0
        for s in range(indptr[i], indptr[i + 1]):
            if status[eid[s]] != TIE_ACTIVE:
                continue
            j = nbr[s]
            if degree[j] > 0:
                r += acts[j] * along_ties / degree[j]
        out[i] = r
    return out
