"""``report.html`` of a sensitivity analysis, in the house style of :mod:`sim.runs.page`: which assumptions move
each answer, and whether they stand clear of the replicate noise; per output the figure before its table."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.config.display import label, measure, parameter_name
from sim.runs import page as pg
from sim.runs.sensitivity_report import _convergence_line, _design_line


def _n(x: Any) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def headline(indices: pd.DataFrame, outputs: list[str], method: str) -> list[str]:
    """Per output: the parameter with the largest index, and whether it stands clear of the noise."""
    col = "mu_star" if method == "morris" else "ST"
    out = []
    for o in outputs:
        sub = indices[indices["output"] == o].sort_values("rank", kind="stable")
        if sub.empty:
            continue
        top = sub.iloc[0]
        flags = [None if pd.isna(v) else bool(v) for v in sub["above_noise"]]  # True / False / not measured
        above = [f for f in flags if f]
        clear = {True: "stands clear of the replicate noise", False: "does <b>not</b> stand clear of the replicate "
                 "noise", None: "(replicate noise not measured)"}[flags[0]]
        out.append(f"<b>{pg.esc(label(o))}</b> depends most on <b>{pg.esc(parameter_name(top['parameter']))}</b> "
                   f"({'μ*' if method == 'morris' else 'ST'} {_n(float(top[col]))}), which {clear}; "
                   f"{len(above)} of {len(sub)} parameters stand clear of it.")
    return out or ["No output could be analysed."]


def _ranking_table(ranking: pd.DataFrame, outputs: list[str]) -> str:
    analysed = [o for o in outputs if o in ranking.columns]
    rows = [[str(i), pg.esc(parameter_name(r["parameter"])), *[_n(float(r[o])) for o in analysed]]
            for i, (_, r) in enumerate(ranking.iterrows(), start=1)]
    return pg.table(["Rank", "Parameter", *[pg.esc(measure(o)[0]) for o in analysed]], rows, left=2)


def _output_table(sub: pd.DataFrame, method: str) -> str:
    rows = []
    for r in sub.sort_values("rank", kind="stable").itertuples(index=False):
        above = {True: "yes", False: "no"}.get(r.above_noise, "–")
        if method == "morris":
            cells = [f"{_n(r.mu_star)} <small>± {_n(r.mu_star_conf)}</small>", _n(r.sigma), _n(r.mu_star_noise)]
        else:
            cells = [f"{_n(r.S1)} <small>± {_n(r.S1_conf)}</small>", f"{_n(r.ST)} <small>± {_n(r.ST_conf)}</small>",
                     _n(r.ST_noise)]
        rows.append([str(r.rank), pg.esc(parameter_name(r.parameter)), *cells, above])
    head = (["μ* (± 95%)", "σ", "μ* of noise alone"] if method == "morris" else
            ["S1 (± 95%)", "ST (± 95%)", "ST of noise alone"])
    return pg.table(["Rank", "Parameter", *head, "Above noise"], rows, left=2)


def sensitivity_report_html(plan: Any, tables: dict[str, pd.DataFrame], ranking: pd.DataFrame,
                            figures: dict[str, bytes] | None = None) -> str:
    """The analysis' report page (deterministic)."""
    figures = figures or {}
    d = plan.design
    indices, conv = tables["indices"], tables["convergence"]
    by = "μ*" if d.method == "morris" else "ST"
    body = [pg.warning("one replicate per point: the replicate noise is not measured, so no index can be shown "
                       "to stand clear of it. Set <code>sensitivity.replicates: 2</code> or more.")
            if d.replicates < 2 else "",
            pg.headline(headline(indices, plan.outputs, d.method)),
            "<h2>Ranking over all outputs</h2>",
            f"<p>Each cell is the parameter's {by} divided by the largest {by} of that output; parameters are ranked "
            "by their largest cell.</p>",
            _ranking_table(ranking, plan.outputs) if not ranking.empty else ""]
    for out in plan.outputs:
        sub = indices[indices["output"] == out]
        body.append(f"<h2>{pg.esc(label(out))}</h2>")
        if sub.empty:
            body.append("<p>Not analysed: runs gave no finite value.</p>")
            continue
        body += [pg.figure(figures.get(out), f"indices of {out}",
                           "Bars: the index with its 95% bootstrap interval; grey: the index replicate noise alone "
                           "gives; hollow diamonds: the index from half the sample (convergence)."),
                 _output_table(sub, d.method),
                 f"<p class='small'>{pg.esc(_convergence_line(sub, conv[conv['output'] == out], d.method))}</p>"]
    params = "".join(f"<li>{pg.esc(parameter_name(p.path))} (<code>{pg.esc(p.path)}</code>): {p.low:g} to {p.high:g}"
                     + (" (log-uniform)" if p.log else "") + "</li>" for p in d.parameters)
    body += [f"<h2>Parameters and ranges</h2><ul>{params}</ul>",
             pg.glossary(["μ* (Morris)", "S1, ST (Sobol')", "95% interval", "Replicate"])]
    footer = ("Made by <code>lonesim sensitivity</code> (rebuild with <code>lonesim report FOLDER</code>); the numbers "
              "are in indices.csv, ranking.csv, convergence.csv and noise.csv beside this page; how to read them: "
              "docs/sensitivity.md.")
    return pg.page(f"Sensitivity analysis: {plan.name}", pg.esc(_design_line(plan)), body, footer)
