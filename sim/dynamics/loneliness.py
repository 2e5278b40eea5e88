"""Step 5 — loneliness (subjective) and isolation (objective), kept distinct.

Received connection today (contact-equivalents per day) = meetings + smile value x smiles received
+ kind-act value x kind acts received + programme visits. ``perceived`` is its moving average
(e-folding ``perception_days``). Loneliness moves (e-folding ``adjustment_days``) toward
    target = clip(1 - perceived / desired, 0, 1) + mood_bias x max(-mood, 0)
— the gap between desired and actual connection, widened by negative mood (social-threat
vigilance; Hawkley & Cacioppo 2010). Isolation is derived from structure and behaviour only:
at most ``max_ties`` ties, or recent meetings averaging at most ``isolated_max_contacts_per_week``.
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import decay_factor, pjit
from sim.config import Scenario
from sim.state import People


def loneliness_target(people: People, cfg: Scenario) -> np.ndarray:
    """Per person: the loneliness (0..1) that current perceived connection and mood pull toward."""
    gap = np.clip(1.0 - people.perceived / np.maximum(people.desired, 1e-6), 0.0, 1.0)
    return np.clip(gap + cfg.loneliness.mood_bias * np.maximum(-people.mood, 0.0), 0.0, 1.0)


def update_loneliness(people: People, cfg: Scenario, received: np.ndarray, meetings: np.ndarray) -> None:
    """Move perceived connection and contact toward today's (e-folding ``perception_days``) and loneliness
    toward its target (e-folding ``adjustment_days``); refresh the flags."""
    _perceive_and_adjust(people.perceived, people.contact_rate, people.loneliness, people.desired, people.mood,
                         np.asarray(received, np.float32), np.asarray(meetings, np.float32), people.alive,
                         decay_factor(cfg.loneliness.perception_days), decay_factor(cfg.loneliness.adjustment_days),
                         cfg.loneliness.mood_bias)
    classify(people, cfg)


@pjit
def _perceive_and_adjust(perceived, contact_rate, loneliness, desired, mood, received, meetings, alive, k_perceive,
                         k_adjust, mood_bias):
    for i in numba.prange(perceived.size):
        if not alive[i]:
            continue
        perceived[i] += (received[i] - perceived[i]) * k_perceive
        contact_rate[i] += (meetings[i] - contact_rate[i]) * k_perceive
        gap = min(max(1.0 - perceived[i] / max(desired[i], 1e-6), 0.0), 1.0)
        target = min(max(gap + mood_bias * max(-mood[i], 0.0), 0.0), 1.0)
        loneliness[i] += (target - loneliness[i]) * k_adjust


def classify(people: People, cfg: Scenario) -> None:
    """Refresh the derived flags ``lonely`` and ``isolated`` from the state."""
    _classify(people.lonely, people.isolated, people.alive, people.loneliness, people.degree, people.contact_rate,
              np.float32(cfg.loneliness.threshold), cfg.network.isolation.max_ties,
              cfg.contacts.isolated_max_contacts_per_week)


@pjit
def _classify(lonely, isolated, alive, loneliness, degree, contact_rate, threshold, max_ties, max_contacts_per_week):
    """lonely: loneliness at or above the threshold; isolated: few ties or rare contact (both false for the dead)."""
    for i in numba.prange(alive.size):
        lonely[i] = alive[i] and loneliness[i] >= threshold
        isolated[i] = alive[i] and (degree[i] <= max_ties or contact_rate[i] * np.float32(7.0) <= max_contacts_per_week)
