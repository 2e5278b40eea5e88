"""The parameter reference (docs/parameters.md), generated from the scenario schema so it cannot drift.

Each row: the YAML key path, its default, and the field description (unit and source). Run
``lonesim schema --markdown > docs/parameters.md`` to regenerate; a test checks it is current.
"""

from __future__ import annotations

import json
import re
import textwrap
import typing
from typing import Any

import yaml
from pydantic import BaseModel

from sim.config import Scenario
from sim.config.base import assumption_range
from sim.config.paths import section_models

HEADER = """# Scenario parameters

Generated from the schema in `sim/config/` by `lonesim schema --markdown`; do not edit by hand.
Units are in the descriptions (per day, per year, per contact). Sources: *Wang et al. 2023*,
*Hill et al. 2010* and the other references are those of [science.md](science.md) plus the few
listed in [model.md](model.md#references-added-here); **Calibrated** means tuned by a script (named in the row) to a published
target; **Assumption** means no published anchor: sweep it before leaning on it.

"""


def _fields(models: list[type[BaseModel]]) -> dict[str, Any]:
    """The fields of one section model, or of every member of a union of them, each name once: the fields
    all members share that come first (a programme's kind, days, coverage, targeting), then each kind's
    own in member order, then the other shared ones (a comparison arm's name and cost)."""
    first = list(models[0].model_fields)
    shared = [n for n in first if all(n in m.model_fields for m in models)]
    own = next((i for i, n in enumerate(first) if n not in shared), len(first))
    lead = [n for n in first[:own] if n in shared]
    out: dict[str, Any] = {n: models[0].model_fields[n] for n in lead}
    for m in models:
        for name, field in m.model_fields.items():
            if name not in shared:
                out.setdefault(name, field)
    out.update({n: models[0].model_fields[n] for n in shared if n not in out})
    return out


def _rows(model: type[BaseModel] | list[type[BaseModel]], prefix: str = "") -> list[tuple[str, str, str]]:
    rows = []
    for name, field in _fields(model if isinstance(model, list) else [model]).items():
        path = f"{prefix}{name}"
        ann = field.annotation
        inner = [a for a in (typing.get_args(ann) or (ann,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if inner and typing.get_origin(ann) is not list:
            rows.append((path, "", field.description or (inner[0].__doc__ or "").strip().split("\n")[0]))
            rows.extend(_rows(inner[0], path + "."))
            continue
        members = section_models(ann) if typing.get_origin(ann) is list else []
        if members:  # a list of sections, or of a union of them (programmes: one model per kind)
            rows.append((f"{path}[]", "[]", field.description or ""))
            rows.extend(_rows(members, f"{path}[]."))
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


#: The seed of every shipped scenario (scenarios/*.yaml): ``lonesim defaults`` starts new scenarios from it.
SHIPPED_SEED = 20261126


def _model_for(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The pydantic model among ``annotation``'s types that ``value`` (a mapping) is an instance of."""
    if not isinstance(value, dict):
        return None
    args = typing.get_args(annotation) or (annotation,)
    flat: list = []
    for a in args:  # Annotated[Union[...], ...] and Optional[...] nest
        flat += list(typing.get_args(a)) if typing.get_args(a) and typing.get_origin(a) is not list else [a]
    models = [a for a in flat if isinstance(a, type) and issubclass(a, BaseModel)]
    for m in models:
        if set(value) <= set(m.model_fields):
            return m
    return None


def _comment(text: str, indent: str) -> list[str]:
    text = re.sub(r"\[[^\]]{0,40}\]", lambda m: m.group(0).replace(" ", "\0"), " ".join(text.split()))  # keep [a, b] whole
    lines = textwrap.wrap(text, width=max(40, 110 - len(indent)), break_long_words=False, break_on_hyphens=False)
    return [f"{indent}# {line.replace(chr(0), ' ')}" for line in lines]


def _annotated(model: type[BaseModel], data: dict[str, Any], indent: str = "") -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        desc = (field.description or "") if field is not None else ""
        sub = _model_for(field.annotation, value) if field is not None else None
        if sub is not None:
            lines += _comment(desc or (sub.__doc__ or "").strip().split("\n")[0], indent)
            lines.append(f"{indent}{key}:")
            lines += _annotated(sub, value, indent + "  ")
            continue
        if field is not None and (rng := assumption_range(field)) is not None:
            desc += f" Sensitivity range: [{rng['low']:g}, {rng['high']:g}]" + (", log-uniform." if rng["log"] else ".")
        lines += _comment(desc, indent)
        flow = False if not isinstance(value, (dict, list)) else None  # scalars `key: v`, lists of numbers `[a, b]`
        text = yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=10_000)
        lines += [indent + line for line in text.rstrip("\n").split("\n")]
    return lines


def annotated_defaults(scenario: Scenario | None = None) -> str:
    """A complete scenario YAML (``lonesim defaults``): every key with its default, each under a comment
    giving its meaning, unit and source (the schema's descriptions, as in docs/parameters.md), and the
    shipped scenarios' seed. Loading it gives back ``scenario`` (default: the defaults with that seed)."""
    sc = scenario if scenario is not None else Scenario(seed=SHIPPED_SEED)
    head = ["# A lonesim scenario with every parameter at its default (lonesim defaults). Each key has its meaning,",
            "# unit and source above it (docs/parameters.md is the same reference as a table). Keep the keys you",
            "# change and delete the rest: a key left out keeps its default.",
            f"# The seed is the one every shipped scenario uses ({SHIPPED_SEED}); a file that names no seed uses "
            f"{Scenario.model_fields['seed'].default}."]
    return "\n".join(head + _annotated(Scenario, sc.model_dump(mode="json", exclude_none=True))) + "\n"
