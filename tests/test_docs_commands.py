"""Every command shown in README.md and docs/*.md runs (issue 19 item 5), so a documented command that
crashes fails CI.

The commands are read from the ```bash blocks of the documents, in order, and run as a user would run
them from the repository root (a copy of ``scenarios/`` and ``experiments/`` in a fresh folder, so
default output folders land there). Long ones run in a reduced form: the same command with ``--set``
overrides that shrink the town and the days (appended, so they win over the document's own), batches
with one replicate, validation studies with ``--quick``. Placeholders of usage lines become a shipped
file (``FILE`` -> the scenario that command is shown with elsewhere) and optional ``[...]`` parts are
left out. Commands that are not lonesim's (installers, benchmarks, Dask's own, calibration) are listed in
:data:`NOT_RUN_HERE` with the test that covers them instead; any other new command fails
:func:`test_every_documented_command_is_run_or_listed` until it is run or listed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Commands other than ``lonesim``'s, by prefix: why they are not run here, and what covers them.
NOT_RUN_HERE = {
    "bash scripts/install.sh": "the installer: CI runs it (scripts/test.sh calls it before the tests)",
    "bash scripts/test.sh": "the CI entry point itself (.ci/run)",
    "bash scripts/solara_offline.sh": "fills Solara's cache from npm: scripts/test.sh runs it",
    "bash scripts/install_chromium.sh": "installs Debian's Chromium: scripts/test.sh runs it",
    ".venv/bin/dask": "Dask's own commands; the executor is tested with an in-process LocalCluster (test_sweep.py)",
    ".venv/bin/python benchmarks/": "benchmarks (minutes, measured by hand: benchmarks/README.md)",
    "python benchmarks/": "benchmarks (minutes, measured by hand: benchmarks/README.md)",
    ".venv/bin/python experiments/calibrate": "calibration searches (tens of minutes); their results are "
                                              "checked by tests/test_experiments.py and test_programmes.py",
    ".venv/bin/pip install": "an installer",
    ".venv/bin/python -m pytest": "the test suite itself",
}
#: lonesim commands that are not run here, by a token they contain, and what covers them.
LONESIM_NOT_RUN = {
    "viz": "starts a web server: tests/test_viz_browser.py starts it and drives the page",
    "dask": "needs a cluster: test_sweep/test_compare/test_sensitivity run these with a LocalCluster",
    "...": "a placeholder for the other commands",
}
#: The file a usage line's FILE stands for, per command.
FILES = {"run": "scenarios/baseline.yaml", "validate": "scenarios/baseline.yaml", "viz": "scenarios/baseline.yaml",
         "sweep": "scenarios/isolation_sweep.yaml", "compare": "scenarios/programmes.yaml",
         "sensitivity": "scenarios/sensitivity_morris.yaml", "experiment": "experiments/big_joy.yaml"}

TOWN = ["--set", "population.size=300", "--set", "burn_in_days=3"]
#: What is appended to each command to make it short (later --set values win).
REDUCED = {
    "run": [*TOWN, "--set", "days=20"],
    "sweep": [*TOWN, "--set", "days=20", "--set", "sweep.replicates=1"],
    "compare": [*TOWN, "--set", "days=120", "--set", "comparison.replicates=1", "--set", "comparison.horizon_years=0.25"],
    "sensitivity": [*TOWN, "--set", "days=10", "--set", "sensitivity.replicates=1"],
    "experiment": [],
}


@dataclass
class Command:
    """One documented command line: where it is, its words, and how it is run (or why not)."""

    source: str
    text: str
    args: list[str] = field(default_factory=list)
    skipped: str | None = None
    stdout_to: str | None = None


def _blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, command line) of every ```bash / ```sh block line, continuation lines joined."""
    out, lines = [], path.read_text(encoding="utf-8").splitlines()
    inside, pending, start = False, "", 0
    for i, line in enumerate(lines, 1):
        if line.startswith("```"):
            inside = line.strip() in ("```bash", "```sh", "```shell") if not inside else False
            continue
        if not inside or not line.strip():
            continue
        if not pending:
            start = i
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        out.append((start, pending.strip()))
        pending = ""
    return out


#: Documents whose ```python blocks are fragments, not programs, and why.
PYTHON_FRAGMENTS = {"docs/sweeps.md": "a fragment of a test (its runner and app come from the test)"}


def python_blocks(path: Path) -> str:
    """The document's ```python blocks, joined into one program (later blocks use what earlier ones made)."""
    return "\n".join(m.group(1) for m in re.finditer(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"),
                                                    re.S | re.M))


def _usage(words: list[str]) -> list[str]:
    """A usage line made runnable: ``[optional parts]`` left out, ``FILE``/``FILE...`` a shipped file."""
    out, depth = [], 0
    for w in words:
        depth += w.count("[")
        if depth == 0:
            out.append(w)
        depth -= w.count("]")
    command = out[0] if out else ""
    return [FILES.get(command, "scenarios/baseline.yaml") if w in ("FILE", "FILE...") else w for w in out]


def documented_commands() -> list[Command]:
    """Every command of the documents, parsed (one per ``&&`` part)."""
    found = []
    for path in DOCUMENTS:
        for line, text in _blocks(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            words = shlex.split(text, comments=True)
            parts, current = [], []
            for w in words:
                if w == "&&":
                    parts.append(current)
                    current = []
                else:
                    current.append(w)
            parts.append(current)
            for part in filter(None, parts):
                found.append(_classify(where, " ".join(part), part))
    return found


def _classify(where: str, text: str, words: list[str]) -> Command:
    cmd = Command(where, text)
    if words[0] in ("lonesim", ".venv/bin/lonesim"):
        args = words[1:]
    elif words[:3] in (["python", "-m", "sim"], [".venv/bin/python", "-m", "sim"]):
        args = words[3:]
    else:
        reason = next((why for prefix, why in NOT_RUN_HERE.items() if text.startswith(prefix)), None)
        cmd.skipped = reason or "UNKNOWN"
        return cmd
    for token, why in LONESIM_NOT_RUN.items():
        if token in args:
            cmd.skipped = why
            return cmd
    if "&" in args:
        args = args[: args.index("&")]
    if ">" in args:
        cmd.stdout_to = args[args.index(">") + 1]
        args = args[: args.index(">")]
    cmd.args = _usage(args)
    return cmd


def test_every_documented_command_is_run_or_listed():
    commands = documented_commands()
    unknown = [f"{c.source}: {c.text}" for c in commands if c.skipped == "UNKNOWN"]
    assert not unknown, ("documented commands this test neither runs nor lists in NOT_RUN_HERE (add a reduced "
                         "form or a reason): " + "; ".join(unknown))
    runnable = [c for c in commands if c.skipped is None]
    assert len(runnable) >= 30  # the parser found the documents' commands (a broken parser finds none)
    assert any(c.args[:1] == ["experiment"] and "experiments/*.yaml" in c.args for c in runnable)


def _plan(commands: list[Command], work: Path) -> list[tuple[Command, list[str]]]:
    """Each runnable command once (:func:`_key`), reduced; a batch shown again with other options and without
    --resume/--out gets its own --out,
    and a study already run by a larger ``lonesim experiment`` command is not run twice."""
    runs, seen, batches = [], set(), set()
    experiments = [c for c in commands if c.skipped is None and c.args[:1] == ["experiment"]]
    files_of = {id(c): _expand(c.args, work) for c in experiments}
    largest = max(experiments, key=lambda c: len(files_of[id(c)]), default=None)
    for c in commands:
        if c.skipped is not None:
            continue
        args = list(c.args)
        sub = args[0] if args else ""
        if sub == "experiment":
            if c is not largest and files_of[id(c)] <= files_of[id(largest)]:
                continue  # the larger command runs these studies
            args = [args[0], *sorted(files_of[id(c)]), *[a for a in args[1:] if "*" not in a and not a.endswith(".yaml")]]
            if "--quick" not in args:
                args.append("--quick")
        args += REDUCED.get(sub, [])
        if sub == "sensitivity":
            args += ["--set", "sensitivity.samples=4" if "sobol" in " ".join(args) else "sensitivity.trajectories=2"]
        key = _key(args)
        if key in seen:  # shown twice (a usage line and an example, or in two documents): run once
            continue
        seen.add(key)
        if sub in ("sweep", "compare", "sensitivity") and "--dry-run" not in args and "--resume" not in args \
                and "--out" not in args:
            target = (sub, next((a for a in args[1:] if a.endswith(".yaml")), ""))
            if target in batches:  # its default folder is taken by the first showing
                args += ["--out", f"again-{len(seen)}"]
            batches.add(target)
        runs.append((c, args))
    return runs


def _key(args: list[str]) -> tuple[str, ...]:
    """What makes two commands the same run: their words, less the worker count (same files with any)."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--workers", "-w"):
            skip = True
        else:
            out.append(a)
    return tuple(out)


def _expand(args: list[str], work: Path) -> set[str]:
    files: set[str] = set()
    for a in args[1:]:
        if "*" in a:
            files |= {str(p.relative_to(work)) for p in work.glob(a)}
        elif a.endswith(".yaml"):
            files.add(a)
    return files


def _workspace(tmp_path: Path) -> Path:
    for name in ("scenarios", "experiments"):
        shutil.copytree(ROOT / name, tmp_path / name)
    (tmp_path / "docs").mkdir()
    return tmp_path


def _run_all(plan: list[tuple[Command, list[str]]], work: Path) -> list[str]:
    """Run the planned commands in ``work``; one line per command that did not exit 0."""
    failures = []
    for cmd, args in plan:
        res = subprocess.run([sys.executable, "-m", "sim", *args], cwd=work, capture_output=True, text=True, timeout=900)
        if res.returncode != 0:
            failures.append(f"{cmd.source}: `{cmd.text}` (run as: lonesim {' '.join(args)}) exited {res.returncode}: "
                            + " | ".join(res.stderr.strip().splitlines()[-3:]))
        elif cmd.stdout_to:
            (work / cmd.stdout_to).write_text(res.stdout)
    return failures


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_every_documented_command_runs(tmp_path):
    """The documents' commands but the validation studies, in their order, each reduced, all exit 0."""
    work = _workspace(tmp_path)
    plan = [(c, a) for c, a in _plan(documented_commands(), work) if a[0] != "experiment"]
    failures = _run_all(plan, work)
    assert not failures, "\n".join(failures)
    assert re.search(r"^\| `seed` \|", (work / "docs" / "parameters.md").read_text(), re.M)
    assert (work / "results" / "isolation_sweep_check" / "summary.csv").is_file()  # report of the --out sweep


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_documented_validation_command_runs(tmp_path):
    """``lonesim experiment experiments/*.yaml --quick`` (docs/validation.md) — it once stopped at the mortality
    study with KeyError 'alive_landmark' — runs every study; the one-file commands are covered by it."""
    work = _workspace(tmp_path)
    plan = [(c, a) for c, a in _plan(documented_commands(), work) if a[0] == "experiment"]
    assert len(plan) == 1 and "--quick" in plan[0][1]
    failures = _run_all(plan, work)
    assert not failures, "\n".join(failures)
    table = pd.read_csv(work / "results" / "experiments" / "quick" / "validation.csv")
    studies = {"population", "mortality", "big_joy", "contagion", "dose_response", "programme_cbt", "programme_groups",
               "programme_phone_calls"}
    assert studies <= set(table["study"]) and not (work / "results" / "reference").exists()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_documented_python_runs(tmp_path):
    """Each document's ```python blocks run as one program, after the documented ``lonesim run`` commands made
    the folders they read."""
    work = _workspace(tmp_path)
    failures = _run_all([(c, a) for c, a in _plan(documented_commands(), work) if a[0] == "run"], work)
    for path in DOCUMENTS:
        name = str(path.relative_to(ROOT))
        code = python_blocks(path)
        if not code or name in PYTHON_FRAGMENTS:
            continue
        res = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, timeout=900,
                             env={**os.environ, "MPLBACKEND": "Agg"})
        if res.returncode != 0:
            failures.append(f"{name}: its Python blocks failed: " + " | ".join(res.stderr.strip().splitlines()[-3:]))
    assert not failures, "\n".join(failures)
