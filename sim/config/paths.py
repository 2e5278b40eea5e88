"""Key paths into scenario data: dotted get/set (``population.size``, ``shocks.0.start_day``), their
printable form, the field names of a schema section, the map from key paths to YAML line numbers, and
the one-line-per-error messages built from them.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.config.errors import ScenarioError


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``dotted='a.b.c'``; list items by index (``shocks.0.start_day``).

    >>> d = {}; set_path(d, "population.size", 10); d
    {'population': {'size': 10}}
    """
    parts = dotted.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                raise ScenarioError(f"'{'.'.join(parts[: i + 1])}' is not an item of a list") from None
            continue
        if part not in node or node[part] is None:
            node[part] = {}
        if not isinstance(node[part], (dict, list)):
            raise ScenarioError(f"'{'.'.join(parts[: i + 1])}' is a value, not a section")
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        try:
            node[int(last)] = value
        except (ValueError, IndexError):
            raise ScenarioError(f"'{dotted}' is not an item of a list") from None
    else:
        node[last] = value


def get_path(data: dict, dotted: str) -> Any:
    """``data[a][b][c]`` for ``dotted='a.b.c'`` (raises KeyError, IndexError, TypeError or ValueError).

    >>> get_path({"a": [{"b": 1}]}, "a.0.b")
    1
    """
    node: Any = data
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def format_loc(loc: tuple) -> str:
    """A pydantic error location as a key path: ``("shocks", 0, "start_day")`` → ``shocks[0].start_day``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(ann: Any) -> Any:
    """The BaseModel class inside Optional[...] / list[...] annotations, else the annotation."""
    for arg in (typing.get_args(ann) or ()):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return ann


def field_names_at(root: Any, loc: tuple) -> list[str]:
    """Field names of the schema section reached by following ``loc`` from the model class ``root``."""
    cls: Any = root
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return []
        cls = _unwrap(cls.model_fields[part].annotation)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


class LineMap:
    """Maps key paths (tuples) of a YAML document to 1-based line numbers, for error messages."""

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        self.overridden: set[tuple] = set()  # key paths set with --set: reported as such
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                self._walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (i,))

    def line_for(self, loc: tuple) -> int | None:
        """The line of ``loc``, or of its nearest enclosing key that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def describe_errors(err: ValidationError, source: str, linemap: LineMap | None, root: Any) -> str:
    """One line per pydantic error: ``<file>:<line>: <key.path>: <what is wrong>``.

    ``root`` is the model the data was validated against (for 'did you mean' hints on unknown keys);
    keys set with ``--set`` are blamed on ``--set``, not on a line of the file.
    """
    messages = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p not in ("function-after",))
        key = format_loc(loc) or "(top level)"
        where = source
        strloc = tuple(str(p) for p in loc)
        if linemap is not None and any(strloc[: len(k)] == k for k in linemap.overridden):
            where = f"{source} (--set)"
        elif linemap is not None:
            line = linemap.line_for(loc)
            if line is not None:
                where = f"{source}:{line}"
        removed = getattr(root, "REMOVED_KEYS", {}).get(".".join(str(p) for p in loc if not isinstance(p, int)))
        if e["type"] == "extra_forbidden" and removed:
            messages.append(f"{where}: {key}: removed in lonesim 0.2: {removed}")
            continue
        if e["type"] == "extra_forbidden":
            known = field_names_at(root, loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            msg = f"unknown key '{loc[-1]}'"
            msg += f" (did you mean '{hint[0]}'?)" if hint else (f"; known keys: {', '.join(known)}" if known else "")
        else:
            msg = e["msg"]
            if "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {e['input']!r})"
        messages.append(f"{where}: {key}: {msg}")
    return "\n".join(messages)
