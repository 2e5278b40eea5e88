"""Reproducible calibration of the parameters marked *calibrated* in the schema (docs/validation.md).

    .venv/bin/python experiments/calibrate.py                 # every step, in order
    .venv/bin/python experiments/calibrate.py population      # one step: contacts | habits | instruments |
                                                              #   population | population_refine | closure | big_joy |
                                                              #   hazard_ratios
Needs Optuna (``pip install -e '.[calibrate]'``). Every step prints the values it chose; the schema's
defaults and the docs quote that output. Each step uses the defaults of the steps before it, so after
changing a default run the later steps again.

What is tuned, to what, and how (targets are those of experiments/population.yaml; the measures are
computed by :func:`sim.validation.population.population_measures`, so what is calibrated is what is
validated):

1. ``contacts`` — ``ties.family.rate_per_day`` and ``ties.friend.rate_per_day``: the shares of adults with
   less-than-monthly contact with family (15%) and with friends (11%) (Eurostat EU-SILC 2015). Bisection on
   the settled town (reported contact starts at its expected level, so no days need simulating).
2. ``habits`` — ``habits.gain_per_act``: the mean habit strength of the settled town equals its reference
   0.3 (smiles.propensity is the probability at habit 0.3). Bisection on the settled town.
3. ``instruments`` — ``survey.affect.day_noise_sd``: half of the variance of daily positive affect over a
   week lies within persons (Merz & Roesch 2011), solved from a week of noise-free diaries.
4. ``population`` — jointly, with Optuna's TPE sampler (seeded): ``population.desired_contacts_median``,
   ``population.desire_by_age`` (four knots), ``population.desire_sociability_correlation``,
   ``population.selection_correlation``, ``population.vigilance_sigma``, ``loneliness.mood_bias``,
   ``loneliness.intimacy_share``, ``loneliness.emotional_weight``, the 65+ level of
   ``population.groups.membership``, the UCLA-3 item model (``survey.ucla3.item_sd``,
   ``low_threshold``, ``high_threshold``) and the family and friend meeting rates (again: the reported
   contact depends on loneliness through withdrawal), minimising the squared, tolerance-scaled distance to: adult
   loneliness 20%, loneliness at 65+ 19%, 'some of the time' on any item at 60+ 43%, Cronbach's alpha
   0.72, isolation at 65+ 24% (severe 4%), the isolation–loneliness overlap at 65+ (71.5% of the isolated
   not lonely, 62% of the lonely not isolated, phi 0.15) and the U-shape (18–29 and 75+ each ~6 points
   above 45–64), with 15% and 11% less-than-monthly contact with family and friends. Each trial: two
   replicates of 20,000 people, settled, then 30 burn-in and 30 recorded days. The search starts from the
   previous best point (``WARM_START``, the shipped defaults: see docs/validation.md for how they were
   reached, including a last hand adjustment of three of them measured with four replicates).
   ``population_refine`` (4b) repeats the search in a box of +-30% around that point.
5. ``closure`` — ``ties.triadic_closure_per_year``: friend ties formed balance those dissolved (mean degree
   stationary over a year). Bisection on one-year runs.
6. ``big_joy`` — ``interventions[].self_act_mood_gain`` of the Big Joy week: the enrolled's pre→post d_z of
   daily positive affect = 0.365, the middle of the band between the controlled kindness effect (Curry et
   al. 2018, δ 0.28) and the uncontrolled Big Joy effect (Guevarra et al. 2025, d_z 0.45). Bisection with
   common random numbers on experiments/big_joy.yaml.
7. ``hazard_ratios`` — ``mortality.hr_isolation`` and ``hr_loneliness``, the hazard ratios of the *current*
   (true) state: the values for which the mortality study's cohort analysis (exposure surveyed once at
   baseline, as in the cohorts Wang et al. 2023 pooled) finds the published 1.32 and 1.14. Exposure measured
   once dilutes a ratio (people move in and out of isolation; the survey misclassifies some), so the
   current-state ratios are larger than the published ones. Solved jointly on one simulated cohort.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.config import Scenario, load_scenario  # noqa: E402
from sim.runs.executors import map_tasks  # noqa: E402

WORKERS = 2
SEED = 20261127
TOWN = REPO / "scenarios" / "baseline.yaml"


def town(overrides: dict) -> Scenario:
    """The default town with ``overrides``."""
    return load_scenario(TOWN, overrides)


def _settled(args: tuple[dict, int]):
    """Measures of a settled town (no days simulated) — steady-state quantities."""
    from sim.simulation import Simulation
    from sim.validation.population import population_measures

    data, replicate = args
    sim = Simulation(Scenario.model_validate(data), replicate=replicate, burn_in=False)
    sim.day = 1  # the survey of 'the last day' is the survey of the settled start
    return population_measures(sim)


def _short_run(args: tuple[dict, int]):
    """Measures after the burn-in and a few recorded days (measurement noise included)."""
    from sim.simulation import Simulation
    from sim.validation.population import population_measures

    data, replicate = args
    sim = Simulation(Scenario.model_validate(data), replicate=replicate).run()
    return population_measures(sim)


def measure(overrides: dict, replicates: int = 2, runner=_settled) -> dict[str, float]:
    """Mean over ``replicates`` of the population measures of the town with ``overrides``."""
    sc = town(overrides)
    runs = map_tasks(runner, [(sc.model_dump(mode="json"), r) for r in range(replicates)], WORKERS)
    return {k: float(np.nanmean([r[k] for r in runs])) for k in runs[0]}


def bisect(f, lo: float, hi: float, target: float, tol: float, name: str) -> float:
    """Root of f(x) = target on [lo, hi] (f monotone), to ``tol``; prints every evaluation."""
    f_lo, f_hi = f(lo), f(hi)
    print(f"{name}: target {target}; {lo:.5g} -> {f_lo:.4f}, {hi:.5g} -> {f_hi:.4f}", flush=True)
    if not (min(f_lo, f_hi) <= target <= max(f_lo, f_hi)):
        print(f"{name}: target not bracketed; no value chosen")
        return float("nan")
    rising = f_hi > f_lo
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        print(f"  {mid:.5g} -> {f_mid:.4f}", flush=True)
        if (f_mid < target) == rising:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------- 1-3: structure, habits, instruments
def calibrate_contacts(size: int = 20_000) -> tuple[float, float]:
    """ties.family.rate_per_day and ties.friend.rate_per_day to the EU-SILC less-than-monthly shares."""
    base = {"population.size": size}
    fam = bisect(lambda x: measure(base | {"ties.family.rate_per_day": x})["kin_rare"], 0.05, 1.0, 0.15, 0.005,
                 "contacts (ties.family.rate_per_day -> kin_rare)")
    fr = bisect(lambda x: measure(base | {"ties.friend.rate_per_day": x})["friends_rare"], 0.05, 1.5, 0.11, 0.005,
                "contacts (ties.friend.rate_per_day -> friends_rare)")
    print(f"contacts: ties.family.rate_per_day = {fam:.3f}, ties.friend.rate_per_day = {fr:.3f}")
    return round(fam, 3), round(fr, 3)


def calibrate_habits(size: int = 20_000) -> float:
    """habits.gain_per_act so the settled town's mean habit is the reference 0.3."""
    gain = bisect(lambda x: measure({"population.size": size, "habits.gain_per_act": x})["mean_habit"],
                  0.0005, 0.01, 0.3, 0.00005, "habits (gain_per_act -> mean habit)")
    print(f"habits: habits.gain_per_act = {gain:.5f}")
    return round(gain, 5)


def calibrate_instruments(size: int = 20_000) -> float:
    """survey.affect.day_noise_sd to a daily-affect ICC of 0.5 (from a week of noise-free diaries)."""
    from sim.simulation import Simulation

    sc = town({"population.size": size, "days": 7, "survey.affect.day_noise_sd": 0.0,
               "output.survey_days": list(range(7))})
    sim = Simulation(sc).run()
    alive = np.all([sim.surveys[d].isolation_index >= 0 for d in range(7)], axis=0)
    mood = np.stack([(sim.surveys[d].positive_affect[alive] - 3) / 2 for d in range(7)], axis=1)
    between = mood.mean(axis=1).var(ddof=1)
    within = mood.var(axis=1, ddof=1).mean()
    noise = math.sqrt(max(between - within, 0.0))  # between = within + noise^2 gives ICC 0.5
    print(f"instruments: survey.affect.day_noise_sd = {noise:.3f} (between-person variance of daily mood "
          f"{between:.4f}, within {within:.4f})")
    return round(noise, 3)


# ---------------------------------------------------------------- 4: the population, jointly
TARGETS = {  # measure: (target, tolerance)
    "lonely_adults": (0.20, 0.02), "lonely_65plus": (0.19, 0.02), "lenient_60plus": (0.43, 0.04),
    "isolated_65plus": (0.24, 0.02), "severe_65plus": (0.04, 0.01),
    "isolated_not_lonely_65plus": (0.715, 0.015), "lonely_not_isolated_65plus": (0.62, 0.05),
    "phi_65plus": (0.15, 0.015), "u_young": (0.06, 0.03), "u_old": (0.06, 0.03), "ucla3_alpha": (0.72, 0.02),
    "kin_rare": (0.15, 0.02), "friends_rare": (0.11, 0.02),
}

#: The best point of the last full search, tried first (the search is seeded; its result is printed).
WARM_START = {"desired": 1.7, "d18": 0.943, "d30": 1.316, "d65": 1.055, "d80": 0.58, "rho": 0.061,
              "vigilance_sigma": 1.041, "mood_bias": 0.665, "kappa": 0.629, "omega": 0.212, "groups65": 0.873,
              "selection": 0.709, "item_sd": 0.327, "t1": 0.595, "t_gap": 0.387, "family_rate": 0.188,
              "friend_rate": 0.245}
#: The full search's box; ``population_refine`` searches +-30% around ``WARM_START`` inside it.
SPACE = {"desired": (1.5, 5.0), "d18": (0.9, 2.0), "d30": (0.9, 1.6), "d65": (0.5, 1.1), "d80": (0.5, 1.3),
         "rho": (0.0, 0.95), "vigilance_sigma": (0.1, 1.5), "mood_bias": (0.05, 0.8), "kappa": (0.2, 0.8),
         "omega": (0.2, 0.9), "groups65": (0.4, 0.9), "selection": (0.0, 0.9), "item_sd": (0.1, 0.5),
         "t1": (0.2, 0.6), "t_gap": (0.1, 0.9),  # high threshold = t1 + t_gap x (1 - t1)
         "family_rate": (0.05, 0.5), "friend_rate": (0.05, 0.6)}


def population_overrides(p: dict) -> dict:
    """Scenario overrides of one point of the joint calibration."""
    return {
        "population.desired_contacts_median": p["desired"],
        "population.desire_by_age": {"ages": [18, 30, 45, 65, 80, 90],
                                     "values": [p["d18"], p["d30"], 1.0, p["d65"], p["d80"], p["d80"]]},
        "population.desire_sociability_correlation": p["rho"],
        "population.vigilance_sigma": p["vigilance_sigma"],
        "loneliness.mood_bias": p["mood_bias"],
        "loneliness.intimacy_share": p["kappa"],
        "loneliness.emotional_weight": p["omega"],
        "population.groups.membership": {"ages": [18, 45, 65, 90], "values": [0.5, 0.5, p["groups65"], p["groups65"]]},
        "population.selection_correlation": p["selection"],
        "survey.ucla3.item_sd": p["item_sd"],
        "survey.ucla3.low_threshold": p["t1"],
        "survey.ucla3.high_threshold": p["t1"] + p["t_gap"] * (1.0 - p["t1"]),
        "ties.family.rate_per_day": p["family_rate"],
        "ties.friend.rate_per_day": p["friend_rate"],
    }


def loss(m: dict) -> float:
    """Sum of squared, tolerance-scaled distances to the targets."""
    return float(sum(((m[k] - t) / tol) ** 2 for k, (t, tol) in TARGETS.items()))


def calibrate_population(trials: int = 200, size: int = 20_000, space: dict | None = None) -> dict:
    """The joint Optuna search (see the module docstring); prints the best point and its measures."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = space or SPACE
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=SEED, multivariate=True))
    study.enqueue_trial(WARM_START)
    t0 = time.perf_counter()
    for k in range(trials):
        trial = study.ask()
        p = {name: trial.suggest_float(name, lo, hi) for name, (lo, hi) in space.items()}
        m = measure({"population.size": size, "burn_in_days": 30, "days": 30} | population_overrides(p),
                    runner=_short_run)
        value = loss(m)
        study.tell(trial, value)
        if k % 10 == 0 or value <= study.best_value:
            print(f"  trial {k}: loss {value:.2f} (best {study.best_value:.2f}); {time.perf_counter() - t0:.0f}s", flush=True)
    best = study.best_params
    m = measure({"population.size": size, "burn_in_days": 30, "days": 30} | population_overrides(best),
                replicates=4, runner=_short_run)
    print("population: chosen " + ", ".join(f"{k} = {v:.3f}" for k, v in best.items()))
    print("population: measures " + ", ".join(f"{k} {m[k]:.3f} (target {t})" for k, (t, _) in TARGETS.items()))
    return best


def calibrate_population_refine(trials: int = 120, width: float = 0.3) -> dict:
    """Step 4b: the joint search again in a box of +-``width`` around ``WARM_START`` (inside the full box)."""
    box = {k: (max(lo, (1 - width) * WARM_START[k]), min(hi, (1 + width) * WARM_START[k])) for k, (lo, hi) in SPACE.items()}
    return calibrate_population(trials, space=box)


# ---------------------------------------------------------------- 5-6: dynamics
def _degree_change(args: tuple[dict, int]) -> float:
    from sim.simulation import Simulation

    data, replicate = args
    ts = Simulation(Scenario.model_validate(data), replicate=replicate).run().timeseries()
    return float(ts["mean_degree"].iloc[-30:].mean() / ts["mean_degree"].iloc[:30].mean() - 1)


def calibrate_closure(size: int = 10_000) -> float:
    """ties.triadic_closure_per_year so the mean degree does not drift over a year."""
    def change(x: float) -> float:
        sc = town({"population.size": size, "ties.triadic_closure_per_year": x})
        return float(np.mean(map_tasks(_degree_change, [(sc.model_dump(mode="json"), r) for r in range(2)], WORKERS)))

    rate = bisect(change, 0.0, 1.5, 0.0, 0.01, "closure (triadic_closure_per_year -> yearly degree change)")
    print(f"closure: ties.triadic_closure_per_year = {rate:.3f}")
    return round(rate, 3)


def calibrate_big_joy(replicates: int = 2, size: int = 10_000, target: float = 0.365) -> float:
    """self_act_mood_gain of the Big Joy week to the enrolled's positive-affect d_z."""
    from sim import validation as V
    from sim.validation import big_joy, common

    exp = V.load_experiment(REPO / "experiments" / "big_joy.yaml")
    base = common.base_scenario(exp, {"population.size": size})
    iv = base.interventions[0]
    days = iv.start_day + iv.duration_days

    def effect(gain: float) -> float:
        sc = base.with_overrides({"interventions.0.self_act_mood_gain": gain, "days": days})
        runs = map_tasks(big_joy.big_joy_run, [(sc.model_dump(mode="json"), r, 0) for r in range(replicates)], WORKERS)
        return float(np.mean([big_joy.big_joy_measures(r)["affect_d_z"] for r in runs]))

    gain = bisect(effect, 0.0, 0.3, target, 0.003, "big_joy (self_act_mood_gain -> positive-affect d_z)")
    print(f"big_joy: self_act_mood_gain = {gain:.3f}")
    return round(gain, 3)


def calibrate_hazard_ratios(replicates: int = 4) -> tuple[float, float]:
    """mortality.hr_isolation and hr_loneliness (the hazard ratios of the current, true state) such that the
    mortality study's cohort analysis — exposure surveyed once at baseline, with the instruments' errors —
    finds Wang et al. 2023's 1.32 and 1.14. The marginal ratio a baseline-exposure analysis finds is
    predicted from the time each person spends in each state (``mortality.predicted_marginal_hr``; within
    1% of the Cox estimates, docs/validation.md); with deaths off that time does not depend on the ratios,
    so one cohort is simulated and the two equations are solved jointly (scipy's fsolve)."""
    from scipy.optimize import fsolve

    from sim import validation as V
    from sim.validation import common, mortality

    exp = V.load_experiment(REPO / "experiments" / "mortality.yaml")
    target = (exp["published"]["hr_isolation"][1], exp["published"]["hr_loneliness"][1])
    sc = common.base_scenario(exp, {"mortality.simulate_deaths": False})
    t0 = time.perf_counter()
    df = mortality.cohort_frame(sc, replicates, WORKERS)

    def gap(x):
        a, b = np.exp(x)
        pi, pl = mortality.predicted_marginal_hr(df, a, b, sc.mortality.combination)
        return [math.log(pi) - math.log(target[0]), math.log(pl) - math.log(target[1])]

    a, b = np.exp(fsolve(gap, np.log(target)))
    pi, pl = mortality.predicted_marginal_hr(df, a, b, sc.mortality.combination)
    print(f"hazard_ratios: hr_isolation = {a:.3f}, hr_loneliness = {b:.3f} -> marginal {pi:.3f} / {pl:.3f} "
          f"(target {target[0]} / {target[1]}; {replicates} x {sc.population.size:,} people, "
          f"{sc.days} days, {time.perf_counter() - t0:.0f}s)")
    return round(float(a), 3), round(float(b), 3)


STEPS = {"contacts": calibrate_contacts, "habits": calibrate_habits, "instruments": calibrate_instruments,
         "population": calibrate_population,
         "population_refine": calibrate_population_refine, "closure": calibrate_closure, "big_joy": calibrate_big_joy,
         "hazard_ratios": calibrate_hazard_ratios}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(STEPS):
        STEPS[name]()
