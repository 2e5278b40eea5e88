"""Step 8 — mortality: baseline hazard x hazard ratios, deaths, and the risk proxies.

Baseline hazard μ0(age, sex), per year:
* ``life_table``: US 2022 SSA period life table, annual death probabilities q_x at ages 30..90 by
  sex (science.md §1), turned into rates μ = -ln(1 - q) and interpolated log-linearly in age;
  held at the age-30 value below 30 and extended with the 80–90 slope above 90.
* ``gompertz``: μ0 = A exp(β x age), A = 9.11e-5 /yr, β = 0.0792 /yr (sex-averaged fit, [D]).
Relative hazard from the person's current status (cohort studies measure exposure at baseline):
isolated → hr_isolation, lonely → hr_loneliness (Wang et al. 2023), combined by an explicit rule
(``mortality.combination``). The daily death probability is 1 - exp(-μ0 x RR / 365).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import MortalityConfig
from sim.population import MALE, People

DAYS_PER_YEAR = 365.0
LIFE_TABLE_AGES = np.array([30, 40, 50, 60, 70, 80, 90], dtype=np.float64)
# US 2022 period life table (SSA), annual death probability q_x (science.md §1).
LIFE_TABLE_Q = {
    "male": np.array([0.002332, 0.003353, 0.005666, 0.012458, 0.024828, 0.060660, 0.169704]),
    "female": np.array([0.000988, 0.001803, 0.003407, 0.007658, 0.016025, 0.044156, 0.135805]),
}


def baseline_hazard(age: np.ndarray, sex: np.ndarray, cfg: MortalityConfig) -> np.ndarray:
    """Baseline mortality rate per year for each person."""
    if cfg.baseline == "gompertz":
        return cfg.gompertz_a_per_year * np.exp(cfg.gompertz_b_per_year * age.astype(np.float64))
    out = np.empty(age.size)
    for code, key in ((MALE, "male"), (1 - MALE, "female")):
        sel = sex == code
        log_mu = np.log(-np.log1p(-LIFE_TABLE_Q[key]))
        a = np.clip(age[sel].astype(np.float64), LIFE_TABLE_AGES[0], None)
        inside = np.interp(a, LIFE_TABLE_AGES, log_mu)
        slope = (log_mu[-1] - log_mu[-2]) / (LIFE_TABLE_AGES[-1] - LIFE_TABLE_AGES[-2])
        beyond = log_mu[-1] + slope * (a - LIFE_TABLE_AGES[-1])
        out[sel] = np.exp(np.where(a > LIFE_TABLE_AGES[-1], beyond, inside))
    return out


def combine(isolated: np.ndarray, lonely: np.ndarray, hr_iso: float, hr_lon: float, rule: str) -> np.ndarray:
    """Relative hazard for each person from the two exposures and the combination rule."""
    ri = np.where(isolated, hr_iso, 1.0)
    rl = np.where(lonely, hr_lon, 1.0)
    if rule == "multiplicative":
        return ri * rl
    if rule == "max":
        return np.maximum(ri, rl)
    if rule == "additive":
        return ri + rl - 1.0
    raise ValueError(f"unknown combination rule {rule!r}")


@dataclass
class RiskLedger:
    """Running sums over person-days from which the summary proxies are computed."""

    person_days: float = 0.0
    expected_deaths: float = 0.0              # Σ μ0·RR·dt
    expected_deaths_no_isolation: float = 0.0  # counterfactual: isolation effect removed
    expected_deaths_no_loneliness: float = 0.0
    expected_deaths_connected: float = 0.0     # both removed: a fully connected population
    log_rr_days: float = 0.0                   # Σ ln RR over person-days
    relative_hazard_days: float = 0.0          # Σ RR over person-days
    deaths: int = 0


def assess_day(people: People, cfg: MortalityConfig, ledger: RiskLedger) -> np.ndarray:
    """Update relative hazards and the ledger for today; return today's hazard per year (0 if dead).

    The counterfactual sums need no extra pass: baseline hazard is summed within the four exposure
    groups (neither, isolated, lonely, both) and each counterfactual reweights those four sums.
    """
    alive = people.alive
    mu0 = baseline_hazard(people.age, people.sex, cfg)
    group = people.isolated.astype(np.int8) + 2 * people.lonely.astype(np.int8)  # 0 none, 1 iso, 2 lonely, 3 both
    iso_g = np.array([False, True, False, True])
    lon_g = np.array([False, False, True, True])
    rr_g = combine(iso_g, lon_g, cfg.hr_isolation, cfg.hr_loneliness, cfg.combination)
    rr_no_iso = combine(np.zeros(4, bool), lon_g, cfg.hr_isolation, cfg.hr_loneliness, cfg.combination)
    rr_no_lon = combine(iso_g, np.zeros(4, bool), cfg.hr_isolation, cfg.hr_loneliness, cfg.combination)
    g_alive = np.where(alive, group, 4)  # the dead fall into a fifth, ignored group
    mu_sum = np.bincount(g_alive, weights=mu0, minlength=5)[:4]
    count = np.bincount(g_alive, minlength=5)[:4]
    people.relative_hazard[:] = rr_g[group]
    dt = 1.0 / DAYS_PER_YEAR
    ledger.person_days += float(count.sum())
    ledger.expected_deaths += float(mu_sum @ rr_g) * dt
    ledger.expected_deaths_no_isolation += float(mu_sum @ rr_no_iso) * dt
    ledger.expected_deaths_no_loneliness += float(mu_sum @ rr_no_lon) * dt
    ledger.expected_deaths_connected += float(mu_sum.sum()) * dt
    ledger.log_rr_days += float(count @ np.log(rr_g))
    ledger.relative_hazard_days += float(count @ rr_g)
    return np.where(alive, mu0 * rr_g[group], 0.0)


def draw_deaths(hazard_per_year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ids of people who die today: probability 1 - exp(-μ·dt) each."""
    return np.flatnonzero(rng.random(hazard_per_year.size) < -np.expm1(-hazard_per_year / DAYS_PER_YEAR))


def proxies(ledger: RiskLedger, cfg: MortalityConfig, n_people: int) -> dict[str, float]:
    """The mortality-risk proxies of a run (all per the run's person-time)."""
    py = ledger.person_days / DAYS_PER_YEAR
    e = max(ledger.expected_deaths, 1e-300)
    beta = cfg.gompertz_b_per_year
    return {
        "person_years": py,
        "mean_relative_hazard": ledger.relative_hazard_days / max(ledger.person_days, 1),
        "expected_deaths_per_1000_py": 1000 * ledger.expected_deaths / max(py, 1e-12),
        "expected_deaths_connected_per_1000_py": 1000 * ledger.expected_deaths_connected / max(py, 1e-12),
        # Population attributable fraction against the counterfactual without the exposure.
        "paf_isolation": 1 - ledger.expected_deaths_no_isolation / e,
        "paf_loneliness": 1 - ledger.expected_deaths_no_loneliness / e,
        "paf_combined": 1 - ledger.expected_deaths_connected / e,
        "attributable_deaths_isolation_per_1000_py": 1000 * (ledger.expected_deaths - ledger.expected_deaths_no_isolation) / max(py, 1e-12),
        "attributable_deaths_loneliness_per_1000_py": 1000 * (ledger.expected_deaths - ledger.expected_deaths_no_loneliness) / max(py, 1e-12),
        # Gompertz: multiplying the hazard by RR is worth ln(RR)/β years of extra ageing (science.md §1, [D]).
        "life_years_lost_per_1000": 1000 * ledger.log_rr_days / max(ledger.person_days, 1) / beta,
    }
