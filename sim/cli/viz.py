"""``lonesim viz``: the browser page (Mesa SolaraViz)."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.common import load_or_fail


def viz(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML whose values the sliders start from."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8765, "--port", help="Port to serve on."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
) -> None:
    """Watch a scenario unfold in the browser (Mesa SolaraViz): network, live plots, sliders."""
    from sim.viz import launch

    if scenario is not None:
        load_or_fail(scenario, None)  # bad files fail here, with file:line, before a server starts
    raise typer.Exit(code=launch(scenario, host=host, port=port, open_browser=open_browser))
