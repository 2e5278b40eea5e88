"""A comparison's tables, figures and report, rebuilt from its track folders (``lonesim compare``).

``comparison.csv``/``.parquet``: one row per arm — the trial's standardised mean difference at the end of
the programme and at each follow-up, the policy read-outs (prevalence changes, deaths averted per 1,000
enrolled and per 1,000 residents over the horizon, life-years and loneliness-free years gained, spillover)
and the costs. ``trial.csv``/``.parquet``: one row per arm and trial time point. ``forest.png``: the
trial effects; ``cost.png``: deaths averted per 1,000 enrolled against the cost per 1,000 enrolled;
``report.html``: everything in one self-contained page (sim.runs.compare_html). Definitions:
:mod:`sim.runs.compare_stats` and docs/programmes.md.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.runs import compare_stats as cs
from sim.runs import layout
from sim.runs.layout import BatchError
from sim.runs.tracking import read_track, track_complete

TIME_POINTS_ORDER = ("baseline", "end")


def read_manifest(folder: Path) -> dict[str, Any]:
    """comparison.json of a comparison folder (:func:`sim.runs.layout.read_manifest`)."""
    return layout.read_manifest(folder, "comparison.json", "comparison")


def _interval(values) -> tuple[float, float, float]:
    return cs.mean_ci(values)


def comparison_tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    """(comparison table, trial table, per-arm draws of deaths averted per 1,000 enrolled) from the tracks."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    scenario = Scenario.model_validate(manifest["scenario"])
    comp = scenario.comparison
    rr = cs.hr_draws(scenario, comp.hr_draws)
    horizon = int(manifest["horizon_days"])
    tracks = folder / "tracks"
    control_runs = manifest["arms"][0]["runs"]
    missing = [n for a in manifest["arms"] for n in a["runs"] if not track_complete(tracks / n)]
    if missing:
        raise BatchError(f"{folder}: {len(missing)} run(s) not finished (e.g. {missing[0]}); finish them with "
                         "lonesim compare ... --resume")
    per_arm: dict[int, dict[str, list]] = {a["arm"]: {"trial": [], "policy": []} for a in manifest["arms"][1:]}
    for r, ctrl_name in enumerate(control_runs):
        c_people, c_days, _ = read_track(tracks / ctrl_name)
        for a in manifest["arms"][1:]:
            arm_cfg = comp.arms[a["arm"] - 1]
            a_people, a_days, _ = read_track(tracks / a["runs"][r])
            tp = a["time_points"]
            per_arm[a["arm"]]["trial"].append({k: cs.trial_readout(a_people, c_people, d) for k, d in tp.items()})
            end_prog = arm_cfg.start_day + arm_cfg.duration_days
            per_arm[a["arm"]]["policy"].append(cs.policy_readout(
                a_people, a_days, c_people, c_days, arm_cfg.start_day, end_prog, a["checkpoint"], horizon,
                tp["end"], _last_follow_up(tp), rr, scenario))
    rows, trial_rows, draws = [], [], {}
    for a in manifest["arms"][1:]:
        arm_cfg = comp.arms[a["arm"] - 1]
        trial, policy = per_arm[a["arm"]]["trial"], per_arm[a["arm"]]["policy"]
        row: dict[str, Any] = {"arm": arm_cfg.name, "programme": arm_cfg.kind, "targeting": arm_cfg.targeting,
                               "coverage": arm_cfg.coverage, "start_day": arm_cfg.start_day,
                               "duration_days": arm_cfg.duration_days, "replicates": len(policy)}
        enrolled = np.array([p["enrolled"] for p in policy], float)
        residents = np.array([p["residents"] for p in policy], float)
        row["enrolled"] = float(enrolled.mean())
        row["residents"] = float(residents.mean())
        for label, day in a["time_points"].items():
            ests = [t[label] for t in trial]
            g, lo, hi = cs.random_effects(np.array([e["g"] for e in ests]), np.array([e["se"] for e in ests]))
            d, dlo, dhi = cs.random_effects(np.array([e["diff"] for e in ests]), np.array([e["se_diff"] for e in ests]))
            pe, plo, phi = _paired(ests)
            trial_rows.append({"arm": arm_cfg.name, "programme": arm_cfg.kind, "targeting": arm_cfg.targeting,
                               "time_point": label, "day": day, "smd": g, "smd_low": lo, "smd_high": hi,
                               "difference_ucla3": d, "difference_low": dlo, "difference_high": dhi,
                               "paired_smd": pe, "paired_smd_low": plo, "paired_smd_high": phi,
                               "mean_ucla3_programme": float(np.nanmean([e["mean_programme"] for e in ests])),
                               "mean_ucla3_usual_life": float(np.nanmean([e["mean_usual"] for e in ests])),
                               "n_programme": float(np.mean([e["n_programme"] for e in ests])),
                               "n_usual_life": float(np.mean([e["n_usual"] for e in ests]))})
            if label == "baseline":
                row["baseline_ucla3"] = trial_rows[-1]["mean_ucla3_usual_life"]
                continue
            suffix = "" if label == "end" else f"_{label}"
            row[f"trial_smd{suffix}"], row[f"trial_smd{suffix}_low"], row[f"trial_smd{suffix}_high"] = g, lo, hi
            if label == "end":
                row["trial_difference_ucla3"], row["trial_difference_low"], row["trial_difference_high"] = d, dlo, dhi
        per1000 = 1000 / np.maximum(enrolled, 1)[:, None]
        deaths = np.stack([p["deaths_averted"] for p in policy])  # replicates x draws
        seed = scenario.seed
        row["deaths_averted_per_1000_enrolled"], row["deaths_averted_low"], row["deaths_averted_high"] = \
            cs.draws_interval(deaths * per1000, seed)
        draws[arm_cfg.name] = cs.replicate_draws(deaths * per1000, seed)
        res = 1000 / np.maximum(residents, 1)[:, None]
        row["deaths_averted_per_1000_residents"], row["deaths_averted_per_1000_residents_low"], \
            row["deaths_averted_per_1000_residents_high"] = cs.draws_interval(deaths * res, seed)
        sim_deaths = np.stack([p["deaths_averted_simulated"] for p in policy])[:, 0]
        enrolled_deaths = np.stack([p["deaths_averted_enrolled_simulated"] for p in policy])[:, 0]
        row["deaths_averted_among_enrolled_share"] = (float(enrolled_deaths.sum() / sim_deaths.sum())
                                                      if abs(sim_deaths.sum()) > 0 else math.nan)
        ly = np.stack([p["life_years"] for p in policy])
        row["life_years_gained_per_1000_enrolled"], row["life_years_gained_low"], row["life_years_gained_high"] = \
            cs.draws_interval(ly * per1000, seed)
        lfy = np.array([p["loneliness_free_years"] for p in policy]) * per1000[:, 0]
        row["loneliness_free_years_per_1000_enrolled"], row["loneliness_free_years_low"], \
            row["loneliness_free_years_high"] = _interval(lfy)
        for key in ("lonely_prevalence_change_end", "isolated_prevalence_change_end", "lonely_prevalence_change_window",
                    "isolated_prevalence_change_window", "spillover_first_degree", "spillover_second_degree",
                    "spillover_first_degree_later", "spillover_second_degree_later"):
            name = key.replace("lonely_", "loneliness_").replace("isolated_", "isolation_")
            row[name], row[f"{name}_low"], row[f"{name}_high"] = _interval([p[key] for p in policy])
        row["first_degree_people"] = float(np.mean([p["spillover_first_degree_people"] for p in policy]))
        row["second_degree_people"] = float(np.mean([p["spillover_second_degree_people"] for p in policy]))
        row["extrapolated_share_of_horizon"] = float(policy[0]["extrapolated_share"])
        cost = arm_cfg.cost_per_enrolled
        row["cost_per_enrolled"] = cost if cost is not None else math.nan
        row["cost_per_1000_enrolled"] = 1000 * cost if cost is not None else math.nan
        for gain, label in (("life_years_gained_per_1000_enrolled", "cost_per_life_year"),
                            ("loneliness_free_years_per_1000_enrolled", "cost_per_loneliness_free_year")):
            value = row[gain]
            row[label] = 1000 * cost / value if cost is not None and value > 0 else math.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    if draws:
        stacked = np.stack([draws[n] for n in table["arm"]])
        best = np.bincount(np.argmax(stacked, axis=0), minlength=len(table)) / stacked.shape[1]
        table["probability_best_deaths_averted"] = best
    return table, pd.DataFrame(trial_rows), draws


def _last_follow_up(time_points: dict[str, int | None]) -> int | None:
    """The last follow-up day the run reached (None without one)."""
    days = [d for k, d in time_points.items() if k not in TIME_POINTS_ORDER and d is not None]
    return max(days) if days else None


# =========================================================================== figures
def forest_figure(trial: pd.DataFrame, path: Path, published: dict[str, tuple[float, float, float]] | None = None) -> None:
    """The simulated trials' SMDs (UCLA-3) at the end of the programme and at each follow-up, per arm."""
    from sim.plots import plt, save_figure

    points = [p for p in trial["time_point"].drop_duplicates() if p != "baseline"]
    arms = list(trial["arm"].drop_duplicates())
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.22 * len(arms) * max(1, len(points))), layout="constrained")
    y = 0.0
    ticks, labels = [], []
    offsets = np.linspace(-0.3, 0.3, len(points)) if len(points) > 1 else np.zeros(1)
    for arm in arms[::-1]:
        sub = trial[trial["arm"] == arm].set_index("time_point")
        for k, point in enumerate(points):
            if point not in sub.index or not np.isfinite(sub.loc[point, "smd"]):
                continue
            s = sub.loc[point]
            ax.errorbar(s["smd"], y + offsets[k], xerr=[[s["smd"] - s["smd_low"]], [s["smd_high"] - s["smd"]]],
                        fmt="o", color=f"C{k}", ms=5, capsize=2, label=point if arm == arms[-1] else None)
        ticks.append(y)
        labels.append(f"{arm}\n({sub['programme'].iloc[0]}, {sub['targeting'].iloc[0]})")
        y += 1.0
    for name, (est, lo, hi) in (published or {}).items():
        if name in arms:
            yy = ticks[labels.index(next(lab for lab in labels if lab.startswith(name + "\n")))]
            ax.plot([lo, hi], [yy + 0.42, yy + 0.42], color="gold", lw=5, alpha=0.6, solid_capstyle="butt",
                    label="published interval" if name == next(iter(published)) else None)
            ax.plot([est], [yy + 0.42], "|", color="k", ms=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlabel("SMD of UCLA-3 loneliness, programme − usual life (negative = less lonely)")
    ax.set_title("The simulated trials: effect at the end of the programme and after it (95% intervals)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best", title="time point", title_fontsize=8)
    save_figure(fig, path)


def cost_figure(table: pd.DataFrame, path: Path, currency: str) -> None:
    """Deaths averted per 1,000 enrolled (with intervals) against the cost per 1,000 enrolled."""
    from sim.plots import plt, save_figure

    fig, ax = plt.subplots(figsize=(7.5, 5), layout="constrained")
    costed = table[np.isfinite(table["cost_per_1000_enrolled"])]
    for i, (_, r) in enumerate(costed.iterrows()):
        ax.errorbar(r["cost_per_1000_enrolled"], r["deaths_averted_per_1000_enrolled"],
                    yerr=[[r["deaths_averted_per_1000_enrolled"] - r["deaths_averted_low"]],
                          [r["deaths_averted_high"] - r["deaths_averted_per_1000_enrolled"]]],
                    fmt="o", color=f"C{i % 10}", capsize=3, ms=6, label=f"{r['arm']} ({r['targeting']})")
        ax.annotate(r["arm"], (r["cost_per_1000_enrolled"], r["deaths_averted_per_1000_enrolled"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel(f"cost per 1,000 enrolled ({currency})")
    ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
    ax.set_ylabel("deaths averted per 1,000 enrolled over the horizon")
    ax.set_title("What each programme buys: deaths averted against cost (95% intervals)", fontsize=10)
    ax.grid(alpha=0.3)
    if len(costed):
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no arm has a cost_per_enrolled", ha="center", transform=ax.transAxes)
    save_figure(fig, path)


# =========================================================================== entry point
def build_comparison_report(folder: Path, figures: bool = True) -> dict[str, Any]:
    """Rebuild the tables, figures and report.html of a comparison folder from its track folders."""
    from sim.runs.compare_html import report_html

    folder = Path(folder)
    manifest = read_manifest(folder)
    table, trial, draws = comparison_tables(folder)
    table.to_csv(folder / "comparison.csv", index=False, float_format="%.6g")
    table.to_parquet(folder / "comparison.parquet", index=False)
    trial.to_csv(folder / "trial.csv", index=False, float_format="%.6g")
    trial.to_parquet(folder / "trial.parquet", index=False)
    currency = manifest["scenario"]["comparison"]["currency"]
    if figures:
        forest_figure(trial, folder / "forest.png")
        cost_figure(table, folder / "cost.png", currency)
    (folder / "report.html").write_text(report_html(folder, manifest, table, trial), encoding="utf-8")
    return {"arms": len(table), "runs": sum(len(a["runs"]) for a in manifest["arms"])}


def _paired(ests: list[dict]) -> tuple[float, float, float]:
    """The paired effect pooled over replicates (random effects); exactly 0 where every replicate's is 0 (before
    the start the two towns are the same)."""
    paired = np.array([e.get("paired", np.nan) for e in ests], float)
    if np.all(paired == 0):
        return 0.0, 0.0, 0.0
    if not np.all(np.isfinite(paired)):
        return math.nan, math.nan, math.nan
    return cs.random_effects(paired, np.array([e["paired_se"] for e in ests], float))
