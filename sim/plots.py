"""Figures for a run folder: time series, distributions, and the network coloured by loneliness.

Matplotlib with the non-interactive Agg backend; PNG output carries no timestamp, so figures are
byte-identical for the same run.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

PNG_META = {"Software": None}  # keep matplotlib's version string out of the file


def save_figure(fig, path: Path) -> None:
    """Write a PNG without a version stamp (byte-identical for the same figure) and free the figure."""
    fig.savefig(path, dpi=110, metadata=PNG_META)
    plt.close(fig)


def timeseries_figure(ts, title: str, path: Path) -> None:
    """Four panels of a run's daily series (mood and emotional states, prevalences, connection per day,
    mean relative hazard) to ``path``."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True, layout="constrained")
    day = ts["day"]
    ax = axes[0, 0]
    ax.plot(day, ts["mean_mood"], label="mean mood (−1..1)")
    ax.plot(day, ts["content_share"], label="content share")
    ax.plot(day, ts["discontent_share"], label="discontent share")
    ax.set_title("Mood and emotional states")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.plot(day, ts["loneliness_prevalence"], label="lonely (subjective)")
    ax.plot(day, ts["isolation_prevalence"], label="isolated (objective)")
    ax.set_ylim(0, None)
    ax.set_title("Prevalence")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    alive = ts["alive"].clip(lower=1)
    ax.plot(day, ts["smiles"] / alive, label="smiles per person")
    ax.plot(day, ts["kind_acts"] / alive, label="kind acts per person")
    ax.plot(day, 2 * ts["contacts"] / alive, label="meetings per person")
    ax.set_title("Connection per day")
    ax.set_xlabel("day")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.plot(day, ts["mean_relative_hazard"], color="C3")
    ax.set_title("Mean relative hazard (isolation × loneliness)")
    ax.set_xlabel("day")
    fig.suptitle(title)
    save_figure(fig, path)


def distributions_figure(agents, title: str, path: Path) -> None:
    """Histograms of mood, loneliness, health and degree among the living at the end of a run, to ``path``."""
    cols = ["mood", "loneliness", "health", "degree"]
    alive = agents.loc[agents["alive"].to_numpy(), cols]  # only the plotted columns: a city has a million rows
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.2), layout="constrained")
    for ax, col, rng in zip(axes, cols, [(-1, 1), (0, 1), (0, 1), None]):
        ax.hist(alive[col], bins=40, range=rng, color="C0")
        ax.set_title(col)
    axes[1].axvline(0.5, color="C3", lw=1, ls="--")
    fig.suptitle(title)
    save_figure(fig, path)


def network_figure(sim, path: Path) -> None:
    """The final network coloured by loneliness and sized by health (seeded layout), to ``path``."""
    import networkx as nx

    edges = sim.edges_frame()
    g = nx.Graph()
    g.add_nodes_from(range(sim.n))
    g.add_edges_from(zip(edges["source"].tolist(), edges["target"].tolist()))
    pos = nx.spring_layout(g, seed=sim.seed % (2**32), iterations=50)
    p = sim.people
    fig, ax = plt.subplots(figsize=(8, 8), layout="constrained")
    nx.draw_networkx_edges(g, pos, ax=ax, width=0.3, alpha=0.3)
    alive = np.flatnonzero(p.alive)
    dead = np.flatnonzero(~p.alive)
    art = nx.draw_networkx_nodes(g, pos, nodelist=alive.tolist(), node_color=p.loneliness[alive], cmap="viridis_r",
                                 vmin=0, vmax=1, node_size=(10 + 40 * p.health[alive]).tolist(), ax=ax)
    if dead.size:
        nx.draw_networkx_nodes(g, pos, nodelist=dead.tolist(), node_color="lightgrey", node_size=8, ax=ax)
    fig.colorbar(art, ax=ax, label="loneliness (0–1)", shrink=0.6)
    ax.set_title(f"{sim.scenario.name}: network on day {sim.day} (size = health)")
    ax.axis("off")
    save_figure(fig, path)


def run_figures(sim, folder: Path) -> None:
    """Every figure of a run folder (the network only up to ``output.max_draw_nodes`` people)."""
    title = f"{sim.scenario.name} — {sim.n:,} people, seed {sim.seed}"
    timeseries_figure(sim.timeseries(), title, folder / "timeseries.png")
    distributions_figure(sim.agents_frame(), title, folder / "distributions.png")
    if sim.n <= sim.scenario.output.max_draw_nodes:
        network_figure(sim, folder / "network.png")
