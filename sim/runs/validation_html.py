"""``report.html`` of a folder of validation studies (``lonesim experiment``), in the house style of
:mod:`sim.runs.page`: how many published figures the model reproduces, each study's figure before its
rows of the validation table. Built from ``validation.csv`` and ``validation/<study>.png`` / ``.txt``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.runs import page as pg


def _num(x) -> str:
    return "–" if pd.isna(x) else f"{float(x):.3g}"


def validation_report_html(folder: Path) -> str:
    """The page for ``folder`` (holding validation.csv and validation/); deterministic."""
    folder = Path(folder)
    table = pd.read_csv(folder / "validation.csv")
    judged = table[table["inside"].isin(["yes", "no"])]
    inside = int((judged["inside"] == "yes").sum())
    studies = list(dict.fromkeys(table["study"]))
    lines = [f"<b>{inside} of {len(judged)}</b> published figures lie inside the model's 95% interval "
             f"({len(table) - len(judged)} more are shown beside a published value without an interval to judge by)."]
    outside = judged[judged["inside"] == "no"]
    if len(outside):
        lines.append("Outside: " + "; ".join(f"{pg.esc(r['quantity'])} ({pg.esc(r['study'])})"
                                             for _, r in outside.iterrows()) + ".")
    body = [pg.headline(lines)]
    figdir = folder / "validation"
    shown: set[str] = set()
    for study in studies:
        body.append(f"<h2>{pg.esc(study.replace('_', ' ').capitalize())}</h2>")
        for png in sorted(figdir.glob(f"{study}*.png")) + sorted(figdir.glob(f"{study.rstrip('s')}_*.png")):
            if png.name in shown:
                continue
            shown.add(png.name)
            notes = png.with_suffix(".txt")
            cap = pg.esc(notes.read_text(encoding="utf-8").strip().splitlines()[0]) if notes.exists() and \
                notes.read_text(encoding="utf-8").strip() else ""
            body.append(pg.figure(png.read_bytes(), png.stem, cap))
        rows = [[pg.esc(r["quantity"]), f"{_num(r['published_low'])} to {_num(r['published_high'])}",
                 pg.interval(r["model_estimate"], r["model_low"], r["model_high"], 3) if not pd.isna(r["model_low"])
                 else _num(r["model_estimate"]), {"yes": "yes", "no": "<b>no</b>"}.get(r["inside"], "–"),
                 pg.esc(r.get("reference", "") if not pd.isna(r.get("reference", "")) else "")]
                for _, r in table[table["study"] == study].iterrows()]
        body.append(pg.table(["Quantity", "Published", "Model (95% interval)", "Inside", "Source"], rows))
    for png in sorted(figdir.glob("*.png")):
        if png.name not in shown:
            body.append(pg.figure(png.read_bytes(), png.stem, pg.esc(png.stem.replace("_", " "))))
    body.append(pg.glossary(["95% interval", "Replicate", "SMD", "UCLA-3", "Relative hazard"]))
    facts = (f"{len(studies)} validation stud{'ies' if len(studies) != 1 else 'y'} ({', '.join(map(pg.esc, studies))}); "
             "each study's scenario, replicates and seed are in its experiments/&lt;name&gt;.yaml file and its notes.")
    footer = ("Made by <code>lonesim experiment</code> (rebuild with <code>lonesim report FOLDER</code>); the rows are "
              "in validation.csv, each study's table in validation/; docs/validation.md explains every study.")
    return pg.page("Validation: the model beside published figures", facts, body, footer)


def write_validation_report(folder: Path) -> Path:
    """Write ``folder/report.html`` (atomically) and return its path."""
    from sim.runs.layout import write_text_atomic

    path = Path(folder) / "report.html"
    write_text_atomic(path, validation_report_html(folder))
    return path
