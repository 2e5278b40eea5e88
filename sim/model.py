"""Mesa on top of the array engine: ``ConnectionModel`` (a ``mesa.Model``) and ``Person`` agents.

The day's arithmetic happens in :class:`sim.simulation.Simulation` over numpy arrays; the Mesa
layer exists so that Mesa's tools (AgentSet, DataCollector, SolaraViz) work unchanged. A
``Person`` holds no state of its own: each attribute reads (and writes) its row of the arrays.

``layout=True`` also computes a seeded spring layout of the whole graph once (``model.layout``):
seconds at a thousand people, minutes at ten thousand, so it is off by default; the browser page
lays out only the people it draws (sim/viz/layout.py).

Mesa objects cost about 2–3 KB per person and seconds per hundred thousand to build, so agents
and the ``Network`` space are built only up to ``AGENT_THRESHOLD`` people unless asked for
(``agents=True``); above it the model runs on arrays alone and ``people`` is empty.

The ``Network`` space (``model.grid``) follows the tie table: it is built from the active ties and,
after every step, the ties that began or ended that day are added to or removed from it through
Mesa's public ``add_connection`` / ``remove_connection`` (:meth:`ConnectionModel.sync_space`), so a
person's ``cell.neighborhood`` is always the people it has an active tie with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import Cell, FixedAgent, Network

from sim.config import Scenario, load_scenario
from sim.simulation import TIMESERIES_COLUMNS, Simulation

AGENT_THRESHOLD = 20_000  # people; above this Mesa objects (~2-3 KB each) cost more than they give

#: The model's keyword arguments (what the browser page's inputs and Reset pass) and the scenario path
#: each sets: the one parameter map of the page (sim/viz/params.py picks its inputs from it).
KEYWORD_PATHS = {
    "n_people": "population.size",
    "days": "days",
    "isolation_fraction": "network.isolation.fraction",
    "contact_multiplier": "contacts.frequency_multiplier",
    "smile_propensity": "smiles.propensity",
    "kind_rate": "kindness.rate_per_day",
    "network_kind": "network.kind",
    "mean_degree": "network.mean_degree",
    "simulate_deaths": "mortality.simulate_deaths",
}


def _array_property(name: str, doc: str, cast=float):
    def getter(self: Person):
        return cast(getattr(self.model.sim.people, name)[self.index])

    def setter(self: Person, value) -> None:
        getattr(self.model.sim.people, name)[self.index] = value

    return property(getter, setter, doc=doc)


class Person(FixedAgent):
    """One person: a view of row ``index`` of the model's state arrays, fixed to a network node."""

    age = _array_property("age", "Age, years.")
    mood = _array_property("mood", "Affect valence, -1..1.")
    loneliness = _array_property("loneliness", "Perceived isolation, 0..1.")
    health = _array_property("health", "Physiological reserve, 0..1.")
    habit = _array_property("habit", "Smile/kindness habit strength, 0..1.")
    desired_contacts = _array_property("desired", "Desired connection, contact-equivalents per day.")
    relative_hazard = _array_property("relative_hazard", "Hazard multiplier from isolation and loneliness.")
    degree = _array_property("degree", "Active ties.", int)
    alive = _array_property("alive", "Alive?", bool)
    isolated = _array_property("isolated", "Objectively isolated (derived)?", bool)
    lonely = _array_property("lonely", "Lonely (loneliness >= threshold)?", bool)
    emotion = _array_property("emotion", "SISa state: 0 neutral, 1 content, 2 discontent.", int)
    partner = _array_property("partner", "The partner's id (-1: none).", int)
    widowed = _array_property("widowed", "Lost a partner to death?", bool)
    employed = _array_property("employed", "Working (has work ties)?", bool)
    group_member = _array_property("group_member", "Takes part in a group at least monthly?", bool)
    isolation_index = _array_property("isolation_index", "Isolation index true score, 0..4.", int)
    vigilance = _array_property("vigilance", "Social-threat vigilance: loneliness per unit negative mood.")
    sociability = _array_property("sociability", "Multiplier on the friend circles joined (median 1).")

    def __init__(self, model: ConnectionModel, index: int, cell) -> None:
        super().__init__(model)
        self.index = index
        self.cell = cell

    @property
    def age_group(self) -> str:
        """Age band: '18-29', '30-44', '45-64', '65-74' or '75+'."""
        age = float(self.model.sim.people.age[self.index])
        return "18-29" if age < 30 else "30-44" if age < 45 else "45-64" if age < 65 else "65-74" if age < 75 else "75+"

    @property
    def sex(self) -> str:
        """'female' or 'male'."""
        return "male" if self.model.sim.people.sex[self.index] == 1 else "female"


class ConnectionModel(mesa.Model):
    """Loneliness, connection and health on a social network; one step is one day.

    ``scenario`` is a YAML path, a :class:`Scenario`, or None (defaults). The keyword arguments
    (``n_people``, ``isolation_fraction``, ``contact_multiplier``, ``smile_propensity``,
    ``kind_rate``, ``intervention``, ...) override the scenario, so that SolaraViz's Reset, which
    rebuilds the model from keyword arguments only, can change anything a slider shows.
    """

    def __init__(self, scenario: str | Path | Scenario | None = None, seed: int | str | None = None,
                 intervention: str | None = None, agents: bool | None = None, layout: bool = False,
                 overrides: dict[str, Any] | None = None, targeting: str | None = None, progress: bool = False,
                 **keywords: Any) -> None:
        base = scenario if isinstance(scenario, Scenario) else (load_scenario(scenario) if scenario else Scenario())
        changes: dict[str, Any] = dict(overrides or {})
        for key, value in keywords.items():
            if key not in KEYWORD_PATHS:
                raise TypeError(f"ConnectionModel got an unknown keyword {key!r}; known: {sorted(KEYWORD_PATHS)}")
            if value is not None:
                changes[KEYWORD_PATHS[key]] = value
        if seed is not None and str(seed).strip() != "":
            changes["seed"] = int(seed)  # SolaraViz text inputs arrive as strings
        self.config = base.with_overrides(changes) if changes else base
        if intervention not in (None, "none", ""):
            self.config = self._with_intervention(self.config, intervention, targeting)
        super().__init__(rng=self.config.seed)

        self.sim = Simulation(self.config, progress=progress)  # progress: a bar for the burn-in days
        self.running = True
        build_agents = agents if agents is not None else self.sim.n <= AGENT_THRESHOLD
        self.grid: Network | None = None
        self.layout: dict[int, tuple[float, float]] | None = None
        self._space_keys = np.zeros(0, dtype=np.int64)  # the ties the space holds (tie_keys)
        if build_agents:
            graph = self.graph()
            self.grid = Network(graph, random=self.random, layout=None)
            self._space_keys = self.tie_keys()
            for i in range(self.sim.n):
                Person(self, i, self.grid[i])
            if layout:
                self.layout = seeded_layout(graph, self.config.seed)
        self.datacollector = mesa.DataCollector(model_reporters=self.reporters())
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ Mesa interface
    @property
    def people(self) -> mesa.agent.AgentSet:
        """All Person agents (empty when running on arrays alone)."""
        return self.agents_by_type.get(Person, mesa.agent.AgentSet([], random=self.random))

    def step(self) -> None:
        """Simulate one day (Mesa's step); stops the model after the scenario's last day."""
        if self.sim.day >= self.config.days:
            self.running = False
            return
        self.sim.step()
        self.sync_space()
        self.datacollector.collect(self)
        if self.sim.day >= self.config.days:
            self.running = False

    @staticmethod
    def reporters() -> dict[str, Any]:
        """Mesa DataCollector model reporters: the day's means over the living and counts."""
        def last(column: str):
            return lambda m: float(m.sim._series[m.sim.day - 1][TIMESERIES_COLUMNS.index(column)]) if m.sim.day else float("nan")

        def alive_mean(attr: str):
            return lambda m: float(getattr(m.sim.people, attr)[m.sim.people.alive].mean())

        return {
            "day": lambda m: m.sim.day,
            "mean_mood": alive_mean("mood"),
            "mean_loneliness": alive_mean("loneliness"),
            "loneliness_prevalence": alive_mean("lonely"),
            "isolation_prevalence": alive_mean("isolated"),
            "mean_health": alive_mean("health"),
            "mean_relative_hazard": alive_mean("relative_hazard"),
            "smiles": last("smiles"),
            "kind_acts": last("kind_acts"),
            "alive": lambda m: int(m.sim.people.alive.sum()),
        }

    # ------------------------------------------------------------------ helpers
    def graph(self) -> nx.Graph:
        """The current network (active ties) as a NetworkX graph."""
        g = nx.Graph()
        g.add_nodes_from(range(self.sim.n))
        ids = self.sim.ties.active_ids()
        g.add_edges_from(zip(self.sim.ties.u[ids].tolist(), self.sim.ties.v[ids].tolist()))
        return g

    def tie_keys(self) -> np.ndarray:
        """The pairs of people with an active tie, each once, as sorted int64 keys ``low * 2**32 + high``."""
        ties = self.sim.ties
        ids = ties.active_ids()
        u, v = ties.u[ids].astype(np.int64), ties.v[ids].astype(np.int64)
        return np.unique(np.minimum(u, v) << 32 | np.maximum(u, v))

    def sync_space(self) -> tuple[int, int]:
        """Bring the Network space in step with the tie table: connect the cells of pairs whose first tie
        began since the last call, disconnect those whose last tie ended, and give people who joined the
        town since then a cell and an agent. Returns (connections added, connections removed).

        Called after every step; the cost is one pass over the active ties (a few ms per 10,000 ties)
        plus one Mesa call per change."""
        if self.grid is None:
            return 0, 0
        for i in range(len(self.grid.all_cells.cells), self.sim.n):  # an open population grows
            self.grid.add_cell(Cell(i, random=self.random))
            Person(self, i, self.grid[i])
        now = self.tie_keys()
        added = np.setdiff1d(now, self._space_keys, assume_unique=True)
        removed = np.setdiff1d(self._space_keys, now, assume_unique=True)
        low_mask = 2**32 - 1
        for key in removed.tolist():
            self.grid.remove_connection(self.grid[key >> 32], self.grid[key & low_mask])
        for key in added.tolist():
            self.grid.add_connection(self.grid[key >> 32], self.grid[key & low_mask])
        self._space_keys = now
        return int(added.size), int(removed.size)

    def scenario_yaml(self) -> str:
        """YAML of the effective scenario (slider values included), ready for ``lonesim run``."""
        return self.config.to_yaml()

    @staticmethod
    def _with_intervention(scenario: Scenario, kind: str, targeting: str | None = None) -> Scenario:
        """The scenario with programme ``kind`` added at its page defaults (``targeting`` replaces the default's)."""
        if kind not in PROGRAMME_DEFAULTS:
            raise ValueError(f"unknown intervention {kind!r}; known: none, {', '.join(PROGRAMME_DEFAULTS)}")
        programme = dict(PROGRAMME_DEFAULTS[kind])
        if programme["duration_days"] is None:
            programme["duration_days"] = scenario.days
        if targeting:
            programme["targeting"] = targeting
        raw = scenario.model_dump(mode="json")
        raw["interventions"] = list(raw.get("interventions") or []) + [programme]
        return Scenario.model_validate(raw)


#: A programme switched on by the ``intervention`` keyword (the browser page's menu): starting on day 0, at
#: these settings (None = the whole run); the other fields take the schema's defaults.
PROGRAMME_DEFAULTS: dict[str, dict[str, Any]] = {
    "smile_campaign": {"kind": "smile_campaign", "start_day": 0, "duration_days": None, "coverage": 0.5},
    "big_joy": {"kind": "big_joy", "start_day": 0, "duration_days": 7, "coverage": 0.3},
    "kindness_campaign": {"kind": "kindness_campaign", "start_day": 0, "duration_days": None, "coverage": 0.3,
                          "kind_acts_per_day": 0.3},
    "befriending": {"kind": "befriending", "start_day": 0, "duration_days": None, "coverage": 0.1,
                    "targeting": "loneliest"},
    "phone_calls": {"kind": "phone_calls", "start_day": 0, "duration_days": 28, "coverage": 0.1,
                    "targeting": "loneliest"},
    "group_activity": {"kind": "group_activity", "start_day": 0, "duration_days": 84, "coverage": 0.1,
                       "targeting": "loneliest"},
    "social_cognition": {"kind": "social_cognition", "start_day": 0, "duration_days": 56, "coverage": 0.1,
                         "targeting": "loneliest"},
}


def seeded_layout(graph: nx.Graph, seed: int, max_iterations: int = 50) -> dict[int, tuple[float, float]]:
    """Node positions computed once per model with a fixed seed (Mesa's default layout is unseeded
    and takes seconds past a few hundred nodes)."""
    if graph.number_of_nodes() == 0:
        return {}
    pos = nx.spring_layout(graph, seed=seed % (2**32), iterations=max_iterations)
    return {int(k): (float(v[0]), float(v[1])) for k, v in pos.items()}
