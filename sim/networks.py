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
from dataclasses import dataclass
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
                    closeness=None if edges.closeness is None else edges.closeness[keep])


# --------------------------------------------------------------------------- loading
def load_edgelist(path: Path) -> EdgeList:
    """Load a real network: CSV/TSV/whitespace edge list (two node columns, optional header) or GraphML.

    Node labels are mapped to ``0..n-1`` in sorted order; the labels are kept on the result.
    Errors name the file and, for text files, the line.
    """
    if not path.exists():
        raise ScenarioError(f"{path}: network.path: edge-list file not found")
    if path.suffix.lower() in (".graphml", ".xml"):
        try:
            g = nx.read_graphml(path)
        except Exception as exc:  # noqa: BLE001 - any parser failure is a user input error
            raise ScenarioError(f"{path}: network.path: not a readable GraphML file ({exc})") from None
        labels = sorted(g.nodes, key=str)
        index = {lab: i for i, lab in enumerate(labels)}
        pairs = [(index[a], index[b]) for a, b in g.edges()]
    else:
        labels, pairs = _read_text_edges(path)
    if not labels:
        raise ScenarioError(f"{path}: network.path: the edge list has no edges")
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    out = _canonical(len(labels), arr[:, 0], arr[:, 1])
    out.labels = labels
    return out


def _read_text_edges(path: Path) -> tuple[list, list[tuple[int, int]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: network.path: not a text edge list (not UTF-8)") from None
    dialect_delim = "," if "," in text.split("\n", 1)[0] else None
    raw_pairs: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = next(csv.reader([stripped])) if dialect_delim else stripped.split()
        fields = [f.strip() for f in fields if f.strip() != ""]
        if len(fields) < 2:
            raise ScenarioError(f"{path}:{lineno}: network.path: expected two node columns, got {stripped!r}")
        a, b = fields[0], fields[1]
        if lineno == 1 and not raw_pairs and _looks_like_header(a, b):
            continue
        raw_pairs.append((a, b))
    labels_raw = sorted({x for pair in raw_pairs for x in pair}, key=_label_key)
    labels = [_label_value(x) for x in labels_raw]
    index = {lab: i for i, lab in enumerate(labels_raw)}
    return labels, [(index[a], index[b]) for a, b in raw_pairs]


def _looks_like_header(a: str, b: str) -> bool:
    return a.lower() in {"source", "from", "u", "node1", "a", "src"} or b.lower() in {"target", "to", "v", "node2", "b", "dst"}


def _label_key(x: str):
    return (0, int(x), "") if x.lstrip("-").isdigit() else (1, 0, x)


def _label_value(x: str):
    return int(x) if x.lstrip("-").isdigit() else x
