"""The parameter reference (docs/parameters.md), generated from the scenario schema so it cannot drift.

Each row: the YAML key path, its default, and the field description (unit and source). Run
``lonesim schema --markdown > docs/parameters.md`` to regenerate; a test checks it is current.
"""

from __future__ import annotations

import json
import typing

from pydantic import BaseModel

from sim.config import Scenario
from sim.config.base import assumption_range

HEADER = """# Scenario parameters

Generated from the schema in `sim/config/` by `lonesim schema --markdown`; do not edit by hand.
Units are in the descriptions (per day, per year, per contact). Sources: *Wang et al. 2023*,
*Hill et al. 2010* and the other references are those of [science.md](science.md) plus the few
listed in [model.md](model.md#references-added-here); **Calibrated** means tuned by a script (named in the row) to a published
target; **Assumption** means no published anchor: sweep it before leaning on it.

"""


def _rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = field.annotation
        inner = [a for a in (typing.get_args(ann) or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner and typing.get_origin(ann) is not list:
            rows.append((path, "", field.description or (inner[0].__doc__ or "").strip().split("\n")[0]))
            rows.extend(_rows(inner[0], path + "."))
            continue
        if typing.get_origin(ann) is list and inner:
            rows.append((f"{path}[]", "[]", field.description or ""))
            rows.extend(_rows(inner[0], f"{path}[]."))
            continue
        default = field.get_default(call_default_factory=True)
        shown = "required" if field.is_required() else json.dumps(default if not isinstance(default, BaseModel) else None)
        desc = (field.description or "").replace("\n", " ")
        rng = assumption_range(field)
        if rng is not None:  # the range lonesim sensitivity samples it over (parameters: assumptions)
            desc += f" Sensitivity range: [{rng['low']:g}, {rng['high']:g}]" + (", log-uniform." if rng["log"] else ".")
        rows.append((path, shown, desc))
    return rows


def parameters_markdown() -> str:
    """The parameter reference table (docs/parameters.md) as Markdown, from the schema."""
    lines = [HEADER, "| key | default | meaning, unit and source |", "|---|---|---|"]
    for path, default, desc in _rows(Scenario):
        lines.append(f"| `{path}` | {('`' + default + '`') if default else ''} | {desc.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
