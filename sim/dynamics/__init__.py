"""The daily kernels, one module per mechanism, run in the order fixed by :mod:`sim.simulation`.

Each kernel is a function of (state arrays, today's contacts, parameters, random stream). Random
numbers in the kernels come from counter-based streams (:mod:`sim.dynamics.streams`). Kernels read the
state as the previous phase left it and write their own outputs in place (no per-day copies of
whole arrays); within a phase every person is updated from the same inputs, so no result depends
on the order of people. All work is O(people + ties), in numpy or compiled loops; there is no Python loop over people.
"""

import numpy as np


def logit(p: float) -> float:
    """log(p / (1 - p)) with p clipped away from 0 and 1."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def decay_factor(days: float) -> float:
    """Share of a gap closed in one day by an exponential approach with e-folding time ``days``."""
    return float(1.0 - np.exp(-1.0 / days))


def per_day_probability(rate_per_day):
    """p = 1 - exp(-rate * dt) with dt = 1 day (design.md: Time and units)."""
    return -np.expm1(-rate_per_day)


def bernoulli_indices(m: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Indices i in [0, m) each kept independently with probability p, in increasing order.

    Drawn by geometric skips: O(m·p) work instead of one uniform per index, which is what makes a
    day's meetings and dissolutions cost O(events) rather than O(ties) (exactly Bernoulli(p) each).
    """
    if m <= 0 or p <= 0:
        return np.zeros(0, np.int64)
    if p >= 0.5:
        return np.flatnonzero(rng.random(m) < p)
    expected = m * p
    chunk = int(expected + 6 * np.sqrt(expected) + 16)
    positions = np.cumsum(rng.geometric(p, size=chunk)) - 1
    while positions[-1] < m:
        more = np.cumsum(rng.geometric(p, size=chunk // 4 + 16)) + positions[-1]
        positions = np.concatenate([positions, more])
    return positions[: np.searchsorted(positions, m)]
