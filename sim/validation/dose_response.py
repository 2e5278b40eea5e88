"""Study 5 — expected deaths per 1,000 person-years across isolation levels at both ends of the
hazard-ratio intervals."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, mean_ci, row, scenario_from_json
from sim.validation.schema import DoseResponseExperiment


def dose_run(args: tuple[dict, int, list[tuple[float, float]]]) -> dict[str, Any]:
    """One run of an isolation level, its risk ledger evaluated under every (hr_isolation, hr_loneliness)
    pair (deaths off, so the ratios do not change the trajectory: :func:`sim.mortality.proxies` is a
    pure function of the ledger)."""
    from sim import mortality
    from sim.simulation import Simulation

    data, replicate, hr_sets = args
    sc = scenario_from_json(data)
    sim = Simulation(sc, replicate=replicate).run()
    out: dict[str, Any] = {k: np.zeros(len(hr_sets)) for k in ("deaths_per_1000_py", "attributable_per_1000_py",
                                                               "paf_isolation")}
    for j, (hi, hl) in enumerate(hr_sets):
        proxies = mortality.proxies(sim.ledger, sc.mortality.model_copy(update={"hr_isolation": hi,
                                                                                "hr_loneliness": hl}))
        out["deaths_per_1000_py"][j] = proxies["expected_deaths_per_1000_py"]
        out["attributable_per_1000_py"][j] = proxies["attributable_deaths_isolation_per_1000_py"]
        out["paf_isolation"][j] = proxies["paf_isolation"]
    days, hazard = sim.ledger.person_days, sim.ledger.hazard_years
    summ = sim.summary()
    # the ledger at the scenario's own ratios must reproduce the run's summary (a check of proxies())
    own = mortality.proxies(sim.ledger, sc.mortality)["expected_deaths_per_1000_py"]
    return out | {"isolation_prevalence": float((days[1] + days[3]) / days.sum()),
                  "check_own": own,
                  # the share of baseline deaths (at relative hazard 1) among the isolated: Levin's p when
                  # exposure and baseline risk differ by age (young adults are isolated more, die less)
                  "isolation_prevalence_hazard_weighted": float((hazard[1] + hazard[3]) / hazard.sum()),
                  "check_central": summ["expected_deaths_per_1000_py"],
                  "loneliness_prevalence": summ["loneliness_prevalence_mean"]}


def study_dose_response(exp: DoseResponseExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 5: expected and attributable deaths per 1,000 person-years across isolation levels, at the
    ends of Wang 2023's HR intervals."""
    t0 = time.perf_counter()
    base = base_scenario(exp, overrides)
    reps = exp.replicates
    levels = list(exp.isolation_fractions)
    hr_sets = [tuple(x) for x in exp.hr_sets]     # [(hr_isolation, hr_loneliness)], low, central, high
    labels = list(exp.hr_labels)
    tasks = [(base.with_overrides({"network.isolation.fraction": f}).model_dump(mode="json"), r, hr_sets)
             for f in levels for r in range(reps)]
    runs = map_tasks(dose_run, tasks, workers)
    recs = []
    for i, f in enumerate(levels):
        rs = runs[i * reps:(i + 1) * reps]
        for j, lab in enumerate(labels):
            rec = {"isolation_fraction": f, "hr_set": lab, "hr_isolation": hr_sets[j][0], "hr_loneliness": hr_sets[j][1],
                   "isolation_prevalence": float(np.mean([r["isolation_prevalence"] for r in rs])),
                   "isolation_prevalence_hazard_weighted": float(np.mean([r["isolation_prevalence_hazard_weighted"]
                                                                          for r in rs])),
                   "loneliness_prevalence": float(np.mean([r["loneliness_prevalence"] for r in rs]))}
            for key in ("deaths_per_1000_py", "attributable_per_1000_py", "paf_isolation"):
                mm, lo, hi = mean_ci([r[key][j] for r in rs])
                rec[key], rec[key + "_low"], rec[key + "_high"] = mm, lo, hi
            recs.append(rec)
    table = pd.DataFrame(recs)
    check = max(abs(r["check_central"] - r["check_own"]) for r in runs)
    # Validation row: the population attributable fraction of isolation in the reference town against
    # Levin's formula p(HR-1)/(1 + p(HR-1)) with Wang 2023's CI, p the share of baseline deaths among the
    # isolated (the prevalence weighted by baseline hazard: isolation is commonest among the young).
    f_ref = float(exp.reference_fraction if exp.reference_fraction is not None else levels[-1])
    at = table[table["isolation_fraction"] == f_ref].set_index("hr_set")
    prev = float(at["isolation_prevalence_hazard_weighted"].iloc[0])
    pub = exp.published
    levin = [prev * (h - 1) / (1 + prev * (h - 1)) for h in (pub.hr_isolation[0], pub.hr_isolation[2])]
    rows = [row("dose_response", f"PAF of isolation, {prev:.0%} of baseline deaths among the isolated "
                "(model low/high = HR interval ends)",
                levin[0], levin[1], float(at.loc["central", "paf_isolation"]), float(at.loc["low", "paf_isolation"]),
                float(at.loc["high", "paf_isolation"]), "[D] Levin's formula with Wang et al. 2023 HR 1.26–1.39")]
    notes = [f"{reps} replicates x {len(levels)} isolation levels of {base.population.size:,} people, {base.days} days; "
             f"each run's risk ledger evaluated under every HR pair on the same trajectory (max |difference| from "
             f"the run's own summary at the scenario's ratios: {check:.2e} deaths per 1,000 py)"]

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
