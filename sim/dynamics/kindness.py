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
from sim.dynamics import tally
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
    acts = rng.poisson(kind_act_rate(people, cfg, extra)) + (people.pay_forward & people.alive)
    givers = np.repeat(np.arange(n, dtype=np.int32), acts)
    to_stranger = rng.random(givers.size) < cfg.stranger_fraction
    # Acts along ties: a uniformly chosen tie of the giver; dropped if that tie is not active.
    tg = givers[~to_stranger]
    nbr, eid = ties.random_neighbour(tg, rng)
    ok = eid >= 0
    ok[ok] = ties.status[eid[ok]] == TIE_ACTIVE
    tg, t_recv, eid = tg[ok], nbr[ok], eid[ok]
    np.add.at(ties.strength, eid, cfg.tie_strength_gain)
    np.minimum(ties.strength, 1.0, out=ties.strength)
    # Acts to strangers: a random living person other than the giver.
    sg = givers[to_stranger]
    s_recv = rng.integers(0, n, sg.size, dtype=np.int32)
    ok = (s_recv != sg) & people.alive[s_recv]
    sg, s_recv = sg[ok], s_recv[ok]
    befriend = rng.random(sg.size) < cfg.new_tie_probability
    new_ties = ties.add(sg[befriend], s_recv[befriend], ties_cfg.new_tie_strength) if befriend.any() else 0

    all_givers = np.concatenate([tg, sg])
    all_recv = np.concatenate([t_recv, s_recv])
    received = tally(all_recv, n)
    # Tomorrow's pay-it-forward: each receiver once, with the configured probability.
    people.pay_forward[:] = (received > 0) & (rng.random(n, dtype=np.float32) < cfg.pay_forward_probability)
    return KindActs(tally(all_givers, n), received, int(all_givers.size), new_ties)
