"""Step 2 — smiles: on each meeting, each side may smile; a smile may be returned.

Probability that i smiles at j on a meeting (per contact):
    logit p = logit(propensity) + mood_weight x mood_i + habit_weight x (habit_i - 0.3)
              - loneliness_weight x loneliness_i + log(campaign odds multiplier_i)
so smiling rises with mood and habit and falls with loneliness (the withdrawal loop).
Probability that j returns it: logit r = logit(return_probability) + return_mood_weight x mood_j;
``return_probability`` = 0.55 makes 'more than half' of smiles returned at mood 0 (Hinsz & Tomhave 1991).
Giver and receiver both gain mood (applied with diminishing returns in :mod:`sim.dynamics.mood`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import SmilesConfig
from sim.dynamics import logit, sigmoid
from sim.dynamics._jit import jit
from sim.dynamics.contacts import Contacts
from sim.population import People

HABIT_REFERENCE = 0.3  # habit level at which habit_weight adds nothing (the default initial mean)


@dataclass
class Smiles:
    given: np.ndarray      # smiles given per person today (first smiles and returns)
    received: np.ndarray   # smiles received per person today
    first: int             # smiles started today
    returned: int          # smiles returned today

    @property
    def total(self) -> int:
        return self.first + self.returned


def smile_probability(people: People, cfg: SmilesConfig, log_odds_boost: np.ndarray | None = None) -> np.ndarray:
    x = (logit(cfg.propensity) + cfg.mood_weight * people.mood
         + cfg.habit_weight * (people.habit - HABIT_REFERENCE) - cfg.loneliness_weight * people.loneliness)
    if log_odds_boost is not None:
        x = x + log_odds_boost
    return sigmoid(x)


def return_probability(people: People, cfg: SmilesConfig) -> np.ndarray:
    return sigmoid(logit(cfg.return_probability) + cfg.return_mood_weight * people.mood)


def exchange_smiles(people: People, contacts: Contacts, cfg: SmilesConfig, rng: np.random.Generator,
                    log_odds_boost: np.ndarray | None = None) -> Smiles:
    p_smile = smile_probability(people, cfg, log_odds_boost)
    p_return = return_probability(people, cfg)
    # Four uniforms per meeting: a smiles at b, b returns it, b smiles at a, a returns it.
    unif = rng.random((contacts.count, 4), dtype=np.float32)
    given, received, first, returned = _smile_exchange(contacts.a, contacts.b, unif, p_smile, p_return, people.n)
    return Smiles(given, received, int(first), int(returned))


@jit
def _smile_exchange(a, b, unif, p_smile, p_return, n):
    given = np.zeros(n, np.int32)
    received = np.zeros(n, np.int32)
    first = 0
    returned = 0
    for j in range(a.size):
        for side in range(2):
            g = a[j] if side == 0 else b[j]
            r = b[j] if side == 0 else a[j]
            if unif[j, 2 * side] < p_smile[g]:
                first += 1
                given[g] += 1
                received[r] += 1
                if unif[j, 2 * side + 1] < p_return[r]:
                    returned += 1
                    given[r] += 1
                    received[g] += 1
    return given, received, first, returned
