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

import numpy as np

from sim._core import TIE_ACTIVE, WORK, jit
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


@jit
def _due_to_retire(employed, alive, age, retirement_age):
    """Ids of the living employed at or past their retirement age (one pass)."""
    out = np.empty(64, np.int64)
    k = 0
    for i in range(age.size):
        if employed[i] and alive[i] and age[i] >= retirement_age[i]:
            if k == out.size:
                grown = np.empty(2 * out.size, np.int64)
                grown[:k] = out
                out = grown
            out[k] = i
            k += 1
    return out[:k]


def grieve(people: People, mourners: np.ndarray, closeness: np.ndarray, shock: float) -> None:
    """Loneliness of each mourner jumps toward 1 by ``shock`` x the closeness of the tie lost (a person
    losing several ties takes each in turn)."""
    for i, c in zip(mourners.tolist(), closeness.tolist()):
        people.loneliness[i] += np.float32(shock * c) * (np.float32(1.0) - people.loneliness[i])
