"""Study 3 — the population as the cohort studies see it: prevalences by age, the overlap of isolation and
loneliness, networks by age, reported contact, and the instruments' reliability, all measured with the
survey instruments (like with like).

Each replicate runs the study's town, surveys everyone on the configured diary days (a week of daily
positive affect, for its within-person share of variance) and on the last day, and records the
steadiness of the baseline (loneliness prevalence over the first 180 recorded days).
:func:`population_measures` computes every quantity from one run; ``experiments/calibrate.py`` uses
the same function, so what is calibrated is what is validated.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.readouts import final_survey, overlap
from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, mean_ci, row, scenario_from_json
from sim.validation.schema import PopulationExperiment

#: Age bands (years, upper bound excluded) of the prevalence rows.
BANDS = {"18_29": (18, 30), "30_44": (30, 45), "45_64": (45, 65), "65_74": (65, 75), "75plus": (75, 200)}


def _share(flag: np.ndarray, sel: np.ndarray) -> float:
    return float(flag[sel].mean()) if sel.any() else float("nan")


def population_measures(sim) -> dict[str, float]:
    """Every quantity of the study from one finished run (surveyed on its last day)."""
    from sim.survey import cronbach_alpha, ucla3_items

    sc, p = sim.scenario, sim.people
    a = final_survey(sim)
    alive = p.alive
    lonely = a.ucla3 >= sc.survey.ucla3.lonely_cutoff
    isolated = a.isolation_index >= sc.survey.isolation_index.isolated_cutoff
    severe = a.isolation_index >= sc.survey.isolation_index.severe_cutoff
    out: dict[str, float] = {"lonely_adults": _share(lonely, alive), "isolated_adults": _share(isolated, alive)}
    for name, (lo, hi) in BANDS.items():
        band = alive & (p.age >= lo) & (p.age < hi)
        out[f"lonely_{name}"] = _share(lonely, band)
        out[f"isolated_{name}"] = _share(isolated, band)
    out["u_young"] = out["lonely_18_29"] - out["lonely_45_64"]
    out["u_old"] = out["lonely_75plus"] - out["lonely_45_64"]
    old = alive & (p.age >= 65)
    out["lonely_65plus"] = _share(lonely, old)
    out["isolated_65plus"] = _share(isolated, old)
    out["severe_65plus"] = _share(severe, old)
    ov = overlap(isolated[old], lonely[old])
    out.update({f"{k}_65plus": ov[k] for k in ("isolated_not_lonely", "lonely_not_isolated", "phi")})
    ov_all = overlap(isolated[alive], lonely[alive])
    out.update({f"{k}_adults": ov_all[k] for k in ("isolated_not_lonely", "lonely_not_isolated", "phi")})
    out["lenient_60plus"] = _share(a.ucla3_max_item >= 2, alive & (p.age >= 60))
    out["lenient_45plus"] = _share(a.ucla3_max_item >= 2, alive & (p.age >= 45))
    deg = p.degree.astype(float)
    out["ties_ratio_70_20"] = float(deg[alive & (p.age >= 70)].mean() / deg[alive & (p.age >= 20) & (p.age < 30)].mean())
    out["mean_degree"] = float(deg[alive].mean())
    out["corr_ucla3_ties"] = float(np.corrcoef(a.ucla3[alive], deg[alive])[0, 1])
    out["kin_rare"] = _share(p.contact_family * 30 < 1, alive)
    out["friends_rare"] = _share(p.contact_friend * 30 < 1, alive)
    out["partnered_65plus"] = _share(p.partner >= 0, old)
    items = ucla3_items(p.loneliness[alive], sc.survey, np.random.default_rng([sim.seed, sim.replicate, 33]))
    out["ucla3_alpha"] = cronbach_alpha(items)
    out["mean_habit"] = float(p.habit[alive].mean())
    return out


def affect_icc(scores: np.ndarray) -> float:
    """Share of the variance of daily positive affect between persons (one-way ANOVA ICC(1));
    ``scores`` is people x days."""
    k = scores.shape[1]
    person = scores.mean(axis=1)
    ms_between = k * person.var(ddof=1)
    ms_within = ((scores - person[:, None]) ** 2).sum() / (scores.shape[0] * (k - 1))
    return float((ms_between - ms_within) / (ms_between + (k - 1) * ms_within))


def population_run(args: tuple[dict, int]) -> dict[str, Any]:
    """One replicate: the measures at the end, the ICC of a week of daily affect at the start, the drift."""
    from sim.simulation import Simulation

    data, replicate = args
    sc = scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    sim.run()
    out: dict[str, Any] = population_measures(sim)
    diary = sorted(d for d in sc.output.survey_days if d < sim.day)
    if len(diary) >= 2:
        alive = np.all([sim.surveys[d].isolation_index >= 0 for d in diary], axis=0)
        out["affect_icc"] = affect_icc(np.stack([sim.surveys[d].positive_affect[alive] for d in diary], axis=1))
    prev = sim.timeseries()["loneliness_prevalence"].to_numpy()
    window = prev[: min(180, prev.size)]
    out["drift_180"] = float(window[-30:].mean() - window[:30].mean()) if window.size >= 60 else float("nan")
    out["series"] = prev
    return out


#: (measure, quantity, published key, reference) of each row.
ROWS = [
    ("isolated_not_lonely_65plus", "isolated people who are not lonely, 65+ (surveyed)", "isolated_not_lonely",
     "Barnes et al. 2021 (69%); Kotwal et al. 2021 (74%)"),
    ("lonely_not_isolated_65plus", "lonely people who are not isolated, 65+ (surveyed)", "lonely_not_isolated",
     "Barnes et al. 2021 (52%); Kotwal et al. 2021 (72%)"),
    ("phi_65plus", "phi correlation of isolated and lonely, 65+ (surveyed)", "phi",
     "Kotwal et al. 2021 (0.11); Barnes et al. 2021 (~0.19, [D])"),
    ("isolated_65plus", "isolation prevalence, 65+ (isolation index >= 2)", "isolation_65", "Cudjoe et al. 2020 (24%)"),
    ("severe_65plus", "severe isolation prevalence, 65+ (isolation index >= 3)", "severe_65", "Cudjoe et al. 2020 (4%)"),
    ("lonely_adults", "loneliness prevalence, adults 18+ (UCLA-3 >= 6)", "loneliness_adults",
     "WHO 2025 (16%), Harvard MCC 2024 (21%), Meta-Gallup 2023 (24%) [S]"),
    ("lonely_65plus", "loneliness prevalence, 65+ (UCLA-3 >= 6)", "loneliness_65",
     "Barnes et al. 2021 (18.9%); Kotwal et al. 2021 (18%)"),
    ("lenient_60plus", "lonely at least 'some of the time' on any UCLA-3 item, 60+", "lenient_60",
     "Perissinotto et al. 2012 (43%), as quoted by NASEM 2020"),
    ("u_young", "loneliness 18-29 minus 45-64 (U-shape, left arm)", "u_young",
     "Luhmann & Hawkley 2016; Graham et al. 2024 (direction); size: tolerance chosen here"),
    ("u_old", "loneliness 75+ minus 45-64 (U-shape, right arm)", "u_old",
     "Luhmann & Hawkley 2016; Graham et al. 2024 (direction); size: tolerance chosen here"),
    ("ties_ratio_70_20", "mean ties, 70+ / 20-29", "ties_ratio",
     "Wrzus et al. 2013: personal and friendship networks shrink through adulthood (direction); size: tolerance chosen here"),
    ("kin_rare", "less than monthly contact with family", "kin_rare", "Eurostat EU-SILC 2015 (15%)"),
    ("friends_rare", "less than monthly contact with friends", "friends_rare", "Eurostat EU-SILC 2015 (11%)"),
    ("ucla3_alpha", "UCLA-3 Cronbach's alpha", "alpha", "Hughes et al. 2004 (0.72) [S]"),
    ("affect_icc", "daily positive affect, share of variance between persons (ICC)", "affect_icc",
     "Merz & Roesch 2011 (about half) [C]"),
    ("drift_180", "loneliness prevalence, last minus first 30 of the first 180 days (points/100)", "drift",
     "issue 11: a steady start (within ±0.5 points)"),
]


def study_population(exp: PopulationExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 3: the population measured with the survey instruments against published prevalences, overlaps,
    networks by age, contact frequencies and instrument properties."""
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = exp.replicates
    runs = map_tasks(population_run, [(sc.model_dump(mode="json"), r) for r in range(reps)], workers)
    per = pd.DataFrame([{k: v for k, v in r.items() if k != "series"} for r in runs])
    s = {c: mean_ci(per[c]) for c in per.columns}
    pub = exp.published
    rows = [row("population", quantity, *getattr(pub, key), *s[measure], ref)
            for measure, quantity, key, ref in ROWS if measure in s and pub.get(key) is not None]
    table = pd.DataFrame([{"measure": c, "mean": v[0], "low": v[1], "high": v[2]} for c, v in s.items()])
    series = np.mean([r["series"] for r in runs], axis=0)
    notes = [f"{reps} replicates of {sc.population.size:,} people ({exp.scenario}), burn-in {sc.burn_in_days} d, "
             f"then {sc.days} d; surveyed (UCLA-3, isolation index, positive affect, with measurement error) on the "
             f"last day and on days {sc.output.survey_days} (affect diary)",
             "loneliness by age (UCLA-3 >= 6): " + ", ".join(f"{b} {s['lonely_' + b][0]:.1%}" for b in BANDS),
             "isolation by age (index >= 2): " + ", ".join(f"{b} {s['isolated_' + b][0]:.1%}" for b in BANDS),
             f"all adults: isolated-not-lonely {s['isolated_not_lonely_adults'][0]:.1%}, lonely-not-isolated "
             f"{s['lonely_not_isolated_adults'][0]:.1%}, phi {s['phi_adults'][0]:.3f}; correlation of UCLA-3 with "
             f"the number of ties {s['corr_ucla3_ties'][0]:.3f}; mean degree {s['mean_degree'][0]:.2f}; partnered at "
             f"65+ {s['partnered_65plus'][0]:.1%}"]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure  # the Agg backend and the PNG settings, set once there

        fig, axes = plt.subplots(1, 3, figsize=(15, 4.4), layout="constrained")
        ax = axes[0]
        x = np.arange(len(BANDS))
        for key, label, color, dx in (("lonely", "lonely (UCLA-3 >= 6)", "C3", -0.1),
                                      ("isolated", "isolated (index >= 2)", "C0", 0.1)):
            m = np.array([s[f"{key}_{b}"] for b in BANDS])
            ax.errorbar(x + dx, m[:, 0], yerr=[m[:, 0] - m[:, 1], m[:, 2] - m[:, 0]], fmt="o-", color=color, label=label)
        ax.axhspan(*pub.isolation_65, xmin=0.6, color="C0", alpha=0.15, label="isolated 65+: Cudjoe 2020")
        ax.axhspan(*pub.loneliness_65, xmin=0.6, color="C3", alpha=0.15, label="lonely 65+: Barnes/Kotwal")
        ax.set_xticks(x, [b.replace("_", "-").replace("plus", "+") for b in BANDS])
        ax.set_ylabel("share, surveyed")
        ax.set_title("By age: loneliness U-shape, isolation rising late")
        ax.legend(fontsize=7)
        ax = axes[1]
        names = ["isolated_not_lonely_65plus", "lonely_not_isolated_65plus", "phi_65plus"]
        keys = ["isolated_not_lonely", "lonely_not_isolated", "phi"]
        m = [s[n][0] for n in names]
        ax.bar(range(3), m, yerr=[[s[n][0] - s[n][1] for n in names], [s[n][2] - s[n][0] for n in names]],
               color=["C0", "C3", "C7"], capsize=3)
        for i, k in enumerate(keys):
            ax.fill_between([i - 0.4, i + 0.4], *getattr(pub, k), color="gold", alpha=0.4, label="published" if i == 0 else None)
        ax.set_xticks(range(3), ["isolated,\nnot lonely", "lonely,\nnot isolated", "phi"])
        ax.set_title("Two exposures, 65+ (Barnes 2021; Kotwal 2021)")
        ax.legend(fontsize=8)
        ax = axes[2]
        ax.plot(series, color="C3")
        ax.axhline(series[:30].mean(), color="grey", lw=0.8, ls="--")
        ax.set_xlabel("day after burn-in")
        ax.set_ylabel("loneliness prevalence (true score)")
        ax.set_title("A steady start (mean of replicates)")
        save_figure(fig, path)

    return StudyResult("population", rows, table, figure, notes, time.perf_counter() - t0)
