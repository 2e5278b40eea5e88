"""``report.html`` of a comparison: one self-contained page (figures embedded, no internet needed) that says
in plain words which arm did best and how sure the model is, with the tables and the caveats."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: McDaid & Park 2021 (IJERPH 18:1426): cost per loneliness-free year of a service linking lonely older
#: people to activities, £ (the only published cost per loneliness-free year we know of) [C].
MCDAID_PARK_GBP_PER_LFY = 768.0

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
.headline { background: #f4f8ff; border-left: 4px solid #3b6fd8; padding: 0.6em 1em; }
img { max-width: 100%; }
.small { font-size: 0.85em; color: #555; }
"""


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        if abs(x) >= 1000 or (x == round(x) and abs(x) >= 10):
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    return html.escape(str(x))


def _ci(row: pd.Series, point: str, low: str, high: str, digits: int = 2) -> str:
    return f"{_fmt(row[point], digits)} ({_fmt(row[low], digits)} to {_fmt(row[high], digits)})"


def _image(path: Path, alt: str) -> str:
    if not path.exists():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></p>'


def _table(df: pd.DataFrame, columns: list[tuple]) -> str:
    """An HTML table of ``columns``: (column, title) or (column, title, digits) each."""
    head = "".join(f'<th class="{"l" if i < 2 else ""}">{html.escape(c[1])}</th>' for i, c in enumerate(columns))
    body = []
    for _, r in df.iterrows():
        cells = []
        for i, col in enumerate(columns):
            c, digits = col[0], (col[2] if len(col) > 2 else 2)
            value = r[c] if c in r else None
            text = value if isinstance(value, str) and value.startswith("<") else _fmt(value, digits)
            cells.append(f'<td class="{"l" if i < 2 else ""}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def headline(table: pd.DataFrame, currency: str) -> list[str]:
    """The plain-words findings: best arm by deaths averted, how sure, largest trial effect, cheapest gain."""
    out: list[str] = []
    if table.empty:
        return ["No arm finished."]
    ranked = table.sort_values("deaths_averted_per_1000_enrolled", ascending=False, kind="stable")
    best = ranked.iloc[0]
    deaths = _ci(best, "deaths_averted_per_1000_enrolled", "deaths_averted_low", "deaths_averted_high")
    out.append(f"<b>Most deaths averted per 1,000 enrolled: {html.escape(best['arm'])}</b> ({html.escape(best['programme'])}, "
               f"{html.escape(best['targeting'])}): {deaths} "
               "over the horizon (95% interval with replicate noise and the published hazard-ratio intervals).")
    if "probability_best_deaths_averted" in best:
        p = float(best["probability_best_deaths_averted"])
        sure = "fairly sure" if p >= 0.8 else ("not sure" if p < 0.5 else "somewhat sure")
        out.append(f"How sure: in {p:.0%} of the model's uncertainty draws it averts the most of all arms — the model is "
                   f"{sure} it is the best of these arms by this measure.")
    if len(ranked) > 1:
        second = ranked.iloc[1]
        overlap = second["deaths_averted_high"] >= best["deaths_averted_low"]
        out.append(f"Runner-up: {html.escape(second['arm'])}, "
                   f"{_ci(second, 'deaths_averted_per_1000_enrolled', 'deaths_averted_low', 'deaths_averted_high')}; "
                   + ("the two intervals overlap, so the ranking of the top two is uncertain."
                      if overlap else "the intervals do not overlap."))
    if best["deaths_averted_low"] <= 0 <= best["deaths_averted_high"]:
        out.append("Even the best arm's interval includes zero: at this town size and number of replicates the model "
                   "cannot tell its mortality benefit from none.")
    trial = table.sort_values("trial_smd", kind="stable")
    t = trial.iloc[0]
    out.append(f"<b>Largest effect a trial would see</b> at the end of the programme: {html.escape(t['arm'])}, SMD "
               f"{_ci(t, 'trial_smd', 'trial_smd_low', 'trial_smd_high')} in UCLA-3 loneliness (negative = less lonely).")
    six = [c for c in table.columns if c.startswith("trial_smd_") and c.endswith("m") and not c.endswith(("_low", "_high"))]
    if six:
        last = six[-1]
        lasting = table.sort_values(last, kind="stable").iloc[0]
        if np.isfinite(lasting[last]):
            out.append(f"Most lasting: {html.escape(lasting['arm'])}, SMD {_fmt(lasting[last])} at "
                       f"{last.removeprefix('trial_smd_')} after the programme.")
    costed = table[np.isfinite(table["cost_per_loneliness_free_year"])]
    if len(costed):
        c = costed.sort_values("cost_per_loneliness_free_year", kind="stable").iloc[0]
        cost = _fmt(c["cost_per_loneliness_free_year"], 0)
        out.append(f"<b>Cheapest loneliness-free year</b>: {html.escape(c['arm'])}, {currency}{cost} "
                   f"per loneliness-free year gained (McDaid &amp; Park 2021 found £{MCDAID_PARK_GBP_PER_LFY:.0f} for a service "
                   "linking lonely older people to activities).")
    ly = table[np.isfinite(table["cost_per_life_year"])]
    if len(ly):
        c = ly.sort_values("cost_per_life_year", kind="stable").iloc[0]
        cost = _fmt(c["cost_per_life_year"], 0)
        out.append(f"Cheapest life-year: {html.escape(c['arm'])}, {currency}{cost} per life-year gained.")
    return out


CAVEATS = [
    "The programmes' sizes are calibrated so the simulated trials find the published effects "
    "(experiments/calibrate_programmes.py); the model then predicts what the published trials did not measure: "
    "effects on the network, on mortality, and beyond the trials' follow-up.",
    "Deaths are expected deaths from the risk ledger: each person's baseline hazard times the published hazard "
    "ratio of isolation and loneliness (Wang et al. 2023). The ratios are associations from cohort studies; the "
    "model reads them as causal.",
    "Beyond the simulated days the daily differences are extrapolated (decaying as they decayed at the end of the "
    "run, or held where they did not decay): see the extrapolated share of the horizon in the table.",
    "The simulated trial takes each eligible person's outcome from the town with the programme or the town "
    "without it, so its usual-life group is not contaminated by the programme (as in a trial whose participants "
    "are scattered over a city); the policy read-outs include everything the programme does to the network.",
    "Costs are per enrolled person as given in the comparison block; no discounting, no costs of delivery at "
    "scale, no health-care savings.",
]


def report_html(folder: Path, manifest: dict[str, Any], table: pd.DataFrame, trial: pd.DataFrame) -> str:
    """The whole report page as a string (deterministic: no timestamps)."""
    sc = manifest["scenario"]
    comp = sc["comparison"]
    currency = html.escape(comp["currency"])
    horizon = comp["horizon_years"]
    extrap = float(table["extrapolated_share_of_horizon"].max()) if len(table) else 0.0
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>lonesim comparison: "
             f"{html.escape(manifest['name'])}</title><style>{STYLE}</style></head><body>",
             f"<h1>Which programme, offered to whom? — {html.escape(manifest['name'])}</h1>",
             f"<p>{html.escape(sc.get('description') or '')}</p>",
             f"<p class='small'>{len(table)} programme arms, each against the same town without a programme; a town of "
             f"{sc['population']['size']:,} people simulated for {sc['days']:,} days, {manifest['replicates']} replicate towns "
             f"per arm (seed {manifest['seed']}); deaths, life-years and loneliness-free years over {horizon:g} years from "
             f"each programme's start ({extrap:.0%} of that extrapolated beyond the simulated days at most).</p>",
             "<h2>In plain words</h2><div class='headline'><ul>"]
    parts += [f"<li>{line}</li>" for line in headline(table, currency)]
    parts.append("</ul></div>")
    parts.append("<h2>As a policy: the town with the programme against the town without it</h2>")
    if len(table):
        t = table.copy()
        t["deaths"] = [_ci(r, "deaths_averted_per_1000_enrolled", "deaths_averted_low", "deaths_averted_high")
                       for _, r in t.iterrows()]
        t["deaths_res"] = [_ci(r, "deaths_averted_per_1000_residents", "deaths_averted_per_1000_residents_low",
                               "deaths_averted_per_1000_residents_high", 3) for _, r in t.iterrows()]
        t["ly"] = [_ci(r, "life_years_gained_per_1000_enrolled", "life_years_gained_low", "life_years_gained_high", 1)
                   for _, r in t.iterrows()]
        t["lfy"] = [_ci(r, "loneliness_free_years_per_1000_enrolled", "loneliness_free_years_low",
                        "loneliness_free_years_high", 0) for _, r in t.iterrows()]
        t["lon"] = [f"{100 * r['loneliness_prevalence_change_end']:+.2f}" for _, r in t.iterrows()]
        t["iso"] = [f"{100 * r['isolation_prevalence_change_end']:+.2f}" for _, r in t.iterrows()]
        parts.append(_table(t, [("arm", "arm"), ("targeting", "targeting"), ("enrolled", "enrolled"),
                                ("deaths", "deaths averted per 1,000 enrolled"),
                                ("deaths_res", "per 1,000 residents"), ("ly", "life-years gained per 1,000 enrolled"),
                                ("lfy", "loneliness-free years per 1,000 enrolled"),
                                ("lon", "loneliness prevalence change at end (points)"),
                                ("iso", "isolation prevalence change at end (points)"),
                                ("deaths_averted_among_enrolled_share", "share of deaths averted among the enrolled"),
                                ("spillover_first_degree", "spillover, 1 tie away (SD)", 4),
                                ("spillover_second_degree", "2 ties away (SD)", 4),
                                ("probability_best_deaths_averted", "P(most deaths averted)")]))
        parts.append(f"<h2>Costs ({currency})</h2>")
        parts.append(_table(table, [("arm", "arm"), ("targeting", "targeting"), ("cost_per_enrolled", "per enrolled"),
                                    ("cost_per_1000_enrolled", "per 1,000 enrolled"),
                                    ("cost_per_life_year", "per life-year gained"),
                                    ("cost_per_loneliness_free_year", "per loneliness-free year gained")]))
    parts.append(_image(Path(folder) / "cost.png", "deaths averted per 1,000 enrolled against cost"))
    parts.append("<h2>As a trial would see it</h2><p>The eligible (the people the arm's targeting rule picks) "
                 "randomised 1:1 to the programme or usual life; the standardised mean difference in UCLA-3 "
                 "loneliness (Hedges' g, pooled over the replicate towns; negative = less lonely) and the raw "
                 "difference in UCLA-3 points (scale 3–9).</p>")
    if len(trial):
        tr = trial.copy()
        tr["smd_ci"] = [_ci(r, "smd", "smd_low", "smd_high") for _, r in tr.iterrows()]
        tr["diff_ci"] = [_ci(r, "difference_ucla3", "difference_low", "difference_high") for _, r in tr.iterrows()]
        parts.append(_table(tr, [("arm", "arm"), ("time_point", "time point"), ("day", "day"), ("smd_ci", "SMD (95% CI)"),
                                 ("diff_ci", "UCLA-3 difference (95% CI)"), ("mean_ucla3_usual_life", "usual life mean"),
                                 ("n_programme", "n per arm")]))
    parts.append(_image(Path(folder) / "forest.png", "forest plot of the simulated trials"))
    parts.append("<h2>Caveats</h2><ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in CAVEATS) + "</ul>")
    parts.append("<p class='small'>Made by <code>lonesim compare</code>; the numbers are in comparison.csv and trial.csv "
                 "beside this page, the definitions in docs/programmes.md.</p></body></html>\n")
    return "\n".join(p for p in parts if p)
