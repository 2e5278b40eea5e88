"""The instruments the anchor studies used, applied to the model's people (``survey:`` in the YAML).

* **UCLA-3** (Hughes et al. 2004): three items — how often do you lack companionship, feel left out,
  feel isolated — each answered 1 hardly ever, 2 some of the time, 3 often; total 3–9, lonely at ≥ 6.
  A person's answer to an item is their latent loneliness L (0–1) plus item error N(0, σ), read
  against two thresholds (``low_threshold``, ``high_threshold``). The *true score* is the expected
  total given L: 3 + 3[Φ((L − t₁)/σ) + Φ((L − t₂)/σ)]; the ``lonely`` flag that drives the hazard is
  true score ≥ cut-off, i.e. L ≥ :func:`ucla3_latent_cutoff`. A survey draws the item errors.
* **Isolation index** after Steptoe et al. 2013 (ELSA): one point each for no partner, less than
  monthly contact with family, less than monthly contact with friends, no group participation
  (0–4, isolated at ≥ 2, severely at ≥ 3). Contact is what a respondent would report as usual: the
  recent meetings (``contact_window_days`` moving average) times 30 days, below 1 = less than monthly.
  A survey answers each item wrongly with probability ``misreport_probability``.
* **Positive affect** on a 1–5 scale: 3 + 2 × clip(mood + day noise, −1, 1), the day noise N(0, s)
  giving about half of the daily variance within persons (Merz & Roesch 2011: ICC ≈ 0.5).

Survey answers use counter-based random numbers (:mod:`sim.streams`): person i's errors on a day
are numbers of that day's survey streams named after i (normal deviates 4i..4i+3 of one stream,
uniforms 4i..4i+3 of another), so a survey does not disturb anything else.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numba
import numpy as np

from sim._core import pjit
from sim.config import Scenario, SurveyConfig
from sim.state import People
from sim.streams import normal, phase_key, uniform

MONTH_DAYS = 30.0  # "less than monthly": fewer than one contact in this many days


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def ucla3_true_score(latent: float, cfg: SurveyConfig) -> float:
    """Expected UCLA-3 total (3–9) at latent loneliness ``latent`` (0–1)."""
    u = cfg.ucla3
    return 3.0 + 3.0 * (_phi((latent - u.low_threshold) / u.item_sd) + _phi((latent - u.high_threshold) / u.item_sd))


def ucla3_latent_cutoff(cfg: SurveyConfig) -> float:
    """The latent loneliness (0–1) whose expected UCLA-3 score is the lonely cut-off (bisection)."""
    u = cfg.ucla3
    return _latent_cutoff(u.item_sd, u.low_threshold, u.high_threshold, u.lonely_cutoff)


@functools.lru_cache(maxsize=64)
def _latent_cutoff(item_sd: float, low: float, high: float, cutoff: int) -> float:
    lo, hi = -1.0, 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        score = 3.0 + 3.0 * (_phi((mid - low) / item_sd) + _phi((mid - high) / item_sd))
        if score < cutoff:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def classify(people: People, scenario: Scenario) -> None:
    """Refresh the flags that drive the hazards from the instruments' true scores: ``lonely`` (UCLA-3),
    ``isolation_index`` and ``isolated`` (both false, and the index 0, for the dead)."""
    s = scenario.survey
    _classify(people.lonely, people.isolated, people.isolation_index, people.alive, people.loneliness,
              np.float32(ucla3_latent_cutoff(s)), people.partner, people.contact_family, people.contact_friend,
              people.group_member, np.float32(1.0 / MONTH_DAYS), s.isolation_index.isolated_cutoff)


@pjit
def _classify(lonely, isolated, index, alive, loneliness, latent_cut, partner, contact_family, contact_friend,
              group_member, monthly, isolated_cut):
    for i in numba.prange(alive.size):
        if not alive[i]:
            lonely[i] = isolated[i] = False
            index[i] = 0
            continue
        lonely[i] = loneliness[i] >= latent_cut
        k = (partner[i] < 0) + (contact_family[i] < monthly) + (contact_friend[i] < monthly) + (not group_member[i])
        index[i] = k
        isolated[i] = k >= isolated_cut


@dataclass
class SurveyAnswers:
    """One survey of everyone alive: per person, UCLA-3 total and highest item, isolation index, positive affect.

    The dead have UCLA-3 0, index -1 and affect NaN."""

    ucla3: np.ndarray          # int8, 3..9
    ucla3_max_item: np.ndarray  # int8, 1..3 (the lenient rule: lonely at least 'some of the time' on any item)
    isolation_index: np.ndarray  # int8, 0..4
    positive_affect: np.ndarray  # float32, 1..5

    def lonely(self, cutoff: int) -> np.ndarray:
        """UCLA-3 total at or above ``cutoff``."""
        return self.ucla3 >= cutoff

    def isolated(self, cutoff: int) -> np.ndarray:
        """Isolation index at or above ``cutoff``."""
        return self.isolation_index >= cutoff


def take_survey(people: People, scenario: Scenario, key) -> SurveyAnswers:
    """Everyone alive answers the instruments today, with measurement error (stream ``key``)."""
    s = scenario.survey
    u, iso, aff = s.ucla3, s.isolation_index, s.affect
    key = np.uint64(key)
    ucla, top, index, affect = _survey(phase_key(key, 0, 0), phase_key(key, 0, 1), people.alive, people.loneliness,
                                       people.mood, people.partner,
                                       people.contact_family, people.contact_friend, people.group_member,
                                       u.item_sd, u.low_threshold, u.high_threshold, iso.misreport_probability,
                                       1.0 / MONTH_DAYS, aff.day_noise_sd)
    return SurveyAnswers(ucla, top, index, affect)


@pjit
def _survey(key_normal, key_flip, alive, loneliness, mood, partner, contact_family, contact_friend, group_member,
            item_sd, t1, t2, misreport, monthly, noise_sd):
    """Person i: normal deviates 4i..4i+2 (item errors) and 4i+3 (affect noise), uniforms 4i..4i+3 (item flips)."""
    n = alive.size
    ucla = np.zeros(n, np.int8)
    top = np.zeros(n, np.int8)
    index = np.full(n, -1, np.int8)
    affect = np.full(n, np.nan, np.float32)
    for i in numba.prange(n):
        if not alive[i]:
            continue
        c = 4 * np.int64(i)
        total = 0
        best = 1
        for k in range(3):
            y = loneliness[i] + item_sd * normal(key_normal, c + k)
            item = 1 + (y >= t1) + (y >= t2)
            total += item
            best = max(best, item)
        ucla[i] = total
        top[i] = best
        items = ((partner[i] < 0), (contact_family[i] < monthly), (contact_friend[i] < monthly), (not group_member[i]))
        k = 0
        for j in range(4):
            answer = items[j]
            if uniform(key_flip, c + j) < misreport:
                answer = not answer
            k += answer
        index[i] = k
        x = min(max(mood[i] + noise_sd * normal(key_normal, c + 3), -1.0), 1.0)
        affect[i] = 3.0 + 2.0 * x
    return ucla, top, index, affect


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of a (people x items) score matrix."""
    k = items.shape[1]
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1)))


def ucla3_items(loneliness: np.ndarray, cfg: SurveyConfig, rng: np.random.Generator) -> np.ndarray:
    """Item answers (people x 3, values 1–3) for latent loneliness values: the calibration of ``item_sd``
    to Cronbach's alpha uses these (the survey itself draws from counter-based streams)."""
    y = loneliness[:, None] + cfg.ucla3.item_sd * rng.standard_normal((loneliness.size, 3))
    return 1 + (y >= cfg.ucla3.low_threshold).astype(int) + (y >= cfg.ucla3.high_threshold).astype(int)
