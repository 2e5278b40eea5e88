"""What the Python API returns (docs/api.md): a run's tables, and a batch's runs as one tidy table.

:class:`RunResult` holds one run: ``timeseries`` (one row a day), ``agents`` (one row a person at the
end), ``edges`` (the final network) as pandas DataFrames and ``summary`` (a dict), as
``sim.run`` made them or as read back from a run folder (:meth:`RunResult.load`): the same columns as
the folder's parquet files (README "What a run gives you").

:class:`BatchResult` reads a finished sweep, comparison or sensitivity folder. ``timeseries`` is the
tidy table of every run by every day (NetLogo BehaviorSpace's "table" output, Starsim's ``MultiSim``):
one row per (run, day) with the run's name, its replicate, what defines it (a sweep point's swept
parameters, a comparison arm's programme and targeting, a sensitivity sample's parameter values), then
the run's daily series. ``runs`` is one row per run with its ``summary.json`` scalars; ``summary`` is
the batch's own table (sweep ``summary.parquet``, ``comparison.parquet``, sensitivity ``indices.parquet``).
Nothing is computed here that the batch commands do not write: these are views of the folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.runs.layout import RUNS_DIR, SweepError, run_complete

#: Columns :meth:`RunResult.plot` and :meth:`BatchResult.plot` draw by default, with their axis labels.
DEFAULT_PLOT = {"loneliness_prevalence": "lonely (share of the living)",
                "isolation_prevalence": "isolated (share of the living)",
                "mean_relative_hazard": "mean relative hazard (× baseline)"}

#: Manifest file of each kind of batch folder, and the kind's name.
BATCH_KINDS = {"sweep.json": "sweep", "comparison.json": "comparison", "sensitivity.json": "sensitivity"}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path}: not found") from None
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path}: not readable ({exc})") from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: not a lonesim manifest")
    return data


def _columns(names: str | list[str] | None, available: pd.Index) -> list[str]:
    cols = list(DEFAULT_PLOT) if names is None else [names] if isinstance(names, str) else list(names)
    missing = [c for c in cols if c not in available]
    if missing or not cols:
        raise KeyError(f"no column {', '.join(missing) or '(none given)'}; the daily columns are: "
                       + ", ".join(c for c in available if c != "day"))
    return cols


def _label(column: str) -> str:
    return DEFAULT_PLOT.get(column, column.replace("_", " "))


# =========================================================================== one run
@dataclass
class RunResult:
    """One run: its daily series, people, network and summary (``sim.run`` or :meth:`load`)."""

    scenario: Any
    seed: int
    replicate: int
    timeseries: pd.DataFrame
    agents: pd.DataFrame | None
    edges: pd.DataFrame
    summary: dict[str, Any]
    folder: Path | None = None

    @classmethod
    def from_simulation(cls, simulation: Any, folder: Path | None = None) -> RunResult:
        """The tables of a finished :class:`sim.simulation.Simulation` (the frames ``write_run`` writes)."""
        return cls(simulation.scenario, simulation.seed, simulation.replicate, simulation.timeseries(),
                   simulation.agents_frame(), simulation.edges_frame(), simulation.summary(),
                   None if folder is None else Path(folder))

    @classmethod
    def load(cls, folder: str | Path) -> RunResult:
        """A run folder written by ``lonesim run`` (or a batch's ``runs/<name>``), read back."""
        from sim.config import Scenario

        folder = Path(folder)
        if not run_complete(folder):
            raise SweepError(f"{folder}: not a finished lonesim run folder (manifest.json, summary.json and the "
                             "parquet tables are needed)")
        manifest = _read_json(folder / "manifest.json")
        agents = folder / "agents.parquet"
        return cls(Scenario.model_validate(manifest["scenario"]), int(manifest["seed"]), int(manifest.get("replicate", 0)),
                   pd.read_parquet(folder / "timeseries.parquet"),
                   pd.read_parquet(agents) if agents.is_file() else None,
                   pd.read_parquet(folder / "edges.parquet"), _read_json(folder / "summary.json"), folder)

    def plot(self, columns: str | list[str] | None = None):
        """A figure of daily series against the day (default: loneliness and isolation prevalence and the
        mean relative hazard), one panel each; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        cols = _columns(columns, self.timeseries.columns)
        fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.4), layout="constrained", squeeze=False)
        for ax, col in zip(axes[0], cols):
            ax.plot(self.timeseries["day"], self.timeseries[col])
            ax.set_xlabel("day")
            ax.set_ylabel(_label(col))
        fig.suptitle(f"{self.scenario.name}: seed {self.seed}" + (f", replicate {self.replicate}" if self.replicate else ""))
        return fig


# =========================================================================== batches
@dataclass
class BatchResult:
    """A finished sweep, comparison or sensitivity folder (``sim.sweep``/``compare``/``sensitivity``, or :meth:`load`)."""

    kind: str
    folder: Path
    manifest: dict[str, Any]
    #: One row per run: ``run``, ``replicate``, what defines the run (``by`` columns), then its run folder.
    index: pd.DataFrame
    #: The columns that tell runs apart besides the replicate (``point`` and the swept keys, ``arm`` ...).
    by: list[str]
    _timeseries: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def load(cls, folder: str | Path) -> BatchResult:
        """Read a batch folder written by ``lonesim sweep``, ``compare`` or ``sensitivity``."""
        folder = Path(folder)
        found = [name for name in BATCH_KINDS if (folder / name).is_file()]
        if not found:
            raise SweepError(f"{folder}: not a lonesim batch folder (no {', '.join(BATCH_KINDS)}; a run folder has "
                             "manifest.json: use sim.load or RunResult.load)")
        kind = BATCH_KINDS[found[0]]
        manifest = _read_json(folder / found[0])
        try:
            index, by = {"sweep": _sweep_index, "comparison": _comparison_index,
                         "sensitivity": _sensitivity_index}[kind](folder, manifest)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SweepError(f"{folder / found[0]}: not a lonesim {kind} manifest ({type(exc).__name__}: {exc})") from None
        return cls(kind, folder, manifest, index, by)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.manifest.get("name", self.folder.name))

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run: its name, replicate, what defines it and its ``summary.json`` scalars."""
        rows = []
        for r in self.index.to_dict("records"):
            summary = _read_json(Path(r["path"]) / "summary.json") if r["path"] else _read_json(Path(r["result"]))["summary"]
            rows.append({k: v for k, v in summary.items() if not isinstance(v, (dict, list))})
        scalars = pd.DataFrame(rows, index=self.index.index)
        return pd.concat([self.index[["run", "replicate", *self.by]], scalars], axis=1)

    @property
    def summary(self) -> pd.DataFrame | None:
        """The batch's own table: a sweep's summary per point and proxy, a comparison's row per arm, a
        sensitivity analysis's indices (None until the batch has written it)."""
        name = {"sweep": "summary.parquet", "comparison": "comparison.parquet", "sensitivity": "indices.parquet"}[self.kind]
        path = self.folder / name
        return pd.read_parquet(path) if path.is_file() else None

    @property
    def timeseries(self) -> pd.DataFrame:
        """Every run by every day: ``run, replicate, <by columns>, day, <daily series>`` (read once, then kept)."""
        if self._timeseries is None:
            if self.index["path"].isna().any():
                raise SweepError(f"{self.folder}: this sensitivity analysis kept no daily series; run it with "
                                 "sensitivity.run_folders: true (in Python: sensitivity__run_folders=True)")
            parts = []
            for r in self.index.to_dict("records"):
                ts = pd.read_parquet(Path(r["path"]) / "timeseries.parquet")
                keys = {"run": r["run"], "replicate": r["replicate"], **{b: r[b] for b in self.by}}
                parts.append(ts.assign(**keys)[[*keys, *ts.columns]])
            self._timeseries = pd.concat(parts, ignore_index=True)
        return self._timeseries

    def run(self, name: str) -> RunResult:
        """One run of the batch (``name`` as in the ``run`` column) with its full tables."""
        match = self.index[self.index["run"] == name]
        if match.empty or match["path"].isna().all():
            raise KeyError(f"no run folder {name!r} in {self.folder}")
        return RunResult.load(Path(match["path"].iloc[0]))

    def plot(self, column: str = "loneliness_prevalence", by: str | None = None, low: float = 2.5, high: float = 97.5):
        """The daily ``column`` of each group of runs (default: each sweep point or comparison arm): the mean
        over replicates as a line and the ``low``–``high`` percentile range of the replicates as a band.
        Returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        ts = self.timeseries
        col = _columns(column, ts.columns)[0]
        group = by or self.by[0]
        if group not in ts.columns:
            raise KeyError(f"no column {group!r} to group by; choose one of: {', '.join(['run', *self.by])}")
        groups = ts[group].nunique()
        fig, ax = plt.subplots(figsize=(7.5, 4.0 + 0.2 * groups), layout="constrained")  # the legend goes below
        labels = self.index.drop_duplicates(group).set_index(group)["label"] if group == self.by[0] else None
        for k, (key, sub) in enumerate(ts.groupby(group, sort=False)):
            stats = sub.groupby("day")[col]
            mean, lo, hi = stats.mean(), stats.quantile(low / 100), stats.quantile(high / 100)
            label = labels.get(key, str(key)) if labels is not None else f"{group} = {key}"
            ax.plot(mean.index, mean.to_numpy(), color=f"C{k % 10}", label=label)
            ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=f"C{k % 10}", alpha=0.2, linewidth=0)
        reps = int(ts["replicate"].nunique())
        ax.set_xlabel("day")
        ax.set_ylabel(_label(col))
        ax.set_title(f"{self.name}: mean of {reps} replicate(s); band {low:g}–{high:g}% of replicates", fontsize=10)
        fig.legend(fontsize=7, loc="outside lower center", frameon=False)
        return fig


def _replicate(run_folder: Path) -> int:
    return int(_read_json(run_folder / "manifest.json").get("replicate", 0))


def _sweep_index(folder: Path, manifest: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    keys = list(manifest.get("swept") or [])
    rows = []
    for p in manifest.get("points", []):
        for name in p["runs"]:
            path = folder / RUNS_DIR / name
            if run_complete(path):
                rows.append({"run": name, "replicate": _replicate(path), "point": p["point"], "label": p["label"],
                             **{k: p["overrides"].get(k) for k in keys}, "path": str(path)})
    return _frame(rows, folder), ["point", *keys]


def _comparison_index(folder: Path, manifest: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    rows = []
    for a in manifest.get("arms", []):
        label = a["name"] if a["name"] == "control" else f"{a['name']} ({a.get('programme')}, {a.get('targeting')})"
        for name in a["runs"]:
            path = folder / RUNS_DIR / name
            if run_complete(path):
                rows.append({"run": name, "replicate": _replicate(path), "arm": a["name"], "label": label,
                             "programme": a.get("programme"), "targeting": a.get("targeting"), "path": str(path)})
    return _frame(rows, folder), ["arm", "programme", "targeting"]


def _sensitivity_index(folder: Path, manifest: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    from sim.runs.sensitivity import RUN_FOLDERS

    params = [p["path"] for p in manifest.get("parameters", [])]
    rows = []
    for result in sorted((folder / RUNS_DIR).glob("*.json")):
        try:
            data = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a run still being written, or a leftover: not finished
        path = folder / RUN_FOLDERS / result.stem
        rows.append({"run": result.stem, "replicate": int(data["replicate"]), "point": int(data["point"]),
                     "label": f"sample {data['point']}", **{k: data["parameters"].get(k) for k in params},
                     "path": str(path) if run_complete(path) else None, "result": str(result)})
    return _frame(rows, folder), ["point", *params]


def _frame(rows: list[dict[str, Any]], folder: Path) -> pd.DataFrame:
    if not rows:
        raise SweepError(f"{folder}: no finished runs yet")
    df = pd.DataFrame(rows)
    if "result" not in df:
        df["result"] = None
    return df
