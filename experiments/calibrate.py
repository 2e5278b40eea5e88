"""Reproducible calibration of the parameters the validation studies tune (docs/validation.md).

    .venv/bin/python experiments/calibrate.py            # all targets
    .venv/bin/python experiments/calibrate.py big_joy    # one target: loneliness | habits | big_joy | hazard_ratios

What is tuned, to what, and how (run in this order: each later target uses the earlier defaults):

0a. ``population.desired_contacts_median`` (default in sim/config/) — median desired connection.
   Target: the default town's (scenarios/baseline.yaml) adult loneliness prevalence one year after
   burn-in = 20%, the middle of the published 16–24% band (WHO 2025 to Meta–Gallup 2023, science.md
   §4). Method: bisection on [1.0, 4.0] with common random numbers; prevalence rises with the desire.

0b. ``habits.gain_per_act`` (default in sim/config/) — habit gain per act. Target: the default
   town's mean habit strength after one year equals its initial mean (0.3), i.e. habits are
   stationary at baseline and move only when a programme changes behaviour. Method: bisection on
   [0, 0.01]; the end-of-year mean habit rises with the gain.

1. ``interventions[].self_act_mood_gain`` (big_joy; default in sim/config/) — the daily mood gain
   from the self-directed micro-acts of the Big Joy week. Target: the enrolled's pre→post
   standardised mean change of mood (change / pre-test SD) = 0.38, the middle of the band between
   the controlled kindness effect (Curry et al. 2018, δ = 0.28) and the uncontrolled Big Joy pre–post
   effect (Guevarra et al. 2025, d_z = 0.48). Method: bisection on [0, 0.15] with common random
   numbers (the same replicates at every trial value), on the experiment's own set-up
   (experiments/big_joy.yaml). The model's change is monotone in the gain.

2. Conditional hazard ratios ``mortality.hr_isolation`` / ``mortality.hr_loneliness`` under the
   multiplicative rule such that the MARGINAL estimates a baseline-exposure cohort study would find
   (isolated vs not, lonely vs not) equal Wang et al. 2023's 1.32 and 1.14. Method: simulate the
   mortality cohort (experiments/mortality.yaml) with deaths off, record for each person the share of
   follow-up spent isolated, lonely and both; the expected marginal HR for any pair of configured
   ratios is the ratio of mean follow-up relative hazard, exposed vs unexposed at baseline; solve the
   two equations for the two ratios with a root finder on the log scale. The result is verified with
   simulated deaths and a Cox model by the ``calibrated conditional`` variant of the mortality study.
   This is reported, not written into the defaults: the defaults keep the published (marginal)
   values, and sim/config/mechanisms.py's description of the two fields says so.

Every run prints the values chosen; the docs quote this output.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim import validation as V  # noqa: E402
from sim.runs import executors  # noqa: E402
from sim.validation import big_joy, common, mortality  # noqa: E402

BIG_JOY_TARGET = 0.38
WORKERS = 2


def _town(overrides: dict, replicates: int, measure) -> float:
    """Mean over replicates of ``measure(sim)`` for the default town one year after burn-in."""
    from sim.config import load_scenario

    sc = load_scenario(REPO / "scenarios" / "baseline.yaml", overrides)
    return float(np.mean(executors.map_tasks(_town_run, [(sc.model_dump(mode="json"), r, measure) for r in range(replicates)],
                                WORKERS)))


def _town_run(args) -> float:
    from sim.simulation import Simulation

    data, r, measure = args
    sim = Simulation(common.scenario_from_json(data), replicate=r)
    sim.run()
    return measure(sim)


def _adult_loneliness(sim) -> float:
    p = sim.people
    return float(p.lonely[p.alive].mean())


def _mean_habit(sim) -> float:
    p = sim.people
    return float(p.habit[p.alive].mean())


def bisect(f, lo: float, hi: float, target: float, tol: float, name: str, fmt: str = "{:.4f}") -> float:
    f_lo, f_hi = f(lo), f(hi)
    print(f"{name}: target {target}; {fmt.format(lo)} -> {f_lo:.4f}, {fmt.format(hi)} -> {f_hi:.4f}")
    if not (min(f_lo, f_hi) <= target <= max(f_lo, f_hi)):
        print(f"{name}: target not bracketed; no value chosen")
        return float("nan")
    rising = f_hi > f_lo
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        print(f"  {fmt.format(mid)} -> {f_mid:.4f}")
        if (f_mid < target) == rising:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def calibrate_loneliness(replicates: int = 2, size: int = 10_000) -> float:
    f = lambda x: _town({"population.size": size, "population.desired_contacts_median": x}, replicates,  # noqa: E731
                        _adult_loneliness)
    chosen = round(bisect(f, 1.0, 4.0, 0.20, 0.02, "loneliness (desired_contacts_median)"), 2)
    print(f"loneliness: population.desired_contacts_median = {chosen} (prevalence {f(chosen):.3f}; "
          f"{replicates} replicates x {size:,} people, one year after burn-in)")
    return chosen


def calibrate_habits(replicates: int = 2, size: int = 10_000) -> float:
    from sim.config import Scenario

    target = Scenario().habits.initial_mean
    f = lambda x: _town({"population.size": size, "habits.gain_per_act": x}, replicates, _mean_habit)  # noqa: E731
    chosen = round(bisect(f, 0.0, 0.01, target, 0.0001, "habits (gain_per_act)", "{:.5f}"), 4)
    print(f"habits: habits.gain_per_act = {chosen} (mean habit after a year {f(chosen):.4f}, target {target}; "
          f"{replicates} replicates x {size:,} people)")
    return chosen


def calibrate_big_joy(replicates: int = 2, size: int = 10_000, tol: float = 0.005) -> float:
    exp = V.load_experiment(REPO / "experiments" / "big_joy.yaml")
    base = common.base_scenario(exp, {"population.size": size})
    iv = base.interventions[0]
    days = iv.start_day + iv.duration_days

    def effect(gain: float) -> float:
        sc = base.with_overrides({"interventions.0.self_act_mood_gain": gain, "days": days})
        runs = executors.map_tasks(big_joy.big_joy_run, [(sc.model_dump(mode="json"), r, 0) for r in range(replicates)], WORKERS)
        return float(np.mean([big_joy.big_joy_measures(r)["mood_d_smc"] for r in runs]))

    lo, hi = 0.0, 0.15
    f_lo, f_hi = effect(lo), effect(hi)
    print(f"big_joy: target standardised change {BIG_JOY_TARGET}; gain {lo:g} -> {f_lo:.3f}, gain {hi:g} -> {f_hi:.3f}")
    if not (f_lo <= BIG_JOY_TARGET <= f_hi):
        print("big_joy: target not bracketed; no value chosen")
        return float("nan")
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        f_mid = effect(mid)
        print(f"  gain {mid:.4f} -> {f_mid:.3f}")
        lo, hi = (mid, hi) if f_mid < BIG_JOY_TARGET else (lo, mid)
    chosen = round(0.5 * (lo + hi), 3)
    print(f"big_joy: self_act_mood_gain = {chosen} (effect {effect(chosen):.3f}; "
          f"{replicates} replicates x {size:,} people, bisection tolerance {tol})")
    return chosen


def calibrate_hazard_ratios(replicates: int = 2) -> tuple[float, float]:
    from scipy.optimize import root

    exp = V.load_experiment(REPO / "experiments" / "mortality.yaml")
    sc = common.base_scenario(exp, {"mortality.simulate_deaths": False})
    t0 = time.perf_counter()
    df = mortality.cohort_frame(sc, replicates, WORKERS)
    target = np.log([exp["published"]["hr_isolation"][1], exp["published"]["hr_loneliness"][1]])
    m = sc.mortality
    pi, pl = mortality.predicted_marginal_hr(df, m.hr_isolation, m.hr_loneliness, m.combination)
    print(f"hazard_ratios: cohort of {len(df):,} ({replicates} replicates, {sc.days} days, {time.perf_counter() - t0:.0f}s); "
          f"{df['isolated0'].mean():.1%} isolated, {df['lonely0'].mean():.1%} lonely at baseline")
    print(f"  configured {m.hr_isolation:g}/{m.hr_loneliness:g} ({m.combination}) -> expected marginal "
          f"{pi:.3f}/{pl:.3f}")

    def residual(x):
        hi, hl = np.exp(x)
        return np.log(mortality.predicted_marginal_hr(df, hi, hl, m.combination)) - target

    sol = root(residual, x0=target, method="hybr")
    hi, hl = (float(v) for v in np.exp(sol.x))
    pi, pl = mortality.predicted_marginal_hr(df, hi, hl, m.combination)
    print(f"hazard_ratios: conditional hr_isolation = {hi:.3f}, hr_loneliness = {hl:.3f} ({m.combination}) -> "
          f"expected marginal {pi:.3f}/{pl:.3f} (targets {math.exp(target[0]):.2f}/{math.exp(target[1]):.2f}; "
          f"solver {'converged' if sol.success else 'did not converge'})")
    return round(hi, 3), round(hl, 3)


if __name__ == "__main__":
    steps = {"loneliness": calibrate_loneliness, "habits": calibrate_habits, "big_joy": calibrate_big_joy,
             "hazard_ratios": calibrate_hazard_ratios}
    for name in sys.argv[1:] or list(steps):
        steps[name]()
