"""Social graphs: seeded builders, edge-list loading, near-isolates, and the array form the kernels use.

A graph crosses module boundaries in one of two forms:

* a NetworkX ``Graph`` with nodes ``0..n-1`` (the interface: export, drawing, Mesa's ``Network``);
* an undirected edge list ``(u, v)`` of int32 arrays with ``u < v`` (what the daily kernels use,
  together with a CSR index built by :func:`sim.fastgraph.csr_from_edges`).

NetworkX needs about 1.3 KB per node and seconds per million nodes, so large populations are
generated straight into arrays by :mod:`sim.fastgraph` (same model families, own realisations).
"""

from __future__ import annotations

import csv
import functools
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from sim.config import NetworkConfig, ScenarioError

ARRAY_GENERATOR_THRESHOLD = 50_000  # people; above this 'auto' generates arrays (NetworkX: 1.9 s at 100k vs 0.06 s)


@dataclass
class EdgeList:
    """An undirected simple graph on nodes ``0..n-1`` as int32 arrays with ``u < v``; optionally each
    tie's kind (int8 codes of :mod:`sim._core`) and closeness (0–1, float32)."""

    n: int
    u: np.ndarray
    v: np.ndarray
    labels: list | None = None  # original node labels of a loaded edge list, index = node id
    kind: np.ndarray | None = None
    closeness: np.ndarray | None = None
    weight: np.ndarray | None = None  # float32 tie strengths in (0, 1] of a weighted edge list, one per tie
    notes: list[str] = field(default_factory=list)  # what loading dropped or changed, one line each

    @property
    def m(self) -> int:
        """Number of ties."""
        return int(self.u.size)


def _canonical(n: int, u: np.ndarray, v: np.ndarray) -> EdgeList:
    """Drop self-loops and duplicates; orient ``u < v``; sort by (u, v) so output is deterministic."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    key = np.unique(lo[keep] * n + hi[keep])
    return EdgeList(n, (key // n).astype(np.int32), (key % n).astype(np.int32))


def from_networkx(graph: nx.Graph) -> EdgeList:
    """Edge arrays of a graph whose nodes are ``0..n-1``."""
    n = graph.number_of_nodes()
    if n and set(graph.nodes) != set(range(n)):
        graph = nx.convert_node_labels_to_integers(graph, ordering="sorted")
    if graph.number_of_edges() == 0:
        return EdgeList(n, np.zeros(0, np.int32), np.zeros(0, np.int32))
    arr = np.array(list(graph.edges()), dtype=np.int64)
    return _canonical(n, arr[:, 0], arr[:, 1])


def to_networkx(edges: EdgeList) -> nx.Graph:
    """A NetworkX graph of the edge list (for export and drawing only)."""
    g = nx.Graph()
    g.add_nodes_from(range(edges.n))
    g.add_edges_from(zip(edges.u.tolist(), edges.v.tolist()))
    return g


# --------------------------------------------------------------------------- generators
def _nx_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def _build_networkx(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> nx.Graph:
    k = cfg.mean_degree
    seed = _nx_seed(rng)
    if n < 3:  # the generators below need a few nodes; tiny populations get a complete graph
        return nx.complete_graph(n)
    if cfg.kind == "watts_strogatz":
        kk = max(2, int(round(k / 2)) * 2)
        return nx.watts_strogatz_graph(n, min(kk, n - 1), cfg.rewire_probability, seed=seed)
    if cfg.kind == "holme_kim":
        m = max(1, min(int(round(k / 2)), n - 1))
        return nx.powerlaw_cluster_graph(n, m, cfg.triad_probability, seed=seed)
    if cfg.kind == "barabasi_albert":
        m = max(1, min(int(round(k / 2)), n - 1))
        return nx.barabasi_albert_graph(n, m, seed=seed)
    if cfg.kind == "erdos_renyi":
        return nx.fast_gnp_random_graph(n, min(1.0, k / max(n - 1, 1)), seed=seed)
    if cfg.kind == "communities":
        c = min(cfg.communities, n)
        sizes = [n // c + (1 if i < n % c else 0) for i in range(c)]
        size_in = max(min(sizes) - 1, 1)
        p_in = min(1.0, k * cfg.within_fraction / size_in)
        p_out = min(1.0, k * (1 - cfg.within_fraction) / max(n - min(sizes), 1))
        probs = [[p_in if i == j else p_out for j in range(c)] for i in range(c)]
        g = nx.stochastic_block_model(sizes, probs, seed=seed, sparse=True)
        return nx.Graph(g)  # drop the block metadata; communities are recoverable from node order
    raise ScenarioError(f"network.kind: no NetworkX builder for {cfg.kind!r}")


def _build_arrays(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> EdgeList | None:
    """Array generator for the family, or None when there is none (NetworkX is used instead)."""
    from sim import fastgraph

    k = cfg.mean_degree
    if cfg.kind == "watts_strogatz":
        u, v = fastgraph.watts_strogatz(n, max(2, int(round(k / 2)) * 2), cfg.rewire_probability, rng)
    elif cfg.kind == "erdos_renyi":
        u, v = fastgraph.erdos_renyi(n, min(1.0, k / max(n - 1, 1)), rng)
    elif cfg.kind == "holme_kim":
        u, v = fastgraph.holme_kim(n, max(1, int(round(k / 2))), cfg.triad_probability, rng)
    else:
        return None
    return EdgeList(n, np.asarray(u, np.int32), np.asarray(v, np.int32))


def build_graph(cfg: NetworkConfig, n: int, rng: np.random.Generator) -> EdgeList:
    """A generic graph family (or a loaded edge list) as an edge list without kinds, seeded by ``rng``.

    ``n`` is the population size (ignored for ``edgelist``, whose node count wins). The default
    ``population`` network is built by :func:`sim.contexts.town_network` instead.
    """
    if cfg.kind == "edgelist":
        return load_edgelist(Path(cfg.path))
    if cfg.kind == "population":
        raise ValueError("the population network is built from the people (sim.contexts.town_network)")
    use_arrays = cfg.generator == "arrays" or (cfg.generator == "auto" and n > ARRAY_GENERATOR_THRESHOLD)
    edges = _build_arrays(cfg, n, rng) if use_arrays and n >= 3 else None
    if edges is None:
        edges = from_networkx(_build_networkx(cfg, n, rng))
    return edges


def apply_isolation(
    edges: EdgeList, fraction: float, max_ties: int, rng: np.random.Generator, order: np.ndarray | None = None
) -> EdgeList:
    """Isolation level (a): cut the ties of ``fraction`` of people to at most ``max_ties`` each.

    People are chosen at random (or in ``order``, e.g. oldest first). Each chosen person keeps a
    random ``max_ties`` of their ties. The random draws are taken even when ``fraction`` is 0 so
    that the same replicate consumes the same stream at every isolation level (common random
    numbers across a sweep).
    """
    n = edges.n
    priority = rng.random(n)  # who is isolated first (lower = earlier)
    edge_keys = rng.random(edges.m)  # which ties an isolate keeps (lowest keys kept)
    count = int(round(fraction * n))
    if count == 0 or edges.m == 0:
        return edges
    chosen_order = order if order is not None else np.argsort(priority, kind="stable")
    isolated = np.zeros(n, dtype=bool)
    isolated[chosen_order[:count]] = True
    # For each half-edge of an isolated person, rank its key among that person's half-edges.
    ends = np.concatenate([edges.u, edges.v])
    eid = np.concatenate([np.arange(edges.m), np.arange(edges.m)])
    keys = np.concatenate([edge_keys, edge_keys])
    sel = isolated[ends]
    ends, eid, keys = ends[sel], eid[sel], keys[sel]
    idx = np.lexsort((keys, ends))
    ends, eid = ends[idx], eid[idx]
    starts = np.r_[0, np.flatnonzero(np.diff(ends)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, ends.size]))
    rank = np.arange(ends.size) - run_start
    drop = np.zeros(edges.m, dtype=bool)
    drop[eid[rank >= max_ties]] = True
    keep = ~drop
    return EdgeList(n, edges.u[keep], edges.v[keep], edges.labels,
                    kind=None if edges.kind is None else edges.kind[keep],
                    closeness=None if edges.closeness is None else edges.closeness[keep],
                    weight=None if edges.weight is None else edges.weight[keep], notes=edges.notes)


# --------------------------------------------------------------------------- loading
#: Names a header row of an edge list may give its node columns.
HEADER_WORDS = {"source", "target", "from", "to", "u", "v", "node1", "node2", "a", "b", "src", "dst", "i", "j",
                "id1", "id2", "node_1", "node_2", "ego", "alter", "person1", "person2"}
_INT = re.compile(r"-?[0-9]+")


def load_edgelist(path: Path) -> EdgeList:
    """Load a real network: CSV/TSV/whitespace edge list (two node columns, an optional weight column,
    an optional header) or GraphML (an optional ``weight`` attribute on edges).

    Node labels are mapped to ``0..n-1`` in sorted order (numbers first, in numeric order) and kept
    on the result. Nothing is dropped silently: the returned ``notes`` say which first line was read
    as a header, how many self-loops, zero-weight and repeated ties were dropped or merged (and on
    which lines), and how weights became tie strengths (``weight``, in (0, 1]). Errors name the file
    and, for text files, the line. A file is read once per process while it is unchanged.
    """
    path = Path(path)
    try:
        st = path.stat()
    except (OSError, ValueError):
        raise ScenarioError(f"{path}: network.path: edge-list file not found") from None
    if not path.is_file():
        raise ScenarioError(f"{path}: network.path: not a file")
    return _load_edgelist(str(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _load_edgelist(path_text: str, size: int, mtime_ns: int) -> EdgeList:
    """:func:`load_edgelist` of an unchanged file (``size`` and ``mtime_ns`` key the cache)."""
    path = Path(path_text)
    notes: list[str] = []
    if path.suffix.lower() in (".graphml", ".xml"):
        labels, u, v, w, where = _read_graphml(path, notes)
    else:
        labels, u, v, w, where = _read_text_edges(path, notes)
    if u.size == 0:
        raise ScenarioError(f"{path}: network.path: the edge list has no edges")
    return _weighted_canonical(path, labels, u, v, w, where, notes)


def _lines(where: np.ndarray, mask: np.ndarray, unit: str = "line") -> str:
    """``lines 4, 9, 12 and 3 more`` for the edges selected by ``mask``."""
    hit = where[mask]
    if hit.size == 0 or hit[0] < 0:
        return ""
    shown = ", ".join(str(int(x)) for x in hit[:3])
    more = f" and {hit.size - 3:,} more" if hit.size > 3 else ""
    return f" ({unit}{'s' if hit.size > 1 else ''} {shown}{more})"


def _weighted_canonical(path: Path, labels: list, u: np.ndarray, v: np.ndarray, w: np.ndarray | None,
                        where: np.ndarray, notes: list[str]) -> EdgeList:
    """Orient ``u < v``; drop self-loops and zero weights, merge repeated ties (largest weight kept),
    turn weights into strengths in (0, 1]; sorted by (u, v). Every change is noted."""
    n = len(labels)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    loops = lo == hi
    if loops.any():
        notes.append(f"{path}: {int(loops.sum()):,} self-loop(s) dropped (a person tied to themselves){_lines(where, loops)}")
    keep = ~loops
    if w is not None:
        zero = keep & (w == 0)
        if zero.any():
            notes.append(f"{path}: {int(zero.sum()):,} tie(s) of weight 0 dropped{_lines(where, zero)}")
        keep &= w != 0
    key = lo[keep] * n + hi[keep]
    wk = w[keep] if w is not None else None
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, bool)
    repeats = int((~first).sum())
    if repeats:
        dup_where = where[keep][order][~first]
        shown = _lines(dup_where, np.ones(dup_where.size, bool))
        msg = f"{path}: {repeats:,} repeated tie(s) merged (the same pair again, in either order){shown}"
        notes.append(msg + ("; the largest weight kept" if wk is not None else ""))
    strength = None
    if wk is not None:
        wk = wk[order]
        starts = np.flatnonzero(first)
        merged = np.maximum.reduceat(wk, starts) if starts.size else wk[:0]
        top = float(merged.max()) if merged.size else 1.0
        if top > 1.0:
            strength = (merged / top).astype(np.float32)
            notes.append(f"{path}: weights used as tie strengths, divided by the largest ({top:g}) to lie in 0-1")
        else:
            strength = merged.astype(np.float32)
            notes.append(f"{path}: weights used as tie strengths (all in 0-1)")
    key = key[first]
    return EdgeList(n, (key // n).astype(np.int32), (key % n).astype(np.int32), labels, weight=strength, notes=notes)


def _read_graphml(path: Path, notes: list[str]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    try:
        g = nx.read_graphml(path)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a user input error
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise ScenarioError(f"{path}: network.path: not a readable GraphML file ({first})") from None
    labels = sorted(g.nodes, key=lambda x: _label_key(str(x)))
    index = {lab: i for i, lab in enumerate(labels)}
    edges = list(g.edges(data=True))
    u = np.fromiter((index[a] for a, _, _ in edges), np.int64, len(edges))
    v = np.fromiter((index[b] for _, b, _ in edges), np.int64, len(edges))
    w = None
    raw = [d.get("weight") for _, _, d in edges]
    if edges and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw):
        w = np.array(raw, float)
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            raise ScenarioError(f"{path}: network.path: edge weights must be numbers >= 0 (got {w[bad][0]!r})")
    elif any(x is not None for x in raw):
        notes.append(f"{path}: the 'weight' attribute is not a number on every edge: weights not used")
    isolates = sum(1 for x in g.nodes if g.degree(x) == 0)
    if isolates:
        notes.append(f"{path}: {isolates:,} person(s) without ties kept")
    return [_label_value(str(x)) for x in labels], u, v, w, np.full(len(edges), -1, np.int64)


def _fields(line: str, lineno: int, path: Path) -> list[str]:
    if "," in line:
        try:
            fields = next(csv.reader([line]))
        except csv.Error as exc:
            raise ScenarioError(f"{path}:{lineno}: network.path: not a CSV line ({exc})") from None
        return [f.strip() for f in fields]
    return line.split()


#: Longest line of a text edge list read (a tie is a few dozen bytes; labels are short).
MAX_LINE_BYTES = 64 * 1024


def _read_text_edges(path: Path, notes: list[str]) -> tuple[list, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Stream a text edge list: provisional ids in order of appearance, then ids in sorted label order."""
    ids: dict[str, int] = {}
    us, vs, lines = array("q"), array("q"), array("q")
    weights: list[str | None] = []  # third column as written (parsed at the end)
    first: tuple[int, list[str]] | None = None  # the first data line: a header, or an edge (decided at the end)
    numeric_labels = True  # every label after the first line is an integer
    widths: set[int] = set()

    def node(label: str, lineno: int) -> int:
        if not label:
            raise ScenarioError(f"{path}:{lineno}: network.path: empty node label")
        got = ids.get(label)
        if got is None:
            got = ids[label] = len(ids)
        return got

    try:
        with open(path, "rb") as f:  # noqa: PTH123
            # (lines read at most MAX_LINE_BYTES at a time: a file without newlines is never read whole)
            for lineno, raw in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), start=1):
                if len(raw) > MAX_LINE_BYTES:
                    raise ScenarioError(f"{path}:{lineno}: network.path: a line longer than {MAX_LINE_BYTES:,} bytes: "
                                        "not an edge list (one tie per line; is the file missing its newlines?)")
                try:
                    line = raw.decode("utf-8").lstrip("\ufeff").strip()
                except UnicodeDecodeError:
                    raise ScenarioError(f"{path}:{lineno}: network.path: not a text edge list (not UTF-8)") from None
                if not line or line.startswith(("#", "%")):
                    continue
                if first is None and line.startswith("<"):
                    raise ScenarioError(f"{path}:{lineno}: network.path: this looks like XML (GraphML?), not a text "
                                        "edge list: name the file .graphml to read it as GraphML")
                fields = _fields(line, lineno, path)
                if len(fields) < 2:
                    raise ScenarioError(f"{path}:{lineno}: network.path: expected two node columns, got {line[:80]!r}")
                if first is None:
                    first = (lineno, fields)
                    continue
                numeric_labels = numeric_labels and bool(_INT.fullmatch(fields[0]) and _INT.fullmatch(fields[1]))
                widths.add(min(len(fields), 4))
                us.append(node(fields[0], lineno))
                vs.append(node(fields[1], lineno))
                weights.append(fields[2] if len(fields) > 2 else None)
                lines.append(lineno)
    except OSError as exc:
        raise ScenarioError(f"{path}: network.path: cannot read ({exc.strerror or exc})") from None
    if first is None:
        return [], np.zeros(0, np.int64), np.zeros(0, np.int64), None, np.zeros(0, np.int64)
    lineno, fields = first
    if not ids and not (_INT.fullmatch(fields[0]) and _INT.fullmatch(fields[1])):
        raise ScenarioError(f"{path}:{lineno}: network.path: the edge list's only line ({', '.join(fields[:4])[:80]}) "
                            "looks like a header: the file has no ties")
    if _is_header(fields, ids, numeric_labels, weights):
        notes.append(f"{path}:{lineno}: first line read as a header ({', '.join(fields[:4])}), not as a tie")
    else:
        widths.add(min(len(fields), 4))
        us.insert(0, node(fields[0], lineno))
        vs.insert(0, node(fields[1], lineno))
        weights.insert(0, fields[2] if len(fields) > 2 else None)
        lines.insert(0, lineno)
    w = _weights(path, weights, lines, notes)
    if 4 in widths:
        notes.append(f"{path}: columns after the third ignored")
    labels_raw = sorted(ids, key=_label_key)
    rank = np.empty(len(ids), np.int64)
    for new, label in enumerate(labels_raw):
        rank[ids[label]] = new
    u = rank[np.frombuffer(us, np.int64)] if len(us) else np.zeros(0, np.int64)
    v = rank[np.frombuffer(vs, np.int64)] if len(vs) else np.zeros(0, np.int64)
    return [_label_value(x) for x in labels_raw], u, v, w, np.frombuffer(lines, np.int64).copy()


def _is_header(fields: list[str], ids: dict[str, int], numeric_labels: bool, weights: list[str | None]) -> bool:
    """Is the first data line a header? Only when the rest of the file says so: its node fields are
    words where every other label is a number, or header words that are no node's label, or its third
    field is a word where every other line has a number there."""
    a, b = fields[0], fields[1]
    if not ids:  # a file of one line is one tie
        return False
    if numeric_labels and not (_INT.fullmatch(a) and _INT.fullmatch(b)):
        return True
    if a.lower() in HEADER_WORDS and b.lower() in HEADER_WORDS and a not in ids and b not in ids:
        return True
    if len(fields) > 2 and weights and not _is_number(fields[2]) and all(_is_number(x) for x in weights if x is not None):
        return a not in ids and b not in ids
    return False


def _is_number(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
        return True
    except (TypeError, ValueError):
        return False


def _weights(path: Path, weights: list[str | None], lines: array, notes: list[str]) -> np.ndarray | None:
    """The third column as tie weights when every line has a number there; else None (and a note)."""
    given = [x for x in weights if x is not None]
    if not given:
        return None
    if len(given) < len(weights):
        at = next(lines[i] for i, x in enumerate(weights) if x is None)
        notes.append(f"{path}:{at}: some lines have a third column and some not: weights not used")
        return None
    try:
        w = np.array([float(x) for x in given], float)
    except ValueError:
        at, text = next((lines[i], x) for i, x in enumerate(weights) if not _is_number(x))
        notes.append(f"{path}:{at}: the third column is not a number ({text[:40]!r}): not used as weights")
        return None
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScenarioError(f"{path}:{lines[i]}: network.path: a tie weight must be a number >= 0 "
                            f"(got {weights[i][:40]!r})")
    return w


def _label_key(x: str):
    return (0, int(x), "") if _INT.fullmatch(x) else (1, 0, x)


def _label_value(x: str):
    return int(x) if _INT.fullmatch(x) else x
