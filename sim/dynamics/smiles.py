"""Step 2 — smiles: the odds that a person smiles on a meeting and returns a smile.

Probability that i smiles at j on a meeting (per contact):
    logit p = logit(propensity) + mood_weight x mood_i + habit_weight x (habit_i - 0.3)
              - loneliness_weight x loneliness_i + log(campaign odds multiplier_i)
so smiling rises with mood and habit and falls with loneliness (the withdrawal loop).
Probability that j returns it: logit r = logit(return_probability) + return_mood_weight x mood_j;
``return_probability`` = 0.55 makes 'more than half' of smiles returned at mood 0 (Hinsz & Tomhave 1991).
The smiles themselves are decided on each meeting by :mod:`sim.dynamics.meetings`; giver and
receiver both gain mood (applied with diminishing returns in :mod:`sim.dynamics.mood`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim._core import jit, logit, pjit
from sim.config import SmilesConfig
from sim.state import People

HABIT_REFERENCE = 0.3  # habit level at which habit_weight adds nothing (the default initial mean)
_NO_BOOST = np.zeros(0, np.float32)


def smile_probabilities(people: People, cfg: SmilesConfig, log_odds_boost: np.ndarray | None = None) -> np.ndarray:
    """Per person (rows): probability of smiling at the other on a meeting (per contact) and of
    returning a smile received (per smile), side by side so one memory access fetches both."""
    f32 = np.float32  # single precision throughout: the probabilities are stored as float32
    return _smile_odds(f32(logit(cfg.propensity)), f32(cfg.mood_weight), f32(cfg.habit_weight), f32(HABIT_REFERENCE),
                       f32(cfg.loneliness_weight), f32(logit(cfg.return_probability)), f32(cfg.return_mood_weight),
                       people.mood, people.habit, people.loneliness,
                       _NO_BOOST if log_odds_boost is None else np.asarray(log_odds_boost, np.float32))


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
