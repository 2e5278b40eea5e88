"""Test functions with known sensitivity indices, evaluated by worker processes through the same executors,
run files and analysis as lonesim runs (``sim.runs.sensitivity.run_sensitivity(..., evaluate=...)``)."""

from __future__ import annotations

import math

import numpy as np

from sim.runs.sensitivity import write_result

#: Ishigami function, a = 7, b = 0.1, x_i uniform on [-pi, pi]: analytic first-order and total indices
#: (Ishigami & Homma 1990; Sobol' & Levitan 1999), as SALib's own tests use them.
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def ishigami(task: dict) -> dict:
    """y = sin x1 + 7 sin^2 x2 + 0.1 x3^4 sin x1."""
    v = task["values"]
    x1, x2, x3 = v["x1"], v["x2"], v["x3"]
    write_result(task, {"y": math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)})
    return {"status": "done"}


def linear(task: dict) -> dict:
    """y = 3 a - 2 b + 0 c + ln d: Morris elementary effects (per whole range) are exactly 3 x range(a),
    2 x range(b), 0 and ln(high/low) of d (sampled log-uniformly), with sigma 0."""
    v = task["values"]
    write_result(task, {"y": 3 * v["a"] - 2 * v["b"] + 0 * v["c"] + math.log(v["d"])})
    return {"status": "done"}


def _noise(kind: int, point: int, replicate: int) -> float:
    return float(np.random.default_rng([kind, point, replicate]).normal())


def noisy(task: dict) -> dict:
    """y = x + 0.05 eps (independent noise at every point and replicate), and ``common`` = x + eps_r (noise
    shared by every point of replicate r, as common random numbers give); the parameter ``dummy`` does nothing."""
    v = task["values"]
    y = v["x"] + 0.05 * _noise(1, task["point"], task["replicate"])
    common = v["x"] + _noise(2, 0, task["replicate"])
    write_result(task, {"y": y, "common": common})
    return {"status": "done"}
