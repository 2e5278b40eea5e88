"""Step 4 — emotion contagion: the SISa model of Hill, Rand, Nowak & Christakis (2010), one step a day.

States: neutral (N), content (C), discontent (D). Per-day hazards (rates per year / 365):
    N→C: a_C x up + b_C x (content people met today) / p_meet
    N→D: a_D x down + b_D x (discontent people met today) / p_meet
    C→N: g_C x down        C→D: c_CD x (discontent met) / p_meet x down
    D→N: g_D x up          D→C: c_DC x (content met) / p_meet x up
The paper's per-contact rates are per tie per year; dividing by p_meet (the mean probability that a
tie of the town meets on a day at baseline, from the day-0 network: :func:`reference_meeting_probability`)
turns them into a per-meeting rate. A tie that meets as often as the town's average tie transmits at
the published yearly rate; closer ties (partners, household) transmit more, acquaintances less, and
lonelier ends (withdrawal) less again (docs/validation.md, study 4). Transmission uses only today's meetings, so
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

from sim._core import CONTENT, DAYS_PER_YEAR, DISCONTENT, NEUTRAL, pjit
from sim.config import ContagionConfig
from sim.state import People
from sim.streams import key_of, uniform


def sisa_step(people: People, met_content: np.ndarray, met_discontent: np.ndarray, cfg: ContagionConfig,
              p_meet: float, resting_mood: np.ndarray, rng: np.random.Generator | int) -> np.ndarray:
    """Return the new emotion array (synchronous update from today's meetings with content and with
    discontent people, per person).

    Person i's transition is decided by number i of today's contagion stream; ``rng`` is a numpy
    Generator or the stream key (:mod:`sim.streams`).
    """
    c = cfg
    rates = np.array([
        c.neutral_to_content_per_year, c.neutral_to_content_per_contact_year,
        c.neutral_to_discontent_per_year, c.neutral_to_discontent_per_contact_year,
        c.content_to_neutral_per_year, c.content_to_discontent_per_contact_year,
        c.discontent_to_neutral_per_year, c.discontent_to_content_per_contact_year,
    ]) / DAYS_PER_YEAR
    per_meeting = 1.0 / max(p_meet, 1e-9)
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


def sisa_resting_fractions(cfg: ContagionConfig) -> tuple[float, float, float]:
    """Stationary (neutral, content, discontent) shares of the SISa chain without contagion terms."""
    c = cfg
    to_c = c.neutral_to_content_per_year / max(c.content_to_neutral_per_year, 1e-12)
    to_d = c.neutral_to_discontent_per_year / max(c.discontent_to_neutral_per_year, 1e-12)
    total = 1 + to_c + to_d
    return 1 / total, to_c / total, to_d / total


def sisa_mean_field(cfg: ContagionConfig, mean_degree: float, p_meet_ratio: float = 1.0) -> tuple[float, float, float]:
    """Mean-field steady state (neutral, content, discontent) of SISa on a network of ``mean_degree``.

    Used to start runs near the contagion layer's equilibrium, which takes years to reach from the
    contagion-free shares. ``p_meet_ratio`` scales contact (1 = baseline frequency).
    """
    c = cfg
    s_n, s_c, s_d = sisa_resting_fractions(cfg)
    k = mean_degree * p_meet_ratio
    total_rate = (c.neutral_to_content_per_year + c.neutral_to_discontent_per_year + c.content_to_neutral_per_year
                  + c.discontent_to_neutral_per_year + k * (c.neutral_to_content_per_contact_year
                  + c.neutral_to_discontent_per_contact_year + c.content_to_discontent_per_contact_year
                  + c.discontent_to_content_per_contact_year))
    dt = min(0.05, 0.2 / max(total_rate, 1e-9))  # years; forward Euler, stable step
    for _ in range(20_000):
        nc = (c.neutral_to_content_per_year + c.neutral_to_content_per_contact_year * k * s_c) * s_n
        nd = (c.neutral_to_discontent_per_year + c.neutral_to_discontent_per_contact_year * k * s_d) * s_n
        cn = c.content_to_neutral_per_year * s_c
        cd = c.content_to_discontent_per_contact_year * k * s_d * s_c
        dn = c.discontent_to_neutral_per_year * s_d
        dc = c.discontent_to_content_per_contact_year * k * s_c * s_d
        d_c, d_d = dt * (nc + dc - cn - cd), dt * (nd + cd - dn - dc)
        s_c, s_d = s_c + d_c, s_d + d_d
        s_n = 1.0 - s_c - s_d
        if abs(d_c) + abs(d_d) < 1e-12:
            break
    s_c, s_d = min(max(s_c, 0.0), 1.0), min(max(s_d, 0.0), 1.0)
    s_n = max(1.0 - s_c - s_d, 0.0)
    total = s_n + s_c + s_d
    s_n, s_c, s_d = s_n / total, s_c / total, s_d / total
    return s_n, s_c, s_d


def reference_meeting_probability(ties, rates: np.ndarray) -> float:
    """Mean probability per day that an active tie meets at baseline (no withdrawal, full health): the
    'average tie' against which the SISa per-tie-year rates are converted to per-meeting ones."""
    ids = ties.active_ids()
    if ids.size == 0:
        return 1.0
    r = rates[ties.kind[ids]] * ties.closeness[ids]
    return float(np.mean(-np.expm1(-r)))
