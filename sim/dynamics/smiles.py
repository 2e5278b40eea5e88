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

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._core import jit, logit, pjit
from sim.config import SmilesConfig
from sim.dynamics.contacts import Contacts
from sim.state import People
from sim.streams import key_of, uniform

HABIT_REFERENCE = 0.3  # habit level at which habit_weight adds nothing (the default initial mean)
_NO_BOOST = np.zeros(0, np.float32)


@dataclass
class Smiles:
    """Today's smiles: given and received per person, and the totals started and returned."""
    given: np.ndarray      # smiles given per person today (first smiles and returns)
    received: np.ndarray   # smiles received per person today
    first: int             # smiles started today
    returned: int          # smiles returned today

    @property
    def total(self) -> int:
        """Smiles today, started and returned."""
        return self.first + self.returned


def smile_probabilities(people: People, cfg: SmilesConfig, log_odds_boost: np.ndarray | None = None) -> np.ndarray:
    """Per person (rows): probability of smiling at the other on a meeting (per contact) and of
    returning a smile received (per smile), side by side so one memory access fetches both."""
    f32 = np.float32  # single precision throughout: the probabilities are stored as float32
    return _smile_odds(f32(logit(cfg.propensity)), f32(cfg.mood_weight), f32(cfg.habit_weight), f32(HABIT_REFERENCE),
                       f32(cfg.loneliness_weight), f32(logit(cfg.return_probability)), f32(cfg.return_mood_weight),
                       people.mood, people.habit, people.loneliness,
                       _NO_BOOST if log_odds_boost is None else np.asarray(log_odds_boost, np.float32))


def smile_probability(people: People, cfg: SmilesConfig, log_odds_boost: np.ndarray | None = None) -> np.ndarray:
    """Per person: probability of smiling at the other on a meeting (per contact)."""
    return smile_probabilities(people, cfg, log_odds_boost)[:, 0]


def return_probability(people: People, cfg: SmilesConfig) -> np.ndarray:
    """Per person: probability of returning a smile received (per smile)."""
    return smile_probabilities(people, cfg)[:, 1]


@jit
def _sigmoid(x):
    """Logistic function of a float32, in single precision (expf is twice as fast as exp here)."""
    return np.float32(1.0) / (np.float32(1.0) + math.exp(-min(max(x, np.float32(-60.0)), np.float32(60.0))))


@pjit
def _smile_odds(smile_intercept, w_mood, w_habit, habit_ref, w_lonely, return_intercept, w_return_mood,
                mood, habit, loneliness, boost):
    n = mood.size
    out = np.empty((n, 2), np.float32)
    for i in numba.prange(n):
        x = smile_intercept + w_mood * mood[i] + w_habit * (habit[i] - habit_ref) - w_lonely * loneliness[i]
        if boost.size:
            x += boost[i]
        out[i, 0] = _sigmoid(x)
        out[i, 1] = _sigmoid(return_intercept + w_return_mood * mood[i])
    return out


def exchange_smiles(people: People, contacts: Contacts, cfg: SmilesConfig, rng: np.random.Generator | int,
                    log_odds_boost: np.ndarray | None = None) -> Smiles:
    """Smiles on today's meetings; ``rng`` is a numpy Generator or the stream key."""
    prob = smile_probabilities(people, cfg, log_odds_boost)
    given, received, first, returned = _smile_exchange(key_of(rng), contacts.tie_ids, contacts.a, contacts.b,
                                                       prob, people.n, numba.get_num_threads())
    return Smiles(given, received, int(first), int(returned))


@pjit
def _smile_exchange(key, tie_ids, a, b, prob, n, chunks):
    """Four numbers per meeting, counters 4e..4e+3 of tie e: a smiles at b, b returns it, b smiles at a,
    a returns it. Branch-free: outcomes are 0/1 integers added to one count array per chunk of
    meetings (one chunk per thread), summed at the end; integer sums, so any split gives the same counts."""
    given_t = np.zeros((chunks, n), np.int32)
    received_t = np.zeros((chunks, n), np.int32)
    first_c = np.zeros(chunks, np.int64)
    returned_c = np.zeros(chunks, np.int64)
    size = (a.size + chunks - 1) // chunks
    for chunk in numba.prange(chunks):
        given, received = given_t[chunk], received_t[chunk]
        first = returned = 0
        for j in range(chunk * size, min((chunk + 1) * size, a.size)):
            c = 4 * np.int64(tie_ids[j])
            i, k = a[j], b[j]
            s_ik = np.int32(uniform(key, c) < prob[i, 0])
            r_ki = s_ik & np.int32(uniform(key, c + 1) < prob[k, 1])
            s_ki = np.int32(uniform(key, c + 2) < prob[k, 0])
            r_ik = s_ki & np.int32(uniform(key, c + 3) < prob[i, 1])
            given[i] += s_ik + r_ik
            received[i] += s_ki + r_ki
            given[k] += s_ki + r_ki
            received[k] += s_ik + r_ik
            first += s_ik + s_ki
            returned += r_ki + r_ik
        first_c[chunk] = first
        returned_c[chunk] = returned
    given = np.empty(n, np.int32)
    received = np.empty(n, np.int32)
    for i in numba.prange(n):
        g = r = 0
        for t in range(chunks):
            g += given_t[t, i]
            r += received_t[t, i]
        given[i], received[i] = g, r
    return given, received, first_c.sum(), returned_c.sum()
