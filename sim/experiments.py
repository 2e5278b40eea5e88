"""Validation experiments: hold the model against published results (issue 6, docs/validation.md).

One function per study; each takes the experiment's parameters (a dict read from
``experiments/<name>.yaml``), runs its replicates itself with :class:`sim.simulation.Simulation`
(replicate ``r`` seeds the run, in a process pool), and returns a :class:`StudyResult`: the rows of
the validation table (model beside published), a per-study table, and a figure.

Studies
1. ``mortality`` — a closed cohort followed with simulated deaths; Cox models (lifelines) of
   baseline isolation and loneliness adjusted for age and sex, against Wang et al. 2023; the same
   under other configured ratios and combination rules; the life-expectancy gap between the
   persistently isolated and the connected against ln(HR)/β.
2. ``big_joy`` — the Big Joy week: pre→post standardised change of the enrolled, the people
   around them, and how long it lasts.
3. ``baselines`` — loneliness and isolation prevalence by age group after burn-in.
4. ``contagion`` — SISa asymmetry with smiles and kind acts off: per-tie transmission rates and
   mean time in the content and discontent states, estimated from the simulated transitions.
5. ``dose_response`` — expected deaths per 1,000 person-years across isolation levels at both
   ends of the hazard-ratio intervals.

Interval conventions (model_low / model_high): for hazard ratios the 95% CI of the Cox estimate
pooled over replicates (stratified by replicate); elsewhere the 95% t-interval of the mean across
replicates. ``inside`` says whether the model's point estimate lies in the published interval.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import yaml

from sim.config import Scenario, load_scenario

REPO = Path(__file__).resolve().parent.parent
VALIDATION_COLUMNS = ["study", "quantity", "published_low", "published_high", "model_estimate",
                      "model_low", "model_high", "inside"]
STUDY_ORDER = ["mortality", "big_joy", "baselines", "contagion", "dose_response"]
DAYS_PER_YEAR = 365.0


@dataclass
class StudyResult:
    study: str
    rows: list[dict[str, Any]]                 # validation rows (VALIDATION_COLUMNS + reference)
    table: pd.DataFrame                        # the study's own table
    figure: Callable[[Path], None] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


# =========================================================================== helpers
def row(study: str, quantity: str, low: float | None, high: float | None, est: float,
        mlo: float | None = None, mhi: float | None = None, reference: str = "") -> dict[str, Any]:
    inside = None if low is None or high is None or not np.isfinite(est) else bool(low <= est <= high)
    return {"study": study, "quantity": quantity, "published_low": low, "published_high": high,
            "model_estimate": est, "model_low": mlo, "model_high": mhi, "inside": inside, "reference": reference}


def mean_ci(values) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the mean across replicates."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


def base_scenario(exp: dict, overrides: dict | None = None) -> Scenario:
    """The experiment's scenario: ``scenario`` (a YAML path, relative to the repo) plus ``set`` overrides."""
    path = exp.get("scenario")
    sets = dict(exp.get("set") or {})
    sets.update(overrides or {})
    if path:
        p = Path(path)
        if not p.is_absolute():
            p = REPO / p
        return load_scenario(p, sets)
    return Scenario().with_overrides(sets)


def pmap(fn: Callable, args: list, workers: int) -> list:
    """Map over a process pool or serially when workers <= 1 or one task.

    Workers are spawned, not forked (the compiled kernels' OpenMP runtime cannot be forked once
    used), and each gets an equal share of the cores for its kernels.
    """
    if workers <= 1 or len(args) <= 1:
        return [fn(a) for a in args]
    from sim.dynamics._jit import set_threads

    workers = min(workers, len(args))
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=set_threads, initargs=(max(1, (os.cpu_count() or 1) // workers),)) as pool:
        return pool.map(fn, args, chunksize=1)


def _scenario_from_json(data: dict) -> Scenario:
    return Scenario.model_validate(data)


# =========================================================================== 1. mortality
def cohort_run(args: tuple[dict, int, int]) -> dict[str, np.ndarray]:
    """Follow one simulated cohort with deaths on; per person: baseline exposure, outcome, the share
    of follow-up days spent isolated, lonely and both, and the same shares over the first
    ``landmark`` days (the exposure window of the landmark analysis)."""
    from sim.simulation import Simulation

    data, replicate, landmark = args
    sc = _scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    p = sim.people
    n = sim.n
    age0, male = p.age.astype(np.float64).copy(), (p.sex == 1).astype(np.int8)
    iso0, lon0 = p.isolated.copy(), p.lonely.copy()
    days_alive = np.zeros(n, np.int32)
    days_iso = np.zeros(n, np.int32)
    days_lon = np.zeros(n, np.int32)
    days_both = np.zeros(n, np.int32)
    window: dict[str, np.ndarray] = {}
    for day in range(sc.days):
        if day == landmark:
            window = {"alive_landmark": p.alive.astype(np.int8).copy(),
                      "window_isolated": days_iso / np.maximum(days_alive, 1),
                      "window_lonely": days_lon / np.maximum(days_alive, 1)}
        a = p.alive.copy()
        sim.step()
        # state after the day (the day's dead count as not exposed on their last day: negligible)
        days_alive += a
        days_iso += a & p.isolated
        days_lon += a & p.lonely
        days_both += a & p.isolated & p.lonely
    died = p.death_day >= 0
    dur = np.where(died, p.death_day + 1, sc.days).astype(np.float64)
    denom = np.maximum(days_alive, 1)
    return {"replicate": np.full(n, replicate, np.int16), "age0": age0, "male": male,
            "isolated0": iso0.astype(np.int8), "lonely0": lon0.astype(np.int8),
            "event": died.astype(np.int8), "duration": dur,
            "frac_isolated": days_iso / denom, "frac_lonely": days_lon / denom, "frac_both": days_both / denom,
            **window}


def cox_hr(df: pd.DataFrame, exposures: list[str], adjust: tuple[str, ...] = ("age0", "male"),
           strata: str | None = "replicate") -> dict[str, tuple[float, float, float]]:
    """Hazard ratio (95% CI) of each exposure from one lifelines Cox model, adjusted for ``adjust``."""
    from lifelines import CoxPHFitter

    cols = ["duration", "event", *exposures, *adjust]
    if strata and df[strata].nunique() > 1:
        cols.append(strata)
    d = df[cols].copy()
    cph = CoxPHFitter()
    cph.fit(d, duration_col="duration", event_col="event",
            strata=[strata] if strata and strata in d.columns else None)
    s = cph.summary
    return {e: (float(s.loc[e, "exp(coef)"]), float(s.loc[e, "exp(coef) lower 95%"]),
                float(s.loc[e, "exp(coef) upper 95%"])) for e in exposures}


def predicted_marginal_hr(df: pd.DataFrame, hr_iso: float, hr_lon: float, rule: str) -> tuple[float, float]:
    """What a baseline-exposure Cox model should find, from the time each person spent in each state:
    ratio of mean follow-up relative hazard, exposed vs not at baseline (small-hazard approximation)."""
    fi, fl, fb = df["frac_isolated"].to_numpy(), df["frac_lonely"].to_numpy(), df["frac_both"].to_numpy()
    rr = expected_rr(fi, fl, fb, hr_iso, hr_lon, rule)
    iso, lon = df["isolated0"].to_numpy() == 1, df["lonely0"].to_numpy() == 1
    return float(rr[iso].mean() / rr[~iso].mean()), float(rr[lon].mean() / rr[~lon].mean())


def expected_rr(fi, fl, fb, hr_iso: float, hr_lon: float, rule: str) -> np.ndarray:
    from sim.mortality import combine

    t, f = np.array([True]), np.array([False])
    r11 = float(combine(t, t, hr_iso, hr_lon, rule)[0])
    return (1 - fi - fl + fb) + (fi - fb) * hr_iso + (fl - fb) * hr_lon + fb * r11


def life_expectancy(age: float, rr: float, baseline: str = "life_table", male_share: float = 0.49,
                    horizon: float = 120.0) -> float:
    """Remaining life expectancy at ``age`` under the model's baseline hazard times a constant RR
    (sex-weighted average of the male and female curves)."""
    from sim.config import MortalityConfig
    from sim.mortality import baseline_hazard

    cfg = MortalityConfig(baseline=baseline)
    ages = np.arange(age, horizon, 0.01)
    out = 0.0
    for sex, w in ((1, male_share), (0, 1 - male_share)):
        mu = baseline_hazard(ages.astype(np.float32), np.full(ages.size, sex, np.int8), cfg) * rr
        cum = np.concatenate([[0.0], np.cumsum(mu[:-1] * 0.01)])
        out += w * float(np.sum(np.exp(-cum)) * 0.01)
    return out


def life_expectancy_rows(age: float, hp: tuple[float, float, float], pub_hr: list[float], beta: float) -> list[dict]:
    """Two rows for the persistently isolated vs the connected, from their Cox HR (point, low, high):
    the Gompertz 'extra ageing' ln(HR)/β against ln(1.26..1.39)/β, and the life-expectancy gap at
    ``age`` under the model's own life table against the same gap for Wang 2023's HR interval."""
    e0 = life_expectancy(age, 1.0)
    gap = [e0 - life_expectancy(age, h) for h in hp]
    pub_gap = [e0 - life_expectancy(age, pub_hr[0]), e0 - life_expectancy(age, pub_hr[2])]
    ref = "[D] Wang 2023 HR 1.26–1.39; Gompertz β = 0.0792/yr (science.md §1)"
    return [
        row("mortality", "extra ageing ln(HR)/β, persistently isolated vs connected (years)",
            math.log(pub_hr[0]) / beta, math.log(pub_hr[2]) / beta, *(math.log(h) / beta for h in hp), ref),
        row("mortality", f"life-expectancy gap at {age:.0f}, persistently isolated vs connected (years, model life table)",
            pub_gap[0], pub_gap[1], *gap, ref + "; same life table"),
    ]


def _cohort_frame(sc: Scenario, replicates: int, workers: int, landmark: int = -1) -> pd.DataFrame:
    data = sc.model_dump(mode="json")
    parts = pmap(cohort_run, [(data, r, landmark) for r in range(replicates)], workers)
    return pd.concat([pd.DataFrame(x) for x in parts], ignore_index=True)


def study_mortality(exp: dict, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    t0 = time.perf_counter()
    pub = exp["published"]
    variants = exp.get("variants", [])
    base = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 4))
    beta = base.mortality.gompertz_b_per_year
    ref = "Wang et al. 2023, Nat Hum Behav 7:1307"

    records, frames = [], {}
    landmark = int(exp.get("landmark_days", 365))
    all_variants = [{"label": "default", "set": {}, "replicates": reps}] + variants
    for v in all_variants:
        sc = base.with_overrides(dict(v.get("set") or {})) if v.get("set") else base
        df = _cohort_frame(sc, int(v.get("replicates", reps)), workers, landmark if v["label"] == "default" else -1)
        frames[v["label"]] = df
        m = sc.mortality
        hr = cox_hr(df, ["isolated0"]) | cox_hr(df, ["lonely0"])
        both = cox_hr(df, ["isolated0", "lonely0"])
        pi, pl = predicted_marginal_hr(df, m.hr_isolation, m.hr_loneliness, m.combination)
        records.append({
            "variant": v["label"], "combination": m.combination, "hr_isolation_set": m.hr_isolation,
            "hr_loneliness_set": m.hr_loneliness, "people": len(df), "deaths": int(df["event"].sum()),
            "isolated_at_start": float(df["isolated0"].mean()), "lonely_at_start": float(df["lonely0"].mean()),
            "lonely_given_isolated": float(df.loc[df["isolated0"] == 1, "lonely0"].mean()),
            "isolated_given_lonely": float(df.loc[df["lonely0"] == 1, "isolated0"].mean()),
            # exposure persistence: share of follow-up spent in the state, by baseline exposure
            "frac_isolated_if_isolated0": float(df.loc[df["isolated0"] == 1, "frac_isolated"].mean()),
            "frac_isolated_if_not": float(df.loc[df["isolated0"] == 0, "frac_isolated"].mean()),
            "frac_lonely_if_lonely0": float(df.loc[df["lonely0"] == 1, "frac_lonely"].mean()),
            "frac_lonely_if_not": float(df.loc[df["lonely0"] == 0, "frac_lonely"].mean()),
            "hr_isolated": hr["isolated0"][0], "hr_isolated_low": hr["isolated0"][1], "hr_isolated_high": hr["isolated0"][2],
            "hr_lonely": hr["lonely0"][0], "hr_lonely_low": hr["lonely0"][1], "hr_lonely_high": hr["lonely0"][2],
            "hr_isolated_mutual": both["isolated0"][0], "hr_lonely_mutual": both["lonely0"][0],
            "predicted_hr_isolated": pi, "predicted_hr_lonely": pl,
        })
    table = pd.DataFrame(records)
    d = table.iloc[0]

    # Life-expectancy gap: persistently isolated vs connected, in the default cohort. Landmark design:
    # exposure is classified over the first ``landmark_days`` (never on the future), and deaths are
    # counted afterwards among those alive at the landmark.
    df = frames["default"]
    thr = float(exp.get("persistent_threshold", 0.9))
    lm = df[df["alive_landmark"] == 1]
    persist = (lm["isolated0"] == 1) & (lm["window_isolated"] >= thr)
    connected = (lm["isolated0"] == 0) & (lm["lonely0"] == 0) & (lm["window_isolated"] == 0) & (lm["window_lonely"] == 0)
    sub = lm[persist | connected].assign(persistently_isolated=persist[persist | connected].astype(np.int8),
                                         duration=lambda x: x["duration"] - landmark)
    hp = cox_hr(sub, ["persistently_isolated"])["persistently_isolated"]
    le_age = float(exp.get("life_expectancy_age", 50))
    e0 = life_expectancy(le_age, 1.0)
    gap = [e0 - life_expectancy(le_age, h) for h in hp]
    le = {"persistent_n": int(persist.sum()), "connected_n": int(connected.sum()),
          "hr_persistent_vs_connected": hp[0], "hr_low": hp[1], "hr_high": hp[2],
          "gap_years": gap[0], "gap_low": gap[1], "gap_high": gap[2],
          "gompertz_gap_of_this_hr": math.log(hp[0]) / beta,
          "gompertz_gap_published": math.log(pub["hr_isolation"][1]) / beta,
          "mean_rr_persistent": float(expected_rr(lm.loc[persist, "frac_isolated"], lm.loc[persist, "frac_lonely"],
                                                  lm.loc[persist, "frac_both"], base.mortality.hr_isolation,
                                                  base.mortality.hr_loneliness, base.mortality.combination).mean())}

    rows = [
        row("mortality", "HR isolated vs not (Cox, age+sex adjusted), defaults", pub["hr_isolation"][0],
            pub["hr_isolation"][2], d["hr_isolated"], d["hr_isolated_low"], d["hr_isolated_high"], ref),
        row("mortality", "HR lonely vs not (Cox, age+sex adjusted), defaults", pub["hr_loneliness"][0],
            pub["hr_loneliness"][2], d["hr_lonely"], d["hr_lonely_low"], d["hr_lonely_high"], ref),
        *life_expectancy_rows(le_age, hp, pub["hr_isolation"], beta),
    ]
    for _, r in table.iloc[1:].iterrows():
        if r["variant"].startswith(("calibrated", "default town")) or r["combination"] != "multiplicative" and \
                (r["hr_isolation_set"], r["hr_loneliness_set"]) == (d["hr_isolation_set"], d["hr_loneliness_set"]):
            rows.append(row("mortality", f"HR isolated vs not, {r['variant']}", pub["hr_isolation"][0],
                            pub["hr_isolation"][2], r["hr_isolated"], r["hr_isolated_low"], r["hr_isolated_high"], ref))
            rows.append(row("mortality", f"HR lonely vs not, {r['variant']}", pub["hr_loneliness"][0],
                            pub["hr_loneliness"][2], r["hr_lonely"], r["hr_lonely_low"], r["hr_lonely_high"], ref))

    notes = [f"cohort: {len(df):,} people over {reps} replicates, {int(df['event'].sum()):,} deaths; "
             f"{d['isolated_at_start']:.1%} isolated and {d['lonely_at_start']:.1%} lonely at baseline; "
             f"{d['lonely_given_isolated']:.1%} of the isolated are also lonely",
             f"persistently isolated (isolated at start and >= {thr:.0%} of the first {landmark} days, alive then; "
             f"deaths counted afterwards): n={le['persistent_n']}, "
             f"HR vs connected {hp[0]:.2f} ({hp[1]:.2f}-{hp[2]:.2f}), mean configured RR {le['mean_rr_persistent']:.2f}; "
             f"life-expectancy gap at {le_age:.0f} {gap[0]:.2f} y (model life table) vs ln(HR)/β = "
             f"{le['gompertz_gap_of_this_hr']:.2f} y and {le['gompertz_gap_published']:.2f} y for the published 1.32"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
        ax = axes[0]
        y = np.arange(len(table))
        for k, (col, color, band) in enumerate((("hr_isolated", "C0", pub["hr_isolation"]),
                                                 ("hr_lonely", "C1", pub["hr_loneliness"]))):
            ax.axvspan(band[0], band[2], color=color, alpha=0.15,
                       label=f"Wang 2023 {'isolation' if k == 0 else 'loneliness'} {band[0]}–{band[2]}")
            ax.errorbar(table[col], y + (0.15 if k else -0.15),
                        xerr=[table[col] - table[col + "_low"], table[col + "_high"] - table[col]],
                        fmt="o", color=color, label=f"model: {'isolated' if k == 0 else 'lonely'} vs not")
        ax.set_yticks(y, [f"{r.variant}\n({r.combination}, {r.hr_isolation_set:g}/{r.hr_loneliness_set:g})"
                          for r in table.itertuples()], fontsize=7)
        ax.axvline(1, color="grey", lw=0.5)
        ax.invert_yaxis()
        ax.set_xlabel("hazard ratio (Cox, age+sex adjusted, baseline exposure)")
        ax.set_title("Simulated cohort vs Wang et al. 2023")
        ax.legend(fontsize=7, loc="center right")
        ax = axes[1]
        ax.plot(table["predicted_hr_isolated"], table["hr_isolated"], "o", color="C0", label="isolated vs not")
        ax.plot(table["predicted_hr_lonely"], table["hr_lonely"], "s", color="C1", label="lonely vs not")
        lim = [min(0.9, table[["hr_isolated", "hr_lonely"]].min().min()), max(table[["hr_isolated", "hr_lonely"]].max().max(), 1.7)]
        ax.plot(lim, lim, "k--", lw=0.8, label="identity")
        ax.set_xlabel("expected marginal HR from the configured ratios\nand the time spent in each state")
        ax.set_ylabel("Cox estimate from simulated deaths")
        ax.set_title("Estimates follow the configured ratios")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    le_table = pd.DataFrame([le]).assign(variant="life_expectancy_gap")
    return StudyResult("mortality", rows, pd.concat([table, le_table], ignore_index=True), figure, notes,
                       time.perf_counter() - t0)


# =========================================================================== 2. Big Joy week
def big_joy_run(args: tuple[dict, int, int]) -> dict[str, Any]:
    """One Big Joy run: pre/post states of the enrolled, their neighbours and the others, and the
    daily mean mood of each group (for persistence)."""
    from sim.population import CONTENT
    from sim.simulation import Simulation

    data, replicate, follow_days = args
    sc = _scenario_from_json(data)
    iv = sc.interventions[0]
    sim = Simulation(sc, replicate=replicate)
    p = sim.people
    start, end = iv.start_day, iv.start_day + iv.duration_days
    sim.run(start - iv.duration_days)
    smiles_before0 = p.smiles_given.copy()
    sim.run(iv.duration_days)                           # the week before the programme
    pre = {"mood": p.mood.astype(np.float64).copy(), "content": (p.emotion == CONTENT).astype(np.float64),
           "smiles_week": (p.smiles_given - smiles_before0).astype(np.float64)}
    smiles_pre_end = p.smiles_given.copy()
    daily = []
    enrolled = None
    for day in range(start, min(end + follow_days, sc.days)):
        sim.step()
        if enrolled is None:
            enrolled = sim.programmes.enrolled_mask(0).copy()
            # receivers: people not enrolled who share a tie with someone enrolled (they get ~90% of the acts)
            ids = sim.ties.active_ids()
            u, v = sim.ties.u[ids], sim.ties.v[ids]
            near = np.zeros(sim.n, bool)
            near[u[enrolled[v]]] = True
            near[v[enrolled[u]]] = True
            neighbours = near & ~enrolled
            others = ~near & ~enrolled
        if day == end - 1:
            post = {"mood": p.mood.astype(np.float64).copy(), "content": (p.emotion == CONTENT).astype(np.float64),
                    "smiles_week": (p.smiles_given - smiles_pre_end).astype(np.float64)}
        alive = p.alive
        daily.append([day - end + 1] + [float(p.mood[g & alive].mean()) for g in (enrolled, neighbours, others)])
    return {"pre": pre, "post": post, "enrolled": enrolled, "neighbours": neighbours, "others": others,
            "daily": np.array(daily), "pre_group_mood": [float(pre["mood"][g].mean()) for g in (enrolled, neighbours, others)]}


def big_joy_measures(res: dict[str, Any]) -> dict[str, float]:
    """Standardised pre→post changes of one run (see docs/validation.md, study 2, for the definitions)."""
    pre, post = res["pre"], res["post"]
    e, nb, ot = res["enrolled"], res["neighbours"], res["others"]
    out: dict[str, float] = {}
    d = post["mood"] - pre["mood"]
    sd_pre = pre["mood"][e].std(ddof=1)
    out["mood_d_smc"] = d[e].mean() / sd_pre                      # standardised mean change (pre-test SD)
    out["mood_d_z_noise_free"] = d[e].mean() / d[e].std(ddof=1)    # d_z of the latent (error-free) mood
    out["mood_did_enrolled"] = (d[e].mean() - d[ot].mean()) / sd_pre
    out["mood_did_receivers"] = (d[nb].mean() - d[ot].mean()) / pre["mood"][nb].std(ddof=1)
    out["mood_change_others"] = d[ot].mean() / pre["mood"][ot].std(ddof=1)
    # relative change of mean well-being on a 0..1 rescaling of mood, beside the press figure (+26%)
    out["mood_relative_change"] = ((post["mood"][e] + 1) / 2).mean() / ((pre["mood"][e] + 1) / 2).mean() - 1
    dc = post["content"] - pre["content"]
    out["content_share_change"] = dc[e].mean()
    out["content_d_z"] = dc[e].mean() / dc[e].std(ddof=1) if dc[e].std() > 0 else 0.0
    out["content_relative_change"] = post["content"][e].mean() / max(pre["content"][e].mean(), 1e-9) - 1
    ds = post["smiles_week"] - pre["smiles_week"]
    out["smiles_d_z"] = ds[e].mean() / ds[e].std(ddof=1)
    out["smiles_relative_change"] = post["smiles_week"][e].mean() / max(pre["smiles_week"][e].mean(), 1e-9) - 1
    # persistence: the enrolled's gain over the untouched others (DiD), in pre-test SD units, by day after the week
    daily = res["daily"]
    pre_e, _, pre_o = res["pre_group_mood"]
    eff = ((daily[:, 1] - pre_e) - (daily[:, 3] - pre_o)) / sd_pre
    after = daily[:, 0]
    at_end = eff[after == 0][0]
    out["effect_end_of_week"] = at_end
    post_week = after >= 0
    below = np.flatnonzero(post_week & (eff < at_end / 2))
    out["half_life_days"] = float(after[below[0]]) if below.size else float("nan")
    for k in (7, 28):
        sel = after == k
        out[f"effect_after_{k}d"] = float(eff[sel][0]) if sel.any() else float("nan")
    return out


def study_big_joy(exp: dict, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 4))
    follow = int(exp.get("follow_days", 60))
    sc = sc.with_overrides({"days": max(sc.days, sc.interventions[0].start_day + sc.interventions[0].duration_days + follow)})
    runs = pmap(big_joy_run, [(sc.model_dump(mode="json"), r, follow) for r in range(reps)], workers)
    per = pd.DataFrame([big_joy_measures(r) for r in runs])
    summary = {c: mean_ci(per[c]) for c in per.columns}
    pub = exp["published"]
    ref = "Guevarra et al. 2025 (d_z 0.48/0.45, uncontrolled); Curry et al. 2018 (δ 0.28)"
    lo, hi = pub["controlled_delta"], pub["wellbeing_d_z"]
    rows = [
        row("big_joy", "well-being (mood), enrolled pre→post standardised change", lo, hi, *summary["mood_d_smc"], ref),
        row("big_joy", "positive emotion (content state), enrolled pre→post d_z", lo, pub["positive_emotion_d_z"],
            *summary["content_d_z"], ref),
        row("big_joy", "positive emotion (smiles given per week), enrolled pre→post d_z", lo, pub["positive_emotion_d_z"],
            *summary["smiles_d_z"], ref),
        row("big_joy", "well-being relative change, enrolled (press +26%, [S])", pub["press_wellbeing"], pub["press_wellbeing"],
            *summary["mood_relative_change"], "Greater Good Science Center release [S]"),
        row("big_joy", "positive emotions relative change, content share (press +23%, [S])", pub["press_positive"],
            pub["press_positive"], *summary["content_relative_change"], "Greater Good Science Center release [S]"),
    ]
    for r in rows[-2:]:
        r["inside"] = None  # press figures: shown beside, not a validation target
    table = pd.DataFrame([{"measure": c, "mean": v[0], "low": v[1], "high": v[2]} for c, v in summary.items()])
    daily = np.mean([r["daily"] for r in runs], axis=0)
    sd_pre = np.mean([r["pre"]["mood"][r["enrolled"]].std(ddof=1) for r in runs])
    pre_g = np.mean([r["pre_group_mood"] for r in runs], axis=0)
    iv = sc.interventions[0]
    notes = [f"{reps} replicates of {sc.population.size:,} people, {iv.coverage:.0%} enrolled ({iv.targeting}), "
             f"{iv.kind_acts_per_day:g} extra kind act/day and self_act_mood_gain {iv.self_act_mood_gain:g}",
             f"noise-free d_z of mood {summary['mood_d_z_noise_free'][0]:.2f} (the model has no measurement error "
             f"or day-to-day affect noise; see docs)",
             f"receivers (non-enrolled with a tie to an enrolled person): DiD {summary['mood_did_receivers'][0]:.3f} SD; "
             f"half-life of the enrolled's gain after the week {summary['half_life_days'][0]:.1f} days; "
             f"effect after 7 d {summary['effect_after_7d'][0]:.3f} SD, after 28 d {summary['effect_after_28d'][0]:.3f} SD"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
        ax = axes[0]
        day = daily[:, 0] - 1 + iv.duration_days  # days since the programme started (0..)
        for k, (label, color) in enumerate((("enrolled", "C2"), ("their contacts (receivers)", "C1"), ("others", "C7"))):
            ax.plot(day, (daily[:, k + 1] - pre_g[k]) / sd_pre, color=color, label=label)
        ax.axvspan(0, iv.duration_days, color="C2", alpha=0.1, label="Big Joy week")
        ax.set_xlabel("days since the start of the week")
        ax.set_ylabel("mood change from pre-test (enrolled pre-test SDs)")
        ax.set_title("Who gains, and how long it lasts")
        ax.legend(fontsize=8)
        ax = axes[1]
        names = ["mood_d_smc", "content_d_z", "smiles_d_z", "mood_did_enrolled", "mood_did_receivers"]
        labels = ["well-being\n(mood, SMC)", "positive emotion\n(content, d_z)", "smiles given\n(d_z)",
                  "well-being vs\ncontrols (DiD)", "receivers vs\ncontrols (DiD)"]
        m = [summary[n][0] for n in names]
        err = [[summary[n][0] - summary[n][1] for n in names], [summary[n][2] - summary[n][0] for n in names]]
        ax.bar(range(len(names)), m, yerr=err, color=["C2", "C2", "C2", "C0", "C1"], capsize=3)
        ax.axhspan(lo, hi, color="gold", alpha=0.3, label=f"target: δ {lo} (controlled) to d_z {hi} (uncontrolled)")
        ax.set_xticks(range(len(names)), labels, fontsize=8)
        ax.set_ylabel("standardised effect")
        ax.set_title("Big Joy week: model vs Guevarra 2025 / Curry 2018")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    return StudyResult("big_joy", rows, table, figure, notes, time.perf_counter() - t0)


# =========================================================================== 3. baselines
AGE_GROUPS = {"18+": (18, 200), "18-44": (18, 45), "45+": (45, 200), "60+": (60, 200), "65+": (65, 200)}


def baseline_run(args: tuple[dict, int]) -> dict[str, Any]:
    from sim.simulation import Simulation

    data, replicate = args
    sc = _scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    out: dict[str, Any] = {}
    for when in ("day0", "end"):
        if when == "end":
            sim.run()
        p = sim.people
        a = p.alive
        for g, (lo, hi) in AGE_GROUPS.items():
            sel = a & (p.age >= lo) & (p.age < hi)
            out[f"{when}_lonely_{g}"] = float(p.lonely[sel].mean())
            out[f"{when}_isolated_{g}"] = float(p.isolated[sel].mean())
            out[f"{when}_degree_{g}"] = float(p.degree[sel].mean())
    ts = sim.timeseries()
    out["series"] = ts[["loneliness_prevalence", "isolation_prevalence"]].to_numpy()
    return out


def study_baselines(exp: dict, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 4))
    runs = pmap(baseline_run, [(sc.model_dump(mode="json"), r) for r in range(reps)], workers)
    per = pd.DataFrame([{k: v for k, v in r.items() if k != "series"} for r in runs])
    s = {c: mean_ci(per[c]) for c in per.columns}
    pub = exp["published"]
    rows = []
    for key, quantity, group, ref in (
        ("loneliness_adults", "loneliness prevalence, adults 18+", "18+", "WHO 2025 (16%), Meta-Gallup 2023 (24%) [S]"),
        ("loneliness_45", "loneliness prevalence, adults 45+ (NASEM 35%)", "45+", "NASEM 2020"),
        ("loneliness_60", "loneliness prevalence, adults 60+ (NASEM 43%)", "60+", "NASEM 2020"),
        ("isolation_65", "isolation prevalence, adults 65+ (NASEM ~24%)", "65+", "NASEM 2020"),
    ):
        var = "isolated" if key.startswith("isolation") else "lonely"
        lo, hi = pub[key]
        rows.append(row("baselines", quantity, lo, hi, *s[f"end_{var}_{group}"], ref))
    table = pd.DataFrame([{"age_group": g, "when": w,
                           "lonely": s[f"{w}_lonely_{g}"][0], "lonely_low": s[f"{w}_lonely_{g}"][1],
                           "lonely_high": s[f"{w}_lonely_{g}"][2],
                           "isolated": s[f"{w}_isolated_{g}"][0], "isolated_low": s[f"{w}_isolated_{g}"][1],
                           "isolated_high": s[f"{w}_isolated_{g}"][2], "mean_degree": s[f"{w}_degree_{g}"][0]}
                          for w in ("day0", "end") for g in AGE_GROUPS])
    series = np.mean([r["series"] for r in runs], axis=0)
    notes = [f"{reps} replicates of {sc.population.size:,} people ({exp.get('scenario')}), burn-in {sc.burn_in_days} d, "
             f"then {sc.days} d; loneliness prevalence {series[0, 0]:.1%} on day 0 -> {series[-1, 0]:.1%} on the last day",
             "no parameter of the model depends on age (desired connection, ties, contacts, isolation targeting), "
             "so prevalence is flat across age groups"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        ax = axes[0]
        end = table[table["when"] == "end"].reset_index(drop=True)
        x = np.arange(len(end))
        ax.errorbar(x - 0.1, end["lonely"], yerr=[end["lonely"] - end["lonely_low"], end["lonely_high"] - end["lonely"]],
                    fmt="o", color="C3", label="model: lonely")
        ax.errorbar(x + 0.1, end["isolated"], yerr=[end["isolated"] - end["isolated_low"], end["isolated_high"] - end["isolated"]],
                    fmt="s", color="C0", label="model: isolated")
        for r, g, color in ((pub["loneliness_adults"], "18+", "C3"), (pub["loneliness_45"], "45+", "C3"),
                            (pub["loneliness_60"], "60+", "C3"), (pub["isolation_65"], "65+", "C0")):
            i = list(AGE_GROUPS).index(g)
            ax.fill_between([i - 0.35, i + 0.35], r[0], r[1], color=color, alpha=0.2)
        ax.set_xticks(x, end["age_group"])
        ax.set_ylabel("prevalence")
        ax.set_title("Prevalence by age group (shaded: published)")
        ax.legend(fontsize=8)
        ax = axes[1]
        ax.plot(series[:, 0], color="C3", label="loneliness prevalence")
        ax.plot(series[:, 1], color="C0", label="isolation prevalence")
        ax.axhspan(*pub["loneliness_adults"], color="C3", alpha=0.15)
        ax.set_xlabel("day after burn-in")
        ax.set_title("Drift after burn-in (mean of replicates)")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    return StudyResult("baselines", rows, table, figure, notes, time.perf_counter() - t0)


# =========================================================================== 4. contagion asymmetry
def contagion_run(args: tuple) -> dict[str, np.ndarray]:
    """Daily SISa transitions, each person-day binned by the number of content / discontent
    neighbours (active ties) at the start of the day.

    ``perturb``: after burn-in, redraw everyone's emotional state with equal shares (mood set to the
    new state's resting level), so that discontent neighbours are common enough to estimate the
    per-tie rates; the rates are per tie and do not depend on prevalence."""
    from sim.dynamics.mood import resting_mood
    from sim.population import CONTENT, DISCONTENT, NEUTRAL
    from sim.simulation import Simulation

    data, replicate, kmax = args[:3]
    perturb = bool(args[3]) if len(args) > 3 else False
    sc = _scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    p, n = sim.people, sim.n
    if perturb:
        rng = np.random.default_rng([sc.seed, replicate, 4])
        p.emotion[:] = rng.integers(0, 3, n).astype(p.emotion.dtype)
        p.mood[:] = resting_mood(p, sc.mood)
    # [k] person-days of neutral people with k content (resp. discontent) neighbours, and N→C (N→D) events
    nc_days, nc_events = np.zeros(kmax + 1), np.zeros(kmax + 1)
    nd_days, nd_events = np.zeros(kmax + 1), np.zeros(kmax + 1)
    state_days = np.zeros(3)
    exits = np.zeros(3)
    for _ in range(sc.days):
        emo = p.emotion.copy()
        alive = p.alive.copy()
        ids = sim.ties.active_ids()
        u, v = sim.ties.u[ids], sim.ties.v[ids]
        kc = (np.bincount(u, emo[v] == CONTENT, n) + np.bincount(v, emo[u] == CONTENT, n)).astype(int)
        kd = (np.bincount(u, emo[v] == DISCONTENT, n) + np.bincount(v, emo[u] == DISCONTENT, n)).astype(int)
        sim.step()
        new = p.emotion
        neu = alive & (emo == NEUTRAL)
        nc_days += np.bincount(np.minimum(kc[neu], kmax), minlength=kmax + 1)
        nc_events += np.bincount(np.minimum(kc[neu & (new == CONTENT)], kmax), minlength=kmax + 1)
        nd_days += np.bincount(np.minimum(kd[neu], kmax), minlength=kmax + 1)
        nd_events += np.bincount(np.minimum(kd[neu & (new == DISCONTENT)], kmax), minlength=kmax + 1)
        for s in (NEUTRAL, CONTENT, DISCONTENT):
            in_s = alive & (emo == s)
            state_days[s] += in_s.sum()
            exits[s] += (in_s & (new != s)).sum()
    return {"nc_days": nc_days, "nc_events": nc_events, "nd_days": nd_days, "nd_events": nd_events,
            "state_days": state_days, "exits": exits}


def linear_hazard_fit(days: np.ndarray, events: np.ndarray) -> tuple[float, float]:
    """Poisson maximum likelihood of a per-day hazard a + b·k (k = exposed neighbours); returns (a, b) per year."""
    from scipy.optimize import minimize

    k = np.arange(days.size, dtype=float)
    keep = days > 0
    k, d, e = k[keep], days[keep] / DAYS_PER_YEAR, events[keep]   # exposure in person-years
    a0 = max(e[0] / d[0], 1e-4) if d.size else 1e-2

    def nll(x):
        lam = np.maximum(x[0] + x[1] * k, 1e-12)
        g = e / lam - d
        return -(e * np.log(lam) - d * lam).sum(), -np.array([g.sum(), (g * k).sum()])

    res = minimize(nll, x0=[a0, a0 / 5], jac=True, method="L-BFGS-B", bounds=[(1e-8, None), (0.0, None)])
    return float(res.x[0]), float(res.x[1])


def contagion_measures(r: dict[str, np.ndarray]) -> dict[str, float]:
    from sim.population import CONTENT, DISCONTENT

    a_c, b_c = linear_hazard_fit(r["nc_days"], r["nc_events"])
    a_d, b_d = linear_hazard_fit(r["nd_days"], r["nd_events"])
    exit_c = r["exits"][CONTENT] / max(r["state_days"][CONTENT], 1) * DAYS_PER_YEAR
    exit_d = r["exits"][DISCONTENT] / max(r["state_days"][DISCONTENT], 1) * DAYS_PER_YEAR
    tot = r["state_days"].sum()
    return {"spont_n_to_c_per_year": a_c, "per_tie_n_to_c_per_year": b_c,
            "spont_n_to_d_per_year": a_d, "per_tie_n_to_d_per_year": b_d,
            "spread_ratio_negative_over_positive": b_d / b_c if b_c > 0 else float("nan"),
            "mean_years_content": 1 / exit_c if exit_c > 0 else float("nan"),
            "mean_years_discontent": 1 / exit_d if exit_d > 0 else float("nan"),
            "duration_ratio_content_over_discontent": exit_d / exit_c if exit_c > 0 else float("nan"),
            "content_share": r["state_days"][CONTENT] / tot, "discontent_share": r["state_days"][DISCONTENT] / tot}


def study_contagion(exp: dict, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 2))
    kmax = int(exp.get("kmax", 20))
    # Two designs on the same town: at its own equilibrium (time in each state, shares), and from a
    # perturbed start with equal shares of the three states (per-tie transmission rates).
    data = sc.model_dump(mode="json")
    pt_days = int(exp.get("perturbed_days", sc.days))
    data_pt = sc.with_overrides({"days": pt_days}).model_dump(mode="json")
    tasks = [(data, r, kmax, False) for r in range(reps)] + [(data_pt, r, kmax, True) for r in range(reps)]
    out = pmap(contagion_run, tasks, workers)
    runs, runs_pt = out[:reps], out[reps:]
    # Pool the replicates' counts; 95% intervals by parametric bootstrap of the Poisson event counts.
    pooled = {k: np.sum([r[k] for r in runs], axis=0) for k in runs[0]}
    pooled_pt = {k: np.sum([r[k] for r in runs_pt], axis=0) for k in runs_pt[0]}
    rate_keys = ("spont_n_to_c_per_year", "per_tie_n_to_c_per_year", "spont_n_to_d_per_year",
                 "per_tie_n_to_d_per_year", "spread_ratio_negative_over_positive")

    def measures(eq, pt):
        m = contagion_measures(eq)
        m.update({k: v for k, v in contagion_measures(pt).items() if k in rate_keys})
        return m

    point = measures(pooled, pooled_pt)
    rng = np.random.default_rng(int(exp.get("bootstrap_seed", 1)))
    boots = []
    for _ in range(int(exp.get("bootstraps", 200))):
        b, bp = dict(pooled), dict(pooled_pt)
        for k in ("nc_events", "nd_events", "exits"):
            b[k] = rng.poisson(pooled[k]).astype(float)
            bp[k] = rng.poisson(pooled_pt[k]).astype(float)
        boots.append(measures(b, bp))
    bt = pd.DataFrame(boots)
    s = {c: (point[c], float(np.nanpercentile(bt[c], 2.5)), float(np.nanpercentile(bt[c], 97.5))) for c in point}
    pooled = pooled_pt  # the figure's transmission panel shows the perturbed design
    pub = exp["published"]
    ref = "Hill, Rand, Nowak & Christakis 2010, Proc R Soc B 277:3827"
    rows = [
        row("contagion", "per-contact spread, negative / positive (ratio)", *pub["spread_ratio"],
            *s["spread_ratio_negative_over_positive"], ref),
        row("contagion", "time in state, content / discontent (ratio)", *pub["duration_ratio"],
            *s["duration_ratio_content_over_discontent"], ref),
        row("contagion", "mean time content (years)", *pub["years_content"], *s["mean_years_content"], ref),
        row("contagion", "mean time discontent (years)", *pub["years_discontent"], *s["mean_years_discontent"], ref),
    ]
    table = pd.DataFrame([{"measure": c, "mean": v[0], "low": v[1], "high": v[2]} for c, v in s.items()])
    c = sc.contagion
    notes = [f"{reps} replicates of {sc.population.size:,} people over {sc.days} days at equilibrium (time in state) "
             f"and {reps} over {pt_days} days from a perturbed start with equal state shares (per-tie rates); counts "
             f"pooled, 95% intervals by parametric bootstrap of the event counts; smiles.propensity "
             f"{sc.smiles.propensity:g}, kindness.rate_per_day {sc.kindness.rate_per_day:g}",
             f"configured per-tie rates N→C {c.neutral_to_content_per_contact_year:g}/y, N→D "
             f"{c.neutral_to_discontent_per_contact_year:g}/y; estimated {s['per_tie_n_to_c_per_year'][0]:.4f} and "
             f"{s['per_tie_n_to_d_per_year'][0]:.4f} per tie-year (ties weaker or met less than the baseline transmit less)",
             f"content share {s['content_share'][0]:.1%}, discontent share {s['discontent_share'][0]:.1%}"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        ax = axes[0]
        for days_k, ev_k, color, label, (a, b) in (
            ("nc_days", "nc_events", "C2", "neutral → content vs content neighbours",
             (s["spont_n_to_c_per_year"][0], s["per_tie_n_to_c_per_year"][0])),
            ("nd_days", "nd_events", "C3", "neutral → discontent vs discontent neighbours",
             (s["spont_n_to_d_per_year"][0], s["per_tie_n_to_d_per_year"][0]))):
            d, e = pooled[days_k], pooled[ev_k]
            k = np.flatnonzero(d > 2000)
            ax.plot(k, e[k] / d[k] * DAYS_PER_YEAR, "o", color=color, ms=4, label=label)
            ax.plot(k, a + b * k, "-", color=color, lw=1)
        ax.set_xlabel("neighbours in the state")
        ax.set_ylabel("transition rate (per year)")
        ax.set_title("Per-tie transmission (Poisson fit)")
        ax.legend(fontsize=7)
        ax = axes[1]
        names = ["spread_ratio_negative_over_positive", "duration_ratio_content_over_discontent"]
        m = [s[n][0] for n in names]
        ax.bar([0, 1], m, yerr=[[s[n][0] - s[n][1] for n in names], [s[n][2] - s[n][0] for n in names]],
               color=["C3", "C2"], capsize=3)
        ax.axhspan(pub["spread_ratio"][0], pub["spread_ratio"][1], color="gold", alpha=0.3, label="≈2 (Hill 2010)")
        ax.set_xticks([0, 1], ["negative/positive\nspread per tie", "content/discontent\ntime in state"])
        ax.set_title("SISa asymmetry, smiles and kind acts off")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    return StudyResult("contagion", rows, table, figure, notes, time.perf_counter() - t0)


# =========================================================================== 5. dose–response
def dose_run(args: tuple[dict, int, list[tuple[float, float]]]) -> dict[str, Any]:
    """One run of an isolation level; the ledger is accumulated for every (hr_isolation, hr_loneliness)
    pair on the same trajectory (deaths off, so the ratios do not change the dynamics)."""
    from sim import mortality
    from sim.simulation import Simulation

    data, replicate, hr_sets = args
    sc = _scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    p, m = sim.people, sc.mortality
    dt = 1 / DAYS_PER_YEAR
    exp_d = np.zeros(len(hr_sets))
    exp_noiso = np.zeros(len(hr_sets))
    person_days = 0.0
    iso_days = 0.0
    no = np.zeros(sim.n, bool)
    for _ in range(sc.days):
        sim.step()
        a = p.alive
        # the engine assesses hazards before everyone ages a day: use the same age
        mu0 = np.where(a, mortality.baseline_hazard(p.age - np.float32(1 / DAYS_PER_YEAR), p.sex, m), 0.0)
        person_days += a.sum()
        iso_days += (a & p.isolated).sum()
        for j, (hi, hl) in enumerate(hr_sets):
            exp_d[j] += (mu0 * mortality.combine(p.isolated, p.lonely, hi, hl, m.combination)).sum() * dt
            exp_noiso[j] += (mu0 * mortality.combine(no, p.lonely, hi, hl, m.combination)).sum() * dt
    py = person_days * dt
    summ = sim.summary()
    return {"deaths_per_1000_py": 1000 * exp_d / py, "attributable_per_1000_py": 1000 * (exp_d - exp_noiso) / py,
            "paf_isolation": 1 - exp_noiso / exp_d, "isolation_prevalence": iso_days / person_days,
            "check_central": summ["expected_deaths_per_1000_py"],
            "loneliness_prevalence": summ["loneliness_prevalence_mean"]}


def study_dose_response(exp: dict, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    t0 = time.perf_counter()
    base = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 3))
    levels = list(exp["isolation_fractions"])
    hr_sets = [tuple(x) for x in exp["hr_sets"]]     # [(hr_isolation, hr_loneliness)], low, central, high
    labels = list(exp.get("hr_labels", ["low", "central", "high"]))
    tasks = [(base.with_overrides({"network.isolation.fraction": f}).model_dump(mode="json"), r, hr_sets)
             for f in levels for r in range(reps)]
    runs = pmap(dose_run, tasks, workers)
    recs = []
    for i, f in enumerate(levels):
        rs = runs[i * reps:(i + 1) * reps]
        for j, lab in enumerate(labels):
            rec = {"isolation_fraction": f, "hr_set": lab, "hr_isolation": hr_sets[j][0], "hr_loneliness": hr_sets[j][1],
                   "isolation_prevalence": float(np.mean([r["isolation_prevalence"] for r in rs])),
                   "loneliness_prevalence": float(np.mean([r["loneliness_prevalence"] for r in rs]))}
            for key in ("deaths_per_1000_py", "attributable_per_1000_py", "paf_isolation"):
                mm, lo, hi = mean_ci([r[key][j] for r in rs])
                rec[key], rec[key + "_low"], rec[key + "_high"] = mm, lo, hi
            recs.append(rec)
    table = pd.DataFrame(recs)
    ci = labels.index("central")
    check = max(abs(r["check_central"] - r["deaths_per_1000_py"][ci]) for r in runs)
    # Validation row: the population attributable fraction of isolation at the NASEM-like level against
    # Levin's formula p(HR-1)/(1 + p(HR-1)) with the model's isolation prevalence and Wang 2023's CI.
    f_ref = float(exp.get("reference_fraction", levels[-1]))
    at = table[table["isolation_fraction"] == f_ref].set_index("hr_set")
    prev = float(at["isolation_prevalence"].iloc[0])
    pub = exp["published"]
    levin = [prev * (h - 1) / (1 + prev * (h - 1)) for h in (pub["hr_isolation"][0], pub["hr_isolation"][2])]
    rows = [row("dose_response", f"PAF of isolation at {prev:.0%} isolated (model low/high = HR interval ends)",
                levin[0], levin[1], float(at.loc["central", "paf_isolation"]), float(at.loc["low", "paf_isolation"]),
                float(at.loc["high", "paf_isolation"]), "[D] Levin's formula with Wang et al. 2023 HR 1.26–1.39")]
    notes = [f"{reps} replicates x {len(levels)} isolation levels of {base.population.size:,} people, {base.days} days; "
             f"ledger recomputed for each HR pair on the same trajectory (max |difference| from the engine's own "
             f"ledger at the central pair: {check:.2e} deaths per 1,000 py)"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        for ax, key, title in ((axes[0], "deaths_per_1000_py", "Expected deaths per 1,000 person-years"),
                               (axes[1], "attributable_per_1000_py", "Deaths per 1,000 py attributable to isolation")):
            for lab, color in zip(labels, ("C0", "k", "C3")):
                t = table[table["hr_set"] == lab]
                ax.plot(t["isolation_prevalence"], t[key], "o-" if lab == "central" else "--", color=color,
                        label=f"{lab}: HR {t['hr_isolation'].iloc[0]:g} / {t['hr_loneliness'].iloc[0]:g}")
                if lab == "central":
                    ax.fill_between(t["isolation_prevalence"], t[key + "_low"], t[key + "_high"], color="grey",
                                    alpha=0.3, label="95% interval across replicates")
            lo_t, hi_t = table[table["hr_set"] == labels[0]], table[table["hr_set"] == labels[-1]]
            ax.fill_between(lo_t["isolation_prevalence"], lo_t[key], hi_t[key].to_numpy(), color="C1", alpha=0.15,
                            label="Wang 2023 HR interval")
            ax.set_xlabel("isolation prevalence")
            ax.set_title(title, fontsize=10)
            ax.legend(fontsize=7)
        save_figure(fig, path)

    return StudyResult("dose_response", rows, table, figure, notes, time.perf_counter() - t0)


# =========================================================================== running a study
STUDIES: dict[str, Callable[..., StudyResult]] = {
    "mortality": study_mortality, "big_joy": study_big_joy, "baselines": study_baselines,
    "contagion": study_contagion, "dose_response": study_dose_response,
}


def load_experiment(path: str | Path, quick: bool = False) -> dict:
    """Read an experiment file; ``quick`` merges its ``quick:`` block (the test suite's reduced form)."""
    exp = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if exp.get("study") not in STUDIES:
        raise ValueError(f"{path}: 'study' must be one of {', '.join(STUDIES)} (got {exp.get('study')!r})")
    exp.setdefault("name", Path(path).stem)
    if quick and exp.get("quick"):
        q = exp["quick"]
        for k, v in q.items():
            if k == "set":
                exp["set"] = {**(exp.get("set") or {}), **v}
            else:
                exp[k] = v
    return exp


def update_validation_csv(path: Path, rows: list[dict[str, Any]], study: str) -> pd.DataFrame:
    """Replace the study's rows in the validation table (other studies' rows are kept)."""
    new = pd.DataFrame(rows)
    cols = VALIDATION_COLUMNS + ["reference"]
    new = new.reindex(columns=cols)
    if path.exists():
        old = pd.read_csv(path)
        old = old[old["study"] != study]
        with warnings.catch_warnings():  # all-empty columns (e.g. no interval) are fine here
            warnings.simplefilter("ignore", FutureWarning)
            new = pd.concat([old.reindex(columns=cols), new], ignore_index=True)
    order = {s: i for i, s in enumerate(STUDY_ORDER)}
    new = new.sort_values("study", key=lambda s: s.map(order), kind="stable")

    def yes_no(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" or v == "n/a":
            return "n/a"
        return "yes" if v in (True, "yes", "True") else "no"

    new["inside"] = new["inside"].map(yes_no)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False, float_format="%.4g")
    return new


def run_experiment(path: str | Path, out: str | Path = REPO / "results" / "reference", workers: int = 2,
                   quick: bool = False, overrides: dict | None = None) -> StudyResult:
    """Run one experiment file; write its table and figure under ``out/validation/`` and update
    ``out/validation.csv``."""
    exp = load_experiment(path, quick)
    result = STUDIES[exp["study"]](exp, workers=workers, overrides=overrides)
    out = Path(out)
    folder = out / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    name = exp["name"]
    result.table.to_csv(folder / f"{name}.csv", index=False, float_format="%.5g")
    if result.figure is not None:
        result.figure(folder / f"{name}.png")
    (folder / f"{name}.txt").write_text("\n".join(result.notes) + "\n", encoding="utf-8")
    update_validation_csv(out / "validation.csv", result.rows, result.study)
    return result
