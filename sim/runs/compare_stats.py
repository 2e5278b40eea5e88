"""The read-outs of a comparison, from the tracks of each arm and its control (docs/programmes.md).

**As a trial would see it.** The eligible are the people the arm's targeting rule enrolled on its start
day. They are randomised 1:1 (:func:`sim.runs.tracking.trial_allocation`); the programme group's answers
come from the arm's town, the usual-life group's from the control town — the same people, the same
random numbers until the start, and the same survey error streams — so each eligible person has both
potential outcomes and the randomisation decides which one the trial sees. There is no contamination of
the usual-life group by the programme (as in a trial whose participants are scattered over a city).
Per time point and replicate: Hedges' g of the surveyed UCLA-3 (programme − usual life, pooled SD; negative
= less lonely) with its standard error, and the raw difference in UCLA-3 points; replicates are pooled by
DerSimonian–Laird random effects (each replicate is a trial in another town).

**As a policy.** The whole town with the programme against the control town, over the horizon window
[start, start + horizon): the daily difference in expected deaths (the ledger's hazard-years by exposure
group times each group's relative hazard), in loneliness-free person-days, and the prevalences. Beyond the
simulated days the daily differences are extrapolated (:func:`window_total`). Deaths averted and life-years
gained carry two uncertainties: the published hazard-ratio intervals (log-normal draws around the
scenario's ratios, SE from the interval's width) and replicate noise (for each draw, a normal error with
the replicates' standard error of the mean); the interval is the 2.5–97.5 percentiles over the draws.
Life-years gained: each person's expected deaths averted (in the simulated window) times the remaining
life expectancy (baseline life table) at their age in the middle of the window; deaths averted in the
extrapolated tail count with the same mean life expectancy.
**Spillover**: the paired difference (arm town − control town, same people) in latent loneliness (the
state the UCLA-3 measures, without its measurement error) among the non-enrolled one and two ties from
someone enrolled on the start day, in SDs of the control town's values for the same people: at the end of
the programme and at the last follow-up.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim import mortality
from sim._core import DAYS_PER_YEAR
from sim.config import Scenario

Z95 = 1.959963984540054


# =========================================================================== small statistics
def hedges_g(y1: np.ndarray, y0: np.ndarray) -> tuple[float, float, float, float]:
    """(g, its standard error, raw mean difference, its standard error) of group 1 against group 0.

    >>> g, se, d, sed = hedges_g(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    >>> round(g, 3), round(d, 3)
    (-0.8, -1.0)
    """
    n1, n0 = y1.size, y0.size
    if n1 < 2 or n0 < 2:
        return (math.nan,) * 4
    diff = float(y1.mean() - y0.mean())
    v1, v0 = float(y1.var(ddof=1)), float(y0.var(ddof=1))
    sd = math.sqrt(((n1 - 1) * v1 + (n0 - 1) * v0) / (n1 + n0 - 2))
    j = 1 - 3 / (4 * (n1 + n0) - 9)  # small-sample correction
    g = j * diff / sd if sd > 0 else math.nan
    se = math.sqrt((n1 + n0) / (n1 * n0) + g * g / (2 * (n1 + n0))) if sd > 0 else math.nan
    return g, se, diff, math.sqrt(v1 / n1 + v0 / n0)


def random_effects(est: np.ndarray, se: np.ndarray) -> tuple[float, float, float]:
    """DerSimonian–Laird pooled estimate and 95% interval of independent estimates with standard errors.

    >>> e, lo, hi = random_effects(np.array([0.2, 0.2]), np.array([0.1, 0.1]))
    >>> round(e, 3), round(lo, 3), round(hi, 3)
    (0.2, 0.061, 0.339)
    """
    est, se = np.asarray(est, float), np.asarray(se, float)
    ok = np.isfinite(est) & np.isfinite(se) & (se > 0)
    est, se = est[ok], se[ok]
    if est.size == 0:
        return (math.nan,) * 3
    w = 1 / se**2
    fixed = float((w * est).sum() / w.sum())
    q = float((w * (est - fixed) ** 2).sum())
    tau2 = max(0.0, (q - (est.size - 1)) / (w.sum() - (w**2).sum() / w.sum())) if est.size > 1 else 0.0
    w = 1 / (se**2 + tau2)
    pooled = float((w * est).sum() / w.sum())
    half = Z95 / math.sqrt(float(w.sum()))
    return pooled, pooled - half, pooled + half


def mean_ci(values) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the mean across replicates (the mean itself thrice for one value)."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (math.nan,) * 3
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


# =========================================================================== hazard ratios and life expectancy
def hr_draws(scenario: Scenario, count: int) -> np.ndarray:
    """``count`` x 4 relative hazards of the exposure groups (none, isolated, lonely, both): row 0 at the
    scenario's hazard ratios, the others with log ratios drawn around them (SD from the published 95%
    intervals' widths, comparison.hr_*_interval), combined by ``mortality.combination``. Seeded by the seed."""
    cfg, comp = scenario.mortality, scenario.comparison
    rng = np.random.default_rng([scenario.seed, 12])
    sd_iso = math.log(comp.hr_isolation_interval[1] / comp.hr_isolation_interval[0]) / (2 * Z95)
    sd_lon = math.log(comp.hr_loneliness_interval[1] / comp.hr_loneliness_interval[0]) / (2 * Z95)
    hi = np.exp(math.log(cfg.hr_isolation) + sd_iso * rng.standard_normal(count))
    hl = np.exp(math.log(cfg.hr_loneliness) + sd_lon * rng.standard_normal(count))
    hi[0], hl[0] = cfg.hr_isolation, cfg.hr_loneliness
    iso = np.array([False, True, False, True])
    lon = np.array([False, False, True, True])
    return np.stack([mortality.combine(iso, lon, a, b, cfg.combination) for a, b in zip(hi, hl)])


def life_expectancy(age: np.ndarray, sex: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Remaining life expectancy, years, at ``age`` under the baseline hazard (relative hazard 1), by sex."""
    table = mortality.hazard_table(scenario.mortality)  # rows: sex; columns: a 0.01-year age grid
    step = mortality.TABLE_STEP_YEARS
    cum = np.concatenate([np.zeros((2, 1)), np.cumsum(table[:, :-1] * step, axis=1)], axis=1)
    surv = np.exp(-cum)
    # e(a) = ∫_a^max S(x) dx / S(a), by the trapezium rule on the grid
    area = np.concatenate([np.cumsum(((surv[:, 1:] + surv[:, :-1]) * step / 2)[:, ::-1], axis=1)[:, ::-1],
                           np.zeros((2, 1))], axis=1)
    k = np.clip((np.asarray(age, float) / step).astype(np.int64), 0, table.shape[1] - 1)
    s = np.asarray(sex, np.int64)
    return area[s, k] / surv[s, k]


# =========================================================================== the horizon
def window_total(diff: np.ndarray, start: int, end_programme: int, horizon: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum over the horizon window [start, start + horizon) of a daily difference (days x draws): the
    simulated part and the extrapolated tail, each per draw.

    The tail (when the window runs past the last simulated day T) continues the difference from its level
    over the last L days, L = min(182, max(30, (T - end of programme) // 2)): if over the last 2L days the
    difference fell in size without changing sign, it decays exponentially at the rate seen
    (b / a = exp(-λL), a and b the means of the two L-day stretches); otherwise it is held at b.
    """
    diff = np.asarray(diff, float)
    if diff.ndim == 1:
        diff = diff[:, None]
    stop = min(start + horizon, days)
    simulated = diff[start:stop].sum(axis=0)
    remaining = start + horizon - days
    if remaining <= 0:
        return simulated, np.zeros_like(simulated)
    span = int(min(182, max(30, (days - end_programme) // 2)))
    span = max(1, min(span, (days - start) // 2))
    b = diff[days - span:days].mean(axis=0)
    a = diff[days - 2 * span:days - span].mean(axis=0)
    decaying = (np.sign(a) == np.sign(b)) & (np.abs(b) < np.abs(a)) & (b != 0)
    rate = np.zeros_like(b)
    rate[decaying] = np.log(np.abs(a[decaying]) / np.abs(b[decaying])) / span
    safe = np.where(rate > 0, rate, 1.0)
    # b is the mean of f(T) e^{λj}, j = 1..span: the level on day T (the first day not simulated) is
    # f(T) = b span (e^λ - 1) / (e^λ (e^{λ span} - 1)); the tail is Σ_{k < remaining} f(T) e^{-λk}
    level = b * span * np.expm1(safe) / (np.exp(safe) * np.expm1(safe * span))
    tail = np.where(rate > 0, level * -np.expm1(-safe * remaining) / -np.expm1(-safe), b * remaining)
    return simulated, tail


def draws_interval(per_replicate: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Point (replicate mean under the scenario's ratios, column 0) and 95% interval carrying both the
    hazard-ratio draws (columns) and replicate noise (rows): per draw, the replicate mean plus a normal
    error with the replicates' standard error of the mean; the 2.5 and 97.5 percentiles over draws."""
    m = np.asarray(per_replicate, float)
    if m.ndim == 1:
        m = m[:, None]
    point = float(m[:, 0].mean())
    means = m.mean(axis=0)
    if m.shape[0] > 1:
        sem = m.std(axis=0, ddof=1) / math.sqrt(m.shape[0])
        means = means + sem * np.random.default_rng([seed, 13]).standard_normal(means.size)
    if means.size < 2:
        return point, point, point
    return point, float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def replicate_draws(per_replicate: np.ndarray, seed: int) -> np.ndarray:
    """The draws :func:`draws_interval` takes its percentiles of (for the probability an arm is best)."""
    m = np.asarray(per_replicate, float)
    means = m.mean(axis=0)
    if m.shape[0] > 1:
        sem = m.std(axis=0, ddof=1) / math.sqrt(m.shape[0])
        means = means + sem * np.random.default_rng([seed, 13]).standard_normal(means.size)
    return means


# =========================================================================== one arm, one replicate
def _alive_answers(people: pd.DataFrame, day: int | None) -> np.ndarray:
    if day is None or f"ucla3_{day}" not in people:
        return np.full(len(people), np.nan)
    y = people[f"ucla3_{day}"].to_numpy().astype(float)
    return np.where(y > 0, y, np.nan)  # 0 = dead


def trial_readout(arm_people: pd.DataFrame, ctrl_people: pd.DataFrame, day: int | None) -> dict[str, float]:
    """The simulated trial at one time point: programme group's answers from the arm's town, usual life's
    from the control town."""
    alloc = arm_people["trial"].to_numpy()
    ya, yc = _alive_answers(arm_people, day), _alive_answers(ctrl_people, day)
    y1 = ya[alloc == 1]
    y0 = yc[alloc == 0]
    y1, y0 = y1[np.isfinite(y1)], y0[np.isfinite(y0)]
    g, se, diff, se_diff = hedges_g(y1, y0)
    # The simulation knows both potential outcomes of every eligible person: the paired effect (the same people in
    # the arm's town minus in the control town, same survey-error streams), in SDs of the control's answers, has no
    # randomisation imbalance — a trial of a few hundred a town (SMD SE ~0.09) cannot see effects below ~0.05
    # (docs/programmes.md: why a smile campaign's trial SMD can come out positive).
    both = (alloc >= 0) & np.isfinite(ya) & np.isfinite(yc)
    sd_c = float(yc[both].std(ddof=1)) if both.sum() > 1 else math.nan
    delta = (ya - yc)[both]
    paired = float(delta.mean()) / sd_c if sd_c > 0 else math.nan
    paired_se = float(delta.std(ddof=1)) / math.sqrt(delta.size) / sd_c if sd_c > 0 and delta.size > 1 else math.nan
    return {"g": g, "se": se, "diff": diff, "se_diff": se_diff, "paired": paired, "paired_se": paired_se,
            "n_programme": y1.size, "n_usual": y0.size,
            "mean_programme": float(y1.mean()) if y1.size else math.nan,
            "mean_usual": float(y0.mean()) if y0.size else math.nan}


def policy_readout(arm_people: pd.DataFrame, arm_days: pd.DataFrame, ctrl_people: pd.DataFrame,
                   ctrl_days: pd.DataFrame, start: int, end_programme: int, checkpoint: int, horizon: int,
                   end_day: int | None, later_day: int | None, rr: np.ndarray, scenario: Scenario) -> dict[str, Any]:
    """One replicate's policy read-outs of one arm (deaths and life-years per hazard-ratio draw: arrays)."""
    days = len(arm_days)
    enrolled = arm_people["enrolled"].to_numpy()
    n_enrolled = int(enrolled.sum())
    residents = int(ctrl_days["alive"].iloc[max(start - 1, 0)])
    hy_cols = [f"hazard_years_{g}" for g in range(4)]
    d_deaths = (ctrl_days[hy_cols].to_numpy() - arm_days[hy_cols].to_numpy()) @ rr.T  # days x draws
    sim_deaths, tail_deaths = window_total(d_deaths, start, end_programme, horizon, days)
    free = lambda d: (d["alive"] - d["lonely"]).to_numpy(float)  # noqa: E731
    sim_lfd, tail_lfd = window_total(free(arm_days) - free(ctrl_days), start, end_programme, horizon, days)
    # per person, over the simulated window (from day 0; the towns are the same before the start)
    hy = lambda p: np.stack([p[f"hy{g}_{checkpoint}"].to_numpy() for g in range(4)], axis=1)  # noqa: E731
    person = (hy(ctrl_people) - hy(arm_people)) @ rr.T  # people x draws: expected deaths averted
    mid_age = arm_people["age0"].to_numpy(float) + (start + (checkpoint - start) / 2) / DAYS_PER_YEAR
    e = life_expectancy(mid_age, arm_people["sex"].to_numpy(), scenario)
    weights = hy(ctrl_people)[enrolled] @ rr[0]
    e_tail = float((e[enrolled] * weights).sum() / weights.sum()) if weights.sum() > 0 else float(e.mean())
    life_years = (person * e[:, None]).sum(axis=0) + tail_deaths * e_tail
    ring = arm_people["ring"].to_numpy()
    out: dict[str, Any] = {
        "enrolled": n_enrolled, "residents": residents,
        "deaths_averted": sim_deaths + tail_deaths, "deaths_averted_simulated": sim_deaths,
        "deaths_averted_enrolled_simulated": person[enrolled].sum(axis=0),
        "deaths_averted_first_degree_simulated": person[ring == 1].sum(axis=0),
        "deaths_averted_second_degree_simulated": person[ring == 2].sum(axis=0),
        "life_years": life_years,
        "loneliness_free_years": float((sim_lfd + tail_lfd)[0]) / DAYS_PER_YEAR,
        "extrapolated_share": float(max(start + horizon - days, 0) / horizon),
    }
    prev = lambda d, col, t: float(d[col].iloc[t] / max(d["alive"].iloc[t], 1))  # noqa: E731
    stop = min(checkpoint, days)
    for col in ("lonely", "isolated"):
        t = min(end_programme - 1, days - 1)
        out[f"{col}_prevalence_change_end"] = prev(arm_days, col, t) - prev(ctrl_days, col, t)
        a = (arm_days[col] / arm_days["alive"].clip(lower=1)).to_numpy()[start:stop]
        c = (ctrl_days[col] / ctrl_days["alive"].clip(lower=1)).to_numpy()[start:stop]
        out[f"{col}_prevalence_change_window"] = float((a - c).mean()) if a.size else math.nan
    for when, day in (("", end_day), ("_later", later_day)):
        if day is None or f"loneliness_{day}" not in arm_people:
            for label in ("first_degree", "second_degree"):
                out[f"spillover_{label}{when}"] = math.nan
            continue
        alive = np.isfinite(_alive_answers(arm_people, day)) & np.isfinite(_alive_answers(ctrl_people, day))
        xa, xc = arm_people[f"loneliness_{day}"].to_numpy(float), ctrl_people[f"loneliness_{day}"].to_numpy(float)
        for r, label in ((1, "first_degree"), (2, "second_degree")):
            sel = (ring == r) & alive
            sd = float(np.std(xc[sel], ddof=1)) if sel.sum() > 1 else math.nan
            out[f"spillover_{label}{when}"] = float((xa[sel] - xc[sel]).mean()) / sd if sd > 0 else math.nan
            out[f"spillover_{label}_people"] = int((ring == r).sum())
    return out
