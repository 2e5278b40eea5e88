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

import functools
import math
from dataclasses import dataclass, field

import numba
import numpy as np

from sim._core import BLOCK, DAYS_PER_YEAR, MALE, jit, pjit
from sim.config import MortalityConfig
from sim.state import People

LIFE_TABLE_AGES = np.array([30, 40, 50, 60, 70, 80, 90], dtype=np.float64)
# US 2022 period life table (SSA), annual death probability q_x (science.md §1).
LIFE_TABLE_Q = {
    "male": np.array([0.002332, 0.003353, 0.005666, 0.012458, 0.024828, 0.060660, 0.169704]),
    "female": np.array([0.000988, 0.001803, 0.003407, 0.007658, 0.016025, 0.044156, 0.135805]),
}


def _baseline_params(cfg: MortalityConfig) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(kind, knot ages, log-rate at knots for female, for male); kind 0 = life table, 1 = Gompertz."""
    log_f = np.log(-np.log1p(-LIFE_TABLE_Q["female"]))
    log_m = np.log(-np.log1p(-LIFE_TABLE_Q["male"]))
    if cfg.baseline == "gompertz":
        ages = np.array([0.0, 1.0])
        line = np.log(cfg.gompertz_a_per_year) + cfg.gompertz_b_per_year * ages
        return 1, ages, line, line
    return 0, LIFE_TABLE_AGES, log_f, log_m


@jit
def _log_mu0(age, sex, ages, log_f, log_m, kind):
    """Log baseline rate per year at one age: log-linear between knots, flat below the first
    (life table) and extended with the last segment's slope above the last."""
    y = log_m if sex == MALE else log_f
    if kind == 0 and age <= ages[0]:
        return y[0]
    k = ages.size - 2
    for j in range(ages.size - 1):
        if age < ages[j + 1]:
            k = j
            break
    slope = (y[k + 1] - y[k]) / (ages[k + 1] - ages[k])
    return y[k] + slope * (age - ages[k])


@jit
def _baseline_all(age, sex, ages, log_f, log_m, kind):
    out = np.empty(age.size)
    for i in range(age.size):
        out[i] = math.exp(_log_mu0(age[i], sex[i], ages, log_f, log_m, kind))
    return out


def baseline_hazard(age: np.ndarray, sex: np.ndarray, cfg: MortalityConfig) -> np.ndarray:
    """Baseline mortality rate per year for each person."""
    kind, ages, log_f, log_m = _baseline_params(cfg)
    return _baseline_all(np.asarray(age, np.float64), np.asarray(sex, np.int8), ages, log_f, log_m, kind)


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
    """Running sums over person-days by exposure group, from which every risk proxy is computed.

    Groups are 0 neither, 1 isolated only, 2 lonely only, 3 both. ``hazard_years[g]`` is the group's
    baseline hazard summed over person-days times dt (years): the deaths expected in the group at a
    relative hazard of 1. Because the sums are kept by group and before any hazard ratio is applied,
    :func:`proxies` can evaluate them under any hazard ratios and combination rule without re-running
    (the dose-response study, the hazard-ratio intervals of comparisons and sensitivity analyses).
    """

    hazard_years: np.ndarray = field(default_factory=lambda: np.zeros(4))  # Σ μ0·dt by group (deaths at RR 1)
    person_days: np.ndarray = field(default_factory=lambda: np.zeros(4))   # living person-days by group

    def add_day(self, mu_sum: np.ndarray, count: np.ndarray) -> None:
        """Add one day: per group, the summed baseline hazard (per year) and the head count of the living."""
        self.hazard_years += mu_sum * (1.0 / DAYS_PER_YEAR)
        self.person_days += count

    @property
    def total_person_days(self) -> float:
        """Living person-days over all groups."""
        return float(self.person_days.sum())


def exposure_table(cfg: MortalityConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative hazard of the four exposure groups (none, isolated, lonely, both): as configured,
    and with the isolation or the loneliness effect removed (the counterfactuals)."""
    iso_g = np.array([False, True, False, True])
    lon_g = np.array([False, False, True, True])
    none = np.zeros(4, bool)
    args = (cfg.hr_isolation, cfg.hr_loneliness, cfg.combination)
    return combine(iso_g, lon_g, *args), combine(none, lon_g, *args), combine(iso_g, none, *args)


TABLE_STEP_YEARS = 0.01  # age resolution of the lookup table: hazard error < 0.01 x 0.11/yr slope ≈ 0.1%
TABLE_MAX_AGE = 130.0


@functools.lru_cache(maxsize=8)
def _hazard_table(kind: int, ages: tuple, log_f: tuple, log_m: tuple) -> np.ndarray:
    grid = np.arange(0.0, TABLE_MAX_AGE + TABLE_STEP_YEARS, TABLE_STEP_YEARS)
    args = (np.array(ages), np.array(log_f), np.array(log_m), kind)
    female = _baseline_all(grid, np.zeros(grid.size, np.int8), *args)
    male = _baseline_all(grid, np.full(grid.size, MALE, np.int8), *args)
    table = np.empty((2, grid.size))
    table[1 - MALE], table[MALE] = female, male
    return table


def hazard_table(cfg: MortalityConfig) -> np.ndarray:
    """Baseline hazard per year by sex (rows) on a 0.01-year age grid: the daily ledger interpolates in
    it instead of evaluating an exponential per person per day."""
    kind, ages, log_f, log_m = _baseline_params(cfg)
    return _hazard_table(kind, tuple(ages), tuple(log_f), tuple(log_m))


def assess_day(people: People, cfg: MortalityConfig, ledger: RiskLedger, need_hazard: bool = False) -> np.ndarray | None:
    """Update relative hazards and the ledger for today; with ``need_hazard``, return each person's
    hazard per year (0 if dead), for drawing deaths.

    The counterfactual sums need no extra pass: baseline hazard is summed within the four exposure
    groups (neither, isolated, lonely, both), and each counterfactual reweights those four sums.
    """
    rr_g, _, _ = exposure_table(cfg)
    hazard = np.zeros(people.n) if need_hazard else np.zeros(0)
    mu_sum, count = _ledger_day(people.age, people.sex, people.alive, people.isolated, people.lonely, rr_g,
                                people.relative_hazard, hazard, hazard_table(cfg), 1.0 / TABLE_STEP_YEARS)
    ledger.add_day(mu_sum, count)
    return hazard if need_hazard else None


@pjit
def _ledger_day(age, sex, alive, isolated, lonely, rr_g, relative_hazard, hazard, table, per_year):
    """Per exposure group: summed baseline hazard and head count of the living (fixed blocks of people,
    summed in order, so any number of threads gives the same bits); sets relative hazards (and hazards)."""
    n = age.size
    blocks = (n + BLOCK - 1) // BLOCK
    partial = np.zeros((blocks, 8))
    last = table.shape[1] - 2
    for blk in numba.prange(blocks):
        s = partial[blk]
        for i in range(blk * BLOCK, min((blk + 1) * BLOCK, n)):
            g = (1 if isolated[i] else 0) + (2 if lonely[i] else 0)
            relative_hazard[i] = rr_g[g]
            if not alive[i]:
                continue
            x = max(age[i], 0.0) * per_year
            k = min(int(x), last)
            frac = min(x - k, 1.0)
            mu0 = table[sex[i], k] + (table[sex[i], k + 1] - table[sex[i], k]) * frac
            s[g] += mu0
            s[4 + g] += 1.0
            if hazard.size:
                hazard[i] = mu0 * rr_g[g]
    sums = np.zeros(8)
    for blk in range(blocks):
        sums += partial[blk]
    return sums[:4], sums[4:]


def draw_deaths(hazard_per_year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ids of people who die today: probability 1 - exp(-μ·dt) each."""
    return np.flatnonzero(rng.random(hazard_per_year.size) < -np.expm1(-hazard_per_year / DAYS_PER_YEAR))


def proxies(ledger: RiskLedger, cfg: MortalityConfig, n_people: int | None = None) -> dict[str, float]:
    """The mortality-risk proxies of a run (all per the run's person-time), under ``cfg``'s hazard ratios
    and combination rule: a pure function of the ledger, so any ratios can be evaluated afterwards.

    ``n_people`` is accepted for backward compatibility and not used.
    """
    rr_g, rr_no_iso, rr_no_lon = exposure_table(cfg)
    h, days = ledger.hazard_years, ledger.person_days
    person_days = float(days.sum())
    py = person_days / DAYS_PER_YEAR
    expected = float(h @ rr_g)
    no_iso, no_lon, connected = float(h @ rr_no_iso), float(h @ rr_no_lon), float(h.sum())
    e = max(expected, 1e-300)
    per_1000_py = 1000 / max(py, 1e-12)
    return {
        "person_years": py,
        "mean_relative_hazard": float(days @ rr_g) / max(person_days, 1),
        "expected_deaths": expected,
        "expected_deaths_per_1000_py": expected * per_1000_py,
        "expected_deaths_connected_per_1000_py": connected * per_1000_py,
        # Population attributable fraction against the counterfactual without the exposure.
        "paf_isolation": 1 - no_iso / e,
        "paf_loneliness": 1 - no_lon / e,
        "paf_combined": 1 - connected / e,
        "attributable_deaths_isolation_per_1000_py": (expected - no_iso) * per_1000_py,
        "attributable_deaths_loneliness_per_1000_py": (expected - no_lon) * per_1000_py,
        # Gompertz: multiplying the hazard by RR is worth ln(RR)/β years of extra ageing (science.md §1, [D]).
        "life_years_lost_per_1000": 1000 * float(days @ np.log(rr_g)) / max(person_days, 1) / cfg.gompertz_b_per_year,
    }
