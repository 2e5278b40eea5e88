"""Life events that isolate people late in life: retirement ends work ties; a partner's death leaves a
widow or widower.

* **Retirement** — each person has a retirement age (``population.work``: mean 62.1 for women and
  64.7 for men, Center for Retirement Research 2022 [S]); on the recorded day an employed person
  reaches it, they stop working and their work ties end.
* **Widowhood** — when ``mortality.simulate_deaths`` is on and a partner dies, the survivor loses the
  partner tie, is marked widowed and grieves (the bereavement shock, larger for closer ties: see
  :func:`grieve`). With deaths off nobody dies, so nobody is widowed during the run; the widowed at
  day 0 are drawn by age and sex (``population.partners.widowed_share``).
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import BLOCK, TIE_ACTIVE, WORK, pjit
from sim.state import People
from sim.ties import Ties


def retire(people: People, ties: Ties) -> int:
    """Retire the employed who have reached their retirement age today: no longer employed, work ties
    ended. Returns how many retired."""
    due = _due_to_retire(people.employed, people.alive, people.age, people.retirement_age)
    if due.size == 0:
        return 0
    people.employed[due] = False
    slots = ties.slots_of(due)
    work = slots[(ties.kind[slots] == WORK) & (ties.status[slots] == TIE_ACTIVE)]
    ties.remove(work)
    return int(due.size)


def _due_to_retire(employed, alive, age, retirement_age) -> np.ndarray:
    """Ids of the living employed at or past their retirement age, increasing. Two parallel passes over
    fixed blocks of people (count, then fill at each block's offset): the same ids on any number of
    threads, and a city's daily check costs a fraction of a serial pass."""
    n = age.size
    nblocks = (n + BLOCK - 1) // BLOCK
    counts = _count_due(employed, alive, age, retirement_age, nblocks)
    offsets = np.zeros(nblocks + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    if offsets[-1] == 0:
        return np.zeros(0, np.int64)
    return _fill_due(employed, alive, age, retirement_age, offsets)


@pjit
def _count_due(employed, alive, age, retirement_age, nblocks):
    counts = np.zeros(nblocks, np.int64)
    for b in numba.prange(nblocks):
        k = 0
        for i in range(b * BLOCK, min((b + 1) * BLOCK, age.size)):
            k += employed[i] and alive[i] and age[i] >= retirement_age[i]
        counts[b] = k
    return counts


@pjit
def _fill_due(employed, alive, age, retirement_age, offsets):
    out = np.empty(offsets[-1], np.int64)
    for b in numba.prange(offsets.size - 1):
        k = offsets[b]
        if k == offsets[b + 1]:
            continue
        for i in range(b * BLOCK, min((b + 1) * BLOCK, age.size)):
            if employed[i] and alive[i] and age[i] >= retirement_age[i]:
                out[k] = i
                k += 1
    return out


def grieve(people: People, mourners: np.ndarray, closeness: np.ndarray, shock: float) -> None:
    """Loneliness of each mourner jumps toward 1 by ``shock`` x the closeness of the tie lost (a person
    losing several ties takes each in turn)."""
    for i, c in zip(mourners.tolist(), closeness.tolist()):
        people.loneliness[i] += np.float32(shock * c) * (np.float32(1.0) - people.loneliness[i])
