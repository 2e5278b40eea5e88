"""Slow change of what people want: desired connection drifts over the years.

Desired connection is D_i = median × desire_by_age(age_i) × exp(σ_D (√w s_i + √(1−w) z_i))
(:mod:`sim.demography`): a lasting part s_i and a changing part z_i, w = ``population.desire_stable_share``.
The changing part is an Ornstein–Uhlenbeck process, stationary at N(0, 1), renewed on the time scale
τ = ``population.desire_change_years``; it is stepped every ``LIFE_COURSE_DAYS`` days with the exact
transition

    z ← φ z + √(1 − φ²) ε,   φ = exp(−Δt / τ),   ε ~ N(0, 1).

The age profile stays where day 0 put it (a person's desire does not follow ``desire_by_age`` as they age):
the age curve is a cross-section, and without partnering and new adults entering at 18, letting desire follow
it made the youngest band 16 points lonelier over five years (measured: docs/validation.md, study 9). The
cross-section is unchanged (the stationary law is the day-0
law), but a person's rank moves: loneliness is trait-like, "as stable as personality traits, not more"
(Mund et al. 2020), and the 1-year stability of its true score is ≈ 0.78–0.82 (Russell 1996).

Expected form: E[z(t) | z(0)] = φ(t) z(0), Var = 1 − φ(t)²; the stationary law is the day-0 law, so the
settled start (:mod:`sim.initial`) needs nothing from here. ``tests/test_life_events.py`` checks both.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim._core import DAYS_PER_YEAR, pjit
from sim.config import Scenario
from sim.state import People
from sim.streams import normal

#: Days between steps of the slow life-course processes (desire, episodes): daily resolution is not needed
#: for processes on the scale of months and years, and a weekly step costs a seventh of a daily one.
LIFE_COURSE_DAYS = 7


def persistence(days: float, years: float) -> float:
    """φ: the autocorrelation of z over ``days`` at time scale ``years`` (0 years: fixed, φ = 1)."""
    return 1.0 if years <= 0 else math.exp(-days / (years * DAYS_PER_YEAR))


def drift_desire(people: People, scenario: Scenario, key: np.uint64, days: int = LIFE_COURSE_DAYS) -> None:
    """Step z by ``days`` and rescale desired connection by the change of exp(σ_D √(1−w) z) (multiplicatively, so
    a programme's lasting change of desire composes with the drift)."""
    pop = scenario.population
    phi = persistence(days, pop.desire_change_years)
    if phi >= 1.0:
        return
    sigma = pop.desired_contacts_sigma * math.sqrt(1.0 - pop.desire_stable_share)
    _drift(people.desire_z, people.desired, people.alive, np.float32(phi),
           np.float32(math.sqrt(1.0 - phi * phi)), np.float32(sigma), np.uint64(key))


@pjit
def _drift(z, desired, alive, phi, noise, sigma, key):
    for i in numba.prange(z.size):
        if not alive[i]:
            continue
        new = phi * z[i] + noise * np.float32(normal(key, i))
        desired[i] *= np.float32(math.exp(sigma * (new - z[i])))
        z[i] = new
