"""The tie table: every undirected tie as a row of endpoint, kind, closeness and status arrays, with a CSR index.

The network changes every day (ties dissolve, form, are suspended by shocks), which a bare CSR cannot
absorb without a rebuild; so ties live in slots of a table and a CSR index over the table is rebuilt
once 5% of it has changed (see :class:`Ties`).

Where each column changes during a day (the table only stores; mechanisms change it through
:meth:`Ties.add`, :meth:`Ties.remove` and :meth:`Ties.set_status`):

* ``closeness`` fades toward ``base`` every day (e-folding ``ties.closeness_days``) inside the meeting kernel
  (:func:`sim.dynamics.meetings.meet`, in the same pass that decides which ties meet); kind acts lift it
  (:func:`sim.dynamics.kindness.do_kind_acts`); the settled start holds it where kind acts balance the fading
  (:func:`sim.dynamics.kindness.hold_closeness`);
* ties dissolve and form by triadic closure in :mod:`sim.dynamics.ties`; strangers' kind acts start
  acquaintance ties (:mod:`sim.dynamics.kindness`); retirement and death end ties (:mod:`sim.dynamics.life_events`);
  shocks suspend them and programmes add group ties (:mod:`sim.interventions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim._core import FRIEND, TIE_ACTIVE, TIE_GONE, jit
from sim.networks import EdgeList


@dataclass
class Ties:
    """The tie table: slots of undirected ties with a kind, a closeness and a status, and a CSR index.

    New ties are appended to free capacity; dissolved ties keep their slot (status 0) until the
    next :meth:`rebuild_index`, which compacts the table and rebuilds the CSR index. Between
    rebuilds, ties formed since the last rebuild take part in every mechanism except serving as a
    path for triadic closure (they are not yet in the index); the index is rebuilt once the table
    has changed by ``rebuild_fraction`` (5%) of its size, so that lag stays small.
    """

    n: int
    u: np.ndarray          # int32 [capacity]
    v: np.ndarray          # int32 [capacity]
    closeness: np.ndarray  # float32 [capacity], 0..1: how close the two are; scales the meeting rate
    base: np.ndarray       # float32 [capacity], 0..1: the closeness a tie relaxes back to without kind acts
    kind: np.ndarray       # int8 [capacity]: PARTNER, HOUSEHOLD, FAMILY, FRIEND, WORK, ACQUAINTANCE (sim._core)
    status: np.ndarray     # int8 [capacity]: 0 gone, 1 active, 2 suspended by a shock
    suspended_by: np.ndarray  # int16 [capacity]: which shock suspended the tie, -1 none
    m: int = 0             # slots in use
    indptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    nbr: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    eid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))   # sorted u*n+v of indexed slots
    key_slot: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    changes: int = 0
    rebuild_fraction: float = 0.05  # a rebuild costs ~3 days of stepping at 1M people: not too often
    degree: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # active ties per person, kept current
    # sorted index of the slots appended since the last rebuild (see _tail_index)
    _tail_keys: np.ndarray | None = field(default=None, repr=False)
    _tail_slot: np.ndarray | None = field(default=None, repr=False)
    _tail_from: int = field(default=0, repr=False)
    _tail_to: int = field(default=0, repr=False)

    @classmethod
    def from_edges(cls, edges: EdgeList, closeness: float | np.ndarray | None = None, headroom: float = 0.25,
                   kind: int | np.ndarray | None = None) -> Ties:
        """A table holding ``edges`` as active ties, with ``headroom`` spare slots. Kind and closeness come
        from the edge list when it has them, else from ``kind`` (default FRIEND) and ``closeness`` (0.5)."""
        m = edges.m
        cap = max(16, int(m * (1 + headroom)))
        t = cls(
            n=edges.n,
            u=np.zeros(cap, np.int32),
            v=np.zeros(cap, np.int32),
            closeness=np.zeros(cap, np.float32),
            base=np.zeros(cap, np.float32),
            kind=np.zeros(cap, np.int8),
            status=np.zeros(cap, np.int8),
            suspended_by=np.full(cap, -1, np.int16),
            m=m,
        )
        t.u[:m], t.v[:m] = edges.u, edges.v
        t.closeness[:m] = closeness if closeness is not None else (edges.closeness if edges.closeness is not None else 0.5)
        t.kind[:m] = kind if kind is not None else (edges.kind if edges.kind is not None else FRIEND)
        t.base[:m] = t.closeness[:m]
        t.status[:m] = TIE_ACTIVE
        t.degree = t.degrees()
        t.rebuild_index()
        return t

    # -- views --------------------------------------------------------------------------------
    def active_ids(self) -> np.ndarray:
        """Slot ids of the active ties, increasing (int32)."""
        return np.flatnonzero(self.status[: self.m] == TIE_ACTIVE).astype(np.int32)

    @property
    def indexed(self) -> int:
        """Slots ``[0, indexed)`` are in the CSR index; slots appended since the last rebuild are not."""
        return int(self.keys.size)

    def count_active(self) -> int:
        """Number of active ties."""
        return int(self.degree.sum(dtype=np.int64) // 2)

    def degrees(self) -> np.ndarray:
        """Active ties per person, counted afresh (``degree`` is the same, kept up to date incrementally)."""
        a = self.status[: self.m] == TIE_ACTIVE
        return (np.bincount(self.u[: self.m][a], minlength=self.n)
                + np.bincount(self.v[: self.m][a], minlength=self.n)).astype(np.int32)

    def slots_of(self, people: np.ndarray) -> np.ndarray:
        """Slot ids of every tie (any status) of the given people, each once, increasing: their rows of
        the CSR index plus the slots appended since the last rebuild. O(their ties + appended slots)."""
        people = np.asarray(people, np.int64)
        if people.size == 0:
            return np.zeros(0, np.int64)
        starts, ends = self.indptr[people], self.indptr[people + 1]
        lengths = ends - starts
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        slots = self.eid[pos].astype(np.int64)
        if self.m > self.indexed:
            mark = np.zeros(self.n, bool)
            mark[people] = True
            tail = np.arange(self.indexed, self.m)
            slots = np.concatenate([slots, tail[mark[self.u[tail]] | mark[self.v[tail]]]])
        return np.unique(slots)

    # -- index --------------------------------------------------------------------------------
    def rebuild_index(self) -> None:
        """Compact away dissolved slots, sort the table by (u, v) again and rebuild the CSR and key index.

        The table stays sorted between rebuilds except for the ties appended since the last one, so
        the (stable) sort is a merge of one long run with a short tail, and a sorted table makes both
        the index (keys are already in order) and the day's pass over the ties (ends in order) cheap.
        Tie ids change here; nothing keeps a tie id from one day to the next.
        """
        keep = np.flatnonzero(self.status[: self.m] != TIE_GONE)
        keys = self.u[keep].astype(np.int64) * self.n + self.v[keep]
        order = np.argsort(keys, kind="stable")  # timsort: near-linear on a sorted run plus a tail
        keep = keep[order]
        k = keep.size
        for name in ("u", "v", "closeness", "base", "kind", "status", "suspended_by"):
            arr = getattr(self, name)
            arr[:k] = arr[keep]
        self.status[k:] = TIE_GONE
        self.suspended_by[k:] = -1
        self.m = k
        self.indptr, self.nbr, self.eid = _csr_of_sorted(self.n, self.u[:k], self.v[:k])
        self.keys, self.key_slot = keys[order], np.arange(k, dtype=np.int32)
        self.changes = 0
        self._tail_keys = None

    def maybe_rebuild(self) -> None:
        """Rebuild the index once ``rebuild_fraction`` of the table has changed, or the table is full."""
        if self.changes > self.rebuild_fraction * max(self.m, 1) or self.m + 1 >= self.u.size:
            self.rebuild_index()

    def random_neighbour(self, people: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One uniformly chosen indexed tie slot per person: (neighbour, tie id); -1 where there is none.

        Dissolved or suspended ties are returned too; callers check ``status``.
        """
        start = self.indptr[people]
        deg = self.indptr[people + 1] - start
        pick = start + (rng.random(people.size) * deg).astype(np.int64)
        has = deg > 0
        nbr = np.full(people.size, -1, np.int32)
        eid = np.full(people.size, -1, np.int32)
        nbr[has] = self.nbr[pick[has]]
        eid[has] = self.eid[pick[has]]
        return nbr, eid

    # -- changes ------------------------------------------------------------------------------
    def lookup(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Slot id of tie {a, b} or -1 (searches the index and the slots added since)."""
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        key = lo * self.n + hi
        out = np.full(key.size, -1, np.int32)
        if self.keys.size:
            pos = np.searchsorted(self.keys, key)
            pos_c = np.minimum(pos, self.keys.size - 1)
            hit = self.keys[pos_c] == key
            out[hit] = self.key_slot[pos_c[hit]]
        miss = out < 0
        if self.m > self.keys.size and miss.any():  # slots appended since the last rebuild
            tail_keys, tail_slot = self._tail_index()
            pos = np.searchsorted(tail_keys, key[miss])
            pos_c = np.minimum(pos, tail_keys.size - 1)
            hit = tail_keys[pos_c] == key[miss]
            out[np.flatnonzero(miss)[hit]] = tail_slot[pos_c[hit]]
        return out

    def _tail_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys and slots of the slots appended since the last rebuild, extended as slots are
        appended (a merge of the few new keys, not a sort of the whole tail every day)."""
        start = self.keys.size
        if self._tail_keys is None or self._tail_from != start or self._tail_to > self.m:
            self._tail_keys, self._tail_slot = np.zeros(0, np.int64), np.zeros(0, np.int32)
            self._tail_from = self._tail_to = start
        if self._tail_to < self.m:
            new_slot = np.arange(self._tail_to, self.m, dtype=np.int32)
            new_key = self.u[new_slot].astype(np.int64) * self.n + self.v[new_slot]
            order = np.argsort(new_key, kind="stable")
            new_key, new_slot = new_key[order], new_slot[order]
            at = np.searchsorted(self._tail_keys, new_key)
            self._tail_keys = np.insert(self._tail_keys, at, new_key)
            self._tail_slot = np.insert(self._tail_slot, at, new_slot)
            self._tail_to = self.m
        return self._tail_keys, self._tail_slot

    def add(self, a: np.ndarray, b: np.ndarray, closeness: float, kind: int = FRIEND) -> int:
        """Form ties {a_i, b_i} of ``kind`` and ``closeness`` (ignoring self-ties and existing ones);
        revives dissolved slots. Returns the number of ties formed."""
        ok = a != b
        a, b = a[ok], b[ok]
        if a.size == 0:
            return 0
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key = lo.astype(np.int64) * self.n + hi
        key, first = np.unique(key, return_index=True)
        lo, hi = lo[first], hi[first]
        slot = self.lookup(lo, hi)
        revive = slot >= 0
        revive_slots = slot[revive]
        gone = self.status[revive_slots] == TIE_GONE
        self.set_status(revive_slots[gone], TIE_ACTIVE)
        self.closeness[revive_slots[gone]] = closeness
        self.base[revive_slots[gone]] = closeness
        self.kind[revive_slots[gone]] = kind
        formed = int(gone.sum())
        new_lo, new_hi = lo[~revive], hi[~revive]
        if new_lo.size:
            if self.m + new_lo.size >= self.u.size:
                self.rebuild_index()
                if self.m + new_lo.size >= self.u.size:
                    self._grow(self.m + new_lo.size)
            s = slice(self.m, self.m + new_lo.size)
            self.u[s], self.v[s] = new_lo, new_hi
            self.closeness[s] = closeness
            self.base[s] = closeness
            self.kind[s] = kind
            self.status[s] = TIE_GONE
            self.suspended_by[s] = -1
            self.m += new_lo.size
            self.set_status(np.arange(s.start, s.stop), TIE_ACTIVE)
            formed += int(new_lo.size)
        self.changes += formed
        return formed

    def remove(self, ids: np.ndarray) -> int:
        """Dissolve the active ties among ``ids``; returns how many."""
        ids = ids[self.status[ids] == TIE_ACTIVE]
        self.set_status(ids, TIE_GONE)
        self.changes += int(ids.size)
        return int(ids.size)

    def set_status(self, ids: np.ndarray, status: int) -> None:
        """Change the status of tie slots, keeping ``degree`` current (ids must be distinct)."""
        if ids.size == 0:
            return
        delta = (np.int32(status == TIE_ACTIVE) - (self.status[ids] == TIE_ACTIVE)).astype(np.int32)
        self.status[ids] = status
        changed = delta != 0
        if changed.any():
            ends = np.concatenate([self.u[ids[changed]], self.v[ids[changed]]])
            d = np.concatenate([delta[changed], delta[changed]])
            if ends.size > self.n // 8:  # many changes (a shock): one pass is cheaper than scattered adds
                self.degree += np.bincount(ends, weights=d, minlength=self.n).astype(np.int32)
            else:
                np.add.at(self.degree, ends, d)

    def _grow(self, need: int) -> None:
        cap = int(max(need, self.u.size) * 1.5)
        fills = (("u", 0), ("v", 0), ("closeness", 0), ("base", 0), ("kind", 0), ("status", TIE_GONE), ("suspended_by", -1))
        for name, fill in fills:
            old = getattr(self, name)
            new = np.full(cap, fill, old.dtype)
            new[: old.size] = old
            setattr(self, name, new)



@jit
def _csr_of_sorted(n, u, v):
    """CSR adjacency (indptr, nbr, eid) of ties sorted by (u, v) with u < v, each row in ascending order.

    Row i holds first its lower neighbours (ties (u, i), arriving in increasing u) and then its upper
    ones (ties (i, v), in increasing v): one pass, no sort. Same output as
    :func:`sim.fastgraph.csr_from_edges` on such a table.
    """
    m = u.size
    lower = np.zeros(n, np.int64)
    indptr = np.zeros(n + 1, np.int64)
    for e in range(m):
        indptr[u[e] + 1] += 1
        indptr[v[e] + 1] += 1
        lower[v[e]] += 1
    for i in range(n):
        indptr[i + 1] += indptr[i]
    low_pos = indptr[:-1].copy()
    high_pos = indptr[:-1] + lower
    nbr = np.empty(2 * m, np.int32)
    eid = np.empty(2 * m, np.int32)
    for e in range(m):
        a, b = u[e], v[e]
        nbr[high_pos[a]], eid[high_pos[a]] = b, e
        high_pos[a] += 1
        nbr[low_pos[b]], eid[low_pos[b]] = a, e
        low_pos[b] += 1
    return indptr, nbr, eid
