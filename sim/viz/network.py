"""Drawing the social network with Mesa's SpaceRenderer (matplotlib backend, one PNG per step).

What differs from Mesa's defaults:

* positions come from the model's layout when it has one (``model.layout``), else from a seeded
  layout of the drawn people computed once per model (:func:`sim.viz.layout.force_layout`); Mesa's
  network drawer would otherwise run an unseeded spring layout for every new renderer (seconds at
  a few thousand nodes);
* above :data:`~sim.viz.params.MAX_DRAWN_PEOPLE` people only a neighbourhood of
  :data:`~sim.viz.params.NEIGHBOURHOOD_SIZE` is drawn (a breadth-first ball around one person), so
  the picture stays legible and a step stays fast; the plots still cover the whole population;
* the lines are the model's active ties now (``model.sim.ties``), not the graph at day 0;
* the picture is made once per step as PNG bytes (:func:`network_png`), instead of handing a
  figure or a Vega-Lite spec with all the data to Solara's element tree.
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
from mesa.discrete_space import Network
from mesa.visualization import SpaceRenderer
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.space_drawers import NetworkSpaceDrawer

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


class _AgentsView:
    """The part of the space whose agents are drawn (what ``collect_agent_data`` iterates)."""

    def __init__(self, agents):
        self.agents = agents


class LonesimRenderer(SpaceRenderer):
    """A SpaceRenderer that uses a precomputed layout, follows the model's ties, and may draw only
    some of the people."""

    def __init__(self, model, backend: str = "matplotlib", plan: DrawPlan | None = None, color_mode: str = "mood",
                 tie_mode: str = "plain"):
        self.model = model
        self.plan = plan if plan is not None else plan_drawing(model)
        self.color_mode = color_mode
        self.tie_mode = tie_mode
        self.enrolled: np.ndarray | None = None  # who is enrolled, as of the last drawing
        self._structure = None
        self._tie_key: Any = None
        self._drawn_mask: np.ndarray | None = None
        self._people = None
        self.positions: dict = {}
        self.lock = threading.Lock()
        super().__init__(model, backend=backend)

    # -- positions: the model's layout, or one computed once for the drawn people --------------
    def _get_space_drawer(self):
        if not isinstance(self.space, Network):
            return super()._get_space_drawer()
        nodes = self.plan.nodes if self.plan.nodes is not None else list(self.space.G.nodes)
        layout = getattr(self.model, "layout", None)
        if layout is not None and all(n in layout for n in nodes):
            pos = {n: tuple(layout[n]) for n in nodes}
        else:
            seed = int(getattr(self.model, "viz_seed", 0) or 0)
            pos = force_layout(self.space.G.subgraph(nodes), seed=seed)
        self.positions = pos
        drawer = NetworkSpaceDrawer(self.space, layout_alg=lambda graph, **_: pos, layout_kwargs={})
        drawer.graph = self._tie_graph(nodes)
        return drawer

    # -- the ties drawn: the model's active ties now (they change: kind acts, shocks, deaths) ----
    def _drawn_ties(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Active ties between drawn people as (u, v, kind) arrays, or None without the array engine."""
        ties = getattr(getattr(self.model, "sim", None), "ties", None)
        if ties is None or not hasattr(ties, "active_ids"):
            return None
        ids = ties.active_ids()
        u = np.asarray(ties.u)[ids]
        v = np.asarray(ties.v)[ids]
        kind = np.asarray(ties.kind)[ids]
        if self.plan.nodes is not None and len(u):
            if self._drawn_mask is None or len(self._drawn_mask) <= max(int(u.max()), int(v.max())):
                mask = np.zeros(max(self.plan.total, int(u.max()) + 1, int(v.max()) + 1), dtype=bool)
                mask[np.asarray(self.plan.nodes, dtype=np.int64)] = True
                self._drawn_mask = mask
            keep = self._drawn_mask[u] & self._drawn_mask[v]
            u, v, kind = u[keep], v[keep], kind[keep]
        return u, v, kind

    def _tie_graph(self, nodes) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(nodes)
        ties = self._drawn_ties()
        if ties is not None:
            u, v, kind = ties
            graph.add_edges_from((a, b, {"kind": TIE_KINDS[k]}) for a, b, k in zip(u.tolist(), v.tolist(), kind.tolist()))
            self._tie_key = _key(u, v, kind)
        else:
            graph.add_edges_from(self.space.G.subgraph(nodes).edges())
            self._tie_key = self.space.G.number_of_edges()
        return graph

    def _ties_changed(self) -> bool:
        ties = self._drawn_ties()
        if ties is None:
            return self._tie_key != self.space.G.number_of_edges()
        return self._tie_key != _key(*ties)

    def tie_colors(self, edges: list) -> list[str] | str:
        """Colours of ``edges`` of the drawn graph: by kind, or one grey."""
        if self.tie_mode != "by kind":
            return TIE_COLOR
        data = self.space_drawer.graph.edges
        return [TIE_KIND_COLORS.get(data[e].get("kind"), TIE_COLOR) for e in edges]

    # -- the people drawn -----------------------------------------------------------------------
    def drawn_people(self) -> list:
        """The Person agents this renderer draws (everyone, or the neighbourhood)."""
        if self._people is None:
            people = list(getattr(self.model, "people", None) or self.space.agents)
            if self.plan.nodes is not None:
                keep = set(self.plan.nodes)
                people = [p for p in people if _node_of(p) in keep]
            self._people = people
        return self._people

    def draw_structure(self, **kwargs):
        """Draw the active ties among the drawn people."""
        # the ties change (kind acts, shocks, deaths): follow the model's active ties
        if self._structure is None or self._ties_changed():
            self.space_drawer.graph = self._tie_graph(list(self.space_drawer.pos))
            self._structure = True
        edges = list(self.space_drawer.graph.edges())
        edge_kwargs = self.draw_space_kwargs.setdefault("edge_kwargs", {})
        edge_kwargs["edgelist"] = edges
        edge_kwargs["edge_color"] = self.tie_colors(edges)
        edge_kwargs["width"] = 0.9 if self.tie_mode == "by kind" else 0.5
        self.drawn_tie_mode = self.tie_mode
        self.space_mesh = super().draw_structure(**kwargs)
        return self.space_mesh

    def draw_agents(self, agent_portrayal=None, **kwargs):
        """Draw the drawn people, coloured by the current colour mode and sized by health."""
        if agent_portrayal is not None or kwargs:
            return super().draw_agents(agent_portrayal, **kwargs)
        self.enrolled = enrolled_mask(self.model)
        arguments = self.backend_renderer.collect_agent_data(
            _AgentsView(self.drawn_people()), self.agent_portrayal, default_size=self.space_drawer.s_default
        )
        arguments = self._map_coordinates(arguments)
        self.agent_mesh = self.backend_renderer.draw_agents(arguments, **self.draw_agent_kwargs)
        return self.agent_mesh


def _key(*arrays: np.ndarray) -> int:
    return hash(tuple(np.ascontiguousarray(a).tobytes() for a in arrays))


def _node_of(person: Any) -> Any:
    cell = getattr(person, "cell", None)
    return cell.coordinate if cell is not None else getattr(person, "pos", None)


def make_renderer(model, color_mode: str = "mood", width_in: float = 5.4, height_in: float = 2.9,
                  tie_mode: str = "plain") -> LonesimRenderer:
    """Build the renderer for ``model``: ties as lines, one marker per drawn person.

    Matplotlib backend: a step redraws in about 0.1 s and the browser swaps one PNG (~100 KB); the
    Altair backend sends the whole network as Vega-Lite data on each step (~600 KB for 600 people
    and their ties), which took the browser well over a second to show.
    """
    renderer = LonesimRenderer(model, backend="matplotlib", color_mode=color_mode, tie_mode=tie_mode)
    drawn = renderer.plan.drawn
    if renderer.plan.nodes is not None:
        height_in -= 0.55  # room for the note saying what is drawn
    # bigger markers and darker ties for small pictures
    scale = float(np.clip(math.sqrt(300 / max(drawn, 1)), 0.6, 2.5))
    edge_alpha = 0.45 if drawn <= 100 else (0.3 if drawn <= 400 else 0.2)

    def portrayal(person):
        node = _node_of(person)
        alive = getattr(person, "alive", True)
        enrolled = renderer.enrolled is not None and bool(renderer.enrolled[getattr(person, "index", node)])
        return AgentPortrayalStyle(
            x=node,
            y=node,
            color=person_color(person, renderer.color_mode),
            size=person_size(person, scale),
            alpha=1.0 if alive else 0.7,
            marker="o",
            zorder=2,
            edgecolors=ENROLLED_EDGE if enrolled else "#ffffff",
            linewidths=1.4 if enrolled else 0.3,
        )

    renderer.setup_structure(
        node_kwargs={"alpha": 0.0, "node_size": 0},
        edge_kwargs={"alpha": edge_alpha, "style": "solid", "edge_color": TIE_COLOR, "width": 0.5},
    )
    renderer.setup_agents(portrayal)
    fig = renderer.canvas.get_figure()
    fig.set_size_inches(width_in, height_in)
    renderer.render()
    return renderer


def network_png(renderer: LonesimRenderer, dpi: int = 100) -> bytes:
    """The network now, as PNG bytes: Mesa's SpaceRenderer redraws the people on its axes (and the
    ties, when they changed)."""
    with renderer.lock:  # Play steps and redraws in a worker thread; one drawing at a time
        return _draw_png(renderer, dpi)


def _draw_png(renderer: LonesimRenderer, dpi: int) -> bytes:
    ax = renderer.canvas
    structure = getattr(renderer, "_structure_artists", None)
    if structure is None or renderer._ties_changed() or getattr(renderer, "drawn_tie_mode", None) != renderer.tie_mode:
        for artist in [*ax.collections, *ax.lines, *ax.patches]:
            artist.remove()
        renderer.draw_structure()
        renderer._structure_artists = set(map(id, ax.collections))
    else:
        for artist in [a for a in ax.collections if id(a) not in structure]:
            artist.remove()
    renderer.draw_agents()
    buf = io.BytesIO()
    ax.get_figure().savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
