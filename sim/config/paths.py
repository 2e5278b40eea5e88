"""Key paths into scenario data: dotted get/set (``population.size``, ``shocks.0.start_day``), their
printable form, the field names of a schema section, the map from key paths to YAML line numbers, and
the one-line-per-error messages built from them.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.config.errors import ScenarioError
from sim.config.yamlsafe import load_yaml


def _index(node: list, part: str, shown: str) -> int:
    """The list index ``part`` names (0-based; negative counts from the end), or a ScenarioError."""
    try:
        i = int(part)
    except ValueError:
        raise ScenarioError(f"{printable(shown)} is not an item of a list (use a number: 0 for the first item)") from None
    if not -len(node) <= i < len(node):
        raise ScenarioError(f"{printable(shown)} is not an item of a list (the list has {len(node)} item(s))")
    return i % len(node)


def set_path(data: dict, dotted: str, value: Any) -> tuple:
    """Set ``data[a][b][c] = value`` for ``dotted='a.b.c'``; list items by index (``shocks.0.start_day``).

    Returns the key path that was set, list indices as written in the data (``shocks.-1`` gives
    ``("shocks", 2)`` for a list of three), so errors can name it.

    >>> d = {}; set_path(d, "population.size", 10); d
    {'population': {'size': 10}}
    """
    if not isinstance(dotted, str) or not dotted or any(not p for p in dotted.split(".")):
        raise ScenarioError(f"{printable(dotted)}: not a key path (parts separated by dots, e.g. population.size)")
    parts = dotted.split(".")
    node: Any = data
    done: list[Any] = []
    for i, part in enumerate(parts[:-1]):
        shown = ".".join(parts[: i + 1])
        if isinstance(node, list):
            k = _index(node, part, shown)
            done.append(k)
            node = node[k]
            if not isinstance(node, (dict, list)):
                raise ScenarioError(f"{printable(shown)} is a value, not a section")
            continue
        if part not in node or node[part] is None:
            node[part] = {}
        if not isinstance(node[part], (dict, list)):
            raise ScenarioError(f"{printable(shown)} is a value, not a section")
        done.append(part)
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        k = _index(node, last, dotted)
        node[k] = value
        done.append(k)
    else:
        node[last] = value
        done.append(last)
    return tuple(done)


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
    """A pydantic error location as a key path: ``("shocks", 0, "start_day")`` → ``shocks[0].start_day``.

    Keys that are not plain words are quoted, so the path always prints on one line."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{_key_text(part)}" if out else _key_text(part))
    return out


def section_models(ann: Any) -> list[type[BaseModel]]:
    """The BaseModel classes inside an annotation: ``X``, ``X | None``, ``list[X]``, and each member of a
    (discriminated) union ``Annotated[A | B, ...]``."""
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    out: list[type[BaseModel]] = []
    for arg in (typing.get_args(ann) or ()):
        out += [m for m in section_models(arg) if m not in out]
    return out


def _tag(model: type[BaseModel]) -> str | None:
    """The kind a member of a discriminated union stands for (its ``kind: Literal[...]`` field), else None."""
    field = model.model_fields.get("kind")
    args = typing.get_args(field.annotation) if field is not None else ()
    return args[0] if typing.get_origin(field.annotation) is typing.Literal and len(args) == 1 else None


def resolve_loc(root: Any, loc: tuple) -> tuple[tuple, list[type[BaseModel]], str | None]:
    """Follow a pydantic error location from the model class ``root``: the location as the file writes it
    (without the tags pydantic inserts for a discriminated union, e.g. ``("interventions", 0,
    "smile_campaign", "group_size")`` → ``("interventions", 0, "group_size")``), the section classes
    reached (several while a union is not yet decided), and the last union tag passed (or None)."""
    options: list[type[BaseModel]] = [root] if isinstance(root, type) and issubclass(root, BaseModel) else []
    clean: list = []
    tag = None
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            clean.append(part)
            continue
        owner = next((m for m in options if part in m.model_fields), None)
        tagged = [m for m in options if _tag(m) == part] if owner is None else []
        if tagged:
            options, tag = tagged, part  # pydantic's union tag: not a key of the file
            continue
        clean.append(part)
        options = section_models(owner.model_fields[part].annotation) if owner is not None else []
    return tuple(clean), options, tag


def field_names_at(root: Any, loc: tuple) -> list[str]:
    """Field names of the schema section reached by following ``loc`` from the model class ``root``."""
    _, options, _ = resolve_loc(root, loc)
    return list(options[0].model_fields) if options else []


def _other_kinds(root: Any, loc: tuple) -> list[str]:
    """The kinds of the union at ``loc``'s section that do have the key ``loc[-1]``."""
    _, options, tag = resolve_loc(root, loc[:-1])
    if tag is None:
        return []
    _, members, _ = resolve_loc(root, tuple(p for p in loc[:-1] if p != tag))
    return [t for m in members if loc[-1] in m.model_fields and (t := _tag(m)) is not None]


class LineMap:
    """Maps key paths of a YAML document to 1-based line numbers, for error messages.

    Built from the key lines :func:`sim.config.yamlsafe.load_yaml` returns (``LineMap(lines=...)``), or
    from a document's text (``LineMap(text)``, which reads it within the same bounds and maps nothing
    when it cannot be read). Key path parts are compared as text, so ``("shocks", 0)`` and
    ``("shocks", "0")`` are the same path.
    """

    def __init__(self, text: str | None = None, lines: dict[tuple, int] | None = None):
        if lines is None and text is not None:
            try:
                _, lines = load_yaml(text, "<text>")
            except ScenarioError:
                lines = {}
        self.lines: dict[tuple, int] = {_text_path(k): v for k, v in (lines or {}).items()}
        self.overridden: set[tuple] = set()  # key paths set with --set: reported as such

    def line_for(self, loc: tuple) -> int | None:
        """The line of ``loc``, or of its nearest enclosing key that has one."""
        loc = _text_path(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())

    def where(self, source: str, dotted: str) -> str:
        """``<source>:<line>`` of the key path ``dotted`` when the file sets it, ``<source> (--set)`` when
        ``--set`` does, else ``<source>`` (a default value has no line)."""
        loc = tuple(dotted.split("."))
        if self.is_overridden(loc):
            return f"{source} (--set)"
        line = self.lines.get(_text_path(loc))
        return f"{source}:{line}" if line else str(source)

    def is_overridden(self, loc: tuple) -> bool:
        """Whether ``loc`` is, or lies inside, a key path set with ``--set`` (or is a section holding one:
        a check of ``output`` that a ``--set output.survey_days=...`` failed is blamed on ``--set``)."""
        loc = _text_path(loc)
        return any(loc[: len(k)] == k or (loc and k[: len(loc)] == loc) for k in self.overridden)


def _text_path(loc: Any) -> tuple:
    return tuple(str(p) for p in loc)


def printable(value: Any, limit: int = 80) -> str:
    """``repr(value)`` on one line, cut to about ``limit`` characters (for values quoted in messages)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):  # cut the text, not its quotes: the quoted part stays whole
        while len(repr(value)) > limit and value:
            value = value[: max(len(value) // 2, len(value) - (len(repr(value)) - limit))]
        return repr(value) + "..."
    return text[:limit] + "..."


def shown(text: Any, limit: int = 80) -> str:
    """``text`` as is when it is short and printable, else quoted and escaped (:func:`printable`)."""
    text = str(text)
    return text if text.isprintable() and len(text) <= limit else printable(text, limit)


def _key_text(part: Any) -> str:
    """A key as shown in a message: as written when it is a plain word or a dotted path, else quoted (no newlines,
    no terminal escapes can reach the one-line message)."""
    text = str(part)
    if text and text.isprintable() and len(text) <= 80 and not any(c in text for c in " []:'\""):
        return text
    return printable(text)


def describe_errors(err: ValidationError, source: str, linemap: LineMap | None, root: Any) -> str:
    """One line per pydantic error: ``<file>:<line>: <key.path>: <what is wrong>``.

    ``root`` is the model the data was validated against (for 'did you mean' hints on unknown keys);
    keys set with ``--set`` are blamed on ``--set``, not on a line of the file.
    """
    messages = []
    for e in err.errors():
        full = tuple(e["loc"])
        if e["type"] != "extra_forbidden":  # (an unknown key may be called anything)
            full = tuple(p for p in full if p not in ("function-after",))
        if e["type"] == "programme_kind":  # a programme's kind is missing or unknown: blame its kind key
            full += ("kind",)
        loc, _, tag = resolve_loc(root, full[:-1])
        loc += full[-1:]
        key = format_loc(loc) or "(top level)"
        where = source
        if linemap is not None and linemap.is_overridden(loc):
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
            known = field_names_at(root, full[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            msg = f"unknown key {printable(str(loc[-1]))}"
            owners = _other_kinds(root, full)
            if tag is not None and owners:
                msg += f": not a field of a {tag} programme (it belongs to {', '.join(owners)})"
            else:
                msg += f" (did you mean '{hint[0]}'?)" if hint else (f"; known keys: {', '.join(known)}" if known else "")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "programme_kind":  # (the input is the whole programme: show its kind)
                kind = e["input"].get("kind") if isinstance(e.get("input"), dict) else None
                msg += f" (got {printable(kind)})" if kind is not None else ""
            elif "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {printable(e['input'])})"
        messages.append(f"{where}: {key}: {msg}")
    return "\n".join(messages)
