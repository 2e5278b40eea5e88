"""Step 4 — emotion contagion: the SISa model of Hill, Rand, Nowak & Christakis (2010), one step a day.

States: neutral (N), content (C), discontent (D). Per-day hazards (rates per year / 365):
    N→C: a_C x up + b_C x (content people met today) / p_meet
    N→D: a_D x down + b_D x (discontent people met today) / p_meet
    C→N: g_C x down        C→D: c_CD x (discontent met) / p_meet x down
    D→N: g_D x up          D→C: c_DC x (content met) / p_meet x up
The paper's per-contact rates are per tie per year; dividing by p_meet (the probability that a tie
of the initial strength between two people who are not lonely meets on a given day) turns them into a
per-meeting rate. Such a tie transmits at the published yearly rate; weaker ties, lonelier ends
(withdrawal) and fewer meetings transmit less — measured over the default town, about half the
configured per-tie rate (docs/validation.md, study 4). Transmission uses only today's meetings, so
effects two or three steps away emerge from repeated days.
``up`` = exp(mood_coupling x (mood - resting mood)) and ``down`` = 1/up carry the day-to-day lift of
smiles and kind acts into the slower emotional states. The defaults carry the per-contact asymmetry
(negative states spread twice as fast per contact: 0.04 vs 0.02 per tie-year). The spontaneous exit
rates make positive states last about 1.5 times as long without contacts (1/0.088 ≈ 11 years vs
1/0.13 ≈ 8 years); with ten ties, recovery through content ties shortens discontent to about 2.7 years,
so the ratio in the default town is about 4 (docs/validation.md).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim.config import ContagionConfig
from sim.dynamics._jit import pjit
from sim.dynamics.contacts import Contacts, tally_by_state
from sim.dynamics.streams import key_of, uniform
from sim.population import CONTENT, DISCONTENT, NEUTRAL, People

DAYS_PER_YEAR = 365.0


def sisa_step(people: People, contacts: Contacts, cfg: ContagionConfig, p_meet: float, resting_mood: np.ndarray,
              rng: np.random.Generator | int) -> np.ndarray:
    """Return the new emotion array (synchronous update from today's meetings).

    Person i's transition is decided by number i of today's contagion stream; ``rng`` is a numpy
    Generator or the stream key (:mod:`sim.dynamics.streams`).
    """
    c = cfg
    rates = np.array([
        c.neutral_to_content_per_year, c.neutral_to_content_per_contact_year,
        c.neutral_to_discontent_per_year, c.neutral_to_discontent_per_contact_year,
        c.content_to_neutral_per_year, c.content_to_discontent_per_contact_year,
        c.discontent_to_neutral_per_year, c.discontent_to_content_per_contact_year,
    ]) / DAYS_PER_YEAR
    per_meeting = 1.0 / max(p_meet, 1e-9)
    if contacts.met_content is not None and contacts.met_discontent is not None:
        met_content, met_discontent = contacts.met_content, contacts.met_discontent
    else:
        _, met_content, met_discontent = tally_by_state(contacts.a, contacts.b, people.emotion)
    return _sisa(key_of(rng), people.emotion, people.mood, resting_mood, cfg.mood_coupling, people.alive,
                 met_content, met_discontent, rates, per_meeting)


@pjit
def _sisa(key, emo, mood, rest, coupling, alive, met_content, met_discontent, rates, per_meeting):
    n = emo.size
    new = np.empty_like(emo)
    for i in numba.prange(n):
        new[i] = emo[i]
        if not alive[i]:
            continue
        up = math.exp(min(max(coupling * (mood[i] - rest[i]), -20.0), 20.0))
        down = 1.0 / up
        to_c = to_d = to_n = 0.0
        if emo[i] == NEUTRAL:
            to_c = rates[0] * up + rates[1] * per_meeting * met_content[i]
            to_d = rates[2] * down + rates[3] * per_meeting * met_discontent[i]
        elif emo[i] == CONTENT:
            to_n = rates[4] * down
            to_d = rates[5] * per_meeting * met_discontent[i] * down
        else:
            to_n = rates[6] * up
            to_c = rates[7] * per_meeting * met_content[i] * up
        total = to_c + to_d + to_n
        x = uniform(key, i)
        if x >= total:  # 1 - exp(-total) <= total: no move (most people, most days), no exponential needed
            continue
        p_leave = -math.expm1(-total)
        if x < p_leave:
            # Competing hazards: given a move, x / p_leave is uniform; split it by the hazards.
            pick = x / p_leave * total
            if pick < to_c:
                new[i] = CONTENT
            elif pick < to_c + to_d:
                new[i] = DISCONTENT
            else:
                new[i] = NEUTRAL
    return new
