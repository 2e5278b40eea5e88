"""Schema sections for what happens to the town from outside: isolation ``shocks:`` and ``interventions:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.config.base import Strict, probability, rate


class ShockConfig(Strict):
    """Isolation level (c): a period in which ties are cut or meetings restricted (lockdown, move)."""

    start_day: int = Field(..., ge=0, description="First day of the shock (0-based).")
    duration_days: int = Field(..., gt=0, description="Length in days; suspended ties come back afterwards.")
    tie_removal_fraction: float = probability(0.0, "Share of ties suspended for the period.")
    contact_multiplier: float = rate(1.0, "Multiplier on every tie's contact rate during the period.")


class InterventionConfig(Strict):
    """A programme acting on enrolled people for a period (sim/interventions.py)."""

    kind: Literal["smile_campaign", "big_joy", "befriending", "kindness_campaign"] = Field(
        ..., description="Programme type (docs/model.md: interventions)."
    )
    start_day: int = Field(0, ge=0, description="First day, 0-based.")
    duration_days: int = Field(7, gt=0, description="Length in days.")
    coverage: float = probability(0.1, "Share of living people enrolled at start_day.")
    targeting: Literal["random", "loneliest", "most_central"] = Field("random", description="Who is enrolled.")
    smile_odds_multiplier: float = rate(2.0, "smile_campaign: odds multiplier on smiling for the enrolled.")
    kind_acts_per_day: float = rate(
        1.0, "big_joy / kindness_campaign: extra kind acts per enrolled person per day (Big Joy: daily micro-acts)."
    )
    self_act_mood_gain: float = rate(
        0.04,
        "big_joy: daily mood gain from self-directed micro-acts (gratitude, awe, reframing), before "
        "diminishing returns. Calibrated to Big Joy d_z (experiments/big_joy.yaml).",
    )
    visits_per_week: float = rate(2.0, "befriending: volunteer contacts per enrolled person per week.")
    visit_closeness: float = Field(
        0.5, ge=0, le=1, description="befriending: closeness (0–1) of a volunteer contact, for close connection. Assumption."
    )

