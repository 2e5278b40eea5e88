"""The one place the kernels get their compiler: ``numba.njit`` with an on-disk cache.

Inner loops over people, ties or meetings are compiled so that a day at a million people costs a
few passes over memory rather than dozens of numpy temporaries (benchmarks/README.md has the
measurement). ``pjit`` kernels also spread their loop over the cores (``numba.prange``); they are
written so that the result cannot depend on the number of threads: every iteration writes only
its own element, random numbers come from counter-based streams (:mod:`sim.dynamics.streams`),
and sums are of integers or taken over fixed-size blocks in a fixed order. ``fastmath`` stays
off: results must not depend on the compiler's reassociation.

Threads: numba's default (all cores) unless ``LONESIM_THREADS`` or :func:`set_threads` says
otherwise; sweeps give each worker process cores / workers threads.
"""

from __future__ import annotations

import os

import numba
from numba import njit

jit = njit(cache=True, nogil=True, fastmath=False)
pjit = njit(cache=True, nogil=True, fastmath=False, parallel=True)


def set_threads(count: int | None) -> int:
    """Use ``count`` threads in the parallel kernels (None: all cores numba may use); returns the count set."""
    count = numba.config.NUMBA_NUM_THREADS if count is None else max(1, min(int(count), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(count)
    return count


if os.environ.get("LONESIM_THREADS"):
    set_threads(int(os.environ["LONESIM_THREADS"]))
