"""Array-native generators for very large social graphs (no NetworkX on the hot path).

NetworkX stores a graph as nested dicts: about 1.3 KB per node plus ~0.3 KB per edge, and its
generators are Python loops (several seconds per million nodes).  For populations of 10^5 to 10^7
people this module writes the graph straight into numpy arrays instead.

Conventions shared by every generator here
------------------------------------------
* Input: ``n`` (number of nodes, labelled ``0..n-1``), the model's parameters and a
  ``numpy.random.Generator``.  The same generator state gives byte-identical output.
* Output: ``(u, v)``, two ``int32`` arrays of length ``E`` (one row per *undirected* edge) with
  ``u < v`` on every row, no self-loops, no duplicate rows, and rows sorted lexicographically by
  ``(u, v)`` (so :func:`csr_from_edges` yields sorted neighbour lists and the output is canonical).
* Memory: the result costs 8 bytes per edge (two int32), i.e. ``4 * k`` bytes per node for mean
  degree ``k`` (40 B/node at k = 10).  Transient peaks during generation are stated per function;
  the dominant one is a single int64 sort key per edge (8 B/edge) plus its argsort (8 B/edge).
* Node ids must fit in int32 (``n < 2**31``).

Each generator draws from the same model *family* as its NetworkX namesake but is its own
realisation: the same seed does not give the same graph as NetworkX.

:func:`csr_from_edges` turns the edge list into a CSR adjacency (``indptr``, ``nbr``, ``eid``) in
O(n + E) time with a two-pass LSD radix sort on 16-bit digits (numpy's stable sort is a radix sort
for 16-bit keys); :func:`to_networkx` builds a NetworkX graph for export and drawing only.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "watts_strogatz",
    "erdos_renyi",
    "gnm",
    "holme_kim",
    "csr_from_edges",
    "to_networkx",
    "edge_keys",
]

_INT32_MAX = np.iinfo(np.int32).max
_CHUNK = 1 << 22  # elements per chunk where work is chunked to bound temporaries (32 MB of int64)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _check_n(n: int) -> int:
    n = int(n)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n > _INT32_MAX:
        raise ValueError(f"n={n} does not fit int32 node ids")
    return n


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    return rng


def edge_keys(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unique int64 key ``u * n + v`` per edge (for set operations and tests).  8 B/edge."""
    return u.astype(np.int64) * np.int64(n) + v.astype(np.int64)


def _keys_to_uv(key: np.ndarray, n: int, chunk: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Decode int64 keys ``u * n + v`` into int32 (u, v), chunked to bound temporaries."""
    u = np.empty(key.size, dtype=np.int32)
    v = np.empty(key.size, dtype=np.int32)
    for s in range(0, key.size, chunk):
        q, r = np.divmod(key[s : s + chunk], n)
        u[s : s + chunk] = q
        v[s : s + chunk] = r
    return u, v


def _canonical_sorted(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return int32 (u, v) with u = min, v = max, rows sorted by (u, v).  O(E log E), ~16 B/edge peak."""
    key = np.minimum(a, b).astype(np.int64)
    key *= n
    key += np.maximum(a, b)
    key.sort()
    return _keys_to_uv(key, n)


def _stable_argsort_int(keys: np.ndarray, n: int) -> np.ndarray:
    """Stable argsort of non-negative integer keys ``< n`` (int64 result).

    Sorts the composite int64 ``key * len + position`` with numpy's (SIMD) quicksort and reads the
    positions back: ~1 s for 2 * 10^7 keys here, 2-3x faster than two 16-bit LSD radix passes
    (numpy's ``kind="stable"`` is a radix sort only for <= 16-bit dtypes; for int32 it is timsort,
    ~2.2 s for 10^7 random keys).  The radix passes remain the fallback when the composite would
    overflow int64.  Memory: 8 B per key.
    """
    m = keys.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if int(n) * int(m) < (1 << 62):
        comp = keys.astype(np.int64)
        comp *= m
        for c0 in range(0, m, _CHUNK):  # + position, chunked (no E-sized arange temporary)
            c1 = min(c0 + _CHUNK, m)
            comp[c0:c1] += np.arange(c0, c1, dtype=np.int64)
        comp.sort()
        np.remainder(comp, m, out=comp)
        return comp
    return _radix_argsort_32(keys)


def _radix_argsort_32(keys: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative int32 keys by two LSD radix passes over 16-bit digits. O(len)."""
    lo = (keys & 0xFFFF).astype(np.uint16)
    order = np.argsort(lo, kind="stable")
    del lo
    hi = (keys >> 16).astype(np.uint16)[order]
    return order[np.argsort(hi, kind="stable")]


# --------------------------------------------------------------------------------------------
# Watts–Strogatz
# --------------------------------------------------------------------------------------------
def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Watts–Strogatz small world: ring lattice with ``k`` neighbours, each tie rewired with prob ``p``.

    Same model as ``networkx.watts_strogatz_graph(n, k, p)``: every node ``u`` is tied to its
    ``k // 2`` nearest neighbours on each side (``k`` odd is rounded down, as in NetworkX); then each
    lattice tie ``(u, u + j mod n)`` is, with probability ``p``, replaced by ``(u, w)`` with ``w``
    uniform over nodes, rejecting ``w == u``, ``w`` = the old endpoint and any ``w`` that would
    duplicate an existing tie (redrawn).  ``k == n`` gives the complete graph; ``k > n`` raises.

    Vectorisation: all rewiring coin flips and first targets are drawn at once.  A candidate
    ``(u, w)`` collides with a kept lattice tie iff the cyclic distance ``d`` of ``u, w`` is
    ``<= k // 2`` and that lattice tie was not itself rewired - an O(1) array lookup, no hashing.
    Collisions among rewired ties are found by sorting only the rewired keys; colliding draws are
    redrawn (a handful of rounds, each over the few remaining ties).  NetworkX processes ties one
    at a time, so whether an earlier-rewired lattice slot counts as "free" can differ; the
    edge-count, degree and clustering statistics are the same family (tested).

    Units: ``k`` ties per node (mean degree is exactly ``2 * (k // 2)``); ``p`` is a probability.
    Complexity: O(n k) time for the lattice and the lookups, plus O(n k log n k) for the final
    canonical sort; 1M nodes with k = 10 take ~0.35 s here (10M: ~5 s).
    Memory: output 4 k bytes/node; peak about 8 * (n k / 2) bytes (one int64 key per edge) plus
    the output, i.e. ~140 MB at n = 1M, k = 10, ~1 GB at n = 10M.
    """
    n = _check_n(n)
    rng = _check_rng(rng)
    k = int(k)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if k > n:
        raise ValueError(f"k > n ({k} > {n}); choose smaller k or larger n")
    if k == n:  # complete graph, as NetworkX
        iu, iv = np.triu_indices(n, 1)
        return iu.astype(np.int32), iv.astype(np.int32)
    h = k // 2
    if h == 0 or n == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty.copy()

    # Lattice tie index e = (j - 1) * n + u  <->  tie (u, (u + j) mod n), j = 1..h.
    n_lat = h * n
    rewired = np.empty(n_lat, dtype=bool)  # which lattice ties get rewired
    for s0 in range(0, n_lat, 1 << 22):  # chunked: bounds the float64 temporary (same stream)
        s1 = min(s0 + (1 << 22), n_lat)
        rewired[s0:s1] = rng.random(s1 - s0) < p
    r_idx = np.flatnonzero(rewired)  # lattice indices being rewired, ascending (= NetworkX order)
    r_src = (r_idx % n).astype(np.int64)  # u keeps its end, the other end moves
    r_old = (r_src + r_idx // n + 1) % n  # the old far end (excluded, as in NetworkX)

    def _hits_kept_lattice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d = (b - a) % n
        fwd = (d >= 1) & (d <= h)  # (a, a + d) is lattice tie (d - 1) * n + a
        bwd = (d >= n - h) & ~fwd  # (b, b + n - d) is lattice tie (n - d - 1) * n + b
        out = np.zeros(a.shape, dtype=bool)
        if fwd.any():
            out[fwd] = ~rewired[(d[fwd] - 1) * n + a[fwd]]
        if bwd.any():
            out[bwd] = ~rewired[(n - d[bwd] - 1) * n + b[bwd]]
        return out

    m = r_idx.size
    target = np.full(m, -1, dtype=np.int64)
    todo = np.arange(m)
    accepted_keys = np.zeros(0, dtype=np.int64)  # sorted keys of accepted rewired ties
    for _round in range(64):
        if todo.size == 0:
            break
        a = r_src[todo]
        w = rng.integers(0, n, size=todo.size, dtype=np.int64)
        bad = (w == a) | (w == r_old[todo]) | _hits_kept_lattice(a, w)
        key = np.minimum(a, w) * n + np.maximum(a, w)
        # collisions with rewired ties accepted in earlier rounds
        if accepted_keys.size:
            pos = np.searchsorted(accepted_keys, key)
            pos[pos == accepted_keys.size] = 0
            bad |= accepted_keys[pos] == key
        # collisions among this round's candidates: keep the first (lowest lattice index)
        ok = np.flatnonzero(~bad)
        okkey = key[ok]
        first = np.ones(ok.size, dtype=bool)
        if ok.size > 1:
            order = np.argsort(okkey, kind="stable")
            sk = okkey[order]
            dup = np.zeros(ok.size, dtype=bool)
            dup[1:] = sk[1:] == sk[:-1]
            first[order[dup]] = False
        keep = ok[first]
        target[todo[keep]] = w[keep]
        if keep.size:  # accepted keys are unique and new, so a concatenate + sort is a union
            # (np.union1d goes through np.unique, whose hash path is ~15x slower here)
            accepted_keys = np.sort(np.concatenate([accepted_keys, key[keep]]))
        done = np.zeros(todo.size, dtype=bool)
        done[keep] = True
        todo = todo[~done]
    if todo.size:
        # Only reachable on tiny dense graphs where a source is (nearly) saturated: redo the whole
        # rewiring sequentially exactly as NetworkX does (keeps the edge count exact).
        return _ws_sequential(n, h, r_idx, rng)

    # assemble canonical keys: kept lattice ties (one block per offset j) + rewired ties
    n_kept = n_lat - m
    key = np.empty(n_kept + m, dtype=np.int64)
    pos = 0
    for j in range(1, h + 1):
        a = np.flatnonzero(~rewired[(j - 1) * n : j * n])
        b = a + j
        wrap = b >= n
        b[wrap] -= n
        blk = key[pos : pos + a.size]
        np.minimum(a, b, out=blk)
        blk *= n
        blk += np.maximum(a, b)
        pos += a.size
    rk = key[pos:]
    np.minimum(r_src, target, out=rk)
    rk *= n
    rk += np.maximum(r_src, target)
    del r_idx, r_src, r_old, target, accepted_keys
    key.sort()
    return _keys_to_uv(key, n)


def _ws_sequential(n: int, h: int, r_idx: np.ndarray, rng: np.random.Generator):
    """NetworkX's sequential rewiring loop (tiny graphs only): same coin flips ``r_idx``."""
    adj = [set() for _ in range(n)]
    for j in range(1, h + 1):
        for a in range(n):
            b = (a + j) % n
            adj[a].add(b)
            adj[b].add(a)
    for e in r_idx.tolist():
        a, b = e % n, (e % n + e // n + 1) % n
        if len(adj[a]) >= n - 1:
            continue  # skip this rewiring, as NetworkX
        free = [w for w in range(n) if w != a and w not in adj[a]]
        w = free[int(rng.integers(0, len(free)))]
        adj[a].discard(b)
        adj[b].discard(a)
        adj[a].add(w)
        adj[w].add(a)
    pairs = sorted((a, b) for a in range(n) for b in adj[a] if a < b)
    arr = np.array(pairs, dtype=np.int32).reshape(-1, 2)
    return arr[:, 0].copy(), arr[:, 1].copy()


# --------------------------------------------------------------------------------------------
# Erdős–Rényi
# --------------------------------------------------------------------------------------------
def _decode_pairs(n: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map row-major upper-triangle indices ``t`` (ascending) to pairs (u < v), exactly."""
    t = t.astype(np.int64, copy=False)
    b = 2 * n - 1
    # u = largest integer with u * (2n - u - 1) / 2 <= t
    u = np.floor((b - np.sqrt(np.maximum(float(b) * b - 8.0 * t, 0.0))) / 2.0).astype(np.int64)
    u = np.clip(u, 0, max(n - 2, 0))
    start = u * (b - u) // 2
    for _ in range(3):  # integer correction of float rounding (at most one step in practice)
        too_big = start > t
        u -= too_big
        start = u * (b - u) // 2
        nxt = (u + 1) * (b - u - 1) // 2
        too_small = (nxt <= t) & (u < n - 2)
        u += too_small
        start = u * (b - u) // 2
    v = t - start + u + 1
    return u.astype(np.int32), v.astype(np.int32)


def gnm(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform random graph with exactly ``m`` edges (``networkx.gnm_random_graph`` family).

    The ``m`` edges are a uniform sample without replacement of the ``n (n - 1) / 2`` pair indices
    (numpy's ``Generator.choice(..., replace=False)``: Floyd's algorithm for sparse draws), decoded
    arithmetically to pairs.  Complexity O(m log m) (one sort of the sample); memory ~24 B per
    edge transient, 8 B/edge output.
    """
    n = _check_n(n)
    rng = _check_rng(rng)
    n_pairs = n * (n - 1) // 2
    m = int(m)
    if not 0 <= m <= n_pairs:
        raise ValueError(f"m must be in [0, {n_pairs}], got {m}")
    if m == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty.copy()
    t = rng.choice(n_pairs, size=m, replace=False, shuffle=False)
    t = np.sort(t.astype(np.int64, copy=False))
    return _decode_pairs(n, t)


def erdos_renyi(n: int, p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Erdős–Rényi G(n, p): every pair is tied independently with probability ``p``.

    Exact sampling by edge count: ``M ~ Binomial(n (n - 1) / 2, p)``, then a uniform ``M``-subset
    of the pairs (:func:`gnm`) - together exactly G(n, p), in O(M log M) instead of O(n^2).
    Units: ``p`` is a probability per pair; mean degree is ``p (n - 1)``.
    Memory: 8 B/edge output, ~48 B/edge transient (1M nodes at mean degree 10: ~1.2 s, ~250 MB).
    """
    n = _check_n(n)
    rng = _check_rng(rng)
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    n_pairs = n * (n - 1) // 2
    m = int(rng.binomial(n_pairs, p)) if n_pairs > 0 else 0
    return gnm(n, m, rng)


# --------------------------------------------------------------------------------------------
# Holme–Kim-like clustered power-law graph
# --------------------------------------------------------------------------------------------
def holme_kim(
    n: int, m: int, p: float, rng: np.random.Generator, *, max_redraw_rounds: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """Clustered scale-free graph in the Holme–Kim family (``networkx.powerlaw_cluster_graph``).

    Growth model: nodes ``0..m-1`` start unconnected; node ``m`` ties to all of them; every later
    node ``t`` makes ``m`` ties.  Its first tie is preferential attachment (PA: target chosen with
    probability proportional to degree); each further tie is, with probability ``p``, a *triad
    formation* step (TF: a random neighbour of the last PA target ``w``, closing a triangle),
    otherwise another PA step.  Mean degree ~ ``2 m``; degree tail ~ k^-3; clustering grows with p.

    How it is vectorised (Batagelj–Brandes pointer trick): ties live in a flat "endpoint slot"
    array ``S`` of length ``2 E`` where slot ``2e`` holds tie ``e``'s new node and ``2e + 1`` its
    target.  PA for node ``t`` = copy the value of a uniform random slot created before ``t``
    (uniform over slots = proportional to degree).  Every PA draw therefore points strictly
    backwards, so all draws are made at once and resolved by a few rounds of vectorised pointer
    chasing (about half of all slots are known sources, so chains are short: ~log2(E) rounds).
    TF: the *first* TF after a PA draw of slot ``s`` takes the other endpoint of the tie that
    owns ``s`` (``S[s ^ 1]``) - an exactly uniform random neighbour of ``w`` at that time.  A
    second or later TF after the same PA draw (possible when ``m >= 3``) takes a random one of
    ``w``'s own ``m`` attachment targets instead (not any neighbour): this keeps every reference
    pointing backwards in time.  If ``w`` is one of the ``m`` seed nodes (no own targets), it
    falls back to PA.  A tie that duplicates another of ``t``'s ties (NetworkX avoids these by
    rejection) is redrawn by PA (up to ``max_redraw_rounds`` rounds) and dropped if still
    duplicated, so a few ties per million may be missing.  Differences from NetworkX: the redraw
    rules above and the pointer order.  Mean degree and clustering match NetworkX closely (tested at
    5 x 10^3 nodes: clustering within ~5%); the hubs are larger when many TF steps follow one PA
    draw, because later TFs pick among ``w``'s (older, better connected) own targets: at n = 10^4,
    m = 3, p = 0.9 the largest degree is ~1,300 against ~700 for NetworkX (m = 5, p = 0.5: ~950 vs
    ~750).

    Units: ``m`` ties per new node, ``p`` a probability per extra tie.
    Complexity: O(E) per resolution round (~20 rounds, shrinking geometrically) plus one O(E log E) sort;
    ~2.7 s for n = 1M, m = 5 here (10M: ~30 s).  Memory: ~40 B per tie transient (slot array, pointers,
    keys), 8 B/tie output.
    """
    n = _check_n(n)
    rng = _check_rng(rng)
    m = int(m)
    p = float(p)
    if m < 1 or m >= n:
        raise ValueError(f"need 1 <= m < n, got m={m}, n={n}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")

    n_new = n - m  # nodes m..n-1 each add m ties
    E = n_new * m
    # tie e = (t - m) * m + j ; slots 2e (source t) and 2e + 1 (target)
    S = np.empty(2 * E, dtype=np.int32)
    S[0::2] = np.repeat(np.arange(m, n, dtype=np.int32), m)
    known = np.zeros(2 * E, dtype=bool)
    known[0::2] = True
    S[1 : 2 * m : 2] = np.arange(m, dtype=np.int32)  # node m ties to all seed nodes
    known[1 : 2 * m : 2] = True

    if n_new > 1:
        # slot indices fit int32 up to 2E < 2^31 (n m < ~10^9): halves the index memory
        idx = np.int32 if 2 * E < _INT32_MAX else np.int64
        rows = n_new - 1
        tt = np.arange(1, n_new, dtype=idx)  # t - m for nodes m+1..n-1
        n_slots_before = (2 * m) * tt  # slots created before node t
        jj = np.arange(m, dtype=idx)
        # PA draws (one per tie; also the fallback for a TF whose anchor is a seed node) and the
        # TF coin flips, drawn column by column to bound the float64 temporaries
        pa_ptr = np.empty((rows, m), dtype=idx)
        is_tf = np.zeros((rows, m), dtype=bool)
        for j in range(m):
            col = (rng.random(rows) * n_slots_before).astype(idx)
            pa_ptr[:, j] = np.minimum(col, n_slots_before - 1)
            if j:
                is_tf[:, j] = rng.random(rows) < p
        del col
        # anchor = last PA tie (column) before j in the same row
        anchor_col = np.maximum.accumulate(np.where(is_tf, idx(-1), jj[None, :]), axis=1)
        # first TF after an anchor: is_tf and previous column is the anchor itself
        prev_is_anchor = np.zeros_like(is_tf)
        prev_is_anchor[:, 1:] = anchor_col[:, :-1] == jj[None, :-1]
        first_tf = is_tf & prev_is_anchor
        later_tf = is_tf & ~prev_is_anchor
        del prev_is_anchor, is_tf
        anchor_ptr = np.take_along_axis(pa_ptr, anchor_col, axis=1)
        ptr = np.where(first_tf, anchor_ptr ^ 1, pa_ptr)  # PA and first TF: known pointer
        ptr[later_tf] = -1  # later TF: needs w = value of anchor's slot
        del anchor_ptr, first_tf, later_tf
        anchor_slot = anchor_col  # reuse: slot of the anchor's target, 2 (t' m + col) + 1
        anchor_slot += (tt * m)[:, None]
        anchor_slot *= 2
        anchor_slot += 1
        own_r = rng.integers(0, m, size=(rows, m), dtype=np.int32 if m > 127 else np.int8)
        slot = ((tt * m)[:, None] + jj[None, :]).astype(idx)  # tie index of each cell ...
        slot *= 2
        slot += 1  # ... -> its target slot

        slot = slot.ravel()
        ptr = ptr.ravel()
        fallback = pa_ptr.ravel()
        anchor_slot = anchor_slot.ravel()
        own_r = own_r.ravel()
        del pa_ptr, tt, n_slots_before

        # Resolve by rounds over the still-unknown cells (arrays compacted each round).
        # Pointers only go backwards and half of all slots are known sources, so the unknown set
        # shrinks geometrically (~20 rounds at E = 5M).
        cell_slot, cell_ptr = slot, ptr
        cell_anchor, cell_own, cell_fb = anchor_slot, own_r, fallback
        for _round in range(10_000):
            if cell_slot.size == 0:
                break
            need = cell_ptr < 0  # later TF: once w = S[anchor] is known, point at w's own target
            if need.any():
                ready = need & known[cell_anchor]
                w = S[cell_anchor[ready]].astype(np.int64)
                own = 2 * ((w - m) * m + cell_own[ready]) + 1
                cell_ptr[ready] = np.where(w >= m, own, cell_fb[ready])
            res = cell_ptr >= 0
            res[res] = known[cell_ptr[res]]
            S[cell_slot[res]] = S[cell_ptr[res]]
            known[cell_slot[res]] = True
            left = ~res
            cell_slot, cell_ptr = cell_slot[left], cell_ptr[left]
            cell_anchor, cell_own, cell_fb = cell_anchor[left], cell_own[left], cell_fb[left]
        if cell_slot.size:  # pragma: no cover - pointers only go backwards, so this cannot happen
            raise RuntimeError("holme_kim: unresolved pointers")
        del ptr, anchor_slot, own_r, known, fallback, slot

        # Ties that duplicate an earlier column of the same node are redrawn by PA over the slots
        # created before that node (m (m - 1) / 2 column comparisons, no sort).
        T = S[1::2].reshape(n_new, m)

        def _dup_mask(T):
            dup = np.zeros(T.shape, dtype=bool)
            for c in range(1, m):
                for c2 in range(c):
                    dup[:, c] |= T[:, c] == T[:, c2]
            return dup

        for _round in range(max_redraw_rounds):
            dup = _dup_mask(T)
            dr, dc = np.nonzero(dup)
            if dr.size == 0:
                break
            hi = 2 * m * dr.astype(np.int64)  # slots created before that node (dr >= 1 here)
            draw = np.minimum((rng.random(dr.size) * hi).astype(np.int64), hi - 1)
            T[dr, dc] = S[draw]
        keep = ~_dup_mask(T)
        src = S[0::2].reshape(n_new, m)
        a = T[keep]
        b = src[keep]
        del S, T, keep, src
    else:
        a = np.arange(m, dtype=np.int32)
        b = np.full(m, m, dtype=np.int32)
    return _canonical_sorted(n, a, b)


# --------------------------------------------------------------------------------------------
# CSR and export
# --------------------------------------------------------------------------------------------
def csr_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR adjacency of the undirected edge list ``(u, v)``.

    Returns ``(indptr, nbr, eid)``: for node ``i``, ``nbr[indptr[i]:indptr[i + 1]]`` are its
    neighbours and ``eid[...]`` the row of each tie in ``(u, v)``.  Every undirected edge appears
    twice (once per direction), so ``len(nbr) == 2 * len(u)``.  If the edge list is sorted by
    ``(u, v)`` (as every generator here returns it) each neighbour list is sorted ascending.

    Dtypes: ``indptr`` int64 (n + 1), ``nbr`` int32 (2E), ``eid`` int32 (2E).
    Complexity: when ``u`` is non-decreasing (true for every generator here) only the ``v`` column
    is sorted (a stable sort, see :func:`_stable_argsort_int`) and positions follow from prefix
    sums; otherwise all 2E directed entries are stably sorted by source.  The sort is O(E log E)
    on paper (SIMD quicksort of a composite key) but beats numpy's O(E) 16-bit radix passes in
    practice; everything else is O(n + E).
    Memory: output 8 B/node + 16 B/edge; transient ~24 B/edge on the fast path (1M nodes,
    k = 10: ~0.5 s, ~150 MB).
    """
    n = _check_n(n)
    u = np.asarray(u)
    v = np.asarray(v)
    if u.shape != v.shape or u.ndim != 1:
        raise ValueError("u and v must be 1-D arrays of equal length")
    E = u.size
    if E and (min(int(u.min()), int(v.min())) < 0 or max(int(u.max()), int(v.max())) >= n):
        raise ValueError("edge endpoint out of range [0, n)")
    cnt_u = np.bincount(u, minlength=n)
    cnt_v = np.bincount(v, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(cnt_u + cnt_v, out=indptr[1:])
    nbr = np.empty(2 * E, dtype=np.int32)
    eid = np.empty(2 * E, dtype=np.int32)
    if E == 0:
        return indptr, nbr, eid
    if np.all(u[1:] >= u[:-1]):
        # Fast path (every generator here): edges sorted by u.  Row i holds first its "lower"
        # neighbours (ties where i is the v end, in edge order) then its "upper" ones (i is u).
        # Only the v column needs a (stable) sort; positions follow from prefix sums.
        cus = np.zeros(n, dtype=np.int64)  # exclusive prefix sum of cnt_u
        np.cumsum(cnt_u[:-1], out=cus[1:])
        cvs_incl = np.cumsum(cnt_v)  # inclusive prefix sum of cnt_v
        del cnt_u, cnt_v
        ord_a = _stable_argsort_int(v, n)  # block A: v -> u, grouped by v
        for c0 in range(0, E, _CHUNK):  # scatter in chunks: temporaries stay O(chunk)
            c1 = min(c0 + _CHUNK, E)
            oa = ord_a[c0:c1]
            pos = cus[v[oa]]
            pos += np.arange(c0, c1, dtype=np.int64)
            nbr[pos] = u[oa]
            eid[pos] = oa
        del ord_a
        for c0 in range(0, E, _CHUNK):  # block B: u -> v, already grouped by u
            c1 = min(c0 + _CHUNK, E)
            pos = cvs_incl[u[c0:c1]]
            pos += np.arange(c0, c1, dtype=np.int64)
            nbr[pos] = v[c0:c1]
            eid[pos] = np.arange(c0, c1, dtype=np.int32)
        return indptr, nbr, eid
    # General path: stable counting sort of all 2E directed entries by source.
    del cnt_u, cnt_v
    src = np.concatenate([v, u]).astype(np.int32, copy=False)  # block A (v -> u) first
    order = _stable_argsort_int(src, n)
    del src
    np.take(np.concatenate([u, v]).astype(np.int32, copy=False), order, out=nbr)
    order[order >= E] -= E
    eid[:] = order
    return indptr, nbr, eid


def to_networkx(n: int, u: np.ndarray, v: np.ndarray):
    """NetworkX ``Graph`` with nodes ``0..n-1`` and the given edges - for export and drawing only.

    Costs ~1.3 KB per node plus ~0.3 KB per edge and ~1-2 s per million edges; never use it on the
    simulation's hot path.
    """
    import networkx as nx

    G = nx.Graph()
    G.add_nodes_from(range(int(n)))
    G.add_edges_from(zip(np.asarray(u).tolist(), np.asarray(v).tolist()))
    return G


def expected_ws_clustering(k: int, p: float) -> float:
    """Barrat–Weigt approximation of WS clustering: C(p) ~ C(0) (1 - p)^3, C(0) = 3(K-2)/(4(K-1)).

    ``K = 2 * (k // 2)`` is the lattice degree.  Used by tests and documentation.
    """
    K = 2 * (int(k) // 2)
    if K < 4:
        return 0.0
    return 3.0 * (K - 2) / (4.0 * (K - 1)) * (1.0 - p) ** 3


__all__.append("expected_ws_clustering")

