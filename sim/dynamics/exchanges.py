"""What a day's exchanges give each person: the inputs of mood (step 4b) and loneliness (step 5).

One pass over people after the meetings (steps 1–2), kind acts (step 3) and programme contacts (step 0):

    mood gain        = g_sg·smiles given + g_sr·smiles received + g_kg·kind acts given + g_kr·kind acts received
                       + self-directed micro-acts (programmes)
    received         = felt meetings (each weighted by its kind's connection weight) + v_s·smiles received
                       + v_k·kind acts received + programme contacts          (contact-equivalents per day)
    received close   = closeness-weighted felt meetings + programme contacts x their closeness
    meetings         = meetings + programme contacts                          (reported contact, per day)

with the gains of ``smiles.*_mood_gain`` and ``kindness.*_mood_gain`` and the values ``smiles.connection_value``
and ``kindness.connection_value``; it also adds the day's acts to each person's running totals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from sim._core import pjit
from sim.config import Scenario
from sim.state import People


@dataclass
class DayTotals:
    """Per person, today (float32 arrays)."""

    mood_gain: np.ndarray       # mood gain before diminishing returns (dynamics.mood)
    received: np.ndarray        # received connection, contact-equivalents per day (dynamics.loneliness)
    received_close: np.ndarray  # closeness-weighted received connection, per day
    meetings: np.ndarray        # meetings, programme contacts included (reported contact)
    smiles: np.ndarray          # smiles given + received (dynamics.health's buffer)


def exchange_totals(people: People, scenario: Scenario, mt, kind, prog) -> DayTotals:
    """The day's totals from the meetings ``mt`` (:class:`sim.dynamics.meetings.Meetings`), kind acts ``kind``
    (:class:`sim.dynamics.kindness.KindActs`) and programme effects ``prog`` (or None)."""
    sc = scenario
    out = _day_totals(
        mt.per_person, mt.felt, mt.closeness, mt.smiles_given, mt.smiles_received, kind.given, kind.received,
        _or_empty(prog.self_mood_gain if prog else None), _or_empty(prog.visits if prog else None),
        _or_empty(prog.visit_closeness if prog else None),
        sc.smiles.giver_mood_gain, sc.smiles.receiver_mood_gain, sc.kindness.giver_mood_gain,
        sc.kindness.receiver_mood_gain, sc.smiles.connection_value, sc.kindness.connection_value,
        people.smiles_given, people.kind_given)
    return DayTotals(*out)


def _or_empty(arr: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, np.float32) if arr is None else arr


@pjit
def _day_totals(meetings_today, felt_today, close_today, smiles_given, smiles_received, kind_given, kind_received, self_gain,
                visits, visit_closeness, gain_smile_give, gain_smile_receive, gain_kind_give, gain_kind_receive,
                value_smile, value_kind, total_smiles_given, total_kind_given):
    """Per person: mood gain (before diminishing returns), received connection (amount — meetings weighted by
    their kind's connection weight — and closeness-weighted, contact-equivalents per day) and meetings
    (programme visits count as contact), smiles given + received;
    and the running totals of acts given."""
    n = meetings_today.size
    gain = np.empty(n, np.float32)
    received = np.empty(n, np.float32)
    received_close = np.empty(n, np.float32)
    meetings = np.empty(n, np.float32)
    smiles_today = np.empty(n, np.float32)
    for i in numba.prange(n):
        g = (gain_smile_give * smiles_given[i] + gain_smile_receive * smiles_received[i]
             + gain_kind_give * kind_given[i] + gain_kind_receive * kind_received[i])
        r = felt_today[i] + value_smile * smiles_received[i] + value_kind * kind_received[i]
        c = close_today[i]
        m = float(meetings_today[i])
        if self_gain.size:
            g += self_gain[i]
        if visits.size:
            r += visits[i]
            c += visits[i] * visit_closeness[i]
            m += visits[i]
        gain[i], received[i], received_close[i], meetings[i] = g, r, c, m
        smiles_today[i] = smiles_given[i] + smiles_received[i]
        total_smiles_given[i] += smiles_given[i]
        total_kind_given[i] += kind_given[i]
    return gain, received, received_close, meetings, smiles_today
