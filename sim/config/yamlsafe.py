"""Reading YAML a user wrote, within bounds, with the line of every key.

PyYAML's safe loader is safe from code execution but not from size: a few hundred bytes of nested
aliases ("billion laughs") stand for billions of values, which anything that walks the data (the line
map, pydantic, a deep copy) then expands. :func:`load_yaml` therefore composes the document once,
refuses it before building any Python object when it is too big, too deep or recursive (aliases counted
as the values they stand for), refuses a key given twice in one mapping (YAML would silently keep the
last), refuses numbers whose value YAML 1.1 (PyYAML) and YAML 1.2 read differently (see
:func:`ambiguous_number`), and returns the data together with the line of every key path.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from sim.config.errors import ScenarioError

#: Largest input file read, bytes (scenario and experiment files are a few KB).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Most values (scalars, lists and mappings) in one document, aliases expanded: far above any
#: scenario (a default scenario has ~170; a zip of two lists of 100,000 values fits). PyYAML's nodes
#: take ~1 KB each, so this also bounds the memory of reading a document (~200 MB).
MAX_VALUES = 200_000
#: Deepest nesting of lists and mappings, aliases expanded (a scenario nests 5 deep).
MAX_DEPTH = 50


class AmbiguousNumberError(ScenarioError):
    """A number written in a form YAML 1.1 and YAML 1.2 read differently (``0365``, ``1:00``, ``0x10``, ``1_000``)."""


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
#: Integers and decimals every YAML version reads alike: no leading zero, no ``_``, no ``:``, base 10.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


def ambiguous_number(node: yaml.Node) -> str | None:
    """Why the plain scalar ``node`` is a number YAML versions disagree on, or None.

    PyYAML reads YAML 1.1, where ``0365`` is octal (245), ``1:00`` is sexagesimal (60), ``0x10`` is
    hexadecimal (16), ``0b101`` binary and ``010_000`` drops the ``_`` (then octal: 4096); YAML 1.2 reads
    ``0365`` as 365 and ``1:00`` and ``010_000`` as text. A value that means one number to the reader and
    another to the program is refused, so a scenario never runs on a number its author did not write.
    """
    if not isinstance(node, yaml.ScalarNode) or node.style is not None or node.tag not in (_INT_TAG, _FLOAT_TAG):
        return None
    text = node.value
    plain = _PLAIN_INT if node.tag == _INT_TAG else _PLAIN_FLOAT
    if plain.fullmatch(text):
        return None
    body = text.lstrip("+-")
    if ":" in text:
        why = "as sexagesimal (base 60)"
    elif body[:2].lower() == "0x":
        why = "as hexadecimal"
    elif body[:2].lower() == "0b":
        why = "as binary"
    elif "_" in text:
        why = "with the '_' dropped" + (", as octal" if node.tag == _INT_TAG and body[:1] == "0" else "")
    else:
        why = "as octal (a leading zero)"
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:  # pragma: no cover - the resolver matched it, so it constructs
        value = "?"
    return f"'{text}' is a number YAML versions read differently: YAML 1.1 reads it {why}: {value!r}; " \
           "write the decimal number (no leading zeros, no '_' or ':'), or quote it if it is text"


class YAMLLimitError(yaml.YAMLError):
    """A document over one of the bounds; ``problem_mark`` is where."""

    def __init__(self, problem: str, mark: Any = None):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader, counting the nodes it composes and how deep they nest."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML's hook
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        self._nodes += 1
        try:
            mark = self.peek_event().start_mark
            if self._depth > MAX_DEPTH:
                raise YAMLLimitError(f"nested more than {MAX_DEPTH} levels deep", mark)
            if self._nodes > MAX_VALUES:
                raise YAMLLimitError(f"more than {MAX_VALUES:,} values", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: yaml.Node) -> None:
    """Raise :class:`YAMLLimitError` if ``root``, with every alias expanded, holds more than
    :data:`MAX_VALUES` values, nests deeper than :data:`MAX_DEPTH`, or contains itself. Each node is
    visited once (sizes are summed over the graph of anchors), so this costs the size of the text."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            kids = _children(node)
            size[key] = 1 + sum(size[id(c)] for c in kids)
            depth[key] = 1 + max((depth[id(c)] for c in kids), default=0)
            visiting.discard(key)
            if size[key] > MAX_VALUES:
                raise YAMLLimitError(f"its aliases expand to more than {MAX_VALUES:,} values", node.start_mark)
            if depth[key] > MAX_DEPTH:
                raise YAMLLimitError(f"its aliases nest more than {MAX_DEPTH} levels deep", node.start_mark)
            continue
        if key in size:
            continue
        if key in visiting:
            raise YAMLLimitError("an alias refers to a value that contains it (a recursive structure)", node.start_mark)
        visiting.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)


def _shown(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def key_lines(root: yaml.Node, source: str) -> dict[tuple, int]:
    """The 1-based line of every key path of a composed document (list items by index); raises
    :class:`ScenarioError` for a key given twice in one mapping, naming both lines, and
    :class:`AmbiguousNumberError` for a value :func:`ambiguous_number` refuses."""
    lines: dict[tuple, int] = {}
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":  # '<<: *defaults' merges, on purpose
                    stack.append((value_node, path))
                    continue
                ident = (key_node.tag, key_node.value)
                if ident in seen:
                    where = _shown(path + (key_node.value,))
                    raise ScenarioError(f"{source}:{line}: {where}: duplicate key '{key_node.value}' (first on line "
                                        f"{seen[ident]}; YAML would silently keep only the last)")
                seen[ident] = line
                lines[path + (key_node.value,)] = line
                stack.append((value_node, path + (key_node.value,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, path + (i,)) for i, item in enumerate(node.value))
        else:
            why = ambiguous_number(node)
            if why is not None:
                line = node.start_mark.line + 1
                where = f"{source}:{line}: {_shown(path)}" if path else f"{source}:{line}"
                raise AmbiguousNumberError(f"{where}: {why}")
    return lines


def load_yaml(text: str, source: str) -> tuple[Any, dict[tuple, int]]:
    """Parse one YAML document within the bounds above; return ``(data, key_lines)``.

    Raises :class:`ScenarioError` (``<source>:<line>: ...``) for syntax errors, documents over the
    bounds, duplicate keys and values YAML cannot build (e.g. an unhashable key).
    """
    loader = None
    try:
        try:
            loader = _BoundedLoader(text)  # (PyYAML checks here that every character is printable)
            root = loader.get_single_node()
            if root is None:
                return None, {}
            check_expansion(root)
            lines = key_lines(root, source)
            data = loader.construct_document(root)
        finally:
            if loader is not None:
                loader.dispose()
    except YAMLLimitError as exc:
        line = f":{exc.problem_mark.line + 1}" if exc.problem_mark is not None else ""
        raise ScenarioError(f"{source}{line}: the YAML document is too big to read: {exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: YAML syntax error: {problem}") from None
    except RecursionError:  # pragma: no cover - the depth bound keeps PyYAML's recursion far below the limit
        raise ScenarioError(f"{source}: the YAML document is nested too deeply") from None
    return data, lines


def read_text(path: Any, what: str = "file") -> str:
    """Read a UTF-8 text file of at most :data:`MAX_FILE_BYTES` bytes (pipes and devices too: never more
    than that is read); raises :class:`ScenarioError` naming ``path``."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ScenarioError(f"{path}: is a folder, not a {what}") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read {what} ({getattr(exc, 'strerror', None) or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not a {what}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x}); not a {what}") from None
