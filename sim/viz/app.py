"""The lonesim browser page: Mesa's SolaraViz on the connection model.

Run it with ``lonesim viz scenarios/baseline.yaml`` (or ``solara run sim/viz/app.py``; the scenario
file then comes from the ``LONESIM_VIZ_SCENARIO`` environment variable, and without it the page uses
the schema defaults with a small town of 500 people).

The page shows
* the social network (:class:`sim.viz.network.NetworkPicture`, lonesim's own matplotlib drawer, one PNG
  per step): each person coloured by mood, loneliness or age group (a switch), sized by health, the dead
  in grey; above 1,500 people a neighbourhood of 600 is drawn, and the page says so;
* live plots (Altair) of mean mood, loneliness and isolation prevalence, smiles and kind acts per person
  and day, and mean relative hazard, over the whole population: x axis "day", y axis in the measure's
  unit, the run before the last Reset dashed beside the current one;
* sliders for the parameters a user most wants to try, each showing its value; the sidebar says that
  changes apply on Reset, and the settings of the model on screen are printed under the plots;
* menus of programmes and targeting rules by their plain names (sim.config.display);
* the YAML of the settings of the model on screen, to save and run in batch.
"""

from __future__ import annotations

import functools
import os
import zlib
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim.config.display import programme_name, targeting_name
from sim.model import ConnectionModel
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
from sim.viz.params import (
    DEFAULT_TARGETING,
    MAX_PAGE_PEOPLE,
    kind_of,
    model_params,
    rule_of,
    setting_lines,
    values_from_scenario,
)

TITLE = "lonesim: loneliness, connection and health"
#: Play: the pause between steps (ms). Play runs with Mesa's "Use Threads" on: the model steps in one thread
#: and the page redraws in another as often as it can (a redraw of the picture and the plots takes about
#: 0.2 s, a day at 2,000 people a few ms), so Play is not held to one redraw per day: at least 5 days a second
#: at 2,000 people (measured by tests/test_viz_browser.py). Step still advances one day and redraws.
PLAY_INTERVAL_MS = 100

#: Colour people by mood, loneliness or age group, and ties plain or by kind (one value per browser session).
color_mode = solara.reactive("mood")
tie_mode = solara.reactive("plain")
NOTE_STYLE = {"font-size": "12px", "color": "#555"}


# =========================================================================== the model
def _as_seed(seed: Any) -> int:
    """The seed from the text box: a whole number, or (for any other text) a stable number from it."""
    if isinstance(seed, int):
        return abs(seed)
    text = str(seed).strip()
    try:
        return abs(int(float(text))) if text else 0
    except (ValueError, OverflowError):
        return zlib.crc32(text.encode("utf-8"))


class LonesimViz(ConnectionModel):
    """The connection model with the page's inputs as keyword-only arguments; None takes the scenario's value.

    SolaraViz rebuilds the model on Reset from the sliders' keyword arguments. It also treats a constructor
    argument called ``scenario`` (or ``**kwargs``) as taking a Mesa scenario object and would pass one, so the
    scenario file is passed here as ``scenario_file``; the menus give display names (``Befriending visits``),
    turned back into the schema's kinds here (:func:`sim.viz.params.kind_of`).
    """

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
        # people as Mesa agents on a Network (the page draws them); the page lays out the people it draws
        # itself (sim/viz/layout.py), so the model skips its own layout
        super().__init__(scenario=scenario_file or None, seed=seed, n_people=n, isolation_fraction=isolation_fraction,
                         contact_multiplier=contact_multiplier, smile_propensity=smile_propensity, kind_rate=kind_rate,
                         agents=True, layout=False, progress=progress,
                         **_intervention_arguments(scenario_file, kind_of(intervention), rule_of(targeting)))
        self.viz_seed = self.config.seed
        self.viz_scenario_file = scenario_file
        self.viz_capped = n_people is not None and int(n_people) > MAX_PAGE_PEOPLE


def viz_model_class() -> type:
    """The model class the page runs (:class:`LonesimViz`)."""
    return LonesimViz


def model_frame(model) -> pd.DataFrame:
    """The model's DataCollector variables as a DataFrame, cut to the days every column has.

    With Play, SolaraViz steps the model in a worker thread while the page re-renders the plots; a plot can
    then read the variables half-way through ``collect()``, when some columns already have today's value
    and others not. This reads Mesa's public ``model_vars`` and keeps the days every column has."""
    columns = dict(getattr(model.datacollector, "model_vars", {}) or {})
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
    ResetNote()
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


#: Page styles: every slider shows its value beside its thumb at all times (Vuetify shows the thumb label only
#: while dragging; its container is hidden with an inline style, which this rule overrides).
PAGE_CSS = """
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translateY(-12px) translateX(-50%) rotate(0deg) !important; border-radius: 4px !important;
  width: auto !important; min-width: 34px; height: 20px !important; padding: 0 4px; font-size: 11px; }
.v-slider__thumb-label > * { transform: none !important; }
.v-input--selection-controls, .v-input.v-input--is-label-active { margin-top: 6px; }
.v-slider { margin-top: 14px; }
"""
#: What the sidebar says above the parameters.
RESET_NOTE = "Slider and menu changes apply when you press Reset (the model on screen keeps its settings until then)."


@solara.component
def ResetNote():
    """The sidebar note that parameter changes wait for Reset, and the page's styles (Solara's public Sidebar
    and Style components: the note appears in SolaraViz's sidebar, beside its controls)."""
    solara.Style(PAGE_CSS)
    with solara.Sidebar():
        solara.Info(RESET_NOTE, dense=True, classes=["lonesim-reset-note"])


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


#: The live plots: (title, unit on the y axis, [(column or per-person measure, series name, colour)], lowest
#: value of the y axis, first day drawn). Titles start as the browser test finds them. The relative hazard is
#: first computed on day 1 (day 0 would show the start value 1.0, a jump that is no change), and smiles and
#: kind acts are counted from day 1.
PLOTS = [
    ("Mean mood", "mood (−1 to 1)", [("mean_mood", "mean mood", "#1f77b4")], -1.0, 0),
    ("Loneliness and isolation", "adults (%)", [("loneliness_prevalence", "lonely", "#d62728"),
                                                ("isolation_prevalence", "isolated", "#7f7f7f")], 0.0, 0),
    ("Smiles and kind acts per person", "per person per day", [("smiles", "smiles", "#ff7f0e"),
                                                               ("kind_acts", "kind acts", "#2ca02c")], 0.0, 1),
    ("Mean relative hazard of death", "× baseline hazard (1 = neither isolated nor lonely)",
     [("mean_relative_hazard", "mean relative hazard", "#9467bd")], 1.0, 1),
]


def plot_data(frame: pd.DataFrame, series: list[tuple[str, str, str]], first_day: int) -> pd.DataFrame:
    """Long table (day, series, value) of one plot: shares in %, counts per living person, from ``first_day``."""
    if frame.empty or "day" not in frame:
        return pd.DataFrame(columns=["day", "series", "value"])
    frame = frame[frame["day"] >= first_day]
    parts = []
    for column, name, _ in series:
        values = frame[column].astype(float)
        if column.endswith("_prevalence"):
            values = 100 * values
        elif column in ("smiles", "kind_acts"):
            values = values / frame["alive"].clip(lower=1)
        parts.append(pd.DataFrame({"day": frame["day"].to_numpy(), "series": name, "value": values.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def plot_chart(title: str, unit: str, series: list[tuple[str, str, str]], floor: float, now: pd.DataFrame,
               previous: pd.DataFrame | None = None, width: int = 360, height: int = 190) -> alt.Chart:
    """One live plot: x "day", y in its unit from a fixed floor; the run before the last Reset dashed."""
    data = now.assign(run="this run")
    if previous is not None and len(previous):
        data = pd.concat([data, previous.assign(run="previous run")], ignore_index=True)
    top = float(np.nanmax(data["value"])) if len(data) and np.isfinite(data["value"]).any() else floor + 1.0
    upper = 1.0 if floor == -1.0 else floor + max(top - floor, 0.2 if floor == 1.0 else 1e-6) * 1.15
    colours = alt.Scale(domain=[n for _, n, _ in series], range=[c for _, _, c in series])
    chart = alt.Chart(data).mark_line().encode(
        x=alt.X("day:Q", title="day"),
        y=alt.Y("value:Q", title=unit, scale=alt.Scale(domain=[floor, upper], nice=False)),
        color=alt.Color("series:N", scale=colours, title=None),
        strokeDash=alt.StrokeDash("run:N", scale=alt.Scale(domain=["this run", "previous run"], range=[[1, 0], [4, 3]]),
                                  title=None),
        opacity=alt.Opacity("run:N", scale=alt.Scale(domain=["this run", "previous run"], range=[1.0, 0.5]),
                            legend=None),
    )
    # the description becomes the Vega view's aria-label (the browser test finds plots by it)
    return chart.properties(title=title, width=width, height=height, description=f"plot: {title}").configure_legend(
        orient="bottom", labelLimit=300)


def make_plot(title: str, unit: str, series: list[tuple[str, str, str]], floor: float, first_day: int):
    """A page component: one live plot of the model, keeping the run before the last Reset for comparison."""

    @solara.component
    def LivePlot(model):
        update_counter.get()
        memory = solara.use_ref({"model": None, "previous": None})
        last = memory.current["model"]
        if last is not None and last is not model:  # Reset: this plot keeps the run it showed until now
            memory.current["previous"] = plot_data(model_frame(last), series, first_day)
        memory.current["model"] = model
        now = plot_data(model_frame(model), series, first_day)
        solara.FigureAltair(plot_chart(title, unit, series, floor, now, memory.current["previous"]))

    LivePlot.__name__ = LivePlot.__qualname__ = f"LivePlot_{title.split()[0]}"
    return LivePlot


def plot_components() -> list:
    """The page's live plots (Altair), one component each."""
    return [(make_plot(*spec), 0) for spec in PLOTS]


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
        solara.Text(setting_lines(model.config), classes=["lonesim-running"], style={"font-size": "12px", "color": "#555"})
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
                "Settings of the model on screen (slider and menu changes apply when you press Reset). "
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
    names = ", ".join(f"{programme_name(p.kind)} ({targeting_name(p.targeting)}, {p.coverage:.0%}, days {p.start_day}-"
                      f"{p.start_day + p.duration_days - 1})" for p in programmes)
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
    return SolaraViz(model, components=comps, model_params=params, name=TITLE, play_interval=PLAY_INTERVAL_MS,
                     use_threads=True)
