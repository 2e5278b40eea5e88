"""Scenario files: the schema (every parameter of a run), loading YAML with line numbers, ``--set``
overrides and sweep expansion.

Modules, lowest first (each imports only those before it): ``errors`` (the user-facing error),
``paths`` (dotted key paths, YAML line numbers, error messages), ``base`` (field helpers),
``people`` / ``mechanisms`` / ``programmes`` (schema sections), ``schema`` (:class:`Scenario`),
``expand`` (sweep blocks), ``loading`` (files and ``--set``). This package re-exports what callers use.
"""

from sim.config.errors import ScenarioError
from sim.config.expand import MAX_POINTS, MAX_RUNS, SweepPoint, check_sweep, count_points, expand_sweep, iter_points
from sim.config.life_events import AdversityConfig, GriefConfig, IllnessConfig, LifeEventsConfig
from sim.config.loading import load_scenario, load_scenario_lines, parse_set_options, validate_scenario
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
    TieKindConfig,
    TiesConfig,
)
from sim.config.network import ContextsConfig, IsolationConfig, NetworkConfig
from sim.config.paths import LineMap, get_path, set_path
from sim.config.people import PopulationConfig
from sim.config.programmes import InterventionConfig, ShockConfig, programme
from sim.config.schema import OutputConfig, Scenario, SweepConfig
from sim.config.survey import SurveyConfig

__all__ = [
    "MAX_POINTS", "MAX_RUNS", "ContactsConfig", "ContextsConfig", "SurveyConfig", "TieKindConfig", "ContagionConfig",
    "AdversityConfig", "GriefConfig", "HabitsConfig", "HealthConfig", "IllnessConfig", "InterventionConfig",
    "LifeEventsConfig",
    "IsolationConfig", "KindnessConfig", "LineMap", "LonelinessConfig", "MoodConfig", "MortalityConfig",
    "NetworkConfig", "OutputConfig", "PopulationConfig", "Scenario", "ScenarioError", "ShockConfig",
    "SmilesConfig", "SweepConfig", "SweepPoint", "TiesConfig", "check_sweep", "count_points", "expand_sweep",
    "get_path", "iter_points", "load_scenario", "load_scenario_lines", "parse_set_options", "programme", "set_path",
    "validate_scenario",
]
