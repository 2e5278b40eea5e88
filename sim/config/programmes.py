"""Schema sections for what happens to the town from outside: isolation ``shocks:``, ``interventions:``
(programmes) and the ``comparison:`` block of ``lonesim compare`` (programme arms against a control town).

Programme sizes marked *calibrated* are set by ``experiments/calibrate_programmes.py`` so that the
simulated trial of each programme finds the published effect (docs/programmes.md).
"""

import typing
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, TypeAdapter, field_validator

from sim.config.base import Strict, probability, rate

#: Programme kinds (sim/interventions.py; docs/programmes.md).
PROGRAMME_KINDS = ("smile_campaign", "big_joy", "befriending", "kindness_campaign", "phone_calls", "group_activity",
                   "social_cognition")
#: Who a programme enrols (sim/targeting.py). ``most_central`` is the old name of ``most_connected``.
TARGETING_RULES = ("random", "loneliest", "most_isolated", "most_connected", "aged_65plus", "nominated_friends",
                   "most_central")

ProgrammeKind = Literal["smile_campaign", "big_joy", "befriending", "kindness_campaign", "phone_calls", "group_activity",
                        "social_cognition"]
Targeting = Literal["random", "loneliest", "most_isolated", "most_connected", "aged_65plus", "nominated_friends",
                    "most_central"]


class ShockConfig(Strict):
    """Isolation level (c): a period in which ties are cut or meetings restricted (lockdown, move)."""

    start_day: int = Field(..., ge=0, description="First day of the shock (0-based).")
    duration_days: int = Field(..., gt=0, description="Length in days; suspended ties come back afterwards.")
    tie_removal_fraction: float = probability(0.0, "Share of ties suspended for the period.")
    contact_multiplier: float = rate(1.0, "Multiplier on every tie's contact rate during the period.")


class ProgrammeBase(Strict):
    """What every programme has: its kind, when it runs and whom it enrols (sim/interventions.py,
    docs/programmes.md). Each kind is its own model below, with only its own fields: a field of another
    kind is refused as an unknown key."""

    kind: ProgrammeKind = Field(..., description="Programme type (docs/programmes.md).")
    start_day: int = Field(0, ge=0, description="First day, 0-based; people are enrolled on this day.")
    duration_days: int = Field(7, gt=0, description="Length in days.")
    coverage: float = probability(0.1, "Share of living people enrolled at start_day.")
    targeting: Targeting = Field(
        "random",
        description="Who is enrolled: random; loneliest by a screening UCLA-3 survey (with its measurement error, as "
        "services screen); most_isolated by a screening isolation-index survey; most_connected (most ties; "
        "most_central is the old name); aged_65plus (at random among people 65 and over); nominated_friends (a "
        "random person's random contact: Kim et al. 2015).",
    )


def _kind_acts(default: float = 1.0) -> Any:
    return rate(default, "big_joy / kindness_campaign: extra kind acts per enrolled person per day (Big Joy: daily "
                "micro-acts; at most 100 a day).", le=100)


class SmileCampaign(ProgrammeBase):
    """smile_campaign: the enrolled smile more (odds multiplier on smiling)."""

    kind: Literal["smile_campaign"] = Field(..., description="Programme type (docs/programmes.md).")
    smile_odds_multiplier: float = rate(2.0, "smile_campaign: odds multiplier on smiling for the enrolled (at most "
                                        "1,000).", le=1_000)


class BigJoy(ProgrammeBase):
    """big_joy: a week of daily micro-acts of kindness and self-directed acts (Big Joy project)."""

    kind: Literal["big_joy"] = Field(..., description="Programme type (docs/programmes.md).")
    kind_acts_per_day: float = _kind_acts()
    self_act_mood_gain: float = rate(
        0.069,
        "big_joy: daily mood gain from self-directed micro-acts (gratitude, awe, reframing), before "
        "diminishing returns. Calibrated (experiments/calibrate.py big_joy) to the enrolled's d_z of daily "
        "positive affect 0.365, between Curry et al. 2018 and Guevarra et al. 2025 (experiments/big_joy.yaml).",
    )


class KindnessCampaign(ProgrammeBase):
    """kindness_campaign: the enrolled do extra kind acts."""

    kind: Literal["kindness_campaign"] = Field(..., description="Programme type (docs/programmes.md).")
    kind_acts_per_day: float = _kind_acts()


class Befriending(ProgrammeBase):
    """befriending: volunteer visits to the enrolled."""

    kind: Literal["befriending"] = Field(..., description="Programme type (docs/programmes.md).")
    visits_per_week: float = rate(2.0, "befriending: volunteer contacts per enrolled person per week (at most 100).",
                                  le=100)
    visit_closeness: float = Field(
        0.5, ge=0, le=1, description="befriending: closeness (0–1) of a volunteer contact, for close connection. Assumption."
    )


class PhoneCalls(ProgrammeBase):
    """phone_calls: telephone befriending / empathy calls (Kahlon et al. 2021)."""

    kind: Literal["phone_calls"] = Field(..., description="Programme type (docs/programmes.md).")
    daily_call_days: int = Field(
        5, ge=0, description="phone_calls: days of daily calls at the start (Kahlon et al. 2021: daily for the first 5 days)."
    )
    calls_per_week: float = rate(
        2.0, "phone_calls: calls per week after the daily days (Kahlon et al. 2021: at least 2 a week, for 4 weeks; "
        "at most 100).", le=100,
    )
    call_value: float = rate(
        5.13,
        "phone_calls: connection one empathy-focused call gives, in contact-equivalents of received connection "
        "(all of it close: closeness 1), counted as that many contacts. Calibrated (experiments/calibrate_programmes.py) "
        "so the simulated trial finds Kahlon et al. 2021's UCLA-3 difference (-1.1 points at 4 weeks). At most 1,000.",
        le=1_000,
    )


class GroupActivity(ProgrammeBase):
    """group_activity: group-based programmes (Shekelle et al. 2024)."""

    kind: Literal["group_activity"] = Field(..., description="Programme type (docs/programmes.md).")
    group_size: int = Field(
        8, ge=2, description="group_activity: people per group (group-based loneliness programmes typically meet in "
        "groups of 6-12). Assumption.",
    )
    group_tie_closeness: float = Field(
        0.51, gt=0, le=1,
        description="group_activity: closeness (0–1) of the acquaintance ties members form with each other in their "
        "group. Calibrated (experiments/calibrate_programmes.py) so the simulated trial finds Shekelle et al. "
        "2024's SMD (-0.27).",
    )
    ties_kept_share: float = probability(
        0.5, "group_activity: share of the ties made in a group that outlast the programme (the rest end on its last "
        "day). Assumption."
    )


class SocialCognition(ProgrammeBase):
    """social_cognition: CBT-type programmes that address maladaptive social cognition (Masi et al. 2011)."""

    kind: Literal["social_cognition"] = Field(..., description="Programme type (docs/programmes.md).")
    reappraisal: float = probability(
        0.538,
        "social_cognition: share by which the programme lowers, by its last day (linearly over it), both the "
        "enrolled's social-threat vigilance (the weight of negative mood in loneliness) and the connection they "
        "need to feel connected (desired connection: the same contact reads as more, once social information is "
        "no longer read as rejection). Calibrated (experiments/calibrate_programmes.py) so the simulated trial "
        "finds Hickin et al. 2021's g (0.43).",
    )
    relapse_half_life_days: float = Field(
        730.0, gt=0,
        description="social_cognition: half-life, days, of the change returning to the old values after "
        "the programme (skills fade slowly; Lasgaard et al. 2022: effects at 1-6 months comparable). Assumption.",
    )


#: One model per programme kind, in the order of PROGRAMME_KINDS.
PROGRAMME_MODELS: tuple[type[ProgrammeBase], ...] = (SmileCampaign, BigJoy, Befriending, KindnessCampaign, PhoneCalls,
                                                     GroupActivity, SocialCognition)



def _kind(value: Any) -> str | None:
    """The discriminator: the ``kind`` of a dict or a model (a callable discriminator, because every field
    of a schema section has a before-validator, which pydantic's by-field discriminator refuses)."""
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


def _union(models: tuple[type[ProgrammeBase], ...]) -> Any:
    """The discriminated union of ``models``, each tagged with its kind."""
    tagged = tuple(Annotated[m, Tag(typing.get_args(m.model_fields["kind"].annotation)[0])] for m in models)
    kinds = [repr(typing.get_args(m.model_fields["kind"].annotation)[0]) for m in models]
    expected = ", ".join(kinds[:-1]) + f" or {kinds[-1]}"  # the words of pydantic's own error for a Literal
    return Annotated[typing.Union[tagged],  # noqa: UP007
                     Discriminator(_kind, custom_error_type="programme_kind",
                                   custom_error_message=f"Input should be {expected}")]


#: An ``interventions:`` item: the model of its ``kind`` (a pydantic discriminated union).
InterventionConfig = _union(PROGRAMME_MODELS)
_PROGRAMME: TypeAdapter[Any] = TypeAdapter(InterventionConfig)


def programme(**fields: Any) -> ProgrammeBase:
    """An ``interventions:`` item from its fields (``programme(kind="phone_calls", duration_days=28)``):
    the model of its kind; raises pydantic's ValidationError for a field of another kind."""
    return _PROGRAMME.validate_python(fields)


class ArmFields(Strict):
    """What an arm of a comparison adds to its programme: a name and a cost."""

    name: str = Field(..., min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$",
                      description="Arm name (letters, digits, _ and -): names its run folders and table rows.")
    cost_per_enrolled: float | None = Field(
        None, ge=0, le=1e9, description="Cost of the programme per enrolled person (currency of comparison.currency; "
        "at most 1e9); optional. Enables cost per life-year and per loneliness-free year."
    )

    def programme(self) -> ProgrammeBase:
        """The arm's programme as an ``interventions:`` item."""
        return _PROGRAMME.validate_python(self.model_dump(exclude={"name", "cost_per_enrolled"}))


def _arm_model(model: type[ProgrammeBase]) -> type[ProgrammeBase]:
    """The comparison-arm model of a programme kind: its fields, then a name and a cost."""
    return type(f"{model.__name__}Arm", (ArmFields, model),
                {"__doc__": f"One arm of a comparison: a {model.__name__} programme with a name and a cost.",
                 "__module__": __name__})


#: One arm model per programme kind (the programme's fields, a name and a cost).
ARM_MODELS = tuple(_arm_model(m) for m in PROGRAMME_MODELS)
#: One arm of a comparison: the arm model of its ``kind`` (a discriminated union).
ArmConfig = _union(ARM_MODELS)


class ComparisonConfig(Strict):
    """``lonesim compare``: programme arms, each against a control town without it (docs/programmes.md)."""

    arms: list[ArmConfig] = Field(..., min_length=1, description="The programme arms (each compared with the control).")
    replicates: int = Field(4, gt=0, le=1000, description="Towns per arm; replicate r of every arm and of the control "
                            "shares its town and random numbers (common random numbers). A design choice: more "
                            "replicates, narrower intervals.")
    horizon_years: float = Field(
        5.0, gt=0, le=50, description="Years after each programme's start over which deaths averted, life-years and "
        "loneliness-free years are counted (5: the horizon commissioners ask for, issue 12); beyond the simulated "
        "days the daily difference is extrapolated (docs/programmes.md).",
    )
    follow_up_days: list[int] = Field(
        default_factory=lambda: [30, 91, 182],
        description="Trial follow-ups, days after the programme's last day (1, 3 and 6 months: the long-term window "
        "of Lasgaard et al. 2022).",
    )
    hr_isolation_interval: tuple[float, float] = Field(
        (1.26, 1.39), description="95% interval of the isolation hazard ratio (Wang et al. 2023), drawn around "
        "mortality.hr_isolation for the deaths-averted interval.",
    )
    hr_loneliness_interval: tuple[float, float] = Field(
        (1.08, 1.20), description="95% interval of the loneliness hazard ratio (Wang et al. 2023), drawn around "
        "mortality.hr_loneliness.",
    )
    hr_draws: int = Field(400, ge=1, le=100_000, description="Draws of the two hazard ratios for the intervals (a "
                          "design choice: 400 puts the 2.5 and 97.5 percentiles within a few % of their limits).")
    currency: str = Field("£", max_length=8, description="Currency label of the costs (£: McDaid & Park 2021's cost per "
                          "loneliness-free year, the report's yardstick, is in £).")

    @field_validator("follow_up_days")
    @classmethod
    def _positive_sorted(cls, v: list[int]) -> list[int]:
        if any(d <= 0 for d in v):
            raise ValueError("follow-up days must be positive")
        return sorted(set(v))

    @field_validator("hr_isolation_interval", "hr_loneliness_interval")
    @classmethod
    def _interval(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 < v[0] <= v[1]:
            raise ValueError("an interval (low, high) with 0 < low <= high")
        return v
