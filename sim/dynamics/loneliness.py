"""Step 5 — loneliness (subjective) and the contact that isolation is measured from (objective), kept apart.

What a person receives today, per day:
    amount = meetings + smile value x smiles received + kind-act value x kind acts received + visits
    close  = sum of the closeness of the ties met + programme contacts x their closeness
``perceived`` and ``perceived_close`` are their moving averages (e-folding ``perception_days``).
Loneliness moves (e-folding ``adjustment_days``) toward

    target = clip(ω gap_close + (1 - ω) gap_amount + v_i max(-mood, 0) + a_i + g_i, 0, 1),
    gap_amount = clip(1 - perceived / D_i, 0, 1),   gap_close = clip(1 - perceived_close / (κ D_i), 0, 1),

the gap between the connection a person wants (D_i, a slowly drifting trait: :mod:`sim.dynamics.desire`;
κ of it close) and what they get, in closeness as well as amount (Weiss 1973: emotional and social
loneliness), widened by negative mood in proportion to the person's social-threat vigilance v_i
(Hawkley & Cacioppo 2010), by adversity a_i (``life_events.adversity.loneliness_weight`` during an
episode: :mod:`sim.dynamics.episodes`) and by grief g_i (:mod:`sim.dynamics.grief`, which fades here, daily).
Objective isolation is measured from structure and reported contact only (:mod:`sim.survey`): the
moving averages of meetings with kin and with friends (e-folding ``survey.isolation_index.
contact_window_days``) feed the isolation index's 'less than monthly contact' items.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim._core import decay_factor, pjit
from sim.config import Scenario
from sim.dynamics.grief import adaptation_rate, fade_factor
from sim.state import People
from sim.survey import classify


def adversity_weight(scenario: Scenario) -> np.float32:
    """What an episode of adversity adds to the loneliness target (0 when life events are off)."""
    ev = scenario.life_events
    return np.float32(ev.adversity.loneliness_weight if ev.enabled else 0.0)


def loneliness_target(people: People, scenario: Scenario) -> np.ndarray:
    """Per person: the loneliness (0..1) that current perceived connection, mood, adversity and grief pull
    toward (float32)."""
    lon = scenario.loneliness
    return _targets(people.perceived, people.perceived_close, people.desired, people.vigilance, people.mood,
                    people.adversity, people.grief, adversity_weight(scenario),
                    np.float32(lon.emotional_weight), np.float32(lon.intimacy_share))


@pjit
def _targets(perceived, perceived_close, desired, vigilance, mood, adversity, grief, adversity_w, weight, share):
    out = np.empty(perceived.size, np.float32)
    for i in numba.prange(perceived.size):
        extra = adversity_w * adversity[i] + grief[i]
        out[i] = _target(perceived[i], perceived_close[i], desired[i], vigilance[i], mood[i], extra, weight, share)
    return out


@numba.njit(cache=True, inline="always")
def _target(perceived, close, desired, vigilance, mood, extra, weight, share):
    d = max(desired, np.float32(1e-6))
    gap_amount = min(max(np.float32(1.0) - perceived / d, np.float32(0.0)), np.float32(1.0))
    gap_close = min(max(np.float32(1.0) - close / (share * d), np.float32(0.0)), np.float32(1.0))
    t = (weight * gap_close + (np.float32(1.0) - weight) * gap_amount + vigilance * max(-mood, np.float32(0.0))
         + extra)
    return min(max(t, np.float32(0.0)), np.float32(1.0))


def update_loneliness(people: People, scenario: Scenario, received: np.ndarray, received_close: np.ndarray,
                      meetings: np.ndarray, met_kin: np.ndarray, met_friends: np.ndarray) -> None:
    """One day: move perceived connection (amount and closeness) toward today's (e-folding
    ``perception_days``), the reported-contact averages toward today's meetings (e-folding
    ``contact_window_days``), and loneliness toward its target (e-folding ``adjustment_days``);
    then refresh the flags from the instruments' true scores."""
    lon = scenario.loneliness
    f32 = np.float32
    _perceive_and_adjust(people.perceived, people.perceived_close, people.contact_rate, people.contact_family,
                         people.contact_friend, people.loneliness, people.desired, people.vigilance, people.mood,
                         people.adversity, people.grief, people.adaptation,
                         np.asarray(received, f32), np.asarray(received_close, f32), np.asarray(meetings, f32),
                         met_kin, met_friends, people.alive, f32(decay_factor(lon.perception_days)),
                         f32(decay_factor(scenario.survey.isolation_index.contact_window_days)),
                         f32(decay_factor(lon.adjustment_days)), adversity_weight(scenario), fade_factor(scenario),
                         adaptation_rate(scenario), f32(lon.emotional_weight), f32(lon.intimacy_share))
    classify(people, scenario)


@pjit
def _perceive_and_adjust(perceived, perceived_close, contact_rate, contact_family, contact_friend, loneliness,
                         desired, vigilance, mood, adversity, grief, adaptation, received, received_close, meetings,
                         met_kin, met_friends, alive, k_perceive, k_contact, k_adjust, adversity_w, grief_fade,
                         k_adapt, weight, share):
    for i in numba.prange(perceived.size):
        if not alive[i]:
            continue
        perceived[i] += (received[i] - perceived[i]) * k_perceive
        perceived_close[i] += (received_close[i] - perceived_close[i]) * k_perceive
        contact_rate[i] += (meetings[i] - contact_rate[i]) * k_contact
        contact_family[i] += (met_kin[i] - contact_family[i]) * k_contact
        contact_friend[i] += (met_friends[i] - contact_friend[i]) * k_contact
        grief[i] *= grief_fade
        if adaptation[i] > 0:  # the widowed adjust what they want (sim.dynamics.grief)
            step = adaptation[i] * k_adapt
            desired[i] *= np.float32(math.exp(-step))
            adaptation[i] -= step
        extra = adversity_w * adversity[i] + grief[i]
        target = _target(perceived[i], perceived_close[i], desired[i], vigilance[i], mood[i], extra, weight, share)
        loneliness[i] += (target - loneliness[i]) * k_adjust
