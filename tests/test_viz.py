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

from sim.viz import SCENARIO_ENV, solara_command, viz_environment  # noqa: E402
from sim.viz import app as viz_app  # noqa: E402
from sim.viz.layout import force_layout  # noqa: E402
from sim.viz.network import DEAD_COLOR, make_renderer, network_png, person_color, plan_drawing  # noqa: E402
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
    assert slider(box, "Kind acts /person/day").v_model == pytest.approx(0.2)
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


def test_colour_switch_recolours_the_network(small_file):
    box, rc = render_page()
    before = _network_image(box)
    assert before[:8] == b"\x89PNG\r\n\x1a\n" and len(before) > 5_000
    toggle = find(box, v.BtnToggle)
    assert [b.children for b in toggle.children] == [["mood"], ["loneliness"]]
    toggle.v_model = 1  # what the browser does when the "loneliness" button is pressed
    after = _network_image(box)
    assert after[:8] == b"\x89PNG\r\n\x1a\n" and after != before
    assert "yellow = not lonely → red = lonely · size = health · grey = died" in texts(box)
    rc.close()


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
    assert values_from_scenario(with_smiles)["intervention"] == "smile_campaign"
    assert values_from_scenario(plain)["intervention"] == "none"
    off = viz_app.make_model(str(with_smiles), intervention="none")
    assert off.config.interventions == []
    kept = viz_app.make_model(str(with_smiles))  # the file's own campaign, unchanged
    assert [(i.kind, i.start_day, i.coverage) for i in kept.config.interventions] == [("smile_campaign", 3, 0.2)]
    other = viz_app.make_model(str(with_smiles), intervention="befriending")
    assert [i.kind for i in other.config.interventions] == ["befriending"]
    on = viz_app.make_model(str(plain), intervention="big_joy")
    assert [i.kind for i in on.config.interventions] == ["big_joy"]


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
    assert renderer.space_drawer.graph.number_of_edges() == len(
        {tuple(sorted(e)) for e in zip(model.sim.ties.u[ids].tolist(), model.sim.ties.v[ids].tolist())}
    )
    first = network_png(renderer)
    ties_drawn = renderer._structure_artists
    assert network_png(renderer) == first  # same state, same picture
    assert renderer._structure_artists is ties_drawn  # unchanged ties are not redrawn


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
