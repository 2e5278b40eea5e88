"""Study 6 — the programme trials: each programme's simulated randomised trial against its published effect,
and whether the effect lasts 1–6 months as Lasgaard et al. 2022 report (docs/programmes.md).

One experiment file per programme (``experiments/programme_*.yaml``, ``study: programme_trial``): the
programme with the trial's design (who is eligible, how long), the published figure and its interval.
Per replicate the town runs twice, without the programme and with it (common random numbers: the same
town and random numbers until the programme changes the state); the eligible are the people the
targeting rule enrols, randomised 1:1, the programme group's answers taken from the town with the
programme and the usual-life group's from the town without it (:mod:`sim.runs.compare_stats`).
Replicates are pooled by random effects. The rows of validation.csv carry the experiment's name as
their study, so each programme's rows are replaced only by its own experiment.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.runs import compare_stats as cs
from sim.runs.compare import follow_up_label
from sim.runs.executors import map_tasks
from sim.runs.tracking import TrackPlan, run_tracked
from sim.validation.common import StudyResult, base_scenario, mean_ci, row
from sim.validation.schema import ProgrammeTrialExperiment

#: Lasgaard et al. 2022: effects at 1–6 months "comparable" to those at <= 4 weeks; read here as a ratio of
#: the follow-up SMD to the end-of-programme SMD between 0.5 and 1.5 (assumption: the abstract gives no number).
PERSISTENCE_BAND = (0.5, 1.5)
LASGAARD = "Lasgaard et al. 2022, Eur J Public Health 32(S3) (long-term effects comparable to short-term)"


def trial_design(exp: ProgrammeTrialExperiment, overrides: dict | None = None
                 ) -> tuple[Scenario, Scenario, dict[str, int | None]]:
    """(town without the programme, town with it, trial time points: recorded days) of an experiment."""
    sc = base_scenario(exp, {k: v for k, v in (overrides or {}).items() if not k.startswith("programme.")})
    prog = dict(exp.programme)
    prog.update({k.removeprefix("programme."): v for k, v in (overrides or {}).items() if k.startswith("programme.")})
    follow = list(exp.follow_up_days)
    last = int(prog.get("start_day", 0)) + int(prog.get("duration_days", 7)) - 1
    days = last + (max(follow) if follow else 0) + 1
    sc = sc.with_overrides({"days": days, "interventions": []})
    arm = sc.with_overrides({"interventions": [prog]})
    iv = arm.interventions[0]
    points: dict[str, int | None] = {"baseline": iv.start_day - 1 if iv.start_day >= 1 else None, "end": last}
    for f in follow:
        points[follow_up_label(f)] = last + f
    return sc, arm, points


def tracked_people(args: tuple[dict, int, list[int], int | None, int]) -> pd.DataFrame:
    """One run (scenario JSON, replicate, survey days, the arm's programme index or None, days to run): its
    people track (surveys on the trial days; enrolment and trial allocation for an arm)."""
    data, replicate, survey_days, programme, days = args
    sc = Scenario.model_validate(data).with_overrides({"days": days})
    _, people, _ = run_tracked(sc, sc.seed, replicate, TrackPlan(survey_days=survey_days, checkpoints=[],
                                                                   programme=programme))
    return people


def trial_effects(control: list[pd.DataFrame], arms: list[pd.DataFrame], points: dict[str, int | None]) -> dict[str, Any]:
    """Per time point: per-replicate read-outs and the random-effects pooled SMD and raw difference."""
    out: dict[str, Any] = {}
    for label, day in points.items():
        reps = [cs.trial_readout(a, c, day) for a, c in zip(arms, control)]
        g = cs.random_effects(np.array([r["g"] for r in reps]), np.array([r["se"] for r in reps]))
        d = cs.random_effects(np.array([r["diff"] for r in reps]), np.array([r["se_diff"] for r in reps]))
        out[label] = {"day": day, "smd": g, "difference": d, "replicates": reps}
    return out


def run_trials(exp: ProgrammeTrialExperiment, workers: int = 2, overrides: dict | None = None,
               control: list[pd.DataFrame] | None = None, until: str | None = None
               ) -> tuple[dict[str, Any], list[pd.DataFrame]]:
    """Simulate the experiment's trial in each replicate; returns (effects by time point, the control tracks
    for reuse with other programme sizes). ``until`` stops the runs at that time point (calibration)."""
    without, with_prog, points = trial_design(exp, overrides)
    if until is not None:
        keep = list(points)[: list(points).index(until) + 1]
        points = {k: points[k] for k in keep}
    days = max(d for d in points.values() if d is not None) + 1
    survey = sorted(d for d in points.values() if d is not None)
    reps = exp.replicates
    if control is None:
        control = map_tasks(tracked_people, [(without.model_dump(mode="json"), r, survey, None, days)
                                             for r in range(reps)], workers)
    arms = map_tasks(tracked_people, [(with_prog.model_dump(mode="json"), r, survey, 0, days) for r in range(reps)],
                     workers)
    return trial_effects(control, arms, points), control


def study_programme_trial(exp: ProgrammeTrialExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 6: one programme's simulated trial against its published effect, and its persistence."""
    t0 = time.perf_counter()
    effects, _ = run_trials(exp, workers, overrides)
    _, arm, points = trial_design(exp, overrides)
    iv = arm.interventions[0]
    name = exp.name
    pub = exp.published
    ref = pub.reference
    rows = []
    end = effects["end"]
    if pub.smd is not None and pub.smd_interval is not None:
        lo, hi = pub.smd_interval
        rows.append(row(name, f"{iv.kind}: trial SMD in UCLA-3 at the end of the programme ({pub.smd:+g})",
                        lo, hi, *end["smd"], ref))
    else:
        rows.append(row(name, f"{iv.kind}: trial SMD in UCLA-3 at the end of the programme (not published)",
                        None, None, *end["smd"], ref))
    if pub.difference is not None and pub.difference_interval is not None:
        lo, hi = pub.difference_interval
        rows.append(row(name, f"{iv.kind}: trial difference in UCLA-3 points at the end ({pub.difference:+g})",
                        lo, hi, *end["difference"], ref))
    follow = [k for k in points if k not in ("baseline", "end")]
    ratios = []
    for r in range(len(end["replicates"])):
        g_end = end["replicates"][r]["g"]
        later = [effects[k]["replicates"][r]["g"] for k in follow]
        ratios.append(float(np.nanmean(later)) / g_end if g_end and np.isfinite(g_end) else math.nan)
    rows.append(row(name, f"{iv.kind}: follow-up SMD (mean of {', '.join(follow)}) / end-of-programme SMD",
                    *PERSISTENCE_BAND, *mean_ci(ratios), LASGAARD))
    table = pd.DataFrame([{"time_point": k, "day": v["day"], "smd": v["smd"][0], "smd_low": v["smd"][1],
                           "smd_high": v["smd"][2], "difference_ucla3": v["difference"][0],
                           "difference_low": v["difference"][1], "difference_high": v["difference"][2],
                           "mean_ucla3_usual_life": float(np.mean([x["mean_usual"] for x in v["replicates"]])),
                           "n_per_group": float(np.mean([x["n_programme"] for x in v["replicates"]]))}
                          for k, v in effects.items()])
    field = {"phone_calls": "call_value", "group_activity": "group_tie_closeness", "social_cognition": "reappraisal"}
    size = f"{field[iv.kind]} {getattr(iv, field[iv.kind]):g}" if iv.kind in field else ""  # (each kind its own size)
    base = effects.get("baseline")
    notes = [f"{exp.replicates} replicates of {arm.population.size:,} people; {iv.kind} ({size}), "
             f"{iv.targeting} {iv.coverage:.0%} eligible, days {iv.start_day}-{iv.start_day + iv.duration_days - 1}, "
             f"randomised 1:1",
             f"usual-life mean UCLA-3 at the end {table.loc[table['time_point'] == 'end', 'mean_ucla3_usual_life'].iloc[0]:.2f}"
             + (f"; baseline balance SMD {base['smd'][0]:+.3f}" if base else "")]
    notes += [f"{k}: SMD {v['smd'][0]:+.3f} ({v['smd'][1]:+.3f} to {v['smd'][2]:+.3f}), difference "
              f"{v['difference'][0]:+.2f} UCLA-3 points" for k, v in effects.items()]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        sub = table[table["time_point"] != "baseline"]
        x = sub["day"] - iv.start_day
        for ax, col, label in ((axes[0], "smd", "SMD (Hedges' g)"), (axes[1], "difference_ucla3", "UCLA-3 points")):
            lo_col = "smd_low" if col == "smd" else "difference_low"
            hi_col = "smd_high" if col == "smd" else "difference_high"
            ax.errorbar(x, sub[col], yerr=[sub[col] - sub[lo_col], sub[hi_col] - sub[col]], fmt="o-", capsize=3,
                        color="C0", label="model (95% CI, pooled over replicates)")
            key = "smd" if col == "smd" else "difference"
            if pub.get(key) is not None:
                ax.axhspan(*pub[f"{key}_interval"], color="gold", alpha=0.3, label=f"published {pub[key]:+g}")
            ax.axvspan(0, iv.duration_days, color="C2", alpha=0.08, label="programme")
            ax.axhline(0, color="k", lw=0.8)
            ax.set_xlabel("days since the programme started")
            ax.set_ylabel(f"programme − usual life, {label}")
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)
        fig.suptitle(f"{name}: the simulated trial ({ref})", fontsize=10)
        save_figure(fig, path)

    return StudyResult(name, rows, table, figure, notes, time.perf_counter() - t0)
