"""Per-person state: one numpy array per quantity, indexed by person id ``0..n-1``.

State is held Starsim-style (float32 where precision allows, int32 ids, int8 codes from
:mod:`sim._core`). Mesa agents (``sim.model.Person``) are views of a row; the daily kernels in
``sim/dynamics/`` never see an agent object. The day-0 values are drawn by :mod:`sim.initial`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class People:
    """One array per quantity, one row per person. Units in comments.

    Three groups: who a person is (drawn at day 0, changed only by life events), stable traits, and
    the state the day's mechanisms update. Derived flags (``lonely``, ``isolated``) come from the
    instruments' true scores (:mod:`sim.survey`).
    """

    # -- who: drawn at day 0 (sim.demography), changed by life events
    age: np.ndarray            # years (float32), grows 1/365 per day
    sex: np.ndarray            # int8: 0 female, 1 male
    alive: np.ndarray          # bool
    partner: np.ndarray        # int32: the partner's id (a PARTNER tie), -1 none
    widowed: np.ndarray        # bool: lost a partner to death (at day 0 drawn by age and sex)
    employed: np.ndarray       # bool: has work ties; false after retirement
    retirement_age: np.ndarray  # years (float32): age at which the person retires
    group_member: np.ndarray   # bool: takes part in a group (club, congregation, organisation) at least monthly
    # -- stable traits
    desired: np.ndarray        # desired connection, contact-equivalents per day (float32)
    desire_z: np.ndarray       # standard-normal part of log desired connection that drifts (float32; dynamics.desire)
    sociability: np.ndarray    # multiplier (float32, median 1) on the friend circles a person joins
    vigilance: np.ndarray      # loneliness target per unit negative mood (float32; social-threat bias)
    # -- state
    mood: np.ndarray           # affect valence, -1..1 (float32)
    emotion: np.ndarray        # int8 SISa state: 0 neutral, 1 content, 2 discontent
    loneliness: np.ndarray     # latent loneliness, 0..1 (float32)
    perceived: np.ndarray      # moving average of received connection, contact-equivalents per day
    perceived_close: np.ndarray  # moving average of closeness-weighted connection, per day
    contact_rate: np.ndarray   # moving average of meetings per day (contact-window e-folding)
    contact_family: np.ndarray  # moving average of meetings with kin (household and family ties) per day
    contact_friend: np.ndarray  # moving average of meetings with friends per day
    health: np.ndarray         # physiological reserve, 0..1 (float32)
    habit: np.ndarray          # smile/kindness habit strength, 0..1 (float32)
    adversity: np.ndarray      # bool: in an episode of adversity (dynamics.episodes)
    ill: np.ndarray            # bool: in an episode of illness that limits going out (dynamics.episodes)
    grief: np.ndarray          # grief added to the loneliness target, 0..1 (float32; dynamics.grief)
    adaptation: np.ndarray     # adaptation to a loss still to come, log-desire units (float32; dynamics.grief)
    widowed_day: np.ndarray    # int32: recorded day the partner died (negative: before day 0); NO_DAY if never
    degree: np.ndarray         # current number of active ties (int32)
    isolation_index: np.ndarray  # int8: isolation index true score, 0..4 (sim.survey)
    isolated: np.ndarray       # bool, derived: isolation index >= cutoff (objective)
    lonely: np.ndarray         # bool, derived: UCLA-3 true score >= cutoff (subjective)
    relative_hazard: np.ndarray  # hazard multiplier from isolation and loneliness (float32)
    pay_forward: np.ndarray    # bool: received a kind act yesterday and will pay it forward today
    death_day: np.ndarray      # int32: day of death, -1 while alive
    isolated0: np.ndarray      # bool: isolated at day 0 (cohort exposure for survival analysis)
    lonely0: np.ndarray        # bool: lonely at day 0
    smiles_given: np.ndarray   # int32 running totals
    kind_given: np.ndarray     # int32 running totals

    @property
    def n(self) -> int:
        """Number of people (living and dead)."""
        return int(self.age.size)
