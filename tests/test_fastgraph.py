"""Tests for sim.fastgraph: exact small cases, invariants, statistics, seeding, CSR round-trip."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim import fastgraph as fg


def _rng(seed=0):
    return np.random.default_rng(seed)


def _edge_set(u, v):
    return set(zip(u.tolist(), v.tolist()))


def _nx_edge_set(G):
    return {(min(a, b), max(a, b)) for a, b in G.edges()}


def assert_simple_canonical(n, u, v):
    """int32, u < v (so no self-loops), in range, no duplicate rows, sorted by (u, v)."""
    assert u.dtype == np.int32 and v.dtype == np.int32
    assert u.shape == v.shape and u.ndim == 1
    if u.size == 0:
        return
    assert (u < v).all(), "self-loop or non-canonical row"
    assert u.min() >= 0 and v.max() < n
    keys = fg.edge_keys(n, u, v)
    assert (np.diff(keys) > 0).all(), "duplicate rows or unsorted output"


GENERATORS = {
    "ws": lambda n, rng: fg.watts_strogatz(n, 6, 0.2, rng),
    "er": lambda n, rng: fg.erdos_renyi(n, 6 / max(n - 1, 1), rng),
    "hk": lambda n, rng: fg.holme_kim(n, 3, 0.5, rng),
}


# ---------------------------------------------------------------------------- exact small cases
@pytest.mark.parametrize("n,k", [(20, 4), (11, 6), (100, 10), (7, 2), (9, 5)])
def test_ws_p0_is_networkx_ring_lattice(n, k):
    u, v = fg.watts_strogatz(n, k, 0.0, _rng())
    assert _edge_set(u, v) == _nx_edge_set(nx.watts_strogatz_graph(n, k, 0.0))
    assert_simple_canonical(n, u, v)


def test_ws_two_nodes():
    u, v = fg.watts_strogatz(2, 2, 0.7, _rng())  # k == n -> complete graph, as NetworkX
    assert _edge_set(u, v) == {(0, 1)}
    u, v = fg.watts_strogatz(2, 1, 0.7, _rng())  # k // 2 == 0 -> no ties
    assert u.size == 0 and v.size == 0
    u, v = fg.watts_strogatz(2, 0, 0.0, _rng())
    assert u.size == 0


def test_ws_k_equals_n_is_complete():
    u, v = fg.watts_strogatz(6, 6, 0.5, _rng())
    assert _edge_set(u, v) == _nx_edge_set(nx.complete_graph(6))


def test_ws_rejects_k_greater_than_n():
    with pytest.raises(ValueError):
        fg.watts_strogatz(5, 6, 0.1, _rng())


def test_ws_rejects_bad_p_and_rng():
    with pytest.raises(ValueError):
        fg.watts_strogatz(10, 2, 1.5, _rng())
    with pytest.raises(TypeError):
        fg.watts_strogatz(10, 2, 0.1, 42)


@pytest.mark.parametrize("n,k,p", [(10, 8, 0.9), (7, 6, 1.0), (5, 4, 1.0), (30, 10, 1.0)])
def test_ws_dense_small_keeps_edge_count(n, k, p):
    # dense graphs exercise the sequential fallback; rewiring never changes the number of ties
    for seed in range(10):
        u, v = fg.watts_strogatz(n, k, p, _rng(seed))
        assert_simple_canonical(n, u, v)
        assert u.size == n * (k // 2)


def test_er_extremes():
    u, v = fg.erdos_renyi(50, 0.0, _rng())
    assert u.size == 0
    u, v = fg.erdos_renyi(50, 1.0, _rng())
    assert _edge_set(u, v) == _nx_edge_set(nx.complete_graph(50))
    u, v = fg.erdos_renyi(1, 0.5, _rng())
    assert u.size == 0
    u, v = fg.erdos_renyi(2, 1.0, _rng())
    assert _edge_set(u, v) == {(0, 1)}


def test_gnm_exact_count_and_pair_decoding():
    n = 37
    all_pairs = n * (n - 1) // 2
    u, v = fg.gnm(n, all_pairs, _rng())  # every pair index decoded exactly once
    assert _edge_set(u, v) == _nx_edge_set(nx.complete_graph(n))
    u, v = fg.gnm(n, 100, _rng(3))
    assert u.size == 100
    assert_simple_canonical(n, u, v)
    with pytest.raises(ValueError):
        fg.gnm(n, all_pairs + 1, _rng())


def test_pair_decoding_large_n_exact():
    # float rounding near the end of the upper triangle for n = 10M
    n = 10_000_000
    b = 2 * n - 1
    us = np.array([0, 1, 2, 12345, n // 2, n - 3, n - 2], dtype=np.int64)
    for du in (0, 1, 7):
        vs = np.minimum(us + 1 + du, n - 1)
        t = us * (b - us) // 2 + (vs - us - 1)
        order = np.argsort(t)
        uu, vv = fg._decode_pairs(n, t[order])
        assert (uu == us[order]).all() and (vv == vs[order]).all()


def test_holme_kim_small_and_errors():
    u, v = fg.holme_kim(4, 3, 0.5, _rng())  # node 3 ties to the 3 seed nodes
    assert _edge_set(u, v) == {(0, 3), (1, 3), (2, 3)}
    with pytest.raises(ValueError):
        fg.holme_kim(3, 3, 0.5, _rng())
    with pytest.raises(ValueError):
        fg.holme_kim(10, 0, 0.5, _rng())


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_no_duplicates_or_self_loops_many_seeds(name):
    for seed in range(40):
        n = 30 + 7 * seed
        u, v = GENERATORS[name](n, _rng(seed))
        assert_simple_canonical(n, u, v)


# ---------------------------------------------------------------------------- statistics
def test_ws_mean_degree_exact_and_degree_spread():
    n, k = 20_000, 10
    u, v = fg.watts_strogatz(n, k, 0.3, _rng(1))
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    assert deg.mean() == pytest.approx(k)  # rewiring keeps the count: exactly n k / 2 ties
    # each node keeps its own k/2 "outgoing" ties, so no node falls below k/2
    assert deg.min() >= k // 2
    assert deg.std() > 0.5  # but degrees are no longer all equal


def test_ws_clustering_matches_theory_and_networkx():
    n, k, p = 5_000, 10, 0.1
    ours = np.mean([nx.average_clustering(fg.to_networkx(n, *fg.watts_strogatz(n, k, p, _rng(s)))) for s in range(3)])
    theirs = np.mean([nx.average_clustering(nx.watts_strogatz_graph(n, k, p, seed=s)) for s in range(3)])
    theory = fg.expected_ws_clustering(k, p)  # 0.486
    assert ours == pytest.approx(theirs, abs=0.02)
    assert ours == pytest.approx(theory, abs=0.03)


def test_ws_rewired_fraction():
    n, k, p = 50_000, 10, 0.2
    u, v = fg.watts_strogatz(n, k, p, _rng(2))
    d = np.minimum(v - u, n - (v - u))  # cyclic distance; lattice ties have d <= k/2
    frac_long = np.mean(d > k // 2)
    # a rewired tie lands within distance k/2 only with prob ~k/n, so ~p of ties are long
    sd = np.sqrt(p * (1 - p) / u.size)
    assert abs(frac_long - p) < 5 * sd + 1e-3


def test_er_edge_count_within_sampling_error():
    n, p = 20_000, 8 / 19_999
    mean = n * (n - 1) / 2 * p
    sd = np.sqrt(mean * (1 - p))
    counts = [fg.erdos_renyi(n, p, _rng(s))[0].size for s in range(20)]
    for c in counts:
        assert abs(c - mean) < 5 * sd
    # and the sample mean over 20 draws is within 4 standard errors
    assert abs(np.mean(counts) - mean) < 4 * sd / np.sqrt(20)
    assert np.std(counts) == pytest.approx(sd, rel=0.6)


def test_er_degree_distribution_is_binomial():
    n, p = 50_000, 10 / 49_999
    u, v = fg.erdos_renyi(n, p, _rng(5))
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    assert deg.mean() == pytest.approx(10, abs=0.1)
    assert deg.var() == pytest.approx(10 * (1 - p), rel=0.05)
    # uniformity over pairs: endpoints are spread over the whole id range
    assert np.mean(u < n // 2) == pytest.approx(0.75, abs=0.01)  # P(min of two uniforms < n/2)


def test_holme_kim_matches_networkx_family():
    n, m, p = 5_000, 4, 0.6
    ours, theirs = [], []
    for s in range(3):
        u, v = fg.holme_kim(n, m, p, _rng(s))
        G = fg.to_networkx(n, u, v)
        H = nx.powerlaw_cluster_graph(n, m, p, seed=s)
        ours.append((2 * len(u) / n, nx.average_clustering(G), nx.degree_assortativity_coefficient(G)))
        theirs.append((2 * H.number_of_edges() / n, nx.average_clustering(H), nx.degree_assortativity_coefficient(H)))
    ours, theirs = np.mean(ours, axis=0), np.mean(theirs, axis=0)
    assert ours[0] == pytest.approx(theirs[0], rel=0.01)  # mean degree ~ 2m
    assert ours[1] == pytest.approx(theirs[1], rel=0.15)  # clustering
    assert ours[1] > 5 * nx.average_clustering(nx.barabasi_albert_graph(n, m, seed=0))
    # heavy tail: the largest hub is far above the mean degree
    deg = np.bincount(np.concatenate([u, v]), minlength=n)
    assert deg.max() > 15 * deg.mean()
    assert deg.min() >= 1  # every node is connected


def test_holme_kim_p0_has_low_clustering():
    n = 5_000
    u, v = fg.holme_kim(n, 3, 0.0, _rng(1))
    assert nx.average_clustering(fg.to_networkx(n, u, v)) < 0.05


# ---------------------------------------------------------------------------- seeding
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_identical_different_seed_different(name):
    n = 2_000
    a = GENERATORS[name](n, _rng(11))
    b = GENERATORS[name](n, _rng(11))
    c = GENERATORS[name](n, _rng(12))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not (a[0].size == c[0].size and np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


def test_seed_sequence_spawned_generators_differ():
    ss = np.random.SeedSequence(2024)
    g1, g2 = (np.random.default_rng(s) for s in ss.spawn(2))
    a = fg.watts_strogatz(1_000, 4, 0.3, g1)
    b = fg.watts_strogatz(1_000, 4, 0.3, g2)
    assert _edge_set(*a) != _edge_set(*b)


# ---------------------------------------------------------------------------- CSR
def _check_csr_against_networkx(n, u, v):
    indptr, nbr, eid = fg.csr_from_edges(n, u, v)
    assert indptr.dtype == np.int64 and nbr.dtype == np.int32 and eid.dtype == np.int32
    assert indptr.shape == (n + 1,) and indptr[0] == 0 and indptr[-1] == 2 * u.size
    G = fg.to_networkx(n, u, v)
    for i in range(n):
        row = nbr[indptr[i] : indptr[i + 1]]
        assert sorted(row.tolist()) == sorted(G.adj[i])
        e = eid[indptr[i] : indptr[i + 1]]
        # eid points at the undirected row that joins i and that neighbour
        assert np.all(np.minimum(u[e], v[e]) == np.minimum(i, row))
        assert np.all(np.maximum(u[e], v[e]) == np.maximum(i, row))
    return indptr, nbr, eid


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_csr_round_trip_generators(name):
    n = 600
    u, v = GENERATORS[name](n, _rng(4))
    indptr, nbr, _ = _check_csr_against_networkx(n, u, v)
    # sorted input -> sorted neighbour lists
    for i in range(0, n, 37):
        row = nbr[indptr[i] : indptr[i + 1]]
        assert (np.diff(row) > 0).all()


def test_csr_unsorted_input_general_path():
    rng = _rng(9)
    n = 300
    u, v = fg.erdos_renyi(n, 0.05, rng)
    perm = rng.permutation(u.size)
    uu, vv = u[perm], v[perm]
    swap = rng.random(u.size) < 0.5  # rows need not be canonical for the CSR
    uu, vv = np.where(swap, vv, uu), np.where(swap, uu, vv)
    indptr, nbr, eid = _check_csr_against_networkx(n, uu, vv)
    assert np.array_equal(np.sort(eid), np.repeat(np.arange(u.size), 2))


def test_csr_large_n():
    # n > 65536 exercises the composite-key sort path
    n = 200_000
    u, v = fg.watts_strogatz(n, 4, 0.5, _rng(1))
    indptr, nbr, eid = fg.csr_from_edges(n, u, v)
    deg = np.diff(indptr)
    assert np.array_equal(deg, np.bincount(np.concatenate([u, v]), minlength=n))
    src = np.repeat(np.arange(n, dtype=np.int32), deg)
    # every directed entry corresponds to its undirected row, each row appears twice
    assert np.all(np.minimum(src, nbr) == u[eid]) and np.all(np.maximum(src, nbr) == v[eid])
    assert np.array_equal(np.bincount(eid, minlength=u.size), np.full(u.size, 2))
    # rows sorted ascending
    same_row = src[1:] == src[:-1]
    assert np.all(nbr[1:][same_row] > nbr[:-1][same_row])


@pytest.mark.parametrize("n", [10, 70_000, 3_000_000])
def test_stable_argsort_paths_match_numpy(n):
    keys = _rng(n).integers(0, n, size=50_000).astype(np.int32)
    expected = np.argsort(keys, kind="stable")
    assert np.array_equal(fg._stable_argsort_int(keys, n), expected)
    assert np.array_equal(fg._radix_argsort_32(keys), expected)  # the overflow fallback


def test_csr_empty_and_isolated():
    indptr, nbr, eid = fg.csr_from_edges(5, np.zeros(0, np.int32), np.zeros(0, np.int32))
    assert indptr.tolist() == [0] * 6 and nbr.size == 0 and eid.size == 0
    indptr, nbr, eid = fg.csr_from_edges(4, np.array([1], np.int32), np.array([3], np.int32))
    assert indptr.tolist() == [0, 0, 1, 1, 2] and nbr.tolist() == [3, 1] and eid.tolist() == [0, 0]
    with pytest.raises(ValueError):
        fg.csr_from_edges(3, np.array([0], np.int32), np.array([3], np.int32))


def test_to_networkx_keeps_isolated_nodes():
    G = fg.to_networkx(5, np.array([0], np.int32), np.array([1], np.int32))
    assert G.number_of_nodes() == 5 and G.number_of_edges() == 1
