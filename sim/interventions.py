"""Programmes that act on chosen people for chosen days, and isolation shocks.

Programmes (``interventions:`` in the YAML), each enrolling ``coverage`` of the living population
at ``start_day`` (random, the loneliest, or the most connected) for ``duration_days``:

* ``smile_campaign`` — the enrolled smile more: odds of smiling x ``smile_odds_multiplier``.
* ``kindness_campaign`` — ``kind_acts_per_day`` extra kind acts per enrolled person per day.
* ``big_joy`` — the Big Joy week (Guevarra et al. 2025): daily micro-acts; ``kind_acts_per_day``
  acts for others (a kind act, celebrating another's joy) plus self-directed ones (gratitude, awe,
  reframing) worth ``self_act_mood_gain`` mood per day.
* ``befriending`` — volunteer visits, ``visits_per_week``, counted as received connection and
  meetings (a befriending scheme; Masi et al. 2011 review such schemes).

Shocks (``shocks:``, isolation level c): for a period, a share of ties is suspended (they come
back afterwards if both ends live) and every tie's meeting rate is multiplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim._core import HOUSEHOLD, TIE_ACTIVE, TIE_GONE, TIE_SUSPENDED
from sim.config import InterventionConfig, Scenario
from sim.state import People
from sim.ties import Ties


@dataclass
class DailyProgrammeEffects:
    """What the active programmes add today, per person (None where nothing)."""

    smile_log_odds: np.ndarray | None = None
    extra_kind_rate: np.ndarray | None = None
    self_mood_gain: np.ndarray | None = None
    visits: np.ndarray | None = None           # programme contacts per day (counted as meetings)
    visit_closeness: np.ndarray | None = None  # closeness (0–1) of those contacts


def enrol(people: People, iv: InterventionConfig, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of the enrolled: ``coverage`` of the living, chosen by ``targeting``."""
    alive = np.flatnonzero(people.alive)
    count = int(round(iv.coverage * alive.size))
    noise = rng.random(alive.size)  # always drawn: the same stream is used whatever the targeting
    if iv.targeting == "random":
        order = np.argsort(noise, kind="stable")
    elif iv.targeting == "loneliest":
        order = np.lexsort((noise, -people.loneliness[alive]))
    else:  # most_central: by degree
        order = np.lexsort((noise, -people.degree[alive]))
    mask = np.zeros(people.n, bool)
    mask[alive[order[:count]]] = True
    return mask


class Programmes:
    """The scenario's interventions: enrols people on the start day, reports today's effects."""

    def __init__(self, scenario: Scenario):
        self.configs = list(scenario.interventions)
        self.enrolled: list[np.ndarray | None] = [None] * len(self.configs)

    def effects(self, day: int, people: People, rng: np.random.Generator) -> DailyProgrammeEffects:
        """What the running programmes add today, per person; enrols people on a programme's start day."""
        out = DailyProgrammeEffects()
        n = people.n

        def add(name: str, mask: np.ndarray, value: float) -> None:
            cur = getattr(out, name)
            if cur is None:
                cur = np.zeros(n, np.float32)
                setattr(out, name, cur)
            cur[mask] += value

        for i, iv in enumerate(self.configs):
            if day == iv.start_day and self.enrolled[i] is None:
                self.enrolled[i] = enrol(people, iv, rng)
            if not (iv.start_day <= day < iv.start_day + iv.duration_days) or self.enrolled[i] is None:
                continue
            mask = self.enrolled[i] & people.alive
            if iv.kind == "smile_campaign":
                add("smile_log_odds", mask, float(np.log(max(iv.smile_odds_multiplier, 1e-9))))
            elif iv.kind == "kindness_campaign":
                add("extra_kind_rate", mask, iv.kind_acts_per_day)
            elif iv.kind == "big_joy":
                add("extra_kind_rate", mask, iv.kind_acts_per_day)
                add("self_mood_gain", mask, iv.self_act_mood_gain)
            elif iv.kind == "befriending":
                add("visits", mask, iv.visits_per_week / 7.0)
                add("visit_closeness", mask, iv.visit_closeness)
        return out

    def enrolled_mask(self, index: int) -> np.ndarray | None:
        """Who programme ``index`` enrolled (None before its start day)."""
        return self.enrolled[index]


def apply_shocks(day: int, scenario: Scenario, people: People, ties: Ties, rng: np.random.Generator) -> float:
    """Start or end shocks on ``day``; return today's contact multiplier from the shocks in force."""
    multiplier = 1.0
    for k, shock in enumerate(scenario.shocks):
        end = shock.start_day + shock.duration_days
        if day == shock.start_day and shock.tie_removal_fraction > 0:
            ids = ties.active_ids()
            ids = ids[ties.kind[ids] > HOUSEHOLD]  # people who live together stay together
            hit = ids[rng.random(ids.size) < shock.tie_removal_fraction]
            ties.set_status(hit, TIE_SUSPENDED)
            ties.suspended_by[hit] = k
        if day == end:
            back = np.flatnonzero((ties.status[: ties.m] == TIE_SUSPENDED) & (ties.suspended_by[: ties.m] == k))
            both_alive = people.alive[ties.u[back]] & people.alive[ties.v[back]]
            ties.set_status(back[both_alive], TIE_ACTIVE)
            ties.set_status(back[~both_alive], TIE_GONE)  # a tie to someone who died meanwhile does not return
            ties.suspended_by[back] = -1
        if shock.start_day <= day < end:
            multiplier *= shock.contact_multiplier
    return multiplier
