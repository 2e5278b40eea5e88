"""Step 6 — ties: lonely people withdraw and lose ties; new ties form by triadic closure.

Each active tie of kind k dissolves on a given day with probability
    1 - exp(-dissolution_per_year_k / 365 x (1 + loneliness_weight x (L_i + L_j)))
(friends 0.1 per year: about half of personal ties replaced in 7 years, Mollenhorst et al. 2014;
lonely ends dissolve faster, Cacioppo, Fowler & Christakis 2009; partners, household and kin do not
dissolve — they end at death — and work ties end at retirement, :mod:`sim.dynamics.life_events`).
Each living person attempts triadic closure at ``triadic_closure_per_year`` x (1 - withdrawal x L) per
year: pick a random tie j, then a random tie k of j; if both ties are active and k is not already tied
to i, the friend tie i–k forms (closeness ``new_tie_closeness``), with probability exp(−h |L_i − L_k|) when
homophily by loneliness is switched on (``homophily_loneliness`` h, off by default). Kind acts to strangers add
acquaintance ties too (:mod:`sim.dynamics.kindness`).
Sampling is O(events): candidates are drawn at the largest rate and thinned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim._core import DAYS_PER_YEAR, FRIEND, TIE_ACTIVE, bernoulli_indices
from sim.config import ContactsConfig, TiesConfig
from sim.state import People
from sim.ties import Ties


@dataclass
class TieChanges:
    """Ties dissolved and formed (by triadic closure) today."""
    dissolved: int
    formed: int


def _sample_without_replacement(population: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k distinct indices below ``population`` in O(k) expected time for k << population."""
    if k * 4 > population:
        return np.sort(rng.permutation(population)[:k])
    picks = np.unique(rng.integers(0, population, int(k * 1.1) + 8))
    while picks.size < k:
        picks = np.unique(np.concatenate([picks, rng.integers(0, population, k)]))
    return np.sort(rng.permutation(picks)[:k])


def dissolve_ties(people: People, ties: Ties, cfg: TiesConfig, rng: np.random.Generator) -> int:
    """Dissolve ties for the day; O(dissolutions) by drawing at the largest rate and thinning."""
    per_year = np.array([k.dissolution_per_year for k in cfg.kinds()])
    max_factor = 1.0 + 2.0 * cfg.loneliness_weight
    p_max = -np.expm1(-per_year.max() / DAYS_PER_YEAR * max_factor)
    cand = bernoulli_indices(ties.m, p_max, rng)
    cand = cand[ties.status[cand] == TIE_ACTIVE]
    factor = 1.0 + cfg.loneliness_weight * (people.loneliness[ties.u[cand]] + people.loneliness[ties.v[cand]])
    p = -np.expm1(-per_year[ties.kind[cand]] / DAYS_PER_YEAR * factor)
    keep = rng.random(cand.size) < p / max(p_max, 1e-300)
    return ties.remove(cand[keep])


def close_triads(people: People, ties: Ties, cfg: TiesConfig, contacts_cfg: ContactsConfig,
                 rng: np.random.Generator) -> int:
    """Triadic closure for the day: people befriend a friend's friend (attempts per person per year,
    fewer for the lonely); returns the ties formed."""
    n = people.n
    p_max = -np.expm1(-cfg.triadic_closure_per_year / DAYS_PER_YEAR)
    tries = _sample_without_replacement(n, int(rng.binomial(n, p_max)), rng).astype(np.int32)
    willing = 1.0 - contacts_cfg.withdrawal_per_loneliness * people.loneliness[tries]
    tries = tries[people.alive[tries] & (rng.random(tries.size) < willing)]
    j, e1 = ties.random_neighbour(tries, rng)
    ok = e1 >= 0
    ok[ok] = ties.status[e1[ok]] == TIE_ACTIVE
    tries, j = tries[ok], j[ok]
    k, e2 = ties.random_neighbour(j, rng)
    ok = (e2 >= 0) & (k != tries)
    ok[ok] = ties.status[e2[ok]] == TIE_ACTIVE
    ok &= people.alive[np.maximum(k, 0)]
    if cfg.homophily_loneliness > 0 and ok.any():  # befriend people like oneself (ties.homophily_loneliness)
        idx = np.flatnonzero(ok)
        gap = np.abs(people.loneliness[tries[idx]] - people.loneliness[k[idx]])
        ok[idx] = rng.random(idx.size) < np.exp(-cfg.homophily_loneliness * gap)
    if not ok.any():
        return 0
    return ties.add(tries[ok], k[ok], cfg.new_tie_closeness, FRIEND)


def update_ties(people: People, ties: Ties, cfg: TiesConfig, contacts_cfg: ContactsConfig,
                rng: np.random.Generator) -> TieChanges:
    """Step 6: dissolve and form ties for the day (nothing when ties are static); rebuild the index when due."""
    if not cfg.dynamic:
        return TieChanges(0, 0)
    lost = dissolve_ties(people, ties, cfg, rng)
    formed = close_triads(people, ties, cfg, contacts_cfg, rng)
    ties.maybe_rebuild()
    return TieChanges(lost, formed)
