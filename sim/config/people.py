"""Schema section ``population:``: who lives in the town — ages, sex, partners, households, work,
groups — and the traits that shape how much connection each person wants.

Every age-specific share is an age curve whose knots come from a published table (quoted in the
field's description); ``docs/model.md`` shows how the drawn population compares with them."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config.base import Strict, assumption, probability
from sim.config.curves import AgeCurve, SexAgeCurve, probability_values


# --------------------------------------------------------------------------- population
class PartnersConfig(Strict):
    """Partners (married or cohabiting): who has one at day 0, and how old partners are."""

    share: SexAgeCurve = Field(
        default_factory=lambda: SexAgeCurve(
            ages=[18, 25, 30, 40, 50, 60, 70, 80, 90],
            female=[0.10, 0.40, 0.60, 0.70, 0.70, 0.64, 0.55, 0.33, 0.12],
            male=[0.05, 0.28, 0.51, 0.70, 0.73, 0.74, 0.75, 0.67, 0.50],
        ),
        description="Share living with a partner (married or cohabiting) by age and sex. Pew Research 2025 "
        "(ACS 2023): unpartnered 86% at 18-24, 42% at 25-39, 29% at 40-54, 32% at 55-64 [S]; US Census 2024 "
        "(CPS 2022): at 25-34 women 43% / men 34% with a spouse plus ~17% with a partner, at 75+ men 67% / "
        "women 35% with a spouse [C]; Older Americans 2016: married at 85+ women 17%, men ~60% [S].",
    )
    age_gap_sd: float = assumption(
        3.0, "Noise (SD, years) on the ages partners are paired by (rank of age within each sex and region). "
        "The mean age gap is not a parameter: it follows from who is partnered at each age and sex (the shares "
        "above; men partner later and are widowed less). Assumption.",
        low=1.0, high=6.0, ge=0, le=20,
    )
    widowed_share: SexAgeCurve = Field(
        default_factory=lambda: SexAgeCurve(
            ages=[40, 50, 60, 70, 80, 90],
            female=[0.01, 0.04, 0.10, 0.22, 0.50, 0.75],
            male=[0.0, 0.01, 0.03, 0.08, 0.20, 0.40],
        ),
        description="Share widowed by age and sex (among everyone; only people without a partner are drawn "
        "as widowed). US Census P70-167 (ACS 2016): at 75+, 54% of women and 20% of men currently widowed "
        "[S]; other ages interpolated (assumption).",
    )

    @model_validator(mode="after")
    def _probabilities(self) -> PartnersConfig:
        for name in ("female", "male"):
            probability_values(getattr(self.share, name), f"share.{name}")
            probability_values(getattr(self.widowed_share, name), f"widowed_share.{name}")
        return self


class HouseholdsConfig(Strict):
    """Who lives with family (besides a partner); the rest of those without a partner live alone."""

    with_family: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 25, 35, 55, 65, 80], values=[0.70, 0.35, 0.20, 0.20, 0.36, 0.34]),
        description="Share of people without a partner who live with family, by age. US Census 2024 (CPS "
        "2022): most 18-24-year-olds live in the parental home; living alone: women 65-74 27%, 75+ 43% [C], "
        "which with the partnered shares gives ~35% of unpartnered older women living with family [D]; "
        "ages 35-55 assumption.",
    )

    @model_validator(mode="after")
    def _probabilities(self) -> HouseholdsConfig:
        probability_values(self.with_family.values, "with_family.values")
        return self


class WorkConfig(Strict):
    """Who works: employment before retirement, and the age at which each person retires."""

    employed: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 19.5, 22, 25, 55], values=[0.43, 0.43, 0.663, 0.807, 0.807]),
        description="Share employed, by age, among people who have not retired. BLS CPS 2024 "
        "employment-population ratios: 18-19 43.0%, 20-24 66.3%, 25-54 80.7% [C]; at 55-64 the model "
        "gives ~65% with the retirement ages below (BLS: 64.1% [C]).",
    )
    retirement_age_female: float = Field(
        62.1, ge=40, le=90,
        description="Mean retirement age of women, years. Center for Retirement Research 2022 (2021: 62.1) [S]."
    )
    retirement_age_male: float = Field(
        64.7, ge=40, le=90,
        description="Mean retirement age of men, years. Center for Retirement Research 2022 (2021: 64.7) [S]."
    )
    retirement_age_sd: float = assumption(
        4.0, "Spread (SD) of retirement ages, years. Assumption.",
        low=2.0, high=6.0, ge=0, le=20,
    )

    @model_validator(mode="after")
    def _probabilities(self) -> WorkConfig:
        probability_values(self.employed.values, "employed.values")
        return self


class GroupsConfig(Strict):
    """Participation in groups: clubs, religious services, volunteering, civic organisations."""

    membership: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 45, 65, 90], values=[0.5, 0.5, 0.873, 0.873]),
        description="Share taking part in a group (clubs, religious services, volunteering, organisations) at least "
        "monthly, by age. ELSA wave 5 (52+): 'almost half were detached from civic participation and leisure "
        "activities' (Jivraj, Nazroo & Barnes 2012) [C]; the 65+ level calibrated (experiments/calibrate.py) to "
        "24% isolated at 65+ (Cudjoe et al. 2020); younger ages: assumption.",
    )

    @model_validator(mode="after")
    def _probabilities(self) -> GroupsConfig:
        probability_values(self.membership.values, "membership.values")
        return self


class PopulationConfig(Strict):
    """Who lives in the town: size, ages, sex, partners, households, work, groups, and what each person wants."""

    size: int = Field(10_000, gt=0, le=50_000_000, description="Number of people (adults).")
    age_min: float = Field(18.0, ge=0, le=110, description="Youngest age at day 0, years.")
    age_max: float = Field(90.0, ge=0, le=110, description="Oldest age at day 0, years.")
    age_distribution: Literal["us_adult_2020", "uniform"] = Field(
        "us_adult_2020",
        description="Age structure at day 0. us_adult_2020: US Census 2020 adult shares by decade "
        "(docs/science.md §4, [S]); uniform: flat between age_min and age_max.",
    )
    female_fraction: float = probability(0.51, "Share of women (US Census 2020, [S]).")
    desired_contacts_median: float = Field(
        1.700,
        gt=0,
        description="Median desired connection per day, in contact-equivalents per day (a contact, or "
        "a bundle of smiles/kind acts worth one), at age 45. Calibrated jointly (experiments/calibrate.py, "
        "step population) with the other population parameters to adult "
        "loneliness 20% (16–24%: WHO 2025, Harvard MCC 2024), 19% at 65+ "
        "(Barnes 2021, Kotwal 2021) and the isolation-loneliness overlap (docs/validation.md).",
    )
    desired_contacts_sigma: float = assumption(
        0.6, "Log-normal spread (sigma of log) of desired connection across people. Assumption.",
        low=0.3, high=0.9, ge=0,
    )
    desire_by_age: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 30, 45, 65, 80, 90],
                                         values=[0.943, 1.316, 1.0, 1.055, 0.58, 0.58]),
        description="Multiplier on desired connection by age (1 at 45; 80 and over share one value): young adults "
        "expect more connection than they have (Luhmann & Hawkley 2016: loneliness elevated in young adulthood), "
        "and the oldest lose ties they once had. Calibrated jointly (experiments/calibrate.py, step population) "
        "to the age U-shape (18-29 and 75+ above 45-64) and the prevalences by age.",
    )
    desire_stable_share: float = assumption(
        0.5, "Share of the variance of log desired connection (across people) that lasts a lifetime; the rest changes "
        "over the years (desire_change_years). Partnering and group membership select on the lasting part. "
        "Assumption, set by hand with desire_change_years against the panel study (experiments/panel.yaml).",
        low=0.2, high=0.9, ge=0, le=1,
    )
    desire_change_years: float = assumption(
        5.0, "Time scale, years, over which the changing part of desired connection renews itself (an "
        "Ornstein-Uhlenbeck process on its log, stationary at the day-0 spread): what people want of their social "
        "lives drifts as they age and their circumstances change, so loneliness is trait-like in rank order but not "
        "fixed (Mund et al. 2020: as stable as personality traits, not more). 0 keeps it fixed. Calibrated with "
        "life_events.adversity, by hand against the panel study (experiments/panel.yaml), to the 1-year stability "
        "of the true UCLA score, "
        "0.78-0.82 (Russell 1996).",
        low=2.0, high=30.0, log=True, ge=0, le=1000,
    )
    sociability_sigma: float = assumption(
        0.5, "Log-normal spread (sigma of log) of sociability, which scales how many friend "
        "circles a person joins. Assumption.",
        low=0.25, high=0.75, ge=0, le=3,
    )
    desire_sociability_correlation: float = Field(
        0.061, ge=-1, le=1,
        description="Correlation of the log of desired connection with the log of sociability: people partly build "
        "the networks they want, so a small network often goes with a small desire (Mund et al. 2020: "
        "loneliness is trait-like; Hughes et al. 2004: isolation and loneliness correlate only modestly). "
        "Calibrated jointly (experiments/calibrate.py, step population) to the isolation-loneliness overlap of "
        "Barnes et al. 2021 and Kotwal et al. 2021: near 0, so the size of a network says little about desire.",
    )
    selection_correlation: float = Field(
        0.709, ge=0, lt=1,
        description="Correlation of the latent propensity to live with a partner and to join a group with the "
        "log of desired connection (a Gaussian copula: the shares by age stay as configured). Calibrated "
        "jointly (experiments/calibrate.py, step population) with the isolation-loneliness overlap.",
    )
    vigilance_sigma: float = Field(
        1.041, ge=0, le=3, description="Log-normal spread (sigma of log) across people of social-threat vigilance, the "
        "weight of negative mood in loneliness (median: loneliness.mood_bias). Calibrated jointly "
        "(experiments/calibrate.py, step population) with the overlap."
    )
    partners: PartnersConfig = Field(default_factory=PartnersConfig)
    households: HouseholdsConfig = Field(default_factory=HouseholdsConfig)
    work: WorkConfig = Field(default_factory=WorkConfig)
    groups: GroupsConfig = Field(default_factory=GroupsConfig)

    @model_validator(mode="after")
    def _ages_ordered(self) -> PopulationConfig:
        if self.age_max < self.age_min:
            raise ValueError("age_max must be >= age_min")
        return self
