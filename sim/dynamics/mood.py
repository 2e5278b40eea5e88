"""Step 4b — mood: today's affect valence on a -1..1 scale.

mood ← mood + (resting - mood) x (1 - exp(-1/relaxation_days)) + gain x (1 - mood) / 2
The resting level depends on the emotional state (content / neutral / discontent) minus a drag
from loneliness; ``gain`` sums today's smiles and kind acts given and received and any
self-directed micro-acts. The factor (1 - mood)/2 gives diminishing returns and larger gains
to those who start low, as the Big Joy dose–response reports (science.md §3).

Expected form (:func:`steady_mood`): with a constant daily gain g the fixed point is
m* = (k rest + g/2) / (k + g/2), k = 1 − exp(−1/relaxation_days); the settled start uses it.
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import decay_factor, pjit
from sim.config import MoodConfig
from sim.state import People


def resting_mood(people: People, cfg: MoodConfig) -> np.ndarray:
    """Per person: the level mood relaxes to, by emotional state, minus the loneliness drag (float32)."""
    levels = np.array([cfg.neutral_level, cfg.content_level, cfg.discontent_level], np.float32)
    return _resting(levels, people.emotion, np.float32(cfg.loneliness_drag), people.loneliness)


@pjit
def _resting(levels, emotion, drag, loneliness):
    out = np.empty(emotion.size, np.float32)
    for i in numba.prange(emotion.size):
        out[i] = levels[emotion[i]] - drag * loneliness[i]
    return out


def update_mood(people: People, cfg: MoodConfig, gain: np.ndarray, rest: np.ndarray | None = None) -> None:
    """Relax toward the resting level (``rest``: today's, if already computed) and add today's gains."""
    _relax_and_gain(people.mood, resting_mood(people, cfg) if rest is None else rest,
                    np.asarray(gain, np.float32), people.alive, decay_factor(cfg.relaxation_days))


@pjit
def _relax_and_gain(mood, rest, gain, alive, k):
    for i in numba.prange(mood.size):
        if alive[i]:
            m = mood[i]
            m = m + (rest[i] - m) * k + gain[i] * (1.0 - m) * 0.5
            mood[i] = min(max(m, -1.0), 1.0)


def steady_mood(rest: np.ndarray, gain: np.ndarray, cfg: MoodConfig) -> np.ndarray:
    """The fixed point of the daily equation at resting level ``rest`` and a constant daily ``gain`` (clipped)."""
    k = decay_factor(cfg.relaxation_days)
    return np.clip((k * rest + gain / 2) / (k + gain / 2), -1, 1)
