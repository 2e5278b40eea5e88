"""What a run of a comparison records besides its run folder: the per-person and per-day track.

A comparison (:mod:`sim.runs.compare`) pairs each programme arm with the control town of the same
replicate. Both towns are the same people until the programme starts, so their tracks can be compared
person by person. A track holds:

``people.parquet`` — one row per person:
    ``age0``, ``sex``; for each survey day d (the trials' time points) ``ucla3_<d>`` (surveyed, 0 for the
    dead), ``loneliness_<d>`` (latent) and ``lonely_<d>`` (true-score flag); for each checkpoint c (the end
    of a horizon window) ``hy<g>_<c>`` — baseline hazard-years spent in exposure group g (0 neither,
    1 isolated, 2 lonely, 3 both) from day 0 to day c (exclusive), from which the expected deaths under
    any hazard ratios follow (as :func:`sim.mortality.proxies` does for the town) — and ``lonely_days_<c>``;
    in an arm also ``enrolled``, ``ring`` (0 enrolled, 1 and 2 ties away, 3 farther: :func:`sim.targeting.network_rings`
    on the start day) and ``trial`` (1 randomised to the programme, 0 to usual life, -1 not eligible).
``days.parquet`` — one row per recorded day: the ledger's hazard-years and person-days by exposure group,
    and the numbers alive, lonely and isolated.
``track.json`` — what was tracked (survey days, checkpoints, the arm's programme index, the trial key).

Surveys use the engine's survey stream of their day (the same answers the run's own ``output.survey_days``
would give), and tracking draws no random number the run uses: a tracked run writes the same run folder
as an untracked one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import mortality, streams
from sim._core import DAYS_PER_YEAR
from sim.config import Scenario
from sim.survey import take_survey
from sim.targeting import network_rings

TRACK_FILES = ("people.parquet", "days.parquet", "track.json")
#: Tick of the trial-randomisation key (far beyond any simulated day, so no phase key of a day equals it).
TRIAL_TICK = 1 << 40


@dataclass
class TrackPlan:
    """What to record in a run: survey days and checkpoints (recorded days), and which programme is the arm's."""

    survey_days: list[int] = field(default_factory=list)
    checkpoints: list[int] = field(default_factory=list)
    programme: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (what a worker receives)."""
        return asdict(self)


def trial_allocation(eligible: np.ndarray, key: np.uint64) -> np.ndarray:
    """1:1 randomisation of the eligible (a mask): per person 1 programme, 0 usual life, -1 not eligible.

    The eligible are ranked by their number of the trial stream (number i for person i) and the first half
    (rounded up) go to the programme: exactly balanced, and the same person gets the same number in every arm.
    """
    ids = np.flatnonzero(eligible)
    u = streams.uniforms(np.uint64(key), 0, eligible.size)[ids]
    order = ids[np.argsort(u, kind="stable")]
    out = np.full(eligible.size, -1, np.int8)
    out[order] = 0
    out[order[: (ids.size + 1) // 2]] = 1
    return out


def trial_key(root_key: np.uint64) -> np.uint64:
    """The trial-randomisation key of a run (a function of its seed and replicate only, not of the arm)."""
    return streams.phase_key(root_key, TRIAL_TICK, streams.PROGRAMMES)


class Tracker:
    """Accumulates a run's track day by day (call :meth:`after_day` after each recorded step)."""

    def __init__(self, sim, plan: TrackPlan):
        self.sim, self.plan = sim, plan
        n = sim.n
        p = sim.people
        self.table = mortality.hazard_table(sim.scenario.mortality)
        self.columns: dict[str, np.ndarray] = {"age0": p.age.copy(), "sex": p.sex.copy()}
        self.hy = np.zeros((n, 4))
        self.lonely_days = np.zeros(n, np.int32)
        self.rows: list[list[float]] = []
        self._survey = set(plan.survey_days)
        self._check = set(plan.checkpoints)
        self.key = trial_key(sim.root_key)
        self._prev = (np.zeros(4), np.zeros(4))

    def after_day(self) -> None:
        """Record the day just simulated: hazard-years by person and group, surveys, checkpoints, enrolment."""
        sim, p = self.sim, self.sim.people
        day = sim.day - 1
        alive = p.alive
        group = p.isolated.astype(np.int64) + 2 * p.lonely.astype(np.int64)
        # the ledger used today's ages (everyone has aged a day since): the same baseline hazard as mortality.assess_day
        age = np.maximum(p.age - np.float32(1.0 / DAYS_PER_YEAR), 0).astype(np.float64)
        x = age / mortality.TABLE_STEP_YEARS
        k = np.minimum(x.astype(np.int64), self.table.shape[1] - 2)
        frac = np.minimum(x - k, 1.0)
        low, high = self.table[p.sex, k], self.table[p.sex, k + 1]
        mu0 = low + (high - low) * frac
        self.hy[np.arange(p.n), group] += np.where(alive, mu0 / DAYS_PER_YEAR, 0.0)
        self.lonely_days += (alive & p.lonely).astype(np.int32)
        ledger = sim.ledger
        self.rows.append([day, *(ledger.hazard_years - self._prev[0]), *(ledger.person_days - self._prev[1]),
                          int(alive.sum()), int((alive & p.lonely).sum()), int((alive & p.isolated).sum())])
        self._prev = (ledger.hazard_years.copy(), ledger.person_days.copy())
        if self.plan.programme is not None and "enrolled" not in self.columns:
            mask = sim.programmes.enrolled_mask(self.plan.programme)
            if mask is not None:
                self.columns["enrolled"] = mask.copy()
                self.columns["ring"] = network_rings(p, sim.ties, mask)
                self.columns["trial"] = trial_allocation(mask, self.key)
        if day in self._survey:
            answers = take_survey(p, sim.scenario, streams.phase_key(sim.root_key, sim.tick - 1, streams.SURVEY))
            self.columns[f"ucla3_{day}"] = answers.ucla3.copy()
            self.columns[f"loneliness_{day}"] = p.loneliness.copy()
            self.columns[f"lonely_{day}"] = (p.lonely & alive).copy()
        if day + 1 in self._check:
            for g in range(4):
                self.columns[f"hy{g}_{day + 1}"] = self.hy[:, g].copy()
            self.columns[f"lonely_days_{day + 1}"] = self.lonely_days.copy()

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(people, days) tables of the track so far."""
        names = ["day", *(f"hazard_years_{g}" for g in range(4)), *(f"person_days_{g}" for g in range(4)),
                 "alive", "lonely", "isolated"]
        days = pd.DataFrame(np.array(self.rows, dtype=np.float64).reshape(-1, len(names)), columns=names)
        for col in ("day", "alive", "lonely", "isolated"):
            days[col] = days[col].astype(np.int64)
        return pd.DataFrame(self.columns), days


def run_tracked(scenario: Scenario, seed: int, replicate: int, plan: TrackPlan):
    """Build and run ``scenario`` (seed, replicate) recording its track; returns (simulation, people, days)."""
    from sim.simulation import Simulation

    sim = Simulation(scenario, seed=seed, replicate=replicate)
    tracker = Tracker(sim, plan)
    while sim.day < scenario.days:
        sim.step()
        tracker.after_day()
    people, days = tracker.frames()
    return sim, people, days


def write_track(folder: Path, people: pd.DataFrame, days: pd.DataFrame, meta: dict[str, Any]) -> Path:
    """Write a track folder atomically (a temporary folder renamed into place)."""
    folder = Path(folder)
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        people.to_parquet(tmp / "people.parquet", index=False)
        days.to_parquet(tmp / "days.parquet", index=False)
        (tmp / "track.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def track_complete(folder: Path) -> bool:
    """A track folder renamed into place with its three files readable."""
    folder = Path(folder)
    try:
        json.loads((folder / "track.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for name in TRACK_FILES[:2]:
        path = folder / name
        try:
            size = path.stat().st_size
            with path.open("rb") as f:
                head = f.read(4)
                f.seek(-4, os.SEEK_END)
                tail = f.read(4)
        except OSError:
            return False
        if size < 12 or head != b"PAR1" or tail != b"PAR1":
            return False
    return True


def read_track(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(people, days, meta) of a track folder."""
    folder = Path(folder)
    return (pd.read_parquet(folder / "people.parquet"), pd.read_parquet(folder / "days.parquet"),
            json.loads((folder / "track.json").read_text(encoding="utf-8")))
