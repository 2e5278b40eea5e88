"""The town on day 0: the people (from :mod:`sim.demography` and the network's partners) and a start
near the model's steady state.

:func:`init_people` assembles the state arrays; :func:`settle` places the slow variables — perceived
connection (amount and closeness), the reported-contact averages and loneliness — at the fixed point
of their daily equations on the network built for the run, with expected meetings, smiles and kind
acts in place of random ones, so the burn-in (``burn_in_days``) only has to add the noise.
"""

from __future__ import annotations

import numpy as np

from sim._core import DAYS_PER_YEAR, NO_DAY, PARTNER
from sim.config import Scenario
from sim.demography import Demography
from sim.dynamics.contagion import sisa_mean_field, sisa_resting_fractions
from sim.dynamics.episodes import draw_initial
from sim.dynamics.grief import initial_adaptation, initial_grief
from sim.dynamics.habits import steady_habit
from sim.dynamics.health import expected_health, steady_health
from sim.dynamics.kindness import expected_acts, expected_acts_received, hold_closeness
from sim.dynamics.loneliness import loneliness_target
from sim.dynamics.meetings import expected_contacts
from sim.dynamics.mood import resting_mood, steady_mood
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
    """Place mood, habit, the closeness kind acts hold up, perceived connection, reported contact, loneliness and
    health at the fixed point of their daily equations, with expected meetings, smiles and kind acts in place of
    random ones. Each mechanism's expected form lives beside its step:

    * contacts and smiles: :func:`sim.dynamics.meetings.expected_contacts`;
    * kind acts: :func:`sim.dynamics.kindness.expected_acts` (plus paying forward),
      :func:`~sim.dynamics.kindness.expected_acts_received`, :func:`~sim.dynamics.kindness.hold_closeness`;
    * mood: :func:`sim.dynamics.mood.steady_mood`; habit: :func:`sim.dynamics.habits.steady_habit`;
    * perceived connection and reported contact = their expected daily inputs; loneliness = its target
      (:func:`sim.dynamics.loneliness.loneliness_target`);
    * health: :func:`sim.dynamics.health.steady_health`, plus each person's own day-0 deviation from the
      age-expected reserve.
    """
    p, sc = people, scenario
    alive = p.alive
    received_acts = np.zeros(p.n, np.float32)
    health_offset = p.health - expected_health(p.age)  # each person's own deviation from the age-expected reserve
    for _ in range(SETTLE_ITERATIONS):
        meetings, close, kin, friends, smiles_in, smiles_out, felt = expected_contacts(p, ties, sc)
        # own acts, plus paying forward (with probability pay_forward_probability if any act was received)
        acts = expected_acts(p, sc.kindness) + sc.kindness.pay_forward_probability * -np.expm1(-received_acts)
        received_acts = expected_acts_received(ties, acts, p.degree, sc.kindness)
        hold_closeness(ties, acts, p.degree, sc.kindness, sc.ties)
        gain = (sc.smiles.giver_mood_gain * smiles_out + sc.smiles.receiver_mood_gain * smiles_in
                + sc.kindness.giver_mood_gain * acts + sc.kindness.receiver_mood_gain * received_acts)
        p.mood[:] = np.where(alive, steady_mood(resting_mood(p, sc.mood), gain, sc.mood), p.mood)
        p.habit[:] = np.where(alive, steady_habit(smiles_out, acts, sc.habits), p.habit)
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
