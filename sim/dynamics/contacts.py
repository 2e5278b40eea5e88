"""Step 1 — contacts: which ties meet today.

A tie of strength w between i and j meets with probability 1 - exp(-r), where
r = rate_per_tie_per_day (per day) x w x frequency_multiplier x shock multiplier
    x (1 - withdrawal x loneliness_i) x (1 - withdrawal x loneliness_j).
The last two factors are the withdrawal loop (Hawkley & Cacioppo 2010): lonely people meet less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._core import CONTENT, DISCONTENT, TIE_ACTIVE, jit, pjit
from sim.config import ContactsConfig
from sim.state import People
from sim.streams import key_of, uniform
from sim.ties import Ties


@dataclass
class Contacts:
    """Today's meetings: tie ids and their two ends, plus meetings per person."""

    tie_ids: np.ndarray   # int32 ids into the tie table, increasing
    a: np.ndarray         # int32 one end
    b: np.ndarray         # int32 other end
    per_person: np.ndarray  # int meetings per person today
    # meetings per person with a content / discontent person (states as of this morning; only step 4
    # changes them); None when built by hand, and then computed by the contagion step
    met_content: np.ndarray | None = None
    met_discontent: np.ndarray | None = None

    @property
    def count(self) -> int:
        """Number of meetings today."""
        return int(self.tie_ids.size)


def draw_contacts(people: People, ties: Ties, cfg: ContactsConfig, multiplier: float,
                  rng: np.random.Generator | int) -> Contacts:
    """Which ties meet today; ``multiplier`` is today's shock multiplier (1 outside shocks).

    One uniform per tie, number ``e`` of today's contact stream for tie ``e`` (so a tie's meeting
    is decided by the same number in every scenario run with the same seed); ``rng`` is a numpy
    Generator or the stream key (:mod:`sim.streams`).
    """
    base = cfg.rate_per_tie_per_day * cfg.frequency_multiplier * multiplier
    key = key_of(rng)
    met = _meet(key, ties.m, base, ties.status, ties.u, ties.v, ties.strength,
                cfg.withdrawal_per_loneliness, people.loneliness)
    ids, a, b, per_person, met_content, met_discontent = _collect(
        met, key, base, ties.u, ties.v, ties.strength, cfg.withdrawal_per_loneliness, people.loneliness,
        people.emotion)
    return Contacts(ids, a, b, per_person, met_content, met_discontent)


@jit
def _tie_rate(e, base, strength, u, v, withdrawal, loneliness):
    """Today's meeting rate of tie e, per day: base x strength x the two ends' withdrawal factors."""
    return (base * strength[e] * (1.0 - withdrawal * loneliness[u[e]])
            * (1.0 - withdrawal * loneliness[v[e]]))


@jit
def tally_by_state(a, b, emotion):
    """Per person: meetings, and meetings with a content and with a discontent person (the other's state)."""
    n = emotion.size
    per_person = np.zeros(n, np.int32)
    met_content = np.zeros(n, np.int32)
    met_discontent = np.zeros(n, np.int32)
    for j in range(a.size):  # serial: measured no faster with per-thread count tables
        i, k = a[j], b[j]
        ei, ek = emotion[i], emotion[k]
        per_person[i] += 1
        per_person[k] += 1
        met_content[i] += ek == CONTENT
        met_discontent[i] += ek == DISCONTENT
        met_content[k] += ei == CONTENT
        met_discontent[k] += ei == DISCONTENT
    return per_person, met_content, met_discontent


@pjit
def _meet(key, m, base, status, u, v, strength, withdrawal, loneliness):
    """Code per tie: 2 when active tie e surely meets today, 1 when it may, 0 when it does not.

    Tie e meets when its uniform x (number e of today's stream) is below 1 - exp(-rate_e). Since
    r - r^2/2 <= 1 - exp(-r) <= r - r^2/2 + r^3/6 (r >= 0), x below the lower bound is a meeting and
    x at or above the upper bound is not; only the ~0.1% in between need the exponential, which
    :func:`_collect` takes. This loop has no branch on a random number: such branches are
    mispredicted, and stall the far-away loads of rewired ties' other ends (measured: 4x slower).
    """
    met = np.empty(m, np.uint8)
    for e in numba.prange(m):
        x = uniform(key, e)
        rate = _tie_rate(e, base, strength, u, v, withdrawal, loneliness)
        lower = rate - 0.5 * rate * rate
        sure = x < lower
        maybe = x < lower + rate * rate * rate / 6.0
        met[e] = (sure + maybe) * (status[e] == TIE_ACTIVE)  # 2: sure, 1: between the bounds
    return met


CHUNKS = 256  # fixed, so the work split (and the result) does not depend on the number of threads


@pjit
def _collect(met, key, base, u, v, strength, withdrawal, loneliness, emotion):
    """Today's meetings in tie order (ids, ends) and, per person, meetings and meetings with content and
    with discontent people; settles the 'maybe' ties exactly."""
    m = met.size
    size = (m + CHUNKS - 1) // CHUNKS
    counts = np.zeros(CHUNKS + 1, np.int64)
    for c in numba.prange(CHUNKS):
        k = 0
        for e in range(c * size, min((c + 1) * size, m)):
            code = met[e]
            if code == 1:  # between the bounds: rare, so this branch is well predicted
                rate = _tie_rate(e, base, strength, u, v, withdrawal, loneliness)
                code = 2 if uniform(key, e) < -math.expm1(-rate) else 0
                met[e] = code
            k += code == 2
        counts[c + 1] = k
    offsets = np.cumsum(counts)
    ids = np.empty(offsets[-1], np.int32)
    a_out = np.empty(offsets[-1], np.int32)
    b_out = np.empty(offsets[-1], np.int32)
    for c in numba.prange(CHUNKS):
        k, end = offsets[c], offsets[c + 1]
        for e in range(c * size, min((c + 1) * size, m)):
            if k == end:
                break
            ids[k], a_out[k], b_out[k] = e, u[e], v[e]  # written always, kept when met: no branch on chance
            k += met[e] == 2
    per_person, met_content, met_discontent = tally_by_state(a_out, b_out, emotion)
    return ids, a_out, b_out, per_person, met_content, met_discontent
