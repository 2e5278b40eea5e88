"""Study 3 — loneliness and isolation prevalence by age group after burn-in."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, mean_ci, row, scenario_from_json

AGE_GROUPS = {"18+": (18, 200), "18-44": (18, 45), "45+": (45, 200), "60+": (60, 200), "65+": (65, 200)}


def baseline_run(args: tuple[dict, int]) -> dict[str, Any]:
    """One replicate: lonely, isolated and mean degree by age group on day 0 and at the end, and the daily prevalences."""
    from sim.simulation import Simulation

    data, replicate = args
    sc = scenario_from_json(data)
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
    """Study 3: prevalence of loneliness and isolation by age group against NASEM, WHO and Meta-Gallup figures."""
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = int(exp.get("replicates", 4))
    runs = map_tasks(baseline_run, [(sc.model_dump(mode="json"), r) for r in range(reps)], workers)
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
        ax.errorbar(x + 0.1, end["isolated"],
                    yerr=[end["isolated"] - end["isolated_low"], end["isolated_high"] - end["isolated"]],
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
