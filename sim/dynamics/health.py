"""Step 7 — health: physiological reserve on a 0..1 scale (a relative index, not a published scale).

health ← health + recovery_per_year/365 x (age-expected reserve - health)
               - (wear_lonely x loneliness + wear_isolated x isolated)/365
                 x (1 - mood_buffer x max(mood, 0) - smile_buffer x s / (s + 2))
where s is smiles given and received today. Chronic loneliness and isolation wear the reserve
down; positive mood buffers stress, and smiling speeds recovery (Kraft & Pressman 2012).
Health is reported beside the hazards; it does not enter the mortality hazard, whose exposure
effects are the published hazard ratios (entering both would count the same pathway twice).
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import DAYS_PER_YEAR, jit, pjit
from sim.config import HealthConfig
from sim.state import People


def update_health(people: People, cfg: HealthConfig, smiles_today: np.ndarray) -> None:
    """One day of wear and recovery of each living person's health reserve (0..1; rates per year / 365)."""
    _wear_and_recover(people.health, people.age, people.loneliness, people.isolated, people.mood,
                      smiles_today, people.alive, cfg.wear_per_year_lonely / DAYS_PER_YEAR,
                      cfg.wear_per_year_isolated / DAYS_PER_YEAR, cfg.recovery_per_year / DAYS_PER_YEAR,
                      cfg.mood_buffer, cfg.smile_buffer)


@pjit
def _wear_and_recover(health, age, loneliness, isolated, mood, smiles, alive, wear_lonely, wear_isolated,
                      recovery, mood_buffer, smile_buffer):
    for i in numba.prange(health.size):
        if not alive[i]:
            continue
        h = health[i]
        wear = wear_lonely * loneliness[i] + (wear_isolated if isolated[i] else 0.0)
        buffer = 1.0 - mood_buffer * max(mood[i], 0.0) - smile_buffer * smiles[i] / (smiles[i] + 2.0)
        h = h + recovery * (expected_health_at(age[i]) - h) - wear * max(buffer, 0.0)
        health[i] = min(max(h, 0.0), 1.0)


def steady_health(people: People, cfg: HealthConfig, smiles_per_day: np.ndarray) -> np.ndarray:
    """The fixed point of the daily equation for each person at their current loneliness, isolation and mood, with
    ``smiles_per_day`` expected smiles (given and received): h* = E(age) − wear × buffer / recovery, clipped to
    0..1 (float32). The settled start (:mod:`sim.initial`) places health here; without it health would slide
    from the age-expected reserve to h* over the first years of a run (e-folding 1 / recovery_per_year)."""
    s = np.asarray(smiles_per_day, np.float64)
    wear = cfg.wear_per_year_lonely * people.loneliness + cfg.wear_per_year_isolated * people.isolated
    buffer = np.maximum(1.0 - cfg.mood_buffer * np.maximum(people.mood, 0.0) - cfg.smile_buffer * s / (s + 2.0), 0.0)
    h = expected_health(people.age) - wear * buffer / cfg.recovery_per_year
    return np.clip(h, 0.0, 1.0).astype(np.float32)


@jit
def expected_health_at(age: float) -> float:
    """Age-expected physiological reserve, 0..1: 1 at 18 falling to ~0.4 at 100 (a relative scale; assumption)."""
    x = min(max((age - 18.0) / 82.0, 0.0), 1.0)
    return 1.0 - 0.6 * x * x


@pjit
def expected_health(age: np.ndarray) -> np.ndarray:
    """:func:`expected_health_at` of every age in a 1-d array (float32)."""
    out = np.empty(age.size, np.float32)
    for i in numba.prange(age.size):
        out[i] = expected_health_at(age[i])
    return out
