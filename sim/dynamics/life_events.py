"""Life events that isolate people late in life: retirement ends work ties; a partner's death leaves a
widow or widower.

* **Retirement** — each person has a retirement age (``population.work``: mean 62.1 for women and
  64.7 for men, Center for Retirement Research 2022 [S]); on the recorded day an employed person
  reaches it, they stop working and their work ties end.
* **Widowhood** — when ``mortality.simulate_deaths`` is on and a partner dies, the survivor loses the
  partner tie, is marked widowed, takes the shock of the news (:func:`grieve`) and grieves
  (:mod:`sim.dynamics.grief`: grief that fades over a year or two, and kin and friends stepping in);
  :func:`bury` does all of it. With deaths off nobody dies, so nobody is widowed during the run; the
  widowed at day 0 are drawn by age and sex (``population.partners.widowed_share``) from the same
  selection as the partnered, with their grief from the years since the death.
"""

from __future__ import annotations

import numba
import numpy as np

from sim._core import BLOCK, PARTNER, TIE_ACTIVE, WORK, pjit
from sim.config import Scenario
from sim.dynamics.grief import bereave
from sim.state import People
from sim.survey import classify
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
    """The shock of the news: loneliness of each mourner jumps toward 1 by ``shock`` x the closeness of the tie
    lost (a person losing several ties takes each in turn). The grief that follows is :mod:`sim.dynamics.grief`."""
    for i, c in zip(mourners.tolist(), closeness.tolist()):
        people.loneliness[i] += np.float32(shock * c) * (np.float32(1.0) - people.loneliness[i])


def bury(people: People, ties: Ties, dead: np.ndarray, day: int, scenario: Scenario) -> int:
    """The dead leave the network; a surviving partner is widowed (``widowed_day`` = ``day``); everyone tied to
    the dead takes the shock of the news (:func:`grieve`) and grieves (:func:`sim.dynamics.grief.bereave`).
    Returns the number of dead."""
    if dead.size == 0:
        return 0
    p = people
    p.alive[dead] = False
    p.death_day[dead] = day
    slots = ties.slots_of(dead)
    slots = slots[ties.status[slots] != 0]
    ends = np.concatenate([ties.u[slots], ties.v[slots]])
    closeness = np.concatenate([ties.closeness[slots], ties.closeness[slots]])
    kinds = np.concatenate([ties.kind[slots], ties.kind[slots]])
    survivors = p.alive[ends]
    widowed = ends[survivors & (kinds == PARTNER)]
    p.widowed[widowed] = True
    p.widowed_day[widowed] = day
    p.partner[widowed] = -1
    p.partner[dead] = -1
    ties.remove(slots[ties.status[slots] == TIE_ACTIVE])
    ties.set_status(slots, 0)
    grieve(p, ends[survivors], closeness[survivors], scenario.loneliness.bereavement_shock)
    bereave(p, ends[survivors], closeness[survivors], kinds[survivors], scenario)
    for arr in (p.lonely, p.isolated, p.pay_forward, p.adversity, p.ill):
        arr[dead] = False
    p.grief[dead] = 0.0
    p.adaptation[dead] = 0.0
    p.relative_hazard[dead] = 1.0
    classify(p, scenario)
    return int(dead.size)
