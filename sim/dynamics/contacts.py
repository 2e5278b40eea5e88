"""Step 1 — contacts: which ties meet today.

A tie of strength w between i and j meets with probability 1 - exp(-r), where
r = rate_per_tie_per_day (per day) x w x frequency_multiplier x shock multiplier
    x (1 - withdrawal x loneliness_i) x (1 - withdrawal x loneliness_j).
The last two factors are the withdrawal loop (Hawkley & Cacioppo 2010): lonely people meet less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import ContactsConfig
from sim.dynamics import bernoulli_indices, per_day_probability
from sim.dynamics._jit import jit
from sim.population import TIE_ACTIVE, People, Ties


@dataclass
class Contacts:
    """Today's meetings: tie ids and their two ends, plus meetings per person."""

    tie_ids: np.ndarray   # int32 ids into the tie table
    a: np.ndarray         # int32 one end
    b: np.ndarray         # int32 other end
    per_person: np.ndarray  # int meetings per person today

    @property
    def count(self) -> int:
        return int(self.tie_ids.size)


def withdrawal_factor(people: People, cfg: ContactsConfig) -> np.ndarray:
    """Per-person multiplier on contact rates, 1 at loneliness 0 down to 1 - withdrawal at 1."""
    return (1.0 - cfg.withdrawal_per_loneliness * people.loneliness).astype(np.float32)


def draw_contacts(people: People, ties: Ties, cfg: ContactsConfig, multiplier: float, rng: np.random.Generator) -> Contacts:
    """Which ties meet today; ``multiplier`` is today's shock multiplier (1 outside shocks).

    Exact Bernoulli per active tie, drawn in O(meetings): candidate slots are drawn at the largest
    possible probability (strength and withdrawal factors are at most 1) and thinned to each tie's own.
    """
    base = cfg.rate_per_tie_per_day * cfg.frequency_multiplier * multiplier
    p_max = float(per_day_probability(base))
    cand = bernoulli_indices(ties.m, p_max, rng)
    # Accept a candidate when u * p_max < 1 - exp(-rate), i.e. rate > -log(1 - u * p_max): the
    # logarithm is taken once, vectorised, instead of an exponential per candidate in the loop.
    threshold = -np.log1p(-rng.random(cand.size) * p_max)
    ids, a, b, per_person = _thin_meetings(cand, threshold, ties.status, ties.u, ties.v, ties.strength,
                                           withdrawal_factor(people, cfg), base, people.n)
    return Contacts(ids, a, b, per_person)


@jit
def _thin_meetings(cand, threshold, status, u, v, strength, w, base, n):
    ids = np.empty(cand.size, np.int32)
    a_out = np.empty(cand.size, np.int32)
    b_out = np.empty(cand.size, np.int32)
    per_person = np.zeros(n, np.int32)
    k = 0
    for j in range(cand.size):
        e = cand[j]
        if status[e] != TIE_ACTIVE:
            continue
        a, b = u[e], v[e]
        if base * strength[e] * w[a] * w[b] > threshold[j]:
            ids[k], a_out[k], b_out[k] = e, a, b
            per_person[a] += 1
            per_person[b] += 1
            k += 1
    return ids[:k], a_out[:k], b_out[:k], per_person
