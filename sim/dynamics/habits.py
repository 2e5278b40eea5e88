"""Step 5b — habit strength: 'connection is like a muscle'.

habit ← habit + gain_per_act x (smiles given + kind_act_weight x kind acts given) x (1 - habit)
              - habit x (1 - exp(-1/fade_days))
It grows with practice (saturating at 1) and fades without it, with an e-folding time of 66 days by
default (Lally et al. 2010: median 66 days to automaticity).

Expected form (:func:`steady_habit`): with a daily practice a = smiles + kind_act_weight x acts given,
h* = γa / (γa + φ), γ = gain_per_act, φ = 1 − exp(−1/fade_days); the settled start uses it.
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import decay_factor, pjit
from sim.config import HabitsConfig
from sim.state import People


def update_habit(people: People, cfg: HabitsConfig, smiles_given: np.ndarray, kind_given: np.ndarray) -> None:
    """Grow each living person's habit with today's smiles and kind acts given, and let it fade (per day)."""
    _practice(people.habit, smiles_given, kind_given, people.alive, cfg.gain_per_act, cfg.kind_act_weight,
              decay_factor(cfg.fade_days))


@pjit
def _practice(habit, smiles_given, kind_given, alive, gain, kind_weight, fade):
    for i in numba.prange(habit.size):
        if alive[i]:
            h = habit[i]
            h = h + gain * (smiles_given[i] + kind_weight * kind_given[i]) * (1.0 - h) - h * fade
            habit[i] = min(max(h, 0.0), 1.0)


def steady_habit(smiles_given: np.ndarray, kind_given: np.ndarray, cfg: HabitsConfig) -> np.ndarray:
    """The fixed point of the daily equation at constant daily ``smiles_given`` and ``kind_given``."""
    practice = cfg.gain_per_act * (smiles_given + cfg.kind_act_weight * kind_given)
    return practice / (practice + decay_factor(cfg.fade_days))
