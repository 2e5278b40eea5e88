"""The ``lonesim`` command line (Typer). Bad input exits with status 2 and one clear message.

One module per group of commands; this module builds the app and registers them. Command modules
import only :mod:`sim.cli.common` (the error helpers) from here, never this module.
"""

from __future__ import annotations

import typer

from sim.cli import compare, experiment, run, sweep, viz

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="lonesim: loneliness, social connection and health on a social network.")

for command in (run.run, run.validate, run.schema, run.defaults, viz.viz, sweep.sweep, sweep.report,
                experiment.experiment, compare.compare):
    app.command()(command)


def main() -> None:  # pragma: no cover - console entry point
    """Entry point of the ``lonesim`` console script."""
    app()
