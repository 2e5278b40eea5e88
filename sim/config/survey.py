"""Schema section ``survey:``: the instruments people are measured with, as in the cohort studies.

The ``lonely`` and ``isolated`` flags that drive the hazards come from these instruments' true scores
(their expected value given a person's state); a survey taken on a day (``output.survey_days``, the
validation studies, the programme trials) adds the instruments' measurement error.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.config.base import Strict, assumption


class Ucla3Config(Strict):
    """UCLA-3 loneliness scale (Hughes et al. 2004): three items (lack companionship, feel left out, feel
    isolated), each 1 hardly ever / 2 some of the time / 3 often; total 3–9."""

    item_sd: float = Field(
        0.327, gt=0, le=2,
        description="Measurement error of one item on the 0–1 loneliness scale (SD of the item's latent response). "
        "Calibrated jointly (experiments/calibrate.py, step population) so Cronbach's alpha in the baseline "
        "town is 0.72 (Hughes et al. "
        "2004, via secondary sources [S]).",
    )
    low_threshold: float = Field(
        0.595, ge=0, le=1, description="Latent loneliness (0–1) above which an item is answered 'some of the time'. "
        "Calibrated jointly (experiments/calibrate.py, step population) to 43% at 60+ answering 'some of the time' "
        "or more on any item (Perissinotto et al. 2012)."
    )
    high_threshold: float = Field(
        0.752, ge=0, le=1, description="Latent loneliness (0–1) above which an item is answered 'often'. Calibrated "
        "jointly (experiments/calibrate.py, step population) with the prevalence of a score of 6 or more."
    )
    lonely_cutoff: int = Field(
        6, ge=3, le=9, description="Score at or above which a person counts as lonely (the common cut-off 6, Hughes 2004)."
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Ucla3Config:
        if self.high_threshold <= self.low_threshold:
            raise ValueError("high_threshold must be above low_threshold")
        return self


class IsolationIndexConfig(Strict):
    """Social-isolation index after the ELSA index of Steptoe et al. 2013: one point each for no partner
    (not married or cohabiting), less-than-monthly contact with family, less-than-monthly contact with
    friends, and no group participation (0–4; ELSA's separate children and other-family items are one
    item here, as the model has one kind of kin tie)."""

    isolated_cutoff: int = Field(2, ge=1, le=4, description="Score at or above which a person counts as isolated.")
    severe_cutoff: int = Field(3, ge=1, le=4, description="Score at or above which a person counts as severely isolated.")
    contact_window_days: float = Field(
        90.0, gt=0,
        description="e-folding time, days, of the recent contact a respondent reports (how often they 'usually' meet).",
    )
    misreport_probability: float = assumption(
        0.05, "Probability that a survey answer to one item is the wrong one. Assumption.",
        low=0.0, high=0.1, ge=0, le=1,
    )

    @model_validator(mode="after")
    def _cutoffs_ordered(self) -> IsolationIndexConfig:
        if self.severe_cutoff < self.isolated_cutoff:
            raise ValueError("severe_cutoff must be at least isolated_cutoff")
        return self


class AffectConfig(Strict):
    """Positive affect as a diary measures it: today's mood plus day-to-day noise, on a 1–5 scale."""

    day_noise_sd: float = Field(
        0.238, ge=0, le=2,
        description="SD of the day-to-day noise added to mood (−1..1 scale). Calibrated so about half the variance of "
        "daily positive affect is within persons (ICC ≈ 0.5, Merz & Roesch 2011) [C].",
    )


class SurveyConfig(Strict):
    """The instruments: UCLA-3 loneliness, the isolation index and daily positive affect."""

    ucla3: Ucla3Config = Field(default_factory=Ucla3Config)
    isolation_index: IsolationIndexConfig = Field(default_factory=IsolationIndexConfig)
    affect: AffectConfig = Field(default_factory=AffectConfig)
