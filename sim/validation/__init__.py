"""Validation studies: hold the model against published results (docs/validation.md).

One module per study; each ``study_<name>`` function takes the experiment's validated model (read from
``experiments/<name>.yaml`` by :mod:`sim.validation.schema`; every default comes from the schema), runs
its replicates with :class:`sim.simulation.Simulation` (replicate ``r`` seeds the run; the runs go
through :func:`sim.runs.executors.map_tasks`), and returns a :class:`~sim.validation.common.StudyResult`:
the rows of the validation table (model beside published), a per-study table, and a figure. This
module runs a study from its file.

Studies
1. ``mortality`` — a closed cohort followed with simulated deaths; Cox models (lifelines) of
   baseline isolation and loneliness adjusted for age and sex, against Wang et al. 2023; the same
   under other configured ratios and combination rules; the life-expectancy gap between the
   persistently isolated and the connected against ln(HR)/β.
2. ``big_joy`` — the Big Joy week: pre→post standardised change of the enrolled, the people
   around them, and how long it lasts.
3. ``population`` — prevalences by age, the isolation–loneliness overlap, networks by age, contact and
   the instruments, measured with the survey instruments.
4. ``contagion`` — SISa asymmetry with smiles and kind acts off: per-tie transmission rates and
   mean time in the content and discontent states, estimated from the simulated transitions.
5. ``dose_response`` — expected deaths per 1,000 person-years across isolation levels at both
   ends of the hazard-ratio intervals.
6. ``programme_trial`` — one simulated trial per programme against its published effect.
9. ``panel`` — how loneliness moves: a simulated panel (yearly surveys, monthly states) against panel
   studies: stability, turnover, partners and households, widowhood, steadiness by age band.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.validation import big_joy, contagion, dose_response, mortality, panel, population, programmes
from sim.validation.common import REPO, STUDY_ORDER, VALIDATION_COLUMNS, StudyResult
from sim.validation.schema import Experiment, check_experiment, read_experiment

STUDIES: dict[str, Callable[..., StudyResult]] = {
    "mortality": mortality.study_mortality, "big_joy": big_joy.study_big_joy, "population": population.study_population,
    "contagion": contagion.study_contagion, "dose_response": dose_response.study_dose_response,
    "programme_trial": programmes.study_programme_trial,  # one experiment per programme (issue 12)
    "panel": panel.study_panel,  # how loneliness moves over time (issue 18)
}


def load_experiment(path: str | Path, quick: bool = False) -> Experiment:
    """Read and validate an experiment file (:mod:`sim.validation.schema`): the study's model, every
    default from the schema; ``quick`` merges its ``quick:`` block (the test suite's reduced form).
    Raises :class:`sim.config.ScenarioError`."""
    return read_experiment(path, quick)[0]


def check_experiment_file(path: str | Path, quick: bool = False, overrides: dict | None = None
                          ) -> tuple[Experiment, list]:
    """Validate an experiment file and every scenario its study will run, before running anything;
    return the study's parameters and those scenarios (for a memory check). The other form (with or
    without ``quick``) is checked too: a broken file is broken whichever form is run."""
    other, linemap = read_experiment(path, not quick)
    check_experiment(other, path, linemap, REPO, overrides, not quick)
    exp, linemap = read_experiment(path, quick)
    return exp, check_experiment(exp, path, linemap, REPO, overrides, quick)


def check_validation_csv(path: Path) -> None:
    """Raise :class:`ScenarioError` unless ``path`` is absent or a validation table lonesim wrote (a regular
    file whose CSV header is :data:`VALIDATION_COLUMNS`): an experiment never replaces a user's file, and
    never fails after its runs on one it cannot read."""
    import stat

    from sim.config import ScenarioError

    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot check ({exc.strerror or exc})") from None
    if stat.S_ISREG(st.st_mode):
        try:
            with open(path, "rb") as f:
                header = f.readline(4096).decode("utf-8").strip().split(",")
        except (OSError, UnicodeDecodeError):
            header = []
        if header[: len(VALIDATION_COLUMNS)] == VALIDATION_COLUMNS:
            return
    raise ScenarioError(f"{path}: exists and is not a validation table lonesim wrote; it is left as it is "
                        "(choose another --out)")


def update_validation_csv(path: Path, rows: list[dict[str, Any]], study: str) -> pd.DataFrame:
    """Replace the study's rows in the validation table (other studies' rows are kept)."""
    new = pd.DataFrame(rows)
    cols = VALIDATION_COLUMNS + ["reference"]
    new = new.reindex(columns=cols)
    if path.exists():
        old = pd.read_csv(path)
        old = old[old["study"] != study]
        with warnings.catch_warnings():  # all-empty columns (e.g. no interval) are fine here
            warnings.simplefilter("ignore", FutureWarning)
            new = pd.concat([old.reindex(columns=cols), new], ignore_index=True)
    order = {s: i for i, s in enumerate(STUDY_ORDER)}
    new = new.sort_values("study", key=lambda s: s.map(order), kind="stable")

    def yes_no(v):
        if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" or v == "n/a":
            return "n/a"
        return "yes" if v in (True, "yes", "True") else "no"

    new["inside"] = new["inside"].map(yes_no)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False, float_format="%.4g")
    return new


def run_experiment(path: str | Path, out: str | Path = REPO / "results" / "reference", workers: int = 2,
                   quick: bool = False, overrides: dict | None = None) -> StudyResult:
    """Run one experiment file; write its table and figure under ``out/validation/`` and update
    ``out/validation.csv``."""
    exp = load_experiment(path, quick)
    check_validation_csv(Path(out) / "validation.csv")  # before the study runs, not after
    result = STUDIES[exp.study](exp, workers=workers, overrides=overrides)
    out = Path(out)
    folder = out / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    name = exp.name
    result.table.to_csv(folder / f"{name}.csv", index=False, float_format="%.5g")
    if result.figure is not None:
        result.figure(folder / f"{name}.png")
    (folder / f"{name}.txt").write_text("\n".join(result.notes) + "\n", encoding="utf-8")
    update_validation_csv(out / "validation.csv", result.rows, result.study)
    from sim.runs.validation_html import write_validation_report

    write_validation_report(out)  # report.html of every study in out/ so far
    return result
