"""The parameters the browser page exposes, and their starting values from a scenario file.

Every slider is a keyword argument of the model class the page builds (SolaraViz rebuilds the model
from keyword arguments only when Reset is pressed). The keywords and the scenario path each one sets
are one map, :data:`sim.model.KEYWORD_PATHS`; the starting values come from the scenario file or the
schema's defaults, so the page can start from a YAML file and give back YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.config import Scenario, get_path, load_scenario
from sim.config.display import programme_name, targeting_name
from sim.config.programmes import PROGRAMME_KINDS, TARGETING_RULES
from sim.model import AGENT_THRESHOLD, KEYWORD_PATHS

#: Above this many people the page draws a neighbourhood instead of the whole network ...
MAX_DRAWN_PEOPLE = 1500
#: ... of this many people (a step then draws in well under a second: see docs/viz.md).
NEIGHBOURHOOD_SIZE = 600

#: The page runs at most as many people as the model builds Mesa agents for (beyond that use ``lonesim run``).
MAX_PAGE_PEOPLE = AGENT_THRESHOLD

#: Interventions the page can switch on ("none" = off): every programme kind (sim.model.PROGRAMME_DEFAULTS),
#: shown by its display name (sim.config.display).
INTERVENTIONS = ["none", *(programme_name(k) for k in PROGRAMME_KINDS)]

#: Targeting rules of the page's menu, by display name; "programme default" keeps the programme's own (the
#: file's, or the page default's). ``most_central`` is left out: it is the old name of ``most_connected``.
DEFAULT_TARGETING = "programme default"
TARGETINGS = [DEFAULT_TARGETING, *(targeting_name(t) for t in TARGETING_RULES if t != "most_central")]

_KINDS = {programme_name(k): k for k in PROGRAMME_KINDS}
_RULES = {targeting_name(t): t for t in TARGETING_RULES if t != "most_central"}


def kind_of(choice: str | None) -> str:
    """The programme kind of a menu choice (a display name, or already a kind)."""
    return _KINDS.get(choice or "none", choice or "none")


def rule_of(choice: str | None) -> str:
    """The targeting rule of a menu choice (a display name, "programme default", or already a rule)."""
    return _RULES.get(choice or DEFAULT_TARGETING, choice or DEFAULT_TARGETING)

#: The model keywords the page shows as sliders and inputs (their schema paths: ``sim.model.KEYWORD_PATHS``).
SLIDER_KEYWORDS = ("n_people", "isolation_fraction", "contact_multiplier", "smile_propensity", "kind_rate")

#: Population used by the page when no scenario file is given: the schema's default (10,000) is
#: more than a browser draws comfortably, and the page is for watching, not for batch runs.
DEFAULT_PAGE_POPULATION = 500


def values_from_scenario(scenario_file: str | Path | None) -> dict[str, Any]:
    """Starting values of the page's inputs: the file's values, or the schema's defaults without a file
    (with a town of :data:`DEFAULT_PAGE_POPULATION`)."""
    scenario = load_scenario(scenario_file) if scenario_file else Scenario()
    values: dict[str, Any] = {name: get_path(scenario.model_dump(), KEYWORD_PATHS[name]) for name in SLIDER_KEYWORDS}
    values["seed"] = scenario.seed
    if not scenario_file:
        values["n_people"] = DEFAULT_PAGE_POPULATION
    values["intervention"] = programme_name(scenario.interventions[0].kind) if scenario.interventions else "none"
    values["targeting"] = DEFAULT_TARGETING
    return values


def model_params(values: dict[str, Any], scenario_file: str | None) -> dict[str, Any]:
    """SolaraViz ``model_params``: the sliders (starting at ``values``) and the fixed scenario file."""
    n = min(int(values["n_people"]), MAX_PAGE_PEOPLE)
    return {
        "scenario_file": scenario_file,
        "n_people": {
            "type": "SliderInt",
            "label": "Population",
            "value": n,
            "min": 50,
            "max": min(MAX_PAGE_PEOPLE, max(5000, n)),
            "step": 50,
        },
        "isolation_fraction": {
            "type": "SliderFloat",
            "label": "Isolation level",
            "value": float(values["isolation_fraction"]),
            "min": 0.0,
            "max": 1.0,
            "step": 0.01,
        },
        "contact_multiplier": {
            "type": "SliderFloat",
            "label": "Contact frequency ×",
            "value": float(values["contact_multiplier"]),
            "min": 0.0,
            "max": max(3.0, float(values["contact_multiplier"])),
            "step": 0.05,
        },
        "smile_propensity": {
            "type": "SliderFloat",
            "label": "Smile propensity",
            "value": float(values["smile_propensity"]),
            "min": 0.0,
            "max": 1.0,
            "step": 0.01,
        },
        "kind_rate": {
            "type": "SliderFloat",
            "label": "Kind acts per person per day",
            "value": float(values["kind_rate"]),
            "min": 0.0,
            "max": max(1.0, float(values["kind_rate"])),
            "step": 0.01,
        },
        "intervention": {
            "type": "Select",
            "label": "Intervention",
            "value": values["intervention"] if values["intervention"] in INTERVENTIONS else "none",
            "values": INTERVENTIONS,
        },
        "targeting": {
            "type": "Select",
            "label": "Targeting",
            "value": values.get("targeting", DEFAULT_TARGETING),
            "values": TARGETINGS,
        },
        "seed": {
            "type": "InputText",
            "label": "Seed",
            "value": str(values["seed"]),
        },
    }


def setting_lines(config: Scenario) -> str:
    """The settings of the model on screen, with their values (what the sliders said at the last Reset)."""
    get = lambda name: get_path(config.model_dump(), KEYWORD_PATHS[name])  # noqa: E731
    programmes = ", ".join(f"{programme_name(p.kind)} for {targeting_name(p.targeting)}" for p in config.interventions)
    return (f"Running now: population {config.population.size:,} · isolation level {get('isolation_fraction'):.2f} · "
            f"contact frequency × {get('contact_multiplier'):.2f} · smile propensity {get('smile_propensity'):.2f} · "
            f"kind acts {get('kind_rate'):.2f} per person per day · {programmes or 'no programme'} · "
            f"seed {config.seed}")
