"""Reading scenario files: YAML with line numbers, ``--set`` overrides, validation into a :class:`Scenario`.

Errors never escape as tracebacks: :class:`ScenarioError` carries one message that names the file,
the key path and (for YAML) the line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.config.errors import ScenarioError
from sim.config.expand import check_sweep
from sim.config.paths import LineMap, describe_errors, format_loc, printable, set_path, shown
from sim.config.schema import Scenario, safe_name
from sim.config.sensitivity import check_sensitivity
from sim.config.yamlsafe import AmbiguousNumberError, load_yaml, read_text


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


def read_yaml_file(path: str | Path, what: str = "scenario") -> tuple[Any, LineMap]:
    """Read a YAML file within bounds (:mod:`sim.config.yamlsafe`); return its data and line map.

    An empty file (or one of comments only) is an error: it is almost always a mistake, and a run of
    it would silently simulate the full default town. (``{}`` asks for the defaults explicitly.)
    """
    text = read_text(path, what=f"{what} file")
    data, lines = load_yaml(text, str(path))
    if data is None:
        raise ScenarioError(f"{path}: the {what} file is empty (write {{}} for all defaults, or start from "
                            "`lonesim defaults`)")
    return data, LineMap(lines=lines)


def apply_overrides(data: dict, overrides: dict[str, Any], linemap: LineMap) -> None:
    """Apply ``--set`` overrides to raw scenario data; errors are blamed on ``--set``, never on a file line."""
    for key, value in overrides.items():
        try:
            done = set_path(data, key, value)
        except ScenarioError as exc:
            raise ScenarioError(f"--set {shown(key)}: {exc}") from None
        linemap.overridden.add(tuple(str(p) for p in done))


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None, notes: list[str] | None = None) -> Scenario:
    """Read, override and validate a scenario file. A relative ``network.path`` resolves against the file.

    ``notes``, when given, receives one ``warning: <file>:<line>: <key>: ...`` line for each thing in
    the scenario that is valid but will not do what it seems to (a shock after the last day).
    """
    return load_scenario_lines(path, overrides, notes)[0]


def load_scenario_lines(path: str | Path, overrides: dict[str, Any] | None = None,
                        notes: list[str] | None = None) -> tuple[Scenario, LineMap]:
    """:func:`load_scenario`, also returning the file's line map (``--set`` keys marked), for messages
    about the scenario that come later (e.g. that a run cannot fit in memory)."""
    path = Path(path)
    data, linemap = read_yaml_file(path)
    if isinstance(data, dict):
        data.setdefault("name", safe_name(path.stem))
        net = data.get("network")
        if isinstance(net, dict) and isinstance(net.get("path"), str) and "\0" not in net["path"]:
            p = Path(net["path"])
            if not p.is_absolute():
                try:
                    net["path"] = str((path.parent / p).resolve())
                except (OSError, RuntimeError):  # a symlink loop, a name too long: left as written
                    pass
    if overrides:
        if not isinstance(data, dict):
            raise ScenarioError(f"{path}: the scenario must be a YAML mapping of keys to values")
        apply_overrides(data, overrides, linemap)
    scenario = validate_scenario(data, source=str(path), linemap=linemap)
    if scenario.network.kind == "edgelist":
        where = f"{path} (--set)" if linemap.is_overridden(("network", "path")) else \
            f"{path}:{linemap.line_for(('network', 'path'))}"
        edge_path = scenario.network.path
        try:
            st = os.stat(edge_path)
        except (OSError, ValueError):
            st = None
        shown_path = printable(edge_path)[1:-1]
        if st is None:
            raise ScenarioError(f"{where}: network.path: edge-list file not found: {shown_path}")
        if stat.S_ISDIR(st.st_mode):
            raise ScenarioError(f"{where}: network.path: {shown_path} is a folder, not an edge-list file")
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read, a device never end
            raise ScenarioError(f"{where}: network.path: {shown_path} is not a regular file (a named pipe, device or "
                                "socket): give an edge-list file")
    if notes is not None:
        for loc, message in scenario.calendar_warnings():
            where = f"{path} (--set)" if linemap.is_overridden(loc) else f"{path}:{linemap.line_for(loc)}"
            notes.append(f"warning: {where}: {format_loc(loc)}: {message}")
    return scenario, linemap


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are YAML scalars/lists (``0.5``, ``true``, ``[1, 2]``).

    >>> parse_set_options(["population.size=500", "network.kind=holme_kim"])
    {'population.size': 500, 'network.kind': 'holme_kim'}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set {printable(item)}: expected key.path=value")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"--set {printable(item)}: empty key")
        source = f"--set {shown(key)}"
        try:
            out[key] = load_yaml(raw, source)[0] if raw.strip() else ""
        except AmbiguousNumberError as exc:  # (a one-line value: its line number says nothing)
            raise AmbiguousNumberError(str(exc).replace(f"{source}:1:", f"{source}:", 1)) from None
        except ScenarioError as exc:
            if "too big" in str(exc):
                raise
            out[key] = raw  # not YAML: the text itself (e.g. a name with a colon)
    return out
