"""Step 3 — kind acts: rarer and larger than smiles; both sides gain; receivers may pay it forward.

Kind acts by person i today ~ Poisson(rate_i) + (1 if i received one yesterday and pays it forward),
with rate_i = rate_per_day x exp(mood_weight x mood_i + habit_weight x (habit_i - 0.3)
              - loneliness_weight x loneliness_i) + programme extras (per day).
Each act goes to a random tie (strengthening it by ``tie_strength_gain``) or, with probability
``stranger_fraction``, to a random living stranger, which starts a new tie with probability
``new_tie_probability``. A receiver pays it forward the next day with probability
``pay_forward_probability`` (Pressman, Kraft & Cross 2015: about 40% of receivers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import KindnessConfig, TiesConfig
from sim.dynamics._jit import jit
from sim.dynamics.smiles import HABIT_REFERENCE
from sim.population import TIE_ACTIVE, People, Ties


@dataclass
class KindActs:
    given: np.ndarray     # kind acts given per person today
    received: np.ndarray  # kind acts received per person today
    total: int
    new_ties: int


def kind_act_rate(people: People, cfg: KindnessConfig, extra: np.ndarray | None = None) -> np.ndarray:
    """Expected kind acts per person per day (0 for the dead)."""
    rate = cfg.rate_per_day * np.exp(cfg.mood_weight * people.mood
                                     + cfg.habit_weight * (people.habit - HABIT_REFERENCE)
                                     - cfg.loneliness_weight * people.loneliness)
    if extra is not None:
        rate = rate + extra
    return np.where(people.alive, rate, 0.0)


def do_kind_acts(people: People, ties: Ties, cfg: KindnessConfig, ties_cfg: TiesConfig, rng: np.random.Generator,
                 extra: np.ndarray | None = None) -> KindActs:
    n = people.n
    rate = kind_act_rate(people, cfg, extra)
    # Independent Poisson counts per person, drawn as one Poisson total allocated in proportion to
    # the rates (the same distribution, in O(acts) random numbers instead of one draw per person).
    cum = np.cumsum(rate)
    total = int(rng.poisson(cum[-1])) if n and cum[-1] > 0 else 0
    # Sorted draws make the search walk the cumulative sum in order (cache-friendly).
    givers = np.searchsorted(cum, np.sort(rng.random(total)) * cum[-1], side="right").astype(np.int32)
    forward = np.flatnonzero(people.pay_forward & people.alive).astype(np.int32)
    givers = np.concatenate([np.minimum(givers, n - 1), forward])
    k = givers.size
    to_stranger = rng.random(k) < cfg.stranger_fraction
    unif = rng.random(k)
    strangers = rng.integers(0, n, k, dtype=np.int32)
    receiver, kind_of = _target(givers, to_stranger, unif, strangers, ties.indptr, ties.nbr, ties.eid, ties.status,
                                ties.strength, people.alive, cfg.tie_strength_gain)
    done = receiver >= 0
    befriend = done & (kind_of == 2) & (rng.random(k) < cfg.new_tie_probability)
    new_ties = ties.add(givers[befriend], receiver[befriend], ties_cfg.new_tie_strength) if befriend.any() else 0
    given = np.bincount(givers[done], minlength=n)
    received = np.bincount(receiver[done], minlength=n)
    # Tomorrow's pay-it-forward: each receiver once, with the configured probability.
    people.pay_forward[:] = False
    got = np.flatnonzero(received > 0)
    people.pay_forward[got[rng.random(got.size) < cfg.pay_forward_probability]] = True
    return KindActs(given, received, int(done.sum()), new_ties)


@jit
def _target(givers, to_stranger, unif, strangers, indptr, nbr, eid, status, strength, alive, strength_gain):
    """Receiver of each act (-1: none) and its kind (1 along a tie, 2 to a stranger); strengthens ties."""
    k = givers.size
    receiver = np.full(k, -1, np.int32)
    kind_of = np.zeros(k, np.int8)
    for j in range(k):
        g = givers[j]
        if to_stranger[j]:
            s = strangers[j]
            if s != g and alive[s]:
                receiver[j] = s
                kind_of[j] = 2
            continue
        deg = indptr[g + 1] - indptr[g]
        if deg == 0:
            continue
        slot = indptr[g] + int(unif[j] * deg)
        e = eid[slot]
        if status[e] != TIE_ACTIVE:  # that tie is gone or suspended: no act today
            continue
        receiver[j] = nbr[slot]
        kind_of[j] = 1
        strength[e] = min(strength[e] + strength_gain, 1.0)
    return receiver, kind_of
