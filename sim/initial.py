"""The town on day 0: the people (from :mod:`sim.demography` and the network's partners) and a start
near the model's steady state.

:func:`init_people` assembles the state arrays; :func:`settle` places the slow variables — perceived
connection (amount and closeness), the reported-contact averages and loneliness — at the fixed point
of their daily equations on the network built for the run, with expected meetings, smiles and kind
acts in place of random ones, so the burn-in (``burn_in_days``) only has to add the noise.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim._core import DAYS_PER_YEAR, FAMILY, FRIEND, HOUSEHOLD, NO_DAY, PARTNER, TIE_ACTIVE, decay_factor, pjit
from sim.config import Scenario
from sim.demography import Demography
from sim.dynamics.contagion import sisa_mean_field, sisa_resting_fractions
from sim.dynamics.episodes import draw_initial
from sim.dynamics.grief import initial_adaptation, initial_grief
from sim.dynamics.health import expected_health, steady_health
from sim.dynamics.kindness import expected_acts
from sim.dynamics.loneliness import loneliness_target
from sim.dynamics.meetings import connection_weights, contact_factors, kind_rates
from sim.dynamics.smiles import smile_probabilities
from sim.state import People
from sim.survey import classify
from sim.ties import Ties

SETTLE_ITERATIONS = 8  # fixed-point passes; the change in loneliness after 8 is below 1e-3 at the defaults


def partners_of(ties: Ties) -> np.ndarray:
    """Per person: the other end of their active partner tie, or -1 (int32)."""
    partner = np.full(ties.n, -1, np.int32)
    ids = ties.active_ids()
    ids = ids[ties.kind[ids] == PARTNER]
    partner[ties.u[ids]] = ties.v[ids]
    partner[ties.v[ids]] = ties.u[ids]
    return partner


def init_people(cfg: Scenario, demo: Demography, ties: Ties, rng: np.random.Generator) -> People:
    """The day-0 people: who they are and their traits from ``demo``, partners from the ties, emotional
    states at the SISa mean-field equilibrium for the network's mean degree, mood at its state's level,
    habit and health around their means, episodes of adversity and illness at their stationary shares, the
    widowed's grief from their years since the death. Connection and loneliness are placed by :func:`settle`."""
    f32 = np.float32
    n = demo.n
    partner = partners_of(ties)
    mean_degree = float(ties.degree.mean()) if n else 0.0
    p_n, p_c, p_d = (sisa_mean_field(cfg.contagion, mean_degree) if cfg.contagion.enabled
                     else sisa_resting_fractions(cfg.contagion))
    emotion = rng.choice(3, size=n, p=[p_n, p_c, p_d]).astype(np.int8)
    levels = np.array([cfg.mood.neutral_level, cfg.mood.content_level, cfg.mood.discontent_level], f32)
    mood = np.clip(levels[emotion] + 0.1 * rng.standard_normal(n), -1, 1).astype(f32)
    habit = np.clip(cfg.habits.initial_mean + 0.1 * rng.standard_normal(n), 0, 1).astype(f32)
    health = np.clip(expected_health(demo.age) + 0.05 * rng.standard_normal(n), 0, 1).astype(f32)

    def z(dt):
        return np.zeros(n, dt)

    widowed = demo.widowed_if_single & (partner < 0)
    days_since = np.round(demo.widowed_years.astype(np.float64) * DAYS_PER_YEAR).astype(np.int32)
    widowed_day = np.where(widowed, -days_since, np.int32(NO_DAY)).astype(np.int32)
    grief = initial_grief(demo.widowed_years, widowed, cfg, cfg.ties.partner.closeness_mean)
    adaptation = initial_adaptation(demo.desired, demo.widowed_years, widowed, cfg)
    people = People(
        age=demo.age, sex=demo.sex, alive=np.ones(n, bool), partner=partner,
        widowed=widowed, employed=demo.employed.copy(),
        retirement_age=demo.retirement_age, group_member=demo.group_member.copy(),
        desired=demo.desired, desire_z=demo.desire_z, sociability=demo.sociability, vigilance=demo.vigilance,
        mood=mood, emotion=emotion, loneliness=z(f32), perceived=z(f32), perceived_close=z(f32),
        contact_rate=z(f32), contact_family=z(f32), contact_friend=z(f32), health=health, habit=habit,
        adversity=z(bool), ill=z(bool), grief=grief, adaptation=adaptation, widowed_day=widowed_day,
        degree=ties.degree, isolation_index=z(np.int8), isolated=z(bool), lonely=z(bool),
        relative_hazard=np.ones(n, f32), pay_forward=z(bool), death_day=np.full(n, -1, np.int32),
        isolated0=z(bool), lonely0=z(bool), smiles_given=z(np.int32), kind_given=z(np.int32),
    )
    draw_initial(people, cfg, rng)  # episodes of adversity and illness at their stationary shares
    return people


def settle(people: People, ties: Ties, scenario: Scenario) -> None:
    """Place mood, habit, perceived connection, reported contact and loneliness at the fixed point of their
    daily equations, with expected meetings, smiles and kind acts in place of random ones:

    * mood m* = (k rest + g/2) / (k + g/2), from m ← m + (rest − m) k + g (1 − m)/2 with the day's
      expected mood gain g (smiles and kind acts given and received) and k = 1 − exp(−1/relaxation_days);
    * habit h* = γ a / (γ a + φ), from h ← h + γ a (1 − h) − h φ with a = smiles + kind_act_weight x acts
      given per day, γ = gain_per_act, φ = 1 − exp(−1/fade_days);
    * perceived connection and reported contact = their expected daily inputs; loneliness = its target;
    * health = its fixed point at that loneliness, isolation and mood (:func:`sim.dynamics.health.steady_health`),
      plus each person's own day-0 deviation from the age-expected reserve.
    """
    p, sc = people, scenario
    rates = kind_rates(sc)
    weight = connection_weights(sc)
    levels = np.array([sc.mood.neutral_level, sc.mood.content_level, sc.mood.discontent_level], np.float32)
    k_mood = decay_factor(sc.mood.relaxation_days)
    fade = decay_factor(sc.habits.fade_days)
    relax = decay_factor(sc.ties.closeness_days)
    along_ties = 1.0 - sc.kindness.stranger_fraction
    alive = p.alive
    received_acts = np.zeros(p.n, np.float32)
    health_offset = p.health - expected_health(p.age)  # each person's own deviation from the age-expected reserve
    for _ in range(SETTLE_ITERATIONS):
        f = contact_factors(p, sc)
        prob = smile_probabilities(p, sc.smiles)
        meetings, close, kin, friends, smiles_in, smiles_out, felt = _expected_contacts(
            ties.indptr, ties.nbr, ties.eid, ties.kind, ties.closeness, ties.status, rates, weight, f, prob)
        # own acts, plus paying forward (with probability pay_forward_probability if any act was received)
        acts = expected_acts(p, sc.kindness) + sc.kindness.pay_forward_probability * -np.expm1(-received_acts)
        received_acts = _expected_acts_received(ties.indptr, ties.nbr, ties.status, ties.eid, acts, p.degree, along_ties)
        # closeness held up by the kind acts along each tie: c* = base + gain x acts per day / relax (at most 1)
        _held_closeness(ties.u, ties.v, ties.status, ties.base, ties.closeness, acts, p.degree,
                        np.float32(along_ties * sc.kindness.closeness_gain / relax))
        gain = (sc.smiles.giver_mood_gain * smiles_out + sc.smiles.receiver_mood_gain * smiles_in
                + sc.kindness.giver_mood_gain * acts + sc.kindness.receiver_mood_gain * received_acts)
        rest = levels[p.emotion] - sc.mood.loneliness_drag * p.loneliness
        p.mood[:] = np.where(alive, np.clip((k_mood * rest + gain / 2) / (k_mood + gain / 2), -1, 1), p.mood)
        practice = sc.habits.gain_per_act * (smiles_out + sc.habits.kind_act_weight * acts)
        p.habit[:] = np.where(alive, practice / (practice + fade), p.habit)
        p.perceived[:] = felt + sc.smiles.connection_value * smiles_in + sc.kindness.connection_value * received_acts
        p.perceived_close[:] = close
        p.contact_rate[:] = meetings
        p.contact_family[:] = kin
        p.contact_friend[:] = friends
        p.loneliness[:] = np.where(alive, loneliness_target(p, sc), 0.0)
        classify(p, sc)
        p.health[:] = np.where(alive, np.clip(steady_health(p, sc.health, smiles_in + smiles_out) + health_offset, 0, 1),
                               p.health)
    classify(p, sc)


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


@pjit
def _held_closeness(u, v, status, base, closeness, acts, degree, scale):
    """Each active tie's closeness where kind acts along it balance its relaxation to ``base``:
    base + scale x (acts of each end per day / that end's ties), at most 1 (in place)."""
    for e in numba.prange(u.size):
        if status[e] != TIE_ACTIVE:
            continue
        a, b = u[e], v[e]
        along = acts[a] / max(degree[a], 1) + acts[b] / max(degree[b], 1)
        closeness[e] = min(base[e] + scale * along, np.float32(1.0))


@pjit
def _expected_acts_received(indptr, nbr, status, eid, acts, degree, along_ties):
    """Per person: expected kind acts received per day along ties (each giver picks one of their ties at random)."""
    n = acts.size
    out = np.zeros(n, np.float32)
    for i in numba.prange(n):
        r = 0.0
        for s in range(indptr[i], indptr[i + 1]):
            if status[eid[s]] != TIE_ACTIVE:
                continue
            j = nbr[s]
            if degree[j] > 0:
                r += acts[j] * along_ties / degree[j]
        out[i] = r
    return out
