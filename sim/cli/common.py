"""What every command shares: printing one error line and exiting with status 2, loading a scenario
with ``--set`` overrides, and the help texts of the common options."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

from sim.config import Scenario, ScenarioError, load_scenario, parse_set_options

SET_HELP = "Override any scenario field: --set key.path=value (repeatable), e.g. --set population.size=2000"


def fail(message: str) -> NoReturn:
    """Print one error message and exit with status 2 (bad input)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def load_or_fail(path: Path, sets: list[str] | None, seed: int | None = None) -> Scenario:
    """The scenario in ``path`` with ``--set`` overrides (and ``--seed``), or exit 2 with the error's message."""
    try:
        overrides = parse_set_options(sets)
        if seed is not None:
            overrides["seed"] = seed
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        fail(str(exc))
