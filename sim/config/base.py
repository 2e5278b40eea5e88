"""Building blocks of the scenario schema: the strict base model and field helpers with units.

Every field of the schema states its unit in its description (``per day``, ``per year``,
``per contact``) and the source of its default; ``docs/parameters.md`` is generated from them.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
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
    if origin is list:
        return all(_numeric(a) for a in typing.get_args(annotation))
    return False


def _has_bool(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(_has_bool(v) for v in value))


class Strict(BaseModel):
    """A schema section: unknown keys are errors, assignments are validated, and numbers are ordinary
    numbers: NaN and infinities are refused everywhere (``allow_inf_nan``), and so are ``true`` /
    ``false`` where a number is expected (pydantic would read them as 1 and 0)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if _has_bool(value) and info.field_name and _numeric(cls.model_fields[info.field_name].annotation):
            raise PydanticCustomError("bool_not_number", "Input should be a number, not true or false")
        return value


def probability(default: float, desc: str) -> Any:
    """A probability field in [0, 1]."""
    return Field(default, ge=0.0, le=1.0, description=desc)


def rate(default: float, desc: str) -> Any:
    """A non-negative rate field (its unit is in ``desc`` and in the key name)."""
    return Field(default, ge=0.0, description=desc)
