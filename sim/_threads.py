"""How many threads the parallel kernels use, and how they wait, on a machine other work shares.

A parallel kernel (``numba.prange``) splits its loop into one equal piece per thread and waits for the
last piece. On the 2-core development machine a 1M-person day took 1.2-1.5x the one-thread time beside
one busy process, and up to 16x beside a mixed load (issue 20), because GNU OpenMP's threads *spin*
while they wait: a thread that has finished its piece burns the core that its descheduled sibling, or
another process, needs. So (benchmarks/README.md, "Threads on a shared machine"):

* OpenMP threads wait **passively** (``OMP_WAIT_POLICY=passive``, set before the runtime starts unless
  the user set it): a thread that has finished its piece sleeps.
* The kernels use the cores this process may run on (``os.sched_getaffinity``; numba's pool counts
  every core of the machine), capped by :func:`set_threads` (a sweep worker's share of the cores, so
  workers x threads never exceed them). With passive waiting, two threads beat one even on a heavily
  loaded machine (0.66-0.86x of the one-thread day at load averages 8-17, interleaved in one process).
* ``LONESIM_THREADS=N`` (read at import) fixes the count. ``LONESIM_THREADS=free`` (or
  ``set_threads(n, adapt=True)``) uses only the cores other processes leave free (:func:`choose`): the
  cores less those that *others* kept busy since the last look, measured from ``/proc/stat`` (CPU time of
  this process's cores) minus this process's own CPU time (``os.times``), looked at again every
  :data:`RECHECK_S` seconds. That is the polite setting for a shared server; it is not the default
  because, measured, it made the run slower (one thread where two passive threads did better).

Results do not depend on any of this: the kernels give the same bits on any number of threads
(sim/_core.py; tests/test_streams.py, tests/test_threads.py).
"""

from __future__ import annotations

import os
import time

# Must be set before the OpenMP runtime starts, i.e. before numba launches its thread pool (the first
# parallel kernel). GNU libgomp otherwise spins ~0.3 ms per wait: on a busy core that steals the time
# the late thread needs (benchmarks/README.md, "Threads on a shared machine").
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba  # noqa: E402  (after the environment above)

#: Seconds between two looks at the machine's load (each look costs two small file reads).
RECHECK_S = 2.0

#: Shortest interval (s) the load is measured over (/proc/stat counts in 10 ms ticks).
MIN_LOOK_S = 0.05

#: A core counts as taken by others when they kept it busy more than this share of the time.
TAKEN_ABOVE = 0.5

_cap: int = numba.config.NUMBA_NUM_THREADS  # at most this many (set_threads / a sweep worker's share)
_adapt: bool = False                        # use only the cores others leave free (LONESIM_THREADS=free)
_chosen: int | None = None                  # the last choice
_last: tuple[float, float, float] | None = None  # (wall s, busy CPU s of our cores, own CPU s) at the last look


def available_cores() -> int:
    """Cores this process may run on (``os.sched_getaffinity``; ``os.cpu_count()`` where that is missing)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _busy_seconds() -> float | None:
    """CPU seconds the cores this process may use have been busy since boot (all processes), or None
    when ``/proc/stat`` cannot be read (not Linux). Busy = user + nice + system + irq + softirq + steal."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            lines = fh.read().splitlines()
        mine = {f"cpu{c}" for c in os.sched_getaffinity(0)}
        ticks = 0
        for line in lines:
            name, _, rest = line.partition(" ")
            if name in mine:
                f = [int(x) for x in rest.split()]
                ticks += f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):  # pragma: no cover - not Linux
        return None


def _own_seconds() -> float:
    """CPU seconds this process has used (all its threads)."""
    t = os.times()
    return t.user + t.system


def _look() -> tuple[float, float, float] | None:
    busy = _busy_seconds()
    return None if busy is None else (time.monotonic(), busy, _own_seconds())


def others_busy(before: tuple[float, float, float], after: tuple[float, float, float]) -> float:
    """Cores kept busy by other processes between two looks (0 = none; can exceed 1)."""
    wall = after[0] - before[0]
    if wall <= 0:
        return 0.0
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / wall)


def threads_for(cap: int, cores: int, others: float) -> int:
    """Threads to use when ``others`` cores are kept busy by other processes: the free cores, at least
    one, at most ``cap``.

    >>> threads_for(2, 2, 0.1), threads_for(2, 2, 1.0), threads_for(2, 2, 3.0), threads_for(4, 8, 1.2)
    (2, 1, 1, 4)
    """
    taken = int(others + (1.0 - TAKEN_ABOVE))  # a core counts as taken once others use > TAKEN_ABOVE of it
    return max(1, min(cap, cores - taken))


def choose() -> int:
    """The number of threads for the next parallel kernels: the cap, or with adaptation on the cores
    other processes left free since the last look (see the module docstring)."""
    global _chosen, _last
    cap = max(1, min(_cap, numba.config.NUMBA_NUM_THREADS))
    if not _adapt or cap == 1:
        return cap
    now = time.monotonic()
    if _chosen is not None and _last is not None and now - _last[0] < RECHECK_S:
        return min(_chosen, cap)
    look = _look()
    if look is None:
        return cap
    if _last is None:  # nothing to measure over yet
        _last, _chosen = look, cap
        return cap
    if look[0] - _last[0] < MIN_LOOK_S:  # too short an interval to tell: keep the last choice
        return min(_chosen or cap, cap)
    _chosen = threads_for(cap, available_cores(), others_busy(_last, look))
    _last = look
    return _chosen


def last_choice() -> int:
    """The thread count :func:`choose` returned last (without looking at the machine again)."""
    cap = max(1, min(_cap, numba.config.NUMBA_NUM_THREADS))
    return cap if not _adapt or _chosen is None else min(_chosen, cap)


def set_threads(count: int | None, adapt: bool = False) -> int:
    """Use at most ``count`` threads in the parallel kernels (None: every core this process may run on);
    with ``adapt``, fewer while other processes keep cores busy (:func:`choose`). Returns the count set.

    >>> set_threads(1)
    1
    """
    global _cap, _adapt, _chosen
    pool = min(numba.config.NUMBA_NUM_THREADS, available_cores())
    _cap = pool if count is None else max(1, min(int(count), pool))
    _adapt = adapt
    _chosen = None
    numba.set_num_threads(_cap)
    return _cap


_last = _look()  # the first interval runs from import to the first kernel_threads
_env = os.environ.get("LONESIM_THREADS", "").strip().lower()
if _env == "free":
    set_threads(None, adapt=True)
elif _env:
    set_threads(int(_env))
else:  # the cores of the affinity (numba's pool counts the machine's); numba's own setting is left alone
    _cap = max(1, min(numba.config.NUMBA_NUM_THREADS, available_cores()))  # until a kernel_threads
