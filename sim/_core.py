"""The leaf of the package: shared constants, state codes, the kernels' compiler and small numeric helpers.

Every other module may import this one; it imports nothing from ``sim`` but :mod:`sim._threads` (a
leaf too: how many threads the kernels use). Keeping the constants here gives each one a single
definition (``DAYS_PER_YEAR`` once, not per module), and keeping the numba compiler here lets the
state modules compile their helpers without reaching up into ``sim.dynamics``.

Compiled kernels: inner loops over people, ties or meetings are compiled with numba so a day at a
million people costs a few passes over memory rather than dozens of numpy temporaries
(benchmarks/README.md has the measurement). ``pjit`` kernels also spread their loop over the cores
(``numba.prange``); they are written so the result cannot depend on the number of threads: every
iteration writes only its own element, random numbers come from counter-based streams
(:mod:`sim.streams`), and sums are of integers or taken over fixed-size blocks (:data:`BLOCK`) in a
fixed order. ``fastmath`` stays off: results must not depend on the compiler's reassociation.

Threads: the cores this process may use, waiting passively (:mod:`sim._threads`), unless
``LONESIM_THREADS`` fixes the number (``free``: only the cores other processes leave free); sweeps cap
each worker process at cores / workers threads.
"""

from __future__ import annotations

import contextlib
import typing

import numba
import numpy as np
from numba import njit

from sim._threads import available_cores, choose, set_threads  # noqa: F401 - set_threads, available_cores re-exported

#: Days in a model year: yearly rates become daily probabilities as 1 - exp(-rate / DAYS_PER_YEAR).
DAYS_PER_YEAR = 365.0

#: People per block of a parallel float sum: fixed, so sums do not depend on the number of threads.
BLOCK = 4096

# Codes stored in the int8 state arrays.
FEMALE, MALE = 0, 1                     # People.sex
NEUTRAL, CONTENT, DISCONTENT = 0, 1, 2  # People.emotion: SISa states (Hill et al. 2010)
TIE_GONE, TIE_ACTIVE, TIE_SUSPENDED = 0, 1, 2  # Ties.status
# Ties.kind: what a tie is. Partners and household family live together (they meet almost daily).
PARTNER, HOUSEHOLD, FAMILY, FRIEND, WORK, ACQUAINTANCE = 0, 1, 2, 3, 4, 5
NO_DAY = -(2**31) + 1  # an int32 day that never happened (People.widowed_day of the never widowed)
TIE_KINDS = ("partner", "household", "family", "friend", "work", "acquaintance")

#: Compiler for serial kernels (cached on disk, releases the GIL).
jit = njit(cache=True, nogil=True, fastmath=False)
#: Compiler for parallel kernels (``numba.prange`` loops over the cores).
pjit = njit(cache=True, nogil=True, fastmath=False, parallel=True)


#: Below this many people a day's kernels run on one thread: each parallel loop costs a thread hand-off
#: that small towns cannot repay, and on a busy machine a parallel loop waits for a descheduled thread
#: (benchmarks/README.md, "Threads for small towns": 5,000 people, 1 vs 2 threads).
SERIAL_BELOW = 20_000


@contextlib.contextmanager
def kernel_threads(people: int) -> typing.Iterator[None]:
    """Run the enclosed kernels on the threads that suit the machine now (:func:`sim._threads.choose`:
    free cores, capped by :func:`set_threads`), or on one thread when the town has fewer than
    :data:`SERIAL_BELOW` people; then restore the calling thread's setting. Results do not depend on it
    (the streams are counter-based)."""
    want = 1 if people < SERIAL_BELOW else choose()
    before = numba.get_num_threads()
    if want == before:
        yield
        return
    numba.set_num_threads(want)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def logit(p: float) -> float:
    """log(p / (1 - p)) of a probability, with p clipped to [1e-9, 1 - 1e-9].

    >>> round(logit(0.5), 6)
    0.0
    """
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


def decay_factor(days: float) -> float:
    """Share of a gap closed in one day by an exponential approach with e-folding time ``days`` (days).

    >>> round(decay_factor(1.0), 4)
    0.6321
    """
    return float(1.0 - np.exp(-1.0 / days))


def per_day_probability(rate_per_day):
    """Probability of at least one event in a day, p = 1 - exp(-rate x 1 day), for a rate per day
    (a float or an array; design: one step is one day).

    >>> round(float(per_day_probability(0.3)), 4)
    0.2592
    """
    return -np.expm1(-rate_per_day)


def bernoulli_indices(m: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Indices i in [0, m) each kept independently with probability p, in increasing order.

    Drawn by geometric skips: O(m·p) work instead of one uniform per index, which is what makes a
    day's dissolutions cost O(events) rather than O(ties) (exactly Bernoulli(p) each).

    >>> bernoulli_indices(5, 0.0, np.random.default_rng(0)).size
    0
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
