"""Who lives in the town: ages, sex, partners, households, work, groups, and the traits that shape
how much connection each person wants — drawn for day 0, before the network.

Every share is an age curve of the scenario (``population.*``), each knot from a published table
(the field descriptions and docs/model.md quote them). Traits are log-normal:

* ``sociability`` s = exp(σ_s z₁): scales the friend circles a person joins (sim/contexts.py);
* ``desired`` connection D = median × desire_by_age(age) × exp(σ_D (√w z_s + √(1−w) z_c)), in
  contact-equivalents per day, with a lasting part z_s = ρ z₁ + √(1−ρ²) z₂, correlated (ρ) with
  sociability because people partly build the networks they want (Mund et al. 2020: loneliness is
  trait-like), and a changing part z_c that drifts over the years (:mod:`sim.dynamics.desire`;
  w = ``desire_stable_share``);
* ``vigilance`` v = mood_bias × exp(σ_v z₃): how much negative mood adds to loneliness
  (social-threat vigilance, Hawkley & Cacioppo 2010), lowered by social-cognition programmes.

Selection: whether a person lives with a partner and whether they join a group are drawn with the
age curves' probabilities, through a Gaussian copula whose latent variable correlates
(``selection_correlation``) with the lasting part of desire: who lastingly wants more connection more
often has a partner and a group, so a person without either more often wants less (the shares by age
are unchanged; the correlation with the whole desire is ``selection_correlation`` × √w, and it does
not decay as the changing part drifts).
The widowed are drawn from the same latent band as the partnered (the ever-partnered; who among them
has lost the partner is independent of desire), with the years since the death drawn so their grief
and adaptation at day 0 are what the same process would have left (:mod:`sim.dynamics.grief`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from sim._core import MALE
from sim.config import Scenario

# US adult age structure, Census 2020 (share of adults 18+ by age band; docs/science.md §4, [S]).
US_ADULT_AGE_BANDS = [(18, 30, 0.21), (30, 40, 0.17), (40, 50, 0.155), (50, 60, 0.165),
                      (60, 70, 0.155), (70, 80, 0.095), (80, 90, 0.04), (90, 100, 0.01)]


@dataclass
class Demography:
    """The day-0 draws, one array per quantity (units as in :class:`sim.state.People`)."""

    age: np.ndarray             # years, float32
    sex: np.ndarray             # int8, 0 female, 1 male
    wants_partner: np.ndarray   # bool: drawn as partnered (pairing may leave a few without one)
    with_family: np.ndarray     # bool: lives with family if without a partner
    widowed_if_single: np.ndarray  # bool: counted as widowed if left without a partner
    widowed_years: np.ndarray   # years since the partner's death of those counted as widowed (float32)
    employed: np.ndarray        # bool
    retirement_age: np.ndarray  # years, float32
    group_member: np.ndarray    # bool
    sociability: np.ndarray     # multiplier, median 1 (float32)
    desired: np.ndarray         # contact-equivalents per day (float32)
    desire_z: np.ndarray        # the changing standard-normal part of log desire (float32; sim.dynamics.desire)
    vigilance: np.ndarray       # loneliness per unit negative mood (float32)

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.age.size)


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


def draw_demography(cfg: Scenario, n: int, rng: np.random.Generator) -> Demography:
    """Draw everyone's age, sex, household, work, groups and traits (one call of each generator, in a
    fixed order, so the same seed gives the same town whatever is done with it afterwards)."""
    pop = cfg.population
    age = sample_ages(cfg, n, rng)
    sex = (rng.random(n) >= pop.female_fraction).astype(np.int8)
    male = sex == MALE
    u_family, u_widow, u_work = (rng.random(n) for _ in range(3))
    z = rng.standard_normal((7, n))
    rho = pop.desire_sociability_correlation
    # desire's lasting part (correlated with sociability) and its changing part (sim.dynamics.desire)
    z_stable = rho * z[1] + np.sqrt(1 - rho * rho) * z[2]
    w = pop.desire_stable_share
    z_desire = np.sqrt(w) * z_stable + np.sqrt(1 - w) * z[6]
    # selection: who lastingly wants more connection is more likely to live with a partner and to join a group
    sel = pop.selection_correlation
    u_partner = ndtr(-(sel * z_stable + np.sqrt(1 - sel * sel) * z[4]))
    u_group = ndtr(-(sel * z_stable + np.sqrt(1 - sel * sel) * z[5]))
    share = pop.partners.share.at(age, male)
    with_family = u_family < pop.households.with_family.at(age)
    # The widowed come from the same selection as the partnered: the copula picks the ever-partnered (share +
    # widowed share), and among them who has lost the partner is independent of desire, so the widowed want what
    # the partnered want; P(partnered) and P(widowed) by age and sex are as configured.
    widowed_share = np.minimum(pop.partners.widowed_share.at(age, male), 1 - share)
    ever = share + widowed_share
    ever_partnered = u_partner < ever
    lost = rng.random(n) < widowed_share / np.maximum(ever, 1e-12)
    wants_partner = ever_partnered & ~lost
    widowed_if_single = ever_partnered & lost
    # years since the death: exponential, at most the years since 40 (widowhood before 40 is rare)
    span = np.maximum(age - 40.0, 0.5)
    mean_years = cfg.life_events.grief.widowed_years_mean
    widowed_years = (-mean_years * np.log1p(-u_widow * -np.expm1(-span / mean_years))).astype(np.float32)
    ret_mean = np.where(male, pop.work.retirement_age_male, pop.work.retirement_age_female)
    retirement_age = (ret_mean + pop.work.retirement_age_sd * z[0]).astype(np.float32)
    employed = (age < retirement_age) & (u_work < pop.work.employed.at(age))
    group_member = u_group < pop.groups.membership.at(age)
    sociability = np.exp(pop.sociability_sigma * z[1]).astype(np.float32)
    desired = (pop.desired_contacts_median * pop.desire_by_age.at(age)
               * np.exp(pop.desired_contacts_sigma * z_desire)).astype(np.float32)
    vigilance = (cfg.loneliness.mood_bias * np.exp(pop.vigilance_sigma * z[3])).astype(np.float32)
    return Demography(age=age, sex=sex, wants_partner=wants_partner, with_family=with_family,
                      widowed_if_single=widowed_if_single, widowed_years=widowed_years, employed=employed,
                      retirement_age=retirement_age, group_member=group_member, sociability=sociability,
                      desired=desired, desire_z=z[6].astype(np.float32), vigilance=vigilance)
