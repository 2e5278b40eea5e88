"""The lonesim browser page: Mesa's SolaraViz on the connection model.

Run it with ``lonesim viz scenarios/baseline.yaml`` (or ``solara run sim/viz/app.py``; the scenario
file then comes from the ``LONESIM_VIZ_SCENARIO`` environment variable, and without it the page uses
the schema defaults with a small town of 500 people).

The page shows
* the social network (Mesa ``SpaceRenderer``, matplotlib backend, one PNG per step): each person
  coloured by mood or loneliness (a switch), sized by health, the dead in grey; above 1,500 people
  a neighbourhood of 600 is drawn, and the page says so;
* live plots (Mesa ``make_plot_component``, Altair) of mean mood, loneliness and isolation prevalence,
  smiles and kind acts per day, and mean relative hazard, over the whole population;
* sliders for the parameters a user most wants to try; Reset rebuilds the model from them;
* the YAML of the settings of the model on screen, to save and run in batch.
"""

from __future__ import annotations

import functools
import inspect
import os
import zlib
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import solara
from mesa import DataCollector
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from sim.viz import SCENARIO_ENV
from sim.viz.network import (
    AGE_COLORS,
    AGE_GROUPS,
    COLOR_MODES,
    ENROLLED_EDGE,
    TIE_KIND_COLORS,
    TIE_MODES,
    enrolled_mask,
    make_renderer,
    network_png,
)
from sim.viz.params import DEFAULT_TARGETING, MAX_PAGE_PEOPLE, model_params, values_from_scenario

TITLE = "lonesim: loneliness, connection and health"

#: Colour people by mood, loneliness or age group, and ties plain or by kind (one value per browser session).
color_mode = solara.reactive("mood")
tie_mode = solara.reactive("plain")
NOTE_STYLE = {"font-size": "12px", "color": "#555"}


# =========================================================================== the model
def _base_model_class() -> type:
    from sim.model import ConnectionModel

    return ConnectionModel


def _as_seed(seed: Any) -> int:
    """The seed from the text box: a whole number, or (for any other text) a stable number from it."""
    if isinstance(seed, int):
        return abs(seed)
    text = str(seed).strip()
    try:
        return abs(int(float(text))) if text else 0
    except (ValueError, OverflowError):
        return zlib.crc32(text.encode("utf-8"))


@functools.cache
def viz_model_class() -> type:
    """The model class the page runs: the connection model with only keyword arguments.

    SolaraViz rebuilds the model on Reset from the sliders' keyword arguments. It also treats a
    constructor argument called ``scenario`` (or ``**kwargs``) as taking a Mesa scenario object and
    would pass one, so the scenario file is passed here as ``scenario_file``.
    """
    base = _base_model_class()
    params = inspect.signature(base.__init__).parameters
    takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())

    class LonesimViz(base):  # type: ignore[misc, valid-type]
        """The connection model with the page's inputs as keyword arguments; None takes the scenario's value."""

        def __init__(
            self,
            *,
            scenario_file: str | None = None,
            n_people: int | None = None,
            isolation_fraction: float | None = None,
            contact_multiplier: float | None = None,
            smile_propensity: float | None = None,
            kind_rate: float | None = None,
            intervention: str = "none",
            targeting: str = DEFAULT_TARGETING,
            seed: int | str | None = None,
            progress: bool = False,
        ):
            seed = None if seed is None else _as_seed(seed)
            n = None if n_people is None else min(int(n_people), MAX_PAGE_PEOPLE)
            kwargs: dict[str, Any] = {
                "scenario": scenario_file or None,
                "seed": seed,
                "n_people": n,
                "isolation_fraction": isolation_fraction,
                "contact_multiplier": contact_multiplier,
                "smile_propensity": smile_propensity,
                "kind_rate": kind_rate,
                # people as Mesa agents on a Network (the page draws them); the page lays out the
                # people it draws itself (sim/viz/layout.py), so the model skips its own layout
                "agents": True,
                "layout": False,
                "progress": progress,
            }
            kwargs.update(_intervention_arguments(scenario_file, intervention, targeting))
            super().__init__(**{k: v for k, v in kwargs.items() if takes_any or k in params})
            if isinstance(getattr(self, "datacollector", None), DataCollector):
                self.datacollector.__class__ = ConsistentDataCollector
            self.viz_seed = self.config.seed
            self.viz_scenario_file = scenario_file
            self.viz_capped = n_people is not None and int(n_people) > MAX_PAGE_PEOPLE

    LonesimViz.__name__ = LonesimViz.__qualname__ = "LonesimViz"
    return LonesimViz


class ConsistentDataCollector(DataCollector):
    """Mesa's DataCollector, read safely while a step is adding to it.

    With Play, SolaraViz steps the model in a worker thread while the page re-renders the plots;
    a plot can then read the model variables half-way through ``collect()``, when some columns
    already have today's value and others not (pandas: "All arrays must be of the same length").
    This reads only the days every column has.
    """

    def get_model_vars_dataframe(self):
        """The model variables as a DataFrame, cut to the days every column has."""
        columns = dict(self.model_vars)
        n = min((len(v) for v in columns.values()), default=0)
        return pd.DataFrame({k: list(v[:n]) for k, v in columns.items()})


def _intervention_arguments(scenario_file: str | None, intervention: str | None,
                            targeting: str | None = None) -> dict[str, Any]:
    """The intervention and targeting menus: "none" = no intervention at all; the file's own kind = the file's
    intervention(s) unchanged; another kind = that programme at its page defaults instead of the file's. A
    targeting rule other than "programme default" replaces the chosen programme's rule."""
    kind = intervention or "none"
    rule = None if targeting in (None, "", DEFAULT_TARGETING) else targeting
    in_file = file_interventions(scenario_file)
    if kind == "none":
        return {"intervention": None, "overrides": {"interventions": []}} if in_file else {"intervention": None}
    if kind in in_file:
        if rule is None:
            return {"intervention": None}
        programmes = [dict(p, targeting=rule) if p["kind"] == kind else p for p in _file_programmes(scenario_file)]
        return {"intervention": None, "overrides": {"interventions": programmes}}
    extra = {"targeting": rule} if rule else {}
    if in_file:
        return {"intervention": kind, "overrides": {"interventions": []}, **extra}
    return {"intervention": kind, **extra}


def _file_programmes(scenario_file: str | None) -> list[dict[str, Any]]:
    """The file's interventions as plain dicts."""
    from sim.config import load_scenario

    return [p.model_dump(mode="json") for p in load_scenario(scenario_file).interventions] if scenario_file else []


@functools.lru_cache(maxsize=16)
def file_interventions(scenario_file: str | None) -> tuple[str, ...]:
    """The programme kinds a scenario file switches on (cached per file)."""
    if not scenario_file:
        return ()
    from sim.config import load_scenario

    return tuple(i.kind for i in load_scenario(scenario_file).interventions)


def make_model(scenario_file: str | None = None, **overrides: Any):
    """A page model started from ``scenario_file``'s values (with ``overrides``), as on page load."""
    values = values_from_scenario(scenario_file)
    values.update(overrides)
    return viz_model_class()(scenario_file=scenario_file, **values)


# =========================================================================== components
@solara.component
def NetworkView(model):
    """The network, with the colour switches, their legends and, for big populations, what part of it is drawn."""
    mode, ties = color_mode.value, tie_mode.value
    renderer = solara.use_memo(lambda: make_renderer(model, color_mode=mode, tie_mode=ties), dependencies=[id(model)])
    renderer.color_mode = mode
    renderer.tie_mode = ties
    with solara.Column(gap="4px", style={"padding": "4px 8px"}):
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text("Colour by", style={"font-weight": "500"})
            solara.ToggleButtonsSingle(value=color_mode, values=list(COLOR_MODES), dense=True)
        with solara.Row(gap="12px", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Text("Ties", style={"font-weight": "500"})
            solara.ToggleButtonsSingle(value=tie_mode, values=list(TIE_MODES), dense=True)
        Legend(mode, ties, model)
        if renderer.plan.note:
            solara.Info(renderer.plan.note, dense=True)
        NetworkChart(model, renderer, (mode, ties))


def _swatches(items: list[tuple[str, str]], label: str):
    """A legend line: a label, then a coloured dot and a name per item (plain HTML: no Markdown, no CDN)."""
    spans = [solara.v.Html(tag="span", children=[label], style_="font-weight: 500; margin-right: 6px;")]
    for name, color in items:
        spans.append(solara.v.Html(tag="span", children=["●"], style_=f"color: {color}; font-size: 15px;"))
        spans.append(solara.v.Html(tag="span", children=[name], style_="margin: 0 10px 0 2px;"))
    return solara.v.Html(tag="div", children=spans, class_="lonesim-legend", style_="font-size: 12px; color: #555;")


@solara.component
def Legend(mode: str, ties: str, model):
    """What the colours mean: people (mood, loneliness or age group), ties (by kind), and who is enrolled."""
    update_counter.get()
    if mode == "loneliness":
        solara.Text("yellow = not lonely → red = lonely · size = health · grey = died", style=NOTE_STYLE)
    elif mode == "age group":
        _swatches([(name, c) for (_, _, name), c in zip(AGE_GROUPS, AGE_COLORS)], "age:")
    else:
        solara.Text("red = low mood → blue = high mood · size = health · grey = died", style=NOTE_STYLE)
    if ties == "by kind":
        _swatches(list(TIE_KIND_COLORS.items()), "ties:")
    mask = enrolled_mask(model)
    if mask is not None:
        solara.Text(f"black ring = enrolled in the programme ({int(mask.sum()):,} people)",
                    style={"font-size": "12px", "color": ENROLLED_EDGE})


@solara.component
def NetworkChart(model, renderer, mode):
    """The network picture: Mesa's SpaceRenderer (matplotlib backend) drawn to PNG once per step (and when the
    colour switches, ``mode``, change)."""
    counter = update_counter.get()
    png = solara.use_memo(lambda: network_png(renderer), dependencies=[counter, mode, id(model)])
    solara.Image(png, width="100%", classes=["lonesim-network"])


def _plot_style(measure: dict[str, str], title: str, width: int = 360, height: int = 200):
    """Post-processing for Mesa's Altair plot: title and size; one line needs no legend."""

    def post(chart):
        # the description becomes the Vega view's aria-label (the browser test finds plots by it)
        chart = chart.properties(title=title, width=width, height=height, description=f"plot: {title}")
        if len(measure) == 1:
            chart = chart.encode(color=alt.value(next(iter(measure.values()))))
        return chart.configure_legend(orient="bottom", title=None, labelLimit=300)

    return post


PLOTS = [
    ({"mean_mood": "#1f77b4"}, "Mean mood (-1 to 1)"),
    ({"loneliness_prevalence": "#d62728", "isolation_prevalence": "#7f7f7f"}, "Loneliness and isolation prevalence"),
    ({"smiles": "#ff7f0e", "kind_acts": "#2ca02c"}, "Smiles and kind acts per day"),
    ({"mean_relative_hazard": "#9467bd"}, "Mean relative hazard of death"),
]


def plot_components() -> list:
    """The page's live plots (Mesa plot components, Altair backend)."""
    return [
        make_plot_component(measure, post_process=_plot_style(measure, title), backend="altair")
        for measure, title in PLOTS
    ]


@solara.component
def SettingsPanel(model):
    """Who is alive, and the YAML of the settings of the model on screen."""
    update_counter.get()
    show_yaml, set_show_yaml = solara.use_state(False)
    arrays = getattr(getattr(model, "sim", None), "people", None)
    if arrays is not None and hasattr(arrays, "alive"):  # the array engine: no loop over agents
        total, alive = len(arrays.alive), int(arrays.alive.sum())
    else:
        people = list(getattr(model, "people", None) or model.agents)
        total, alive = len(people), sum(1 for p in people if getattr(p, "alive", True))
    with solara.Column(gap="6px", style={"padding": "4px 8px"}):
        # (plain text, not solara.Markdown: Markdown loads mermaid from the CDN, which is not cached)
        solara.Text(
            f"Population: {total:,} people, {alive:,} alive, {total - alive:,} died · "
            f"day {model.steps}",
            style={"font-weight": "500"},
        )
        solara.Text(programme_line(model), style={"font-size": "13px"})
        with solara.Row(gap="8px"):
            solara.Button(
                "Hide YAML" if show_yaml else "Show YAML of these settings",
                on_click=lambda: set_show_yaml(not show_yaml),
                color="primary",
                outlined=True,
            )
            if show_yaml:
                text = _scenario_yaml(model)
                solara.FileDownload(text, filename="lonesim-viz.yaml", label="Download YAML")
        if show_yaml:
            solara.Text(
                "Settings of the model on screen (slider changes apply when you press Reset). "
                "Save as a file and run it with: lonesim run FILE.yaml",
                style={"font-size": "12px", "color": "#555"},
            )
            solara.v.Html(
                tag="pre",
                children=[text],
                class_="lonesim-yaml",
                style_="font-size: 12px; max-height: 300px; overflow: auto; background: #f6f6f6; padding: 6px;",
            )


def programme_line(model) -> str:
    """What programmes are on and how many people they enrolled (the page's programme line)."""
    config = getattr(model, "config", None)
    programmes = list(getattr(config, "interventions", []) or [])
    if not programmes:
        return "Programme: none"
    mask = enrolled_mask(model)
    names = ", ".join(f"{p.kind} ({p.targeting}, {p.coverage:.0%}, days {p.start_day}-{p.start_day + p.duration_days - 1})"
                      for p in programmes)
    if mask is None:
        return f"Programme: {names}; nobody enrolled yet"
    return f"Programme: {names}; enrolled: {int(mask.sum()):,} people (ringed in black)"


def _scenario_yaml(model) -> str:
    text = model.scenario_yaml()
    return text if text.endswith("\n") else text + "\n"


def components() -> list:
    """The page's components in order: the network view, the plots, the settings panel."""
    return [(NetworkView, 0), *plot_components(), (SettingsPanel, 0)]


# =========================================================================== the page
def scenario_file_from_env() -> str | None:
    """The scenario file the CLI passed in LONESIM_VIZ_SCENARIO, or None."""
    value = os.environ.get(SCENARIO_ENV, "").strip()
    return str(Path(value)) if value else None


@solara.component
def Page():
    """The lonesim page: SolaraViz on the connection model, inputs starting from the scenario file."""
    scenario_file = scenario_file_from_env()
    values = solara.use_memo(lambda: values_from_scenario(scenario_file), dependencies=[scenario_file])
    model = solara.use_memo(
        lambda: viz_model_class()(scenario_file=scenario_file, **values), dependencies=[scenario_file]
    )
    params = solara.use_memo(lambda: model_params(values, scenario_file), dependencies=[scenario_file])
    comps = solara.use_memo(components, dependencies=[])
    return SolaraViz(model, components=comps, model_params=params, name=TITLE, play_interval=150)
