"""The scenario schema: :class:`Scenario`, every parameter of a run, assembled from its sections.

Field descriptions state the unit (``per day``, ``per year``, ``per contact``) and the source of the
default (see ``docs/science.md`` and ``docs/parameters.md``). Defaults marked *calibrated* were tuned
by ``experiments/calibrate.py``; defaults marked *assumption* have no published anchor and are there
to be swept.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from sim.config.base import Strict
from sim.config.errors import ScenarioError
from sim.config.life_events import LifeEventsConfig
from sim.config.mechanisms import (
    ContactsConfig,
    ContagionConfig,
    HabitsConfig,
    HealthConfig,
    KindnessConfig,
    LonelinessConfig,
    MoodConfig,
    MortalityConfig,
    SmilesConfig,
    TiesConfig,
)
from sim.config.network import NetworkConfig
from sim.config.paths import describe_errors, set_path
from sim.config.people import PopulationConfig
from sim.config.programmes import ComparisonConfig, InterventionConfig, ShockConfig
from sim.config.sensitivity import SensitivityConfig
from sim.config.survey import SurveyConfig

#: Scenario (and experiment) names become folder names (``results/<name>/``): letters, digits, ``.``,
#: ``_`` and ``-``, starting with a letter or digit, at most 64 characters. No ``/``, no ``..``, no
#: spaces or control characters, nothing a shell or a file system reads specially.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters"


def check_name(value: str) -> str:
    """``value`` if it is a safe folder name (:data:`NAME_PATTERN`), else ValueError."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise ValueError(f"a name is used as a folder name: use {NAME_RULE}")
    return value


def safe_name(text: str, fallback: str = "scenario") -> str:
    """``text`` turned into a safe name: other characters become ``_`` (``my town`` → ``my_town``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    name = re.sub(r"^[^A-Za-z0-9]+", "", name)[:64]
    return name if NAME_PATTERN.fullmatch(name) else fallback


#: Longest burn-in, days (100 years): a model settles in months; a billion days would run for years
#: unrecorded (``days`` is bounded by the memory its records take, sim/memory.py; the burn-in records nothing).
MAX_BURN_IN_DAYS = 36_500


class OutputConfig(Strict):
    """What a run writes."""

    figures: bool = Field(True, description="Write the figures (time series, distributions, ego networks) into the "
                          "run folder.")
    figure_format: Literal["png", "svg", "pdf"] = Field(
        "png", description="File format of every figure: png (300 dpi), svg or pdf (vector, for a paper).")
    max_draw_nodes: int = Field(2_000, gt=0, description="Not used any more (the network figure now draws a few "
                                "people's ego networks, cheap at any size); accepted so older files still load.")
    agents_file: bool = Field(True, description="Write agents.parquet (one row per person).")
    survey_days: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list,
        description="Recorded days (0-based) on which everyone is surveyed (UCLA-3, isolation index, positive affect, "
        "with measurement error): survey.parquet, one row per person and day. The last day is always surveyed "
        "into agents.parquet.",
    )


class SweepConfig(Strict):
    """A sweep: grid and zipped parameter lists, and replicates per point (lonesim sweep)."""

    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="Cartesian product over parameter paths: {path: [values]}."
    )
    zip: dict[str, list[Any]] = Field(
        default_factory=dict, description="Lists walked together (equal lengths), crossed with the grid."
    )
    replicates: int = Field(1, gt=0, description="Replicates per point; replicate r uses the same seed at every point.")


class Scenario(Strict):
    """A complete scenario: every parameter of a run."""

    #: Keys of lonesim 0.1 that 0.2 no longer reads, and what replaced them (said in the error message).
    REMOVED_KEYS: ClassVar[dict[str, str]] = {
        "contacts.rate_per_tie_per_day": "ties meet at a rate per kind of tie: ties.<kind>.rate_per_day",
        "contacts.isolated_max_contacts_per_week": "isolation is measured by the isolation index (survey.isolation_index)",
        "loneliness.threshold": "people count as lonely by UCLA-3 (survey.ucla3.lonely_cutoff)",
        "ties.initial_strength": "ties have a closeness drawn per kind: ties.<kind>.closeness_mean",
        "ties.new_tie_strength": "see ties.new_tie_closeness",
        "ties.dissolution_per_year": "dissolution is set per kind of tie: ties.<kind>.dissolution_per_year",
        "kindness.tie_strength_gain": "see kindness.closeness_gain",
    }

    name: str = Field("scenario", min_length=1, max_length=64,
                      description="Short name; the run folder is results/<name>/. Letters, digits, '.', '_', '-'.")
    description: str = Field("", description="Free text.")
    seed: int = Field(12345, ge=0, le=2**63 - 1,
                      description="Root seed. Replicate r of any point uses SeedSequence(seed).spawn()[r].")
    days: int = Field(365, gt=0, description="Days to simulate (one step = one day).")
    burn_in_days: int = Field(
        60, ge=0, le=MAX_BURN_IN_DAYS,
        description="Days simulated before day 0 and not recorded (no shocks, programmes or deaths), so the "
        "run starts near the model's steady state.",
    )
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    contacts: ContactsConfig = Field(default_factory=ContactsConfig)
    smiles: SmilesConfig = Field(default_factory=SmilesConfig)
    kindness: KindnessConfig = Field(default_factory=KindnessConfig)
    contagion: ContagionConfig = Field(default_factory=ContagionConfig)
    mood: MoodConfig = Field(default_factory=MoodConfig)
    loneliness: LonelinessConfig = Field(default_factory=LonelinessConfig)
    habits: HabitsConfig = Field(default_factory=HabitsConfig)
    ties: TiesConfig = Field(default_factory=TiesConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    life_events: LifeEventsConfig = Field(default_factory=LifeEventsConfig)
    mortality: MortalityConfig = Field(default_factory=MortalityConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    shocks: list[ShockConfig] = Field(default_factory=list, description="Isolation shocks (level c).")
    interventions: list[InterventionConfig] = Field(default_factory=list)
    output: OutputConfig = Field(default_factory=OutputConfig)
    sweep: SweepConfig | None = Field(None, description="Optional sweep block (lonesim sweep).")
    sensitivity: SensitivityConfig | None = Field(None, description="Optional sensitivity block (lonesim sensitivity).")
    comparison: ComparisonConfig | None = Field(None, description="Optional programme comparison (lonesim compare).")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("output")
    @classmethod
    def _survey_days_inside_the_run(cls, output: OutputConfig, info: ValidationInfo) -> OutputConfig:
        """A survey day the run never reaches would be dropped silently (and still recorded in the manifest)."""
        days = info.data.get("days")
        late = [d for d in output.survey_days if days is not None and d >= days]
        if late:
            raise PydanticCustomError(
                "survey_day_after_run", "survey_days: day(s) {late} are after the last day of the run "
                "(day {last}; days: {days}; days are 0-based)", {"late": late[:5], "last": days - 1, "days": days})
        return output

    # -- convenience -------------------------------------------------------------------------
    def calendar_warnings(self) -> list[tuple[tuple, str]]:
        """Shocks and programmes that would never act: ``[(key path, message)]``.

        A shock or programme starting on or after day ``days`` falls outside the run (days are
        ``0 .. days-1``); one that starts inside and runs past the end is cut at the end (not reported).
        """
        out = []
        last = self.days - 1
        for section, items in (("shocks", self.shocks), ("interventions", self.interventions)):
            for i, item in enumerate(items):
                if item.start_day > last:
                    what = "shock" if section == "shocks" else f"programme ({item.kind})"
                    out.append(((section, i, "start_day"),
                                f"this {what} starts on day {item.start_day}, after the last day of the run "
                                f"(day {last}; days: {self.days}): it never acts"))
        return out

    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Scenario:
        """A new validated scenario with dotted-path overrides applied (``{"population.size": 500}``).

        Raises :class:`ScenarioError` naming ``source`` and the key. (A sweep block is checked when a
        file is loaded and when the sweep is expanded, not here.)

        >>> Scenario().with_overrides({"population.size": 500}).population.size
        500
        """
        if not isinstance(overrides, dict):
            raise ScenarioError(f"{source}: overrides must be a mapping of key paths to values "
                                f"(got {type(overrides).__name__})")
        raw = self.model_dump(mode="json")
        for path, value in overrides.items():
            try:
                set_path(raw, path, value)
            except ScenarioError as exc:
                raise ScenarioError(f"{source}: {exc}") from None
        try:
            return Scenario.model_validate(raw)
        except ValidationError as err:
            raise ScenarioError(describe_errors(err, source, None, Scenario)) from None

    def to_yaml(self) -> str:
        """The scenario as a YAML document (every field, None fields left out), ready for ``lonesim run``."""
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
