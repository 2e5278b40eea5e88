"""The browser page without a browser: Solara renders the page in-process (``solara.render``).

The end-to-end test in a real Chromium is tests/test_viz_browser.py.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402

from sim._core import TIE_KINDS  # noqa: E402
from sim.viz import SCENARIO_ENV, solara_command, viz_environment  # noqa: E402
from sim.viz import app as viz_app  # noqa: E402
from sim.viz.layout import force_layout  # noqa: E402
from sim.viz.network import (  # noqa: E402
    AGE_COLORS,
    DEAD_COLOR,
    ENROLLED_EDGE,
    TIE_KIND_COLORS,
    age_group,
    make_renderer,
    network_png,
    person_color,
    plan_drawing,
)
from sim.viz.params import MAX_DRAWN_PEOPLE, NEIGHBOURHOOD_SIZE, model_params, values_from_scenario  # noqa: E402

SMALL_YAML = textwrap.dedent(
    """\
    name: viz_small
    seed: 7
    days: 60
    population:
      size: 150
    network:
      mean_degree: 6
      isolation:
        fraction: 0.2
    contacts:
      frequency_multiplier: 0.75
    smiles:
      propensity: 0.4
    kindness:
      rate_per_day: 0.2
    """
)


@pytest.fixture
def small_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "viz_small.yaml"
    path.write_text(SMALL_YAML)
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    viz_app.color_mode.set("mood")
    return path


def render_page():
    box, rc = solara.render(solara.AppLayout(children=[viz_app.Page()]), handle_error=False)
    return box, rc


def widgets(box):
    """Every widget under ``box`` (depth first, through children and other widget-valued traits)."""
    seen, stack = set(), [box]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        yield w
        for name in w.keys:
            value = getattr(w, name, None)
            for x in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(x, ipywidgets.Widget):
                    stack.append(x)


def texts(box) -> list[str]:
    return [c for w in widgets(box) for c in (getattr(w, "children", None) or []) if isinstance(c, str)]


def find(box, kind, **attrs):
    found = [w for w in widgets(box) if isinstance(w, kind) and all(getattr(w, k, None) == v for k, v in attrs.items())]
    assert len(found) == 1, f"expected one {kind.__name__} with {attrs}, found {len(found)}"
    return found[0]


def button(box, label: str):
    return find(box, v.Btn, children=[label])


def slider(box, label: str):
    return find(box, v.Slider, label=label)


def settings_line(box) -> str:
    return next(t for t in texts(box) if t.startswith("Population:"))


def wait_for_text(box, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in texts(box):
        assert time.monotonic() < deadline, f"{text!r} did not appear; texts: {texts(box)[:20]}"
        time.sleep(0.05)


# --------------------------------------------------------------------------- the page
def test_step_button_advances_the_model(small_file):
    box, rc = render_page()
    assert "Time: 0.0" in texts(box)
    assert settings_line(box).endswith("day 0")
    button(box, "Step").click()
    wait_for_text(box, "Time: 1.0")
    assert settings_line(box).endswith("day 1")
    button(box, "Step").click()
    wait_for_text(box, "Time: 2.0")
    assert settings_line(box).endswith("day 2")
    rc.close()


def test_sliders_start_at_the_scenario_files_values(small_file):
    box, rc = render_page()
    assert slider(box, "Population").v_model == 150
    assert slider(box, "Isolation level").v_model == pytest.approx(0.2)
    assert slider(box, "Contact frequency ×").v_model == pytest.approx(0.75)
    assert slider(box, "Smile propensity").v_model == pytest.approx(0.4)
    assert slider(box, "Kind acts per person per day").v_model == pytest.approx(0.2)
    assert find(box, v.TextField, label="Seed").v_model == "7"
    assert settings_line(box).startswith("Population: 150 people")
    rc.close()


def test_moving_a_slider_then_reset_rebuilds_the_model(small_file):
    box, rc = render_page()
    slider(box, "Population").v_model = 250
    seed = find(box, v.TextField, label="Seed")
    seed.v_model = "11"
    seed.fire_event("keyup.enter", None)  # the text box commits on Enter or when it loses focus
    button(box, "Step").click()
    wait_for_text(box, "Time: 1.0")
    button(box, "Reset").click()
    wait_for_text(box, "Time: 0.0")
    assert settings_line(box).startswith("Population: 250 people")
    # the YAML panel gives back the new settings, including the seed typed as text
    button(box, "Show YAML of these settings").click()
    yaml_text = "".join(c for c in find(box, v.Html, tag="pre").children if isinstance(c, str))
    import yaml

    data = yaml.safe_load(yaml_text)
    assert data["population"]["size"] == 250
    assert data["seed"] == 11
    assert data["contacts"]["frequency_multiplier"] == pytest.approx(0.75)
    rc.close()


def toggle(box, first: str):
    """The toggle-button group whose first button reads ``first``."""
    found = [w for w in widgets(box) if isinstance(w, v.BtnToggle) and w.children and w.children[0].children == [first]]
    assert len(found) == 1, f"expected one toggle starting with {first!r}, found {len(found)}"
    return found[0]


def test_colour_switch_recolours_the_network(small_file):
    box, rc = render_page()
    before = _network_image(box)
    assert before[:8] == b"\x89PNG\r\n\x1a\n" and len(before) > 5_000
    colours = toggle(box, "mood")
    assert [b.children for b in colours.children] == [["mood"], ["loneliness"], ["age group"]]
    colours.v_model = 1  # what the browser does when the "loneliness" button is pressed
    after = _network_image(box)
    assert after[:8] == b"\x89PNG\r\n\x1a\n" and after != before
    assert "yellow = not lonely → red = lonely · size = health · grey = died" in texts(box)
    colours.v_model = 2  # age group: a legend of the five age groups
    by_age = _network_image(box)
    assert by_age != after
    shown = texts(box)
    assert "age:" in shown and all(name in shown for name in ("18–29", "30–44", "45–64", "65–74", "75+"))
    rc.close()


def test_tie_switch_colours_ties_by_kind(small_file):
    box, rc = render_page()
    before = _network_image(box)
    ties = toggle(box, "plain")
    assert [b.children for b in ties.children] == [["plain"], ["by kind"]]
    assert "ties:" not in texts(box)
    ties.v_model = 1
    after = _network_image(box)
    assert after != before
    shown = texts(box)
    assert "ties:" in shown and all(k in shown for k in ("partner", "household", "family", "friend", "work", "acquaintance"))
    ties.v_model = 0
    assert _network_image(box) == before  # back to plain: the same picture
    rc.close()


def test_programme_menu_and_who_is_enrolled(tmp_path, monkeypatch):
    path = tmp_path / "calls.yaml"
    path.write_text("seed: 3\npopulation:\n  size: 200\ninterventions:\n  - kind: phone_calls\n"
                    "    targeting: loneliest\n    coverage: 0.1\n    start_day: 1\n    duration_days: 28\n")
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    box, rc = render_page()
    menu = find(box, v.Select, label="Intervention")
    assert menu.v_model == "Befriending phone calls"  # plain names in the menus, not code names
    for kind in ("Befriending phone calls", "Group activities", "CBT-type group sessions (social cognition)",
                 "Befriending visits", "Smile campaign"):
        assert kind in menu.items
    targeting = find(box, v.Select, label="Targeting")
    assert targeting.items == ["programme default", "anyone (random)", "the loneliest", "the most isolated",
                               "the best connected", "people aged 65+", "friends named by others"]
    assert "Programme: Befriending phone calls (the loneliest, 10%, days 1-28); nobody enrolled yet" in texts(box)
    button(box, "Step").click()
    wait_for_text(box, "Time: 1.0")
    assert not any("enrolled:" in t for t in texts(box))  # the programme starts on day 1
    button(box, "Step").click()
    wait_for_text(box, "Programme: Befriending phone calls (the loneliest, 10%, days 1-28); enrolled: 20 people "
                  "(ringed in black)")
    assert "black ring = enrolled in the programme (20 people)" in texts(box)
    rc.close()


def test_enrolled_people_are_ringed_in_black():
    model = viz_app.make_model(None, n_people=120, seed=4, intervention="social_cognition")
    renderer = make_renderer(model)
    network_png(renderer)
    edges = [renderer.agent_portrayal(p).edgecolors for p in renderer.drawn_people()]
    assert edges.count(ENROLLED_EDGE) == 0  # day 0 not yet simulated: nobody enrolled
    model.step()
    network_png(renderer)
    enrolled = model.sim.programmes.enrolled_mask(0)
    assert enrolled.sum() == 12  # 10% of 120, the page default coverage
    edges = {p.index: renderer.agent_portrayal(p).edgecolors for p in renderer.drawn_people()}
    assert {i for i, e in edges.items() if e == ENROLLED_EDGE} == set(np.flatnonzero(enrolled).tolist())


def test_age_groups_and_tie_kind_colours():
    ages = (18.0, 29.99, 30.0, 44.5, 45.0, 64.9, 65.0, 74.9, 75.0, 101.0)
    assert [age_group(a) for a in ages] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert len(set(AGE_COLORS)) == 5 and len(set(TIE_KIND_COLORS.values())) == 6

    class P:
        alive, mood, loneliness, health, age = True, 0.0, 0.0, 1.0, 20.0

    young, old = P(), P()
    old.age = 80.0
    assert person_color(young, "age group") == AGE_COLORS[0] != person_color(old, "age group") == AGE_COLORS[4]
    model = viz_app.make_model(None, n_people=150, seed=6)
    renderer = make_renderer(model, tie_mode="by kind")
    network_png(renderer)
    graph = renderer.graph
    edges = list(graph.edges())
    colours = renderer.tie_colors(edges)
    kinds = {TIE_KINDS[k] for k in model.sim.ties.kind[model.sim.ties.active_ids()]}
    assert {graph.edges[e]["kind"] for e in edges} == kinds and len(kinds) >= 4
    assert all(c == TIE_KIND_COLORS[graph.edges[e]["kind"]] for c, e in zip(colours, edges))
    renderer.tie_mode = "plain"
    assert renderer.tie_colors(edges) == "#7a7a7a"


def test_network_image_changes_with_a_step(small_file):
    box, rc = render_page()
    before = _network_image(box)
    button(box, "Step").click()
    wait_for_text(box, "Time: 1.0")
    assert _network_image(box) != before
    rc.close()


def _network_image(box) -> bytes:
    images = [w for w in widgets(box) if isinstance(w, ipywidgets.Image)]
    assert len(images) == 1, f"expected the network picture, found {len(images)} images"
    return bytes(images[0].value)


# --------------------------------------------------------------------------- pieces
def test_model_params_are_keyword_arguments_of_the_page_model():
    import inspect

    values = values_from_scenario(None)
    params = model_params(values, None)
    accepted = inspect.signature(viz_app.viz_model_class().__init__).parameters
    assert set(params) <= set(accepted)
    assert all(p.kind == inspect.Parameter.KEYWORD_ONLY for name, p in accepted.items() if name != "self")


def test_seed_text_is_accepted():
    m1 = viz_app.make_model(None, n_people=60, seed="5")
    m2 = viz_app.make_model(None, n_people=60, seed=5)
    assert m1.config.seed == m2.config.seed == 5
    assert [p.mood for p in m1.people] == [p.mood for p in m2.people]
    assert viz_app.make_model(None, n_people=60, seed="not a number").config.seed >= 0


def test_intervention_switch(tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text("population:\n  size: 80\n")
    with_smiles = tmp_path / "smiles.yaml"
    with_smiles.write_text(
        "population:\n  size: 80\ninterventions:\n  - kind: smile_campaign\n    start_day: 3\n    coverage: 0.2\n"
    )
    assert values_from_scenario(with_smiles)["intervention"] == "Smile campaign"
    assert values_from_scenario(plain)["intervention"] == "none"
    off = viz_app.make_model(str(with_smiles), intervention="none")
    assert off.config.interventions == []
    kept = viz_app.make_model(str(with_smiles))  # the file's own campaign, unchanged
    assert [(i.kind, i.start_day, i.coverage) for i in kept.config.interventions] == [("smile_campaign", 3, 0.2)]
    other = viz_app.make_model(str(with_smiles), intervention="befriending")
    assert [i.kind for i in other.config.interventions] == ["befriending"]
    on = viz_app.make_model(str(plain), intervention="big_joy")
    assert [i.kind for i in on.config.interventions] == ["big_joy"]
    # the targeting menu: a rule replaces the programme's own, "programme default" keeps it
    friends = viz_app.make_model(str(plain), intervention="group_activity", targeting="nominated_friends")
    assert [(i.kind, i.targeting, i.duration_days) for i in friends.config.interventions] == [
        ("group_activity", "nominated_friends", 84)]
    default = viz_app.make_model(str(plain), intervention="phone_calls", targeting="programme default")
    assert [(i.kind, i.targeting) for i in default.config.interventions] == [("phone_calls", "loneliest")]
    retargeted = viz_app.make_model(str(with_smiles), targeting="aged_65plus")  # the file's own campaign, retargeted
    assert [(i.kind, i.start_day, i.coverage, i.targeting) for i in retargeted.config.interventions] == [
        ("smile_campaign", 3, 0.2, "aged_65plus")]


def test_colours_sizes_and_the_dead():
    class P:
        alive, mood, loneliness, health = True, -1.0, 1.0, 1.0

    p = P()
    low_mood = person_color(p, "mood")
    lonely = person_color(p, "loneliness")
    p.mood, p.loneliness = 1.0, 0.0
    assert person_color(p, "mood") != low_mood
    assert person_color(p, "loneliness") != lonely
    p.alive = False
    assert person_color(p, "mood") == person_color(p, "loneliness") == DEAD_COLOR

    model = viz_app.make_model(None, n_people=60, seed=2)
    someone = model.people.to_list()[5]
    assert person_color(someone, "mood") != DEAD_COLOR
    someone.alive = False  # writes the model's state array
    assert person_color(someone, "mood") == DEAD_COLOR
    renderer = make_renderer(model)
    colours = [renderer.agent_portrayal(p).color for p in renderer.drawn_people()]
    assert colours.count(DEAD_COLOR) == 1


def test_big_population_draws_a_neighbourhood_and_says_so():
    model = viz_app.make_model(None, n_people=MAX_DRAWN_PEOPLE + 500, seed=3)
    plan = plan_drawing(model)
    assert plan.drawn == NEIGHBOURHOOD_SIZE < plan.total == MAX_DRAWN_PEOPLE + 500
    assert f"of {MAX_DRAWN_PEOPLE + 500:,} people" in plan.note
    graph = model.grid.G.subgraph(plan.nodes)
    # a neighbourhood, not a scatter: mostly one connected piece
    import networkx as nx

    assert max(len(c) for c in nx.connected_components(graph)) > 0.9 * plan.drawn
    renderer = make_renderer(model)
    assert len(renderer.positions) == NEIGHBOURHOOD_SIZE
    assert len(renderer.drawn_people()) == NEIGHBOURHOOD_SIZE
    # the plots still see everyone
    assert model.datacollector.get_model_vars_dataframe()["alive"].iloc[-1] == MAX_DRAWN_PEOPLE + 500


def test_small_population_is_drawn_whole_with_ties_following_the_model():
    model = viz_app.make_model(None, n_people=120, seed=4)
    renderer = make_renderer(model)
    assert renderer.plan.nodes is None and len(renderer.drawn_people()) == 120
    ids = model.sim.ties.active_ids()
    assert renderer.graph.number_of_edges() == len(
        {tuple(sorted(e)) for e in zip(model.sim.ties.u[ids].tolist(), model.sim.ties.v[ids].tolist())}
    )
    first = network_png(renderer)
    ties_drawn = renderer.ties_drawn
    lines = renderer._lines
    assert network_png(renderer) == first  # same state, same picture
    assert renderer.ties_drawn == ties_drawn and renderer._lines is lines  # unchanged ties are not redrawn


def test_force_layout_is_seeded_and_pulls_ties_together():
    import networkx as nx

    g = nx.watts_strogatz_graph(300, 6, 0.05, seed=1)
    a = force_layout(g, seed=9)
    assert a == force_layout(g, seed=9)
    assert a != force_layout(g, seed=10)
    xy = np.array([a[n] for n in g.nodes])
    assert np.abs(xy).max() <= 1.0 + 1e-9
    tie = np.mean([np.hypot(*(xy[u] - xy[w])) for u, w in g.edges])
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, 300, size=(2000, 2))
    anyone = np.mean([np.hypot(*(xy[u] - xy[w])) for u, w in pairs if u != w])
    assert tie < 0.5 * anyone


def test_launch_command_and_environment(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("population:\n  size: 50\n")
    cmd = solara_command(host="127.0.0.1", port=8123)
    assert cmd[:4] == [sys.executable, "-m", "solara", "run"]
    assert cmd[4].endswith(os.path.join("sim", "viz", "app.py"))
    for flag in ("--no-check-version", "--production", "--no-open"):
        assert flag in cmd
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8123"
    env = viz_environment(scenario, base={})
    assert env[SCENARIO_ENV] == str(scenario.resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert SCENARIO_ENV not in viz_environment(None, base={SCENARIO_ENV: "x"})


# --------------------------------------------------------------------------- issue 19 item 6, issue 17 item 3
def test_the_page_uses_its_own_documented_drawer_and_a_plain_model_class():
    """No run-time subclass, no class swap, no SpaceRenderer subclass calling Mesa's private methods."""
    import mesa
    from mesa.visualization import SpaceRenderer

    from sim.viz.network import NetworkPicture

    assert viz_app.viz_model_class() is viz_app.LonesimViz and viz_app.LonesimViz.__module__ == "sim.viz.app"
    model = viz_app.make_model(None, n_people=80, seed=3)
    assert type(model.datacollector) is mesa.DataCollector
    renderer = make_renderer(model, color_mode="loneliness")
    assert isinstance(renderer, NetworkPicture) and not isinstance(renderer, SpaceRenderer)
    model.step()
    network_png(renderer)
    # the vectorised colours are the colours person_color gives each drawn person
    people = {p.index: p for p in renderer.drawn_people()}
    assert renderer.colours().tolist() == [person_color(people[int(n)], "loneliness") for n in renderer.nodes]


def test_plots_say_day_and_unit_start_the_hazard_on_day_1_and_keep_the_previous_run(small_file):
    frame = viz_app.model_frame(viz_app.make_model(str(small_file)))
    hazard = next(p for p in viz_app.PLOTS if p[0].startswith("Mean relative hazard"))
    assert viz_app.plot_data(frame, hazard[2], hazard[4]).empty  # day 0 only: nothing drawn yet (no jump from 1.0)
    chart = viz_app.plot_chart(*hazard[:4], pd_frame([(1, 1.16), (2, 1.161)]), pd_frame([(1, 1.2)])).to_dict()
    assert chart["encoding"]["x"]["title"] == "day" and chart["encoding"]["y"]["title"].startswith("× baseline hazard")
    assert chart["encoding"]["y"]["scale"]["domain"][0] == 1.0  # from 1, not zoomed on the noise
    box, rc = render_page()
    assert viz_app.RESET_NOTE in texts(box)
    assert any(t.startswith("Running now: population 150 · isolation level 0.20") for t in texts(box))
    button(box, "Step").click()
    wait_for_text(box, "Time: 1.0")
    slider(box, "Population").v_model = 120
    button(box, "Reset").click()
    wait_for_text(box, "Time: 0.0")
    specs = [w.spec for w in widgets(box) if hasattr(w, "spec") and isinstance(getattr(w, "spec", None), dict)]
    runs = {r.get("run") for sp in specs for data in sp.get("datasets", {}).values() for r in data}
    assert "previous run" in runs, runs
    rc.close()


def pd_frame(points):
    import pandas as pd

    return pd.DataFrame({"day": [d for d, _ in points], "series": "mean relative hazard", "value": [v for _, v in points]})
