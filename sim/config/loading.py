"""Reading scenario files: YAML with line numbers, ``--set`` overrides, validation into a :class:`Scenario`.

Errors never escape as tracebacks: :class:`ScenarioError` carries one message that names the file,
the key path and (for YAML) the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.config.errors import ScenarioError
from sim.config.expand import check_sweep
from sim.config.paths import LineMap, describe_errors, set_path
from sim.config.schema import Scenario
from sim.config.sensitivity import check_sensitivity


def validate_scenario(data: Any, source: str = "<scenario>", linemap: LineMap | None = None) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario` (sweep block included), raising :class:`ScenarioError`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the scenario must be a YAML mapping of keys to values")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(describe_errors(err, source, linemap, Scenario)) from None
    check_sweep(scenario, source=source, linemap=linemap)
    check_sensitivity(scenario, source=source, linemap=linemap)
    return scenario


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file. A relative ``network.path`` resolves against the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: YAML syntax error: {problem}") from None
    if data is None:
        data = {}
    linemap = LineMap(text)
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
        net = data.get("network")
        if isinstance(net, dict) and isinstance(net.get("path"), str):
            p = Path(net["path"])
            if not p.is_absolute():
                net["path"] = str((path.parent / p).resolve())
    if overrides:
        if not isinstance(data, dict):
            data = {}
        for key, value in overrides.items():
            try:
                set_path(data, key, value)
            except ScenarioError as exc:
                raise ScenarioError(f"--set {key}: {exc}") from None
        linemap.overridden = {tuple(k.split(".")) for k in overrides}
    scenario = validate_scenario(data, source=str(path), linemap=linemap)
    if scenario.network.kind == "edgelist" and not Path(scenario.network.path).exists():
        line = linemap.line_for(("network", "path"))
        raise ScenarioError(f"{path}:{line}: network.path: edge-list file not found: {scenario.network.path}")
    return scenario


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are YAML scalars/lists (``0.5``, ``true``, ``[1, 2]``).

    >>> parse_set_options(["population.size=500", "network.kind=holme_kim"])
    {'population.size': 500, 'network.kind': 'holme_kim'}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected key.path=value")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"--set {item!r}: empty key")
        try:
            out[key] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key] = raw
    return out
