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

import numpy as np

from sim.config import HealthConfig
from sim.population import People, expected_health

DAYS_PER_YEAR = 365.0


def update_health(people: People, cfg: HealthConfig, smiles_today: np.ndarray) -> None:
    h = people.health
    wear = (cfg.wear_per_year_lonely * people.loneliness + cfg.wear_per_year_isolated * people.isolated) / DAYS_PER_YEAR
    buffer = 1.0 - cfg.mood_buffer * np.maximum(people.mood, 0.0) - cfg.smile_buffer * smiles_today / (smiles_today + 2.0)
    recovery = cfg.recovery_per_year / DAYS_PER_YEAR * (expected_health(people.age) - h)
    new = np.clip(h + recovery - wear * np.maximum(buffer, 0.0), 0.0, 1.0)
    people.health[:] = np.where(people.alive, new, h)
