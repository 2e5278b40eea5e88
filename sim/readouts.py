"""What a run reports: the tables of a run folder and its summary, built from a finished
:class:`sim.simulation.Simulation` (one function per output; the engine holds no formatting).

Two kinds of prevalence are reported. The *true-score* flags (``lonely``, ``isolated``) drive the
hazards; the *surveyed* ones are what a study would measure on the last day, with the instruments'
measurement error (:mod:`sim.survey`) — compare those with published prevalences.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim import mortality
from sim._core import DAYS_PER_YEAR, HOUSEHOLD, NO_DAY, TIE_KINDS, jit

#: Age bands of the summary's loneliness-by-age rows (years; the last is open).
AGE_BANDS = ((18, 30), (30, 45), (45, 65), (65, 75), (75, 200))


def timeseries(sim, columns: list[str]) -> pd.DataFrame:
    """One row per recorded day, counts as integers."""
    df = pd.DataFrame(sim._series[: sim.day], columns=columns)
    df.insert(0, "day", np.arange(sim.day, dtype=np.int32))
    for col in ("alive", "contacts", "smiles", "smiles_returned", "kind_acts", "ties", "ties_formed",
                "ties_dissolved", "deaths", "retirements"):
        df[col] = df[col].astype(np.int64)
    return df


def household_ties(sim) -> np.ndarray:
    """Per person: active partner or household ties (0 = lives alone)."""
    t = sim.ties
    ids = t.active_ids()
    ids = ids[t.kind[ids] <= HOUSEHOLD]
    return (np.bincount(t.u[ids], minlength=sim.n) + np.bincount(t.v[ids], minlength=sim.n)).astype(np.int32)


def ties_by_kind(sim) -> np.ndarray:
    """Per person and kind (n x 6, int32): active ties of each kind (sim._core.TIE_KINDS order)."""
    t = sim.ties
    ids = t.active_ids()
    k = len(TIE_KINDS)
    kind = t.kind[ids].astype(np.int64)
    counts = (np.bincount(t.u[ids].astype(np.int64) * k + kind, minlength=sim.n * k)
              + np.bincount(t.v[ids].astype(np.int64) * k + kind, minlength=sim.n * k))
    return counts.reshape(sim.n, k).astype(np.int32)


def final_survey(sim):
    """The survey of the last recorded day (taken now if that day was not a survey day)."""
    last = sim.day - 1
    if last in sim.surveys:
        return sim.surveys[last]
    if not hasattr(sim, "_final_survey"):
        sim._final_survey = sim.survey()
    return sim._final_survey


def agents_frame(sim) -> pd.DataFrame:
    """One row per person: who they are, their final state, their ties by kind, and the last day's survey."""
    p = sim.people
    answers = final_survey(sim)
    kinds = ties_by_kind(sim)
    df = pd.DataFrame({
        "agent_id": np.arange(sim.n, dtype=np.int32),
        "age": p.age, "sex": np.where(p.sex == 1, "male", "female"),
        "partnered": p.partner >= 0, "widowed": p.widowed,
        # the day the partner died (negative: before day 0), missing for the never widowed
        "widowed_day": pd.Series(p.widowed_day, dtype="Int32").mask(p.widowed_day == NO_DAY),
        "lives_alone": household_ties(sim) == 0,
        "employed": p.employed, "group_member": p.group_member,
        "mood": p.mood, "emotion": pd.Categorical.from_codes(p.emotion, ["neutral", "content", "discontent"]),
        "loneliness": p.loneliness, "health": p.health, "habit": p.habit, "grief": p.grief,
        "in_adversity": p.adversity, "ill": p.ill, "desired_contacts": p.desired,
        "sociability": p.sociability, "vigilance": p.vigilance,
        "contacts_per_day": p.contact_rate, "kin_contacts_per_day": p.contact_family,
        "friend_contacts_per_day": p.contact_friend,
        "isolation_index_true": p.isolation_index, "isolated": p.isolated, "lonely": p.lonely,
        "ucla3": answers.ucla3, "ucla3_max_item": answers.ucla3_max_item, "isolation_index": answers.isolation_index,
        "positive_affect": answers.positive_affect,
        "degree": p.degree, **{f"{name}_ties": kinds[:, k] for k, name in enumerate(TIE_KINDS)},
        "relative_hazard": p.relative_hazard, "alive": p.alive, "death_day": p.death_day,
        "isolated_at_start": p.isolated0, "lonely_at_start": p.lonely0, "smiles_given": p.smiles_given,
        "kind_acts_given": p.kind_given,
    })
    if sim.node_labels is not None:
        df.insert(1, "node_label", [str(x) for x in sim.node_labels])
    return df


def edges_frame(sim) -> pd.DataFrame:
    """The active ties at the end, sorted by (source, target), with their kind and closeness."""
    t = sim.ties
    ids = t.active_ids()
    ids = ids[order_by_pair(sim.n, t.u[ids], t.v[ids])]
    return pd.DataFrame({"source": t.u[ids], "target": t.v[ids],
                         "kind": pd.Categorical.from_codes(t.kind[ids], list(TIE_KINDS)),
                         "closeness": t.closeness[ids]})


def order_by_pair(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The permutation ``np.lexsort((v, u))`` for node ids in [0, n) (ties in input order): a counting
    sort by ``u``, then an insertion sort by ``v`` within each node's few entries. O(n + ties) where
    lexsort's two stable sorts took ~1.5 s of a 1M-person run's output."""
    return _order_by_pair(n, np.asarray(u), np.asarray(v))


@jit
def _order_by_pair(n, u, v):
    start = np.zeros(n + 1, np.int64)
    for e in range(u.size):
        start[u[e] + 1] += 1
    for a in range(n):
        start[a + 1] += start[a]
    fill = start[:-1].copy()
    order = np.empty(u.size, np.int64)
    for e in range(u.size):
        order[fill[u[e]]] = e
        fill[u[e]] += 1
    for a in range(n):
        for i in range(start[a] + 1, start[a + 1]):
            x = order[i]
            j = i - 1
            while j >= start[a] and v[order[j]] > v[x]:
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = x
    return order


def survey_frame(sim) -> pd.DataFrame | None:
    """The surveys of ``output.survey_days``: one row per living person and day, or None without any."""
    if not sim.surveys:
        return None
    parts = []
    for day in sorted(sim.surveys):
        a = sim.surveys[day]
        alive = a.isolation_index >= 0
        ids = np.flatnonzero(alive).astype(np.int32)
        parts.append(pd.DataFrame({"day": np.full(ids.size, day, np.int32), "agent_id": ids,
                                   "ucla3": a.ucla3[ids], "ucla3_max_item": a.ucla3_max_item[ids],
                                   "isolation_index": a.isolation_index[ids],
                                   "positive_affect": a.positive_affect[ids]}))
    return pd.concat(parts, ignore_index=True)


def overlap(isolated: np.ndarray, lonely: np.ndarray) -> dict[str, float]:
    """How two exposures overlap: prevalences, the share of the isolated who are not lonely, of the lonely
    who are not isolated, and the phi correlation of the two flags (NaN where undefined)."""
    iso, lon = np.asarray(isolated, bool), np.asarray(lonely, bool)
    n = iso.size
    if n == 0:
        return {k: float("nan") for k in ("isolated", "lonely", "both", "isolated_not_lonely",
                                          "lonely_not_isolated", "phi")}
    a = float((iso & lon).sum())
    pi, pl = iso.mean(), lon.mean()
    denom = np.sqrt(pi * (1 - pi) * pl * (1 - pl))
    return {
        "isolated": float(pi), "lonely": float(pl), "both": a / n,
        "isolated_not_lonely": float((iso & ~lon).sum() / iso.sum()) if iso.any() else float("nan"),
        "lonely_not_isolated": float((lon & ~iso).sum() / lon.sum()) if lon.any() else float("nan"),
        "phi": float((a / n - pi * pl) / denom) if denom > 0 else float("nan"),
    }


def summary(sim) -> dict[str, Any]:
    """The run's headline numbers (see :meth:`sim.simulation.Simulation.summary`)."""
    sc, p = sim.scenario, sim.people
    ts = sim.timeseries()
    alive = p.alive
    nan = float("nan")

    def mean(x, sel=alive) -> float:
        return float(np.mean(x[sel])) if sel.any() else nan

    answers = final_survey(sim)
    u_cut, i_cut = sc.survey.ucla3.lonely_cutoff, sc.survey.isolation_index.isolated_cutoff
    surveyed_lonely, surveyed_isolated = answers.lonely(u_cut), answers.isolated(i_cut)
    out: dict[str, Any] = {
        "scenario": sc.name, "seed": sim.seed, "replicate": sim.replicate,
        "people": sim.n, "days": int(sim.day),
        "loneliness_prevalence": mean(p.lonely), "isolation_prevalence": mean(p.isolated),
        "loneliness_prevalence_mean": float(ts["loneliness_prevalence"].mean()) if len(ts) else nan,
        "isolation_prevalence_mean": float(ts["isolation_prevalence"].mean()) if len(ts) else nan,
        "loneliness_prevalence_surveyed": mean(surveyed_lonely),
        "isolation_prevalence_surveyed": mean(surveyed_isolated),
        "severe_isolation_prevalence_surveyed": mean(answers.isolated(sc.survey.isolation_index.severe_cutoff)),
        "mean_ucla3": mean(answers.ucla3.astype(float)),
        "mean_mood": mean(p.mood), "mean_loneliness": mean(p.loneliness), "mean_health": mean(p.health),
        "mean_degree": mean(p.degree.astype(float)),
        "partnered_share": mean(p.partner >= 0), "lives_alone_share": mean(household_ties(sim) == 0),
        "employed_share": mean(p.employed),
        "smiles_per_person_day": float(ts["smiles"].sum() / max(ts["alive"].sum(), 1)),
        "kind_acts_per_person_day": float(ts["kind_acts"].sum() / max(ts["alive"].sum(), 1)),
    }
    ov = overlap(surveyed_isolated[alive], surveyed_lonely[alive])
    out.update({f"surveyed_{k}": v for k, v in ov.items() if k in ("isolated_not_lonely", "lonely_not_isolated", "phi")})
    for lo, hi in AGE_BANDS:
        band = alive & (p.age >= lo) & (p.age < hi)
        label = f"{lo}_{hi - 1}" if hi < 200 else f"{lo}plus"
        out[f"loneliness_surveyed_{label}"] = mean(surveyed_lonely, band)
        out[f"isolation_surveyed_{label}"] = mean(surveyed_isolated, band)
    out.update(mortality.proxies(sim.ledger, sc.mortality))
    if sc.mortality.simulate_deaths:
        out.update(observed_mortality(sim))
    return out


def observed_mortality(sim) -> dict[str, Any]:
    """Observed deaths per 1,000 person-years and Kaplan–Meier survival to the end by day-0 exposure."""
    from lifelines import KaplanMeierFitter

    p = sim.people
    died = p.death_day >= 0
    duration = np.where(died, p.death_day + 1, sim.day).astype(float)
    py = sim.ledger.total_person_days / DAYS_PER_YEAR
    out: dict[str, Any] = {"observed_deaths": int(died.sum()),
                           "observed_deaths_per_1000_py": 1000 * int(died.sum()) / max(py, 1e-12)}
    km: dict[str, Any] = {}
    for name, flag in (("isolated", p.isolated0), ("lonely", p.lonely0)):
        for label, sel in ((name, flag), (f"not_{name}", ~flag)):
            if sel.sum() == 0:
                continue
            f = KaplanMeierFitter().fit(duration[sel], died[sel])
            km[label] = {"n": int(sel.sum()), "deaths": int(died[sel].sum()),
                         "survival_at_end": float(f.survival_function_at_times(sim.day).iloc[0])}
    out["kaplan_meier"] = km
    return out

