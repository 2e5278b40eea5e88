"""Study 4 — SISa asymmetry with smiles and kind acts off: per-tie transmission rates and mean time in the
content and discontent states, estimated from the simulated transitions."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim._core import DAYS_PER_YEAR
from sim.runs.executors import map_tasks
from sim.validation.common import StudyResult, base_scenario, row, scenario_from_json
from sim.validation.schema import ContagionExperiment


def contagion_run(args: tuple) -> dict[str, np.ndarray]:
    """Daily SISa transitions, each person-day binned by the number of content / discontent
    neighbours (active ties) at the start of the day.

    ``perturb``: after burn-in, redraw everyone's emotional state with equal shares (mood set to the
    new state's resting level), so that discontent neighbours are common enough to estimate the
    per-tie rates; the rates are per tie and do not depend on prevalence."""
    from sim._core import CONTENT, DISCONTENT, NEUTRAL
    from sim.dynamics.mood import resting_mood
    from sim.simulation import Simulation

    data, replicate, kmax = args[:3]
    perturb = bool(args[3]) if len(args) > 3 else False
    sc = scenario_from_json(data)
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
    """Per-tie and spontaneous transition rates (per year), times in the content and discontent states
    and their ratios, from pooled counts."""
    from sim._core import CONTENT, DISCONTENT

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


def study_contagion(exp: ContagionExperiment, workers: int = 2, overrides: dict | None = None) -> StudyResult:
    """Study 4: SISa asymmetry (per-contact spread and time in state) against Hill et al. 2010, with bootstrap intervals."""
    t0 = time.perf_counter()
    sc = base_scenario(exp, overrides)
    reps = exp.replicates
    kmax = exp.kmax
    # Two designs on the same town: at its own equilibrium (time in each state, shares), and from a
    # perturbed start with equal shares of the three states (per-tie transmission rates).
    data = sc.model_dump(mode="json")
    pt_days = exp.perturbed_days or sc.days
    data_pt = sc.with_overrides({"days": pt_days}).model_dump(mode="json")
    tasks = [(data, r, kmax, False) for r in range(reps)] + [(data_pt, r, kmax, True) for r in range(reps)]
    out = map_tasks(contagion_run, tasks, workers)
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
    rng = np.random.default_rng(exp.bootstrap_seed)
    boots = []
    for _ in range(exp.bootstraps):
        b, bp = dict(pooled), dict(pooled_pt)
        for k in ("nc_events", "nd_events", "exits"):
            b[k] = rng.poisson(pooled[k]).astype(float)
            bp[k] = rng.poisson(pooled_pt[k]).astype(float)
        boots.append(measures(b, bp))
    bt = pd.DataFrame(boots)
    s = {c: (point[c], float(np.nanpercentile(bt[c], 2.5)), float(np.nanpercentile(bt[c], 97.5))) for c in point}
    pooled = pooled_pt  # the figure's transmission panel shows the perturbed design
    pub = exp.published
    ref = "Hill, Rand, Nowak & Christakis 2010, Proc R Soc B 277:3827"
    rows = [
        row("contagion", "per-contact spread, negative / positive (ratio)", *pub.spread_ratio,
            *s["spread_ratio_negative_over_positive"], ref),
        row("contagion", "time in state, content / discontent (ratio)", *pub.duration_ratio,
            *s["duration_ratio_content_over_discontent"], ref),
        row("contagion", "mean time content (years)", *pub.years_content, *s["mean_years_content"], ref),
        row("contagion", "mean time discontent (years)", *pub.years_discontent, *s["mean_years_discontent"], ref),
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
        ax.axhspan(pub.spread_ratio[0], pub.spread_ratio[1], color="gold", alpha=0.3, label="≈2 (Hill 2010)")
        ax.set_xticks([0, 1], ["negative/positive\nspread per tie", "content/discontent\ntime in state"])
        ax.set_title("SISa asymmetry, smiles and kind acts off")
        ax.legend(fontsize=8)
        save_figure(fig, path)

    return StudyResult("contagion", rows, table, figure, notes, time.perf_counter() - t0)
