"""Study 2 — the Big Joy week (Guevarra et al. 2025): pre→post standardised change of the enrolled, the
people around them, and how long it lasts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, mean_ci, row, scenario_from_json
from sim.validation.schema import BigJoyExperiment


def big_joy_run(args: tuple[dict, int, int]) -> dict[str, Any]:
    """One Big Joy run: pre/post states of the enrolled, their neighbours and the others, and the
    daily mean mood of each group (for persistence)."""
    from sim._core import CONTENT
    from sim.simulation import Simulation

    data, replicate, follow_days = args
    sc = scenario_from_json(data)
    iv = sc.interventions[0]
    sim = Simulation(sc, replicate=replicate)
    p = sim.people
    start, end = iv.start_day, iv.start_day + iv.duration_days
    sim.run(start - iv.duration_days)
    smiles_before0 = p.smiles_given.copy()
    sim.run(iv.duration_days)                           # the week before the programme
    pre = {"mood": p.mood.astype(np.float64).copy(), "content": (p.emotion == CONTENT).astype(np.float64),
           "smiles_week": (p.smiles_given - smiles_before0).astype(np.float64),
           "affect": sim.survey().positive_affect.astype(np.float64)}  # the diary on the evening before the week
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
                    "smiles_week": (p.smiles_given - smiles_pre_end).astype(np.float64),
                    "affect": sim.survey().positive_affect.astype(np.float64)}  # ... and on its last evening
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
    da = post["affect"] - pre["affect"]
    out["affect_d_z"] = da[e].mean() / da[e].std(ddof=1)          # positive affect as a diary measures it
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


def study_big_joy(exp: BigJoyExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 2: the Big Joy week's pre-post effects on the enrolled, against Guevarra et al. 2025 and Curry et al. 2018."""
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = exp.replicates
    follow = exp.follow_days
    sc = sc.with_overrides({"days": max(sc.days, sc.interventions[0].start_day + sc.interventions[0].duration_days + follow)})
    runs = map_tasks(big_joy_run, [(sc.model_dump(mode="json"), r, follow) for r in range(reps)], workers)
    per = pd.DataFrame([big_joy_measures(r) for r in runs])
    summary = {c: mean_ci(per[c]) for c in per.columns}
    pub = exp.published
    ref = "Guevarra et al. 2025 (d_z 0.48/0.45, uncontrolled); Curry et al. 2018 (δ 0.28)"
    lo, hi = pub.controlled_delta, pub.wellbeing_d_z
    rows = [
        row("big_joy", "well-being (mood), enrolled pre→post standardised change", lo, hi, *summary["mood_d_smc"], ref),
        row("big_joy", "positive emotion (daily positive affect, with day-to-day noise), enrolled pre→post d_z", lo,
            pub.positive_emotion_d_z, *summary["affect_d_z"], ref),
        row("big_joy", "well-being relative change, enrolled (press +26%, [S])", pub.press_wellbeing, pub.press_wellbeing,
            *summary["mood_relative_change"], "Greater Good Science Center release [S]"),
        row("big_joy", "positive emotions relative change, content share (press +23%, [S])", pub.press_positive,
            pub.press_positive, *summary["content_relative_change"], "Greater Good Science Center release [S]"),
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
             f"noise-free d_z of mood {summary['mood_d_z_noise_free'][0]:.2f}; with the day-to-day noise of a diary "
             f"measure (survey.affect.day_noise_sd {sc.survey.affect.day_noise_sd:g}) the positive-affect d_z is "
             f"{summary['affect_d_z'][0]:.2f}; the slow emotional states move little in a week (content share d_z "
             f"{summary['content_d_z'][0]:.2f}); smiles given per week d_z {summary['smiles_d_z'][0]:.2f}",
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
        names = ["mood_d_smc", "affect_d_z", "smiles_d_z", "mood_did_enrolled", "mood_did_receivers"]
        labels = ["well-being\n(mood, SMC)", "positive emotion\n(daily affect, d_z)", "smiles given\n(d_z)",
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
