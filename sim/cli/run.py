"""``lonesim run``, ``validate``, ``schema`` and ``defaults``: one scenario at a time."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import typer

from sim.cli.common import (
    SET_HELP,
    check_memory_or_fail,
    echo_lines,
    fail,
    interrupted_by,
    interrupted_status,
    is_interrupt,
    load_with_lines_or_fail,
    one_line,
)
from sim.config import LineMap, Scenario, ScenarioError, load_scenario_lines, parse_set_options


def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run folder (default results/<name>/seed-<seed>)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed (overrides the scenario's)."),
    sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for default run folders."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG figures."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Replace an existing --out folder if it is a lonesim run folder (atomically)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Simulate one scenario and write a run folder."""
    from sim import results as results_mod

    sc, linemap = load_with_lines_or_fail(scenario, sets, seed)
    unique = out is None  # the default folder never replaces anything: a taken name becomes seed-<seed>-2, ...
    target = out if out is not None else results_mod.default_run_folder(results, sc.name, sc.seed)
    written = False
    try:
        expected = results_mod.check_destination(target, overwrite=overwrite, unique=unique)
        people = f"{sc.population.size:,} people"
        if sc.network.kind == "edgelist":  # the loaded graph's size, and what loading it dropped
            from sim.networks import load_edgelist

            edges = load_edgelist(Path(sc.network.path))
            people = f"{edges.n:,} people ({edges.m:,} ties from {Path(sc.network.path).name})"
            for note in edges.notes:
                echo_lines("note: ", note)
        check_memory_or_fail(sc, functools.partial(linemap.where, str(scenario)))
        for line in results_mod.clean_leftovers(target.parent):
            echo_lines("note: ", f"{target.parent}: {line}")
        t0 = time.perf_counter()
        for block, command in batch_blocks(sc):
            echo_lines("note: ", f"{scenario} has a {block}: block; `lonesim run` runs its base scenario once "
                                 f"and ignores the block; `lonesim {command} {scenario}` runs the {block}")
        if not quiet:
            typer.echo(f"lonesim: {sc.name}: {people}, {sc.days} days, seed {sc.seed}", err=True)
        from sim.simulation import Simulation  # (numba: imported only once the input is known to be good)

        sim = Simulation(sc, progress=not quiet)
        sim.run(progress=not quiet)
        target = results_mod.write_run(sim, target, figures=figures and sc.output.figures, overwrite=overwrite,
                                       unique=unique, expected=expected)
        written = True
    except ScenarioError as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        what = f"{target} was written before the interruption" if written else "nothing was written"
        typer.echo(f"\ninterrupted{interrupted_by()}: {what}", err=True)
        raise typer.Exit(code=interrupted_status()) from None
    if not quiet:
        s = sim.summary()
        typer.echo(
            f"  loneliness {s['loneliness_prevalence']:.1%}, isolation {s['isolation_prevalence']:.1%}, "
            f"mean relative hazard {s['mean_relative_hazard']:.3f}, "
            f"expected deaths {s['expected_deaths_per_1000_py']:.2f} per 1,000 person-years",
            err=True,
        )
        t = sim.timings
        typer.echo(f"  network {t['network_s']:.1f}s, set-up {t['setup_s']:.1f}s, {sim.day} days {t['step_s']:.1f}s; "
                   f"total {time.perf_counter() - t0:.1f}s", err=True)
    typer.echo(str(target))


#: The batch blocks a scenario file can hold, and the command that runs each.
BATCH_COMMANDS = {"sweep": "sweep", "comparison": "compare", "sensitivity": "sensitivity"}


def batch_blocks(sc: Scenario) -> list[tuple[str, str]]:
    """(block, command) of each batch block the scenario has: ``("sweep", "sweep")``, ``("comparison", "compare")``."""
    return [(block, command) for block, command in BATCH_COMMANDS.items() if getattr(sc, block) is not None]


def validate(files: list[Path] = typer.Argument(..., help="Scenario YAML files."),
             sets: list[str] | None = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Check scenario files without running them: the schema, ranges, edge-list files, and exactly the checks
    of the command that runs the file's block (sweep, compare, sensitivity)."""
    bad = 0
    for f in files:
        try:
            validate_file(f, sets)
        except ScenarioError as exc:
            echo_lines("error: ", str(exc))
            bad += 1
    if bad:
        raise typer.Exit(code=2)


def validate_file(f: Path, sets: list[str] | None) -> None:
    """Check one file (raises ScenarioError); print ``ok: ...`` with what it holds, then its notes."""
    from sim.memory import check_fits, estimate_bytes, human
    from sim.networks import load_edgelist

    notes: list[str] = []
    overrides = parse_set_options(sets)
    sc, linemap = load_scenario_lines(f, overrides, notes=notes)
    people = f"{sc.population.size:,} people"
    if sc.network.kind == "edgelist":
        edges = load_edgelist(Path(sc.network.path))
        people = f"{edges.n:,} people and {edges.m:,} ties from {Path(sc.network.path).name}"
        notes += [f"note: {n}" for n in edges.notes]
    largest, blocks = sc, []
    for block, command in batch_blocks(sc):
        what, biggest = BATCH_CHECKS[block](sc, f, linemap, notes)
        blocks.append(f", {what} (lonesim {command})")
        if estimate_bytes(biggest).total > estimate_bytes(largest).total:
            largest = biggest
    # The check `run` and `sweep` make: a run this machine's memory cannot hold is refused here too.
    # (Only this process's own address-space limit, `ulimit -v`, is a warning: the run may have another.)
    try:
        need = check_fits(largest, functools.partial(linemap.where, str(f))).total
    except ScenarioError as exc:
        if "of address space" not in str(exc):
            raise
        notes.append(f"warning: {exc} (this validate's own limit; the run may have another)")
        need = estimate_bytes(largest).total
    typer.echo(f"ok: {one_line(str(f))} ({people}, {sc.days} days" + "".join(blocks)
               + f"; about {human(need)} of memory per run)")
    for note in notes:
        echo_lines(note.split(": ", 1)[0] + ": ", note)


def _check_sweep(sc: Scenario, f: Path, linemap: LineMap, notes: list[str]) -> tuple[str, Scenario]:
    """``lonesim sweep``'s checks: every point is validated, one at a time; the point needing most memory."""
    from sim.config import iter_points
    from sim.memory import estimate_bytes

    largest, points = sc, 0
    for _, _, point in iter_points(sc, str(f), linemap, dumps=False):
        points += 1
        if estimate_bytes(point).total > estimate_bytes(largest).total:
            largest = point
    return f"sweep of {points} points x {sc.sweep.replicates} replicates", largest


def _check_comparison(sc: Scenario, f: Path, linemap: LineMap, notes: list[str]) -> tuple[str, Scenario]:
    """``lonesim compare``'s checks (the plan it would run)."""
    from sim.runs.compare import plan_comparison

    plan = plan_comparison(sc, source=str(f), linemap=linemap)
    return f"comparison of control + {len(plan.arms)} arms x {sc.comparison.replicates} replicates", sc


def _check_sensitivity(sc: Scenario, f: Path, linemap: LineMap, notes: list[str]) -> tuple[str, Scenario]:
    """``lonesim sensitivity``'s checks (the plan it would run, and the parameters it leaves out)."""
    from sim.runs.sensitivity import plan_sensitivity

    plan = plan_sensitivity(sc, str(f), linemap)
    if plan.unranged:
        notes.append(f"warning: {len(plan.unranged)} parameter(s) described as assumptions have no range in the "
                     f"schema yet and are left out: {', '.join(plan.unranged)}")
    return f"sensitivity analysis ({plan.design.method}) of {plan.n_runs} runs", sc


BATCH_CHECKS = {"sweep": _check_sweep, "comparison": _check_comparison, "sensitivity": _check_sensitivity}


def schema(out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout (a new "
                                         "file, or with --overwrite one that `lonesim schema` wrote)."),
           markdown: bool = typer.Option(False, "--markdown", help="The parameter reference table instead."),
           overwrite: bool = typer.Option(False, "--overwrite",
                                          help="Replace an existing --out file, if `lonesim schema` wrote it.")) -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion), or the parameter table."""
    if markdown:
        from sim.paramdoc import parameters_markdown

        text = parameters_markdown().rstrip("\n")
    else:
        text = json.dumps(Scenario.model_json_schema(), indent=2)
    if out is None:
        typer.echo(text)
        return
    from sim.runs.layout import write_text_atomic

    try:
        check_schema_destination(out, overwrite)
        write_text_atomic(out, text + "\n")
    except ScenarioError as exc:
        fail(str(exc))
    except IsADirectoryError:
        fail(f"--out {out}: is a folder; --out takes a file name (e.g. {out / 'scenario.schema.json'})")
    except OSError as exc:
        fail(f"--out {out}: cannot write ({exc.strerror or exc})")
    typer.echo(str(out))


#: Most bytes of an existing --out file read to recognise it as one `lonesim schema` wrote.
_SCHEMA_READ_BYTES = 8 * 1024 * 1024


def written_by_schema(path: Path) -> bool:
    """Whether the regular file ``path`` holds what ``lonesim schema`` writes: the scenario JSON Schema
    (a JSON object titled ``Scenario`` with ``properties``) or the parameter table (its generated header)."""
    from sim.paramdoc import HEADER

    try:
        with open(path, "rb") as f:
            raw = f.read(_SCHEMA_READ_BYTES + 1)
    except OSError:
        return False
    if len(raw) > _SCHEMA_READ_BYTES:
        return False
    text = raw.decode("utf-8", errors="replace")
    if text.startswith(HEADER.split("\n", 1)[0] + "\n") and "`lonesim schema --markdown`" in text[:2000]:
        return True
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("title") == "Scenario" and isinstance(data.get("properties"), dict)


def check_schema_destination(out: Path, overwrite: bool) -> None:
    """Raise :class:`ScenarioError` unless ``schema --out`` may write ``out``: a new file, or with
    ``--overwrite`` a regular file that ``lonesim schema`` wrote. Never a FIFO, device, socket, folder,
    symbolic link or a file of the user's (checked with ``lstat``: nothing is opened but a regular file)."""
    import os
    import stat

    try:
        st = os.lstat(out)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ScenarioError(f"--out {out}: cannot check ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(f"--out {out}: is a folder; --out takes a file name (e.g. {out / 'scenario.schema.json'})")
    if stat.S_ISLNK(st.st_mode):
        raise ScenarioError(f"--out {out}: is a symbolic link; lonesim schema does not write through links "
                            "(give the file's own path, or a new file name)")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device" if
                (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise ScenarioError(f"--out {out}: is {kind}; lonesim schema writes only new files "
                            "(print to stdout and redirect instead)")
    if not written_by_schema(out):
        raise ScenarioError(f"--out {out}: exists and was not written by `lonesim schema`; it is left as it is "
                            "(choose a new file name)")
    if not overwrite:
        raise ScenarioError(f"--out {out}: exists (written by `lonesim schema`); add --overwrite to replace it")


def defaults() -> None:
    """Print a complete scenario YAML with every default, each key under a comment with its unit and source
    (a starting point for a new scenario; the seed is the shipped scenarios')."""
    from sim.paramdoc import annotated_defaults

    typer.echo(annotated_defaults(), nl=False)
