"""The population network's sorts (sim/contexts.py) and the edges table's (sim/readouts.py) give exactly
the order of the numpy sorts they replaced (issue 20: the 10M-person network build, the city run's output),
so towns and files are byte-identical to before."""

from __future__ import annotations

import numpy as np

from sim.contexts import merge_ties, order_by_group, regional_order


def test_order_by_group_is_lexsort_with_ties_in_input_order():
    rng = np.random.default_rng(3)
    for n, groups, levels in ((0, 1, 5), (1, 1, 5), (1000, 7, 4), (50_000, 40, 1000)):
        group = rng.integers(0, groups, n)
        key = rng.integers(0, levels, n) / 4.0  # many equal keys: ties must keep their input order
        assert np.array_equal(order_by_group(group, key), np.lexsort((key, group)))


def test_regional_order_sorts_by_region_then_key():
    rng = np.random.default_rng(4)
    ids = np.sort(rng.choice(100_000, 30_000, replace=False))
    key = rng.random(ids.size)
    expected = ids[np.lexsort((key, ids // 1000))].astype(np.int32)
    assert np.array_equal(regional_order(ids, 1000, key), expected)


def _merge_by_lexsort(n, u, v, kind, closeness):
    lo, hi = np.minimum(u, v).astype(np.int64), np.maximum(u, v).astype(np.int64)
    keep = lo != hi
    key = lo[keep] * n + hi[keep]
    kind, closeness = kind[keep], closeness[keep]
    order = np.lexsort((kind, key))
    key, kind, closeness = key[order], kind[order], closeness[order]
    first = np.ones(key.size, bool)
    first[1:] = key[1:] != key[:-1]
    return key[first] // n, key[first] % n, kind[first], closeness[first]


def test_merge_ties_keeps_the_closer_kind_and_the_first_listed():
    rng = np.random.default_rng(5)
    n, m = 2000, 60_000  # ~30 ties a person: many pairs tied twice, by the same kind or another, both ways
    u = rng.integers(0, n, m).astype(np.int32)
    v = (u + rng.integers(-20, 21, m)).clip(0, n - 1).astype(np.int32)
    kind = rng.integers(0, 6, m).astype(np.int8)
    closeness = rng.random(m).astype(np.float32)
    got = merge_ties(n, u, v, kind, closeness)
    lo, hi, k, c = _merge_by_lexsort(n, u, v, kind, closeness)
    assert np.array_equal(got.u, lo) and np.array_equal(got.v, hi)
    assert np.array_equal(got.kind, k) and np.array_equal(got.closeness, c)
    assert got.u.dtype == np.int32 and got.kind.dtype == np.int8 and got.closeness.dtype == np.float32


def test_edges_frame_order_is_lexsort_by_source_then_target():
    from sim.readouts import order_by_pair

    rng = np.random.default_rng(6)
    for n, m in ((1, 0), (5, 40), (3000, 100_000)):
        u = rng.integers(0, n, m).astype(np.int32)
        v = rng.integers(0, n, m).astype(np.int32)  # repeated pairs too: input order kept
        assert np.array_equal(order_by_pair(n, u, v), np.lexsort((v, u)))
