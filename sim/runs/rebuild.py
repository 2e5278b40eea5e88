"""``lonesim report FOLDER``: rebuild the tables, figures and ``report.html`` of any batch folder from what is on
disk — a sweep (``sweep.json``), a comparison (``comparison.json``), a sensitivity analysis
(``sensitivity.json``) or a folder of validation studies (``validation.csv``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.runs.layout import BatchError

#: Manifest file → kind of batch folder, in the order they are looked for.
KINDS = (("sweep.json", "sweep"), ("comparison.json", "comparison"), ("sensitivity.json", "sensitivity"),
         ("validation.csv", "validation"))


def folder_kind(folder: Path) -> str:
    """``sweep``, ``comparison``, ``sensitivity`` or ``validation`` (raises BatchError for anything else)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder}: no such folder")
    for name, kind in KINDS:
        if (folder / name).is_file():
            return kind
    raise BatchError(f"{folder}: not a batch folder (no sweep.json, comparison.json, sensitivity.json or "
                     "validation.csv); lonesim report rebuilds the report of a sweep, comparison, sensitivity "
                     "analysis or validation run")


def sensitivity_plan(manifest: dict[str, Any]):
    """The :class:`~sim.runs.sensitivity.SensitivityPlan` recorded in a ``sensitivity.json`` (the sample is drawn
    again from its seed: SALib's sampling is deterministic)."""
    from sim.config.sensitivity import Parameter
    from sim.runs.sensitivity import SensitivityPlan, make_design

    params = [Parameter(path=p["path"], low=p["low"], high=p["high"], log=p["log"], integer=p["integer"])
              for p in manifest["parameters"]]
    design = make_design(manifest["method"], params, manifest["size"], manifest.get("levels") or 4,
                         manifest["replicates"], manifest["seed"])
    return SensitivityPlan(name=manifest["name"], design=design, outputs=list(manifest["outputs"]),
                           base=manifest.get("base"), scenario=manifest.get("scenario"),
                           bootstrap=manifest.get("bootstrap", 1000), confidence=manifest.get("confidence", 0.95),
                           run_folders=bool(manifest.get("run_folders")))


def rebuild(folder: Path, figures: bool = True) -> tuple[str, dict[str, Any]]:
    """Rebuild the report of ``folder``; returns (kind, counts: runs, expected, missing)."""
    folder = Path(folder)
    kind = folder_kind(folder)
    if kind == "sweep":
        from sim.runs.report import build_report

        return kind, build_report(folder, figures=figures)
    if kind == "comparison":
        from sim.runs.compare_report import build_comparison_report

        counts = build_comparison_report(folder, figures=figures)
        return kind, {"runs": counts["runs"], "expected": counts["runs"], "missing": 0}
    if kind == "sensitivity":
        from sim.runs.sensitivity_analysis import write_analysis

        try:
            manifest = json.loads((folder / "sensitivity.json").read_text(encoding="utf-8"))
            plan = sensitivity_plan(manifest)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BatchError(f"{folder / 'sensitivity.json'}: unreadable sensitivity manifest ({exc})") from None
        missing = sum(1 for _, _, n in plan.runs() if not (folder / "runs" / f"{n}.json").exists())
        if missing:
            raise BatchError(f"{folder}: {missing} of {plan.n_runs} runs not finished; finish them with "
                             "lonesim sensitivity ... --resume")
        write_analysis(folder, plan, figures=figures)
        return kind, {"runs": plan.n_runs, "expected": plan.n_runs, "missing": 0}
    from sim.runs.validation_html import write_validation_report

    write_validation_report(folder)
    return kind, {"runs": 0, "expected": 0, "missing": 0}
