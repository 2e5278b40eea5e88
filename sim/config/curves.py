"""Age curves in the schema: a quantity given at a few ages and interpolated linearly between them.

Used for everything the population draws by age (share partnered, employed, in groups, ...): the
YAML gives ``ages: [...]`` and ``values: [...]`` (or ``female`` / ``male`` lists), each knot from a
published table, so a reader can check every number against its source.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from sim.config.base import Strict


class AgeCurve(Strict):
    """A value by age (years): linear between the knots, constant beyond the first and last."""

    written_whole = True

    ages: list[float] = Field(..., min_length=1, description="Ages of the knots, years, increasing.")
    values: list[float] = Field(..., min_length=1, description="Value at each knot (same length as ages).")

    @model_validator(mode="after")
    def _same_length_and_increasing(self) -> AgeCurve:
        if len(self.ages) != len(self.values):
            raise ValueError(f"ages and values must have the same length (got {len(self.ages)} and {len(self.values)})")
        if any(b <= a for a, b in zip(self.ages, self.ages[1:])):
            raise ValueError("ages must be strictly increasing")
        return self

    def at(self, age: np.ndarray) -> np.ndarray:
        """The curve at each age (float64 array)."""
        return np.interp(np.asarray(age, np.float64), self.ages, self.values)


class SexAgeCurve(Strict):
    """A value by age (years) and sex: two curves on the same knots."""

    written_whole = True

    ages: list[float] = Field(..., min_length=1, description="Ages of the knots, years, increasing.")
    female: list[float] = Field(..., min_length=1, description="Value for women at each knot.")
    male: list[float] = Field(..., min_length=1, description="Value for men at each knot.")

    @model_validator(mode="after")
    def _same_length_and_increasing(self) -> SexAgeCurve:
        if not len(self.ages) == len(self.female) == len(self.male):
            raise ValueError("ages, female and male must have the same length")
        if any(b <= a for a, b in zip(self.ages, self.ages[1:])):
            raise ValueError("ages must be strictly increasing")
        return self

    def at(self, age: np.ndarray, male: np.ndarray) -> np.ndarray:
        """The curve at each (age, sex) pair; ``male`` is a boolean array (float64 result)."""
        age = np.asarray(age, np.float64)
        return np.where(male, np.interp(age, self.ages, self.male), np.interp(age, self.ages, self.female))


def probability_values(values: list[float], name: str) -> None:
    """Raise ValueError unless every value is a probability in [0, 1]."""
    bad = [v for v in values if not 0.0 <= v <= 1.0]
    if bad:
        raise ValueError(f"{name}: values must lie in [0, 1] (got {bad[0]})")
