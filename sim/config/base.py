"""Building blocks of the scenario schema: the strict base model and field helpers with units.

Every field of the schema states its unit in its description (``per day``, ``per year``,
``per contact``) and the source of its default; ``docs/parameters.md`` is generated from them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """A schema section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def probability(default: float, desc: str) -> Any:
    """A probability field in [0, 1]."""
    return Field(default, ge=0.0, le=1.0, description=desc)


def rate(default: float, desc: str) -> Any:
    """A non-negative rate field (its unit is in ``desc`` and in the key name)."""
    return Field(default, ge=0.0, description=desc)
