"""Programmes that act on chosen people for chosen days, and isolation shocks.

Programmes (``interventions:`` in the YAML; docs/programmes.md), each enrolling ``coverage`` of the
living population at ``start_day`` by a targeting rule (:mod:`sim.targeting`) for ``duration_days``:

* ``smile_campaign`` — the enrolled smile more: odds of smiling x ``smile_odds_multiplier``.
* ``kindness_campaign`` — ``kind_acts_per_day`` extra kind acts per enrolled person per day.
* ``big_joy`` — the Big Joy week (Guevarra et al. 2025): daily micro-acts; ``kind_acts_per_day``
  acts for others (a kind act, celebrating another's joy) plus self-directed ones (gratitude, awe,
  reframing) worth ``self_act_mood_gain`` mood per day.
* ``befriending`` — volunteer visits, ``visits_per_week``, counted as received connection and
  meetings (a befriending scheme; Masi et al. 2011 review such schemes).
* ``phone_calls`` — telephone befriending with empathy-focused calls (Kahlon et al. 2021): a call a day
  for ``daily_call_days`` days, then ``calls_per_week``; each call is worth ``call_value``
  contact-equivalents of received connection, close (closeness 1: the caller listens), and counts as a
  meeting. Calls do not change the isolation index (no family, friend or group contact).
* ``group_activity`` — group-based programmes (Shekelle et al. 2024): the enrolled are cut into
  groups of ``group_size`` neighbours (people are placed on a map, so consecutive ids live near each
  other), become group members for the programme (the isolation index's group item) and form
  acquaintance ties of closeness ``group_tie_closeness`` with every member of their group; on the
  last day a share ``ties_kept_share`` of those ties outlasts the programme, the rest end.
* ``social_cognition`` — CBT-type programmes that address maladaptive social cognition (Masi et al.
  2011; Hickin et al. 2021): reappraisal. Over the programme the enrolled's social-threat vigilance (the
  weight of negative mood in their loneliness target, docs/model.md) and the connection they need to
  feel connected (desired connection D_i: the same contact reads as more once social information is
  no longer read as rejection) fall linearly to (1 − ``reappraisal``) of their values; afterwards the
  change fades with half-life ``relapse_half_life_days``.

Randomness: enrolment, and which group ties outlast a programme, use counter-based numbers of the
day's ``PROGRAMMES`` stream (:mod:`sim.streams`), never the dynamics' generator, so a run with a
programme shares every random number with the same run without it until the programme changes the
state (the control town of ``lonesim compare``).

Shocks (``shocks:``, isolation level c): for a period, a share of ties is suspended (they come
back afterwards if both ends live) and every tie's meeting rate is multiplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim._core import ACQUAINTANCE, HOUSEHOLD, TIE_ACTIVE, TIE_GONE, TIE_SUSPENDED
from sim.config import InterventionConfig, Scenario
from sim.state import People
from sim.streams import phase_key, uniforms
from sim.targeting import enrol
from sim.ties import Ties

__all__ = ["DailyProgrammeEffects", "Programmes", "apply_shocks", "enrol", "call_schedule", "programme_groups"]

#: Sub-stream of a programme's key for which group ties outlast the programme (sim.targeting uses 0-3).
KEEP_TIES = 8


@dataclass
class DailyProgrammeEffects:
    """What the active programmes add today, per person (None where nothing)."""

    smile_log_odds: np.ndarray | None = None
    extra_kind_rate: np.ndarray | None = None
    self_mood_gain: np.ndarray | None = None
    visits: np.ndarray | None = None           # programme contacts per day (counted as meetings)
    visit_closeness: np.ndarray | None = None  # mean closeness (0–1) of those contacts


def call_schedule(day_of_programme: int, iv: InterventionConfig) -> float:
    """Calls per day on day ``day_of_programme`` (0-based) of a ``phone_calls`` programme: one a day for
    the first ``daily_call_days`` days, then ``calls_per_week`` / 7 (an expected number per day).

    >>> from sim.config import programme
    >>> iv = programme(kind="phone_calls", duration_days=28)
    >>> [round(call_schedule(d, iv), 3) for d in (0, 4, 5, 27)]
    [1.0, 1.0, 0.286, 0.286]
    """
    return 1.0 if day_of_programme < iv.daily_call_days else iv.calls_per_week / 7.0


def programme_groups(enrolled: np.ndarray, size: int) -> list[np.ndarray]:
    """The enrolled (a mask) cut into groups of ``size`` consecutive ids (neighbours on the map); a last
    group smaller than half the size joins the one before it.

    >>> [g.tolist() for g in programme_groups(np.arange(10) % 2 == 0, 2)]
    [[0, 2], [4, 6], [8]]
    >>> [g.tolist() for g in programme_groups(np.ones(7, bool), 3)]
    [[0, 1, 2], [3, 4, 5, 6]]
    """
    ids = np.flatnonzero(enrolled)
    groups = [ids[i:i + size] for i in range(0, ids.size, size)]
    if len(groups) > 1 and groups[-1].size < size / 2:
        groups[-2] = np.concatenate([groups[-2], groups.pop()])
    return groups


class Programmes:
    """The scenario's interventions: enrols people on each start day, reports today's effects and makes the
    lasting changes (group ties and membership, reappraisal)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.configs = list(scenario.interventions)
        self.enrolled: list[np.ndarray | None] = [None] * len(self.configs)
        self._state: list[dict] = [{} for _ in self.configs]

    def effects(self, day: int, people: People, ties: Ties, key: np.uint64) -> DailyProgrammeEffects:
        """What the running programmes add today, per person; enrols people on a programme's start day.

        ``key`` is today's ``PROGRAMMES`` stream key; programme k draws from ``phase_key(key, k, 0)``."""
        out = DailyProgrammeEffects()
        n = people.n
        close_visits = np.zeros(0, np.float32)

        def add(name: str, mask: np.ndarray, value) -> None:
            cur = getattr(out, name)
            if cur is None:
                cur = np.zeros(n, np.float32)
                setattr(out, name, cur)
            cur[mask] += value

        for k, iv in enumerate(self.configs):
            pkey = phase_key(key, k, 0)
            if day == iv.start_day and self.enrolled[k] is None:
                self.enrolled[k] = enrol(people, ties, iv, self.scenario, pkey)
                self._start(k, iv, people, ties)
            if self.enrolled[k] is None:
                continue
            end = iv.start_day + iv.duration_days
            if iv.kind == "social_cognition":
                self._reappraise(k, iv, day, people)
            if day == end and iv.kind == "group_activity":
                self._end_groups(k, iv, people, ties, pkey)
            if not iv.start_day <= day < end:
                continue
            mask = self.enrolled[k] & people.alive
            if iv.kind == "smile_campaign":
                add("smile_log_odds", mask, float(np.log(max(iv.smile_odds_multiplier, 1e-9))))
            elif iv.kind == "kindness_campaign":
                add("extra_kind_rate", mask, iv.kind_acts_per_day)
            elif iv.kind == "big_joy":
                add("extra_kind_rate", mask, iv.kind_acts_per_day)
                add("self_mood_gain", mask, iv.self_act_mood_gain)
            elif iv.kind in ("befriending", "phone_calls"):
                if iv.kind == "befriending":
                    visits, closeness = iv.visits_per_week / 7.0, iv.visit_closeness
                else:
                    visits, closeness = call_schedule(day - iv.start_day, iv) * iv.call_value, 1.0
                add("visits", mask, visits)
                if close_visits.size == 0:
                    close_visits = np.zeros(n, np.float32)
                close_visits[mask] += np.float32(visits * closeness)
        if out.visits is not None:  # the contacts' mean closeness, whatever programmes they come from
            out.visit_closeness = np.divide(close_visits, out.visits, out=np.zeros(n, np.float32), where=out.visits > 0)
        return out

    def enrolled_mask(self, index: int) -> np.ndarray | None:
        """Who programme ``index`` enrolled (None before its start day)."""
        return self.enrolled[index]

    # -- lasting changes ----------------------------------------------------------------------------
    def _start(self, k: int, iv: InterventionConfig, people: People, ties: Ties) -> None:
        """Start-day changes: group ties and membership; the values a CBT programme starts from."""
        mask = self.enrolled[k]
        st = self._state[k]
        if iv.kind == "social_cognition":
            st["ids"] = np.flatnonzero(mask)
            st["factor"] = np.float32(1.0)
        elif iv.kind == "group_activity":
            st["was_member"] = people.group_member[mask].copy()
            people.group_member[mask] = True
            us, vs = [], []
            for g in programme_groups(mask, iv.group_size):
                a, b = np.triu_indices(g.size, 1)
                us.append(g[a])
                vs.append(g[b])
            u = np.concatenate(us).astype(np.int32) if us else np.zeros(0, np.int32)
            v = np.concatenate(vs).astype(np.int32) if vs else np.zeros(0, np.int32)
            slot = ties.lookup(u, v)
            new = slot < 0
            new[~new] = ties.status[slot[~new]] == TIE_GONE  # a tie already there (a friend) stays what it is
            st["u"], st["v"] = u[new], v[new]
            ties.add(st["u"], st["v"], iv.group_tie_closeness, ACQUAINTANCE)

    def _end_groups(self, k: int, iv: InterventionConfig, people: People, ties: Ties, key: np.uint64) -> None:
        """The last day of a group programme: membership returns to what it was; a share of the group's
        ties outlasts it (pair j kept if its number j of the stream is below ``ties_kept_share``)."""
        st = self._state[k]
        mask = self.enrolled[k]
        people.group_member[mask] = st["was_member"]
        u, v = st["u"], st["v"]
        ended = uniforms(phase_key(key, KEEP_TIES, 0), 0, u.size) >= iv.ties_kept_share
        slot = ties.lookup(u[ended], v[ended])
        slot = slot[slot >= 0]
        slot = slot[(ties.status[slot] == TIE_ACTIVE) & (ties.kind[slot] == ACQUAINTANCE)]
        ties.remove(slot)

    def _reappraise(self, k: int, iv: InterventionConfig, day: int, people: People) -> None:
        """A CBT programme's enrolled: vigilance and desired connection lowered linearly over the programme,
        then relapsing with the half-life."""
        st = self._state[k]
        done = min(max(day - iv.start_day + 1, 0), iv.duration_days) / iv.duration_days
        after = max(day - (iv.start_day + iv.duration_days - 1), 0)
        factor = np.float32(1.0 - iv.reappraisal * done * 0.5 ** (after / iv.relapse_half_life_days))
        # multiplicative on today's values (the change since yesterday's factor), so desire keeps drifting under it
        # (sim.dynamics.desire) and the programme's effect composes with it
        ratio = factor / st.get("factor", np.float32(1.0))
        people.vigilance[st["ids"]] *= ratio
        people.desired[st["ids"]] *= ratio
        st["factor"] = factor


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
