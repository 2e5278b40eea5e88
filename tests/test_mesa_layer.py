"""Mesa on top of the arrays: agents are views of rows; DataCollector and AgentSet work unchanged."""

import mesa
import numpy as np
import pytest

from sim.model import ConnectionModel, Person


@pytest.fixture(scope="module")
def model():
    return ConnectionModel(n_people=150, days=20, seed=4, layout=False)


def test_people_are_mesa_agents_on_a_network_space(model):
    assert isinstance(model, mesa.Model) and len(model.people) == 150
    person = model.people[0]
    assert isinstance(person, Person) and isinstance(person, mesa.Agent)
    assert isinstance(model.grid, mesa.discrete_space.Network)
    assert len(model.grid.all_cells.cells) == 150
    assert person.cell.coordinate == person.index


def test_agent_attributes_read_and_write_their_row(model):
    p = model.people[3]
    assert p.mood == pytest.approx(float(model.sim.people.mood[p.index]))
    p.loneliness = 0.77
    assert model.sim.people.loneliness[p.index] == pytest.approx(0.77)
    assert model.people.agg("degree", sum) == model.sim.people.degree.sum()


def test_step_advances_the_arrays_and_the_datacollector(model):
    before = model.sim.people.mood.copy()
    for _ in range(3):
        model.step()
    assert model.sim.day == 3 and model.steps == 3
    assert not np.array_equal(before, model.sim.people.mood)
    df = model.datacollector.get_model_vars_dataframe()
    assert len(df) == 4 and {"mean_mood", "loneliness_prevalence", "smiles", "kind_acts", "mean_relative_hazard"} <= set(df)
    assert df["smiles"].iloc[-1] > 0


def test_keywords_override_the_scenario_and_yaml_round_trips(tmp_path):
    m = ConnectionModel("scenarios/baseline.yaml", n_people=80, isolation_fraction=0.25, smile_propensity=0.2,
                        seed="5", intervention="smile_campaign", layout=False)
    assert m.config.population.size == 80 and m.config.seed == 5
    assert m.config.interventions[-1].kind == "smile_campaign"
    f = tmp_path / "tuned.yaml"
    f.write_text(m.scenario_yaml())
    from sim.config import load_scenario
    again = load_scenario(f)
    assert again.network.isolation.fraction == 0.25 and again.smiles.propensity == 0.2


def test_large_models_run_on_arrays_alone():
    m = ConnectionModel(n_people=300, days=5, agents=False)
    m.step()
    assert len(m.people) == 0 and m.grid is None and m.sim.day == 1
    with pytest.raises(TypeError, match="unknown keyword"):
        ConnectionModel(n_peple=10)


def test_the_network_space_follows_the_ties_for_120_days():
    """Every agent's cell neighbours are exactly the people it has an active tie with, after 120 days in
    which ties began and ended (issue 17: a day-0 copy had gone stale by then)."""
    model = ConnectionModel(n_people=300, days=120, seed=11)
    day0 = set(model.tie_keys().tolist())
    for _ in range(120):
        model.step()
    assert model.sim.day == 120
    now = set(model.tie_keys().tolist())
    assert len(now - day0) > 5 and len(day0 - now) > 5, "the test needs ties that began and ended"
    ties = model.sim.ties
    ids = ties.active_ids()
    partners: dict[int, set[int]] = {i: set() for i in range(model.sim.n)}
    for a, b in zip(ties.u[ids].tolist(), ties.v[ids].tolist()):
        partners[a].add(b)
        partners[b].add(a)
    for person in model.people:
        assert {c.coordinate for c in person.cell.neighborhood} == partners[person.index], person.index
    assert {tuple(sorted(e)) for e in model.grid.G.edges} == {tuple(sorted(e)) for e in model.graph().edges}
