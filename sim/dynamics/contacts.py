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
from sim.dynamics import per_day_probability, tally
from sim.population import People, Ties


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
    """Bernoulli draw per active tie; ``multiplier`` is today's shock multiplier (1 outside shocks)."""
    ids = ties.active_ids()
    a, b = ties.u[ids], ties.v[ids]
    w = withdrawal_factor(people, cfg)
    rate = (cfg.rate_per_tie_per_day * cfg.frequency_multiplier * multiplier) * ties.strength[ids] * w[a] * w[b]
    meet = rng.random(ids.size, dtype=np.float32) < per_day_probability(rate)
    ids, a, b = ids[meet], a[meet], b[meet]
    per_person = tally(a, people.n) + tally(b, people.n)
    return Contacts(ids, a, b, per_person)
