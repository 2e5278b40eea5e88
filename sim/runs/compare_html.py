"""``report.html`` of a comparison, in the house style of :mod:`sim.runs.page`: which programme, offered to
whom, did most good, and how sure the model is — in words a commissioner reads, with the figures before the
tables.

The wording follows two documented rules (docs/programmes.md): the certainty of a ranking is worded by
:func:`sim.config.display.certainty` from the share of uncertainty draws in which an arm comes first
(≥ 95% "very likely", 75–95% "likely", below "uncertain — the ranking could change"), and no arm is called
the one with "most deaths averted" or the "lowest cost" per year gained when the interval of its gain
includes zero. Arms are ranked by :data:`RANK_BY`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.config.display import CERTAINTY_RULE, certainty, programme_name, targeting_name
from sim.runs import page as pg

#: McDaid & Park 2021 (IJERPH 18:1426): cost per loneliness-free year of a service linking lonely older
#: people to activities, £ (the only published cost per loneliness-free year we know of) [C].
MCDAID_PARK_GBP_PER_LFY = 768.0
#: The outcome the arms are ranked by (and the share of draws in which an arm comes first is about).
RANK_BY = "deaths_averted_per_1000_enrolled"
#: Fewer replicate towns per arm than this and the page warns that its intervals are rough.
MIN_REPLICATES = 5


def arm_label(row: pd.Series, sep: str = " — ") -> str:
    """An arm as a reader knows it: ``Befriending visits — for the loneliest`` (plain text)."""
    return f"{programme_name(row['programme'])}{sep}for {targeting_name(row['targeting'])}"


def _arm_cell(row: pd.Series) -> str:
    return f"{pg.esc(arm_label(row))}<br><small>arm “{pg.esc(row['arm'])}”, coverage {row['coverage']:.0%}</small>"


def clear_of_zero(low: float, high: float) -> bool:
    """True when a 95% interval lies wholly above (or wholly below) zero."""
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def rank_arms(table: pd.DataFrame) -> pd.DataFrame:
    """The arms sorted by :data:`RANK_BY`, best first (ties keep the file's order)."""
    return table.sort_values(RANK_BY, ascending=False, kind="stable").reset_index(drop=True)


def headline(table: pd.DataFrame, currency: str) -> list[str]:
    """The plain-words findings (HTML list items), following the certainty and interval rules."""
    if table.empty:
        return ["No arm finished."]
    ranked = rank_arms(table)
    best = ranked.iloc[0]
    out: list[str] = []
    deaths = pg.interval(best[RANK_BY], best["deaths_averted_low"], best["deaths_averted_high"])
    share = float(best.get("probability_best_deaths_averted", math.nan))
    sure = (f" It came first in {share:.0%} of the model's uncertainty draws: {certainty(share)}."
            if math.isfinite(share) else "")
    if best["deaths_averted_low"] > 0:
        out.append(f"<b>Most deaths averted: {pg.esc(arm_label(best))}</b>, {deaths} per 1,000 enrolled.{sure}")
    elif (ranked["deaths_averted_low"] > 0).any():
        clear = ranked[ranked["deaths_averted_low"] > 0].iloc[0]
        out.append(f"The largest estimate, {pg.esc(arm_label(best))} ({deaths} per 1,000 enrolled), has an interval "
                   f"that includes zero.{sure} <b>The largest benefit clear of zero: {pg.esc(arm_label(clear))}</b>, "
                   f"{pg.interval(clear[RANK_BY], clear['deaths_averted_low'], clear['deaths_averted_high'])}.")
    else:
        out.append("<b>No arm's effect on deaths can be told apart from none</b> at this town size and number of "
                   f"replicates: every interval includes zero. The largest estimate is {pg.esc(arm_label(best))}, "
                   f"{deaths} per 1,000 enrolled.{sure}")
    if len(ranked) > 1:
        second = ranked.iloc[1]
        out.append(f"Next: {pg.esc(arm_label(second))}, "
                   f"{pg.interval(second[RANK_BY], second['deaths_averted_low'], second['deaths_averted_high'])}.")
    trial = table.sort_values("trial_smd", kind="stable").iloc[0]
    smd = pg.interval(trial["trial_smd"], trial["trial_smd_low"], trial["trial_smd_high"])
    if trial["trial_smd_high"] < 0:
        out.append(f"<b>Largest effect a trial would see</b> at the end of the programme: {pg.esc(arm_label(trial))}, "
                   f"SMD {smd} in UCLA-3 loneliness (negative = less lonely; −0.2 is small, −0.5 moderate).")
    else:
        out.append("No simulated trial finds an effect on loneliness clear of zero at the end of its programme "
                   f"(the most negative: {pg.esc(arm_label(trial))}, SMD {smd}).")
    out += _cost_lines(table, currency)
    return out


def _cost_lines(table: pd.DataFrame, currency: str) -> list[str]:
    """The cost headlines: only arms whose gain interval lies above zero are named."""
    out = []
    for cost, low, what in (("cost_per_loneliness_free_year", "loneliness_free_years_low", "loneliness-free year"),
                            ("cost_per_life_year", "life_years_gained_low", "life-year")):
        costed = table[np.isfinite(table[cost])]
        if costed.empty:
            continue
        clear = costed[costed[low] > 0]
        if clear.empty:
            out.append(f"No arm is named as the cheapest way to a {what}: every costed arm's gain interval includes "
                       "zero (see the cost-effectiveness plane).")
            continue
        c = clear.sort_values(cost, kind="stable").iloc[0]
        ref = (f" (McDaid &amp; Park 2021 found £{MCDAID_PARK_GBP_PER_LFY:.0f} for a service linking lonely older "
               "people to activities)" if what.startswith("loneliness") else "")
        out.append(f"<b>Lowest cost per {what} gained</b> among arms whose gain is clear of zero: "
                   f"{pg.esc(arm_label(c))}, {pg.esc(currency)}{pg.num(c[cost], 0)}{ref}.")
    return out


CAVEATS = [
    "The programmes' sizes are calibrated so the simulated trials find the published effects "
    "(experiments/calibrate_programmes.py); the model then predicts what the published trials did not measure: "
    "effects on the network, on mortality, and beyond the trials' follow-up.",
    "Deaths are expected deaths from the risk ledger: each person's baseline hazard times the published hazard "
    "ratio of isolation and loneliness (Wang et al. 2023). The ratios are associations from cohort studies; the "
    "model reads them as causal.",
    "Beyond the simulated days the daily differences are extrapolated (decaying as they decayed at the end of the "
    "run, or held where they did not decay); the share of the horizon extrapolated is given at the top of this page.",
    "The simulated trial takes each eligible person's outcome from the town with the programme or the town "
    "without it, so its usual-life group is not contaminated by the programme (as in a trial whose participants "
    "are scattered over a city); the policy read-outs include everything the programme does to the network.",
    "Costs are per enrolled person as given in the comparison block; no discounting, no costs of delivery at "
    "scale, no health-care savings. Willingness-to-pay lines are for orientation, not a threshold of this model.",
]


def facts(manifest: dict[str, Any], table: pd.DataFrame) -> str:
    """What was run, from the comparison's own resolved scenario (after every --set and --seed)."""
    sc = manifest["scenario"]
    comp = sc["comparison"]
    extrap = float(table["extrapolated_share_of_horizon"].max()) if len(table) else 0.0
    return (f"{len(table)} programme arm{'s' if len(table) != 1 else ''}, each against the same town without a "
            f"programme; a town of {sc['population']['size']:,} adults simulated for {sc['days']:,} days; "
            f"{manifest['replicates']} replicate town{'s' if manifest['replicates'] != 1 else ''} per arm "
            f"(seed {manifest['seed']}). Deaths, life-years and loneliness-free years count over "
            f"{comp['horizon_years']:g} years from each programme's start ({extrap:.0%} of that extrapolated beyond "
            f"the simulated days at most). Arms are ranked by deaths averted per 1,000 enrolled.")


def _policy_tables(ranked: pd.DataFrame) -> str:
    rows = []
    for _, r in ranked.iterrows():
        share = r.get("probability_best_deaths_averted", math.nan)
        rows.append([_arm_cell(r), pg.num(r["enrolled"], 0),
                     pg.interval(r[RANK_BY], r["deaths_averted_low"], r["deaths_averted_high"]),
                     f"{share:.0%}<br><small>{pg.esc(certainty(share))}</small>" if math.isfinite(share) else "–",
                     pg.interval(r["life_years_gained_per_1000_enrolled"], r["life_years_gained_low"],
                                 r["life_years_gained_high"], 1),
                     pg.interval(r["loneliness_free_years_per_1000_enrolled"], r["loneliness_free_years_low"],
                                 r["loneliness_free_years_high"], 0)])
    first = pg.table(["Arm (programme — offered to)", "Enrolled", "Deaths averted per 1,000 enrolled",
                      "Share of draws in which it averts the most", "Life-years gained per 1,000 enrolled",
                      "Loneliness-free years per 1,000 enrolled"], rows)
    rows = []
    for _, r in ranked.iterrows():
        rows.append([pg.esc(arm_label(r)),
                     f"{100 * r['loneliness_prevalence_change_end']:+.2f}",
                     f"{100 * r['isolation_prevalence_change_end']:+.2f}",
                     pg.interval(r["deaths_averted_per_1000_residents"], r["deaths_averted_per_1000_residents_low"],
                                 r["deaths_averted_per_1000_residents_high"], 3),
                     pg.num(r["deaths_averted_among_enrolled_share"]),
                     f"{pg.num(r['spillover_first_degree'], 3)} / {pg.num(r['spillover_second_degree'], 3)}"])
    second = pg.table(["Arm", "Change in loneliness at the end (percentage points)",
                       "Change in isolation at the end (percentage points)", "Deaths averted per 1,000 residents",
                       "Share of deaths averted among the enrolled", "Spillover 1 / 2 ties away (SD)"], rows)
    return first + "<h3>The whole town</h3>" + second


def _cost_table(ranked: pd.DataFrame, currency: str) -> str:
    rows = []
    for _, r in ranked.iterrows():
        cells = [pg.esc(arm_label(r)), pg.num(r["cost_per_enrolled"], 0), pg.num(r["cost_per_1000_enrolled"], 0)]
        for cost, low in (("cost_per_life_year", "life_years_gained_low"),
                          ("cost_per_loneliness_free_year", "loneliness_free_years_low")):
            note = "" if r[low] > 0 or not np.isfinite(r[cost]) else "<br><small>gain not clear of zero</small>"
            cells.append(pg.num(r[cost], 0) + note)
        rows.append(cells)
    c = pg.esc(currency)
    return pg.table(["Arm", f"Cost per enrolled ({c})", f"Cost per 1,000 enrolled ({c})",
                     f"Cost per life-year gained ({c})", f"Cost per loneliness-free year gained ({c})"], rows)


def _trial_table(trial: pd.DataFrame, table: pd.DataFrame) -> str:
    order = {name: i for i, name in enumerate(rank_arms(table)["arm"])}
    tr = trial[trial["time_point"] != "baseline"].copy()
    tr["_order"] = tr["arm"].map(order)
    rows = []
    for _, r in tr.sort_values(["_order", "day"], kind="stable").iterrows():
        rows.append([pg.esc(arm_label(r)), pg.esc("end of programme" if r["time_point"] == "end"
                                                  else f"{r['time_point']} after"), pg.num(r["day"]),
                     pg.interval(r["smd"], r["smd_low"], r["smd_high"]),
                     pg.interval(r["difference_ucla3"], r["difference_low"], r["difference_high"]),
                     pg.num(r["n_programme"], 0)])
    return pg.table(["Arm", "Time point", "Day", "SMD (95% CI)", "UCLA-3 difference, points (95% CI)",
                     "People per group"], rows)


def report_html(manifest: dict[str, Any], table: pd.DataFrame, trial: pd.DataFrame,
                figures: dict[str, bytes] | None = None) -> str:
    """The whole report page as a string (deterministic: no timestamps). ``figures``: PNG bytes by name
    (``ranking``, ``trajectories``, ``cost``, ``forest``)."""
    figures = figures or {}
    currency = manifest["scenario"]["comparison"]["currency"]
    title = f"Which programme, offered to whom? — {manifest['name']}"
    body = [pg.replicate_warning(int(manifest["replicates"]), MIN_REPLICATES, "comparison.replicates"),
            pg.headline(headline(table, currency)),
            f"<p class='small'>How sure: {pg.esc(CERTAINTY_RULE)} (share of the model's uncertainty draws in which "
            "the arm averts the most deaths; the draws carry the published hazard-ratio intervals and the replicate "
            "towns' noise).</p>"]
    if len(table):
        ranked = rank_arms(table)
        body += ["<h2>As a policy: the town with the programme against the town without it</h2>",
                 pg.figure(figures.get("ranking"), "deaths averted per 1,000 enrolled by arm",
                           "Deaths averted per 1,000 enrolled over the horizon, best first, with 95% intervals."),
                 _policy_tables(ranked),
                 "<h2>Over time: each arm against the town without it</h2>",
                 pg.figure(figures.get("trajectories"), "loneliness over time, arm minus control",
                           "Difference in the share of adults who are lonely (arm − control, percentage points) by "
                           "day; line: mean of the replicate towns, band: its 95% interval; shaded: the programme."),
                 f"<h2>Costs and what they buy ({pg.esc(currency)})</h2>",
                 pg.figure(figures.get("cost"), "cost-effectiveness plane",
                           "Cost per 1,000 enrolled against the gain per 1,000 enrolled (95% intervals). Dashed: "
                           "willingness-to-pay lines; an arm above a line buys its gain for less than that amount "
                           "per year gained."),
                 _cost_table(ranked, currency)]
    body += ["<h2>As a trial would see it</h2><p>The eligible (the people the arm's targeting rule picks) "
             "randomised 1:1 to the programme or usual life; the standardised mean difference in UCLA-3 loneliness "
             "(pooled over the replicate towns; negative = less lonely) and the raw difference in UCLA-3 points "
             "(scale 3–9).</p>",
             pg.figure(figures.get("forest"), "forest plot of the simulated trials",
                       "Simulated trials: SMD at the end of the programme and at each follow-up, 95% intervals."),
             _trial_table(trial, table) if len(trial) else "",
             pg.glossary(["SMD", "UCLA-3", "95% interval", "Draws", "Replicate", "Spillover", "Willingness to pay",
                          "Relative hazard"]),
             pg.bullets("Caveats", CAVEATS)]
    footer = ("Made by <code>lonesim compare</code> (rebuild with <code>lonesim report FOLDER</code>); the numbers are "
              "in comparison.csv, trial.csv and trajectories.csv beside this page, the definitions in "
              "docs/programmes.md.")
    return pg.page(title, facts(manifest, table), body, footer)
