"""Sweep blocks: checking them and expanding them into concrete scenarios (``lonesim sweep``).

A ``sweep:`` block crosses a ``grid`` (Cartesian product) with ``zip`` lists (walked together).
:func:`check_sweep` validates the block without expanding it (each swept value on its own, so the
work is the number of values, not the number of points), refusing blocks of more than
:data:`MAX_POINTS` points or :data:`MAX_RUNS` runs before anything is built. :func:`iter_points`
then yields the points one at a time (what ``validate``, ``sweep --dry-run`` and ``sweep`` use, so
memory never grows with the number of points); :func:`expand_sweep` lists them.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.config.errors import ScenarioError
from sim.config.paths import LineMap, field_names_at, format_loc, get_path, set_path
from sim.config.schema import Scenario, SweepConfig

#: Most points a sweep may have (grid product x zip length): far beyond any sweep that can be run,
#: small enough that its plan (the overrides of each point, the name of each run) fits in memory.
MAX_POINTS = 100_000
#: Most runs a sweep may have (points x replicates).
MAX_RUNS = 100_000


class SweepPoint(BaseModel):
    """One concrete point of a sweep: its index, the overrides that define it, and the scenario."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: int
    overrides: dict[str, Any]
    scenario: Scenario

    @property
    def label(self) -> str:
        """``key=value, ...`` of the point's overrides (``base`` when there are none)."""
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "base"


def _where(source: str, linemap: LineMap | None, *loc: Any) -> str:
    line = linemap.line_for(loc) if linemap else None
    return f"{source}:{line}" if line else source


def count_points(sweep: SweepConfig) -> int:
    """Points of a sweep block without expanding it: the grid's product times the zip length."""
    grid = math.prod(len(v) for v in sweep.grid.values()) if sweep.grid else 1
    zipped = min((len(v) for v in sweep.zip.values()), default=1) if sweep.zip else 1
    return grid * zipped


def check_sweep(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None) -> int:
    """Check a scenario's sweep block and return its number of points (raises :class:`ScenarioError`).

    Checks: no empty list, zip lists of equal length, at most :data:`MAX_POINTS` points, every key a
    parameter path of the schema, and every value valid for its key on the base scenario.
    """
    sweep = scenario.sweep
    if sweep is None:
        return 1
    for sub, block in (("grid", sweep.grid), ("zip", sweep.zip)):
        for key, values in block.items():
            if not values:
                raise ScenarioError(f"{_where(source, linemap, 'sweep', sub, key)}: sweep.{sub}.{key}: empty list of values")
    zip_lengths = {len(v) for v in sweep.zip.values()}
    if len(zip_lengths) > 1:
        raise ScenarioError(f"{_where(source, linemap, 'sweep', 'zip')}: sweep.zip: all lists must have the same "
                            f"length (got {sorted(zip_lengths)})")
    points = count_points(sweep)
    if points > MAX_POINTS:
        raise ScenarioError(f"{_where(source, linemap, 'sweep')}: sweep: {points:,} points is more than the "
                            f"{MAX_POINTS:,} a sweep may have (split it into several sweeps)")
    if points * sweep.replicates > MAX_RUNS:
        raise ScenarioError(f"{_where(source, linemap, 'sweep', 'replicates')}: sweep.replicates: {points:,} points "
                            f"x {sweep.replicates:,} replicates is more than the {MAX_RUNS:,} runs a sweep may have "
                            "(split it into several sweeps)")
    base = scenario.model_dump(mode="json")
    base["sweep"] = None
    for sub, block in (("grid", sweep.grid), ("zip", sweep.zip)):
        for key, values in block.items():
            where = _where(source, linemap, "sweep", sub, key)
            _check_key(base, key, sub, where)
            for value in values:
                raw = _copy_along(base, key)
                set_path(raw, key, value)
                try:
                    Scenario.model_validate(raw)
                except ValidationError as err:
                    first = err.errors()[0]
                    raise ScenarioError(f"{where}: sweep.{sub}.{key}: value {value!r}: "
                                        f"{format_loc(tuple(first['loc']))}: {first['msg']}") from None
    return points


def _check_key(base: dict, key: str, sub: str, where: str) -> None:
    try:
        get_path(base, key)
    except (KeyError, IndexError, TypeError, ValueError):
        known = field_names_at(Scenario, tuple(key.split("."))[:-1])
        hint = difflib.get_close_matches(key.split(".")[-1], known, n=1, cutoff=0.5)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        raise ScenarioError(f"{where}: sweep.{sub}.{key}: unknown parameter path{extra}") from None


def _copy_along(raw: dict, dotted: str) -> dict:
    """A copy of ``raw`` in which only the mappings and lists on the path ``dotted`` are new (so setting
    that path leaves ``raw`` as it was): a point costs the length of its paths, not a deep copy."""
    top = dict(raw)
    node: Any = top
    for part in dotted.split(".")[:-1]:
        if isinstance(node, list):
            try:
                i = int(part)
                child = node[i]
            except (ValueError, IndexError):
                return top
        elif isinstance(node, dict) and part in node:
            i, child = part, node[part]
        else:
            return top
        if not isinstance(child, (dict, list)):
            return top
        node[i] = child = child.copy()
        node = child
    return top


def iter_points(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None,
                dumps: bool = True) -> Iterator[tuple[int, dict[str, Any], Any]]:
    """The sweep's points one at a time, each validated: ``(index, overrides, point)``, the point as
    JSON data (``dumps``) or as its :class:`Scenario`.

    Checks the block first (:func:`check_sweep`); a point whose values are each valid but not together
    raises :class:`ScenarioError` naming them. Holds one point at a time.
    """
    check_sweep(scenario, source, linemap)
    sweep = scenario.sweep or SweepConfig()
    base = scenario.model_dump(mode="json")
    base["sweep"] = None
    grid_keys = list(sweep.grid)
    zip_keys = list(sweep.zip)
    zip_rows = list(zip(*(sweep.zip[k] for k in zip_keys))) if zip_keys else [()]
    index = 0
    for combo in (itertools.product(*(sweep.grid[k] for k in grid_keys)) if grid_keys else [()]):
        for row in zip_rows:
            overrides = dict(zip(grid_keys, combo)) | dict(zip(zip_keys, row))
            raw = base
            for key, value in overrides.items():
                raw = _copy_along(raw, key)
                set_path(raw, key, value)
            try:
                concrete = Scenario.model_validate(raw)
            except ValidationError as err:  # a combination of values that are each valid on their own
                first = err.errors()[0]
                label = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
                raise ScenarioError(f"{_where(source, linemap, 'sweep')}: sweep point ({label}): "
                                    f"{format_loc(tuple(first['loc']))}: {first['msg']}") from None
            yield index, overrides, (concrete.model_dump(mode="json") if dumps else concrete)
            index += 1


def expand_sweep(scenario: Scenario, source: str = "<scenario>", linemap: LineMap | None = None) -> list[SweepPoint]:
    """Concrete scenarios of a sweep block (grid x zip), each validated, without the sweep block.

    Holds every point's :class:`Scenario` (about 15 KB each); the command line walks :func:`iter_points` instead.
    """
    return [SweepPoint(index=i, overrides=ov, scenario=Scenario.model_validate(dump))
            for i, ov, dump in iter_points(scenario, source, linemap)]
