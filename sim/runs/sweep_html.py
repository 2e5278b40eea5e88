"""``report.html`` of a sweep, in the house style of :mod:`sim.runs.page`: what was swept, what moved and how
clearly (the 95% intervals of the first and last points), the dose-response figure before its table, and
the time series per point."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.config.display import measure, parameter_name
from sim.runs import page as pg

#: The proxies of the headline and the table (display names and units: sim.config.display).
MAIN = ["loneliness_prevalence_mean", "isolation_prevalence_mean", "mean_relative_hazard", "expected_deaths_per_1000_py"]
MIN_REPLICATES = 5


def facts(manifest: dict[str, Any], runs: int, expected: int) -> str:
    """What was run, from the sweep's own resolved scenario."""
    sc = manifest.get("scenario") or {}
    swept = ", ".join(pg.esc(parameter_name(k)) for k in manifest["swept"]) or "nothing"
    size = sc.get("population", {}).get("size")
    town = f"a town of {size:,} adults" if isinstance(size, int) else "a town"
    if "population.size" in manifest["swept"]:
        town = "towns of the swept size"
    days = sc.get("days")
    town += f" simulated for {days:,} days" if isinstance(days, int) else ""
    return (f"{len(manifest['points'])} points × {manifest['replicates']} replicates ({runs} of {expected} runs "
            f"finished); {town}; seed {manifest['seed']}. Swept: {swept}.")


def headline(summary: pd.DataFrame) -> list[str]:
    """One line per main proxy: first point → last point, and whether their 95% intervals separate."""
    out = []
    for proxy in MAIN:
        sub = summary[summary["proxy"] == proxy].sort_values("point")
        if len(sub) < 2:
            continue
        first, last = sub.iloc[0], sub.iloc[-1]
        clear = first["ci95_high"] < last["ci95_low"] or last["ci95_high"] < first["ci95_low"]
        name, unit = measure(proxy)
        start = pg.interval(first["mean"], first["ci95_low"], first["ci95_high"], 3)
        end = pg.interval(last["mean"], last["ci95_low"], last["ci95_high"], 3)
        out.append(f"<b>{pg.esc(name)}</b> ({pg.esc(unit)}): {start} at the first point, {end} at the last — "
                   + ("a clear difference (the 95% intervals do not overlap)." if clear else
                      "<b>not clearly different</b> (the 95% intervals overlap)."))
    return out or ["Too few finished points to compare."]


def _table(summary: pd.DataFrame, manifest: dict[str, Any]) -> str:
    proxies = [p for p in MAIN if p in set(summary["proxy"])]
    rows = []
    for point in manifest["points"]:
        sub = summary[summary["point"] == point["point"]].set_index("proxy")
        if sub.empty:
            continue
        label = "<br>".join(f"{pg.esc(parameter_name(k))}: <b>{pg.esc(point['overrides'].get(k))}</b>"
                            for k in manifest["swept"] if k in point["overrides"])
        cells = [f"{point['point'] + 1}", label or "–"]
        for p in proxies:
            r = sub.loc[p]
            cells.append(pg.interval(r["mean"], r["ci95_low"], r["ci95_high"], 3))
        rows.append(cells)
    header = ["Point", "Values"] + [f"{pg.esc(measure(p)[0])} ({pg.esc(measure(p)[1])})" for p in proxies]
    return pg.table(header, rows, left=2)


def sweep_report_html(manifest: dict[str, Any], summary: pd.DataFrame, runs: int, expected: int,
                      figures: dict[str, bytes] | None = None) -> str:
    """The sweep's report page (deterministic)."""
    figures = figures or {}
    body = [pg.replicate_warning(int(manifest["replicates"]), MIN_REPLICATES, "sweep.replicates"),
            pg.warning(f"{expected - runs} of {expected} runs are not finished; this page covers the finished ones "
                       "(finish them with <code>lonesim sweep ... --resume</code>).") if runs < expected else "",
            pg.headline(headline(summary)),
            "<h2>Dose–response</h2>",
            pg.figure(figures.get("dose_response"), "each measure against the swept parameter",
                      "Mean over the replicates with the 95% confidence interval of the mean (bars) and the "
                      "2.5–97.5% range of the replicates (band)."),
            _table(summary, manifest) if len(summary) else "",
            "<h2>Over time</h2>",
            pg.figure(figures.get("timeseries_by_point"), "time series per point",
                      "Each point's daily series: mean over the replicates and their 2.5–97.5% range."),
            pg.glossary(["95% interval", "Replicate", "Relative hazard"])]
    footer = ("Made by <code>lonesim sweep</code> (rebuild with <code>lonesim report FOLDER</code>); every number is in "
              "summary.csv and runs.csv beside this page; docs/sweeps.md explains the folder.")
    return pg.page(f"Sweep: {manifest['name']}", facts(manifest, runs, expected), body, footer)
