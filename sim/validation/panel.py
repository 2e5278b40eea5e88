"""Study 9 — how loneliness moves: a simulated panel against published panel studies (docs/validation.md).

Each replicate follows one town over the experiment's days with deaths simulated (so partners die and people
are widowed during the run), surveying everyone yearly and recording the latent state monthly
(:mod:`sim.validation.panel_measures` defines every quantity). Rows: the 1-year stability of the true score and
the year's persistence beside the next-day retest, onsets and recoveries, episodic and sustained loneliness, the
marital and living-alone gradients at 65+, the widowhood course by month as a difference in differences, contact
after widowhood, the two kinds of widow, and the steadiness of prevalence by age band.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, mean_ci, row, scenario_from_json
from sim.validation.panel_measures import WIDOW_MONTHS, panel_measures, panel_run
from sim.validation.schema import PanelExperiment

#: One UCLA-3 point per this much latent loneliness (0–1) near the cut-off: the widowhood course is shown in points.
LATENT_PER_POINT = 1.0 / 6.0

#: Rows of the study: (key in the published block, measure, label, reference).
ROWS = [
    ("stability_1y", "stability_1y", "1-year stability of the true UCLA-3 score (r(0, 1 y) / r(0, 1 d))",
     "Russell 1996 (UCLA r .73, alpha .89-.94) [C]; Mund et al. 2020 [C]"),
    ("persistence_gap", "persistence_gap", "persistence: P(lonely next day | lonely) minus P(lonely a year later | lonely)",
     "LASA (scores change without network change) [S]; Surkalim et al. 2023 [S]"),
    ("episodic_50", "episodic_3_waves_50plus", "episodic loneliness over three biennial waves, 50+",
     "Surkalim et al. 2023, HRS 50+ (biennial waves): 15.5-20.1% [S]"),
    ("sustained_50", "sustained_3_waves_50plus", "sustained loneliness over three biennial waves, 50+",
     "Surkalim et al. 2023, HRS 50+: 3.6-4.6% [S]"),
    ("pr_no_partner_50", "pr_no_partner_50plus", "prevalence ratio of loneliness, no partner vs partnered, 50+",
     "ELSI-Brazil 2019-21: PR of a partner 0.37 (0.30-0.45) [S]"),
    ("or_widowed_65", "or_widowed_65plus", "odds ratio of loneliness, widowed vs partnered, 65+",
     "ONS 2016-17: 3.6 (often/always, 16+) [C]; Kung 2019 HILDA >= 7 (frequently) [S]"),
    ("or_alone_crude_65", "or_alone_crude_65plus", "odds ratio of loneliness, living alone vs not, 65+, crude",
     "Wei et al. 2022, CLHLS: 2.61 (2.38-2.85) [S]"),
    ("or_alone_net_65", "or_alone_net_partner_65plus",
     "odds ratio of loneliness, living alone, 65+, net of partner status, sex and age (Mantel-Haenszel)",
     "Wei et al. 2022, CLHLS: 1.96 (1.75-2.19) adjusted incl. marital status [S]"),
    ("kin_vs_partnered_65", "ratio_with_kin_vs_partnered_65plus",
     "loneliness of the unpartnered living with kin / of the partnered, 65+",
     "ELSI-Brazil: a co-resident child does not replace a partner [S]"),
    ("widow_peak", "widow_peak_points", "widowhood: loneliness in the first 3 months vs matched partnered (UCLA-3 points)",
     "Niino et al. 2024 (26 longitudinal studies): peaks right after the death [S]"),
    ("widow_decline", "widow_late_over_peak", "widowhood: excess at 18 months / excess in the first 3 months",
     "Utz et al. 2014: loneliness declines over the first 1.5 years [S]"),
    ("widow_contact", "widow_contact_kin_change_m6",
     "widowhood: contact with kin 6 months after vs before (relative, vs matched)",
     "Freak-Poli et al. 2022, HILDA: contact with family and friends rises [S]"),
    ("band_drift", "band_drift_max", "largest change of loneliness prevalence in an age band over the run",
     "issue 18: steady within age bands (±1 point per band over 5 years)"),
]


def panel_task(args: tuple[dict, int]) -> dict[str, float]:
    """One replicate of the panel study: its measures."""
    from sim.simulation import Simulation

    data, replicate = args
    sc = scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate)
    return panel_measures(panel_run(sim, survey_years=max(sc.days // 365, 0)))


def _derived(m: dict[str, float]) -> dict[str, float]:
    out = dict(m)
    out["persistence_gap"] = m.get("persist_1d", np.nan) - m.get("persist_1y", np.nan)
    out["widow_peak_points"] = max(m.get(f"widow_did_m{k}", np.nan) for k in (1, 3)) / LATENT_PER_POINT
    for k in WIDOW_MONTHS:
        out[f"widow_points_m{k}"] = m.get(f"widow_did_m{k}", np.nan) / LATENT_PER_POINT
    return out


def study_panel(exp: PanelExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 9: a simulated panel (yearly surveys, monthly states) against published panel figures."""
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = exp.replicates
    runs = map_tasks(panel_task, [(sc.model_dump(mode="json"), r) for r in range(reps)], workers)
    per = pd.DataFrame([_derived(r) for r in runs])
    summary = {c: mean_ci(per[c]) for c in per.columns}
    pub = exp.published
    rows = []
    for key, measure, label, ref in ROWS:
        lo, hi = getattr(pub, key)
        rows.append(row("panel", label, lo, hi, *summary.get(measure, (np.nan, np.nan, np.nan)), ref))
    table = pd.DataFrame([{"measure": c, "mean": v[0], "low": v[1], "high": v[2]} for c, v in summary.items()])
    widowed = float(per[[f"widow_n_m{k}" for k in (1,)]].sum().iloc[0])
    notes = [f"{reps} replicates of {sc.population.size:,} people over {sc.days} days, deaths simulated; "
             f"{widowed:.0f} people widowed during the runs and followed a month later",
             f"1-year test-retest r {summary['retest_r_1y'][0]:.3f} against next-day {summary['retest_r_day1'][0]:.3f}; "
             f"persistence a year later {summary['persist_1y'][0]:.3f} against the next day {summary['persist_1d'][0]:.3f}; "
             f"yearly onset {summary['onset_1y'][0]:.3f}, recovery {summary['recovery_1y'][0]:.3f}",
             f"loneliness at 65+: partnered {summary['lonely_partnered_65plus'][0]:.3f}, unpartnered "
             f"{summary['lonely_unpartnered_65plus'][0]:.3f}, unpartnered living with kin "
             f"{summary['lonely_unpartnered_with_kin_65plus'][0]:.3f}; widowed before day 0 "
             f"{summary['lonely_widowed_before_65plus'][0]:.3f}, widowed during the run "
             f"{summary['lonely_widowed_during_65plus'][0]:.3f}",
             "widowhood course (UCLA-3 points above matched partnered): "
             + ", ".join(f"month {k} {summary[f'widow_points_m{k}'][0]:+.2f}" for k in WIDOW_MONTHS)]

    def figure(path: Path) -> None:
        from sim.plots import plt, save_figure

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
        ax = axes[0]
        months = np.array(WIDOW_MONTHS)
        m = np.array([summary[f"widow_points_m{k}"][0] for k in WIDOW_MONTHS])
        lo = np.array([summary[f"widow_points_m{k}"][1] for k in WIDOW_MONTHS])
        hi = np.array([summary[f"widow_points_m{k}"][2] for k in WIDOW_MONTHS])
        ax.plot(months, m, "o-", color="C3", label="model (mean of replicates)")
        ax.fill_between(months, lo, hi, color="C3", alpha=0.2, label="95% interval across replicates")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xlabel("months since the partner's death")
        ax.set_ylabel("excess loneliness vs matched partnered\n(UCLA-3 points, latent score)")
        ax.set_title("Widowhood: an early peak, then recovery")
        ax.legend(fontsize=8, loc="upper right")
        ax = axes[1]
        bands = ["18_29", "30_44", "45_64", "65_74", "75plus"]
        x = np.arange(len(bands))
        start = [summary[f"lonely_{b}_start"][0] for b in bands]
        end = [summary[f"lonely_{b}_end"][0] for b in bands]
        ax.bar(x - 0.2, start, 0.4, label="first day", color="C0")
        ax.bar(x + 0.2, end, 0.4, label=f"day {sc.days}", color="C1")
        ax.set_xticks(x, ["18-29", "30-44", "45-64", "65-74", "75+"])
        ax.set_xlabel("age band (years)")
        ax.set_ylabel("share lonely (true UCLA-3 score >= 6)")
        ax.set_title("Prevalence by age band at the start and the end")
        ax.legend(fontsize=8, loc="upper left")
        save_figure(fig, path)

    return StudyResult("panel", rows, table, figure, notes, time.perf_counter() - t0)
