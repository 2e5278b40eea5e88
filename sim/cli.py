"""The ``lonesim`` command line (Typer). Bad input exits with status 2 and one clear message."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from sim.config import Scenario, ScenarioError, load_scenario, parse_set_options

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="lonesim: loneliness, social connection and health on a social network.")

SET_HELP = "Override any scenario field: --set key.path=value (repeatable), e.g. --set population.size=2000"


def fail(message: str) -> None:
    """Print one error message and exit with status 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def load_or_fail(path: Path, sets: list[str] | None, seed: int | None = None) -> Scenario:
    try:
        overrides = parse_set_options(sets)
        if seed is not None:
            overrides["seed"] = seed
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        fail(str(exc))
        raise  # unreachable


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (default results/<name>/seed-<seed>)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed (overrides the scenario's)."),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
    results: Path = typer.Option(Path("results"), "--results", help="Root folder for default run folders."),
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write PNG figures."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out folder (atomically)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Simulate one scenario and write a run folder."""
    from sim import results as results_mod
    from sim.simulation import Simulation

    sc = load_or_fail(scenario, sets, seed)
    target = out if out is not None else results_mod.default_run_folder(results, sc.name, sc.seed)
    try:
        if target.exists() and not overwrite:
            fail(f"{target}: run folder already exists (choose another --out, or --overwrite)")
        results_mod.check_writable(target.parent)
        t0 = time.perf_counter()
        if not quiet:
            typer.echo(f"lonesim: {sc.name}: {sc.population.size:,} people, {sc.days} days, seed {sc.seed}", err=True)
            if sc.sweep is not None:
                typer.echo("  (this file has a sweep block: `lonesim run` runs its base scenario; "
                           "`lonesim sweep` runs the sweep)", err=True)
        sim = Simulation(sc)
        sim.run(progress=not quiet)
        results_mod.write_run(sim, target, figures=figures and sc.output.figures, overwrite=overwrite)
    except ScenarioError as exc:
        fail(str(exc))
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


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="Scenario YAML files."),
             sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP)) -> None:
    """Check scenario files (schema, ranges, sweep blocks, edge-list files) without running them."""
    from sim.config import expand_sweep
    from sim.networks import load_edgelist

    bad = 0
    for f in files:
        try:
            sc = load_scenario(f, parse_set_options(sets))
            if sc.network.kind == "edgelist":
                load_edgelist(Path(sc.network.path))
            points = len(expand_sweep(sc)) if sc.sweep else 1
            reps = sc.sweep.replicates if sc.sweep else 1
            typer.echo(f"ok: {f} ({sc.population.size:,} people, {sc.days} days"
                       + (f", sweep of {points} points x {reps} replicates" if sc.sweep else "") + ")")
        except ScenarioError as exc:
            typer.echo(f"error: {exc}", err=True)
            bad += 1
    if bad:
        raise typer.Exit(code=2)


@app.command()
def schema(out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
           markdown: bool = typer.Option(False, "--markdown", help="The parameter reference table instead.")) -> None:
    """Print the JSON Schema of scenario files (for editor autocompletion), or the parameter table."""
    if markdown:
        from sim.paramdoc import parameters_markdown

        text = parameters_markdown().rstrip("\n")
    else:
        text = json.dumps(Scenario.model_json_schema(), indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(str(out))


@app.command()
def defaults() -> None:
    """Print a complete scenario YAML with every default (a starting point for a new scenario)."""
    typer.echo(Scenario().to_yaml(), nl=False)


@app.command()
def viz(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML whose values the sliders start from."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8765, "--port", help="Port to serve on."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
) -> None:
    """Watch a scenario unfold in the browser (Mesa SolaraViz): network, live plots, sliders."""
    from sim.viz import launch

    if scenario is not None:
        load_or_fail(scenario, None)  # bad files fail here, with file:line, before a server starts
    raise typer.Exit(code=launch(scenario, host=host, port=port, open_browser=open_browser))


# Commands that live in their own modules (sweeps, experiments).
from sim.cli_sweep import register as _register_sweep  # noqa: E402
from sim.cli_experiment import register as _register_experiment  # noqa: E402

_register_sweep(app)
_register_experiment(app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
