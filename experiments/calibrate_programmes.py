"""Reproducible calibration of the programmes' size parameters to the published trials (docs/programmes.md).

    .venv/bin/python experiments/calibrate_programmes.py                 # all three, print the values
    .venv/bin/python experiments/calibrate_programmes.py --write         # ... and write them into sim/config/programmes.py
    .venv/bin/python experiments/calibrate_programmes.py phone_calls     # one: phone_calls | group_activity | social_cognition

Each programme has one size parameter, tuned so that its simulated trial (the experiment file's own design:
town, eligibility, length, replicates, seed) finds the published effect at the end of the programme:

* ``call_value`` (phone_calls) — contact-equivalents of connection per empathy-focused call. Target: the
  UCLA-3 difference programme − usual life after 4 weeks = -1.1 points (Kahlon et al. 2021 [S]);
  experiments/programme_phone_calls.yaml.
* ``group_tie_closeness`` (group_activity) — closeness of the ties members form in their group. Target:
  SMD = -0.27 (Shekelle et al. 2024 [C]); experiments/programme_groups.yaml.
* ``reappraisal`` (social_cognition) — share by which vigilance and the connection needed to feel connected
  fall by the end of the programme. Target: SMD = -0.43 (Hickin et al. 2021 [C]);
  experiments/programme_cbt.yaml.

Method: Brent's root finder (scipy.optimize.brentq) on effect(x) - target within the bracket, with common
random numbers: the towns without the programme are simulated once and every trial value of x reuses
them, and the towns with it use the same seeds, so effect(x) is a deterministic function. The effect
grows in size with each parameter. Re-run after any change to the model's defaults (the lead's
calibration changes how lonely people are and how fast loneliness moves), then regenerate the
validation rows and the reference comparison (docs/programmes.md, "Regenerate").
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scipy.optimize import brentq  # noqa: E402

from sim.validation import load_experiment  # noqa: E402
from sim.validation.programmes import run_trials, trial_design  # noqa: E402

#: programme kind -> (experiment file, parameter, bracket, measure, target)
TARGETS = {
    "phone_calls": ("programme_phone_calls.yaml", "call_value", (0.0, 12.0), "difference", -1.1),
    "group_activity": ("programme_groups.yaml", "group_tie_closeness", (0.01, 1.0), "smd", -0.27),
    "social_cognition": ("programme_cbt.yaml", "reappraisal", (0.0, 0.95), "smd", -0.43),
}
CONFIG = REPO / "sim" / "config" / "programmes.py"


def calibrate(kind: str, workers: int = 2, replicates: int | None = None, size: int | None = None,
              xtol: float = 0.005) -> float:
    """The parameter value at which the programme's simulated trial finds the published effect."""
    file, param, (lo, hi), measure, target = TARGETS[kind]
    exp = load_experiment(REPO / "experiments" / file)
    if replicates:
        exp["replicates"] = replicates
    if size:
        exp["set"] = {**(exp.get("set") or {}), "population.size": size}
    cache: dict = {}  # 'control': the towns without the programme; x: effect(x) - target
    t0 = time.perf_counter()

    def effect(x: float) -> float:
        if x in cache:
            return cache[x]
        effects, control = run_trials(exp, workers, {f"programme.{param}": float(x)}, cache.get("control"), until="end")
        cache["control"] = control
        value = effects["end"][measure][0]
        print(f"  {param} = {x:.4f}: {measure} at the end {value:+.4f} (target {target:+g})", flush=True)
        cache[x] = value - target
        return value - target

    f_lo, f_hi = effect(lo), effect(hi)
    if f_lo * f_hi > 0:
        raise SystemExit(f"{kind}: the target {target} is outside what {param} in [{lo}, {hi}] gives "
                         f"({f_lo + target:+.3f} to {f_hi + target:+.3f}); widen the bracket")
    x = float(brentq(effect, lo, hi, xtol=xtol))
    size = trial_design(exp)[0].population.size
    print(f"{kind}: {param} = {x:.3f} ({exp['replicates']} replicates of {size:,} people; "
          f"{time.perf_counter() - t0:.0f}s)")
    return x


def write_default(param: str, value: float, path: Path = CONFIG) -> None:
    """Replace the default of ``param`` (the first number after ``param: float = ...(``) in the config file."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(    {param}: float = [a-zA-Z]*\(\s*)([0-9.]+)")
    new, count = pattern.subn(lambda m: f"{m.group(1)}{value:.3g}", text, count=1)
    if count != 1:
        raise SystemExit(f"could not find the default of {param} in {path}")
    path.write_text(new, encoding="utf-8")


def main() -> None:
    """Command line: calibrate the named programmes (default all), print and optionally write the values."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kinds", nargs="*", help=f"programmes to calibrate (default all): {', '.join(TARGETS)}")
    parser.add_argument("--write", action="store_true", help="write the values into sim/config/programmes.py")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replicates", type=int, default=None, help="override the experiment's replicates")
    parser.add_argument("--size", type=int, default=None, help="override the experiment's town size")
    args = parser.parse_args()
    unknown = [k for k in args.kinds if k not in TARGETS]
    if unknown:
        parser.error(f"unknown programme {unknown[0]!r} (choose from {', '.join(TARGETS)})")
    chosen = {}
    for kind in args.kinds or list(TARGETS):
        print(f"{kind}: calibrating {TARGETS[kind][1]} to {TARGETS[kind][3]} {TARGETS[kind][4]:+g}", flush=True)
        chosen[kind] = calibrate(kind, args.workers, args.replicates, args.size)
    print("chosen values:")
    for kind, value in chosen.items():
        print(f"  {kind}.{TARGETS[kind][1]} = {value:.3g}")
        if args.write:
            write_default(TARGETS[kind][1], value)
    if args.write:
        print(f"written into {CONFIG.relative_to(REPO)}")


if __name__ == "__main__":
    main()
