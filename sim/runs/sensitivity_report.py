"""The figures and ``report.md`` of a sensitivity analysis (``lonesim sensitivity``).

One figure per output (``figures/<output>.<fmt>``, in ``output.figure_format``): the parameters as horizontal bars ranked by their
index, with the bootstrap interval, the index replicate noise alone gives (grey), and the index from
half the sample (a hollow marker: the convergence check). ``report.md`` ranks the parameters over all
outputs, then per output, with the noise and the convergence beside the indices; ``report.html`` says the
same in the house style of every batch (:mod:`sim.runs.sensitivity_html`). Deterministic: no timestamps,
figures without a version stamp.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.config.display import label, parameter_name


class _Titles(dict):
    """Output titles from the display map (sim.config.display), for any output key."""

    def __missing__(self, key: str) -> str:
        return label(key)


TITLES = _Titles()


def _num(x: Any) -> str:
    """A number for the report: 3 significant digits, '–' for a missing one."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.3g}"


def draw_output(indices: pd.DataFrame, convergence: pd.DataFrame, method: str, output: str):
    """Ranked bars of one output's indices with intervals, noise and half-sample markers (a figure; parameters
    by their display names, the legend below the axes)."""
    import matplotlib.pyplot as plt

    df = indices.sort_values("rank", ascending=False, kind="stable")  # largest at the top
    names = list(df["parameter"])
    y = np.arange(len(names))
    half = convergence.set_index(["parameter", "index"])["half"]
    fig, ax = plt.subplots(figsize=(8, 2.2 + 0.32 * len(names)), layout="constrained")
    if method == "morris":
        ax.barh(y, df["mu_star"], xerr=df["mu_star_conf"], color="C0", capsize=2, label="μ* with 95% interval")
        if df["mu_star_noise"].notna().any():
            ax.barh(y, df["mu_star_noise"], height=0.35, color="0.55", label="μ* of replicate noise alone")
        ax.plot([half[(n, "mu_star")] for n in names], y, "D", mfc="none", mec="k", ms=5, label="μ* with half the trajectories")
        ax.set_xlabel(f"μ*: mean |change in the output| over a parameter's range\n({label(output)})")
    else:
        h = 0.38
        ax.barh(y + h / 2, df["ST"], height=h, xerr=df["ST_conf"], color="C3", capsize=2, label="total index ST")
        ax.barh(y - h / 2, df["S1"], height=h, xerr=df["S1_conf"], color="C0", capsize=2, label="first-order index S1")
        if df["ST_noise"].notna().any():
            ax.barh(y + h / 2, df["ST_noise"], height=h / 3, color="0.55", label="ST of replicate noise alone")
        ax.plot([half[(n, "ST")] for n in names], y + h / 2, "D", mfc="none", mec="k", ms=5,
                label="with half the base samples")
        ax.plot([half[(n, "S1")] for n in names], y - h / 2, "D", mfc="none", mec="k", ms=5)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel("share of the output's variance (0–1)")
    ax.set_yticks(y, [parameter_name(n) for n in names], fontsize=8)
    ax.set_title(TITLES[output], fontsize=10)
    fig.legend(fontsize=7, loc="outside lower center", ncols=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _design_line(plan: Any) -> str:
    d = plan.design
    D = len(d.parameters)
    base = plan.base or {}
    people = base.get("population", {}).get("size")
    days = base.get("days")
    what = (f"Morris elementary effects: {d.size} trajectories of {D + 1} points on a {d.levels}-level grid"
            if d.method == "morris" else
            f"Sobol' indices (Saltelli's scheme, first-order and total): {d.size} base samples x {D + 2} points")
    runs = f"{d.points} sample points x {d.replicates} replicate(s) = {plan.n_runs} runs"
    size = f" of {people:,} people x {days} days" if people and days else ""
    return (f"{what}; {runs}{size}; seed {d.seed}. Sampling and indices by SALib; {plan.confidence:.0%} bootstrap "
            f"intervals ({plan.bootstrap} resamples).")


def report_markdown(plan: Any, tables: dict[str, pd.DataFrame], ranking: pd.DataFrame, figures: bool = True,
                    fmt: str = "png") -> str:
    """The text of report.md: design, overall ranking, then per output the ranked indices with noise and convergence."""
    d = plan.design
    method = d.method
    indices, conv, noise = tables["indices"], tables["convergence"], tables["noise"]
    lines = [f"# Sensitivity analysis: {plan.name}", "", _design_line(plan), ""]
    lines += ["Parameters and ranges (uniform unless marked log-uniform):", ""]
    lines += [f"- {parameter_name(p.path)} (`{p.path}`): [{p.low:g}, {p.high:g}]" + (" log-uniform" if p.log else "")
              + (" (integer)" if p.integer else "") for p in d.parameters]
    lines += ["", "How to read it: docs/sensitivity.md. An index counts only when it stands clear of the index that "
              "replicate noise alone gives (`above noise`: the lower end of its interval is above the noise index).", ""]
    if d.replicates < 2:
        lines += ["**One replicate per point: the replicate noise is not measured.** Set `sensitivity.replicates: 2` "
                  "or more before leaning on small indices.", ""]
    by = "μ*" if method == "morris" else "ST"
    analysed = [o for o in plan.outputs if o in set(indices["output"])]
    lines += ["## Ranking over all outputs", "",
              f"Each cell is the parameter's {by} divided by the largest {by} of that output; parameters are ranked by "
              "their largest cell.", ""]
    if not ranking.empty:
        lines.append("| rank | parameter | " + " | ".join(f"`{o}`" for o in analysed) + " |")
        lines.append("|---:|---|" + "---:|" * len(analysed))
        for i, (_, row) in enumerate(ranking.iterrows(), start=1):
            cells = [_num(float(row[o])) for o in analysed]
            lines.append(f"| {i} | `{row['parameter']}` | " + " | ".join(cells) + " |")
        lines.append("")
    for out in plan.outputs:
        nrow = noise[noise["output"] == out].iloc[0]
        lines += [f"## {TITLES[out]} (`{out}`)", ""]
        if not nrow["analysed"]:
            lines += [f"Not analysed: {int(nrow['runs_without_value'])} run(s) gave no finite value.", ""]
            continue
        noise_txt = (f"seed-to-seed SD {_num(nrow['replicate_sd'])} at a point, of which {_num(nrow['common_sd'])} is "
                     f"shared by every point of a replicate (common random numbers: it cancels in the indices); the rest "
                     f"is {_num(100 * nrow['noise_share'])}% of the variance of the analysed (replicate-mean) output"
                     if d.replicates >= 2 else "replicate noise not measured")
        lines += [f"Across the sample: mean {_num(nrow['mean'])}, SD {_num(nrow['sd'])}; {noise_txt}.", ""]
        sub = indices[indices["output"] == out].sort_values("rank", kind="stable")
        if method == "morris":
            lines += ["| rank | parameter | μ* | ± | σ | μ | noise μ* | above noise | μ* (half) |",
                      "|---:|---|---:|---:|---:|---:|---:|:---:|---:|"]
        else:
            lines += ["| rank | parameter | S1 | ± | ST | ± | noise ST | above noise | S1 (half) | ST (half) |",
                      "|---:|---|---:|---:|---:|---:|---:|:---:|---:|---:|"]
        half = conv[conv["output"] == out].set_index(["parameter", "index"])["half"]
        for r in sub.itertuples(index=False):
            above = {True: "yes", False: "no"}.get(r.above_noise, "–")
            if method == "morris":
                cells = [r.mu_star, r.mu_star_conf, r.sigma, r.mu, r.mu_star_noise]
                tail = [half[(r.parameter, "mu_star")]]
            else:
                cells = [r.S1, r.S1_conf, r.ST, r.ST_conf, r.ST_noise]
                tail = [half[(r.parameter, "S1")], half[(r.parameter, "ST")]]
            lines.append(f"| {r.rank} | `{r.parameter}` | " + " | ".join(_num(c) for c in cells) + f" | {above} | "
                         + " | ".join(_num(c) for c in tail) + " |")
        lines.append("")
        lines += [_convergence_line(sub, conv[conv["output"] == out], method), ""]
        if figures:
            lines += [f"![{out}](figures/{out}.{fmt})", ""]
    lines += ["## Files", "",
              "`indices.csv`/`.parquet` (every index, interval and noise index), `ranking.csv`, `convergence.csv` "
              "(half sample beside full), `noise.csv` (replicate noise per output), `runs.csv` (one row per run), "
              "`samples.csv` (the sample points), `runs/*.json` (one file per run), `sensitivity.json` (the plan).", ""]
    return "\n".join(lines)


def _convergence_line(sub: pd.DataFrame, conv: pd.DataFrame, method: str) -> str:
    """One sentence: how far the indices moved from half to full sample, and whether the top ranks held."""
    col = "mu_star" if method == "morris" else "ST"
    c = conv[conv["index"] == col]
    top = float(c["full"].abs().max()) if len(c) else 0.0
    worst = float(c["difference"].abs().max()) if len(c) else 0.0
    k = min(3, len(sub))
    full_top = list(c.sort_values("full", ascending=False, kind="stable")["parameter"][:k])
    half_top = list(c.sort_values("half", ascending=False, kind="stable")["parameter"][:k])
    same = set(full_top) == set(half_top)
    rel = f"{100 * worst / top:.0f}%" if top > 0 else "–"
    return (f"Convergence: with half the sample the {col} values move by at most {_num(worst)} ({rel} of the largest); "
            f"the top {k} {'are the same' if same else 'differ'} ({', '.join(f'`{p}`' for p in half_top)} with half).")
