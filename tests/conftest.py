"""Shared helpers: small scenarios and the CLI run as a user runs it (a subprocess)."""

from __future__ import annotations

import resource
import signal
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
    loneliness, habit 0.3, full health; no episodes of adversity or illness (``life_events.enabled`` false
    unless overridden). Returns (scenario, people, ties)."""
    import numpy as np

    from sim._core import FRIEND
    from sim.demography import Demography
    from sim.initial import init_people
    from sim.networks import EdgeList
    from sim.ties import Ties

    sc = Scenario().with_overrides({"population.size": n, "life_events.enabled": False, **overrides})
    f32 = np.float32
    demo = Demography(age=np.full(n, 40, f32), sex=(np.arange(n) % 2).astype(np.int8),
                      wants_partner=np.zeros(n, bool), with_family=np.zeros(n, bool),
                      widowed_if_single=np.zeros(n, bool), widowed_years=np.zeros(n, f32), employed=np.zeros(n, bool),
                      retirement_age=np.full(n, 65, f32), group_member=np.ones(n, bool),
                      sociability=np.ones(n, f32), desired=np.full(n, 2.0, f32), desire_z=np.zeros(n, f32),
                      vigilance=np.full(n, 0.3, f32))
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


#: Address-space limit of a hostile-input case, MB: a tiny `lonesim run` reserves ~2 GB of address space
#: (numba's threads and LLVM), so this bounds what a case may allocate beyond that to about 2 GB.
MEMORY_LIMIT_MB = 4096


def limits(memory_mb: int = MEMORY_LIMIT_MB):
    """A ``preexec_fn``: cap the child's address space at ``memory_mb`` MB and let it receive Ctrl-C
    (a shell's background jobs, and so the test runner, may ignore SIGINT; children inherit that)."""
    def preexec() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return preexec


def lonesim_limited(*args: str, cwd: Path | None = None, timeout: float = 120, memory_mb: int = MEMORY_LIMIT_MB,
                    input: str | None = None) -> subprocess.CompletedProcess:
    """``lonesim ARGS`` as a subprocess under a timeout and an address-space limit (hostile-input cases)."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limits(memory_mb), input=input)


def start_lonesim(*args: str, cwd: Path | None = None, memory_mb: int = MEMORY_LIMIT_MB, **popen) -> subprocess.Popen:
    """Start ``lonesim ARGS`` in the background under the address-space limit (text pipes for its output)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, text=True,
                            preexec_fn=limits(memory_mb), **popen)


def assert_one_clear_error(res: subprocess.CompletedProcess, *expected: str) -> str:
    """Exit status 2, no traceback, stderr ending in ``error: <where>: ...`` lines (one per problem; what
    came before is the command's progress), ``expected`` texts among them; returns the error lines."""
    err = res.stderr
    assert res.returncode == 2, (res.returncode, err[-2000:])
    assert "Traceback" not in err + res.stdout and "internal error" not in err, err[-2000:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: "), err[-2000:]
    err = "\n".join(ln for ln in lines if ln.startswith("error: ")) + "\n"
    for text in expected:
        assert text in err, (text, err[-2000:])
    return err


#: The model's own tests (mechanisms, kernels, health, random streams, the SIS reference, the Mesa layer):
#: `pytest -m model` runs them alone (about a minute). Files here are marked whole; a file may also mark
#: itself with `pytestmark = pytest.mark.model`.
MODEL_TEST_FILES = {"test_mechanisms.py", "test_health.py", "test_kernels_reference.py", "test_streams.py",
                    "test_reference_sis.py", "test_mesa_layer.py"}


def pytest_collection_modifyitems(config, items):
    """Mark every test of :data:`MODEL_TEST_FILES` with ``model`` (not those marked ``slow``: the benchmark
    harness's end-to-end run is not the model's own test)."""
    for item in items:
        if item.path.name in MODEL_TEST_FILES and item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.model)
