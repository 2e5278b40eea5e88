"""Two reference points for the scale benchmark: the same SIS contagion written two ways.

Model (identical in both implementations; one step = one day):
  * each person is Susceptible or Infected;
  * every day, every *tie direction* (i -> j) with i infected and j susceptible at the start of
    the day transmits with probability ``beta`` (infection probability per contact-day);
  * every day, every person infected at the start of the day recovers (back to susceptible) with
    probability ``gamma`` (recovery probability per day);
  * updates are synchronous: all of the day's changes are computed from the start-of-day state
    (someone infected today cannot infect or recover before tomorrow).

(a) :class:`NumpySIS` - the bare array kernel over the CSR adjacency: one Bernoulli draw per tie
    direction per day, O(n + E) numpy work, no Python loop over people.  This is the floor any
    array-based daily step pays (the full model does strictly more work per tie).
(b) :class:`MesaSIS` - the same model written the idiomatic Mesa 3.5 way, as Mesa's
    ``virus_on_network`` example: one ``FixedAgent`` per person placed on a
    ``mesa.discrete_space.Network`` cell, the day run by ``model.agents.shuffle_do("step")``
    (each infected agent loops over ``self.cell.neighborhood.agents``), then
    ``model.agents.do("advance")`` to apply the synchronous update.  ``layout=None`` is passed to
    ``Network`` - its default spring layout alone takes minutes at 10^5 nodes.

Run ``python benchmarks/reference_sis.py --n 100000 --days 5`` for a quick comparison.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim import fastgraph  # noqa: E402

__all__ = ["NumpySIS", "MesaSIS", "initial_infected", "run_numpy_sis", "run_mesa_sis"]


def initial_infected(n: int, prevalence: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted int64 ids of the ``round(prevalence * n)`` (at least 1) people infected on day 0."""
    k = max(1, int(round(prevalence * n)))
    return np.sort(rng.choice(n, size=min(k, n), replace=False))


# --------------------------------------------------------------------------------------- numpy
class NumpySIS:
    """Bare discrete-time SIS over a CSR adjacency (``indptr`` int64, ``nbr`` int32).

    State: one bool per person.  Per day: ``2E`` uniform draws (float32), the source's state
    expanded to every tie direction, one scatter to targets, ``n`` recovery draws.  Preallocated
    random buffers, so a day allocates only the masks.  Memory: ~6 B per tie direction + 13 B per
    person on top of the CSR.
    """

    def __init__(self, indptr, nbr, beta: float, gamma: float, infected: np.ndarray, rng: np.random.Generator):
        self.n = indptr.size - 1
        self.nbr = nbr
        # degree per person; np.repeat(state, deg) expands a per-person flag to the tie directions
        # (a sequential copy: ~3x faster than the gather state[src] with a source-id array)
        self.deg = np.diff(indptr)
        self.beta = np.float32(beta)
        self.gamma = np.float32(gamma)
        self.rng = rng
        self.infected = np.zeros(self.n, dtype=bool)
        self.infected[infected] = True
        self._u_tie = np.empty(nbr.size, dtype=np.float32)
        self._u_node = np.empty(self.n, dtype=np.float32)
        self.day = 0

    def step(self) -> int:
        """Advance one day; return the number infected at the end of the day."""
        inf = self.infected
        self.rng.random(dtype=np.float32, out=self._u_tie)  # one Bernoulli per tie direction
        transmit = self._u_tie < self.beta
        transmit &= np.repeat(inf, self.deg)  # source infected at start of day
        new = np.zeros(self.n, dtype=bool)
        new[self.nbr[transmit]] = True
        new &= ~inf  # only susceptibles get infected
        self.rng.random(dtype=np.float32, out=self._u_node)
        recover = self._u_node < self.gamma
        recover &= inf
        inf &= ~recover
        inf |= new
        self.day += 1
        return int(np.count_nonzero(inf))

    def run(self, days: int) -> np.ndarray:
        """Run ``days`` days; return prevalence (fraction infected) after each day, float64."""
        out = np.empty(days, dtype=np.float64)
        for d in range(days):
            out[d] = self.step() / self.n
        return out


def run_numpy_sis(n, u, v, beta, gamma, days, seed, prevalence0=0.3, csr=None):
    """Convenience: build CSR (unless given), seed, run; return (prevalence array, timings dict)."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    indptr, nbr, _ = csr if csr is not None else fastgraph.csr_from_edges(n, u, v)
    inf0 = initial_infected(n, prevalence0, rng)
    model = NumpySIS(indptr, nbr, beta, gamma, inf0, rng)
    t1 = time.perf_counter()
    prev = model.run(days)
    t2 = time.perf_counter()
    return prev, {"setup_s": t1 - t0, "step_s": t2 - t1, "days": days}


# --------------------------------------------------------------------------------------- Mesa
def _mesa_classes():
    """Define the Mesa classes lazily so importing this module does not import Mesa."""
    import mesa
    from mesa.discrete_space import FixedAgent, Network

    class SISAgent(FixedAgent):
        """One person: ``infected`` flag; ``step`` infects neighbours, ``advance`` applies it."""

        def __init__(self, model, cell, infected: bool):
            super().__init__(model)
            self.cell = cell
            self.infected = infected
            self.next_infected = infected

        def step(self):
            if self.infected:
                beta = self.model.beta
                for other in self.cell.neighborhood.agents:
                    # susceptible at the start of the day; one Bernoulli per tie direction
                    if not other.infected and self.random.random() < beta:
                        other.next_infected = True
                if self.random.random() < self.model.gamma:
                    self.next_infected = False

        def advance(self):
            self.infected = self.next_infected

    class MesaSISModel(mesa.Model):
        """Idiomatic Mesa 3.5 SIS on a ``Network`` space (cf. Mesa's virus_on_network)."""

        def __init__(self, G, beta: float, gamma: float, infected, rng=None):
            super().__init__(rng=rng)
            self.beta = float(beta)
            self.gamma = float(gamma)
            self.grid = Network(G, capacity=1, random=self.random, layout=None)
            infected = set(int(i) for i in infected)
            for node in G.nodes:
                SISAgent(self, self.grid._cells[node], node in infected)
            self.n = G.number_of_nodes()

        def step(self):
            self.agents.shuffle_do("step")
            self.agents.do("advance")

        def prevalence(self) -> float:
            return sum(1 for a in self.agents if a.infected) / self.n

    return SISAgent, MesaSISModel


def MesaSIS(G, beta, gamma, infected, rng=None):  # noqa: N802 - factory that looks like a class
    """Build the idiomatic Mesa SIS model over NetworkX graph ``G`` (nodes ``0..n-1``)."""
    _, model_cls = _mesa_classes()
    return model_cls(G, beta, gamma, infected, rng=rng)


def run_mesa_sis(n, u, v, beta, gamma, days, seed, prevalence0=0.3, G=None):
    """Build the NetworkX graph (unless given) and the Mesa model, run; return (prevalence, timings).

    The initial infected set is drawn exactly as in :func:`run_numpy_sis` with the same seed, so
    both references start from the same people.  Timings: ``graph_s`` (NetworkX graph),
    ``setup_s`` (Mesa space + agents), ``step_s`` (days only; prevalence is counted outside it).
    """
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    if G is None:
        G = fastgraph.to_networkx(n, u, v)
    t1 = time.perf_counter()
    inf0 = initial_infected(n, prevalence0, rng)
    model = MesaSIS(G, beta, gamma, inf0, rng=int(rng.integers(2**31)))
    t2 = time.perf_counter()
    prev = np.empty(days, dtype=np.float64)
    step_s = 0.0
    for d in range(days):
        ts = time.perf_counter()
        model.step()
        step_s += time.perf_counter() - ts
        prev[d] = model.prevalence()
    return prev, {"graph_s": t1 - t0, "setup_s": t2 - t1, "step_s": step_s, "days": days}


# --------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="people")
    ap.add_argument("--k", type=int, default=10, help="WS lattice degree")
    ap.add_argument("--p", type=float, default=0.1, help="WS rewiring probability")
    ap.add_argument("--beta", type=float, default=0.03, help="infection probability per contact-day")
    ap.add_argument("--gamma", type=float, default=0.1, help="recovery probability per day")
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-mesa", action="store_true")
    a = ap.parse_args(argv)
    u, v = fastgraph.watts_strogatz(a.n, a.k, a.p, np.random.default_rng(a.seed))
    prev_np, t_np = run_numpy_sis(a.n, u, v, a.beta, a.gamma, a.days, a.seed)
    day_np = t_np["step_s"] / a.days
    print(f"numpy SIS : n={a.n:,} {a.days} days  {day_np * 1e3:9.2f} ms/day  final prevalence {prev_np[-1]:.4f}")
    if not a.no_mesa:
        prev_m, t_m = run_mesa_sis(a.n, u, v, a.beta, a.gamma, a.days, a.seed)
        day_m = t_m["step_s"] / a.days
        print(
            f"Mesa SIS  : n={a.n:,} {a.days} days  {day_m * 1e3:9.2f} ms/day  final prevalence {prev_m[-1]:.4f}"
            f"  (NetworkX {t_m['graph_s']:.1f} s, Mesa set-up {t_m['setup_s']:.1f} s)"
        )
        print(f"Mesa / numpy per day: {day_m / day_np:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
