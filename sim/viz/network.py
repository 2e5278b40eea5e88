"""Drawing the social network for the browser page: :class:`NetworkPicture`, lonesim's own drawer (matplotlib,
one PNG per step), documented and tested here (tests/test_viz.py) instead of a subclass of Mesa's
``SpaceRenderer`` that overrode its private methods.

How it draws:

* positions come from the model's layout when it has one (``model.layout``), else from a seeded
  layout of the drawn people computed once per picture (:func:`sim.viz.layout.force_layout`);
* above :data:`~sim.viz.params.MAX_DRAWN_PEOPLE` people only a neighbourhood of
  :data:`~sim.viz.params.NEIGHBOURHOOD_SIZE` is drawn (a breadth-first ball around one person), so
  the picture stays legible and a step stays fast; the plots still cover the whole population;
* the lines are the model's active ties now (``model.sim.ties``), redrawn only when they change;
* the people are one scatter whose colours, sizes and outlines are computed from the model's state
  arrays in one go (the same colour as :func:`person_color` gives a person), so a step redraws in
  a few hundredths of a second;
* Mesa's public :class:`~mesa.visualization.components.AgentPortrayalStyle` describes one person
  (:meth:`NetworkPicture.agent_portrayal`), for code that wants a person's style.
"""

from __future__ import annotations

import io
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex
from mesa.visualization.components import AgentPortrayalStyle

from sim._core import TIE_KINDS
from sim.readouts import AGE_BANDS
from sim.viz.layout import force_layout
from sim.viz.params import MAX_DRAWN_PEOPLE, NEIGHBOURHOOD_SIZE

DEAD_COLOR = "#b0b0b0"
COLOR_MODES = ("mood", "loneliness", "age group")
#: How ties are drawn: all grey, or coloured by kind (partner, household, family, friend, work, acquaintance).
TIE_MODES = ("plain", "by kind")
TIE_COLOR = "#7a7a7a"
#: One colour per tie kind, in sim._core.TIE_KINDS order (matplotlib's tab10: distinct for colour-blind readers).
TIE_KIND_COLORS = dict(zip(TIE_KINDS, ("#d62728", "#ff7f0e", "#9467bd", "#2ca02c", "#1f77b4", "#8c8c8c")))
#: Age groups of the "age group" colouring (years; the summary's bands, sim.readouts.AGE_BANDS) and their colours.
AGE_GROUPS = tuple((lo, hi, f"{lo}–{hi - 1}" if hi < 200 else f"{lo}+") for lo, hi in AGE_BANDS)
AGE_COLORS = tuple(to_hex(c) for c in colormaps["viridis"](np.linspace(0.0, 0.92, len(AGE_GROUPS))))
#: Outline of people enrolled in a programme (everyone else has a thin white edge).
ENROLLED_EDGE = "#000000"

# 64-step colour tables, so a portrayal is a table look-up rather than a colormap call per person.
_MOOD_TABLE = [to_hex(c) for c in colormaps["RdYlBu"](np.linspace(0.0, 1.0, 64))]  # red = low mood
_LONELY_TABLE = [to_hex(c) for c in colormaps["YlOrRd"](np.linspace(0.15, 1.0, 64))]  # red = lonely


def _table(table: list[str], x: float) -> str:
    if x is None or not math.isfinite(x):
        return DEAD_COLOR
    i = int(round(min(1.0, max(0.0, x)) * (len(table) - 1)))
    return table[i]


def age_group(age: float) -> int:
    """Index of the age group (AGE_GROUPS) of an age in years (the youngest group below its start).

    >>> [age_group(a) for a in (18, 29.9, 30, 64, 65, 80)]
    [0, 0, 1, 2, 3, 4]
    """
    for k, (_, hi, _) in enumerate(AGE_GROUPS):
        if age < hi:
            return k
    return len(AGE_GROUPS) - 1


def person_color(person: Any, mode: str) -> str:
    """CSS colour of one person: mood (-1..1, red to blue), loneliness (0..1, yellow to red) or age group."""
    if not getattr(person, "alive", True):
        return DEAD_COLOR
    if mode == "loneliness":
        return _table(_LONELY_TABLE, float(getattr(person, "loneliness", 0.0)))
    if mode == "age group":
        return AGE_COLORS[age_group(float(getattr(person, "age", 40.0)))]
    return _table(_MOOD_TABLE, (float(getattr(person, "mood", 0.0)) + 1.0) / 2.0)


def enrolled_mask(model: Any) -> np.ndarray | None:
    """Who any of the model's programmes has enrolled (living or not), or None before any start day."""
    programmes = getattr(getattr(model, "sim", None), "programmes", None)
    masks = [m for m in getattr(programmes, "enrolled", []) if m is not None]
    return np.logical_or.reduce(masks) if masks else None


def person_size(person: Any, scale: float) -> float:
    """Marker size (Altair's agent size scale runs 0..50) from health (0..1)."""
    health = float(getattr(person, "health", 0.5))
    if not math.isfinite(health):
        health = 0.5
    return scale * (6.0 + 34.0 * min(1.0, max(0.0, health)))


def neighbourhood(graph: Any, limit: int, start: Any) -> list:
    """Up to ``limit`` nodes in breadth-first order from ``start``, topped up from other components."""
    seen = {start}
    order = [start]
    queue = deque([start])
    while queue and len(order) < limit:
        node = queue.popleft()
        for nb in graph.neighbors(node):
            if nb not in seen:
                seen.add(nb)
                order.append(nb)
                queue.append(nb)
                if len(order) >= limit:
                    break
    if len(order) < limit:  # a small component: fill up with other nodes in a fixed order
        for node in graph.nodes:
            if node not in seen:
                seen.add(node)
                order.append(node)
                if len(order) >= limit:
                    break
    return order


@dataclass
class DrawPlan:
    """Which nodes are drawn, and what the page says about it."""

    nodes: list | None  # None = every node
    total: int
    centre: Any = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def drawn(self) -> int:
        """How many people are drawn (everyone, or the neighbourhood)."""
        return self.total if self.nodes is None else len(self.nodes)


def plan_drawing(model: Any, limit: int = MAX_DRAWN_PEOPLE, size: int = NEIGHBOURHOOD_SIZE) -> DrawPlan:
    """Which people to draw: everyone up to ``limit`` people, else a breadth-first neighbourhood of
    ``size`` people around one seeded person."""
    graph = model.grid.G
    total = graph.number_of_nodes()
    if total <= limit:
        return DrawPlan(nodes=None, total=total)
    # a fixed, seeded choice of centre among the better-connected half, so that Reset with the same
    # seed shows the same neighbourhood
    rng = np.random.default_rng([total, int(getattr(model, "viz_seed", 0) or 0)])
    nodes = list(graph.nodes)
    degrees = np.fromiter((d for _, d in graph.degree(nodes)), dtype=float, count=len(nodes))
    median = float(np.median(degrees))
    candidates = [n for n, d in zip(nodes, degrees) if d >= median] or nodes
    centre = candidates[int(rng.integers(len(candidates)))]
    drawn = neighbourhood(graph, min(size, limit), centre)
    note = (
        f"Showing {len(drawn):,} of {total:,} people (the neighbourhood of person {centre}); "
        f"the plots cover everyone."
    )
    return DrawPlan(nodes=drawn, total=total, centre=centre, note=note)


class NetworkPicture:
    """The network as a picture: the drawn people (:class:`DrawPlan`) at fixed positions, their active ties as
    lines (grey, or coloured by kind), each person a dot coloured by mood, loneliness or age group, sized
    by health, ringed in black when enrolled, grey when dead. :meth:`png` gives the picture now."""

    def __init__(self, model, plan: DrawPlan | None = None, color_mode: str = "mood", tie_mode: str = "plain",
                 width_in: float = 5.4, height_in: float = 2.9):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.model = model
        self.plan = plan if plan is not None else plan_drawing(model)
        self.color_mode = color_mode
        self.tie_mode = tie_mode
        self.enrolled: np.ndarray | None = None  # who is enrolled, as of the last drawing
        self.lock = threading.Lock()
        graph = model.grid.G
        nodes = self.plan.nodes if self.plan.nodes is not None else list(graph.nodes)
        layout = getattr(model, "layout", None)
        if layout is not None and all(n in layout for n in nodes):
            self.positions = {n: tuple(layout[n]) for n in nodes}
        else:
            self.positions = force_layout(graph.subgraph(nodes), seed=int(getattr(model, "viz_seed", 0) or 0))
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.xy = np.array([self.positions[n] for n in nodes], dtype=float).reshape(-1, 2)
        self._where = np.full(max(self.plan.total, int(self.nodes.max(initial=-1)) + 1), -1, dtype=np.int64)
        self._where[self.nodes] = np.arange(self.nodes.size)
        drawn = max(self.plan.drawn, 1)
        self.scale = float(np.clip(math.sqrt(300 / drawn), 0.6, 2.5))  # bigger dots for small pictures
        self.edge_alpha = 0.45 if drawn <= 100 else (0.3 if drawn <= 400 else 0.2)
        self.figure = Figure(figsize=(width_in, height_in - (0.55 if self.plan.nodes is not None else 0.0)))
        FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0.01, 0.01, 0.98, 0.98))
        self.ax.set_axis_off()
        pad = 0.05
        if self.xy.size:
            lo, hi = self.xy.min(axis=0), self.xy.max(axis=0)
            span = np.maximum(hi - lo, 1e-6)
            self.ax.set_xlim(lo[0] - pad * span[0], hi[0] + pad * span[0])
            self.ax.set_ylim(lo[1] - pad * span[1], hi[1] + pad * span[1])
        self.graph = nx.Graph()  # the drawn ties, with their kind (what the lines show)
        self.ties_drawn: Any = None  # the ties and tie mode the lines were last drawn for
        self._lines = None
        self._dots = self.ax.scatter(self.xy[:, 0], self.xy[:, 1], s=1.0, zorder=2)
        self._update_ties()

    # -- the ties --------------------------------------------------------------------------------
    def _drawn_ties(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Active ties between drawn people as (u, v, kind) arrays, or None without the array engine."""
        ties = getattr(getattr(self.model, "sim", None), "ties", None)
        if ties is None or not hasattr(ties, "active_ids"):
            return None
        ids = ties.active_ids()
        u, v, kind = np.asarray(ties.u)[ids], np.asarray(ties.v)[ids], np.asarray(ties.kind)[ids]
        if len(u):
            inside = (u < self._where.size) & (v < self._where.size)
            u, v, kind = u[inside], v[inside], kind[inside]
            keep = (self._where[u] >= 0) & (self._where[v] >= 0)
            u, v, kind = u[keep], v[keep], kind[keep]
        return u, v, kind

    def tie_colors(self, edges: list) -> list[str] | str:
        """Colours of ``edges`` of :attr:`graph`: by kind, or one grey."""
        if self.tie_mode != "by kind":
            return TIE_COLOR
        return [TIE_KIND_COLORS.get(self.graph.edges[e].get("kind"), TIE_COLOR) for e in edges]

    def _update_ties(self) -> None:
        """Redraw the lines when the ties or the tie mode changed since the last drawing."""
        from matplotlib.collections import LineCollection

        ties = self._drawn_ties()
        if ties is None:
            sub = self.model.grid.G.subgraph(self.nodes.tolist())
            u = np.array([a for a, _ in sub.edges()], dtype=np.int64)
            v = np.array([b for _, b in sub.edges()], dtype=np.int64)
            kind = np.full(u.size, TIE_KINDS.index("acquaintance"))
        else:
            u, v, kind = ties
        key = (_key(u, v, kind), self.tie_mode)
        if key == self.ties_drawn:
            return
        self.graph = nx.Graph()
        self.graph.add_nodes_from(self.nodes.tolist())
        self.graph.add_edges_from((a, b, {"kind": TIE_KINDS[k]}) for a, b, k in zip(u.tolist(), v.tolist(), kind.tolist()))
        if self._lines is not None:
            self._lines.remove()
        segments = np.stack([self.xy[self._where[u]], self.xy[self._where[v]]], axis=1) if u.size else np.zeros((0, 2, 2))
        colours = ([TIE_KIND_COLORS[TIE_KINDS[k]] for k in kind.tolist()] if self.tie_mode == "by kind" else TIE_COLOR)
        self._lines = LineCollection(segments, colors=colours, linewidths=0.9 if self.tie_mode == "by kind" else 0.5,
                                     alpha=self.edge_alpha, zorder=1)
        self.ax.add_collection(self._lines)
        self.ties_drawn = key

    # -- the people ------------------------------------------------------------------------------
    def drawn_people(self) -> list:
        """The Person agents this picture draws (everyone, or the neighbourhood)."""
        people = list(getattr(self.model, "people", None) or self.model.agents)
        if self.plan.nodes is None:
            return people
        keep = set(self.plan.nodes)
        return [p for p in people if _node_of(p) in keep]

    def agent_portrayal(self, person) -> AgentPortrayalStyle:
        """One person's style (Mesa's public AgentPortrayalStyle): colour, size, outline."""
        node = _node_of(person)
        enrolled = self.enrolled is not None and bool(self.enrolled[getattr(person, "index", node)])
        alive = getattr(person, "alive", True)
        return AgentPortrayalStyle(x=node, y=node, color=person_color(person, self.color_mode),
                                   size=person_size(person, self.scale), alpha=1.0 if alive else 0.7, marker="o",
                                   zorder=2, edgecolors=ENROLLED_EDGE if enrolled else "#ffffff",
                                   linewidths=1.4 if enrolled else 0.3)

    def colours(self) -> np.ndarray:
        """Face colours (hex) of the drawn people now, as :func:`person_color` gives them, from the state arrays."""
        people = self.model.sim.people
        idx = self.nodes
        if self.color_mode == "loneliness":
            out = _lookup(_LONELY_TABLE, people.loneliness[idx])
        elif self.color_mode == "age group":
            highs = np.array([hi for _, hi, _ in AGE_GROUPS[:-1]], dtype=float)
            out = np.array(AGE_COLORS, dtype=object)[np.searchsorted(highs, people.age[idx], side="right")]
        else:
            out = _lookup(_MOOD_TABLE, (people.mood[idx] + 1.0) / 2.0)
        out[~people.alive[idx]] = DEAD_COLOR
        return out

    def _update_people(self) -> None:
        people = self.model.sim.people
        idx = self.nodes
        health = np.nan_to_num(people.health[idx].astype(float), nan=0.5)
        self.enrolled = enrolled_mask(self.model)
        enrolled = self.enrolled[idx] if self.enrolled is not None else np.zeros(idx.size, dtype=bool)
        dots = self._dots
        dots.set_facecolors(self.colours().tolist())
        dots.set_sizes(self.scale * (6.0 + 34.0 * np.clip(health, 0.0, 1.0)))
        dots.set_edgecolors(np.where(enrolled, ENROLLED_EDGE, "#ffffff").tolist())
        dots.set_linewidths(np.where(enrolled, 1.4, 0.3))

    def png(self, dpi: int = 100) -> bytes:
        """The picture now, as PNG bytes (one drawing at a time: Play steps in a worker thread)."""
        with self.lock:
            self._update_ties()
            self._update_people()
            buf = io.BytesIO()
            # fast PNG compression: the picture is replaced at every step, a few KB more do not matter
            self.figure.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
            return buf.getvalue()


def _lookup(table: list[str], x: np.ndarray) -> np.ndarray:
    """Colour-table entries of values in 0..1 (as :func:`_table`, for arrays)."""
    x = np.asarray(x, dtype=float)
    i = np.rint(np.clip(np.nan_to_num(x, nan=0.0), 0.0, 1.0) * (len(table) - 1)).astype(np.int64)
    return np.array(table, dtype=object)[i]


def _key(*arrays: np.ndarray) -> int:
    return hash(tuple(np.ascontiguousarray(a).tobytes() for a in arrays))


def _node_of(person: Any) -> Any:
    cell = getattr(person, "cell", None)
    return cell.coordinate if cell is not None else getattr(person, "pos", None)


def make_renderer(model, color_mode: str = "mood", width_in: float = 5.4, height_in: float = 2.9,
                  tie_mode: str = "plain") -> NetworkPicture:
    """The picture of ``model``'s network the page shows (a PNG of about 100 KB per step: the browser swaps
    one image, instead of receiving the whole network as Vega-Lite data each step)."""
    return NetworkPicture(model, color_mode=color_mode, tie_mode=tie_mode, width_in=width_in, height_in=height_in)


def network_png(renderer: NetworkPicture, dpi: int = 100) -> bytes:
    """The network now, as PNG bytes."""
    return renderer.png(dpi)
