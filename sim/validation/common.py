"""What every validation study shares: the table row, intervals, the study's scenario, and the result type.

Interval conventions (``model_low`` / ``model_high``): for hazard ratios the 95% CI of the Cox
estimate pooled over replicates (stratified by replicate); elsewhere the 95% t-interval of the mean
across replicates. ``inside`` says whether the model's point estimate lies in the published interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[2]
VALIDATION_COLUMNS = ["study", "quantity", "published_low", "published_high", "model_estimate",
                      "model_low", "model_high", "inside"]
STUDY_ORDER = ["population", "mortality", "big_joy", "contagion", "dose_response", "programme_cbt",
               "programme_groups", "programme_phone_calls", "panel"]


@dataclass
class StudyResult:
    """One study's output: its rows of the validation table, its own table, a figure writer, notes."""

    study: str
    rows: list[dict[str, Any]]                 # validation rows (VALIDATION_COLUMNS + reference)
    table: pd.DataFrame                        # the study's own table
    figure: Callable[[Path], None] | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0



def row(study: str, quantity: str, low: float | None, high: float | None, est: float,
        mlo: float | None = None, mhi: float | None = None, reference: str = "") -> dict[str, Any]:
    """One row of ``validation.csv``: the model's estimate (and interval) beside the published interval."""
    inside = None if low is None or high is None or not np.isfinite(est) else bool(low <= est <= high)
    return {"study": study, "quantity": quantity, "published_low": low, "published_high": high,
            "model_estimate": est, "model_low": mlo, "model_high": mhi, "inside": inside, "reference": reference}


def mean_ci(values) -> tuple[float, float, float]:
    """Mean and 95% t-interval of the mean across replicates."""
    from scipy import stats

    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


def base_scenario(exp: Any, overrides: dict | None = None) -> Scenario:
    """The experiment's scenario: ``scenario`` (a YAML path, relative to the repo) plus ``set`` overrides."""
    path = exp.scenario
    sets = dict(exp.set)
    sets.update(overrides or {})
    if path:
        p = Path(path)
        if not p.is_absolute():
            p = REPO / p
        return load_scenario(p, sets)
    return Scenario().with_overrides(sets)



def scenario_from_json(data: dict) -> Scenario:
    """A :class:`Scenario` from its JSON dump (what workers receive)."""
    return Scenario.model_validate(data)

