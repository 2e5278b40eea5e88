"""The parameters the browser page exposes, and their starting values from a scenario file.

Every slider is a keyword argument of the model class the page builds (SolaraViz rebuilds the model
from keyword arguments only when Reset is pressed), and each one maps to one path in the scenario
schema (``sim/config.py``), so the page can start from a YAML file and give back YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Environment variable the CLI sets to the scenario file before starting the page.
SCENARIO_ENV = "LONESIM_VIZ_SCENARIO"

#: Above this many people the page draws a neighbourhood instead of the whole network ...
MAX_DRAWN_PEOPLE = 1500
#: ... of this many people (a step then draws in well under a second: see docs/viz.md).
NEIGHBOURHOOD_SIZE = 600

#: The page runs at most this many people (the model builds Mesa agents up to 20,000; beyond that
#: use ``lonesim run``).
MAX_PAGE_PEOPLE = 20_000

#: Interventions the page can switch on ("none" = off).
INTERVENTIONS = ["none", "smile_campaign", "big_joy", "befriending", "kindness_campaign"]

#: Slider keyword -> dotted path in the scenario schema.
PARAM_PATHS: dict[str, str] = {
    "n_people": "population.size",
    "isolation_fraction": "network.isolation.fraction",
    "contact_multiplier": "contacts.frequency_multiplier",
    "smile_propensity": "smiles.propensity",
    "kind_rate": "kindness.rate_per_day",
    "seed": "seed",
}

#: Values used when no scenario file is given and the scenario module cannot be read.
FALLBACK_VALUES: dict[str, Any] = {
    "n_people": 500,
    "isolation_fraction": 0.1,
    "contact_multiplier": 1.0,
    "smile_propensity": 0.3,
    "kind_rate": 0.05,
    "intervention": "none",
    "seed": 42,
}

#: Population used by the page when no scenario file is given: the schema's default (10,000) is
#: more than a browser draws comfortably, and the page is for watching, not for batch runs.
DEFAULT_PAGE_POPULATION = 500


def _get_path(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = getattr(data, part)
    return data


def values_from_scenario(scenario_file: str | Path | None) -> dict[str, Any]:
    """Starting values of the sliders: the file's values, or the schema defaults without a file."""
    values = dict(FALLBACK_VALUES)
    try:
        from sim.config import Scenario, load_scenario
    except ImportError:  # pragma: no cover - the scenario module is part of the package
        return values

    if scenario_file:
        scenario = load_scenario(scenario_file)
    else:
        scenario = Scenario()
    for name, path in PARAM_PATHS.items():
        values[name] = _get_path(scenario, path)
    if not scenario_file:
        values["n_people"] = DEFAULT_PAGE_POPULATION
    interventions = list(getattr(scenario, "interventions", []) or [])
    values["intervention"] = interventions[0].kind if interventions else "none"
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
            "label": "Kind acts /person/day",
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
        "seed": {
            "type": "InputText",
            "label": "Seed",
            "value": str(values["seed"]),
        },
    }
