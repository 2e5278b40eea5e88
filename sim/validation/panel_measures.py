"""The panel study's measurements (study 9): how loneliness moves over time in one simulated town.

One run is followed like a panel study follows its respondents: everyone alive is surveyed with the
instruments (UCLA-3 with its measurement error) on day 0, day 1 (a next-day retest), and yearly after
that; every 30 days the latent state is recorded (loneliness, partner, household, reported contact), so
the course of loneliness after a partner's death can be read month by month. :func:`panel_run` records
one run; :func:`panel_measures` turns it into the study's quantities:

* **stability** — the 1-year test–retest correlation of UCLA-3 divided by the next-day retest's (the
  next-day retest changes nothing but the measurement error, so the ratio is the 1-year stability of the
  true score; Russell 1996's UCLA r = .73 with alpha .89–.94 gives ≈ .78–.82);
* **persistence and turnover** — P(lonely a year later | lonely now) beside P(lonely the next day | lonely
  now); yearly onset and recovery; episodic (lonely in some but not all of three yearly waves) and
  sustained (all three) shares over three biennial waves (yearly when the run is shorter than four years;
  Surkalim et al. 2023, HRS 50+: 15.5–20.1% and 3.6–4.6%);
* **partners and households at 65+** — prevalence ratio of loneliness without vs with a partner (50+:
  ELSI-Brazil 2.7, 2.2–3.3), odds ratio widowed vs partnered (ONS 3.6 for "often/always"), living alone
  crude and net of partner status (Mantel–Haenszel over partner status, sex and age band; Wei et al. 2022:
  2.61 and 1.96), and the unpartnered who live with kin against the partnered (ELSI-Brazil: a co-resident
  relative does not replace a partner);
* **widowhood** — loneliness by month since a partner's death, as a difference in differences against
  partnered people of the same sex and age band over the same months (Niino et al. 2024: a peak right
  after the death; Utz et al. 2014: a decline over the first 1.5 years); contact with kin and friends six
  months after against before (Freak-Poli et al. 2022: it rises); people widowed before day 0 against those
  widowed during the run;
* **steadiness** — loneliness prevalence (true scores) by age band at the start and at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim._core import HOUSEHOLD
from sim.survey import ucla3_latent_cutoff

#: Age bands of the steadiness rows (years, upper bound excluded).
BANDS = {"18_29": (18, 30), "30_44": (30, 45), "45_64": (45, 65), "65_74": (65, 75), "75plus": (75, 200)}
#: Months since the death at which the widowhood course is read (difference in differences).
WIDOW_MONTHS = (1, 3, 6, 12, 18, 24)
SNAPSHOT_DAYS = 30


def _household(sim) -> np.ndarray:
    """Per person: number of active household ties (a co-resident relative)."""
    t = sim.ties
    ids = t.active_ids()
    ids = ids[t.kind[ids] == HOUSEHOLD]
    return np.bincount(np.concatenate([t.u[ids], t.v[ids]]), minlength=sim.n)


def panel_run(sim, survey_years: int) -> dict[str, Any]:
    """Run ``sim`` (a fresh :class:`~sim.simulation.Simulation`) to its last day, surveying everyone on day 0, day 1
    and every 365 days up to ``survey_years``, and snapshotting the latent state every 30 days."""
    p = sim.people
    cutoff = ucla3_latent_cutoff(sim.scenario.survey)
    surveys: dict[int, np.ndarray] = {}
    snaps: list[dict[str, np.ndarray]] = []
    widowed0 = p.widowed.copy()
    widowed_day0 = p.widowed_day.copy()
    start_age = p.age.copy()
    survey_days = {0, 1} | {365 * k for k in range(1, survey_years + 1)}
    for day in range(sim.scenario.days + 1):
        if day in survey_days:
            surveys[day] = np.where(p.alive, sim.survey().ucla3, 0).astype(np.int8)
        if day % SNAPSHOT_DAYS == 0:
            snaps.append({"day": day, "alive": p.alive.copy(), "lonely": (p.loneliness >= cutoff) & p.alive,
                          "loneliness": p.loneliness.copy(), "partner": p.partner.copy(), "household": _household(sim),
                          "family": p.contact_family.copy(), "friend": p.contact_friend.copy(), "age": p.age.copy()})
        if day == sim.scenario.days:
            break
        sim.step()
    return {"surveys": surveys, "snaps": snaps, "widowed0": widowed0, "widowed_day0": widowed_day0,
            "death_day": p.death_day.copy(),
            "sex": p.sex.copy(), "start_age": start_age, "cutoff": cutoff, "widowed_end": p.widowed.copy(),
            "lonely_cutoff": sim.scenario.survey.ucla3.lonely_cutoff,
            "partner_death": np.where(p.widowed_day >= 0, p.widowed_day, -1)}


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.astype(float), b.astype(float))[0, 1]) if a.size > 2 else float("nan")


def _mh_odds_ratio(y: np.ndarray, x: np.ndarray, strata: np.ndarray) -> float:
    """Mantel–Haenszel odds ratio of outcome ``y`` for exposure ``x`` over ``strata`` (integer codes)."""
    num = den = 0.0
    for s in np.unique(strata):
        m = strata == s
        n = m.sum()
        a = np.sum(y[m] & x[m])
        b = np.sum(~y[m] & x[m])
        c = np.sum(y[m] & ~x[m])
        d = np.sum(~y[m] & ~x[m])
        num += a * d / n
        den += b * c / n
    return float(num / den) if den > 0 else float("nan")


def _odds_ratio(y: np.ndarray, x: np.ndarray) -> float:
    return _mh_odds_ratio(y, x, np.zeros(y.size, np.int8))


def _age_band(age: np.ndarray) -> np.ndarray:
    return np.digitize(age, [30, 45, 55, 65, 75, 85]).astype(np.int8)


def panel_measures(run: dict[str, Any]) -> dict[str, float]:
    """Every quantity of the panel study from one :func:`panel_run` record."""
    out: dict[str, float] = {}
    sv, snaps, cut = run["surveys"], run["snaps"], run["lonely_cutoff"]
    years = sorted(d for d in sv if d >= 365)
    both1 = (sv[0] > 0) & (sv[1] > 0)
    r_retest = _corr(sv[0][both1], sv[1][both1])
    out["retest_r_day1"] = r_retest
    if years:
        y1 = years[0]
        both = (sv[0] > 0) & (sv[y1] > 0)
        r_year = _corr(sv[0][both], sv[y1][both])
        out["retest_r_1y"] = r_year
        out["stability_1y"] = r_year / r_retest
        l0, l1, ld = sv[0] >= cut, sv[y1] >= cut, sv[1] >= cut
        out["persist_1y"] = float(l1[both & l0].mean())
        out["persist_1d"] = float(ld[both1 & l0].mean())
        out["onset_1y"] = float(l1[both & ~l0].mean())
        out["recovery_1y"] = float(1 - out["persist_1y"])
    # HRS is biennial: three consecutive waves span four years; with fewer years, yearly waves
    waves = [0, 730, 1460] if 1460 in sv else ([0, *years[:2]] if len(years) >= 2 else None)
    if waves:
        present = np.all([sv[w] > 0 for w in waves], axis=0)
        older = present & (run["start_age"] >= 50)
        count = np.sum([sv[w] >= cut for w in waves], axis=0)
        out["sustained_3_waves_50plus"] = float((count[older] == 3).mean())
        out["episodic_3_waves_50plus"] = float(((count[older] > 0) & (count[older] < 3)).mean())

    # partners and households, at the last snapshot (true scores), 65+ and 50+
    s = snaps[-1]
    alive, lonely, age = s["alive"], s["lonely"], s["age"]
    partnered = s["partner"] >= 0
    alone = ~partnered & (s["household"] == 0)
    widowed = run["widowed_end"] & ~partnered
    old, mid = alive & (age >= 65), alive & (age >= 50)
    out["lonely_partnered_65plus"] = float(lonely[old & partnered].mean())
    out["lonely_unpartnered_65plus"] = float(lonely[old & ~partnered].mean())
    out["pr_no_partner_50plus"] = float(lonely[mid & ~partnered].mean() / max(lonely[mid & partnered].mean(), 1e-9))
    sel = old & (partnered | widowed)
    out["or_widowed_65plus"] = _odds_ratio(lonely[sel], widowed[sel])
    out["or_alone_crude_65plus"] = _odds_ratio(lonely[old], alone[old])
    strata = (partnered.astype(np.int32) * 2 + run["sex"]) * 10 + _age_band(age)
    out["or_alone_net_partner_65plus"] = _mh_odds_ratio(lonely[old], alone[old], strata[old])
    kin = old & ~partnered & (s["household"] > 0)
    out["lonely_unpartnered_with_kin_65plus"] = float(lonely[kin].mean()) if kin.any() else float("nan")
    out["ratio_with_kin_vs_partnered_65plus"] = out["lonely_unpartnered_with_kin_65plus"] / max(
        out["lonely_partnered_65plus"], 1e-9)
    w0 = old & run["widowed0"] & ~partnered & (run["partner_death"] < 0)
    wr = old & (run["partner_death"] >= 0) & ~partnered
    out["lonely_widowed_before_65plus"] = float(lonely[w0].mean()) if w0.any() else float("nan")
    out["lonely_widowed_during_65plus"] = float(lonely[wr].mean()) if wr.any() else float("nan")
    # like with like: widowed within the last two years, at day 0 (widowed before the run) and at the end
    # (widowed during it), 65+
    s0 = snaps[0]
    recent0 = s0["alive"] & (s0["age"] >= 65) & run["widowed0"] & (run["widowed_day0"] > -730)
    end_day = snaps[-1]["day"]
    recent_end = old & ~partnered & (run["partner_death"] >= 0) & (run["partner_death"] > end_day - 730)
    out["lonely_widowed_recent_before_65plus"] = float(s0["lonely"][recent0].mean()) if recent0.any() else float("nan")
    out["lonely_widowed_recent_during_65plus"] = float(lonely[recent_end].mean()) if recent_end.any() else float("nan")
    out.update(_widowhood(run))
    out.update(_steadiness(run))
    return out


def _widowhood(run: dict[str, Any]) -> dict[str, float]:
    """Difference in differences of latent loneliness (and reported contact) by month since a partner's death,
    against people partnered throughout, of the same sex and 10-year age band, over the same months."""
    snaps = run["snaps"]
    days = np.array([s["day"] for s in snaps])
    death = run["partner_death"]
    out: dict[str, float] = {}
    partnered_all = np.all([s["partner"] >= 0 for s in snaps], axis=0) & snaps[-1]["alive"]
    group = run["sex"].astype(np.int32) * 20 + np.clip(run["start_age"] // 10, 0, 19).astype(np.int32)
    for month in WIDOW_MONTHS:
        diffs, contact_kin, contact_friend = [], [], []
        for k_pre in range(len(snaps)):
            # the widowed whose partner died in the 30 days after snapshot k_pre, read `month` months later
            k_post = k_pre + month
            if k_post >= len(snaps):
                break
            lo, hi = days[k_pre], days[k_pre] + SNAPSHOT_DAYS
            w = (death >= lo) & (death < hi) & snaps[k_post]["alive"]
            if not w.any():
                continue
            pre, post = snaps[k_pre], snaps[k_post]
            for g in np.unique(group[w]):
                ctrl = partnered_all & (group == g)
                ww = w & (group == g)
                if ctrl.sum() < 5:
                    continue
                d_ctrl = post["loneliness"][ctrl].mean() - pre["loneliness"][ctrl].mean()
                diffs.extend((post["loneliness"][ww] - pre["loneliness"][ww] - d_ctrl).tolist())
                for key, acc in (("family", contact_kin), ("friend", contact_friend)):
                    c_ctrl = post[key][ctrl].mean() / max(pre[key][ctrl].mean(), 1e-9)
                    acc.extend((post[key][ww] / np.maximum(pre[key][ww], 1e-9) / c_ctrl - 1).tolist())
        # latent loneliness 0..1 in UCLA-3 points: the score moves ≈ 6 points over the latent range
        out[f"widow_did_m{month}"] = float(np.mean(diffs)) if diffs else float("nan")
        out[f"widow_n_m{month}"] = float(len(diffs))
        if month == 6:
            out["widow_contact_kin_change_m6"] = float(np.median(contact_kin)) if contact_kin else float("nan")
            out["widow_contact_friend_change_m6"] = float(np.median(contact_friend)) if contact_friend else float("nan")
    peak = [out[f"widow_did_m{m}"] for m in WIDOW_MONTHS]
    if np.all(np.isfinite(peak[:5])):
        out["widow_late_over_peak"] = float(out["widow_did_m18"] / max(max(peak[:3]), 1e-9))
    return out


def _steadiness(run: dict[str, Any]) -> dict[str, float]:
    """Loneliness prevalence (true scores) by age band at the first and last snapshot, and the largest change."""
    out: dict[str, float] = {}
    first, last = run["snaps"][0], run["snaps"][-1]
    worst = 0.0
    for name, (lo, hi) in BANDS.items():
        vals = []
        for s in (first, last):
            band = s["alive"] & (s["age"] >= lo) & (s["age"] < hi)
            vals.append(float(s["lonely"][band].mean()) if band.any() else float("nan"))
        out[f"lonely_{name}_start"], out[f"lonely_{name}_end"] = vals
        worst = max(worst, abs(vals[1] - vals[0]))
    out["band_drift_max"] = worst
    out["lonely_all_start"] = float(first["lonely"][first["alive"]].mean())
    out["lonely_all_end"] = float(last["lonely"][last["alive"]].mean())
    return out
