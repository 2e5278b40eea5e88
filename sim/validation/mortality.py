"""Study 1 — mortality as an epidemiologist would see it: a closed cohort followed with simulated deaths;
Cox models (lifelines) of baseline isolation and loneliness adjusted for age and sex, against Wang et al.
2023; the same under other configured ratios and combination rules; the life-expectancy gap between the
persistently isolated and the connected against ln(HR)/β."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.runs.executors import map_tasks, task_progress
from sim.validation.common import StudyResult, base_scenario, row, scenario_from_json
from sim.validation.schema import MortalityExperiment, Variant


def cohort_run(args: tuple[dict, int, int]) -> dict[str, np.ndarray]:
    """Follow one simulated cohort with deaths on; per person: baseline exposure as a cohort study measures
    it (the day-0 survey: UCLA-3 and the isolation index, with their measurement error), the true-score
    flags at day 0, the outcome, the share of follow-up days spent isolated, lonely and both (true
    scores: what drives the hazard), and the same shares over the first ``landmark`` days (the exposure
    window of the landmark analysis)."""
    from sim.simulation import Simulation

    data, replicate, landmark = args
    sc = scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    p = sim.people
    n = sim.n
    age0, male = p.age.astype(np.float64).copy(), (p.sex == 1).astype(np.int8)
    answers = sim.survey()
    iso0 = answers.isolated(sc.survey.isolation_index.isolated_cutoff)
    lon0 = answers.lonely(sc.survey.ucla3.lonely_cutoff)
    true_iso0, true_lon0 = p.isolated.copy(), p.lonely.copy()
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
            "true_isolated0": true_iso0.astype(np.int8), "true_lonely0": true_lon0.astype(np.int8),
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
    """Mean relative hazard over follow-up of each person, from the shares of days isolated only, lonely only and both."""
    from sim.mortality import combine

    t = np.array([True])
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


def cohort_frame(sc: Scenario, replicates: int, workers: int, landmark: int = -1) -> pd.DataFrame:
    """The cohort of ``replicates`` runs of ``sc`` as one table (one row per person; see :func:`cohort_run`)."""
    data = sc.model_dump(mode="json")
    parts = map_tasks(cohort_run, [(data, r, landmark) for r in range(replicates)], workers)
    return pd.concat([pd.DataFrame(x) for x in parts], ignore_index=True)


def study_mortality(exp: MortalityExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 1: Cox hazard ratios of baseline isolation and loneliness in simulated cohorts against Wang et al. 2023."""
    t0 = time.perf_counter()
    pub = exp.published
    variants = exp.variants
    base = base_scenario(exp, overrides)
    reps = exp.replicates
    beta = base.mortality.gompertz_b_per_year
    ref = "Wang et al. 2023, Nat Hum Behav 7:1307"

    records, frames = [], {}
    landmark = exp.landmark_days
    all_variants = [Variant(label="default", replicates=reps), *variants]
    for v in all_variants:
        sc = base.with_overrides(dict(v.set)) if v.set else base
        with task_progress(f"mortality, {v.label}", relabel=True):
            df = cohort_frame(sc, v.replicates or reps, workers, landmark if v.label == "default" else -1)
        frames[v.label] = df
        m = sc.mortality
        hr = cox_hr(df, ["isolated0"]) | cox_hr(df, ["lonely0"])
        both = cox_hr(df, ["isolated0", "lonely0"])
        pi, pl = predicted_marginal_hr(df, m.hr_isolation, m.hr_loneliness, m.combination)
        records.append({
            "variant": v.label, "combination": m.combination, "hr_isolation_set": m.hr_isolation,
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
    thr = exp.persistent_threshold
    lm = df[df["alive_landmark"] == 1]
    persist = (lm["isolated0"] == 1) & (lm["window_isolated"] >= thr)
    connected = (lm["isolated0"] == 0) & (lm["lonely0"] == 0) & (lm["window_isolated"] == 0) & (lm["window_lonely"] == 0)
    sub = lm[persist | connected].assign(persistently_isolated=persist[persist | connected].astype(np.int8),
                                         duration=lambda x: x["duration"] - landmark)
    hp = cox_hr(sub, ["persistently_isolated"])["persistently_isolated"]
    le_age = float(exp.life_expectancy_age)
    e0 = life_expectancy(le_age, 1.0)
    gap = [e0 - life_expectancy(le_age, h) for h in hp]
    le = {"persistent_n": int(persist.sum()), "connected_n": int(connected.sum()),
          "hr_persistent_vs_connected": hp[0], "hr_low": hp[1], "hr_high": hp[2],
          "gap_years": gap[0], "gap_low": gap[1], "gap_high": gap[2],
          "gompertz_gap_of_this_hr": math.log(hp[0]) / beta,
          "gompertz_gap_published": math.log(pub.hr_isolation[1]) / beta,
          "mean_rr_persistent": float(expected_rr(lm.loc[persist, "frac_isolated"], lm.loc[persist, "frac_lonely"],
                                                  lm.loc[persist, "frac_both"], base.mortality.hr_isolation,
                                                  base.mortality.hr_loneliness, base.mortality.combination).mean())}

    rows = [
        row("mortality", "HR isolated vs not (Cox, age+sex adjusted), defaults", pub.hr_isolation[0],
            pub.hr_isolation[2], d["hr_isolated"], d["hr_isolated_low"], d["hr_isolated_high"], ref),
        row("mortality", "HR lonely vs not (Cox, age+sex adjusted), defaults", pub.hr_loneliness[0],
            pub.hr_loneliness[2], d["hr_lonely"], d["hr_lonely_low"], d["hr_lonely_high"], ref),
        *life_expectancy_rows(le_age, hp, pub.hr_isolation, beta),
    ]
    for _, r in table.iloc[1:].iterrows():
        if r["variant"].startswith(("calibrated", "default town", "published")) or r["combination"] != "multiplicative" and \
                (r["hr_isolation_set"], r["hr_loneliness_set"]) == (d["hr_isolation_set"], d["hr_loneliness_set"]):
            rows.append(row("mortality", f"HR isolated vs not, {r['variant']}", pub.hr_isolation[0],
                            pub.hr_isolation[2], r["hr_isolated"], r["hr_isolated_low"], r["hr_isolated_high"], ref))
            rows.append(row("mortality", f"HR lonely vs not, {r['variant']}", pub.hr_loneliness[0],
                            pub.hr_loneliness[2], r["hr_lonely"], r["hr_lonely_low"], r["hr_lonely_high"], ref))

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
        for k, (col, color, band) in enumerate((("hr_isolated", "C0", pub.hr_isolation),
                                                 ("hr_lonely", "C1", pub.hr_loneliness))):
            ax.axvspan(band[0], band[2], color=color, alpha=0.15,
                       label=f"Wang 2023 {'isolation' if k == 0 else 'loneliness'} {band[0]}–{band[2]}")
            ax.errorbar(table[col].to_numpy(), y + (0.15 if k else -0.15),  # arrays: a one-row Series warns
                        xerr=[(table[col] - table[col + "_low"]).to_numpy(), (table[col + "_high"] - table[col]).to_numpy()],
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
        hrs = table[["hr_isolated", "hr_lonely"]]
        lim = [min(0.9, hrs.min().min()), max(hrs.max().max(), 1.7)]
        ax.plot(lim, lim, "k--", lw=0.8, label="identity")
        ax.set_xlabel("expected marginal HR from the configured ratios\nand the time spent in each state")
        ax.set_ylabel("Cox estimate from simulated deaths")
        ax.set_title("Estimates follow the configured ratios")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    le_table = pd.DataFrame([le]).assign(variant="life_expectancy_gap")
    return StudyResult("mortality", rows, pd.concat([table, le_table], ignore_index=True), figure, notes,
                       time.perf_counter() - t0)
