"""Building blocks of the scenario schema: the strict base model and field helpers with units.

Every field of the schema states its unit in its description (``per day``, ``per year``,
``per contact``) and the source of its default; ``docs/parameters.md`` is generated from them.

A parameter with no published anchor is declared with :func:`assumption`, which also writes the range
a sensitivity analysis sweeps it over beside the field (in its ``json_schema_extra``);
:func:`assumption_fields` lists every such field of a schema with its dotted path and range, which is
what ``sensitivity: {parameters: assumptions}`` analyses (docs/sensitivity.md).
"""

from __future__ import annotations

import functools
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError


def _numeric(annotation: Any) -> bool:
    """Whether a field's type is a number (``int``, ``float``, optionally ``| None``, or lists of them), not ``bool``."""
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numeric(a) for a in args)
    if origin in (list, tuple):
        return all(_numeric(a) for a in typing.get_args(annotation) if a is not Ellipsis)
    return False


def _has_bool(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(_has_bool(v) for v in value))

#: Largest magnitude the simulation's float32 kernels represent (``numpy.finfo(numpy.float32).max``):
#: a value beyond it becomes infinity in the kernels, and then NaN (everyone's state, silently).
FLOAT32_MAX = 3.4028234663852886e38
#: Smallest positive normal float32 (``numpy.finfo(numpy.float32).tiny``): a nonzero value below it
#: loses its precision in the kernels, or becomes 0.
FLOAT32_TINY = 1.1754943508222875e-38
#: Largest integer the kernels' int64 arrays hold.
INT64_MAX = 2**63 - 1


def _unrepresentable(value: Any) -> str | None:
    """Why ``value`` (a number, or a list or tuple of them) cannot be represented in the kernels, or None."""
    if isinstance(value, (list, tuple)):
        return next((why for v in value if (why := _unrepresentable(v)) is not None), None)
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if abs(value) > FLOAT32_MAX:
            return (f"{value:g} is beyond the range the simulation's 32-bit kernels represent (magnitudes up to "
                    f"{FLOAT32_MAX:.3g}): it would turn everyone's state into NaN")
        if 0 < abs(value) < FLOAT32_TINY:
            return (f"{value:g} is too small for the simulation's 32-bit kernels (nonzero magnitudes from "
                    f"{FLOAT32_TINY:.3g}): write 0, or a larger value")
    elif isinstance(value, int) and abs(value) > INT64_MAX:
        return f"{value} is beyond the largest integer the simulation represents ({INT64_MAX:,})"
    return None


#: Key of a field's ``json_schema_extra`` that holds its sensitivity range (``{"low", "high", "log"}``).
ASSUMPTION_KEY = "assumption"


class Strict(BaseModel):
    """A schema section: unknown keys are errors, assignments are validated, and numbers are ordinary
    numbers: NaN and infinities are refused everywhere (``allow_inf_nan``), and so are ``true`` /
    ``false`` where a number is expected (pydantic would read them as 1 and 0), and numbers the
    kernels cannot represent (beyond float32's range, or an int64's)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    #: A section a scenario must write whole (an age curve): its default is not merged with what is given.
    written_whole: typing.ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _partial_sections_keep_their_defaults(cls, data: Any) -> Any:
        """A section given in part keeps the defaults of the keys it does not give.

        Some sections' defaults are not their class's defaults (``ties.family`` is a ``TieKindConfig``
        with its own closeness spread and rate); without this, ``ties: {family: {rate_per_day: 0.2}}``
        (or ``--set ties.family.rate_per_day=0.2``) would silently reset the other keys of the section
        to the class's defaults."""
        if not isinstance(data, dict):
            return data
        for name, defaults in _factory_defaults(cls).items():
            if isinstance(data.get(name), dict):
                data = {**data, name: _deep_merge(defaults, data[name])}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if _has_bool(value) and info.field_name and _numeric(cls.model_fields[info.field_name].annotation):
            raise PydanticCustomError("bool_not_number", "Input should be a number, not true or false")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _representable_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Every number is one the kernels can hold (:data:`FLOAT32_MAX`, :data:`INT64_MAX`)."""
        if info.field_name and _numeric_field(cls, info.field_name):
            why = _unrepresentable(value)
            if why is not None:
                raise PydanticCustomError("number_out_of_range", why)
        return value


@functools.cache
def _numeric_field(cls: type[BaseModel], name: str) -> bool:
    """Whether field ``name`` of ``cls`` holds numbers (cached: checked on every validation of every field)."""
    return _numeric(cls.model_fields[name].annotation)


@functools.cache
def _factory_defaults(cls: type[BaseModel]) -> dict[str, dict]:
    """{field: the keys of its default section that differ from the section class's own defaults}, for
    the fields of ``cls`` that hold a section built by a default factory (age curves excluded)."""
    out: dict[str, dict] = {}
    for name, field in cls.model_fields.items():
        section = field.annotation
        if field.default_factory is None or not (isinstance(section, type) and issubclass(section, Strict)):
            continue
        if section.written_whole:
            continue
        differs = field.default_factory().model_dump(mode="json", exclude_defaults=True)
        if differs:
            out[name] = differs
    return out


def _deep_merge(base: dict, given: dict) -> dict:
    """``given`` over ``base``, section by section (``given`` wins; lists and values are replaced whole)."""
    out = dict(base)
    for key, value in given.items():
        out[key] = _deep_merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def probability(default: float, desc: str) -> Any:
    """A probability field in [0, 1]."""
    return Field(default, ge=0.0, le=1.0, description=desc)


def rate(default: float, desc: str, le: float | None = None) -> Any:
    """A non-negative rate field (its unit is in ``desc`` and in the key name), with a plausible upper
    bound ``le`` where the rate has one (say it in ``desc`` too)."""
    return Field(default, ge=0.0, le=le, description=desc)


def assumption(default: float, desc: str, *, low: float, high: float, log: bool = False, **constraints: Any) -> Any:
    """A numeric field whose default is an assumption, with the range ``[low, high]`` (in the field's unit)
    that a sensitivity analysis samples it over, uniformly or, with ``log=True``, log-uniformly.

    ``constraints`` are pydantic's bounds (``ge=0``, ``le=1``, ``gt=0``); the range must lie inside them
    (checked when the range is used: ``tests/test_sensitivity.py`` checks every range of the schema).
    The range is stored in the field's JSON Schema (``{"assumption": {"low", "high", "log"}}``), so
    editors and ``lonesim schema`` show it too. Raises ValueError at import when the range is malformed.

    >>> from pydantic import BaseModel
    >>> class Smiles(BaseModel):
    ...     propensity: float = assumption(0.5, "Probability per contact. Assumption.", low=0.3, high=0.7, ge=0, le=1)
    >>> [(a.path, a.low, a.high) for a in assumption_fields(Smiles)]
    [('propensity', 0.3, 0.7)]
    """
    for name, value in (("low", low), ("high", high), ("default", default)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"assumption(): {name} must be a finite number (got {value!r})")
    if not low < high:
        raise ValueError(f"assumption(): low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise ValueError(f"assumption(): a log-uniform range needs low > 0 (got {low})")
    if not low <= default <= high:
        raise ValueError(f"assumption(): the default {default} lies outside its range [{low}, {high}]")
    extra = {ASSUMPTION_KEY: {"low": low, "high": high, "log": bool(log)}}
    return Field(default, description=desc, json_schema_extra=extra, **constraints)


@dataclass(frozen=True)
class AssumptionField:
    """A field declared with :func:`assumption`: its dotted path, range, default and description."""

    path: str
    low: float
    high: float
    log: bool
    default: float
    description: str


def assumption_range(field: Any) -> dict[str, Any] | None:
    """The ``{"low", "high", "log"}`` range of a pydantic ``FieldInfo`` declared with :func:`assumption`, else None."""
    extra = field.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get(ASSUMPTION_KEY), dict):
        return extra[ASSUMPTION_KEY]
    return None


def _section(annotation: Any) -> type[BaseModel] | None:
    """The schema section a field holds directly (``SmilesConfig``), else None (values, lists, optional blocks)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _walk(model: type[BaseModel], prefix: str = "") -> typing.Iterator[tuple[str, Any]]:
    """(dotted path, FieldInfo) of every value field of ``model``, following the sections it holds directly.

    Lists of sections (``shocks``) and optional blocks that default to nothing (``sweep``) are not
    followed: their fields have no value to vary until a scenario writes them.
    """
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        section = _section(field.annotation)
        if section is not None:
            yield from _walk(section, path + ".")
        else:
            yield path, field


def assumption_fields(model: type[BaseModel]) -> list[AssumptionField]:
    """Every field of ``model`` and its sections declared with :func:`assumption`, in schema order."""
    out: list[AssumptionField] = []
    for path, field in _walk(model):
        rng = assumption_range(field)
        if rng is not None:
            out.append(AssumptionField(path=path, low=float(rng["low"]), high=float(rng["high"]), log=bool(rng["log"]),
                                       default=field.get_default(call_default_factory=True),
                                       description=field.description or ""))
    return out


def unranged_assumptions(model: type[BaseModel]) -> list[str]:
    """Paths of the fields whose description calls them an assumption but that have no range yet.

    docs/parameters.md marks assumptions in the descriptions; until a field is declared with
    :func:`assumption` a sensitivity analysis of ``parameters: assumptions`` cannot include it, and
    ``lonesim sensitivity`` names these fields in a warning.
    """
    return [path for path, field in _walk(model)
            if assumption_range(field) is None and "assumption" in (field.description or "").lower()]
