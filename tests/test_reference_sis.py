"""The two SIS reference implementations are the same model: trajectories agree statistically."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import reference_sis as ref  # noqa: E402

from sim import fastgraph  # noqa: E402


def _graph(n=400, k=6, p=0.1, seed=3):
    return fastgraph.watts_strogatz(n, k, p, np.random.default_rng(seed))


def test_numpy_and_mesa_sis_agree_statistically():
    n, beta, gamma, days, reps = 400, 0.06, 0.15, 25, 16
    u, v = _graph(n)
    csr = fastgraph.csr_from_edges(n, u, v)
    G = fastgraph.to_networkx(n, u, v)
    a = np.array([ref.run_numpy_sis(n, u, v, beta, gamma, days, 100 + s, prevalence0=0.05, csr=csr)[0] for s in range(reps)])
    b = np.array([ref.run_mesa_sis(n, u, v, beta, gamma, days, 100 + s, prevalence0=0.05, G=G)[0] for s in range(reps)])
    # the epidemic grows from 5 % towards an endemic level well above it
    assert a[:, -5:].mean() > 0.2 and b[:, -5:].mean() > 0.2
    # day-by-day mean prevalence agrees within sampling error (Welch z on replicate means)
    se = np.sqrt(a.var(axis=0, ddof=1) / reps + b.var(axis=0, ddof=1) / reps) + 1e-3
    z = np.abs(a.mean(axis=0) - b.mean(axis=0)) / se
    assert z.max() < 4.5, z
    # and the late-time level (averaged over the last 10 days) is the same within 0.04
    assert abs(a[:, -10:].mean() - b[:, -10:].mean()) < 0.04


def test_same_seed_same_initial_infected_and_reproducible():
    n = 300
    u, v = _graph(n)
    p1, _ = ref.run_numpy_sis(n, u, v, 0.05, 0.1, 10, seed=7)
    p2, _ = ref.run_numpy_sis(n, u, v, 0.05, 0.1, 10, seed=7)
    p3, _ = ref.run_numpy_sis(n, u, v, 0.05, 0.1, 10, seed=8)
    assert np.array_equal(p1, p2) and not np.array_equal(p1, p3)
    m1, _ = ref.run_mesa_sis(n, u, v, 0.05, 0.1, 10, seed=7)
    m2, _ = ref.run_mesa_sis(n, u, v, 0.05, 0.1, 10, seed=7)
    assert np.array_equal(m1, m2)
    i1 = ref.initial_infected(n, 0.3, np.random.default_rng(7))
    assert i1.size == 90 and np.unique(i1).size == 90


def test_numpy_sis_limits():
    n = 200
    u, v = _graph(n)
    indptr, nbr, _ = fastgraph.csr_from_edges(n, u, v)
    # no transmission and certain recovery: everyone is susceptible after one day
    m = ref.NumpySIS(indptr, nbr, 0.0, 1.0, np.arange(50), np.random.default_rng(0))
    assert m.step() == 0
    # certain transmission, no recovery: the infection covers the connected graph and stays
    m = ref.NumpySIS(indptr, nbr, 1.0, 0.0, np.array([0]), np.random.default_rng(0))
    counts = [m.step() for _ in range(n)]
    assert counts[-1] == n and all(np.diff(counts) >= 0)
    # day 1 with certain transmission infects exactly node 0's neighbours
    m = ref.NumpySIS(indptr, nbr, 1.0, 0.0, np.array([0]), np.random.default_rng(0))
    assert m.step() == 1 + (indptr[1] - indptr[0])


def test_mesa_sis_limits():
    n = 60
    u, v = _graph(n, k=4)
    G = fastgraph.to_networkx(n, u, v)
    model = ref.MesaSIS(G, 1.0, 0.0, [0], rng=1)
    model.step()
    assert model.prevalence() == pytest.approx((1 + G.degree[0]) / n)  # synchronous: one hop a day
    model = ref.MesaSIS(G, 0.0, 1.0, list(range(n)), rng=1)
    model.step()
    assert model.prevalence() == 0.0


@pytest.mark.slow
def test_benchmark_harness_end_to_end(tmp_path):
    """benchmarks/run.py runs every worker in a subprocess and writes the table, CSV and figure."""
    import csv
    import subprocess

    root = Path(__file__).resolve().parents[1]
    fig = tmp_path / "scale.png"
    proc = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "run.py"), "--sizes", "300", "--days", "3", "--sis-days", "3",
         "--mesa-days", "2", "--repeats", "1", "--out", str(tmp_path), "--figure", str(fig)],
        capture_output=True, text=True, timeout=300, cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path / "scale.csv")))
    assert {r["kind"] for r in rows} == {"full", "numpy_sis", "mesa_sis"}
    assert all(r["status"] == "ok" for r in rows), [r["status"] for r in rows]
    # all three measured the same graph, and every timing is a positive number
    assert len({r["ties"] for r in rows}) == 1 and int(rows[0]["ties"]) > 0
    for r in rows:
        assert float(r["day_s_median"]) > 0 and float(r["peak_mb"]) > 0
    assert "mesa_sis_over_full_300" in (tmp_path / "scale.md").read_text()
    assert fig.stat().st_size > 10_000
