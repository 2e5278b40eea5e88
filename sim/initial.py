"""The town on day 0: who lives in it (ages, sex, traits) and a start near the model's steady state.

:func:`init_people` draws the population; :func:`settle` places the slow state variables (perceived
connection, loneliness) near their steady state on the network built for the run, so that the
burn-in (``burn_in_days``) only has to finish the job.
"""

from __future__ import annotations

import numpy as np

from sim._core import per_day_probability
from sim.config import Scenario
from sim.dynamics.contagion import sisa_mean_field, sisa_resting_fractions
from sim.dynamics.health import expected_health
from sim.dynamics.loneliness import classify, loneliness_target
from sim.dynamics.smiles import smile_probabilities
from sim.state import People

# US adult age structure, Census 2020 (share of adults 18+ by age band; science.md §4, [S]).
US_ADULT_AGE_BANDS = [(18, 30, 0.21), (30, 40, 0.17), (40, 50, 0.155), (50, 60, 0.165),
                      (60, 70, 0.155), (70, 80, 0.095), (80, 90, 0.04), (90, 100, 0.01)]


def sample_ages(cfg: Scenario, n: int, rng: np.random.Generator) -> np.ndarray:
    """Ages at day 0 in years (float32): US adult shares by decade within [age_min, age_max], or uniform."""
    lo, hi = cfg.population.age_min, cfg.population.age_max
    if cfg.population.age_distribution == "uniform" or hi - lo < 1:
        return rng.uniform(lo, hi, n).astype(np.float32) if hi > lo else np.full(n, lo, np.float32)
    bands = [(max(a, lo), min(b, hi), w * (min(b, hi) - max(a, lo)) / (b - a))
             for a, b, w in US_ADULT_AGE_BANDS if min(b, hi) > max(a, lo)]
    weights = np.array([w for _, _, w in bands])
    which = rng.choice(len(bands), size=n, p=weights / weights.sum())
    starts = np.array([a for a, _, _ in bands])[which]
    widths = np.array([b - a for a, b, _ in bands])[which]
    return (starts + rng.random(n) * widths).astype(np.float32)


def init_people(cfg: Scenario, n: int, rng: np.random.Generator, mean_degree: float | None = None) -> People:
    """Draw the day-0 population. Loneliness and perception start at 0 and settle during burn-in."""
    f32 = np.float32
    age = sample_ages(cfg, n, rng)
    sex = (rng.random(n) >= cfg.population.female_fraction).astype(np.int8)
    desired = (cfg.population.desired_contacts_median
               * np.exp(cfg.population.desired_contacts_sigma * rng.standard_normal(n))).astype(f32)
    p_n, p_c, p_d = (sisa_mean_field(cfg.contagion, mean_degree) if mean_degree is not None and cfg.contagion.enabled
                     else sisa_resting_fractions(cfg.contagion))
    emotion = rng.choice(3, size=n, p=[p_n, p_c, p_d]).astype(np.int8)
    levels = np.array([cfg.mood.neutral_level, cfg.mood.content_level, cfg.mood.discontent_level], f32)
    mood = np.clip(levels[emotion] + 0.1 * rng.standard_normal(n), -1, 1).astype(f32)
    habit = np.clip(cfg.habits.initial_mean + 0.1 * rng.standard_normal(n), 0, 1).astype(f32)
    health = np.clip(expected_health(age) + 0.05 * rng.standard_normal(n), 0, 1).astype(f32)
    z = lambda dt: np.zeros(n, dt)  # noqa: E731
    return People(
        age=age, sex=sex, alive=np.ones(n, bool), desired=desired, mood=mood, emotion=emotion,
        loneliness=z(f32), perceived=desired.copy(), contact_rate=z(f32), health=health, habit=habit,
        degree=z(np.int32), isolated=z(bool), lonely=z(bool), relative_hazard=np.ones(n, f32),
        pay_forward=z(bool), death_day=np.full(n, -1, np.int32), isolated0=z(bool), lonely0=z(bool),
        smiles_given=z(np.int32), kind_given=z(np.int32),
    )


def settle(people: People, scenario: Scenario) -> None:
    """Start perceived connection and loneliness near their steady state (burn-in finishes the job).

    Perceived connection (contact-equivalents per day) is set to the expected meetings of each
    person's ties plus the connection value of the smiles those meetings bring.
    """
    p, sc = people, scenario
    contact_p = per_day_probability(sc.contacts.rate_per_tie_per_day * sc.contacts.frequency_multiplier
                                    * sc.ties.initial_strength)
    meetings = p.degree * contact_p
    prob = smile_probabilities(p, sc.smiles)
    smiles_per_meeting = prob[:, 0] * (1 + prob[:, 1])
    p.perceived[:] = meetings * (1 + sc.smiles.connection_value * smiles_per_meeting)
    p.contact_rate[:] = meetings
    p.loneliness[:] = loneliness_target(p, sc)
    classify(p, sc)
