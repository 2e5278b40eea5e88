"""Hostile input, class by class (issue 14): every case gets one ``error: <file>:<line>: <key>: ...``
line and exit status 2 (or is handled and says so), within a timeout and a memory limit, with nothing
written. The CLI runs as a subprocess (tests/conftest.py: ``lonesim_limited``); many files go through
one ``lonesim validate`` call to keep the suite fast."""

from __future__ import annotations

import json
import re
import socket
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.config import MAX_POINTS, MAX_RUNS, Scenario
from sim.config.base import _numeric
from tests.conftest import ROOT, assert_one_clear_error, lonesim_limited

VALIDATE_MB = 1500  # `lonesim validate` needs ~200 MB of address space; a case may not take much more


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def validate_each(files: dict[str, Path], *extra: str, memory_mb: int = VALIDATE_MB) -> dict[str, str]:
    """Validate all files in one process; return each file's error lines (empty when it was ok)."""
    res = lonesim_limited("validate", *files.values(), *extra, memory_mb=memory_mb, timeout=240)
    assert res.returncode in (0, 2), res.stderr[-3000:]
    assert "Traceback" not in res.stderr + res.stdout and "internal error" not in res.stderr, res.stderr[-3000:]
    out = {}
    for key, path in files.items():
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith(f"error: {path}:") or ln.startswith(f"error: {path} ")
                  or ln == f"error: {path}" or ln.startswith(f"error: {path}: ")]
        ok = [ln for ln in res.stdout.splitlines() if ln.startswith(f"ok: {path} ")]
        assert bool(errors) != bool(ok), (key, errors, ok, res.stderr[-2000:])
        out[key] = "\n".join(errors)
    return out


# --------------------------------------------------------------------------- YAML that expands
def laughs(levels: int, where: str = "description") -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, levels)]
    body = "\n".join("  " + ln for ln in lines)
    if where == "sweep":
        return f"anchors:\n{body}\nname: x\nsweep:\n  grid:\n    description: *l{levels - 1}\n"
    return f"anchors:\n{body}\n{where}: *l{levels - 1}\n"


def test_yaml_that_expands_is_refused_before_anything_is_built(tmp_path):
    files = {
        "laughs": write(tmp_path, "laughs.yaml", laughs(9)),
        "laughs_in_sweep": write(tmp_path, "laughs_sweep.yaml", laughs(9, "sweep")),
        "mapping_laughs": write(tmp_path, "maps.yaml", "a: &a {x: 1, y: 2, z: 3, w: 4, v: 5, u: 6}\n" + "".join(
            f"{c}: &{c} {{p: *{p}, q: *{p}, r: *{p}, s: *{p}, t: *{p}, u: *{p}, v: *{p}, w: *{p}}}\n"
            for p, c in zip("abcdefgh", "bcdefghi")) + "description: *i\n"),
        "recursive": write(tmp_path, "rec.yaml", "description: &a [1, *a]\n"),
        "deep": write(tmp_path, "deep.yaml", "description: " + "[" * 5000 + "]" * 5000 + "\n"),
        "deep_maps": write(tmp_path, "deepm.yaml", "description: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"),
        "huge": write(tmp_path, "huge.yaml", "description: '" + "x" * (5 * 1024 * 1024) + "'\n"),
        "many_values": write(tmp_path, "many.yaml", "description: [" + ", ".join(["1"] * 250_000) + "]\n"),
    }
    errors = validate_each(files)
    for key in ("laughs", "laughs_in_sweep", "mapping_laughs"):
        assert "too big to read: its aliases expand to more than 200,000 values" in errors[key], (key, errors[key])
    assert "refers to a value that contains it" in errors["recursive"]
    assert "nested more than 50 levels deep" in errors["deep"] and "nested more than 50" in errors["deep_maps"]
    assert "larger than 2 MB" in errors["huge"]
    assert "more than 200,000 values" in errors["many_values"]
    assert re.search(r"laughs\.yaml:\d+: ", errors["laughs"])


def test_billion_laughs_through_set_and_the_other_commands(tmp_path):
    ok = write(tmp_path, "ok.yaml", "name: ok\npopulation:\n  size: 100\ndays: 3\n")
    boom = "[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], " \
           "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
    res = lonesim_limited("validate", ok, "--set", f"description={boom}", memory_mb=VALIDATE_MB)
    assert_one_clear_error(res, "--set description", "too big to read")
    bad = write(tmp_path, "bad.yaml", laughs(9))
    for cmd in (["run", bad, "--out", tmp_path / "out"], ["sweep", bad, "--dry-run"], ["viz", bad, "--port", "1"],
                ["experiment", bad, "--out", tmp_path / "out"]):
        assert_one_clear_error(lonesim_limited(*cmd), "too big to read")
    assert not (tmp_path / "out").exists()


def test_astronomical_sweeps_are_refused_by_validate_dry_run_and_sweep(tmp_path):
    grid = "\n".join(f"    {k}: [{', '.join(str(v / 100) for v in range(40))}]" for k in (
        "smiles.propensity", "smiles.return_probability", "kindness.pay_forward_probability", "health.mood_buffer",
        "loneliness.threshold", "network.isolation.fraction", "contacts.withdrawal_per_loneliness"))
    huge = write(tmp_path, "huge.yaml", f"name: huge\nsweep:\n  grid:\n{grid}\n  replicates: 1000000000\n")
    reps = write(tmp_path, "reps.yaml", "name: reps\nsweep:\n  grid:\n    smiles.propensity: [0.1, 0.2]\n"
                                        "  replicates: 60000\n")
    for cmd in (["validate"], ["sweep", "--dry-run"], ["sweep", "--out", tmp_path / "sw"]):
        res = lonesim_limited(*cmd[:1], huge, *cmd[1:], memory_mb=VALIDATE_MB, timeout=60)
        assert_one_clear_error(res, f"{huge}:2: sweep: {40 ** 7:,} points",
                               f"more than the {MAX_POINTS:,}")
        res = lonesim_limited(*cmd[:1], reps, *cmd[1:], memory_mb=VALIDATE_MB, timeout=60)
        assert_one_clear_error(res, f"{reps}:5: sweep.replicates", f"more than the {MAX_RUNS:,} runs")
    assert not (tmp_path / "sw").exists()


def test_a_sweep_at_the_limit_is_walked_in_bounded_memory(tmp_path):
    """60,000 points: validate and --dry-run walk them one at a time (the plan keeps only overrides)."""
    a = ", ".join(f"{v / 300:.5f}" for v in range(300))
    b = ", ".join(f"{v / 200:.4f}" for v in range(200))
    path = write(tmp_path, "big.yaml", f"name: big\npopulation:\n  size: 100\nsweep:\n  grid:\n    smiles.propensity: [{a}]\n"
                                       f"    smiles.return_probability: [{b}]\n")
    res = lonesim_limited("validate", path, memory_mb=VALIDATE_MB, timeout=180)
    assert res.returncode == 0 and "sweep of 60000 points x 1 replicates" in res.stdout, res.stderr[-2000:]


# --------------------------------------------------------------------------- duplicate keys
def test_duplicate_keys_name_both_lines(tmp_path):
    files = {
        "top": write(tmp_path, "top.yaml", "name: x\ndays: 10\nseed: 3\ndays: 20\n"),
        "nested": write(tmp_path, "nested.yaml", "population:\n  size: 100\n  size: 200\n"),
        "section": write(tmp_path, "section.yaml", "smiles:\n  propensity: 0.2\ndays: 5\nsmiles:\n  propensity: 0.9\n"),
        "in_list": write(tmp_path, "list.yaml", "shocks:\n  - start_day: 1\n    duration_days: 2\n    start_day: 3\n"),
        "in_sweep": write(tmp_path, "sw.yaml", "sweep:\n  grid:\n    days: [1, 2]\n    days: [3]\n"),
    }
    errors = validate_each(files)
    assert ":4: days: duplicate key 'days' (first on line 2" in errors["top"]
    assert ":3: population.size: duplicate key 'size' (first on line 2" in errors["nested"]
    assert ":4: smiles: duplicate key 'smiles' (first on line 1" in errors["section"]
    assert ":4: shocks[0].start_day: duplicate key 'start_day' (first on line 2" in errors["in_list"]
    assert ":4: sweep.grid.days: duplicate key 'days' (first on line 3" in errors["in_sweep"]
    ok = write(tmp_path, "ok.yaml", "smiles:\n  propensity: 0.2\nkindness:\n  rate_per_day: 0.1\nname: fine\n")
    assert validate_each({"ok": ok})["ok"] == ""


# --------------------------------------------------------------------------- values that are not ordinary numbers
def numeric_fields() -> list[tuple[str, ...]]:
    """Every number in the schema (sections and list items), as key paths."""
    out = []

    def walk(cls, prefix):
        for name, f in cls.model_fields.items():
            ann = f.annotation
            args = typing.get_args(ann) or (ann,)
            sub = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
            if sub is not None:
                walk(sub, prefix + ((name, 0) if typing.get_origin(ann) is list else (name,)))
            elif _numeric(ann):
                out.append(prefix + (name,))

    walk(Scenario, ())
    return out


def _yaml_for(path: tuple, value: str) -> tuple[str, int]:
    """A scenario setting one key path to the YAML literal ``value`` (list items get their required
    keys); returns the text and the line of the value."""
    import yaml

    required = {"shocks": {"start_day": 1, "duration_days": 2}, "interventions": {"kind": "befriending"},
                "arms": {"name": "a", "kind": "befriending"}}
    defaults = Scenario().model_dump(mode="json")
    data: dict = {}
    if path[0] == "comparison":  # an optional block: its required arms, and its defaults to write lists from
        from sim.config.programmes import ComparisonConfig

        arm = {"name": "a", "kind": "befriending"}
        defaults["comparison"] = ComparisonConfig(arms=[arm]).model_dump(mode="json")
        if path[1] != "arms":
            data["comparison"] = {"arms": [arm]}
    node = data
    default = defaults
    for i, part in enumerate(path[:-1]):
        if part == 0:
            continue
        default = default.get(part) if isinstance(default, dict) else None
        if i + 1 < len(path) - 1 and path[i + 1] == 0:
            item = dict(required[part])
            node[part] = [item]
            node = item
            default = None
        elif i == len(path) - 2 and isinstance(default, dict) and {"ages"} <= set(default):
            node = node.setdefault(part, dict(default))  # an age curve needs all its lists
        else:
            node = node.setdefault(part, {})
    target = default.get(path[-1]) if isinstance(default, dict) else None
    if isinstance(target, list):  # a list of numbers: the first one is the hostile value
        node[path[-1]] = ["__VALUE__", *target[1:]]
        text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None).replace("'__VALUE__'", value)
        text = text.replace("__VALUE__", value)
        return text, next(i for i, ln in enumerate(text.splitlines(), 1) if value in ln)
    node[path[-1]] = "__VALUE__"
    text = yaml.safe_dump(data, sort_keys=False).replace("__VALUE__", value)
    return text, next(i for i, ln in enumerate(text.splitlines(), 1) if value in ln)


@pytest.mark.parametrize("value, message", [(".nan", "finite number"), (".inf", "finite number"),
                                            ("-.inf", "finite number"), ("true", "not true or false"),
                                            ("false", "not true or false")])
def test_every_number_refuses_nan_infinity_and_booleans(tmp_path, value, message):
    fields = numeric_fields()
    assert len(fields) > 60
    files, lines = {}, {}
    for i, f in enumerate(fields):
        text, lines[f] = _yaml_for(f, value)
        files[f] = write(tmp_path, f"f{i}.yaml", text)
    errors = validate_each(files)
    for f, path in files.items():
        shown = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if k else p) for k, p in enumerate(f))
        where = f"error: {path}:{lines[f]}: {shown}"
        assert (where + ": " in errors[f] or where + "[0]: " in errors[f]) and message in errors[f], (f, errors[f])


def test_booleans_and_nan_through_set_and_the_api(tmp_path):
    res = lonesim_limited("validate", "scenarios/baseline.yaml", "--set", "days=true", memory_mb=VALIDATE_MB)
    assert_one_clear_error(res, "(--set): days: Input should be a number, not true or false")
    res = lonesim_limited("validate", "scenarios/baseline.yaml", "--set", "mortality.hr_isolation=.nan", memory_mb=VALIDATE_MB)
    assert_one_clear_error(res, "(--set): mortality.hr_isolation: Input should be a finite number")
    from sim.config import ScenarioError

    for overrides in ({"days": True}, {"smiles.mood_weight": float("inf")}, {"population.size": float("nan")}):
        with pytest.raises(ScenarioError):
            Scenario().with_overrides(overrides)
    sc = Scenario()
    with pytest.raises(Exception, match="not true or false"):
        sc.days = True  # assignment is validated too


# --------------------------------------------------------------------------- sizes that cannot fit
def test_sizes_that_cannot_fit_are_refused_before_allocating(tmp_path):
    cases = {
        "people": ("population:\n  size: 50000000\n  ", "population.size: a run of 50,000,000 people"),
        "days": ("days: 2000000000\n", "days: a run of"),
        "ties": ("population:\n  size: 20000000\nnetwork:\n  mean_degree: 1000\n", "a run of 20,000,000 people"),
    }
    for key, (body, expected) in cases.items():
        path = write(tmp_path, f"{key}.yaml", "name: big\n" + body.rstrip(" "))
        res = lonesim_limited("run", path, "--out", tmp_path / "out", timeout=60)
        err = assert_one_clear_error(res, expected, "needs about", " GB")
        assert re.search(r"is [0-9.]+ [GM]B|[0-9.]+ [GM]B is", err), err
        assert f"{path}:" in err
    sweep = write(tmp_path, "sweep.yaml", "name: s\npopulation:\n  size: 5000000\nsweep:\n  grid:\n"
                                          "    population.size: [1000, 30000000]\n")
    res = lonesim_limited("sweep", sweep, "--out", tmp_path / "sw", "--workers", "2", timeout=60)
    assert_one_clear_error(res, "30,000,000 people")
    assert not (tmp_path / "out").exists() and not (tmp_path / "sw").exists()
    res = lonesim_limited("validate", cases_path := write(tmp_path, "v.yaml", "population:\n  size: 50000000\n"),
                          memory_mb=VALIDATE_MB)
    # validate refuses what run refuses for this machine's memory (issue 21); only its own address-space
    # limit (ulimit -v, which the run may not share) is a warning
    if "of address space" in res.stderr:
        assert res.returncode == 0 and "warning: " in res.stderr and "needs about" in res.stderr, res.stderr
        assert f"ok: {cases_path}" in res.stdout
    else:
        assert_one_clear_error(res, f"{cases_path}:2: population.size: a run of 50,000,000 people", "of memory")


def test_a_long_burn_in_shows_progress(tmp_path):
    res = lonesim_limited("run", "scenarios/baseline.yaml", "--set", "population.size=100", "--set", "burn_in_days=60",
                          "--set", "days=2", "--no-figures", "--out", tmp_path / "r")
    assert res.returncode == 0, res.stderr
    assert re.search(r"baseline \(burn-in\):\s+\d+%.*\d+/60", res.stderr), res.stderr[-1000:]


# --------------------------------------------------------------------------- names used as paths
@pytest.mark.parametrize("name", ["..", "../../etc", "/tmp/evil", "a/b", "a\\b", ".hidden", "line\nbreak",
                                  "x" * 65, "", " spaced", "tab\there", "naïve", "-rf", "a b"])
def test_unsafe_names_are_refused(tmp_path, name):
    path = write(tmp_path, "n.yaml", "name: " + json.dumps(name) + "\npopulation:\n  size: 50\ndays: 2\n")
    res = lonesim_limited("run", path, "--results", tmp_path / "results", "-q", memory_mb=VALIDATE_MB * 3)
    err = assert_one_clear_error(res, f"{path}:1: name: ")
    assert "letters, digits" in err or "at least 1 character" in err or "at most 64 characters" in err
    assert not (tmp_path / "results").exists()
    assert len(err.strip().splitlines()) == 1  # a newline in the name cannot split or forge a line


def test_a_file_name_that_is_not_a_safe_name_is_made_safe(tmp_path):
    path = write(tmp_path, "my town (v2).yaml", "population:\n  size: 60\ndays: 2\nburn_in_days: 0\n")
    res = lonesim_limited("run", path, "--results", tmp_path / "results", "-q", "--no-figures")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "results" / "my_town_v2_" / "seed-12345").is_dir()


# --------------------------------------------------------------------------- experiment files
def test_experiment_files_are_validated_like_scenarios(tmp_path):
    good = (ROOT / "experiments" / "population.yaml").read_text()
    cases = {
        "unknown_key": (good + "replicats: 3\n", "replicats: unknown key 'replicats' (did you mean 'replicates'?)"),
        "bad_study": ("study: nope\n", ":1: study: must be one of"),
        "empty": ("# nothing\n", "the experiment file is empty"),
        "negative": (good.replace("replicates: 4", "replicates: -1"), "replicates: Input should be greater than"),
        "interval": (good.replace("[0.16, 0.24]", "[0.24, 0.16]"), "published.loneliness_adults: the numbers must be"),
        "set_key": (good.replace("  days: 180", "  days: 180\n  smiles.propensty: 0.2"), "did you mean 'propensity'"),
        "set_value": (good.replace("  days: 180", "  days: -4"), "days: Input should be greater than 0"),
        "quick": (good.replace("  replicates: 2", "  replicates: 0"), "quick.replicates: Input should be greater"),
        "dup": (good + "replicates: 9\n", "duplicate key 'replicates'"),
        "name": (good + "name: ../../x\n", "name: a name is used as a folder name"),
        "scenario": (good.replace("scenarios/baseline.yaml", "scenarios/nope.yaml"), "scenario: file not found"),
    }
    paths = {key: write(tmp_path, f"{key}.yaml", text) for key, (text, _) in cases.items()}
    res = lonesim_limited("experiment", *paths.values(), "--out", tmp_path / "out", "--quick", memory_mb=VALIDATE_MB * 3)
    err = assert_one_clear_error(res)  # every file's errors, each on its own error line, nothing run
    for key, (_, expected) in cases.items():
        mine = [ln for ln in err.splitlines() if ln.startswith(f"error: {paths[key]}")]
        assert mine and any(expected in ln for ln in mine), (key, mine)
        if key != "empty":
            assert all(re.match(rf"error: {re.escape(str(paths[key]))}:\d+: ", ln) for ln in mine), (key, mine)
    assert "lonesim experiment:" not in res.stderr and not (tmp_path / "out").exists()


def test_every_experiment_file_is_checked_before_any_study_runs(tmp_path):
    good = ROOT / "experiments" / "dose_response.yaml"
    bad = write(tmp_path, "bad.yaml", good.read_text().replace("reference_fraction: 0.0 ", "reference_fraction: 0.25 ", 1))
    res = lonesim_limited("experiment", good, bad, "--quick", "--out", tmp_path / "out", memory_mb=VALIDATE_MB * 3)
    assert_one_clear_error(res, f"{bad}:", "reference_fraction 0.25 is not one of isolation_fractions")
    assert "lonesim experiment:" not in res.stderr  # the good file did not start either
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- edge lists
def test_edge_lists_say_what_they_dropped_and_report_the_loaded_size(tmp_path):
    (tmp_path / "g.csv").write_text("a,b\nb,c\nc,a\nc,c\nb,a\n" + "".join(f"n{i},n{i + 1}\n" for i in range(40)))
    path = write(tmp_path, "el.yaml", "name: el\nnetwork:\n  kind: edgelist\n  path: g.csv\ndays: 3\nburn_in_days: 0\n")
    res = lonesim_limited("run", path, "--out", tmp_path / "out", "--no-figures")
    assert res.returncode == 0, res.stderr
    assert "header" not in res.stderr  # 'a,b' is a tie here: b and a are people of the graph
    assert "1 self-loop(s) dropped" in res.stderr and "(line 4)" in res.stderr
    assert "1 repeated tie(s) merged" in res.stderr and "(line 5)" in res.stderr
    assert "lonesim: el: 44 people (43 ties from g.csv)" in res.stderr, res.stderr
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "out" / "agents.parquet")) == 44


def test_edge_list_weights_become_tie_strengths(tmp_path):
    from sim.networks import load_edgelist

    (tmp_path / "w.csv").write_text("source,target,weight\n1,2,10\n2,3,5\n3,1,2.5\n3,4,0\n")
    e = load_edgelist(tmp_path / "w.csv")
    assert e.m == 3 and list(e.weight) == [1.0, 0.25, 0.5]
    assert any("header" in n for n in e.notes) and any("weight 0 dropped" in n for n in e.notes)
    assert any("divided by the largest (10)" in n for n in e.notes)
    (tmp_path / "neg.csv").write_text("1,2,1\n2,3,-1\n")
    from sim.config import ScenarioError

    with pytest.raises(ScenarioError, match=r"neg.csv:2: network.path: a tie weight must be a number >= 0"):
        load_edgelist(tmp_path / "neg.csv")


def test_a_run_uses_edge_list_weights_as_closeness(tmp_path):
    (tmp_path / "w.csv").write_text("source,target,weight\n" + "".join(f"{i},{i + 1},{1 + i % 4}\n" for i in range(30)))
    path = write(tmp_path, "w.yaml", "name: w\nnetwork:\n  kind: edgelist\n  path: w.csv\ndays: 1\nburn_in_days: 0\n"
                                     "ties:\n  dynamic: false\nkindness:\n  rate_per_day: 0\n")
    res = lonesim_limited("run", path, "--out", tmp_path / "out", "--no-figures", "-q")
    assert res.returncode == 0, res.stderr
    import pandas as pd

    edges = pd.read_parquet(tmp_path / "out" / "edges.parquet")
    weight = 1 + edges["source"] % 4  # the labels are 0..30, so the row's source gives its weight
    by_weight = edges.groupby(weight)["closeness"].mean()
    assert by_weight.is_monotonic_increasing and by_weight.iloc[0] < 0.3 and by_weight.iloc[-1] > 0.9, by_weight


# --------------------------------------------------------------------------- calendar
def test_programmes_and_shocks_after_the_last_day_are_reported(tmp_path):
    path = write(tmp_path, "late.yaml", "name: late\ndays: 30\npopulation:\n  size: 80\nburn_in_days: 0\nshocks:\n"
                                        "  - start_day: 45\n    duration_days: 5\ninterventions:\n  - kind: befriending\n"
                                        "    start_day: 30\n")
    for cmd in (["validate", path], ["run", path, "--out", tmp_path / "o", "-q", "--no-figures"]):
        res = lonesim_limited(*cmd)
        assert res.returncode == 0, res.stderr
        assert f"warning: {path}:7: shocks[0].start_day: this shock starts on day 45, after the last day" in res.stderr
        assert f"warning: {path}:11: interventions[0].start_day: this programme (befriending) starts on day 30" in res.stderr
    res = lonesim_limited("validate", "scenarios/lockdown.yaml", "--set", "days=10")
    assert res.returncode == 0 and "(--set)" not in res.stderr and "lockdown.yaml:" in res.stderr, res.stderr


# --------------------------------------------------------------------------- the browser command
def test_viz_options_are_checked_before_a_server_starts(tmp_path):
    assert_one_clear_error(lonesim_limited("viz", "--port", "70000"), "--port 70000: a port is a number from 1 to 65535")
    assert_one_clear_error(lonesim_limited("viz", "--port", "http"), "Invalid value for '--port'")
    assert_one_clear_error(lonesim_limited("viz", "--host", "no.such.host.invalid"), "--host no.such.host.invalid")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_one_clear_error(lonesim_limited("viz", "--port", str(port)), f"--port {port}: already in use")
    empty = write(tmp_path, "empty.yaml", "")
    assert_one_clear_error(lonesim_limited("viz", empty, "--port", "1"), "empty")


def test_viz_warns_loudly_beyond_loopback_and_prints_the_real_url(tmp_path):
    import subprocess
    import time

    from tests.conftest import start_lonesim

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_lonesim("viz", "--host", "0.0.0.0", "--port", str(port), stderr=subprocess.STDOUT)
    lines, deadline = [], time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "lonesim viz:" in line and " at " in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = "".join(lines)
    assert "warning: --host 0.0.0.0: the page is served on every network interface" in text, text
    assert f"http://127.0.0.1:{port}/ on this machine" in text and f":{port}/ from others" in text, text


def test_viz_refuses_a_scenario_whose_model_cannot_be_built(tmp_path):
    (tmp_path / "g.csv").write_text("1,2\n")
    path = write(tmp_path, "v.yaml", "network:\n  kind: edgelist\n  path: g.csv\n")
    (tmp_path / "g.csv").write_text("1\n")  # broken after the file was written: fails when the model is built
    assert_one_clear_error(lonesim_limited("viz", path, "--port", "1"), "g.csv:1: network.path: expected two node columns")


# --------------------------------------------------------------------------- smaller
def test_smaller_cases(tmp_path):
    sweep = ROOT / "scenarios" / "isolation_sweep.yaml"
    for address, expected in (("nonsense", "needs a host and a port"), ("ftp://x:1", "unknown address scheme 'ftp'"),
                              ("tcp://[::1", "not an address"), ("tcp://127.0.0.1:99999", "not an address")):
        res = lonesim_limited("sweep", sweep, "--executor", "dask", "--scheduler", address, "--out", tmp_path / "d",
                              timeout=30)
        assert_one_clear_error(res, f"--scheduler {address}", expected)
    assert_one_clear_error(lonesim_limited("schema", "--out", tmp_path), "is a folder; --out takes a file name")
    assert_one_clear_error(lonesim_limited("schema", "--out", tmp_path / "no" / "dir" / "s.json"), "cannot write")
    empty = write(tmp_path, "empty.yaml", "# just a comment\n")
    for cmd in (["run", empty, "--out", tmp_path / "r"], ["validate", empty], ["sweep", empty, "--dry-run"]):
        assert_one_clear_error(lonesim_limited(*cmd, memory_mb=VALIDATE_MB * 3), "file is empty", "lonesim defaults")
    res = lonesim_limited("validate", "scenarios/lockdown.yaml", "--set", "shocks.0.tie_removal_fraction=3")
    assert_one_clear_error(res, "lockdown.yaml (--set): shocks[0].tie_removal_fraction")
    res = lonesim_limited("validate", "scenarios/lockdown.yaml", "--set", "shocks.-1.tie_removal_fraction=3")
    assert_one_clear_error(res, "lockdown.yaml (--set): shocks[0].tie_removal_fraction")
    res = lonesim_limited("validate", "scenarios/lockdown.yaml", "--set", "shocks.7.start_day=3")
    assert_one_clear_error(res, "--set shocks.7.start_day: 'shocks.7' is not an item of a list (the list has 1 item(s))")
    assert not (tmp_path / "r").exists() and not (tmp_path / "d").exists()


def test_the_other_commands_with_hostile_input(tmp_path):
    assert_one_clear_error(lonesim_limited("report", tmp_path / "nowhere"), "nowhere: no such folder")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "sweep.json").write_text('{"lonesim_sweep": 1, "points": 5}')
    assert_one_clear_error(lonesim_limited("report", tmp_path / "fake"), "not a lonesim sweep manifest")
    (tmp_path / "fake" / "sweep.json").write_text("[1, 2")
    assert_one_clear_error(lonesim_limited("report", tmp_path / "fake"), "unreadable sweep manifest")
    (tmp_path / "fake" / "sweep.json").write_text(json.dumps({"lonesim_sweep": 1, "name": "x", "swept": [], "points": [
        {"point": 0, "label": "base", "overrides": {}, "runs": ["../../etc"]}]}))
    assert_one_clear_error(lonesim_limited("report", tmp_path / "fake"), "point 0 is malformed")
    for args in (["run", tmp_path], ["validate", "/dev/null"], ["run", "/dev/urandom", "--out", tmp_path / "x"]):
        res = lonesim_limited(*args, memory_mb=VALIDATE_MB * 3)
        assert_one_clear_error(res)
    res = lonesim_limited("defaults")
    assert res.returncode == 0 and Scenario.model_validate(__import__("yaml").safe_load(res.stdout)) == Scenario(seed=20261126)
    res = lonesim_limited("nosuchcommand")
    assert_one_clear_error(res, "No such command")
