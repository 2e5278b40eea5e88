"""Hostile input, round 3 (issue 21): files lonesim did not write, numbers that lie, servers that do not
answer, batch folders with two writers, and wrong answers without a word. Every case runs the CLI as a
subprocess under a timeout and an address-space limit (tests/conftest.py's ``lonesim_limited``) and
checks what a user sees: one ``error:`` line naming the file, key and line (or the option), exit status
2, and nothing written or damaged."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, assert_one_clear_error, lonesim_limited, start_lonesim

TINY = ["--set", "population.size=200", "--set", "days=5", "--set", "burn_in_days=2"]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# =========================================================================== schema --out
@pytest.mark.timeout(120)
def test_schema_out_never_replaces_what_it_did_not_write(tmp_path):
    user = write(tmp_path, "notes.json", '{"mine": true}\n')
    scenario = write(tmp_path, "town.yaml", "population:\n  size: 100\n")
    for target in (user, scenario):
        before = target.read_bytes()
        for extra in ([], ["--overwrite"]):
            res = lonesim_limited("schema", "--out", target, *extra, timeout=60)
            assert_one_clear_error(res, f"--out {target}: exists and was not written by `lonesim schema`")
            assert target.read_bytes() == before
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    res = lonesim_limited("schema", "--out", fifo, "--overwrite", timeout=60)  # (opening it would block forever)
    assert_one_clear_error(res, f"--out {fifo}: is a named pipe (FIFO)")
    assert fifo.is_fifo()
    link = tmp_path / "link.json"
    link.symlink_to(user)
    assert_one_clear_error(lonesim_limited("schema", "--out", link, "--overwrite", timeout=60), "is a symbolic link")
    assert user.read_text() == '{"mine": true}\n'
    res = lonesim_limited("schema", "--out", "/dev/null", "--overwrite", timeout=60)
    assert_one_clear_error(res, "--out /dev/null: is a device")
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary file left


@pytest.mark.timeout(120)
def test_schema_out_replaces_its_own_file_only_with_overwrite(tmp_path):
    for extra, name in (([], "scenario.schema.json"), (["--markdown"], "parameters.md")):
        out = tmp_path / name
        res = lonesim_limited("schema", *extra, "--out", out, timeout=60)
        assert res.returncode == 0 and res.stdout.strip() == str(out), res.stderr
        first = out.read_bytes()
        assert_one_clear_error(lonesim_limited("schema", *extra, "--out", out, timeout=60),
                               f"--out {out}: exists (written by `lonesim schema`); add --overwrite")
        assert out.read_bytes() == first
        res = lonesim_limited("schema", *extra, "--out", out, "--overwrite", timeout=60)
        assert res.returncode == 0, res.stderr
        assert out.read_bytes() == first
    assert json.loads((tmp_path / "scenario.schema.json").read_text())["title"] == "Scenario"


# =========================================================================== numbers that lie
@pytest.mark.timeout(120)
@pytest.mark.parametrize("text, shown, meaning", [
    ("days: 0365", "'0365'", "as octal (a leading zero): 245"),
    ("days: 1:00", "'1:00'", "as sexagesimal (base 60): 60"),
    ("days: 0x10", "'0x10'", "as hexadecimal: 16"),
    ("days: 0b11", "'0b11'", "as binary: 3"),
    ("population:\n  size: 010_000", "'010_000'", "with the '_' dropped, as octal: 4096"),
    ("population:\n  size: 10_000", "'10_000'", "with the '_' dropped: 10000"),
    ("smiles:\n  propensity: 0_.5", "'0_.5'", "with the '_' dropped: 0.5"),
])
def test_numbers_yaml_versions_read_differently_are_refused(tmp_path, text, shown, meaning):
    path = write(tmp_path, "n.yaml", "name: n\n" + text + "\n")
    key = text.split("\n")[-1].split(":")[0].strip()
    section = "population." if "population" in text else "smiles." if "smiles" in text else ""
    line = text.count("\n") + 2
    for cmd in (["validate", path], ["run", path, "--out", tmp_path / "r"]):
        res = lonesim_limited(*cmd, timeout=60)
        assert_one_clear_error(res, f"{path}:{line}: {section}{key}: {shown} is a number YAML versions read "
                               f"differently: YAML 1.1 reads it {meaning}")
    assert not (tmp_path / "r").exists()


@pytest.mark.timeout(120)
def test_set_values_follow_the_same_number_rules(tmp_path):
    base = write(tmp_path, "b.yaml", "name: b\npopulation:\n  size: 100\n")
    for value in ("010", "1:00", "0x10", "1_000"):
        res = lonesim_limited("validate", base, "--set", f"days={value}", timeout=60)
        assert_one_clear_error(res, f"--set days: '{value}' is a number YAML versions read differently")
    ok = lonesim_limited("validate", base, "--set", "days=10", "--set", 'description="0365"', "--set", "description=at 1:00",
                         timeout=60)
    assert ok.returncode == 0, ok.stderr  # decimal numbers, quoted text and text with a colon are fine
    quoted = write(tmp_path, "q.yaml", "name: q\ndescription: '0365'\ndays: 365\npopulation:\n  size: 100\n")
    assert lonesim_limited("validate", quoted, timeout=60).returncode == 0


@pytest.mark.timeout(120)
def test_numbers_beyond_the_kernels_range_are_refused(tmp_path):
    base = write(tmp_path, "b.yaml", "name: b\npopulation:\n  size: 100\n")
    res = lonesim_limited("validate", base, "--set", "smiles.giver_mood_gain=1e39", timeout=60)
    assert_one_clear_error(res, f"{base} (--set): smiles.giver_mood_gain: 1e+39 is beyond the range the "
                           "simulation's 32-bit kernels represent")
    prog = write(tmp_path, "p.yaml", "name: p\npopulation:\n  size: 100\ninterventions:\n  - kind: phone_calls\n"
                 "    call_value: 4.0e+38\n")
    for cmd in (["validate", prog], ["run", prog, "--out", tmp_path / "r"]):
        assert_one_clear_error(lonesim_limited(*cmd, timeout=60), f"{prog}:6: interventions[0].call_value: Input should "
                               "be less than or equal to 1000 (got 4e+38)")  # (its plausible bound comes first)
    tiny = write(tmp_path, "t.yaml", "name: t\npopulation:\n  size: 100\nsmiles:\n  propensity: 1.0e-40\n")
    assert_one_clear_error(lonesim_limited("validate", tiny, timeout=60), f"{tiny}:5: smiles.propensity: 1e-40 is too "
                           "small for the simulation's 32-bit kernels")
    # validate refuses what run refuses
    for cmd in (["validate", base], ["run", base, "--out", tmp_path / "r"]):
        assert_one_clear_error(lonesim_limited(*cmd, "--set", "days=1.0e+17", timeout=60), f"{base} (--set): days: ")
    assert not (tmp_path / "r").exists()


@pytest.mark.timeout(180)
def test_a_run_whose_state_became_nan_reports_nothing(tmp_path):
    out = tmp_path / "r"
    res = lonesim_limited("run", "scenarios/baseline.yaml", *TINY, "--set", "smiles.receiver_mood_gain=1e38",
                          "--out", out, "--no-figures", timeout=150)
    err = assert_one_clear_error(res, "the simulated state became NaN or infinite",
                                 "smiles.receiver_mood_gain=1e+38")
    assert "loneliness" not in res.stderr.replace(err, "") and not out.exists()


# =========================================================================== servers that do not answer
class _Server:
    """A TCP server on 127.0.0.1 that accepts connections and either stays silent or answers garbage."""

    def __init__(self, reply: bytes | None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.reply = reply
        self.conns: list[socket.socket] = []
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply is not None:
                conn.sendall(self.reply)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.fixture
def servers():
    silent, garbage = _Server(None), _Server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)
    yield silent, garbage
    silent.close()
    garbage.close()


@pytest.mark.timeout(300)
def test_a_scheduler_that_never_answers_or_speaks_another_protocol(tmp_path, servers):
    silent, garbage = servers
    comp = write(tmp_path, "c.yaml", "name: c\ndays: 10\nburn_in_days: 0\npopulation:\n  size: 100\ncomparison:\n"
                 "  replicates: 1\n  arms:\n    - name: calls\n      kind: phone_calls\n")
    sens = write(tmp_path, "s.yaml", "name: s\ndays: 5\nburn_in_days: 0\npopulation:\n  size: 100\nsensitivity:\n"
                 "  method: morris\n  trajectories: 2\n  parameters:\n    smiles.propensity: [0.3, 0.7]\n")
    commands = {"sweep": ROOT / "scenarios" / "isolation_sweep.yaml", "compare": comp, "sensitivity": sens}
    for server, expected in ((silent, "accepted the connection but sent no Dask handshake within 10 s"),
                             (garbage, "does not speak Dask's protocol")):
        for cmd, scen in commands.items():
            out = tmp_path / f"{cmd}-{server.port}"
            address = f"tcp://127.0.0.1:{server.port}"
            t0 = time.monotonic()
            res = lonesim_limited(cmd, scen, "--executor", "dask", "--scheduler", address, "--out", out, timeout=120)
            assert_one_clear_error(res, f"--scheduler {address}: ", expected)
            assert time.monotonic() - t0 < 90
            assert not out.exists(), (cmd, list(out.rglob("*")))


# =========================================================================== batch folders locked
@pytest.mark.timeout(300)
def test_a_comparison_folder_is_locked_while_it_runs(tmp_path):
    scen = write(tmp_path, "c.yaml", "name: c\nseed: 3\ndays: 40\nburn_in_days: 5\npopulation:\n  size: 1500\n"
                 "output:\n  figures: false\ncomparison:\n  replicates: 20\n  follow_up_days: [5]\n  arms:\n"
                 "    - name: calls\n      kind: phone_calls\n      start_day: 1\n      duration_days: 7\n")
    out = tmp_path / "cmp"
    first = start_lonesim("compare", scen, "--out", out, "-q")
    deadline = time.monotonic() + 120
    while not any((out / "runs").glob("*")) if (out / "runs").is_dir() else True:  # a run is under way
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    resume = lonesim_limited("compare", scen, "--out", out, "--resume", "-q", timeout=120)
    still_running = first.poll() is None
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert still_running, "the first comparison should still be running"
    assert_one_clear_error(resume, f"{out}: another lonesim comparison is running in this folder")


@pytest.mark.timeout(300)
def test_sensitivity_is_locked_and_resume_restores_an_emptied_samples_table(tmp_path):
    import fcntl

    scen = write(tmp_path, "s.yaml", "name: s\ndays: 3\nburn_in_days: 0\npopulation:\n  size: 60\noutput:\n"
                 "  agents_file: false\nsensitivity:\n  method: morris\n  trajectories: 2\n  parameters:\n"
                 "    smiles.propensity: [0.3, 0.7]\n")
    out = tmp_path / "sens"
    res = lonesim_limited("sensitivity", scen, "--out", out, "--no-figures", "-q", timeout=240)
    assert res.returncode == 0, res.stderr
    samples = (out / "samples.csv").read_bytes()
    (out / "samples.csv").write_text("")
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a running analysis holds
        res = lonesim_limited("sensitivity", scen, "--out", out, "--resume", "--no-figures", "-q", timeout=120)
        assert_one_clear_error(res, f"{out}: another lonesim sensitivity analysis is running in this folder")
    finally:
        os.close(fd)
    res = lonesim_limited("sensitivity", scen, "--out", out, "--resume", "--no-figures", "-q", timeout=240)
    assert res.returncode == 0, res.stderr
    assert (out / "samples.csv").read_bytes() == samples


# =========================================================================== plausible bounds, survey days, --seed
@pytest.mark.timeout(120)
def test_plausible_bounds_survey_days_and_seed(tmp_path):
    base = write(tmp_path, "b.yaml", "name: b\npopulation:\n  size: 100\noutput:\n  survey_days: [3]\n")
    cases = [
        (["--set", "burn_in_days=1000000000"], f"{base} (--set): burn_in_days: Input should be less than or equal to 36500"),
        (["--set", "output.survey_days=[-1]"], f"{base} (--set): output.survey_days[0]: Input should be greater than"),
        (["--set", "output.survey_days=[3, 400]"], f"{base} (--set): output: survey_days: day(s) [400] are after the "
                                                   "last day of the run (day 364"),
        (["--set", "output.survey_days=[100000000000000000000]"], "output.survey_days"),
        (["--set", "interventions=[{kind: big_joy, kind_acts_per_day: 1.0e+9}]"],
         "interventions[0].kind_acts_per_day: Input should be less than or equal to 100"),
    ]
    for args, expected in cases:
        assert_one_clear_error(lonesim_limited("validate", base, *args, timeout=60), expected)
    late = write(tmp_path, "late.yaml", "name: l\ndays: 10\npopulation:\n  size: 100\noutput:\n  survey_days: [3, 12]\n")
    assert_one_clear_error(lonesim_limited("validate", late, timeout=60), f"{late}:5: output: survey_days: day(s) [12]")
    res = lonesim_limited("run", base, "--seed", "-1", "--out", tmp_path / "r", timeout=60)
    assert_one_clear_error(res, "--seed -1: a seed is a whole number")
    assert "--set" not in res.stderr and not (tmp_path / "r").exists()


# =========================================================================== comparisons that would mislead
COMPARE = """\
name: c
days: 20
burn_in_days: 0
population:
  size: 100
  age_max: 40
comparison:
  replicates: 2
  follow_up_days: [30]
  arms:
{arms}"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("arms, expected", [
    ("    - {name: Control, kind: phone_calls}\n",
     ":11: comparison.arms[0].name: 'Control' is the name of the town without a programme (names are compared without case)"),
    ("    - {name: calls, kind: phone_calls}\n    - {name: CALLS, kind: big_joy}\n",
     ":12: comparison.arms[1].name: duplicate arm name 'CALLS' (also arms[0]); names are compared without case"),
    ("    - {name: none, kind: phone_calls, coverage: 0}\n", ":11: comparison.arms[0].coverage: 0 enrols nobody"),
])
def test_comparison_arms_that_cannot_be_told_apart_or_enrol_nobody(tmp_path, arms, expected):
    path = write(tmp_path, "c.yaml", COMPARE.format(arms=arms))
    for cmd in (["compare", path, "--dry-run"], ["compare", path, "--out", tmp_path / "out"]):
        assert_one_clear_error(lonesim_limited(*cmd, timeout=60), f"{path}{expected}")
    assert not (tmp_path / "out").exists()
    short = write(tmp_path, "h.yaml", COMPARE.format(arms="    - {name: calls, kind: phone_calls}\n")
                  + "  horizon_years: 0.001\n")
    assert_one_clear_error(lonesim_limited("compare", short, "--dry-run", timeout=60),
                           f"{short}:12: comparison.horizon_years: 0.001 years is less than a day")


@pytest.mark.timeout(300)
def test_a_comparison_says_what_it_cuts_ignores_and_cannot_rank(tmp_path):
    arms = ("    - {name: old, kind: phone_calls, targeting: aged_65plus, start_day: 2, duration_days: 30}\n"
            "    - {name: calls, kind: phone_calls}\n")
    path = write(tmp_path, "c.yaml", COMPARE.format(arms=arms).replace("  follow_up_days: [30]\n",
                 "  follow_up_days: [30]\n  hr_isolation_interval: [2, 3]\n") + "sweep:\n  grid:\n    days: [5]\n")
    out = tmp_path / "out"
    res = lonesim_limited("compare", path, "--out", out, timeout=280)
    assert res.returncode == 0, res.stderr
    err = res.stderr
    for text in (f"warning: {path}:12: comparison.arms[0].duration_days: the programme runs to day 31, past the last "
                 "day (19", f"warning: {path}:9: comparison.follow_up_days: arm 'old' ends on day 19, so follow-up(s) "
                 "[30] fall after the last day",
                 f"note: {path}:10: comparison.hr_isolation_interval: [2, 3] does not contain mortality.hr_isolation",
                 f"note: {path}:14: sweep: `lonesim compare` ignores the sweep block",
                 "warning: arm old enrolled nobody in any town", "is not ranked"):
        assert text in err, (text, err)
    assert "RuntimeWarning" not in err
    import pandas as pd

    table = pd.read_csv(out / "comparison.csv").set_index("arm")
    assert table.loc["old", "enrolled"] == 0
    assert pd.isna(table.loc["old", "deaths_averted_per_1000_enrolled"])
    assert pd.isna(table.loc["old", "probability_best_deaths_averted"])
    assert table.loc["calls", "probability_best_deaths_averted"] == 1.0


# =========================================================================== edge lists, memory of analyses
@pytest.mark.timeout(180)
def test_edge_lists_that_are_not_edge_lists(tmp_path):
    cases = {
        "header.csv": ("source,target\n", ":1: network.path: the edge list's only line (source, target) looks like a "
                       "header: the file has no ties"),
        "graph.csv": ('<?xml version="1.0"?>\n<graphml><graph>\n<edge source="a" target="b"/></graph></graphml>\n',
                      ":1: network.path: this looks like XML (GraphML?)"),
        "flat.csv": ("1,2 " * 200_000, ":1: network.path: a line longer than 65,536 bytes"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text)
        scen = write(tmp_path, f"{name}.yaml", f"name: e\nnetwork:\n  kind: edgelist\n  path: {name}\n")
        for cmd in (["validate", scen], ["run", scen, "--out", tmp_path / "r"]):
            # (a file without newlines is refused at its first 64 KB: far under this memory cap)
            assert_one_clear_error(lonesim_limited(*cmd, timeout=120, memory_mb=3000), f"{tmp_path / name}{expected}")
    assert not (tmp_path / "r").exists()


@pytest.mark.timeout(120)
def test_the_memory_of_a_comparisons_analysis_is_checked_before_any_run(tmp_path):
    out = tmp_path / "cmp"
    res = lonesim_limited("compare", "scenarios/programmes.yaml", "--set", "comparison.hr_draws=100000",
                          "--out", out, timeout=100, memory_mb=8000)
    # 100,000 draws x (5,000 people + 1,856 days): ~24 GB whatever the machine has free
    assert_one_clear_error(res, "scenarios/programmes.yaml (--set): comparison.hr_draws: the comparison's analysis "
                           "(100,000 hazard-ratio draws x (5,000 people + 1,856 days)) needs about",
                           "(make comparison.hr_draws smaller)")
    assert not out.exists()


@pytest.mark.timeout(120)
def test_a_huge_sensitivity_dry_run_is_refused_at_once(tmp_path):
    path = write(tmp_path, "s.yaml", "name: s\npopulation:\n  size: 100\nsensitivity:\n  method: morris\n"
                 "  trajectories: 10000\n  parameters: assumptions\n")
    t0 = time.monotonic()
    res = lonesim_limited("sensitivity", path, "--dry-run", timeout=100)
    assert_one_clear_error(res, f"{path}:6: sensitivity.trajectories: 10,000 x ", "sample points is more than the 50,000")
    assert time.monotonic() - t0 < 60


@pytest.mark.timeout(120)
def test_experiment_out_with_a_foreign_validation_table(tmp_path):
    for text in ("my,own,data\n", "", "\x00\xff binary"):
        (tmp_path / "validation.csv").write_text(text, encoding="latin-1")
        res = lonesim_limited("experiment", "experiments/contagion.yaml", "--quick", "--out", tmp_path, timeout=100)
        assert_one_clear_error(res, f"{tmp_path / 'validation.csv'}: exists and is not a validation table lonesim wrote")
        assert (tmp_path / "validation.csv").read_text(encoding="latin-1") == text
        assert not (tmp_path / "validation").exists()


@pytest.mark.timeout(180)
def test_viz_ends_a_ctrl_c_as_an_interruption_and_stops_its_server(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_lonesim("viz", "--port", port)
    deadline = time.monotonic() + 120
    line = ""
    while "Ctrl+C" not in line and time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
    assert "Ctrl+C" in line, proc.communicate(timeout=30)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]  # not the server's "Aborted!" and status 1
    assert "Aborted" not in err and "Traceback" not in err
    with socket.socket() as s:  # the server is gone: its port is free again
        s.bind(("127.0.0.1", port))


@pytest.mark.timeout(120)
def test_network_path_that_is_a_folder_fifo_or_device_says_what_it_is(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    for target, expected in ((tmp_path, "is a folder, not an edge-list file"),
                             (fifo, "is not a regular file (a named pipe, device or socket)"),
                             ("/dev/zero", "is not a regular file")):
        res = lonesim_limited("validate", "scenarios/baseline.yaml", "--set", "network.kind=edgelist",
                              "--set", f"network.path={target}", timeout=60)
        assert_one_clear_error(res, f"scenarios/baseline.yaml (--set): network.path: {target} {expected}")
        assert "not found" not in res.stderr
