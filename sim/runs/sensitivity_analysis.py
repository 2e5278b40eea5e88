"""The indices of a sensitivity analysis, computed by SALib from the run files on disk, with the replicate
noise beside them and a convergence check.

For each output, the value at a sample point is the mean over its replicates; SALib's
``SALib.analyze.morris.analyze`` (mu_star, its bootstrap interval, sigma, mu) or
``SALib.analyze.sobol.analyze`` (S1, ST and their bootstrap intervals) turns them into indices.

Replicate noise. With R >= 2 replicates, the deviations of each replicate from the point's mean,
scaled by 1/sqrt(R - 1), have the size and the correlation between points (common random numbers) of
the noise left in the mean. The same analysis applied to such a pure-noise output gives, for each
parameter, the index that noise alone produces along the same sample: ``mu_star_noise`` (Morris), or
``S1_noise`` and ``ST_noise`` (Sobol', in shares of the mean output's variance). An index is called
``above_noise`` when its lower confidence limit (index - conf) exceeds its noise index. ``noise.csv``
gives, per output, the replicate SD and the share of the analysed output's variance that is noise.

Convergence. The same analysis on the first half of the design (half the trajectories, or half the
Sobol' base samples: a valid design of its own) is written beside the full one (``convergence.csv``).

Everything is deterministic: the bootstrap is seeded from the scenario's seed, and the files are
written in a fixed order, through temporary files and renames.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.runs.layout import RUNS_DIR, BatchError, write_atomic

FIGURES_DIR = "figures"
#: The index that ranks parameters, per method (Morris: mu_star; Sobol': the total index ST).
RANK_BY = {"morris": "mu_star", "sobol": "ST"}


# =========================================================================== reading the runs
def load_runs(folder: Path, plan: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """All run files of ``plan`` in ``folder``: a table (one row per run: point, replicate, parameter values,
    outputs) and the outputs as an array ``Y[point, replicate, output]`` (NaN where a run gave no number).

    Raises BatchError when a run file is missing (the analysis needs every run of the design).
    """
    d = plan.design
    Y = np.full((d.points, d.replicates, len(plan.outputs)), np.nan)
    rows = []
    for point, rep, name in plan.runs():
        path = Path(folder) / RUNS_DIR / f"{name}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise BatchError(f"{path}: missing or unreadable run file; finish the runs with --resume") from None
        summary = data.get("summary") or {}
        row: dict[str, Any] = {"point": point, "replicate": rep}
        row.update(data.get("parameters") or {})
        for k, out in enumerate(plan.outputs):
            v = summary.get(out)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            Y[point, rep, k] = float(v) if ok else np.nan
            row[out] = float(v) if ok else np.nan
        rows.append(row)
    return pd.DataFrame(rows), Y


# =========================================================================== SALib
def _analyse(design: Any, X: np.ndarray, y: np.ndarray, bootstrap: int, confidence: float, seed: int) -> dict[str, np.ndarray]:
    """SALib's indices of one output ``y`` over the design rows ``X`` (morris: mu_star, mu_star_conf, sigma, mu;
    sobol: S1, S1_conf, ST, ST_conf)."""
    y = np.ascontiguousarray(y, dtype=float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # sigma of one trajectory, a constant output: NaN, reported as such
        if design.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(design.problem, np.ascontiguousarray(X, dtype=float), y, num_resamples=bootstrap,
                                conf_level=confidence, num_levels=design.levels, seed=seed)
            keys = ("mu_star", "mu_star_conf", "sigma", "mu")
        else:
            from SALib.analyze import sobol

            if not np.ptp(y) > 0:  # Sobol' indices are shares of a variance: undefined without one
                return {k: np.full(len(design.parameters), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
            si = sobol.analyze(design.problem, y, calc_second_order=False, num_resamples=bootstrap,
                               conf_level=confidence, seed=seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf")
    return {k: np.asarray(si[k], dtype=float) for k in keys}


def _noise_fields(Yk: np.ndarray) -> list[np.ndarray]:
    """Pure-noise outputs with the size of the noise in the replicate mean: (y_r - mean) / sqrt(R - 1)."""
    R = Yk.shape[1]
    if R < 2:
        return []
    mean = Yk.mean(axis=1)
    fields = [(Yk[:, r] - mean) / math.sqrt(R - 1) for r in range(R)]
    return fields[:1] if R == 2 else fields  # with two replicates the two fields are each other's negative


def _noise_indices(design: Any, X: np.ndarray, Yk: np.ndarray, seed: int) -> dict[str, np.ndarray] | None:
    """Indices that replicate noise alone gives along the design (None with a single replicate)."""
    fields = _noise_fields(Yk)
    if not fields:
        return None
    d = len(design.parameters)
    if design.method == "morris":
        mu = [_analyse(design, X, e, 10, 0.95, seed)["mu_star"] for e in fields]
        return {"mu_star_noise": np.mean(mu, axis=0)}
    var_mean = float(Yk.mean(axis=1).var())
    s1, st = np.zeros(d), np.zeros(d)
    for e in fields:
        var_e = float(e.var())
        if var_e == 0 or var_mean == 0:
            continue
        si = _analyse(design, X, e, 10, 0.95, seed)
        s1 += np.abs(si["S1"]) * var_e / var_mean / len(fields)
        st += np.abs(si["ST"]) * var_e / var_mean / len(fields)
    return {"S1_noise": s1, "ST_noise": st}


def _noise_row(output: str, Yk: np.ndarray, finite: bool) -> dict[str, Any]:
    """One row of noise.csv: the output's spread over the sample and the replicate noise.

    ``replicate_sd``: seed-to-seed SD of the output at a sample point (pooled over points);
    ``common_sd``: the part of it shared by every point of a replicate (common random numbers: it
    cancels in the indices); ``noise_share``: the variance of the rest, left in the replicate mean,
    as a share of the variance of the analysed output across the sample.
    """
    P, R = Yk.shape
    row: dict[str, Any] = {"output": output, "replicates": R, "points": P,
                           "runs_without_value": int((~np.isfinite(Yk)).sum()),
                           "mean": float(np.nanmean(Yk)) if np.isfinite(Yk).any() else math.nan,
                           "sd": math.nan, "replicate_sd": math.nan, "common_sd": math.nan, "noise_share": math.nan,
                           "analysed": finite}
    if not finite:
        return row
    mean = Yk.mean(axis=1)
    row["sd"] = float(mean.std(ddof=1)) if P > 1 else math.nan
    if R >= 2:
        row["replicate_sd"] = float(np.sqrt(np.mean(Yk.var(axis=1, ddof=1))))
        shift = (Yk - mean[:, None]).mean(axis=0)  # each replicate's mean deviation over the points
        row["common_sd"] = float(np.sqrt((shift**2).sum() / (R - 1)))
        resid = np.mean([(e - e.mean()).var() for e in _noise_fields(Yk)])
        row["noise_share"] = float(resid / mean.var()) if mean.var() > 0 else math.nan
    return row


def analyse(plan: Any, Y: np.ndarray) -> dict[str, pd.DataFrame]:
    """The tables of the analysis: ``indices`` (one row per parameter and output), ``convergence`` (each
    index with half the sample beside the full one) and ``noise`` (one row per output).

    An output that some run did not give as a finite number is left out of ``indices`` and marked in ``noise``.
    """
    d = plan.design
    X = d.X
    half = d.half_points()
    seed = int(d.seed) + 1  # SALib's Sobol' bootstrap is unseeded for a seed of 0
    names = [p.path for p in d.parameters]
    rank_by = RANK_BY[d.method]
    index_cols = ["mu_star", "sigma"] if d.method == "morris" else ["S1", "ST"]
    ind_rows, conv_rows, noise_rows = [], [], []
    for k, out in enumerate(plan.outputs):
        Yk = Y[:, :, k]
        mean = Yk.mean(axis=1)
        finite = bool(np.isfinite(Yk).all())
        noise_rows.append(_noise_row(out, Yk, finite))
        if not finite:
            continue
        full = _analyse(d, X, mean, plan.bootstrap, plan.confidence, seed)
        halfi = _analyse(d, X[:half], mean[:half], plan.bootstrap, plan.confidence, seed)
        noise = _noise_indices(d, X, Yk, seed)
        order = sorted(range(len(names)), key=lambda i: (-np.nan_to_num(full[rank_by][i], nan=-np.inf), i))
        rank = {i: r + 1 for r, i in enumerate(order)}
        for i, name in enumerate(names):
            row: dict[str, Any] = {"parameter": name, "output": out, "method": d.method, "rank": rank[i]}
            row.update({key: float(v[i]) for key, v in full.items()})
            if noise is not None:
                row.update({key: float(v[i]) for key, v in noise.items()})
                lead = rank_by
                row["above_noise"] = bool(full[lead][i] - full[f"{lead}_conf"][i] > noise[f"{lead}_noise"][i])
            else:
                row.update({f"{lead}_noise": math.nan for lead in (("mu_star",) if d.method == "morris" else ("S1", "ST"))})
                row["above_noise"] = None
            ind_rows.append(row)
            for col in index_cols:
                conv_rows.append({"parameter": name, "output": out, "method": d.method, "index": col,
                                  "full": float(full[col][i]), "half": float(halfi[col][i]),
                                  "difference": float(halfi[col][i] - full[col][i])})
    if d.method == "morris":
        cols = ["parameter", "output", "method", "rank", "mu_star", "mu_star_conf", "sigma", "mu", "mu_star_noise",
                "above_noise"]
    else:
        cols = ["parameter", "output", "method", "rank", "S1", "S1_conf", "ST", "ST_conf", "S1_noise", "ST_noise",
                "above_noise"]
    return {"indices": pd.DataFrame(ind_rows, columns=cols),
            "convergence": pd.DataFrame(conv_rows, columns=["parameter", "output", "method", "index", "full", "half",
                                                            "difference"]),
            "noise": pd.DataFrame(noise_rows)}


def overall_ranking(indices: pd.DataFrame, outputs: list[str], method: str) -> pd.DataFrame:
    """Parameters ranked by their largest relative index over the outputs: per output the ranking index
    (mu_star or ST) divided by that output's largest, then the maximum over outputs."""
    by = RANK_BY[method]
    if indices.empty:
        return pd.DataFrame(columns=["parameter", "score"])
    wide = indices.pivot(index="parameter", columns="output", values=by)
    wide = wide[[o for o in outputs if o in wide.columns]]
    params = list(dict.fromkeys(indices["parameter"]))
    wide = wide.reindex(params)
    top = wide.max(axis=0).replace(0, np.nan)
    rel = (wide / top).fillna(0.0)
    rel["score"] = rel.max(axis=1)
    rel = rel.reset_index().rename(columns={"index": "parameter"})
    rel["order"] = range(len(rel))
    rel = rel.sort_values(["score", "order"], ascending=[False, True], kind="stable").drop(columns="order")
    return rel.reset_index(drop=True)


# =========================================================================== writing
def write_table(df: pd.DataFrame, folder: Path, stem: str) -> None:
    """``<stem>.csv`` and ``<stem>.parquet`` in ``folder``, each written atomically."""
    write_atomic(folder / f"{stem}.csv", lambda p: df.to_csv(p, index=False, lineterminator="\n"), keep_suffix=True)
    write_atomic(folder / f"{stem}.parquet", lambda p: df.to_parquet(p, index=False), keep_suffix=True)


def write_analysis(folder: Path, plan: Any, figures: bool = True) -> list[str]:
    """Read every run file, compute the indices, and write the tables, figures and ``report.md``; return notes
    for the user (outputs that could not be analysed)."""
    from sim.runs.sensitivity_report import draw_output, report_markdown

    folder = Path(folder)
    runs, Y = load_runs(folder, plan)
    tables = analyse(plan, Y)
    write_table(runs, folder, "runs")
    for stem in ("indices", "convergence", "noise"):
        write_table(tables[stem], folder, stem)
    ranking = overall_ranking(tables["indices"], plan.outputs, plan.design.method)
    write_table(ranking, folder, "ranking")
    fmt = ((plan.base or {}).get("output") or {}).get("figure_format", "png")
    pngs: dict[str, bytes] = {}
    if figures:
        from sim.plots import png_bytes, save_figure

        figdir = folder / FIGURES_DIR
        figdir.mkdir(exist_ok=True)
        for entry in figdir.iterdir():
            if entry.name.startswith(".") and ".tmp-" in entry.name:
                entry.unlink(missing_ok=True)
        for out in plan.outputs:
            sub = tables["indices"][tables["indices"]["output"] == out]
            if sub.empty:
                continue
            conv = tables["convergence"][tables["convergence"]["output"] == out]
            fig = draw_output(sub, conv, plan.design.method, out)
            embed = None if fmt == "png" else png_bytes(fig)
            write_atomic(figdir / f"{out}.{fmt}", lambda p, f=fig: save_figure(f, p, fmt), keep_suffix=True)
            pngs[out] = (figdir / f"{out}.png").read_bytes() if embed is None else embed
    text = report_markdown(plan, tables, ranking, figures=figures, fmt=fmt)
    write_atomic(folder / "report.md", lambda p: p.write_text(text, encoding="utf-8"), keep_suffix=True)
    from sim.runs.sensitivity_html import sensitivity_report_html

    page = sensitivity_report_html(plan, tables, ranking, pngs)
    write_atomic(folder / "report.html", lambda p: p.write_text(page, encoding="utf-8"), keep_suffix=True)
    notes = []
    for row in tables["noise"].itertuples():
        if not row.analysed:
            notes.append(f"output {row.output}: {row.runs_without_value} run(s) gave no finite value; not analysed")
    return notes
