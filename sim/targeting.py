"""Who a programme enrols: the targeting rules of ``interventions[].targeting`` (docs/programmes.md).

Every rule enrols ``round(coverage x living people)`` people on the programme's start day:

* ``random`` — at random among the living;
* ``loneliest`` — the highest UCLA-3 scores of a screening survey taken that day (with the instrument's
  measurement error, as services screen; ties in the score broken at random);
* ``most_isolated`` — the highest isolation-index scores of the same screening survey, ties broken by
  the fewest recent contacts, then at random;
* ``most_connected`` (old name ``most_central``) — the most active ties (the programme knows the network);
* ``aged_65plus`` — at random among the living aged 65 and over (all of them when they are fewer);
* ``nominated_friends`` — people picked at random each name one of their contacts at random, and the
  named are enrolled (Kim et al. 2015, Lancet 386:145: friend nomination reaches central people without
  knowing the network — the friendship paradox); when too few distinct people are named, the rest
  are enrolled at random.

Randomness: counter-based numbers (:mod:`sim.streams`) of the ``PROGRAMMES`` stream of the start day,
named after each person (person i's tie-break is number i), never the dynamics' generator. A programme
therefore changes no random number of the rest of the day, and programmes with the same start day and
position pick the same people whenever their rules agree (common random numbers across arms).
"""

from __future__ import annotations

import numpy as np

from sim.config import InterventionConfig, Scenario
from sim.state import People
from sim.streams import phase_key, uniforms
from sim.survey import take_survey
from sim.ties import Ties

#: Age from which ``aged_65plus`` enrols, years.
OLDER_AGE = 65.0

# Sub-streams of a programme's key (the second coordinate of phase_key).
NOISE, SCREENING, NOMINATORS, NOMINEES = range(4)


def person_uniforms(key: np.uint64, sub: int, n: int) -> np.ndarray:
    """Uniforms in [0, 1), number i for person i, of sub-stream ``sub`` of ``key``."""
    return uniforms(phase_key(key, sub, 0), 0, n)


def enrol(people: People, ties: Ties, iv: InterventionConfig, scenario: Scenario, key: np.uint64) -> np.ndarray:
    """Boolean mask of the people ``iv`` enrols today (``coverage`` of the living, by ``iv.targeting``).

    ``key`` is the programme's stream key (:func:`sim.interventions.Programmes.effects` derives it from the
    day's ``PROGRAMMES`` key and the programme's position)."""
    n = people.n
    alive = np.flatnonzero(people.alive)
    count = int(round(iv.coverage * alive.size))
    noise = person_uniforms(key, NOISE, n)[alive]
    rule = "most_connected" if iv.targeting == "most_central" else iv.targeting
    if rule == "random":
        order = np.argsort(noise, kind="stable")
    elif rule == "loneliest":
        answers = take_survey(people, scenario, phase_key(key, SCREENING, 0))
        order = np.lexsort((noise, -answers.ucla3[alive].astype(np.int32)))
    elif rule == "most_isolated":
        answers = take_survey(people, scenario, phase_key(key, SCREENING, 0))
        order = np.lexsort((noise, people.contact_rate[alive], -answers.isolation_index[alive].astype(np.int32)))
    elif rule == "most_connected":
        order = np.lexsort((noise, -people.degree[alive]))
    elif rule == "aged_65plus":
        older = people.age[alive] >= OLDER_AGE
        order = np.argsort(noise, kind="stable")
        order = order[older[order]]
    elif rule == "nominated_friends":
        return _nominated(people, ties, count, key, alive, noise)
    else:  # pragma: no cover - the schema lists the rules
        raise ValueError(f"unknown targeting rule {iv.targeting!r}")
    mask = np.zeros(n, bool)
    mask[alive[order[:count]]] = True
    return mask


def active_adjacency(people: People, ties: Ties) -> tuple[np.ndarray, np.ndarray]:
    """The active ties as a CSR adjacency over people: (indptr, neighbours), each row in increasing order."""
    ids = ties.active_ids()
    src = np.concatenate([ties.u[ids], ties.v[ids]]).astype(np.int64)
    dst = np.concatenate([ties.v[ids], ties.u[ids]]).astype(np.int32)
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    indptr = np.zeros(people.n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=people.n), out=indptr[1:])
    return indptr, dst


def _nominated(people: People, ties: Ties, count: int, key: np.uint64, alive: np.ndarray,
               noise: np.ndarray) -> np.ndarray:
    """Kim et al. 2015's nomination: nominators in a random order each name a random contact; the first
    ``count`` distinct living people named are enrolled, topped up at random when too few are named."""
    n = people.n
    indptr, nbr = active_adjacency(people, ties)
    deg = np.diff(indptr)
    nominators = alive[np.argsort(person_uniforms(key, NOMINATORS, n)[alive], kind="stable")]
    nominators = nominators[deg[nominators] > 0]
    pick = (person_uniforms(key, NOMINEES, n)[nominators] * deg[nominators]).astype(np.int64)
    named = nbr[indptr[nominators] + np.minimum(pick, deg[nominators] - 1)]
    named = named[people.alive[named]]
    _, first = np.unique(named, return_index=True)
    chosen = named[np.sort(first)][:count]
    mask = np.zeros(n, bool)
    mask[chosen] = True
    if chosen.size < count:  # too few distinct people named: the rest at random
        rest = alive[np.argsort(noise, kind="stable")]
        rest = rest[~mask[rest]]
        mask[rest[: count - chosen.size]] = True
    return mask


def network_rings(people: People, ties: Ties, enrolled: np.ndarray) -> np.ndarray:
    """Per person: 0 enrolled, 1 not enrolled with a tie to someone enrolled, 2 two ties away, 3 farther
    (int8), over the active ties now (the spillover groups of a comparison)."""
    indptr, nbr = active_adjacency(people, ties)
    ring = np.full(people.n, 3, np.int8)
    ring[enrolled] = 0
    for step in (1, 2):
        inner = np.flatnonzero(ring == step - 1)
        if inner.size == 0:
            break
        starts, ends = indptr[inner], indptr[inner + 1]
        lengths = ends - starts
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        reached = nbr[pos]
        reached = reached[ring[reached] == 3]
        ring[reached] = step
    return ring
