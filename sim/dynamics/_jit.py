"""The one place the kernels get their compiler: ``numba.njit`` with an on-disk cache.

Inner loops over people or meetings are compiled so that a day at a million people costs a few
passes over memory rather than dozens of numpy temporaries (benchmarks/README.md has the
measurement). Random numbers are always drawn by the run's numpy Generator and passed in, so the
compiled code is deterministic and the same seed gives the same run with or without a warm cache.
``fastmath`` stays off: results must not depend on the compiler's reassociation.
"""

from __future__ import annotations

from numba import njit

jit = njit(cache=True, nogil=True, fastmath=False)

