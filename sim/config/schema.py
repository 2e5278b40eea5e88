"""The scenario schema: :class:`Scenario`, every parameter of a run, assembled from its sections.

Field descriptions state the unit (``per day``, ``per year``, ``per contact``) and the source of the
default (see ``docs/science.md`` and ``docs/parameters.md``). Defaults marked *calibrated* were tuned
by ``experiments/calibrate.py``; defaults marked *assumption* have no published anchor and are there
to be swept.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import Field, ValidationError

from sim.config.base import Strict
from sim.config.errors import ScenarioError
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
from sim.config.survey import SurveyConfig


class OutputConfig(Strict):
    """What a run writes."""

    figures: bool = Field(True, description="Write PNG figures into the run folder.")
    max_draw_nodes: int = Field(2_000, gt=0, description="Draw the network figure only up to this many people.")
    agents_file: bool = Field(True, description="Write agents.parquet (one row per person).")
    survey_days: list[int] = Field(
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

    name: str = Field("scenario", min_length=1, description="Short name; the run folder is results/<name>/.")
    description: str = Field("", description="Free text.")
    seed: int = Field(12345, ge=0, description="Root seed. Replicate r of any point uses SeedSequence(seed).spawn()[r].")
    days: int = Field(365, gt=0, description="Days to simulate (one step = one day).")
    burn_in_days: int = Field(
        60, ge=0,
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
    mortality: MortalityConfig = Field(default_factory=MortalityConfig)
    survey: SurveyConfig = Field(default_factory=SurveyConfig)
    shocks: list[ShockConfig] = Field(default_factory=list, description="Isolation shocks (level c).")
    interventions: list[InterventionConfig] = Field(default_factory=list)
    output: OutputConfig = Field(default_factory=OutputConfig)
    sweep: SweepConfig | None = Field(None, description="Optional sweep block (lonesim sweep).")
    comparison: ComparisonConfig | None = Field(None, description="Optional programme comparison (lonesim compare).")

    # -- convenience -------------------------------------------------------------------------
    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> Scenario:
        """A new validated scenario with dotted-path overrides applied (``{"population.size": 500}``).

        Raises :class:`ScenarioError` naming ``source`` and the key. (A sweep block is checked when a
        file is loaded and when the sweep is expanded, not here.)

        >>> Scenario().with_overrides({"population.size": 500}).population.size
        500
        """
        raw = self.model_dump(mode="json")
        for path, value in overrides.items():
            set_path(raw, path, value)
        try:
            return Scenario.model_validate(raw)
        except ValidationError as err:
            raise ScenarioError(describe_errors(err, source, None, Scenario)) from None

    def to_yaml(self) -> str:
        """The scenario as a YAML document (every field, None fields left out), ready for ``lonesim run``."""
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
