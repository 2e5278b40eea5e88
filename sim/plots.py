"""Figures for a run folder: time series, distributions, and the ego networks of a few people.

Matplotlib with the non-interactive Agg backend. Every figure is written in ``output.figure_format``
(PNG at 300 dpi, SVG or PDF) without a timestamp or version stamp, so figures are byte-identical for the
same run. House rules (issue 19): every axis titled with its unit, display names from
:mod:`sim.config.display` instead of code names, one unit per axis, y ranges that start from a
meaningful floor (0, or 1 for a relative hazard) so that noise does not look like a trend, and legends
beside the axes, never on the data.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.config.display import TIE_COLOURS, measure  # noqa: E402

#: Figure formats ``output.figure_format`` accepts.
FIGURE_FORMATS = ("png", "svg", "pdf")
#: Resolution of PNG figures (journals ask for at least 300 dpi).
PNG_DPI = 300
#: Resolution of the PNG copies embedded in report.html pages (a screen, not a printer).
EMBED_DPI = 110
# No version strings or dates in the files: the same figure gives the same bytes.
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
             "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}}
matplotlib.rcParams["svg.hashsalt"] = "lonesim"  # SVG element ids from a fixed salt, not a random one
PNG_META = _METADATA["png"]


def figure_path(path: Path, fmt: str = "png") -> Path:
    """``path`` with the suffix of ``fmt`` (``timeseries.png`` → ``timeseries.svg``)."""
    return Path(path).with_suffix(f".{fmt}")


def save_figure(fig, path: Path, fmt: str | None = None, close: bool = True) -> Path:
    """Write ``fig`` to ``path`` in ``fmt`` (default: the suffix of ``path``; PNG at 300 dpi), without a version
    or date stamp, and free the figure unless ``close`` is False. Returns the path written."""
    path = Path(path)
    fmt = fmt or (path.suffix.lstrip(".").lower() or "png")
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {', '.join(FIGURE_FORMATS)} (got {fmt!r})")
    fig.savefig(path, format=fmt, dpi=PNG_DPI, metadata=_METADATA[fmt])
    if close:
        plt.close(fig)
    return path


def save_and_embed(fig, path: Path, fmt: str) -> bytes:
    """Write ``fig`` to ``path`` in ``fmt`` and return the PNG a report page embeds: the file itself when it is
    a PNG (so a page rebuilt later from the files on disk is the same page), else a screen-resolution copy."""
    data = None if fmt == "png" else png_bytes(fig)
    save_figure(fig, path, fmt)
    return Path(path).read_bytes() if data is None else data


def png_bytes(fig, dpi: int = EMBED_DPI) -> bytes:
    """``fig`` as PNG bytes (for a report page), without a version stamp."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=PNG_META)
    return buf.getvalue()


def legend_beside(ax, **kwargs) -> None:
    """The axes' legend to the right of the plot area, off the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False,
              fontsize=kwargs.pop("fontsize", 8), **kwargs)


def floor_ylim(ax, values, floor: float = 0.0, headroom: float = 0.15, min_span: float = 0.0) -> None:
    """A y range from ``floor`` (0 for shares and counts, 1 for a relative hazard) to a little above the data:
    a change of 0.3% then looks like one, not like a cliff."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else floor + 1.0
    span = max(top - floor, min_span, 1e-9)
    ax.set_ylim(floor, floor + span * (1 + headroom))


def timeseries_figure(ts, title: str, path: Path, fmt: str | None = None) -> Path:
    """Six panels of a run's daily series, one unit each: prevalences, emotional states, mean mood, connection
    per person and day, ties per person, mean relative hazard."""
    fig, axes = plt.subplots(3, 2, figsize=(11, 9), sharex=True, layout="constrained")
    day = ts["day"]
    alive = ts["alive"].clip(lower=1)
    ax = axes[0, 0]
    for col, name in (("loneliness_prevalence", "lonely (subjective)"), ("isolation_prevalence", "isolated (objective)")):
        ax.plot(day, 100 * ts[col], label=name)
    floor_ylim(ax, 100 * np.r_[ts["loneliness_prevalence"], ts["isolation_prevalence"]])
    ax.set_ylabel("adults (%)")
    ax.set_title("Loneliness and isolation", fontsize=10)
    legend_beside(ax)
    ax = axes[0, 1]
    for col, name in (("content_share", "content"), ("discontent_share", "discontent")):
        ax.plot(day, 100 * ts[col], label=name)
    floor_ylim(ax, 100 * np.r_[ts["content_share"], ts["discontent_share"]])
    ax.set_ylabel("adults (%)")
    ax.set_title("Emotional states", fontsize=10)
    legend_beside(ax)
    ax = axes[1, 0]
    ax.plot(day, ts["mean_mood"], color="C2")
    ax.set_ylim(-1, 1)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_ylabel(measure("mean_mood")[1])
    ax.set_title("Mean mood", fontsize=10)
    ax = axes[1, 1]
    for values, name in ((ts["smiles"] / alive, "smiles"), (ts["kind_acts"] / alive, "kind acts"),
                         (2 * ts["contacts"] / alive, "meetings")):
        ax.plot(day, values, label=name)
    floor_ylim(ax, np.r_[ts["smiles"] / alive, ts["kind_acts"] / alive, 2 * ts["contacts"] / alive])
    ax.set_ylabel("per person per day")
    ax.set_title("Connection", fontsize=10)
    legend_beside(ax)
    ax = axes[2, 0]
    ax.plot(day, ts["mean_degree"], color="C4")
    floor_ylim(ax, ts["mean_degree"])
    ax.set_ylabel(measure("mean_degree")[1])
    ax.set_title("Ties per person", fontsize=10)
    ax = axes[2, 1]
    ax.plot(day, ts["mean_relative_hazard"], color="C3")
    floor_ylim(ax, ts["mean_relative_hazard"], floor=1.0, min_span=0.2)
    ax.axhline(1.0, color="k", lw=0.6)
    ax.set_ylabel(measure("mean_relative_hazard")[1] + " (1 = neither isolated nor lonely)", fontsize=8)
    ax.set_title("Mean relative hazard of death", fontsize=10)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return save_figure(fig, path, fmt)


#: (column, x-axis title, range) of the distributions figure.
_DISTRIBUTIONS = [("mood", "mood (−1 to 1 scale)", (-1, 1)), ("loneliness", "loneliness (0–1 scale)", (0, 1)),
                  ("health", "health (0–1 scale)", (0, 1)), ("degree", "active ties per person", None)]


def distributions_figure(agents, title: str, path: Path, fmt: str | None = None) -> Path:
    """Histograms of mood, loneliness, health and ties among the living at the end of a run."""
    cols = [c for c, _, _ in _DISTRIBUTIONS]
    alive = agents.loc[agents["alive"].to_numpy(), cols]  # only the plotted columns: a city has a million rows
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), layout="constrained")
    for ax, (col, xlabel, rng) in zip(axes, _DISTRIBUTIONS):
        ax.hist(alive[col], bins=40, range=rng, color="C0")
        ax.set_xlabel(xlabel)
        ax.set_title(measure(col)[0] if col != "degree" else "Ties", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("adults alive")
    axes[1].axvline(0.5, color="C3", lw=1, ls="--", label="lonely above 0.5")
    axes[1].legend(fontsize=7, loc="upper right", frameon=False)
    fig.suptitle(title)
    return save_figure(fig, path, fmt)


def pick_egos(people, per_group: int = 3) -> list[tuple[str, int]]:
    """(group, person) of a few living people to draw: the loneliest, the most isolated (highest isolation
    index, then fewest ties), and a few from the middle of the loneliness distribution. Deterministic."""
    alive = np.flatnonzero(people.alive)
    if alive.size == 0:
        return []
    lon = people.loneliness[alive]
    order = alive[np.argsort(-lon, kind="stable")]
    lonely = order[:per_group].tolist()
    iso_score = people.isolation_index[alive].astype(float) * 10 - people.degree[alive]
    isolated = [int(i) for i in alive[np.argsort(-iso_score, kind="stable")] if i not in lonely][:per_group]
    middle = order[order.size // 2: order.size // 2 + per_group].tolist()
    middle = [int(i) for i in middle if i not in lonely and i not in isolated]
    return ([("lonely", int(i)) for i in lonely] + [("isolated", i) for i in isolated]
            + [("neither", i) for i in middle])


def network_figure(sim, path: Path, fmt: str | None = None, per_group: int = 3) -> Path:
    """The ego networks of a few people at the end of a run: the loneliest, the most isolated and some in the
    middle. Each panel: the person in the centre, their active ties around them coloured by kind (partner,
    family, friend, ...; width = closeness), the ties among those contacts in grey, every node coloured by
    loneliness. Cheap at any town size (no layout of the whole network)."""
    from matplotlib.lines import Line2D

    from sim._core import TIE_KINDS

    t = sim.ties
    ids = t.active_ids()  # the active ties, straight from the arrays (no sorted table of a city's ties)
    p = sim.people
    egos = pick_egos(p, per_group)
    src, dst = np.asarray(t.u)[ids], np.asarray(t.v)[ids]
    kind = np.asarray(t.kind)[ids].astype(np.int64)
    close = np.asarray(t.closeness)[ids].astype(float)
    ncol = per_group
    nrow = max(1, -(-len(egos) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol + 1.6, 3.4 * nrow), layout="constrained", squeeze=False)
    cmap = plt.get_cmap("viridis_r")
    for ax, (group, ego) in zip(axes.flat, egos):
        mine = (src == ego) | (dst == ego)
        alters = np.where(src[mine] == ego, dst[mine], src[mine])
        order = np.lexsort((alters, kind[mine]))  # grouped by kind around the circle
        alters, kinds, closes = alters[order], kind[mine][order], close[mine][order]
        angle = 2 * np.pi * np.arange(alters.size) / max(alters.size, 1)
        pos = {int(a): (np.cos(t), np.sin(t)) for a, t in zip(alters, angle)}
        pos[ego] = (0.0, 0.0)
        among = np.isin(src, alters) & np.isin(dst, alters)
        for s, d in zip(src[among], dst[among]):
            ax.plot(*zip(pos[int(s)], pos[int(d)]), color="0.75", lw=0.6, zorder=1)
        for a, k, c in zip(alters, kinds, closes):
            ax.plot(*zip(pos[ego], pos[int(a)]), color=TIE_COLOURS[TIE_KINDS[k]], lw=0.8 + 2.5 * c, zorder=2)
        nodes = np.array([ego, *alters.tolist()], dtype=np.int64)
        xy = np.array([pos[int(n)] for n in nodes])
        ax.scatter(xy[:, 0], xy[:, 1], c=p.loneliness[nodes], cmap=cmap, vmin=0, vmax=1,
                   s=[160] + [45] * alters.size, edgecolors="k", linewidths=0.5, zorder=3)
        if alters.size == 0:
            ax.text(0, -0.35, "no active ties", ha="center", fontsize=8)
        ax.set_title(f"{group}: person {ego}, age {int(p.age[ego])}\n{alters.size} ties, loneliness "
                     f"{p.loneliness[ego]:.2f}", fontsize=8)
        ax.set_xlim(-1.25, 1.25)
        ax.set_ylim(-1.25, 1.25)
        ax.set_aspect("equal")
        ax.axis("off")
    for ax in list(axes.flat)[len(egos):]:
        ax.axis("off")
    handles = [Line2D([0], [0], color=TIE_COLOURS[k], lw=2.5, label=k) for k in TIE_KINDS]
    handles.append(Line2D([0], [0], color="0.75", lw=1, label="tie between contacts"))
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False, title="tie kind",
               title_fontsize=8)
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(sm, ax=axes, label="loneliness (0–1 scale)", shrink=0.5, location="right")
    fig.suptitle(f"{sim.scenario.name}: ego networks on day {sim.day} (centre: the person; line width: closeness)",
                 fontsize=10)
    return save_figure(fig, path, fmt)


def run_figures(sim, folder: Path) -> None:
    """Every figure of a run folder, in ``output.figure_format``."""
    fmt = sim.scenario.output.figure_format
    title = f"{sim.scenario.name} — {sim.n:,} people, seed {sim.seed}"
    timeseries_figure(sim.timeseries(), title, folder / f"timeseries.{fmt}", fmt)
    distributions_figure(sim.agents_frame(), title, folder / f"distributions.{fmt}", fmt)
    network_figure(sim, folder / f"network.{fmt}", fmt)
