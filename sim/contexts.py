"""The ``population`` network: ties from the contexts people share, each with a kind and a closeness.

Ties form where people meet (Feld 1981, the focused organisation of social ties), so the generator
builds each context and ties its members, straight into arrays (O(people + ties), no NetworkX):

* **partners** — people drawn as partnered (sim.demography) are paired by rank of age, men a little
  older on average (the gap follows from the partnered shares by age and sex; ``population.partners.age_gap_sd``
  adds noise); one PARTNER tie each;
* **kin groups** — everyone belongs to one kin group (mean size ``network.contexts.family_size_mean``);
  members are all tied as FAMILY, with one closeness per group (close-knit or distant families);
  the family network does not shrink with age (Wrzus et al. 2013);
* **household** — a person without a partner who lives with family (``population.households``) has
  one of their kin as a HOUSEHOLD tie (they meet most days);
* **friend circles** — the least sociable ``friendless_share`` have none; everyone else joins
  1 + Poisson((``friend_circles(age)`` − 1) × sociability) circles; in each
  pass people are sorted by age plus noise (``age_mixing_sd``) and cut into circles whose members are
  all FRIEND-tied: clustered, age-assortative (McPherson et al. 2001; Mossong et al. 2008), and
  fewer for older people (friendship networks shrink through adulthood: Wrzus et al. 2013);
* **work teams** — the employed, in teams of mean size ``work_team_size``, all WORK-tied;
* **neighbours** — a ring over a random order, ``neighbours`` ACQUAINTANCE ties each;
* **groups** — members (``population.groups``) in groups of mean size ``group_size``, each tied to
  ``group_ties`` fellow members (a ring) as ACQUAINTANCE.

People live on a map: ids are places in a line of regions of ``region_size`` people, and every
context is formed inside a region (a kin group, a work team, a friend circle are people of the same
area; the neighbourhood ring follows the map). Besides being how focal institutions are organised,
this keeps each person's ties among nearby ids, so the daily kernels find them in cache.

Where two contexts tie the same pair, the closer kind wins (partner > household > family > friend
> work > acquaintance). Closeness is drawn from a Beta distribution per kind (``ties.<kind>``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from sim._core import ACQUAINTANCE, FAMILY, FRIEND, HOUSEHOLD, MALE, PARTNER, WORK, jit, pjit
from sim.config import Scenario, TieKindConfig
from sim.demography import Demography
from sim.networks import EdgeList, apply_isolation, build_graph


def beta_closeness(kind: TieKindConfig, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` closeness values (0–1, float32) from the kind's Beta distribution."""
    a = kind.closeness_mean * kind.closeness_concentration
    b = (1.0 - kind.closeness_mean) * kind.closeness_concentration
    return rng.beta(a, b, size).astype(np.float32)


def chunk_bounds(total: int, mean_size: float, rng: np.random.Generator, min_size: int = 1) -> np.ndarray:
    """Boundaries ``[0, b1, b2, ..., total]`` cutting ``total`` items into chunks of size
    ``min_size`` + Poisson(``mean_size`` − ``min_size``) (the last chunk takes what is left)."""
    if total <= 0:
        return np.zeros(1, np.int64)
    extra = max(mean_size - min_size, 0.0)
    sizes = min_size + rng.poisson(extra, size=int(total / max(mean_size, 1.0) * 1.2) + 16)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    while bounds[-1] < total:
        more = min_size + rng.poisson(extra, size=int(total / max(mean_size, 1.0) * 0.2) + 16)
        bounds = np.concatenate([bounds, bounds[-1] + np.cumsum(more)])
    cut = int(np.searchsorted(bounds, total))
    bounds = bounds[: cut + 1].copy()
    bounds[-1] = total
    return bounds.astype(np.int64)


@jit
def _pairs_within(order, bounds):
    """Every pair (order[i], order[j]), i < j, inside each chunk [bounds[c], bounds[c+1])."""
    count = 0
    for c in range(bounds.size - 1):
        s = bounds[c + 1] - bounds[c]
        count += s * (s - 1) // 2
    u = np.empty(count, np.int32)
    v = np.empty(count, np.int32)
    k = 0
    for c in range(bounds.size - 1):
        for i in range(bounds[c], bounds[c + 1]):
            for j in range(i + 1, bounds[c + 1]):
                u[k], v[k] = order[i], order[j]
                k += 1
    return u, v


@jit
def _ring_within(order, bounds, k):
    """Within each chunk, each member tied to the next ``k // 2`` members (cyclically): a ring lattice
    of degree ``k`` (fewer in chunks of ``k`` members or less, where everyone is tied)."""
    half = k // 2
    count = 0
    for c in range(bounds.size - 1):
        s = bounds[c + 1] - bounds[c]
        count += s * (s - 1) // 2 if s <= k + 1 else s * half
    u = np.empty(count, np.int32)
    v = np.empty(count, np.int32)
    m = 0
    for c in range(bounds.size - 1):
        lo, hi = bounds[c], bounds[c + 1]
        s = hi - lo
        if s <= k + 1:
            for i in range(lo, hi):
                for j in range(i + 1, hi):
                    u[m], v[m] = order[i], order[j]
                    m += 1
        else:
            for i in range(s):
                for d in range(1, half + 1):
                    u[m], v[m] = order[lo + i], order[lo + (i + d) % s]
                    m += 1
    return u, v


def regional_order(ids: np.ndarray, region_size: int, key: np.ndarray) -> np.ndarray:
    """``ids`` sorted by region (id // region_size), then by ``key`` within the region (int32).

    The order of ``np.lexsort((key, ids // region_size))`` (ties keep their input order), computed by
    :func:`order_by_group`: a counting sort by region and one small sort per region instead of two global
    stable sorts (9 of the 23 s of building a 2M-person network went to ``lexsort``)."""
    ids = np.asarray(ids, np.int64)
    order = order_by_group(ids // max(region_size, 1), np.asarray(key, np.float64))
    return ids[order].astype(np.int32)


def order_by_group(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The permutation ``np.lexsort((key, group))``: by ``group`` (non-negative ints), then by ``key``
    (floats), ties in input order. A counting sort by group, then one quicksort per group with the order
    of equal keys restored afterwards (numpy's quicksort is 5x its stable sort on floats)."""
    group = np.asarray(group, np.int64)
    key = np.asarray(key, np.float64)
    if group.size == 0:
        return np.zeros(0, np.int64)
    if np.isnan(key).any():  # (never in practice) lexsort's placing of NaNs is not worth copying
        return np.lexsort((key, group))
    groups = int(group.max()) + 1
    order, start = _group_counting_sort(group, groups)
    if group.size < 256 * groups:  # many small groups: sort them in compiled code
        _sort_groups_stable(order, start, key)
        return order
    for g in range(groups):
        lo, hi = start[g], start[g + 1]
        if hi - lo > 1:
            block = order[lo:hi]
            order[lo:hi] = block[np.argsort(key[block], kind="quicksort")]
    _restore_tie_order(order, start, key)
    return order


@jit
def _group_counting_sort(group, groups):
    """Indices in order of group (stable), and where each group starts (``groups + 1`` bounds)."""
    start = np.zeros(groups + 1, np.int64)
    for i in range(group.size):
        start[group[i] + 1] += 1
    for g in range(groups):
        start[g + 1] += start[g]
    fill = start[:-1].copy()
    order = np.empty(group.size, np.int64)
    for i in range(group.size):
        order[fill[group[i]]] = i
        fill[group[i]] += 1
    return order, start


@jit
def _sort_groups_stable(order, start, key):
    for g in range(start.size - 1):
        lo, hi = start[g], start[g + 1]
        if hi - lo > 1:
            block = order[lo:hi].copy()
            order[lo:hi] = block[np.argsort(key[block], kind="mergesort")]


@jit
def _restore_tie_order(order, start, key):
    """Within each group of ``order`` sorted by ``key``, put runs of equal keys back in input order."""
    for g in range(start.size - 1):
        i = start[g]
        while i < start[g + 1]:
            j = i + 1
            while j < start[g + 1] and key[order[j]] == key[order[i]]:
                j += 1
            if j - i > 1:
                order[i:j] = np.sort(order[i:j])
            i = j


def pair_partners(demo: Demography, cfg: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(woman, man) pairs among those drawn as partnered, within each region, paired by rank of age with an
    noise of age_gap_sd years on the ages compared (a constant offset between the sexes would not change a
    rank pairing, so the mean gap is what the partnered shares by age and sex imply). Where one sex outnumbers the other in a
    region, a random subset of the larger group stays without a partner."""
    p = cfg.population.partners
    region = max(cfg.network.contexts.region_size, 1)
    want = np.flatnonzero(demo.wants_partner)
    women = want[demo.sex[want] != MALE]
    men = want[demo.sex[want] == MALE]
    noise = p.age_gap_sd / np.sqrt(2.0)
    key_w = demo.age[women] + noise * rng.standard_normal(women.size)
    key_m = demo.age[men] + noise * rng.standard_normal(men.size)
    women, men = regional_order(women, region, key_w), regional_order(men, region, key_m)
    if women.size == 0 or men.size == 0:  # nobody to pair (a tiny town, or one sex only)
        return women[:0], men[:0]
    # per region: keep a random k = min(#women, #men) of each sex, in age order, and pair them by rank
    reg_w, reg_m = women // region, men // region
    n_reg = int(max(reg_w.max(initial=-1), reg_m.max(initial=-1))) + 1
    count_w = np.bincount(reg_w, minlength=n_reg)
    count_m = np.bincount(reg_m, minlength=n_reg)
    keep = np.minimum(count_w, count_m)
    out_w, out_m = [], []
    for who, reg, count in ((women, reg_w, count_w), (men, reg_m, count_m)):
        u = rng.random(who.size)
        # rank of each person's random key within their region; keep the lowest `keep` ranks
        order = order_by_group(reg, u)  # = np.lexsort((u, reg))
        rank = np.empty(who.size, np.int64)
        starts = np.concatenate([[0], np.cumsum(count)[:-1]])
        rank[order] = np.arange(who.size) - np.repeat(starts, count)
        (out_w if who is women else out_m).append(who[rank < keep[reg]])
    return out_w[0], out_m[0]


def population_network(demo: Demography, cfg: Scenario, rng: np.random.Generator) -> EdgeList:
    """The ``population`` network of the people in ``demo`` (see the module docstring)."""
    n = demo.n
    ctx, ties = cfg.network.contexts, cfg.ties
    us, vs, kinds, close = [], [], [], []

    def add(u: np.ndarray, v: np.ndarray, kind: int, closeness: np.ndarray) -> None:
        us.append(np.asarray(u, np.int32))
        vs.append(np.asarray(v, np.int32))
        kinds.append(np.full(len(u), kind, np.int8))
        close.append(np.asarray(closeness, np.float32))

    # partners
    women, men = pair_partners(demo, cfg, rng)
    add(women, men, PARTNER, beta_closeness(ties.partner, women.size, rng))
    has_partner = np.zeros(n, bool)
    has_partner[women] = has_partner[men] = True
    region = max(ctx.region_size, 1)
    everyone = np.arange(n)
    # kin groups: one closeness per group
    order = regional_order(everyone, region, rng.random(n))
    bounds = chunk_bounds(n, ctx.family_size_mean, rng)
    u, v = _pairs_within(order, bounds)
    group_of = np.empty(n, np.int64)
    group_of[order] = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    cohesion = beta_closeness(ties.family, bounds.size - 1, rng)
    add(u, v, FAMILY, cohesion[group_of[u]])
    # household: someone without a partner who lives with family shares a home with one of their kin
    size_of = np.diff(bounds)[group_of]
    lives = np.flatnonzero(~has_partner & demo.with_family & (size_of > 1))
    start = bounds[group_of[lives]]
    pick = start + (rng.random(lives.size) * (size_of[lives] - 1)).astype(np.int64)
    pos = np.empty(n, np.int64)
    pos[order] = np.arange(n)
    pick += pick >= pos[lives]  # skip the person themself
    add(lives, order[pick], HOUSEHOLD, beta_closeness(ties.household, lives.size, rng))
    # friend circles, age-assortative, in passes
    # everyone but the least sociable (friendless_share) joins 1 + Poisson((lambda(age) - 1) x sociability) circles
    cut = np.quantile(demo.sociability, ctx.friendless_share) if n else 0.0
    circles = 1 + rng.poisson(np.maximum(ctx.friend_circles.at(demo.age) - 1.0, 0.0) * demo.sociability)
    circles[demo.sociability <= cut] = 0
    for p in range(1, int(circles.max(initial=0)) + 1):
        who = np.flatnonzero(circles >= p).astype(np.int32)
        if who.size < 2:
            break
        who = regional_order(who, region, demo.age[who] + ctx.age_mixing_sd * rng.standard_normal(who.size))
        u, v = _pairs_within(who, chunk_bounds(who.size, ctx.circle_size, rng, min_size=2))
        add(u, v, FRIEND, beta_closeness(ties.friend, u.size, rng))
    # work teams
    workers = np.flatnonzero(demo.employed)
    workers = regional_order(workers, region, rng.random(workers.size))
    u, v = _pairs_within(workers, chunk_bounds(workers.size, ctx.work_team_size, rng, min_size=2))
    add(u, v, WORK, beta_closeness(ties.work, u.size, rng))
    # neighbours: one ring along the map
    if ctx.neighbours > 0 and n > 1:
        u, v = _ring_within(everyone.astype(np.int32), np.array([0, n], np.int64), ctx.neighbours)
        add(u, v, ACQUAINTANCE, beta_closeness(ties.acquaintance, u.size, rng))
    # groups: a ring inside each group
    members = np.flatnonzero(demo.group_member)
    members = regional_order(members, region, rng.random(members.size))
    if ctx.group_ties > 0 and members.size > 1:
        u, v = _ring_within(members, chunk_bounds(members.size, ctx.group_size, rng, min_size=2), ctx.group_ties)
        add(u, v, ACQUAINTANCE, beta_closeness(ties.acquaintance, u.size, rng))
    return merge_ties(n, np.concatenate(us), np.concatenate(vs), np.concatenate(kinds), np.concatenate(close))


def merge_ties(n: int, u: np.ndarray, v: np.ndarray, kind: np.ndarray, closeness: np.ndarray) -> EdgeList:
    """One tie per pair, oriented u < v and sorted by (u, v); where contexts tie the same pair twice the
    closer kind (lower code) wins (the first listed, among ties of one kind); self-ties are dropped."""
    lo = np.minimum(u, v).astype(np.int32)
    hi = np.maximum(u, v).astype(np.int32)
    keep = np.flatnonzero(lo != hi)
    lo, hi, kind, closeness = lo[keep], hi[keep], kind[keep], closeness[keep]
    order, first = _sort_pairs(n, lo, hi, kind)
    pick = order[first]
    return EdgeList(n, lo[pick], hi[pick], kind=kind[pick].astype(np.int8), closeness=closeness[pick].astype(np.float32))


def _sort_pairs(n: int, lo: np.ndarray, hi: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The permutation ``np.lexsort((kind, lo * n + hi))`` (ties in input order) and a mask of the first
    entry of every (lo, hi) pair in it: a counting sort by ``lo`` (stable), then an insertion sort by
    (hi, kind) among each person's few ties, in parallel over people. O(ties) in practice, where the two
    global stable sorts it replaces took 7 of the 23 s of building a 2M-person network."""
    order, start = _group_counting_sort(lo, n)
    his, kinds = hi[order], kind[order]
    first = np.ones(lo.size, np.bool_)
    _sort_within(order, start, his, kinds, first)
    return order, first


@pjit
def _sort_within(order, start, his, kinds, first):
    """Sort each person's run [start[a], start[a+1]) of ``order`` by (his, kinds), stably (insertion sort on
    local copies), and clear ``first`` on repeats of a pair. Each iteration touches only its own run."""
    for a in prange(start.size - 1):
        lo, hi = start[a], start[a + 1]
        for i in range(lo + 1, hi):
            x, hx, kx = order[i], his[i], kinds[i]
            j = i - 1
            while j >= lo and (his[j] > hx or (his[j] == hx and kinds[j] > kx)):
                order[j + 1], his[j + 1], kinds[j + 1] = order[j], his[j], kinds[j]
                j -= 1
            order[j + 1], his[j + 1], kinds[j + 1] = x, hx, kx
        for i in range(lo + 1, hi):
            if his[i] == his[i - 1]:
                first[i] = False


@jit
def _match_partners(order, u, v, wants, partner):
    """Greedy matching over edges in ``order``: an edge whose two ends both want a partner and have none
    becomes a partnership. Returns a bool per edge."""
    out = np.zeros(u.size, np.bool_)
    for k in range(order.size):
        e = order[k]
        a, b = u[e], v[e]
        if wants[a] and wants[b] and partner[a] < 0 and partner[b] < 0:
            partner[a], partner[b] = b, a
            out[e] = True
    return out


#: Shares of the non-partner ties of a generic graph by kind (family, friend, work, acquaintance):
#: an assumption, roughly the mix of the population network at its defaults.
GENERIC_KIND_SHARES = (0.3, 0.35, 0.2, 0.15)


def assign_kinds(edges: EdgeList, demo: Demography, cfg: Scenario, rng: np.random.Generator) -> EdgeList:
    """Give the ties of a generic graph (or an edge list) kinds and closeness: partners by greedy matching
    among ties whose ends were drawn as partnered, the rest by :data:`GENERIC_KIND_SHARES` (work only
    between two employed people, else friend). Closeness from each kind's Beta distribution, or the edge
    list's weights (clipped to 0.01–1) where it has them."""
    m = edges.m
    partner = np.full(edges.n, -1, np.int32)
    is_partner = _match_partners(rng.permutation(m).astype(np.int64), edges.u, edges.v, demo.wants_partner, partner)
    draw = rng.choice(4, size=m, p=np.array(GENERIC_KIND_SHARES) / sum(GENERIC_KIND_SHARES))
    kind = np.array([FAMILY, FRIEND, WORK, ACQUAINTANCE], np.int8)[draw]
    not_work = (kind == WORK) & ~(demo.employed[edges.u] & demo.employed[edges.v])
    kind[not_work] = FRIEND
    kind[is_partner] = PARTNER
    closeness = np.empty(m, np.float32)
    for code, kcfg in enumerate(cfg.ties.kinds()):
        sel = kind == code
        closeness[sel] = beta_closeness(kcfg, int(sel.sum()), rng)
    weight = getattr(edges, "weight", None)
    if weight is not None:
        closeness = np.clip(np.asarray(weight, np.float32), 0.01, 1.0)
    return EdgeList(edges.n, edges.u, edges.v, edges.labels, kind=kind, closeness=closeness)


def town_network(demo: Demography, cfg: Scenario, rng: np.random.Generator, graph: EdgeList | None = None) -> EdgeList:
    """The scenario's network with kinds and closeness: the ``population`` network, or a generic family /
    an edge list (``graph``, when already loaded) with kinds assigned (:func:`assign_kinds`); then
    near-isolates (``network.isolation``), chosen at random or oldest first."""
    if cfg.network.kind == "population":
        edges = population_network(demo, cfg, rng)
    else:
        graph = graph if graph is not None else build_graph(cfg.network, demo.n, rng)
        if graph.n != demo.n:
            raise ValueError(f"the edge list has {graph.n} people, the population {demo.n}")
        edges = assign_kinds(graph, demo, cfg, rng)
    iso = cfg.network.isolation
    order = np.argsort(-demo.age, kind="stable") if iso.targeting == "oldest" else None
    return apply_isolation(edges, iso.fraction, iso.max_ties, rng, order=order)
