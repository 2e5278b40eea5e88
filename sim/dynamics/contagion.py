"""Step 4 — emotion contagion: the SISa model of Hill, Rand, Nowak & Christakis (2010), one step a day.

States: neutral (N), content (C), discontent (D). Per-day hazards (rates per year / 365):
    N→C: a_C x up + b_C x (content people met today) / p_meet
    N→D: a_D x down + b_D x (discontent people met today) / p_meet
    C→N: g_C x down        C→D: c_CD x (discontent met) / p_meet x down
    D→N: g_D x up          D→C: c_DC x (content met) / p_meet x up
The paper's per-contact rates are per tie per year; dividing by p_meet (the baseline probability that
a full-strength tie meets on a given day) turns them into a per-meeting rate, so a tie at baseline
frequency transmits at the published yearly rate and fewer meetings mean less contagion. Transmission
uses only today's meetings, so effects two or three steps away emerge from repeated days.
``up`` = exp(mood_coupling x (mood - resting mood)) and ``down`` = 1/up carry the day-to-day lift of
smiles and kind acts into the slower emotional states. The published asymmetry is in the defaults:
negative states spread about twice as fast per contact (0.04 vs 0.02) and positive states last about
twice as long (1/0.088 ≈ 11 years vs 1/0.13 ≈ 8 years in the absence of contacts).
"""

from __future__ import annotations

import numpy as np

from sim.config import ContagionConfig
from sim.dynamics import tally
from sim.dynamics.contacts import Contacts
from sim.population import CONTENT, DISCONTENT, NEUTRAL, People

DAYS_PER_YEAR = 365.0


def sisa_step(people: People, contacts: Contacts, cfg: ContagionConfig, p_meet: float, resting_mood: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """Return the new emotion array (synchronous update from today's meetings)."""
    n = people.n
    emo = people.emotion
    ends = np.concatenate([contacts.a, contacts.b])
    others = emo[np.concatenate([contacts.b, contacts.a])]
    met_content = tally(ends[others == CONTENT], n)
    met_discontent = tally(ends[others == DISCONTENT], n)
    per_meeting = 1.0 / (DAYS_PER_YEAR * max(p_meet, 1e-9))
    up = np.exp(np.clip(cfg.mood_coupling * (people.mood - resting_mood), -20, 20))
    down = 1.0 / up
    y = 1.0 / DAYS_PER_YEAR
    is_n, is_c, is_d = emo == NEUTRAL, emo == CONTENT, emo == DISCONTENT

    # Hazards out of the current state towards each other state (per day).
    to_content = np.where(is_n, cfg.neutral_to_content_per_year * y * up
                          + cfg.neutral_to_content_per_contact_year * per_meeting * met_content,
                          np.where(is_d, cfg.discontent_to_content_per_contact_year * per_meeting * met_content * up, 0.0))
    to_discontent = np.where(is_n, cfg.neutral_to_discontent_per_year * y * down
                             + cfg.neutral_to_discontent_per_contact_year * per_meeting * met_discontent,
                             np.where(is_c, cfg.content_to_discontent_per_contact_year * per_meeting * met_discontent * down, 0.0))
    to_neutral = np.where(is_c, cfg.content_to_neutral_per_year * y * down,
                          np.where(is_d, cfg.discontent_to_neutral_per_year * y * up, 0.0))

    total = to_content + to_discontent + to_neutral
    # Competing hazards: leave with probability 1 - exp(-total); destination in proportion to its hazard.
    u = rng.random(n)
    leave = (u < -np.expm1(-total)) & people.alive
    pick = rng.random(n) * total
    dest = np.where(pick < to_content, CONTENT, np.where(pick < to_content + to_discontent, DISCONTENT, NEUTRAL))
    return np.where(leave, dest, emo).astype(np.int8)
