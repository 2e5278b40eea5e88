"""A seeded force-directed layout, fast enough to compute when the page loads.

NetworkX's ``spring_layout`` switches to a sparse, loop-heavy Fruchterman–Reingold at 500 nodes and
more: measured here 2.5 s at 500 nodes, 15 s at 1,500 and 390 s at 10,000. The page draws at most
:data:`~sim.viz.params.MAX_DRAWN_PEOPLE` people, so the dense, vectorised form of the same algorithm
(the one NetworkX itself uses below 500 nodes) is enough: all pairwise forces as numpy arrays.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np


def force_layout(graph: nx.Graph, seed: int = 0, iterations: int = 50) -> dict:
    """Node -> (x, y) in [-1, 1]: Fruchterman–Reingold from a seeded random start.

    Same seed and graph give the same positions. Memory is O(n^2) (about 40 MB at 1,500 nodes).
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.0, 0.0)}
    index = {v: i for i, v in enumerate(nodes)}
    adjacency = np.zeros((n, n), dtype=np.float32)
    if graph.number_of_edges():
        u, v = zip(*((index[a], index[b]) for a, b in graph.edges() if a != b))
        adjacency[list(u), list(v)] = 1.0
        adjacency[list(v), list(u)] = 1.0

    rng = np.random.default_rng(seed % (2**32))
    pos = rng.random((n, 2), dtype=np.float32)
    k = np.float32(math.sqrt(1.0 / n))  # optimal distance
    temperature = 0.1 * max(1.0, float(np.ptp(pos, axis=0).max()))
    cooling = temperature / (iterations + 1)
    k2 = k * k
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        distance = np.sqrt(dx * dx + dy * dy)
        np.clip(distance, 0.01, None, out=distance)
        # repulsion k^2/d for every pair, attraction d^2/k along ties, as a factor on (dx, dy) / d
        factor = k2 / (distance * distance)
        factor -= adjacency * (distance / k)
        disp = np.stack([(dx * factor).sum(axis=1), (dy * factor).sum(axis=1)], axis=1)
        length = np.sqrt((disp * disp).sum(axis=1))
        length = np.where(length < 0.01, np.float32(0.1), length)
        pos += disp * (np.float32(temperature) / length)[:, None]
        temperature -= cooling

    pos -= pos.mean(axis=0)
    scale = float(np.abs(pos).max()) or 1.0
    pos /= scale
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, pos)}
