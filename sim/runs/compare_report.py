"""A comparison's tables, figures and report, rebuilt from its track folders (``lonesim compare``).

``comparison.csv``/``.parquet``: one row per arm — the trial's standardised mean difference at the end of
the programme and at each follow-up, the policy read-outs (prevalence changes, deaths averted per 1,000
enrolled and per 1,000 residents over the horizon, life-years and loneliness-free years gained, spillover)
and the costs. ``trial.csv``/``.parquet``: one row per arm and trial time point. ``trajectories.csv``: per arm and day,
the difference in loneliness and isolation prevalence against the control town with its interval. Figures
(in ``output.figure_format``): ``ranking`` (deaths averted per arm), ``trajectories`` (arm − control over
time), ``cost`` (the cost-effectiveness plane with willingness-to-pay lines), ``forest`` (the trial
effects); ``report.html``: everything in one self-contained page (sim.runs.compare_html). Definitions:
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
                               "mean_ucla3_programme": _nanmean([e["mean_programme"] for e in ests]),
                               "mean_ucla3_usual_life": _nanmean([e["mean_usual"] for e in ests]),
                               "n_programme": float(np.mean([e["n_programme"] for e in ests])),
                               "n_usual_life": float(np.mean([e["n_usual"] for e in ests]))})
            if label == "baseline":
                row["baseline_ucla3"] = trial_rows[-1]["mean_ucla3_usual_life"]
                continue
            suffix = "" if label == "end" else f"_{label}"
            row[f"trial_smd{suffix}"], row[f"trial_smd{suffix}_low"], row[f"trial_smd{suffix}_high"] = g, lo, hi
            if label == "end":
                row["trial_difference_ucla3"], row["trial_difference_low"], row["trial_difference_high"] = d, dlo, dhi
        # An arm that enrolled nobody has no per-enrolled effect: NaN, never 0.00 (0.00 to 0.00), and never ranked.
        per1000 = np.where(enrolled > 0, 1000 / np.maximum(enrolled, 1), np.nan)[:, None]
        deaths = np.stack([p["deaths_averted"] for p in policy])  # replicates x draws
        seed = scenario.seed
        row["deaths_averted_per_1000_enrolled"], row["deaths_averted_low"], row["deaths_averted_high"] = \
            cs.draws_interval(deaths * per1000, seed)
        if (enrolled > 0).all():
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
        ranked = [n for n in table["arm"] if n in draws]  # (arms that enrolled nobody are not ranked)
        stacked = np.stack([draws[n] for n in ranked])
        best = dict(zip(ranked, np.bincount(np.argmax(stacked, axis=0), minlength=len(ranked)) / stacked.shape[1]))
        table["probability_best_deaths_averted"] = [best.get(n, math.nan) for n in table["arm"]]
    return table, pd.DataFrame(trial_rows), draws


def _nanmean(values) -> float:
    """Mean of the values that are numbers; NaN (quietly) when none is (an arm that enrolled nobody)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan


def _last_follow_up(time_points: dict[str, int | None]) -> int | None:
    """The last follow-up day the run reached (None without one)."""
    days = [d for k, d in time_points.items() if k not in TIME_POINTS_ORDER and d is not None]
    return max(days) if days else None


# =========================================================================== over time
def trajectories(folder: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """Per arm and day: the difference in the share of adults lonely and isolated (arm − control town, same
    replicate), mean over replicates and its 95% t-interval (rows: arm, day, measure, mean, low, high)."""
    tracks = Path(folder) / "tracks"
    cols = ["alive", "lonely", "isolated"]
    control = [pd.read_parquet(tracks / n / "days.parquet", columns=cols) for n in manifest["arms"][0]["runs"]]
    rows = []
    for a in manifest["arms"][1:]:
        diffs: dict[str, list[np.ndarray]] = {"lonely": [], "isolated": []}
        for ctrl, name in zip(control, a["runs"]):
            arm = pd.read_parquet(tracks / name / "days.parquet", columns=cols)
            n = min(len(arm), len(ctrl))
            for col in diffs:
                diffs[col].append(_share(arm, col, n) - _share(ctrl, col, n))
        for col, series in diffs.items():
            n = min(len(s) for s in series)
            stack = np.vstack([s[:n] for s in series])
            mean = stack.mean(axis=0)
            if stack.shape[0] > 1:
                from scipy import stats

                half = stats.t.ppf(0.975, stack.shape[0] - 1) * stack.std(axis=0, ddof=1) / np.sqrt(stack.shape[0])
            else:
                half = np.zeros(n)
            rows.append(pd.DataFrame({"arm": a["name"], "day": np.arange(n), "measure": col, "mean": mean,
                                      "low": mean - half, "high": mean + half}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["arm", "day", "measure", "mean", "low", "high"])


def _share(days: pd.DataFrame, col: str, n: int) -> np.ndarray:
    """The daily share of the living who are ``col`` (lonely, isolated), first ``n`` days."""
    return (days[col] / days["alive"].clip(lower=1)).to_numpy(float)[:n]


# =========================================================================== figures
def _labels(table: pd.DataFrame) -> dict[str, str]:
    from sim.runs.compare_html import arm_label

    return {r["arm"]: arm_label(r, sep="\n") for _, r in table.iterrows()}


def ranking_figure(table: pd.DataFrame):
    """Deaths averted per 1,000 enrolled per arm with 95% intervals, best at the top (the report's first figure)."""
    from sim.plots import plt
    from sim.runs.compare_html import RANK_BY, rank_arms

    ranked = rank_arms(table)
    labels = _labels(ranked)
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.55 * len(ranked)), layout="constrained")
    y = np.arange(len(ranked))[::-1]
    for yy, (_, r) in zip(y, ranked.iterrows()):
        clear = r["deaths_averted_low"] > 0
        ax.errorbar(r[RANK_BY], yy, xerr=[[r[RANK_BY] - r["deaths_averted_low"]], [r["deaths_averted_high"] - r[RANK_BY]]],
                    fmt="o", color="C0" if clear else "0.5", mfc="C0" if clear else "white", capsize=3, ms=6)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_ylim(-0.6, len(ranked) - 0.4)
    ax.set_yticks(y, [labels[a] for a in ranked["arm"]], fontsize=8)
    ax.set_xlabel("deaths averted per 1,000 enrolled over the horizon (95% interval; hollow: includes zero)")
    ax.grid(axis="x", alpha=0.3)
    return fig


def trajectory_figure(traj: pd.DataFrame, table: pd.DataFrame):
    """Small multiples, one per arm (ranked): loneliness prevalence, arm − control (percentage points), by day."""
    from sim.plots import plt
    from sim.runs.compare_html import rank_arms

    ranked = rank_arms(table)
    labels = _labels(ranked)
    n = len(ranked)
    ncol = min(3, max(n, 1))
    nrow = max(1, -(-n // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 2.6 * nrow + 0.4), sharex=True, sharey=True,
                             layout="constrained", squeeze=False)
    lon = traj[traj["measure"] == "lonely"]
    for ax, (_, r) in zip(axes.flat, ranked.iterrows()):
        sub = lon[lon["arm"] == r["arm"]]
        ax.axvspan(r["start_day"], r["start_day"] + r["duration_days"], color="gold", alpha=0.2, lw=0)
        ax.fill_between(sub["day"], 100 * sub["low"], 100 * sub["high"], color="C0", alpha=0.25, lw=0)
        ax.plot(sub["day"], 100 * sub["mean"], color="C0", lw=1)
        ax.axhline(0, color="k", lw=0.7)
        ax.set_title(labels[r["arm"]], fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.supxlabel("day", fontsize=9)
    fig.supylabel("lonely, arm − control (percentage points)", fontsize=9)
    return fig


def forest_figure(trial: pd.DataFrame, table: pd.DataFrame):
    """The simulated trials' SMDs (UCLA-3) at the end of the programme and at each follow-up, per arm (ranked)."""
    from sim.plots import plt
    from sim.runs.compare_html import rank_arms

    points = [p for p in trial["time_point"].drop_duplicates() if p != "baseline"]
    ranked = rank_arms(table)
    labels = _labels(ranked)
    arms = list(ranked["arm"])
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.3 * len(arms) * max(1, len(points))), layout="constrained")
    offsets = np.linspace(-0.3, 0.3, len(points)) if len(points) > 1 else np.zeros(1)
    ticks = []
    for i, arm in enumerate(arms):
        y = len(arms) - 1 - i
        ticks.append(y)
        sub = trial[trial["arm"] == arm].set_index("time_point")
        for k, point in enumerate(points):
            if point not in sub.index or not np.isfinite(sub.loc[point, "smd"]):
                continue
            s = sub.loc[point]
            ax.errorbar(s["smd"], y - offsets[k], xerr=[[s["smd"] - s["smd_low"]], [s["smd_high"] - s["smd"]]],
                        fmt="o", color=f"C{k}", ms=5, capsize=2,
                        label=("end of programme" if point == "end" else f"{point} after") if i == 0 else None)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(ticks, [labels[a] for a in arms], fontsize=8)
    ax.set_xlabel("SMD of UCLA-3 loneliness, programme − usual life (negative = less lonely)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, title="time point", title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1),
              frameon=False)
    return fig


#: Willingness-to-pay lines of the cost-effectiveness plane: (gain column, axis title, [(amount per unit, label)]).
WTP_LINES = [("loneliness_free_years", "loneliness-free years gained per 1,000 enrolled",
              [(768.0, "768 per year (McDaid & Park 2021)"), (5000.0, "5,000 per year")]),
             ("life_years", "life-years gained per 1,000 enrolled",
              [(20000.0, "20,000 per year"), (30000.0, "30,000 per year")])]


def cost_figure(table: pd.DataFrame, currency: str):
    """The cost-effectiveness plane: cost per 1,000 enrolled (x) against the gain per 1,000 enrolled (y, 95%
    intervals) for loneliness-free years and for life-years, with willingness-to-pay lines; arms numbered."""
    from sim.plots import plt
    from sim.runs.compare_html import arm_label, rank_arms

    costed = rank_arms(table)
    costed = costed[np.isfinite(costed["cost_per_1000_enrolled"])]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    gains = {"loneliness_free_years": ("loneliness_free_years_per_1000_enrolled", "loneliness_free_years_low",
                                       "loneliness_free_years_high"),
             "life_years": ("life_years_gained_per_1000_enrolled", "life_years_gained_low", "life_years_gained_high")}
    for ax, (gain, ytitle, lines) in zip(axes, WTP_LINES):
        col, low, high = gains[gain]
        xmax = float(costed["cost_per_1000_enrolled"].max()) * 1.1 if len(costed) else 1.0
        for i, (_, r) in enumerate(costed.iterrows()):
            ax.errorbar(r["cost_per_1000_enrolled"], r[col], yerr=[[r[col] - r[low]], [r[high] - r[col]]], fmt="o",
                        color=f"C{i % 10}", capsize=3, ms=6, label=f"{i + 1}. {arm_label(r)}")
            ax.annotate(str(i + 1), (r["cost_per_1000_enrolled"], r[col]), xytext=(5, 3), textcoords="offset points",
                        fontsize=8)
        xs = np.array([0.0, xmax])
        for k, (amount, text) in enumerate(lines):
            ax.plot(xs, xs / amount, ls="--", color="0.4" if k == 0 else "0.65", lw=1,
                    label=f"willing to pay {currency}{text.replace('per year', 'per ' + ytitle.split(' gained')[0][:-1])}")
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xlim(0, xmax)
        ax.set_xlabel(f"cost per 1,000 enrolled ({currency})")
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
        ax.set_ylabel(ytitle)
        ax.grid(alpha=0.3)
        if costed.empty:
            ax.text(0.5, 0.5, "no arm has a cost_per_enrolled", ha="center", transform=ax.transAxes)
    handles, names = [], []
    for ax in axes:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    order = sorted(range(len(names)), key=lambda i: (names[i].startswith("willing"), i))  # arms first
    handles, names = [handles[i] for i in order], [names[i] for i in order]
    if handles:
        fig.legend(handles, names, loc="outside lower center", ncols=2, fontsize=7.5, frameon=False)
    return fig


# =========================================================================== entry point
def _figures(folder: Path, table: pd.DataFrame, trial: pd.DataFrame, traj: pd.DataFrame, currency: str,
             fmt: str) -> dict[str, bytes]:
    """Draw the four figures into ``folder`` in ``fmt``; return each as PNG bytes for the page."""
    from sim.plots import save_and_embed

    if table.empty:
        return {}
    out = {}
    for name, make in (("ranking", lambda: ranking_figure(table)),
                       ("trajectories", lambda: trajectory_figure(traj, table)),
                       ("cost", lambda: cost_figure(table, currency)),
                       ("forest", lambda: forest_figure(trial, table))):
        out[name] = save_and_embed(make(), folder / f"{name}.{fmt}", fmt)
    return out


def build_comparison_report(folder: Path, figures: bool = True) -> dict[str, Any]:
    """Rebuild the tables, figures and report.html of a comparison folder from its track folders."""
    from sim.runs.compare_html import report_html

    folder = Path(folder)
    manifest = read_manifest(folder)
    table, trial, draws = comparison_tables(folder)
    traj = trajectories(folder, manifest)
    table.to_csv(folder / "comparison.csv", index=False, float_format="%.6g")
    table.to_parquet(folder / "comparison.parquet", index=False)
    trial.to_csv(folder / "trial.csv", index=False, float_format="%.6g")
    trial.to_parquet(folder / "trial.parquet", index=False)
    traj.to_csv(folder / "trajectories.csv", index=False, float_format="%.6g")
    currency = manifest["scenario"]["comparison"]["currency"]
    fmt = manifest["scenario"].get("output", {}).get("figure_format", "png")
    pngs = _figures(folder, table, trial, traj, currency, fmt) if figures else {  # not redrawn: those on disk
        n: (folder / f"{n}.png").read_bytes() for n in ("ranking", "trajectories", "cost", "forest")
        if (folder / f"{n}.png").exists()}
    (folder / "report.html").write_text(report_html(manifest, table, trial, pngs), encoding="utf-8")
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
