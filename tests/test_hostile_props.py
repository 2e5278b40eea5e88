"""Property-based hostile input (Hypothesis): random YAML trees, raw text, key paths and values against
the schema, through the loader, ``--set``, ``Scenario.with_overrides`` and ``lonesim validate``; and
random valid small scenarios through a whole run. Whatever comes in, the answer is a scenario (or a
run folder) or :class:`ScenarioError` lines of the form ``<file>:<line>: <key>: <what>`` — never another
exception, never a hang (each test has a timeout), never unbounded memory (each runs under an
address-space limit). Examples are bounded and derandomized, so CI sees the same cases every time."""

from __future__ import annotations

import contextlib
import re
import resource
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.config import Scenario, ScenarioError, load_scenario, parse_set_options
from tests.conftest import lonesim_limited

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@contextlib.contextmanager
def memory_limit(extra_mb: int = 1024):
    """Lower this process's address-space limit to its current size + ``extra_mb`` for the block (the
    soft limit only, so it can be raised back)."""
    size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + extra_mb * 1024 * 1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def schema_paths() -> list[str]:
    """Every key path of the schema, sections included (list items as ``.0.``)."""
    out: list[str] = []

    def walk(cls, prefix):
        for name, f in cls.model_fields.items():
            path = f"{prefix}{name}"
            out.append(path)
            args = typing.get_args(f.annotation) or (f.annotation,)
            sub = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
            if sub is not None:
                walk(sub, f"{path}.0." if typing.get_origin(f.annotation) is list else f"{path}.")

    walk(Scenario, "")
    return out


PATHS = schema_paths()
weird_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | weird_text | st.sampled_from(["", "0.5", "1e400", "nan", "-inf", "yes", "~", "365", "0x1F", "1_000"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(weird_text, inner, max_size=4),
                      max_leaves=12)
keys = st.sampled_from(PATHS) | st.builds(lambda a, b: f"{a}.{b}", st.sampled_from(PATHS), weird_text) | weird_text


def tree_from(pairs: list[tuple[str, object]]) -> dict:
    """A nested mapping from dotted key paths (numbers make one-item lists)."""
    data: dict = {}
    for dotted, value in pairs:
        node: typing.Any = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[0] if node and isinstance(node[0], dict) else node
                if isinstance(node, list):
                    break
            nxt = node.get(part) if isinstance(node, dict) else None
            if not isinstance(nxt, (dict, list)):
                nxt = [{}] if part in ("shocks", "interventions") else {}
                node[part] = nxt
            node = nxt[0] if isinstance(nxt, list) and nxt and isinstance(nxt[0], dict) else nxt
        if isinstance(node, dict) and parts[-1] != "0":
            node[parts[-1]] = value
    return data


KEY = r"""(?:[^:'"\s]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")+"""
LINE = re.compile(rf"^(?P<src>.+?)(:(?P<line>\d+)| \(--set\))?: ((?P<key>{KEY}|\(top level\)): )?.+$")


def check_error(err: ScenarioError, path: Path) -> None:
    """Every line of the message is ``<file>[:<line>]: <key>: <what>``, the line inside the file."""
    n_lines = max(len(path.read_text(encoding="utf-8", errors="replace").splitlines()), 1)
    for line in str(err).split("\n"):
        assert "\r" not in line and line.isprintable(), repr(line)
        if line.startswith("--set "):
            continue
        m = LINE.match(line)
        assert m and m.group("src") == str(path), repr(line)
        if m.group("line"):
            assert 1 <= int(m.group("line")) <= n_lines, (line, n_lines)


@pytest.mark.timeout(120)
@FAST
@given(st.lists(st.tuples(keys, values), max_size=8))
def test_random_yaml_trees_load_or_fail_with_clear_lines(tmp_path, pairs):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(tree_from(pairs), allow_unicode=True), encoding="utf-8")
    with memory_limit():
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            check_error(err, path)
        else:
            assert isinstance(sc, Scenario)


yaml_bits = st.sampled_from(["a: ", "days: ", "population:\n  size: ", "\n", "  ", "- ", "[", "]", "{", "}", ",", ": ",
                             "&x ", "*x", "&y [*x, *x]", "*y", "!!python/object:os.system ", "!!binary ", "? ", "'",
                             '"', "#", "---\n", "...\n", "<<: *x\n", "1e999", ".nan", "true", "\t", "\x00", "\ufeff",
                             "smiles:\n  propensity: ", "sweep:\n  grid:\n    days: "])


@pytest.mark.timeout(120)
@FAST
@given(st.lists(yaml_bits | weird_text, max_size=25).map("".join))
def test_random_text_loads_or_fails_with_clear_lines(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with memory_limit():
        try:
            load_scenario(path)
        except ScenarioError as err:
            check_error(err, path)


@pytest.mark.timeout(120)
@FAST
@given(st.dictionaries(keys, values, max_size=4))
def test_with_overrides_gives_a_scenario_or_a_scenario_error(overrides):
    with memory_limit():
        try:
            sc = Scenario().with_overrides(overrides)
        except ScenarioError as err:
            assert str(err).strip() and all(ln.isprintable() for ln in str(err).split("\n"))
        else:
            assert isinstance(sc, Scenario)


@pytest.mark.timeout(120)
@FAST
@given(st.lists(st.builds(lambda k, v: f"{k}={v}", keys, weird_text | st.sampled_from(["[1, 2]", "{a: 1}", "&a [*a]"]))
                | weird_text, max_size=4))
def test_set_options_give_a_scenario_or_one_error_per_problem(tmp_path, items):
    path = tmp_path / "base.yaml"
    path.write_text("name: base\npopulation:\n  size: 100\nshocks:\n  - start_day: 1\n    duration_days: 2\n")
    with memory_limit():
        try:
            load_scenario(path, parse_set_options(items))
        except ScenarioError as err:
            assert all(ln.isprintable() for ln in str(err).split("\n")), repr(str(err))


# --------------------------------------------------------------------------- valid input through a whole run
KINDS = ["watts_strogatz", "holme_kim", "barabasi_albert", "erdos_renyi", "communities"]
edge_values = {
    "population.size": st.integers(1, 60),
    "network.kind": st.sampled_from(KINDS),
    "network.mean_degree": st.sampled_from([0.001, 1, 2, 10, 59, 1e6]),
    "network.isolation.fraction": st.sampled_from([0.0, 1.0, 0.5]),
    "network.isolation.max_ties": st.sampled_from([0, 1, 10**9]),
    "network.isolation.targeting": st.sampled_from(["random", "oldest"]),
    "network.communities": st.sampled_from([1, 3, 10**12]),
    "population.age_min": st.sampled_from([0, 18, 110]),
    "population.age_distribution": st.sampled_from(["us_adult_2020", "uniform"]),
    "population.desired_contacts_sigma": st.sampled_from([0.0, 5.0, 1e6]),
    "population.desired_contacts_median": st.sampled_from([1e-300, 1.0, 1e300]),
    "contacts.rate_per_tie_per_day": st.sampled_from([0.0, 1e300]),
    "contacts.frequency_multiplier": st.sampled_from([0.0, 1e300]),
    "smiles.propensity": st.sampled_from([0.0, 1.0]),
    "smiles.mood_weight": st.sampled_from([-1e300, 0.0, 1e300]),
    "kindness.rate_per_day": st.sampled_from([0.0, 1e300]),
    "mood.relaxation_days": st.sampled_from([1e-300, 1e300]),
    "loneliness.perception_days": st.sampled_from([1e-300, 1e300]),
    "habits.fade_days": st.sampled_from([1e-300, 1e300]),
    "ties.dissolution_per_year": st.sampled_from([0.0, 1e300]),
    "ties.triadic_closure_per_year": st.sampled_from([0.0, 1e300]),
    "health.recovery_per_year": st.sampled_from([0.0, 1e300]),
    "mortality.hr_isolation": st.sampled_from([0.0, 1.0, 1e300]),
    "mortality.simulate_deaths": st.booleans(),
    "days": st.integers(1, 4),
    "burn_in_days": st.integers(0, 3),
    "shocks": st.sampled_from([[], [{"start_day": 0, "duration_days": 10**9, "tie_removal_fraction": 1.0}]]),
    "interventions": st.sampled_from([[], [{"kind": k, "coverage": 1.0, "targeting": t} for k, t in
                                           (("befriending", "loneliest"),)], [{"kind": "big_joy", "coverage": 0.0}],
                                      [{"kind": "smile_campaign", "smile_odds_multiplier": 1e300,
                                        "targeting": "most_central"}]]),
}


@pytest.mark.timeout(300)
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # float32 casts of 1e300: handled
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.fixed_dictionaries({}, optional=edge_values))
def test_valid_extreme_scenarios_run_and_write(tmp_path, overrides):
    """Values at the edges of their ranges: a valid scenario either runs to a complete run folder or is
    refused at validation — the engine never fails half-way."""
    from sim.results import write_run
    from sim.runs.layout import run_complete
    from sim.simulation import Simulation

    overrides = {"population.size": 30, "days": 2, "burn_in_days": 1, **overrides}
    try:
        sc = Scenario().with_overrides(overrides)
    except ScenarioError:
        return
    with memory_limit(2048):
        sim = Simulation(sc).run()
        out = write_run(sim, tmp_path / f"run-{abs(hash(str(overrides)))}", figures=False)
    assert run_complete(out)


# --------------------------------------------------------------------------- the command line
@pytest.mark.timeout(300)
@settings(max_examples=5, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.tuples(keys, values), max_size=6) | st.lists(yaml_bits | weird_text, max_size=20).map("".join),
                min_size=20, max_size=30))
def test_validate_answers_every_file_with_ok_or_error_lines(tmp_path_factory, docs):
    folder = tmp_path_factory.mktemp("docs")
    files = []
    for i, doc in enumerate(docs):
        text = doc if isinstance(doc, str) else yaml.safe_dump(tree_from(doc), allow_unicode=True)
        path = folder / f"d{i}.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        files.append(path)
    res = lonesim_limited("validate", *files, memory_mb=1500, timeout=240)
    assert res.returncode in (0, 2), res.stderr[-3000:]
    assert "Traceback" not in res.stderr + res.stdout and "internal error" not in res.stderr, res.stderr[-3000:]
    for path in files:
        ok = [ln for ln in res.stdout.splitlines() if ln.startswith(f"ok: {path} ")]
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith(f"error: {path}:") or ln.startswith(f"error: {path} ")]
        assert bool(ok) != bool(errors), (path.read_text(errors="replace")[:500], ok, errors)
    assert all(ln.startswith(("ok: ",)) for ln in res.stdout.splitlines())
    assert all(ln.startswith(("error: ", "warning: ", "note: ")) for ln in res.stderr.splitlines() if ln.strip())


# --------------------------------------------------------------------------- comparison, sensitivity and experiment blocks
block_scalars = (st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
                 | st.sampled_from(["", "control", "Control", "calls", "CALLS", "phone_calls", "big_joy", "morris",
                                   "sobol", "assumptions", "0365", "1:00", "0x10", "1e39", "-1"]))
arm = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["calls", "CALLS", "control", "Control", "a b", "", "x" * 50]) | block_scalars,
    "kind": st.sampled_from(["phone_calls", "big_joy", "befriending", "smile_campaign", "nope"]) | block_scalars,
    "coverage": block_scalars, "start_day": block_scalars, "duration_days": block_scalars,
    "cost_per_enrolled": block_scalars, "targeting": st.sampled_from(["random", "aged_65plus", "x"]),
    "kind_acts_per_day": block_scalars, "call_value": block_scalars})
comparison_blocks = st.fixed_dictionaries({}, optional={
    "arms": st.lists(arm, max_size=3) | block_scalars, "replicates": block_scalars, "horizon_years": block_scalars,
    "follow_up_days": st.lists(block_scalars, max_size=3) | block_scalars, "hr_draws": block_scalars,
    "hr_isolation_interval": st.lists(block_scalars, max_size=3), "currency": block_scalars})
sensitivity_blocks = st.fixed_dictionaries({}, optional={
    "method": st.sampled_from(["morris", "sobol", "x"]) | block_scalars, "trajectories": block_scalars,
    "samples": block_scalars, "levels": block_scalars, "replicates": block_scalars, "bootstrap": block_scalars,
    "parameters": st.sampled_from(["assumptions", {}, {"smiles.propensity": [0.3, 0.7]}, {"days": [1, 2]},
                                   {"smiles.propensity": [0.7, 0.3]}, {"nope": [0, 1]}]) | block_scalars,
    "outputs": st.lists(st.sampled_from(["loneliness_prevalence", "nope"]), max_size=2) | block_scalars})


@pytest.mark.timeout(300)
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(comparison_blocks, sensitivity_blocks, st.sampled_from([5, 30, 400]))
def test_comparison_and_sensitivity_blocks_plan_or_fail_with_clear_lines(tmp_path, comparison, sensitivity, days):
    """Random comparison and sensitivity blocks: the plan each command makes (file loaded, block checked,
    points validated) is a plan or ScenarioError lines naming the file — never another exception."""
    from sim.runs.compare import comparison_notes, plan_comparison
    from sim.runs.sensitivity import plan_sensitivity

    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump({"name": "b", "days": days, "population": {"size": 50}, "comparison": comparison,
                                    "sensitivity": sensitivity}, allow_unicode=True), encoding="utf-8")
    with memory_limit():
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            check_error(err, path)
            return
        for plan in (plan_comparison, lambda s, src: plan_sensitivity(s, src, check_outputs_by_run=False)):
            try:
                plan(sc, str(path))
            except ScenarioError as err:
                assert all(ln.isprintable() and ln.startswith(str(path)) for ln in str(err).split("\n")), str(err)
        for line in comparison_notes(sc, str(path)):
            assert line.startswith(("warning: ", "note: ")) and line.isprintable(), line


@pytest.mark.timeout(300)
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["name", "study", "kind", "seed", "replicates", "scenario", "days", "quick",
                                           "population.size", "scenario.days", "arms"]) | weird_text, values),
                max_size=6))
def test_experiment_files_load_or_fail_with_clear_lines(tmp_path, pairs):
    """Random experiment files: an experiment or ScenarioError lines naming the file, never another exception."""
    from sim.validation import load_experiment

    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump(tree_from(pairs), allow_unicode=True), encoding="utf-8")
    with memory_limit():
        try:
            load_experiment(path)
        except ScenarioError as err:
            for line in str(err).split("\n"):
                assert line.isprintable() and line.startswith(str(path)), repr(line)
