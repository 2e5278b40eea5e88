"""Scenario schema: defaults, YAML errors with file:line:key, --set overrides, sweep expansion."""

import json

import pytest

from sim.config import Scenario, ScenarioError, expand_sweep, load_scenario, parse_set_options


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_defaults_validate_and_carry_units_and_sources():
    sc = Scenario()
    assert sc.population.size == 10_000 and sc.mortality.hr_isolation == 1.462 and sc.mortality.hr_loneliness == 1.106
    schema = Scenario.model_json_schema()
    desc = json.dumps(schema)
    assert "per day" in desc and "per year" in desc and "Wang et al. 2023" in desc and "Hinsz" in desc


def test_unknown_key_names_file_line_and_suggests(tmp_path):
    p = write(tmp_path, "name: x\npopulation:\n  size: 10\n  sise: 20\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert f"{p}:4" in msg and "population.sise" in msg and "did you mean 'size'" in msg


def test_wrong_type_and_out_of_range_name_the_line(tmp_path):
    p = write(tmp_path, "smiles:\n  propensity: 1.5\ndays: many\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert f"{p}:2: smiles.propensity" in msg and "less than or equal to 1" in msg
    assert f"{p}:3: days" in msg


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = write(tmp_path, "name: x\npopulation:\n  size: [1, 2\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert "YAML syntax error" in str(err.value) and str(p) in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")


def test_set_overrides_and_their_errors(tmp_path):
    p = write(tmp_path, "population:\n  size: 10\n")
    sc = load_scenario(p, parse_set_options(["population.size=77", "smiles.propensity=0.25", "mortality.simulate_deaths=true"]))
    assert sc.population.size == 77 and sc.smiles.propensity == 0.25 and sc.mortality.simulate_deaths is True
    assert sc.name == "s"  # the file's stem names the scenario
    with pytest.raises(ScenarioError, match=r"\(--set\): smiles.propensity"):
        load_scenario(p, parse_set_options(["smiles.propensity=2"]))
    with pytest.raises(ScenarioError, match="did you mean 'propensity'"):
        load_scenario(p, parse_set_options(["smiles.propensty=0.1"]))
    with pytest.raises(ScenarioError, match="expected key.path=value"):
        parse_set_options(["smiles.propensity"])


def test_a_section_given_in_part_keeps_the_rest_of_its_defaults(tmp_path):
    """ties.family's defaults are not TieKindConfig's: giving one of its keys (in the file, with --set, in a
    sweep) must not reset the others to the class's defaults. Age curves are the exception: written whole."""
    default = Scenario().ties
    p = write(tmp_path, "ties:\n  family:\n    rate_per_day: 0.3\n")
    for sc in (load_scenario(p), load_scenario(write(tmp_path, "name: s\n"), {"ties.family.rate_per_day": 0.3}),
               Scenario().with_overrides({"ties.family.rate_per_day": 0.3})):
        assert sc.ties.family.rate_per_day == 0.3
        assert sc.ties.family.closeness_concentration == default.family.closeness_concentration != 4.0
        assert sc.ties.friend == default.friend and sc.ties.friend.dissolution_per_year == 0.1
    with pytest.raises(ScenarioError, match="population.desire_by_age.ages: Field required"):
        load_scenario(p, {"population.desire_by_age.values": [1.0, 1.0]})


def test_sweep_grid_times_zip(tmp_path):
    p = write(tmp_path, """
sweep:
  grid:
    network.isolation.fraction: [0, 0.2, 0.4]
  zip:
    mortality.hr_isolation: [1.26, 1.39]
    mortality.hr_loneliness: [1.08, 1.20]
  replicates: 4
""")
    sc = load_scenario(p)
    points = expand_sweep(sc)
    assert len(points) == 6 and sc.sweep.replicates == 4
    assert {(pt.scenario.network.isolation.fraction, pt.scenario.mortality.hr_isolation) for pt in points} == {
        (f, h) for f in (0, 0.2, 0.4) for h in (1.26, 1.39)}
    assert all(pt.scenario.sweep is None for pt in points)


@pytest.mark.parametrize("body, expect", [
    ("sweep:\n  grid:\n    network.isolation.fractoin: [0, 1]\n", "did you mean 'fraction'"),
    ("sweep:\n  grid:\n    network.isolation.fraction: []\n", "empty list"),
    ("sweep:\n  grid:\n    network.isolation.fraction: [0, 2]\n", "less than or equal to 1"),
])
def test_sweep_errors_name_file_and_line(tmp_path, body, expect):
    p = write(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    assert expect in str(err.value) and f"{p}:3" in str(err.value)
