"""Episodes that come and go: transient adversity and illness that limits going out.

Each person is in or out of an episode of each kind; the slow processes are stepped every
``LIFE_COURSE_DAYS`` days (:mod:`sim.dynamics.desire`), with the probabilities of that interval:

    start: 1 − exp(−onset_per_year × Δt / 365),    end: 1 − exp(−Δt / duration_days).

* **Adversity** (``life_events.adversity``): money trouble, caregiving, conflict — for its duration the
  loneliness target rises by ``loneliness_weight`` (:mod:`sim.dynamics.loneliness`) while the network is as it
  was (LASA: loneliness changes between years even when network and health do not).
* **Illness** (``life_events.illness``): every tie of the ill person meets at ``contact_factor`` times its rate
  (:mod:`sim.dynamics.meetings`), the onset rising with age (functional limitation: Luhmann & Hawkley 2016).

Expected form: a two-state Markov chain, stationary share in an episode = p_start / (p_start + p_end) with the
interval's probabilities above (≈ λd / (1 + λd), λ the onset rate per day and d the mean duration in days:
:func:`stationary_share`); day 0 draws from it (:func:`draw_initial`), and ``tests/test_life_events.py``
checks that the simulated share stays there.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim._core import DAYS_PER_YEAR, pjit
from sim.config import Scenario
from sim.dynamics.desire import LIFE_COURSE_DAYS
from sim.state import People
from sim.streams import uniform


def stationary_share(onset_per_year: np.ndarray | float, duration_days: float,
                     step_days: int = LIFE_COURSE_DAYS) -> np.ndarray:
    """Share of time in an episode of the chain stepped every ``step_days``: p_start / (p_start + p_end), with
    p_start = 1 − exp(−onset_per_year × step / 365) and p_end = 1 − exp(−step / duration_days) (→ λd / (1 + λd)
    for short steps)."""
    start = -np.expm1(-np.asarray(onset_per_year, np.float64) * step_days / DAYS_PER_YEAR)
    end = -math.expm1(-step_days / duration_days)
    return start / (start + end)


def draw_initial(people: People, scenario: Scenario, rng: np.random.Generator) -> None:
    """Day 0: each person in an episode with its stationary probability (none when life events are off)."""
    ev = scenario.life_events
    if not ev.enabled:
        return
    u = rng.random((2, people.n))
    people.adversity[:] = u[0] < stationary_share(ev.adversity.onset_per_year, ev.adversity.duration_days)
    people.ill[:] = u[1] < stationary_share(ev.illness.onset_per_year.at(people.age), ev.illness.duration_days)


def step_episodes(people: People, scenario: Scenario, key: np.uint64, days: int = LIFE_COURSE_DAYS) -> None:
    """Start and end episodes over the last ``days`` days (uniforms 2i and 2i + 1 of stream ``key``)."""
    ev = scenario.life_events
    if not ev.enabled:
        return
    start_adv = -math.expm1(-ev.adversity.onset_per_year * days / DAYS_PER_YEAR)
    end_adv = -math.expm1(-days / ev.adversity.duration_days)
    start_ill = (-np.expm1(-ev.illness.onset_per_year.at(people.age) * days / DAYS_PER_YEAR)).astype(np.float32)
    end_ill = -math.expm1(-days / ev.illness.duration_days)
    _step(people.adversity, people.ill, people.alive, start_adv, end_adv, start_ill, end_ill, np.uint64(key))


@pjit
def _step(adversity, ill, alive, start_adv, end_adv, start_ill, end_ill, key):
    for i in numba.prange(alive.size):
        if not alive[i]:
            adversity[i] = False
            ill[i] = False
            continue
        u = uniform(key, 2 * i)
        adversity[i] = (u >= end_adv) if adversity[i] else (u < start_adv)
        u = uniform(key, 2 * i + 1)
        ill[i] = (u >= end_ill) if ill[i] else (u < start_ill[i])
