"""Schema section ``life_events:``: what makes loneliness come and go within a person over the years.

Three mechanisms besides retirement and widowhood (docs/model.md, "Change within a person"):

* ``adversity`` — transient episodes of strain (money trouble, caregiving, conflict, a move) that widen the
  felt gap for a few months while the network stays as it was (LASA: scores change even when network and
  health do not);
* ``illness`` — episodes of illness that limit going out: every tie of the ill person meets less;
* ``grief`` — a tie lost to death leaves grief that adds to loneliness and fades over a year or two
  (Niino et al. 2024: loneliness peaks right after a partner's death; Utz et al. 2014: it declines over the
  first 1.5 years), while kin and friends step in with more contact (Freak-Poli et al. 2022).

The slow change of what a person wants is ``population.desire_change_years``.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.config.base import Strict, assumption
from sim.config.curves import AgeCurve


class AdversityConfig(Strict):
    """Transient adversity: episodes that widen the gap between wanted and felt connection for a while."""

    onset_per_year: float = assumption(
        0.12, "Rate at which an episode of adversity starts, per person per year (outside an episode). Calibrated "
        "with duration_days and loneliness_weight, by hand against the panel study (experiments/panel.yaml; "
        "docs/validation.md, study 9), to the panel figures: a year's "
        "persistence of loneliness well below the next-day retest, onsets and recoveries (LASA; Surkalim et al. "
        "2023: episodic 15.5–20.1%, sustained 3.6–4.6% of HRS 50+).",
        low=0.04, high=0.3, log=True, ge=0, le=5,
    )
    duration_days: float = assumption(
        240.0, "Mean length of an episode, days (exponential). Calibrated with onset_per_year.",
        low=90.0, high=540.0, log=True, gt=0, le=3650,
    )
    loneliness_weight: float = assumption(
        0.3, "Added to the loneliness target (0–1 scale) during an episode. Calibrated with onset_per_year.",
        low=0.1, high=0.5, ge=0, le=1,
    )


class IllnessConfig(Strict):
    """Illness that limits going out: during an episode every tie of the ill person meets less."""

    onset_per_year: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 50, 65, 80, 90], values=[0.02, 0.04, 0.07, 0.12, 0.18]),
        description="Rate at which an episode of activity-limiting illness starts, per person per year, by age. "
        "Assumption, rising with age as functional limitation does (Luhmann & Hawkley 2016: functional limitation "
        "explains part of the late-life rise of loneliness).",
    )
    duration_days: float = assumption(
        120.0, "Mean length of an illness episode, days (exponential). Assumption.",
        low=30.0, high=365.0, log=True, gt=0, le=3650,
    )
    contact_factor: float = assumption(
        0.5, "Multiplier on the meeting rate of every tie of a person who is ill (1 = no effect). Assumption.",
        low=0.25, high=0.9, ge=0, le=1,
    )

    @model_validator(mode="after")
    def _rates(self) -> IllnessConfig:
        if any(v < 0 or v > 5 for v in self.onset_per_year.values):
            raise ValueError("onset_per_year.values must lie in [0, 5] (per year)")
        return self


class GriefConfig(Strict):
    """Grief after a death: it adds to loneliness and fades; kin and friends step in meanwhile."""

    partner_loss: float = assumption(
        0.7, "Grief (added to the loneliness target, 0–1 scale) on the death of a partner, per unit of the tie's "
        "closeness. Set by hand against the panel study (experiments/panel.yaml) to a peak of loneliness in the first "
        "months after the "
        "death, declining over the first 1.5 years (Niino et al. 2024; Utz et al. 2014).",
        low=0.2, high=0.8, ge=0, le=1,
    )
    other_loss: float = assumption(
        0.1, "Grief per unit of closeness on the death of any other tie (kin, a friend). Assumption.",
        low=0.0, high=0.3, ge=0, le=1,
    )
    fade_days: float = assumption(
        180.0, "e-folding time, days, of grief (Utz et al. 2014: loneliness declines over the first 1.5 years of "
        "bereavement; after 18 months about 5% of the first grief remains). Assumption for the exact value.",
        low=90.0, high=365.0, log=True, gt=0, le=3650,
    )
    support_per_grief: float = assumption(
        2.0, "Extra meeting rate of the bereaved's ties per unit of grief (1 + this x grief): family and friends not "
        "living with the bereaved step in (Freak-Poli et al. 2022, HILDA: contact rises after widowhood). "
        "Assumption for the size.",
        low=0.0, high=3.0, ge=0, le=20,
    )
    adaptation: float = assumption(
        0.5, "Lasting adaptation to the loss of a partner: over adaptation_days the widowed's desired connection "
        "falls by this much on the log scale (exp(-0.5) = 0.61), as people adjust what they expect of their social "
        "lives (Lucas et al. 2003: adaptation to widowhood, slow and incomplete). Calibrated (experiments/"
        "panel.yaml, by hand) with partner_loss to a decline of loneliness over the first 1.5 years (Utz et al. 2014) "
        "and the widowed's odds ratio at 65+ (ONS 2016-17).",
        low=0.0, high=0.6, ge=0, le=3,
    )
    adaptation_days: float = assumption(
        365.0, "e-folding time, days, of the adaptation to a partner's loss. Assumption.",
        low=180.0, high=1095.0, log=True, gt=0, le=36500,
    )
    widowed_years_mean: float = Field(
        8.0, gt=0, le=60,
        description="Mean years since the partner's death of the people widowed at day 0 (exponential, at most the "
        "years since 40): sets their grief at day 0, so they come from the same process as people widowed during "
        "a run. Assumption (US median duration of widowhood is about a decade).",
    )


class LifeEventsConfig(Strict):
    """Life events besides retirement (``population.work``) and widowhood (``mortality.simulate_deaths``)."""

    enabled: bool = Field(True, description="Adversity, illness and grief act (false: the v0.2 model's fixed course).")
    adversity: AdversityConfig = Field(default_factory=AdversityConfig)
    illness: IllnessConfig = Field(default_factory=IllnessConfig)
    grief: GriefConfig = Field(default_factory=GriefConfig)
