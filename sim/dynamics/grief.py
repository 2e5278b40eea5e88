"""Grief and adaptation after a death: grief adds to loneliness, fades over a year or two, and brings kin and
friends closer; the widowed slowly adapt what they want.

When a tie dies, each survivor's grief g (0–1) rises by the tie's closeness times ``life_events.grief.
partner_loss`` for a partner and ``other_loss`` for anyone else (capped at 1); every day it fades,

    g ← g · exp(−1 / fade_days),

so after 18 months about 5% of it is left at the default 180 days (Utz et al. 2014: loneliness declines
over the first 1.5 years of bereavement). Grief is added to the loneliness target
(:mod:`sim.dynamics.loneliness`: a peak right after the death, Niino et al. 2024), and while it lasts the
bereaved's ties meet at (1 + support_per_grief · g) times their rate (:mod:`sim.dynamics.meetings`): family
and friends not living with the bereaved step in (Freak-Poli et al. 2022). What stays after grief has faded
is the loss itself — no partner, less close connection — softened by adaptation: a widowed person's desired
connection falls by ``adaptation`` A on the log scale over ``adaptation_days`` τ,

    D ← D · exp(−s),  s = r (1 − e^{−1/τ}),  r ← r − s   (r = A at the loss),

so after t days D has fallen by exp(−A (1 − e^{−t/τ})) (Lucas et al. 2003: adaptation to widowhood is slow and
incomplete). Both run daily in the loneliness kernel (:mod:`sim.dynamics.loneliness`).

Expected form: g(t) = g₀ · exp(−t / fade_days) (:func:`grief_after`) and the adaptation left r(t) = A e^{−t/τ}
(:func:`adaptation_left`); they set the state at day 0 of the people widowed before the run from their years
since the death (:func:`initial_grief`, :func:`initial_adaptation`), so they come from the same process as
people widowed during a run.
"""

from __future__ import annotations

import numpy as np

from sim._core import DAYS_PER_YEAR, PARTNER
from sim.config import Scenario
from sim.state import People


def grief_after(initial: np.ndarray | float, days: np.ndarray | float, fade_days: float) -> np.ndarray:
    """Grief ``days`` after it was ``initial`` (no new loss in between)."""
    return np.asarray(initial, np.float64) * np.exp(-np.asarray(days, np.float64) / fade_days)


def initial_grief(years_since: np.ndarray, widowed: np.ndarray, scenario: Scenario, partner_closeness: float) -> np.ndarray:
    """Day 0: the grief left in the widowed by a partner of closeness ``partner_closeness`` lost ``years_since``
    years ago (float32; 0 for everyone else)."""
    g = scenario.life_events.grief
    first = min(g.partner_loss * partner_closeness, 1.0)
    return np.where(widowed, grief_after(first, years_since * DAYS_PER_YEAR, g.fade_days), 0.0).astype(np.float32)


def adaptation_left(days: np.ndarray | float, scenario: Scenario) -> np.ndarray:
    """The adaptation (log-desire units) still to come ``days`` after a partner's loss."""
    g = scenario.life_events.grief
    return g.adaptation * np.exp(-np.asarray(days, np.float64) / g.adaptation_days)


def initial_adaptation(people_desired: np.ndarray, years_since: np.ndarray, widowed: np.ndarray,
                       scenario: Scenario) -> np.ndarray:
    """Day 0: lower the widowed's desired connection by the adaptation done since the death (in place) and
    return the adaptation still to come (float32)."""
    g = scenario.life_events.grief
    days = years_since * DAYS_PER_YEAR
    left = np.where(widowed, adaptation_left(days, scenario), 0.0)
    done = np.where(widowed, g.adaptation - left, 0.0)
    people_desired *= np.exp(-done).astype(np.float32)
    return left.astype(np.float32)


def adaptation_rate(scenario: Scenario) -> np.float32:
    """The daily share of the adaptation left that happens, 1 − exp(−1 / adaptation_days)."""
    return np.float32(-np.expm1(-1.0 / scenario.life_events.grief.adaptation_days))


def bereave(people: People, mourners: np.ndarray, closeness: np.ndarray, kinds: np.ndarray, scenario: Scenario) -> None:
    """Survivors ``mourners`` lose ties of ``closeness`` and ``kinds`` (one entry per tie lost; a person may
    appear more than once): grief rises, capped at 1; a widowed partner starts to adapt."""
    g = scenario.life_events.grief
    weight = np.where(kinds == PARTNER, g.partner_loss, g.other_loss)
    add = np.bincount(mourners, weights=weight * closeness, minlength=people.n)[mourners]
    people.grief[mourners] = np.minimum(people.grief[mourners] + add.astype(np.float32), np.float32(1.0))
    widowed = mourners[kinds == PARTNER]
    people.adaptation[widowed] += np.float32(g.adaptation)


def fade_factor(scenario: Scenario) -> np.float32:
    """The daily factor on grief, exp(−1 / fade_days)."""
    return np.float32(np.exp(-1.0 / scenario.life_events.grief.fade_days))
