"""Graph builders, edge-list loading and near-isolates."""

import networkx as nx
import numpy as np
import pytest

from sim.config import NetworkConfig, ScenarioError
from sim.networks import apply_isolation, build_graph, load_edgelist, to_networkx

KINDS = ["watts_strogatz", "holme_kim", "barabasi_albert", "erdos_renyi", "communities"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_family_is_seeded_simple_and_near_the_mean_degree(kind):
    cfg = NetworkConfig(kind=kind, mean_degree=8)
    a = build_graph(cfg, 2000, np.random.default_rng(5))
    b = build_graph(cfg, 2000, np.random.default_rng(5))
    c = build_graph(cfg, 2000, np.random.default_rng(6))
    assert np.array_equal(a.u, b.u) and np.array_equal(a.v, b.v)
    assert not (np.array_equal(a.u, c.u) and np.array_equal(a.v, c.v))
    assert np.all(a.u < a.v)
    keys = a.u.astype(np.int64) * a.n + a.v
    assert np.unique(keys).size == keys.size
    assert 6.5 < 2 * a.m / a.n < 9.5


def test_array_generator_is_used_for_large_populations_and_matches_the_family():
    cfg = NetworkConfig(kind="watts_strogatz", mean_degree=10, generator="arrays")
    e = build_graph(cfg, 50_000, np.random.default_rng(1))
    assert abs(2 * e.m / e.n - 10) < 0.05
    g = to_networkx(e)
    sample = list(range(0, 50_000, 50))
    assert nx.average_clustering(g, nodes=sample) > 0.4  # small world: high clustering at p=0.1


def test_isolation_cuts_the_chosen_to_at_most_max_ties_and_is_nested_across_levels():
    cfg = NetworkConfig(kind="watts_strogatz", mean_degree=10)
    base = build_graph(cfg, 1000, np.random.default_rng(3))
    deg = lambda e: np.bincount(np.r_[e.u, e.v], minlength=e.n)  # noqa: E731
    low = apply_isolation(base, 0.1, 1, np.random.default_rng(9))
    high = apply_isolation(base, 0.3, 1, np.random.default_rng(9))
    # The chosen keep at most one tie; a few of their neighbours may drop to one tie as well.
    assert 100 <= (deg(low) <= 1).sum() <= 105 and 300 <= (deg(high) <= 1).sum() <= 315
    # Common random numbers: the isolates at 10% are among the isolates at 30%.
    assert set(np.flatnonzero(deg(low) <= 1)) <= set(np.flatnonzero(deg(high) <= 1))
    none = apply_isolation(base, 0.0, 1, np.random.default_rng(9))
    assert none.m == base.m


def test_csv_edge_list_with_header_and_labels(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("source,target\nann,bob\nbob,cy\ncy,ann\nbob,ann\nann,ann\n")
    e = load_edgelist(p)
    assert e.n == 3 and e.m == 3 and e.labels == ["ann", "bob", "cy"]


def test_whitespace_edge_list_and_graphml(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("# comment\n1 2\n2 3\n10 1\n")
    e = load_edgelist(p)
    assert e.n == 4 and e.m == 3 and e.labels == [1, 2, 3, 10]
    g = nx.path_graph(5)
    nx.write_graphml(g, tmp_path / "g.graphml")
    assert load_edgelist(tmp_path / "g.graphml").m == 4


def test_bad_edge_lists_name_file_and_line(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_edgelist(tmp_path / "missing.csv")
    p = tmp_path / "bad.csv"
    p.write_text("1,2\n3\n")
    with pytest.raises(ScenarioError, match=rf"{p}:2: network.path: expected two node columns"):
        load_edgelist(p)
    q = tmp_path / "bad.graphml"
    q.write_text("<graphml><oops")
    with pytest.raises(ScenarioError, match="GraphML"):
        load_edgelist(q)


def test_generic_graphs_get_kinds_partners_and_closeness():
    from sim._core import PARTNER, WORK
    from sim.config import Scenario
    from sim.contexts import assign_kinds
    from sim.demography import draw_demography

    sc = Scenario().with_overrides({"population.size": 5000, "network.kind": "watts_strogatz"})
    demo = draw_demography(sc, 5000, np.random.default_rng(1))
    graph = build_graph(sc.network, 5000, np.random.default_rng(2))
    e = assign_kinds(graph, demo, sc, np.random.default_rng(3))
    partners = e.kind == PARTNER
    ends = np.r_[e.u[partners], e.v[partners]]
    assert np.unique(ends).size == ends.size  # one partner at most
    assert demo.wants_partner[ends].all() and partners.sum() > 500
    work = e.kind == WORK
    assert (demo.employed[e.u[work]] & demo.employed[e.v[work]]).all()
    assert ((e.closeness > 0) & (e.closeness < 1)).all() and e.m == graph.m
