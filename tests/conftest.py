"""Shared helpers: small scenarios and the CLI run as a user runs it (a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Scenario

ROOT = Path(__file__).resolve().parents[1]


def small(**overrides) -> Scenario:
    """A small, quick scenario with dotted-path overrides (``small(**{"population.size": 50})``)."""
    base = {"population.size": 400, "days": 30, "burn_in_days": 10}
    base.update(overrides)
    return Scenario().with_overrides(base)


def lonesim(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` and return the completed process (text output)."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def cli():
    return lonesim


def tiny_world(edges, n, kind=None, closeness=1.0, seed=0, **overrides):
    """A hand-made town: ``n`` people aged 40, all in groups, none partnered or employed; ``edges`` as ties
    of ``kind`` (default friend; or one code per edge) and ``closeness``; neutral mood and emotion, no
    loneliness, habit 0.3, full health. Returns (scenario, people, ties)."""
    import numpy as np

    from sim._core import FRIEND
    from sim.demography import Demography
    from sim.initial import init_people
    from sim.networks import EdgeList
    from sim.ties import Ties

    sc = Scenario().with_overrides({"population.size": n, **overrides})
    f32 = np.float32
    demo = Demography(age=np.full(n, 40, f32), sex=(np.arange(n) % 2).astype(np.int8),
                      wants_partner=np.zeros(n, bool), with_family=np.zeros(n, bool),
                      widowed_if_single=np.zeros(n, bool), employed=np.zeros(n, bool),
                      retirement_age=np.full(n, 65, f32), group_member=np.ones(n, bool),
                      sociability=np.ones(n, f32), desired=np.full(n, 2.0, f32), vigilance=np.full(n, 0.3, f32))
    u = np.array([min(a, b) for a, b in edges], np.int32)
    v = np.array([max(a, b) for a, b in edges], np.int32)
    order = np.lexsort((v, u))
    kinds = np.broadcast_to(np.asarray(FRIEND if kind is None else kind, np.int8), (len(edges),)).copy()
    edge_list = EdgeList(n, u[order], v[order], kind=kinds[order], closeness=np.full(len(edges), closeness, f32))
    ties = Ties.from_edges(edge_list)
    people = init_people(sc, demo, ties, np.random.default_rng(seed))
    people.mood[:] = 0
    people.emotion[:] = 0
    people.loneliness[:] = 0
    people.habit[:] = 0.3
    people.health[:] = 1.0
    return sc, people, ties


def ring(n, k=4):
    """The edges of a ring lattice: each of ``n`` people tied to the ``k // 2`` next ones."""
    return [(i, (i + j) % n) for i in range(n) for j in range(1, k // 2 + 1)]
