"""Steps 1 and 2 — contacts and smiles: which ties meet today, and the smiles exchanged on each meeting.

A tie e of kind k and closeness c between i and j meets with probability 1 - exp(-r_e), per day:

    r_e = rate_k x c x frequency_multiplier x shock multiplier x f_i x f_j,
    f_i = (1 - withdrawal x loneliness_i) x (1 - health_weight x (1 - health_i))   (0 for the dead),

the withdrawal loop (Hawkley & Cacioppo 2010: lonely people meet less) and functional limitation
(Pavela 2015: poorer health, less social contact). On a meeting each side smiles at the other with
its smile probability (:mod:`sim.dynamics.smiles`), and a smile is returned with the receiver's
return probability.

How it is computed (one day at a million people is a few passes over memory):

1. :func:`_tie_pass` — one pass over the tie table, in parallel: each tie's closeness first relaxes
   toward its base (e-folding ``ties.closeness_days``: kind acts lift closeness in step 3, and without
   them it fades back); then tie e meets if its uniform (number e of the day's contact stream) is
   below 1 - exp(-r_e) — cheap bounds r - r²/2 <= 1 - exp(-r) <= r - r²/2 + r³/6 settle all but
   ~0.1% of ties without an exponential — and a tie that meets decides its four smiles from numbers
   4e..4e+3 of the day's smile stream. The outcome is one byte per tie.
2. :func:`_per_person` — one pass over people, in parallel, each reading its own row of the CSR index:
   for each tie that met, the person counts the meeting, the other's emotional state, the tie's kind
   and closeness, and its smiles. Nobody writes to another person's row: no locks, no scatter, and
   the same bits with any number of threads.
3. :func:`_tail` — the few ties formed since the index was last rebuilt, serially.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._core import CONTENT, DISCONTENT, FAMILY, FRIEND, HOUSEHOLD, TIE_ACTIVE, decay_factor, jit, pjit
from sim.config import Scenario
from sim.dynamics.smiles import smile_probabilities
from sim.state import People
from sim.streams import key_of, uniform
from sim.ties import Ties


@dataclass
class Meetings:
    """Today's meetings and smiles, per person and in total."""

    per_person: np.ndarray      # int32 meetings per person
    met_content: np.ndarray     # int32 meetings with a content person (states as of this morning)
    met_discontent: np.ndarray  # int32 meetings with a discontent person
    met_kin: np.ndarray         # int32 meetings with household or family ties
    met_friends: np.ndarray     # int32 meetings with friends
    closeness: np.ndarray       # float32 sum of the closeness of the ties met (closeness-weighted contact)
    smiles_given: np.ndarray    # int32 smiles given (first smiles and returns)
    smiles_received: np.ndarray  # int32 smiles received
    count: int                  # meetings today
    smiles_first: int           # smiles started today
    smiles_returned: int        # smiles returned today
    codes: np.ndarray | None = None  # uint8 per tie slot: today's outcome byte (MET and smile bits), for tests
    felt: np.ndarray | None = None  # float32 meetings weighted by their kind's connection_weight (felt connection)

    def met(self) -> np.ndarray:
        """Slot ids of the ties that met today."""
        return np.flatnonzero(self.codes & MET)

    @property
    def smiles(self) -> int:
        """Smiles today, started and returned."""
        return self.smiles_first + self.smiles_returned


def contact_factors(people: People, scenario: Scenario) -> np.ndarray:
    """Per person: the factor f_i (float32) on the meeting rate of each of their ties today: withdrawal,
    frailty, illness (``life_events.illness.contact_factor``) and support in grief (1 + support_per_grief x g)."""
    c, ev = scenario.contacts, scenario.life_events
    ill = np.float32(ev.illness.contact_factor if ev.enabled else 1.0)
    return _factors(people.alive, people.loneliness, people.health, people.ill, people.grief,
                    np.float32(c.withdrawal_per_loneliness), np.float32(c.health_weight), ill,
                    np.float32(ev.grief.support_per_grief))


@pjit
def _factors(alive, loneliness, health, ill, grief, withdrawal, health_weight, ill_factor, support):
    out = np.empty(alive.size, np.float32)
    for i in numba.prange(alive.size):
        f = (np.float32(1.0) - withdrawal * loneliness[i]) * (np.float32(1.0) - health_weight * (1.0 - health[i]))
        if ill[i]:
            f *= ill_factor
        out[i] = f * (np.float32(1.0) + support * grief[i]) if alive[i] else np.float32(0.0)
    return out


def connection_weights(scenario: Scenario) -> np.ndarray:
    """Per tie kind (float32[6]): the weight of a meeting in felt connection (``ties.<kind>.connection_weight``)."""
    return np.array([k.connection_weight for k in scenario.ties.kinds()], np.float32)


def kind_rates(scenario: Scenario, multiplier: float = 1.0) -> np.ndarray:
    """Meeting rate per day of a tie of closeness 1, by kind (float64[6]), times the frequency multiplier
    (isolation level b) and today's shock ``multiplier``."""
    base = scenario.contacts.frequency_multiplier * multiplier
    return np.array([k.rate_per_day * base for k in scenario.ties.kinds()], np.float64)


def meet(people: People, ties: Ties, scenario: Scenario, multiplier: float, key_contacts, key_smiles,
         smile_boost: np.ndarray | None = None) -> Meetings:
    """Today's meetings and smiles. ``key_contacts`` / ``key_smiles``: stream keys (or numpy Generators,
    from which one key each is drawn); ``smile_boost``: extra log-odds of smiling per person (campaigns)."""
    kc, ks = key_of(key_contacts), key_of(key_smiles)
    rates = kind_rates(scenario, multiplier)
    f = contact_factors(people, scenario)
    prob = smile_probabilities(people, scenario.smiles, smile_boost)
    codes = _tie_pass(kc, ks, ties.m, ties.status, ties.u, ties.v, ties.kind, ties.closeness, ties.base,
                      np.float32(decay_factor(scenario.ties.closeness_days)), rates, f, prob)
    weight = connection_weights(scenario)
    q = np.float32(scenario.loneliness.responsiveness_loss)
    out = _per_person(codes, ties.indptr, ties.nbr, ties.eid, ties.kind, ties.closeness, weight, people.emotion,
                      people.loneliness, q)
    _tail(codes, ties.indexed, ties.m, ties.u, ties.v, ties.kind, ties.closeness, weight, people.emotion,
          people.loneliness, q, *out)
    started = int(out[8].sum(dtype=np.int64))
    return Meetings(*out[:8], count=int(out[0].sum(dtype=np.int64)) // 2, smiles_first=started,
                    smiles_returned=int(out[6].sum(dtype=np.int64)) - started, codes=codes, felt=out[9])


@jit
def _rate(e, rates, kind, closeness, u, v, f):
    """Today's meeting rate of tie e, per day."""
    return rates[kind[e]] * closeness[e] * f[u[e]] * f[v[e]]


# Bits of a tie's outcome byte: met; the lower id smiles; the higher id returns it; the higher id smiles;
# the lower id returns it.
MET, LOW_SMILES, HIGH_RETURNS, HIGH_SMILES, LOW_RETURNS = 1, 2, 4, 8, 16


@pjit
def _tie_pass(kc, ks, m, status, u, v, kind, closeness, base, relax, rates, f, prob):
    """One byte per tie: whether it meets today and, if it does, its four smile decisions (bits above)."""
    out = np.zeros(m, np.uint8)
    for e in numba.prange(m):
        closeness[e] += (base[e] - closeness[e]) * relax
        if status[e] != TIE_ACTIVE:
            continue
        x = uniform(kc, e)
        r = _rate(e, rates, kind, closeness, u, v, f)
        lower = r - 0.5 * r * r
        if x >= lower:  # mostly not met: between the bounds (rare) it takes the exponential
            if x >= lower + r * r * r / 6.0 or x >= -math.expm1(-r):
                continue
        a, b = u[e], v[e]
        c = 4 * np.int64(e)
        s_ab = uniform(ks, c) < prob[a, 0]
        r_ba = s_ab and uniform(ks, c + 1) < prob[b, 1]
        s_ba = uniform(ks, c + 2) < prob[b, 0]
        r_ab = s_ba and uniform(ks, c + 3) < prob[a, 1]
        out[e] = MET | (LOW_SMILES * s_ab) | (HIGH_RETURNS * r_ba) | (HIGH_SMILES * s_ba) | (LOW_RETURNS * r_ab)
    return out


@jit
def _smiles_of(code, lower):
    """(given, received, started) smiles of one end of a met tie from its outcome byte; ``lower``: that end
    has the lower id."""
    s_low = (code & LOW_SMILES) != 0
    r_high = (code & HIGH_RETURNS) != 0
    s_high = (code & HIGH_SMILES) != 0
    r_low = (code & LOW_RETURNS) != 0
    if lower:
        return np.int32(s_low) + np.int32(r_low), np.int32(s_high) + np.int32(r_high), np.int32(s_low)
    return np.int32(s_high) + np.int32(r_high), np.int32(s_low) + np.int32(r_low), np.int32(s_high)


@pjit
def _per_person(codes, indptr, nbr, eid, kind, closeness, weight, emotion, loneliness, responsiveness_loss):
    n = emotion.size
    meetings = np.zeros(n, np.int32)
    content = np.zeros(n, np.int32)
    discontent = np.zeros(n, np.int32)
    kin = np.zeros(n, np.int32)
    friends = np.zeros(n, np.int32)
    close = np.zeros(n, np.float32)
    given = np.zeros(n, np.int32)
    received = np.zeros(n, np.int32)
    started = np.zeros(n, np.int32)
    felt = np.zeros(n, np.float32)
    for i in numba.prange(n):
        mt = ct = dc = kn = fr = gv = rc = st = 0
        cl = wm = np.float32(0.0)
        for s in range(indptr[i], indptr[i + 1]):
            e = eid[s]
            code = codes[e]
            if code == 0:
                continue
            j = nbr[s]
            mt += 1
            ct += emotion[j] == CONTENT
            dc += emotion[j] == DISCONTENT
            k = kind[e]
            kn += (k == HOUSEHOLD) | (k == FAMILY)
            fr += k == FRIEND
            c = closeness[e] * weight[k]
            if responsiveness_loss > 0:  # the lonely give less of themselves (loneliness.responsiveness_loss)
                c *= np.float32(1.0) - responsiveness_loss * loneliness[j]
            cl += c
            wm += weight[k]
            g, r, first = _smiles_of(code, i < j)
            gv += g
            rc += r
            st += first
        meetings[i], content[i], discontent[i], kin[i], friends[i] = mt, ct, dc, kn, fr
        close[i], given[i], received[i], started[i], felt[i] = cl, gv, rc, st, wm
    return meetings, content, discontent, kin, friends, close, given, received, started, felt


@jit
def _tail(codes, start, m, u, v, kind, closeness, weight, emotion, loneliness, responsiveness_loss, meetings, content,
          discontent, kin, friends, close,
          given, received, started, felt):
    """Add the ties not yet in the index (slots ``start..m``) to both ends' tallies."""
    for e in range(start, m):
        code = codes[e]
        if code == 0:
            continue
        a, b = u[e], v[e]
        k = kind[e]
        for i, j in ((a, b), (b, a)):
            meetings[i] += 1
            content[i] += emotion[j] == CONTENT
            discontent[i] += emotion[j] == DISCONTENT
            kin[i] += (k == HOUSEHOLD) | (k == FAMILY)
            friends[i] += k == FRIEND
            close[i] += closeness[e] * weight[k] * (1.0 - responsiveness_loss * loneliness[j])
            felt[i] += weight[k]
            g, r, first = _smiles_of(code, i < j)
            given[i] += g
            received[i] += r
            started[i] += first


# ---------------------------------------------------------------- expected form (the settled start)
def expected_contacts(people: People, ties: Ties, scenario: Scenario) -> tuple[np.ndarray, ...]:
    """Per person, expected per day with today's contact factors and smile probabilities: meetings,
    closeness-weighted felt meetings, meetings with kin, with friends, smiles received and given, and felt
    meetings — the mean of what :func:`meet` draws (``tests/test_structure_mechanisms.py`` checks they agree)."""
    return _expected_contacts(ties.indptr, ties.nbr, ties.eid, ties.kind, ties.closeness, ties.status,
                              kind_rates(scenario), connection_weights(scenario), contact_factors(people, scenario),
                              smile_probabilities(people, scenario.smiles))


@pjit
def _expected_contacts(indptr, nbr, eid, kind, closeness, status, rates, weight, f, prob):
    """Per person, expected per day: meetings, closeness-weighted felt meetings, meetings with kin and with
    friends, smiles received (the other smiles, or returns one's own smile) and given, and meetings weighted
    by their kind's connection weight (felt connection)."""
    n = f.size
    meetings = np.zeros(n, np.float32)
    close = np.zeros(n, np.float32)
    kin = np.zeros(n, np.float32)
    friends = np.zeros(n, np.float32)
    smiles = np.zeros(n, np.float32)
    given = np.zeros(n, np.float32)
    felt = np.zeros(n, np.float32)
    for i in numba.prange(n):
        mt = cl = kn = fr = sm = gv = wm = 0.0
        for s in range(indptr[i], indptr[i + 1]):
            e = eid[s]
            if status[e] != TIE_ACTIVE:
                continue
            j = nbr[s]
            pm = -math.expm1(-rates[kind[e]] * closeness[e] * f[i] * f[j])
            mt += pm
            k = kind[e]
            cl += pm * closeness[e] * weight[k]
            wm += pm * weight[k]
            if k == HOUSEHOLD or k == FAMILY:
                kn += pm
            elif k == FRIEND:
                fr += pm
            sm += pm * (prob[j, 0] + prob[i, 0] * prob[j, 1])
            gv += pm * (prob[i, 0] + prob[j, 0] * prob[i, 1])
        meetings[i], close[i], kin[i], friends[i], smiles[i], given[i], felt[i] = mt, cl, kn, fr, sm, gv, wm
    return meetings, close, kin, friends, smiles, given, felt
