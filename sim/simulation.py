"""The array engine: builds a run from a scenario and steps it one day at a time, in a fixed order.

The day (one step = one day), each phase reading what the previous one left:

0. calendar — shocks start or end (isolation level c); programmes enrol and act
1. contacts — each active tie meets with a probability scaled by the isolation level  (dynamics.contacts)
2. smiles — on each meeting each side may smile; smiles may be returned                (dynamics.smiles)
3. kind acts — rarer, larger, paid forward, strengthen or start ties                    (dynamics.kindness)
4. contagion and mood — SISa emotional states from today's meetings; mood gains        (dynamics.contagion, .mood)
5. loneliness, isolation and habits                                                    (dynamics.loneliness, .habits)
6. ties — dissolution (faster for the lonely) and triadic closure                     (dynamics.ties)
7. health — wear from chronic loneliness and isolation, buffered by mood and smiles    (dynamics.health)
8. mortality — hazards, the risk ledger, deaths and bereavement                       (mortality)
then everyone ages one day and the day's means are recorded.

A ``Simulation`` holds no Mesa objects; :class:`sim.model.ConnectionModel` puts Mesa on top.
Randomness: one ``SeedSequence(seed, spawn_key=(replicate,))`` per run (identical to
``SeedSequence(seed).spawn(r + 1)[r]``), split into four: the network's generator, the population's,
the dynamics' (tie changes, deaths, programmes, shocks: a numpy ``Generator``) and the root key of the
kernels' counter-based streams (:mod:`sim.streams`).
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numpy as np
import pandas as pd

from sim import mortality, streams
from sim._core import BLOCK, CONTENT, DAYS_PER_YEAR, DISCONTENT, TIE_GONE, per_day_probability, pjit
from sim.config import Scenario
from sim.dynamics.contacts import draw_contacts
from sim.dynamics.contagion import sisa_step
from sim.dynamics.habits import update_habit
from sim.dynamics.health import update_health
from sim.dynamics.kindness import do_kind_acts
from sim.dynamics.loneliness import classify, update_loneliness
from sim.dynamics.mood import resting_mood, update_mood
from sim.dynamics.smiles import exchange_smiles
from sim.dynamics.ties import update_ties
from sim.initial import init_people, settle
from sim.interventions import Programmes, apply_shocks
from sim.networks import build_edges
from sim.ties import Ties

TIMESERIES_COLUMNS = [
    "alive", "mean_mood", "mean_loneliness", "loneliness_prevalence", "isolation_prevalence",
    "content_share", "discontent_share", "mean_health", "mean_habit", "mean_relative_hazard",
    "contacts", "smiles", "smiles_returned", "kind_acts", "ties", "mean_degree", "ties_formed",
    "ties_dissolved", "deaths", "expected_deaths",
]


def run_seed_sequence(seed: int, replicate: int = 0) -> np.random.SeedSequence:
    """The run's root SeedSequence: replicate r of any sweep point gets the same one (common random numbers)."""
    return np.random.SeedSequence(seed, spawn_key=(replicate,))


class Simulation:
    """One run: state arrays, tie table, the day loop, the time series and the risk ledger."""

    def __init__(self, scenario: Scenario, seed: int | None = None, replicate: int = 0, burn_in: bool = True,
                 progress: bool = False):
        """Build the run (network, population, settled start) and simulate the burn-in days.

        ``seed`` overrides the scenario's; replicate ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
        ``burn_in=False`` skips the burn-in (tests of exact small cases); ``progress`` shows a progress
        bar for the burn-in days.
        """
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.replicate = replicate
        self.timings: dict[str, float] = {}
        net_ss, pop_ss, dyn_ss, stream_ss = run_seed_sequence(self.seed, replicate).spawn(4)
        self.rng = np.random.Generator(np.random.PCG64(dyn_ss))
        self.root_key = streams.root_key(stream_ss)
        self.tick = 0  # days simulated, burn-in included: names the day's random streams

        t0 = time.perf_counter()
        edges = build_edges(scenario.network, scenario.population.size, np.random.Generator(np.random.PCG64(net_ss)))
        self.node_labels = edges.labels
        self.timings["network_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.n = edges.n
        mean_degree = 2.0 * edges.m / max(edges.n, 1)
        self.people = init_people(scenario, self.n, np.random.Generator(np.random.PCG64(pop_ss)), mean_degree)
        self.ties = Ties.from_edges(edges, strength=scenario.ties.initial_strength)
        del edges
        self.people.degree = self.ties.degree  # one array, kept current by the tie table
        # Meeting probability of a baseline tie per day: converts SISa per-tie-year rates to per meeting.
        self.p_meet = float(per_day_probability(scenario.contacts.rate_per_tie_per_day * scenario.ties.initial_strength))
        self.programmes = Programmes(scenario)
        self.ledger = mortality.RiskLedger()
        self.day = 0
        self._series = np.full((scenario.days, len(TIMESERIES_COLUMNS)), np.nan)
        settle(self.people, scenario)
        if burn_in:
            for _ in _progress(range(scenario.burn_in_days), progress, f"{scenario.name} (burn-in)"):
                self._advance(recording=False)
        self._start_cohort()
        self.timings["setup_s"] = time.perf_counter() - t0
        self.timings["step_s"] = 0.0

    # ------------------------------------------------------------------ set-up
    def _start_cohort(self) -> None:
        """Day 0: record who is isolated and lonely (the cohort's baseline exposure) and zero the tallies."""
        p = self.people
        p.isolated0[:] = p.isolated
        p.lonely0[:] = p.lonely
        p.smiles_given[:] = 0
        p.kind_given[:] = 0
        self.ledger = mortality.RiskLedger()
        self.day = 0

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """Simulate one day (raises once the scenario's days are done)."""
        if self.day >= self.scenario.days:
            raise RuntimeError(f"the scenario has {self.scenario.days} days; all are simulated")
        t0 = time.perf_counter()
        self._advance(recording=True)
        self.timings["step_s"] += time.perf_counter() - t0

    def run(self, days: int | None = None, progress: bool = False) -> Simulation:
        """Simulate ``days`` more days (default: the rest of the scenario)."""
        remaining = self.scenario.days - self.day
        days = remaining if days is None else min(days, remaining)
        for _ in _progress(range(days), progress, self.scenario.name):
            self.step()
        return self

    def _advance(self, recording: bool) -> None:
        sc, p, ties, rng = self.scenario, self.people, self.ties, self.rng

        def key(phase: int) -> np.uint64:
            return streams.phase_key(self.root_key, self.tick, phase)

        # 0. calendar: shocks and programmes act only on recorded days.
        multiplier = apply_shocks(self.day, sc, p, ties, rng) if recording else 1.0
        prog = self.programmes.effects(self.day, p, rng) if recording else None
        smile_boost = prog.smile_log_odds if prog else None
        extra_kind = prog.extra_kind_rate if prog else None
        # 1. contacts
        contacts = draw_contacts(p, ties, sc.contacts, multiplier, key(streams.CONTACTS))
        # 2. smiles
        smiles = exchange_smiles(p, contacts, sc.smiles, key(streams.SMILES), smile_boost)
        # 3. kind acts
        kind = do_kind_acts(p, ties, sc.kindness, sc.ties, key(streams.KIND_ACTS), extra_kind)
        # 4. contagion, then mood (both from the day's meetings and acts)
        rest = resting_mood(p, sc.mood)
        if sc.contagion.enabled:
            p.emotion[:] = sisa_step(p, contacts, sc.contagion, self.p_meet, rest, key(streams.CONTAGION))
        # The day's per-person totals in one pass: mood gain, received connection, meetings.
        gain, received, meetings, smiles_today = _day_totals(
            contacts.per_person, smiles.given, smiles.received, kind.given, kind.received,
            _or_empty(prog.self_mood_gain if prog else None), _or_empty(prog.visits if prog else None),
            sc.smiles.giver_mood_gain, sc.smiles.receiver_mood_gain, sc.kindness.giver_mood_gain,
            sc.kindness.receiver_mood_gain, sc.smiles.connection_value, sc.kindness.connection_value,
            p.smiles_given, p.kind_given)
        update_mood(p, sc.mood, gain, rest)
        # 5. loneliness, isolation, habits
        update_loneliness(p, sc, received, meetings)
        update_habit(p, sc.habits, smiles.given, kind.given)
        # 6. ties
        changes = update_ties(p, ties, sc.ties, sc.contacts, rng)
        classify(p, sc)
        # 7. health
        update_health(p, sc.health, smiles_today)
        # 8. mortality
        deaths = 0
        if recording:
            before = self.ledger.hazard_years.copy()
            hazard = mortality.assess_day(p, sc.mortality, self.ledger, need_hazard=sc.mortality.simulate_deaths)
            expected = float((self.ledger.hazard_years - before) @ mortality.exposure_table(sc.mortality)[0])
            if hazard is not None:
                deaths = self._bury(mortality.draw_deaths(hazard, rng))
            p.age[p.alive] += np.float32(1.0 / DAYS_PER_YEAR)
            self._record(contacts.count, smiles, kind, changes, deaths, expected)
        self.day += 1 if recording else 0
        self.tick += 1

    def _bury(self, dead: np.ndarray) -> int:
        """The dead leave the network; each of their neighbours grieves (loneliness jumps toward 1)."""
        if dead.size == 0:
            return 0
        p, ties, sc = self.people, self.ties, self.scenario
        p.alive[dead] = False
        p.death_day[dead] = self.day
        is_dead = np.zeros(self.n, bool)
        is_dead[dead] = True
        m = ties.m
        hit = np.flatnonzero((ties.status[:m] != TIE_GONE) & (is_dead[ties.u[:m]] | is_dead[ties.v[:m]]))
        mourners = np.concatenate([ties.u[hit], ties.v[hit]])
        mourners = mourners[~is_dead[mourners]]
        ties.set_status(hit, TIE_GONE)
        ties.changes += int(hit.size)
        grief = np.bincount(mourners, minlength=self.n) > 0
        shock = sc.loneliness.bereavement_shock
        p.loneliness[grief] += shock * (1.0 - p.loneliness[grief])
        for arr in (p.lonely, p.isolated, p.pay_forward):
            arr[dead] = False
        p.relative_hazard[dead] = 1.0
        classify(p, sc)
        return int(dead.size)

    def _record(self, contacts: int, smiles, kind, changes, deaths: int, expected: float) -> None:
        p = self.people
        alive, m = _alive_means(p.alive, p.mood, p.loneliness, p.lonely, p.isolated, p.emotion, p.health, p.habit,
                                p.relative_hazard, p.degree)
        self._series[self.day] = [
            alive, *m[:9], contacts, smiles.total, smiles.returned, kind.total, self.ties.count_active(), m[9],
            changes.formed + kind.new_ties, changes.dissolved, deaths, expected,
        ]

    # ------------------------------------------------------------------ outputs
    def timeseries(self) -> pd.DataFrame:
        """One row per recorded day (columns: TIMESERIES_COLUMNS), counts as integers."""
        df = pd.DataFrame(self._series[: self.day], columns=TIMESERIES_COLUMNS)
        df.insert(0, "day", np.arange(self.day, dtype=np.int32))
        for col in ("alive", "contacts", "smiles", "smiles_returned", "kind_acts", "ties", "ties_formed",
                    "ties_dissolved", "deaths"):
            df[col] = df[col].astype(np.int64)
        return df

    def agents_frame(self) -> pd.DataFrame:
        """One row per person with the final state (what agents.parquet holds)."""
        p = self.people
        df = pd.DataFrame({
            "agent_id": np.arange(self.n, dtype=np.int32),
            "age": p.age, "sex": np.where(p.sex == 1, "male", "female"),
            "mood": p.mood, "emotion": pd.Categorical.from_codes(p.emotion, ["neutral", "content", "discontent"]),
            "loneliness": p.loneliness, "health": p.health, "habit": p.habit, "desired_contacts": p.desired,
            "isolated": p.isolated, "lonely": p.lonely, "degree": p.degree, "relative_hazard": p.relative_hazard,
            "alive": p.alive, "death_day": p.death_day, "isolated_at_start": p.isolated0,
            "lonely_at_start": p.lonely0, "smiles_given": p.smiles_given, "kind_acts_given": p.kind_given,
        })
        if self.node_labels is not None:
            df.insert(1, "node_label", [str(x) for x in self.node_labels])
        return df

    def edges_frame(self) -> pd.DataFrame:
        """The active ties at the end, sorted by (source, target), with their strength (what edges.parquet holds)."""
        ids = self.ties.active_ids()
        order = np.lexsort((self.ties.v[ids], self.ties.u[ids]))
        ids = ids[order]
        return pd.DataFrame({"source": self.ties.u[ids], "target": self.ties.v[ids],
                             "strength": self.ties.strength[ids]})

    def summary(self) -> dict[str, Any]:
        """The run's headline numbers: prevalences, activity, and the mortality-risk proxies."""
        sc, p = self.scenario, self.people
        ts = self.timeseries()
        alive = p.alive
        out: dict[str, Any] = {
            "scenario": sc.name, "seed": self.seed, "replicate": self.replicate,
            "people": self.n, "days": int(self.day),
            "loneliness_prevalence": float(p.lonely[alive].mean()) if alive.any() else float("nan"),
            "isolation_prevalence": float(p.isolated[alive].mean()) if alive.any() else float("nan"),
            "loneliness_prevalence_mean": float(ts["loneliness_prevalence"].mean()) if len(ts) else float("nan"),
            "isolation_prevalence_mean": float(ts["isolation_prevalence"].mean()) if len(ts) else float("nan"),
            "mean_mood": float(p.mood[alive].mean()) if alive.any() else float("nan"),
            "mean_loneliness": float(p.loneliness[alive].mean()) if alive.any() else float("nan"),
            "mean_health": float(p.health[alive].mean()) if alive.any() else float("nan"),
            "mean_degree": float(p.degree[alive].mean()) if alive.any() else float("nan"),
            "smiles_per_person_day": float(ts["smiles"].sum() / max(ts["alive"].sum(), 1)),
            "kind_acts_per_person_day": float(ts["kind_acts"].sum() / max(ts["alive"].sum(), 1)),
        }
        out.update(mortality.proxies(self.ledger, sc.mortality))
        if sc.mortality.simulate_deaths:
            out.update(self._observed_mortality())
        return out

    def _observed_mortality(self) -> dict[str, Any]:
        from lifelines import KaplanMeierFitter

        p = self.people
        died = p.death_day >= 0
        duration = np.where(died, p.death_day + 1, self.day).astype(float)
        py = self.ledger.total_person_days / DAYS_PER_YEAR
        out: dict[str, Any] = {"observed_deaths": int(died.sum()),
                               "observed_deaths_per_1000_py": 1000 * int(died.sum()) / max(py, 1e-12)}
        km: dict[str, Any] = {}
        for name, flag in (("isolated", p.isolated0), ("lonely", p.lonely0)):
            for label, sel in ((name, flag), (f"not_{name}", ~flag)):
                if sel.sum() == 0:
                    continue
                f = KaplanMeierFitter().fit(duration[sel], died[sel])
                km[label] = {"n": int(sel.sum()), "deaths": int(died[sel].sum()),
                             "survival_at_end": float(f.survival_function_at_times(self.day).iloc[0])}
        out["kaplan_meier"] = km
        return out


def _progress(days, show: bool, label: str):
    """``days`` itself, or wrapped in a tqdm progress bar (on stderr) when ``show``."""
    if not show or len(days) == 0:
        return days
    from tqdm import tqdm

    return tqdm(days, unit="day", desc=label, leave=False, dynamic_ncols=True)


@pjit
def _alive_means(alive, mood, loneliness, lonely, isolated, emotion, health, habit, relative_hazard, degree):
    """Count of the living and, in one pass, their means of: mood, loneliness, lonely, isolated,
    content, discontent, health, habit, relative hazard, degree.

    Summed in fixed blocks of people, then the block sums in order: the same bits with any number of threads.
    """
    n = alive.size
    blocks = (n + BLOCK - 1) // BLOCK
    partial = np.zeros((blocks, 11))
    for blk in numba.prange(blocks):
        # local accumulators: kept in registers (sums through an array row are loads and stores)
        cnt = s_mood = s_lon = s_lonely = s_iso = s_con = s_dis = s_health = s_habit = s_rr = s_deg = 0.0
        for i in range(blk * BLOCK, min((blk + 1) * BLOCK, n)):
            if alive[i]:
                cnt += 1.0
                s_mood += mood[i]
                s_lon += loneliness[i]
                s_lonely += lonely[i]
                s_iso += isolated[i]
                s_con += emotion[i] == CONTENT
                s_dis += emotion[i] == DISCONTENT
                s_health += health[i]
                s_habit += habit[i]
                s_rr += relative_hazard[i]
                s_deg += degree[i]
        row = partial[blk]
        row[0], row[1], row[2], row[3], row[4] = s_mood, s_lon, s_lonely, s_iso, s_con
        row[5], row[6], row[7], row[8], row[9], row[10] = s_dis, s_health, s_habit, s_rr, s_deg, cnt
    sums = np.zeros(11)
    for blk in range(blocks):
        sums += partial[blk]
    count = sums[10]
    return count, sums[:10] / max(count, 1.0)


def _or_empty(arr: np.ndarray | None) -> np.ndarray:
    return np.zeros(0, np.float32) if arr is None else arr


@pjit
def _day_totals(meetings_today, smiles_given, smiles_received, kind_given, kind_received, self_gain, visits,
                gain_smile_give, gain_smile_receive, gain_kind_give, gain_kind_receive, value_smile, value_kind,
                total_smiles_given, total_kind_given):
    """Per person: mood gain (before diminishing returns), received connection and meetings
    (contact-equivalents per day; programme visits count as both), smiles given + received; and the
    running totals of acts given."""
    n = meetings_today.size
    gain = np.empty(n, np.float32)
    received = np.empty(n, np.float32)
    meetings = np.empty(n, np.float32)
    smiles_today = np.empty(n, np.float32)
    for i in numba.prange(n):
        g = (gain_smile_give * smiles_given[i] + gain_smile_receive * smiles_received[i]
             + gain_kind_give * kind_given[i] + gain_kind_receive * kind_received[i])
        r = meetings_today[i] + value_smile * smiles_received[i] + value_kind * kind_received[i]
        m = float(meetings_today[i])
        if self_gain.size:
            g += self_gain[i]
        if visits.size:
            r += visits[i]
            m += visits[i]
        gain[i], received[i], meetings[i] = g, r, m
        smiles_today[i] = smiles_given[i] + smiles_received[i]
        total_smiles_given[i] += smiles_given[i]
        total_kind_given[i] += kind_given[i]
    return gain, received, meetings, smiles_today
