"""The array engine: builds a run from a scenario and steps it one day at a time, in a fixed order.

Building a run: draw the people (:mod:`sim.demography`), build their network with kinds and closeness
(:mod:`sim.contexts`), assemble the state (:mod:`sim.initial`), settle the slow variables at their
fixed point, then simulate ``burn_in_days`` unrecorded days.

The day (one step = one day), each phase reading what the previous one left:

0. calendar — shocks start or end (isolation level c); programmes enrol and act; people retire
   (interventions, dynamics.life_events); weekly, desire drifts and episodes of adversity and illness
   start or end (dynamics.desire, dynamics.episodes)
1. contacts and 2. smiles — which ties meet; smiles on each meeting, some returned   (dynamics.meetings)
3. kind acts — rarer, larger, paid forward, bringing people closer or starting ties   (dynamics.kindness)
4. contagion and mood — SISa emotional states from today's meetings; mood gains      (dynamics.contagion, .mood)
5. loneliness, reported contact and habits; the instruments' true scores           (dynamics.loneliness, .habits, survey)
6. ties — dissolution (faster for the lonely) and triadic closure                   (dynamics.ties)
7. health — wear from chronic loneliness and isolation, buffered by mood and smiles  (dynamics.health)
8. mortality — hazards, the risk ledger, deaths, widowhood and bereavement          (mortality, dynamics.life_events)
then everyone ages one day, the day's means are recorded, and on a survey day everyone is surveyed.

A ``Simulation`` holds no Mesa objects; :class:`sim.model.ConnectionModel` puts Mesa on top. Its
outputs (time series, agents, edges, survey, summary) are built by :mod:`sim.readouts`.
Randomness: one ``SeedSequence(seed, spawn_key=(replicate,))`` per run (identical to
``SeedSequence(seed).spawn(r + 1)[r]``), split into four: the network's generator, the population's,
the dynamics' (tie changes, deaths, shocks: a numpy ``Generator``; programmes draw from the
counter-based ``PROGRAMMES`` stream) and the root key of the
kernels' counter-based streams (:mod:`sim.streams`).
"""

from __future__ import annotations

import time
from typing import Any

import numba
import numpy as np
import pandas as pd

from sim import mortality, readouts, streams
from sim._core import BLOCK, CONTENT, DAYS_PER_YEAR, DISCONTENT, kernel_threads, pjit
from sim.config import Scenario
from sim.contexts import town_network
from sim.demography import draw_demography
from sim.dynamics.contagion import reference_meeting_probability, sisa_step
from sim.dynamics.desire import LIFE_COURSE_DAYS, drift_desire
from sim.dynamics.episodes import step_episodes
from sim.dynamics.exchanges import exchange_totals
from sim.dynamics.habits import update_habit
from sim.dynamics.health import update_health
from sim.dynamics.kindness import do_kind_acts
from sim.dynamics.life_events import bury, retire
from sim.dynamics.loneliness import update_loneliness
from sim.dynamics.meetings import kind_rates, meet
from sim.dynamics.mood import resting_mood, update_mood
from sim.dynamics.ties import update_ties
from sim.guards import check_finite
from sim.initial import init_people, settle
from sim.interventions import Programmes, apply_shocks
from sim.networks import build_graph
from sim.survey import SurveyAnswers, take_survey
from sim.ties import Ties

#: The means :func:`_alive_means` returns, in its order (each a column of the time series).
MEAN_COLUMNS = ("mean_mood", "mean_loneliness", "loneliness_prevalence", "isolation_prevalence", "content_share",
                "discontent_share", "mean_health", "mean_habit", "mean_relative_hazard", "mean_degree")
TIMESERIES_COLUMNS = [
    "alive", "mean_mood", "mean_loneliness", "loneliness_prevalence", "isolation_prevalence",
    "content_share", "discontent_share", "mean_health", "mean_habit", "mean_relative_hazard",
    "contacts", "smiles", "smiles_returned", "kind_acts", "ties", "mean_degree", "ties_formed",
    "ties_dissolved", "deaths", "expected_deaths", "retirements",
]


def run_seed_sequence(seed: int, replicate: int = 0) -> np.random.SeedSequence:
    """The run's root SeedSequence: replicate r of any sweep point gets the same one (common random numbers)."""
    return np.random.SeedSequence(seed, spawn_key=(replicate,))


def build_town(scenario: Scenario, seed: int, replicate: int = 0):
    """The people and the network a run of ``scenario`` with ``seed`` and ``replicate`` starts from:
    ``(demography, edge list with kinds and closeness, the population's generator for what is drawn next)``.

    The same streams :class:`Simulation` uses, so a benchmark or a study can rebuild a run's town exactly.
    """
    net_ss, pop_ss, _, _ = run_seed_sequence(seed, replicate).spawn(4)
    net_rng = np.random.Generator(np.random.PCG64(net_ss))
    pop_rng = np.random.Generator(np.random.PCG64(pop_ss))
    graph = build_graph(scenario.network, 0, net_rng) if scenario.network.kind == "edgelist" else None
    n = graph.n if graph is not None else scenario.population.size
    demo = draw_demography(scenario, n, pop_rng)
    return demo, town_network(demo, scenario, net_rng, graph=graph), pop_rng


class Simulation:
    """One run: state arrays, tie table, the day loop, the time series, surveys and the risk ledger."""

    def __init__(self, scenario: Scenario, seed: int | None = None, replicate: int = 0, burn_in: bool = True,
                 progress: bool = False):
        """Build the run (people, network, settled start) and simulate the burn-in days.

        ``seed`` overrides the scenario's; replicate ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
        ``burn_in=False`` skips the burn-in (tests of exact small cases); ``progress`` shows a progress
        bar for the burn-in days.
        """
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else int(seed)
        self.replicate = replicate
        self.timings: dict[str, float] = {}
        _, _, dyn_ss, stream_ss = run_seed_sequence(self.seed, replicate).spawn(4)
        self.rng = np.random.Generator(np.random.PCG64(dyn_ss))
        self.root_key = streams.root_key(stream_ss)
        self.tick = 0  # days simulated, burn-in included: names the day's random streams

        t0 = time.perf_counter()
        demo, edges, pop_rng = build_town(scenario, self.seed, replicate)
        self.node_labels = edges.labels
        self.timings["network_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.n = edges.n
        self.ties = Ties.from_edges(edges)
        del edges
        self.people = init_people(scenario, demo, self.ties, pop_rng)
        del demo
        # Probability that the town's average tie meets on a day: converts SISa per-tie-year rates to per meeting.
        self.p_meet = reference_meeting_probability(self.ties, kind_rates(scenario))
        self.programmes = Programmes(scenario)
        self.ledger = mortality.RiskLedger()
        self.day = 0
        self._series = np.full((scenario.days, len(TIMESERIES_COLUMNS)), np.nan)
        self.surveys: dict[int, SurveyAnswers] = {}
        self._survey_days = set(scenario.output.survey_days)
        settle(self.people, self.ties, scenario)
        if burn_in:
            with kernel_threads(self.n):
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
        with kernel_threads(self.n):
            self._advance(recording=True)
        self.timings["step_s"] += time.perf_counter() - t0

    def run(self, days: int | None = None, progress: bool = False) -> Simulation:
        """Simulate ``days`` more days (default: the rest of the scenario)."""
        remaining = self.scenario.days - self.day
        days = remaining if days is None else min(days, remaining)
        for _ in _progress(range(days), progress, self.scenario.name):
            self.step()
        check_finite(self)  # NaN state never reaches a readout (sim/guards.py)
        return self

    def key(self, phase: int) -> np.uint64:
        """The stream key of ``phase`` (sim.streams) today."""
        return streams.phase_key(self.root_key, self.tick, phase)

    def _advance(self, recording: bool) -> None:
        sc, p, ties, rng, key = self.scenario, self.people, self.ties, self.rng, self.key

        # 0. calendar: shocks, programmes and retirement act only on recorded days.
        multiplier = apply_shocks(self.day, sc, p, ties, rng) if recording else 1.0
        prog = self.programmes.effects(self.day, p, ties, key(streams.PROGRAMMES)) if recording else None
        retired = retire(p, ties) if recording else 0
        if self.tick % LIFE_COURSE_DAYS == 0:  # the slow processes of the life course, weekly
            life_key = key(streams.LIFE_EVENTS)
            drift_desire(p, sc, streams.phase_key(life_key, 0, 0))
            step_episodes(p, sc, streams.phase_key(life_key, 0, 1))
        # 1-2. contacts and smiles
        mt = meet(p, ties, sc, multiplier, key(streams.CONTACTS), key(streams.SMILES),
                  prog.smile_log_odds if prog else None)
        # 3. kind acts
        kind = do_kind_acts(p, ties, sc.kindness, sc.ties, key(streams.KIND_ACTS), prog.extra_kind_rate if prog else None)
        # 4. contagion, then mood (both from the day's meetings and acts)
        rest = resting_mood(p, sc.mood)
        if sc.contagion.enabled:
            p.emotion[:] = sisa_step(p, mt.met_content, mt.met_discontent, sc.contagion, self.p_meet, rest,
                                     key(streams.CONTAGION))
        # what the day's meetings, smiles, kind acts and programme contacts give each person (one pass)
        day = exchange_totals(p, sc, mt, kind, prog)
        update_mood(p, sc.mood, day.mood_gain, rest)
        # 5. loneliness, reported contact, the instruments' true scores; habits
        update_loneliness(p, sc, day.received, day.received_close, day.meetings, mt.met_kin, mt.met_friends)
        update_habit(p, sc.habits, mt.smiles_given, kind.given)
        # 6. ties
        changes = update_ties(p, ties, sc.ties, sc.contacts, rng)  # (no partner tie dissolves: the flags stand)
        # 7. health
        update_health(p, sc.health, day.smiles)
        # 8. mortality
        if recording:
            before = self.ledger.hazard_years.copy()
            hazard = mortality.assess_day(p, sc.mortality, self.ledger, need_hazard=sc.mortality.simulate_deaths)
            expected = float((self.ledger.hazard_years - before) @ mortality.exposure_table(sc.mortality)[0])
            deaths = self._bury(mortality.draw_deaths(hazard, rng)) if hazard is not None else 0
            _grow_older(p.age, p.alive, np.float32(1.0 / DAYS_PER_YEAR))
            self._record(mt, kind, changes, deaths, expected, retired)
            if self.day in self._survey_days:
                self.surveys[self.day] = self.survey()
        self.day += 1 if recording else 0
        self.tick += 1

    def survey(self) -> SurveyAnswers:
        """Everyone alive answers the instruments now, with measurement error (the stream of this tick)."""
        return take_survey(self.people, self.scenario, self.key(streams.SURVEY))

    def _bury(self, dead: np.ndarray) -> int:
        """The dead leave the network; their survivors are widowed and grieve (:func:`sim.dynamics.life_events.bury`)."""
        return bury(self.people, self.ties, dead, self.day, self.scenario)

    def _record(self, mt, kind, changes, deaths: int, expected: float, retired: int) -> None:
        p = self.people
        alive, m = _alive_means(p.alive, p.mood, p.loneliness, p.lonely, p.isolated, p.emotion, p.health, p.habit,
                                p.relative_hazard, p.degree)
        row = {"alive": alive, **dict(zip(MEAN_COLUMNS, m)), "contacts": mt.count, "smiles": mt.smiles,
               "smiles_returned": mt.smiles_returned, "kind_acts": kind.total, "ties": self.ties.count_active(),
               "ties_formed": changes.formed + kind.new_ties, "ties_dissolved": changes.dissolved, "deaths": deaths,
               "expected_deaths": expected, "retirements": retired}
        self._series[self.day] = [row[c] for c in TIMESERIES_COLUMNS]

    # ------------------------------------------------------------------ outputs (sim.readouts)
    def timeseries(self) -> pd.DataFrame:
        """One row per recorded day (columns: TIMESERIES_COLUMNS), counts as integers."""
        return readouts.timeseries(self, TIMESERIES_COLUMNS)

    def agents_frame(self) -> pd.DataFrame:
        """One row per person with the final state and the last day's survey (what agents.parquet holds).

        Built once per simulated day (the run folder's parquet file and its figure share it): treat it as
        read-only."""
        cached = getattr(self, "_agents_cache", None)
        if cached is None or cached[0] != self.tick:
            self._agents_cache = (self.tick, readouts.agents_frame(self))
        return self._agents_cache[1]

    def edges_frame(self) -> pd.DataFrame:
        """The active ties at the end, sorted by (source, target), with kind and closeness (edges.parquet)."""
        return readouts.edges_frame(self)

    def survey_frame(self) -> pd.DataFrame | None:
        """The surveys of ``output.survey_days``, one row per person and day (survey.parquet), or None."""
        return readouts.survey_frame(self)

    def summary(self) -> dict[str, Any]:
        """The run's headline numbers: prevalences (true scores and as surveyed), the isolation–loneliness
        overlap, activity, and the mortality-risk proxies."""
        return readouts.summary(self)


def _progress(days, show: bool, label: str):
    """``days`` itself, or wrapped in a tqdm progress bar (on stderr) when ``show``."""
    if not show or len(days) == 0:
        return days
    from tqdm import tqdm

    return tqdm(days, unit="day", desc=label, leave=False, dynamic_ncols=True)


@pjit
def _grow_older(age, alive, years):
    """Everyone alive ages by ``years`` (one pass, no temporaries)."""
    for i in numba.prange(age.size):
        if alive[i]:
            age[i] += years


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
