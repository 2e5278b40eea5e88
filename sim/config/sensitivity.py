"""The ``sensitivity:`` block of a scenario (``lonesim sensitivity``) and its checks against the scenario.

A block names the method (``morris`` screening or ``sobol`` first-order and total indices), its size,
the replicates per sample point, the outputs (``summary.json`` keys) and the parameters: dotted key
paths with ranges (``smiles.propensity: [0.3, 0.7]``, or ``{low: 0.1, high: 1.0, log: true}`` for
log-uniform), or ``assumptions`` for every field declared with :func:`sim.config.base.assumption`.

:func:`resolve_parameters` checks the block against its scenario and returns the parameters to vary
(every error is one ``<file>:<line>: <key.path>: <what is wrong>`` line); :func:`check_outputs` checks
the outputs against the keys a run's summary really has. This module does not import the
:class:`~sim.config.schema.Scenario` class (the schema imports it): it works on the scenario it is given.
"""

from __future__ import annotations

import copy
import difflib
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_serializer, field_validator, model_validator

from sim.config.base import Strict, assumption_fields
from sim.config.errors import ScenarioError
from sim.config.paths import LineMap, field_names_at, format_loc, get_path, set_path

#: The outputs analysed when a block names none: the prevalences and the mortality-risk proxies.
DEFAULT_OUTPUTS = [
    "loneliness_prevalence_mean", "isolation_prevalence_mean", "mean_relative_hazard",
    "expected_deaths_per_1000_py", "paf_isolation", "paf_loneliness",
]
#: Paths that are not parameters of the model: the seed is set by the replicates (common random numbers),
#: and the blocks that describe batches of runs are not varied by them.
NOT_PARAMETERS = ("seed", "name", "description", "sensitivity", "sweep", "output")


class ParameterRange(Strict):
    """The range a parameter is sampled over: ``[low, high]``, or ``{low, high, log: true}`` for log-uniform."""

    low: float = Field(..., allow_inf_nan=False, description="Lowest value, in the parameter's unit.")
    high: float = Field(..., allow_inf_nan=False, description="Highest value, in the parameter's unit.")
    log: bool = Field(False, description="Sample log-uniformly (for scale parameters spanning orders of magnitude).")

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple)):
            if len(data) != 2:
                raise ValueError(f"a range is [low, high] or {{low: ..., high: ..., log: true}} (got {len(data)} values)")
            return {"low": data[0], "high": data[1]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> ParameterRange:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-uniform range needs low > 0 (got {self.low:g})")
        return self


class SensitivityConfig(Strict):
    """A global sensitivity analysis: method, size, outputs and parameter ranges (lonesim sensitivity)."""

    method: Literal["morris", "sobol"] = Field(
        "morris", description="morris: elementary-effects screening (mu_star, sigma); sobol: first-order and "
        "total Sobol' indices (S1, ST) from Saltelli's sampling.")
    trajectories: int = Field(20, ge=2, le=10_000,
                              description="Morris: trajectories; each is (parameters + 1) runs per replicate.")
    levels: int = Field(4, ge=2, le=100, description="Morris: grid levels of each parameter's range.")
    samples: int = Field(256, ge=4, le=2**20,
                         description="Sobol: base samples N, a power of 2; N x (parameters + 2) runs per replicate.")
    replicates: int = Field(
        2, ge=1, le=1_000,
        description="Runs per sample point. Replicate r uses the same seed at every point (common random "
        "numbers); with 2 or more the replicate noise is measured and reported beside the indices.")
    outputs: list[str] = Field(default_factory=lambda: list(DEFAULT_OUTPUTS), min_length=1,
                               description="summary.json keys to analyse (default: prevalences and mortality proxies).")
    parameters: dict[str, ParameterRange] | None = Field(
        None, description="{key.path: [low, high]} (or {low, high, log: true}); 'assumptions' (or null): every "
        "parameter the schema declares as an assumption, over the range written beside it.")
    bootstrap: int = Field(1_000, ge=10, le=100_000, description="Bootstrap resamples for the confidence intervals.")
    confidence: float = Field(0.95, gt=0, lt=1, description="Level of the confidence intervals of the indices.")
    run_folders: bool = Field(
        False, description="Also write a full run folder (parquet tables, no figures) per run; off: one small "
        "JSON per run, the least overhead.")

    @field_validator("parameters", mode="before")
    @classmethod
    def _assumptions(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip() == "assumptions":
                return None
            raise ValueError("write 'assumptions' or a mapping {key.path: [low, high]}")
        return value

    @field_serializer("parameters")
    def _dump_parameters(self, value: dict[str, ParameterRange] | None) -> Any:
        return "assumptions" if value is None else {k: v.model_dump() for k, v in value.items()}

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"must be a power of 2 (Sobol' sequences are balanced only then; e.g. "
                             f"{1 << (value.bit_length() - 1)} or {1 << value.bit_length()})")
        return value

    @field_validator("outputs")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        seen = [v for i, v in enumerate(value) if v in value[:i]]
        if seen:
            raise ValueError(f"'{seen[0]}' is named twice")
        return value


@dataclass(frozen=True)
class Parameter:
    """A parameter to vary: its dotted path, range, whether log-uniform, and whether the field is an integer."""

    path: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, x: float) -> float | int:
        """The scenario value of a sampled coordinate ``x`` (log-uniform parameters are sampled in log space)."""
        v = math.exp(x) if self.log else float(x)
        v = min(max(v, self.low), self.high)  # exp(log(high)) may overshoot by an ulp
        return int(round(v)) if self.integer else v

    @property
    def bounds(self) -> list[float]:
        """The sampled interval: ``[low, high]``, or ``[ln low, ln high]`` when log-uniform."""
        return [math.log(self.low), math.log(self.high)] if self.log else [self.low, self.high]


def where(source: str, linemap: LineMap | None, *loc: Any) -> str:
    """``source:line`` of the key path ``loc`` (``source (--set)`` when it was set on the command line)."""
    if linemap is not None and any(tuple(str(p) for p in loc[: len(k)]) == k for k in linemap.overridden):
        return f"{source} (--set)"
    line = linemap.line_for(loc) if linemap else None
    return f"{source}:{line}" if line else source


def _annotation_at(model: Any, parts: list[str]) -> Any:
    """The type annotation of the field at ``parts`` (list items by index), or None if it cannot be followed."""
    ann: Any = model
    for part in parts:
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if part not in ann.model_fields:
                return None
            ann = ann.model_fields[part].annotation
        elif typing.get_origin(ann) is list and part.isdigit():
            ann = typing.get_args(ann)[0]
        else:
            return None
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if typing.get_origin(ann) in (typing.Union, types.UnionType) and len(args) == 1:
            ann = args[0]  # Optional[X] -> X
    return ann


def _kind_of(model: Any, base: dict, path: str) -> str:
    """'int', 'float' or the name of a non-numeric type of the value at ``path``."""
    ann = _annotation_at(model, path.split("."))
    if ann is int or ann is float:
        return ann.__name__
    value = get_path(base, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "a " + type(value).__name__ if value is not None else "no value"
    return "int" if isinstance(value, int) else "float"


def base_dump(scenario: Any) -> dict[str, Any]:
    """The scenario as plain data without its sweep and sensitivity blocks: what every sample point starts from."""
    raw = scenario.model_dump(mode="json")
    raw["sweep"] = None
    raw["sensitivity"] = None
    return raw


def _check_value(model: Any, base: dict, param: Parameter, which: str, value: float, where_: str, key: str) -> None:
    raw = copy.deepcopy(base)
    set_path(raw, param.path, int(round(value)) if param.integer else value)
    try:
        model.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        raise ScenarioError(f"{where_}: {key}: {which} {value:g}: {format_loc(tuple(first['loc']))}: "
                            f"{first['msg']}") from None


def resolve_parameters(scenario: Any, source: str = "<scenario>", linemap: LineMap | None = None) -> list[Parameter]:
    """The parameters of the scenario's sensitivity block, each checked: a parameter path of the schema,
    numeric, not the seed or a batch block, and both ends of its range valid for the field.

    With ``parameters: assumptions`` the list is every field declared with
    :func:`sim.config.base.assumption` (possibly empty: the caller decides whether that is an error).
    Raises :class:`ScenarioError` with ``<file>:<line>: sensitivity.parameters.<path>: <what is wrong>``.
    """
    cfg = scenario.sensitivity
    if cfg is None:
        return []
    model = type(scenario)
    base = base_dump(scenario)
    if cfg.parameters is None:
        params = [Parameter(a.path, a.low, a.high, a.log, _kind_of(model, base, a.path) == "int")
                  for a in assumption_fields(model)]
        for p in params:  # a range written in the schema must fit its field's own bounds
            for which, value in (("low", p.low), ("high", p.high)):
                _check_value(model, base, p, which, value, f"{where(source, linemap, 'sensitivity', 'parameters')}"
                             f" (the range of {p.path} in the schema)", "sensitivity.parameters")
        return params
    params = []
    for path, rng in cfg.parameters.items():
        w = where(source, linemap, "sensitivity", "parameters", path)
        key = f"sensitivity.parameters.{path}"
        if path.split(".")[0] in NOT_PARAMETERS:
            raise ScenarioError(f"{w}: {key}: '{path.split('.')[0]}' is not a parameter of the model"
                                + (" (replicates set the seeds)" if path == "seed" else ""))
        try:
            get_path(base, path)
        except (KeyError, IndexError, TypeError, ValueError):
            known = field_names_at(model, tuple(path.split("."))[:-1])
            hint = difflib.get_close_matches(path.split(".")[-1], known, n=1, cutoff=0.5)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ScenarioError(f"{w}: {key}: unknown parameter path{extra}") from None
        kind = _kind_of(model, base, path)
        if kind not in ("int", "float"):
            raise ScenarioError(f"{w}: {key}: not a numeric parameter ({kind}); a sensitivity range needs a number")
        param = Parameter(path, rng.low, rng.high, rng.log, kind == "int")
        if param.integer and int(round(rng.low)) == int(round(rng.high)):
            raise ScenarioError(f"{w}: {key}: an integer parameter needs a range wider than one value")
        for which, value in (("low", rng.low), ("high", rng.high)):
            _check_value(model, base, param, which, value, w, key)
        params.append(param)
    return params


def check_outputs(scenario: Any, available: dict[str, Any], source: str = "<scenario>",
                  linemap: LineMap | None = None) -> None:
    """Check that every output of the sensitivity block is a numeric key of a run's summary (``available``)."""
    cfg = scenario.sensitivity
    if cfg is None:
        return
    numeric = sorted(k for k, v in available.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
    for i, name in enumerate(cfg.outputs):
        w = where(source, linemap, "sensitivity", "outputs", i)
        if name not in available:
            hint = difflib.get_close_matches(name, numeric, n=1, cutoff=0.6)
            raise ScenarioError(f"{w}: sensitivity.outputs: unknown output '{name}'"
                                + (f" (did you mean '{hint[0]}'?)" if hint else f"; summary.json has: {', '.join(numeric)}"))
        if name not in numeric:
            raise ScenarioError(f"{w}: sensitivity.outputs: '{name}' is not a number in summary.json")


def check_sensitivity(scenario: Any, source: str = "<scenario>", linemap: LineMap | None = None) -> int:
    """Check a scenario's sensitivity block (parameter paths, types and ranges); return the number of parameters.

    Called when a scenario file is loaded, so ``lonesim validate`` reports a bad block with its line.
    The outputs are checked by ``lonesim sensitivity`` against a real run's summary (:func:`check_outputs`).
    """
    return len(resolve_parameters(scenario, source, linemap))
