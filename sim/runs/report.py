"""The sweep report, rebuilt from the run folders on disk: tables (CSV + parquet) and figures.

``build_report(sweep_dir)`` reads ``sweep.json`` and each finished ``runs/*/summary.json`` and
``timeseries.parquet`` (a few columns, one point at a time), and writes:

- ``runs.csv`` / ``runs.parquet``: one row per finished run (point, replicate, swept values, summary scalars);
- ``summary.csv`` / ``summary.parquet``: one row per (point, proxy): n, mean, sd, the 95% confidence
  interval of the mean across replicates (Student t), and the 2.5–97.5% range of the replicates;
- ``timeseries_summary.parquet``: per (point, day), the mean and the 2.5–97.5% range across replicates;
- ``dose_response.<fmt>``: each proxy against the swept parameter, mean with both intervals;
- ``timeseries_by_point.<fmt>``: the time series of each point (mean and range across replicates);
- ``report.html``: the sweep in one self-contained page (:mod:`sim.runs.sweep_html`).

Figures are in the scenario's ``output.figure_format`` (PNG at 300 dpi, SVG or PDF).

All files are deterministic: the same run folders give byte-identical reports.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs import layout
from sim.runs.layout import RUN_NAME, RUNS_DIR, SWEEP_MANIFEST, BatchError, run_complete, write_atomic

# summary keys of the proxies drawn in dose_response (display names and units: sim.config.display)
FIGURE_PROXIES = ["loneliness_prevalence_mean", "isolation_prevalence_mean", "mean_loneliness", "mean_relative_hazard",
                  "expected_deaths_per_1000_py", "life_years_lost_per_1000"]
# time-series columns drawn per point
TS_COLUMNS = ["loneliness_prevalence", "isolation_prevalence", "mean_relative_hazard", "mean_degree"]
#: (floor, smallest span) of each drawn measure's y axis: from 0, or from 1 for a relative hazard, so that a
#: difference in the fourth digit does not fill the panel.
Y_FLOORS = {"mean_relative_hazard": (1.0, 0.2)}
NOT_PROXIES = {"seed", "replicate", "people", "days", "point"}


def read_manifest(sweep_dir: Path) -> dict[str, Any]:
    """The sweep's ``sweep.json`` (:func:`sim.runs.layout.read_manifest`, checked for the keys a report reads)."""
    return layout.read_manifest(sweep_dir, SWEEP_MANIFEST, "sweep", _manifest_problem)


def _manifest_problem(m: Any) -> str | None:
    """What is wrong with a sweep manifest's shape (None if nothing): a report reads only what it checked."""
    if "lonesim_sweep" not in m:
        return "no lonesim_sweep key"
    if not isinstance(m.get("name"), str) or not isinstance(m.get("swept"), list) \
            or not all(isinstance(k, str) for k in m["swept"]):
        return "'name' or 'swept' missing or of the wrong type"
    points = m.get("points")
    if not isinstance(points, list):
        return "'points' is not a list"
    for p in points:
        if not (isinstance(p, dict) and isinstance(p.get("point"), int) and isinstance(p.get("overrides"), dict)
                and isinstance(p.get("label"), str) and isinstance(p.get("runs"), list)
                and all(isinstance(r, str) and RUN_NAME.fullmatch(r) for r in p["runs"])):
            return f"point {p.get('point') if isinstance(p, dict) else p!r} is malformed"
    return None


def _cell(value: Any) -> Any:
    """Swept values as table cells: scalars stay, lists and mappings become JSON text."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return value


def load_runs(sweep_dir: Path, manifest: dict[str, Any] | None = None) -> pd.DataFrame:
    """One row per finished run folder (incomplete or missing runs are left out)."""
    sweep_dir = Path(sweep_dir)
    manifest = manifest or read_manifest(sweep_dir)
    swept = manifest["swept"]
    rows = []
    for point in manifest["points"]:
        for name in point["runs"]:
            folder = sweep_dir / RUNS_DIR / name
            if not run_complete(folder):
                continue
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
            if not isinstance(summary, dict):
                continue
            row: dict[str, Any] = {"point": point["point"], "run": name}
            row["replicate"] = summary.get("replicate")
            for key in swept:
                row[key] = _cell(point["overrides"].get(key))
            for key, value in summary.items():
                if key in row or isinstance(value, (dict, list)):
                    continue
                row[key] = value
            rows.append(row)
    df = pd.DataFrame(rows)
    if len(df):
        df = df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)
    return df


# Student t 0.975 quantiles for 1..30 degrees of freedom (scipy.stats.t.ppf); beyond 30 the Cornish-Fisher
# expansion below is within 3e-8 of them. Kept here so the report does not import scipy (slow).
_T975 = [12.7062047362, 4.3026527297, 3.1824463053, 2.7764451052, 2.5705818356, 2.4469118511, 2.3646242516,
         2.3060041352, 2.2621571628, 2.228138852, 2.2009851601, 2.1788128297, 2.1603686565, 2.1447866879,
         2.1314495456, 2.1199052992, 2.1098155778, 2.1009220402, 2.0930240544, 2.0859634473, 2.0796138447,
         2.0738730679, 2.0686576104, 2.0638985616, 2.0595385528, 2.0555294386, 2.0518305165, 2.0484071418,
         2.0452296421, 2.0422724563]


def _t975(dof: int) -> float:
    """The 97.5% quantile of Student's t with ``dof`` degrees of freedom."""
    if dof < 1:
        return math.nan
    if dof <= len(_T975):
        return _T975[dof - 1]
    z, v = 1.959963984540054, float(dof)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4))


def summarise(runs: pd.DataFrame, manifest: dict[str, Any]) -> pd.DataFrame:
    """Per (point, proxy): n, mean, sd, 95% CI of the mean (t), 2.5% and 97.5% of the replicates."""
    swept = manifest["swept"]
    cols = ["point", "label", *swept, "proxy", "n", "mean", "sd", "ci95_low", "ci95_high", "p2_5", "p97_5"]
    if runs.empty:
        return pd.DataFrame(columns=cols)
    proxies = [c for c in runs.columns
               if c not in NOT_PROXIES and c not in swept and c not in ("run", "scenario")
               and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])]
    labels = {p["point"]: p["label"] for p in manifest["points"]}
    rows = []
    for point, grp in runs.groupby("point", sort=True):
        for proxy in proxies:
            x = grp[proxy].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            n = int(x.size)
            mean = float(x.mean()) if n else math.nan
            sd = float(x.std(ddof=1)) if n > 1 else math.nan
            half = _t975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            lo, hi = (np.percentile(x, [2.5, 97.5]) if n else (math.nan, math.nan))
            row = {"point": int(point), "label": labels.get(int(point), "")}
            for key in swept:
                row[key] = grp[key].iloc[0]
            row.update({"proxy": proxy, "n": n, "mean": mean, "sd": sd, "ci95_low": mean - half,
                        "ci95_high": mean + half, "p2_5": float(lo), "p97_5": float(hi)})
            rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def timeseries_summary(sweep_dir: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """Per (point, day): mean and 2.5–97.5% range across replicates of the TS_COLUMNS (one point in memory)."""
    names = list(TS_COLUMNS)
    frames = []
    for point in manifest["points"]:
        stacks: dict[str, list[np.ndarray]] = {c: [] for c in names}
        days = None
        for name in point["runs"]:
            folder = Path(sweep_dir) / RUNS_DIR / name
            if not run_complete(folder):
                continue
            ts = pd.read_parquet(folder / "timeseries.parquet", columns=["day", *names])
            days = ts["day"].to_numpy() if days is None or len(ts) > len(days) else days
            for c in names:
                stacks[c].append(ts[c].to_numpy(dtype=float))
        if days is None:
            continue
        out = {"point": np.full(len(days), point["point"], dtype=np.int64), "day": days.astype(np.int64)}
        for c in names:
            length = min(len(a) for a in stacks[c])
            arr = np.vstack([a[:length] for a in stacks[c]])
            pad = len(days) - length
            out[f"{c}_mean"] = np.pad(arr.mean(axis=0), (0, pad), constant_values=np.nan)
            out[f"{c}_p2_5"] = np.pad(np.percentile(arr, 2.5, axis=0), (0, pad), constant_values=np.nan)
            out[f"{c}_p97_5"] = np.pad(np.percentile(arr, 97.5, axis=0), (0, pad), constant_values=np.nan)
        out["replicates"] = np.full(len(days), len(stacks[names[0]]), dtype=np.int64)
        frames.append(pd.DataFrame(out))
    if not frames:
        return pd.DataFrame(columns=["point", "day"])
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- figures
def _x_axis(manifest: dict[str, Any]) -> tuple[str | None, list[str], list[str]]:
    """(x key, keys that move with it, keys that split the curves into series)."""
    grid, zipped = manifest.get("grid", []), manifest.get("zip", [])
    if grid:
        x = grid[0]
        return x, [], [k for k in grid[1:]] + list(zipped)
    if zipped:
        return zipped[0], list(zipped[1:]), []
    return None, [], []


def _point_label(point: dict[str, Any], keys: list[str]) -> str:
    """A point as a reader sees it: ``Share made structurally isolated 0.1, ...`` (display names)."""
    from sim.config.display import parameter_name

    return ", ".join(f"{parameter_name(k)} {point['overrides'].get(k)}" for k in keys if k in point["overrides"])


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _floor_axis(ax, proxy: str, values) -> None:
    from sim.plots import floor_ylim

    floor, span = Y_FLOORS.get(proxy, (0.0, 0.0))
    floor_ylim(ax, values, floor=floor, min_span=span)


def dose_response_figure(summary: pd.DataFrame, manifest: dict[str, Any]):
    """Each proxy against the swept parameter: mean, 95% CI of the mean and the replicates' range (a figure)."""
    from sim.config.display import label, measure, parameter_name
    from sim.plots import plt

    x_key, with_x, series_keys = _x_axis(manifest)
    points = manifest["points"]
    xs_raw = [p["overrides"].get(x_key) if x_key else 0 for p in points]
    numeric = _numeric(xs_raw)
    if numeric:
        xpos = {p["point"]: float(v) for p, v in zip(points, xs_raw)}
    else:
        uniq = list(dict.fromkeys(json.dumps(v, sort_keys=True) for v in xs_raw))
        xpos = {p["point"]: float(uniq.index(json.dumps(v, sort_keys=True))) for p, v in zip(points, xs_raw)}
    series: dict[str, list[int]] = {}
    for p in points:
        series.setdefault(_point_label(p, series_keys), []).append(p["point"])

    proxies = [k for k in FIGURE_PROXIES if k in set(summary["proxy"])]
    ncol = 3
    nrow = max(1, math.ceil(len(proxies) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.3 * ncol, 3.4 * nrow + 1.0), layout="constrained", squeeze=False)
    for ax, proxy in zip(axes.flat, proxies):
        sub = summary[summary["proxy"] == proxy].set_index("point")
        for k, (skey, pts) in enumerate(series.items()):
            pts = [p for p in pts if p in sub.index]
            if not pts:
                continue
            x = np.array([xpos[p] for p in pts])
            order = np.argsort(x, kind="stable")
            x = x[order]
            s = sub.loc[[pts[i] for i in order]]
            color = f"C{k % 10}"
            ax.fill_between(x, s["p2_5"], s["p97_5"], color=color, alpha=0.15, linewidth=0,
                            label="2.5–97.5% of replicates" if k == 0 else None)
            yerr = np.vstack([s["mean"] - s["ci95_low"], s["ci95_high"] - s["mean"]])
            ax.errorbar(x, s["mean"], yerr=np.nan_to_num(yerr), color=color, marker="o", ms=4, capsize=3,
                        label=(skey or "mean, 95% CI of the mean"))
        _floor_axis(ax, proxy, sub["p97_5"].to_numpy())
        ax.set_title(measure(proxy)[0], fontsize=10)
        ax.set_ylabel(measure(proxy)[1] or label(proxy), fontsize=8)
        ax.grid(alpha=0.3)
        if not numeric:
            uniq_labels = list(dict.fromkeys(str(v) for v in xs_raw))
            ax.set_xticks(range(len(uniq_labels)), uniq_labels, rotation=30, fontsize=7)
    for ax in list(axes.flat)[len(proxies):]:
        ax.set_visible(False)
    xtitle = parameter_name(x_key) if x_key else "point"
    if with_x:
        xtitle += " (moving with it: " + ", ".join(parameter_name(k) for k in with_x) + ")"
    fig.supxlabel(xtitle, fontsize=9)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", fontsize=8, ncols=min(3, max(1, len(names))), frameon=False)
    n = int(summary["n"].max()) if len(summary) else 0
    fig.suptitle(f"{manifest['name']}: mean over {n} replicates (bars: 95% CI of the mean; band: 2.5–97.5% of "
                 "replicates)", fontsize=10)
    return fig


def timeseries_figure(ts: pd.DataFrame, manifest: dict[str, Any]):
    """The daily series of each point: mean and 2.5-97.5% range across replicates (a figure)."""
    from sim.config.display import measure
    from sim.plots import plt

    points = manifest["points"]
    cmap = plt.get_cmap("viridis")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True, layout="constrained")
    for ax, col in zip(axes.flat, TS_COLUMNS):
        for i, p in enumerate(points):
            sub = ts[ts["point"] == p["point"]]
            if sub.empty:
                continue
            color = cmap(i / max(len(points) - 1, 1) * 0.9)
            ax.fill_between(sub["day"], sub[f"{col}_p2_5"], sub[f"{col}_p97_5"], color=color, alpha=0.15,
                            linewidth=0)
            ax.plot(sub["day"], sub[f"{col}_mean"], color=color, lw=1.3,
                    label=f"{p['point'] + 1}: {_point_label(p, manifest['swept'][:1])}")
        if f"{col}_p97_5" in ts:
            _floor_axis(ax, col, ts[f"{col}_p97_5"].to_numpy())
        name, unit = measure(col)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(unit, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("day")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", fontsize=7, ncols=2 if len(labels) > 3 else 1,
               frameon=False, title="point", title_fontsize=7)
    fig.suptitle(f"{manifest['name']}: time series per point (mean and 2.5–97.5% of replicates)", fontsize=10)
    return fig


# --------------------------------------------------------------------------- entry point
def build_report(sweep_dir: Path, figures: bool = True) -> dict[str, Any]:
    """Rebuild every table and figure of a sweep folder from its run folders. Returns counts."""
    sweep_dir = Path(sweep_dir)
    manifest = read_manifest(sweep_dir)
    runs = load_runs(sweep_dir, manifest)
    expected = sum(len(p["runs"]) for p in manifest["points"])
    summary = summarise(runs, manifest)
    ts = timeseries_summary(sweep_dir, manifest)
    try:  # each file through a temporary name and a rename: a reader never sees half a table
        write_atomic(sweep_dir / "runs.csv", lambda p: runs.to_csv(p, index=False), keep_suffix=True)
        write_atomic(sweep_dir / "runs.parquet", lambda p: runs.to_parquet(p, index=False), keep_suffix=True)
        write_atomic(sweep_dir / "summary.csv", lambda p: summary.to_csv(p, index=False), keep_suffix=True)
        write_atomic(sweep_dir / "summary.parquet", lambda p: summary.to_parquet(p, index=False), keep_suffix=True)
        write_atomic(sweep_dir / "timeseries_summary.parquet", lambda p: ts.to_parquet(p, index=False), keep_suffix=True)
        pngs: dict[str, bytes] = {}
        if figures and len(runs):
            fmt = manifest.get("scenario", {}).get("output", {}).get("figure_format", "png")
            for name, make in (("dose_response", lambda: dose_response_figure(summary, manifest)),
                               ("timeseries_by_point", lambda: timeseries_figure(ts, manifest))):
                pngs[name] = _write_figure(make(), sweep_dir / f"{name}.{fmt}", fmt)
        else:  # figures not redrawn: the page shows the PNGs already there
            pngs = {n: (sweep_dir / f"{n}.png").read_bytes() for n in ("dose_response", "timeseries_by_point")
                    if (sweep_dir / f"{n}.png").exists()}
        from sim.runs.sweep_html import sweep_report_html

        html = sweep_report_html(manifest, summary, len(runs), expected, pngs)
        write_atomic(sweep_dir / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
    except OSError as exc:
        raise BatchError(f"{sweep_dir}: cannot write the report ({exc.strerror or exc})") from None
    return {"runs": len(runs), "expected": expected, "missing": expected - len(runs)}


def _write_figure(fig, path: Path, fmt: str) -> bytes:
    """Save ``fig`` atomically to ``path`` in ``fmt``; return the PNG report.html embeds."""
    from sim.plots import png_bytes, save_figure

    data = None if fmt == "png" else png_bytes(fig)
    write_atomic(path, lambda p: save_figure(fig, p, fmt), keep_suffix=True)
    return path.read_bytes() if data is None else data


def monotonic_check(summary: pd.DataFrame, proxy: str) -> dict[str, Any]:
    """Is the proxy's mean strictly increasing over the points, and do the CIs of the ends not overlap?"""
    sub = summary[summary["proxy"] == proxy].sort_values("point")
    means = sub["mean"].to_numpy()
    first, last = sub.iloc[0], sub.iloc[-1]
    return {
        "proxy": proxy,
        "means": [float(m) for m in means],
        "increasing": bool(np.all(np.diff(means) > 0)),
        "ci_first": (float(first["ci95_low"]), float(first["ci95_high"])),
        "ci_last": (float(last["ci95_low"]), float(last["ci95_high"])),
        "ci_separated": bool(first["ci95_high"] < last["ci95_low"]),
        "range_first": (float(first["p2_5"]), float(first["p97_5"])),
        "range_last": (float(last["p2_5"]), float(last["p97_5"])),
        "range_separated": bool(first["p97_5"] < last["p2_5"]),
    }
