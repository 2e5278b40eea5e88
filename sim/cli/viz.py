"""``lonesim viz``: the browser page (Mesa SolaraViz)."""

from __future__ import annotations

import functools
from pathlib import Path

import typer

from sim.cli.common import check_memory_or_fail, echo_lines, fail, load_with_lines_or_fail


def viz(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML whose values the sliders start from."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (127.0.0.1: this machine only)."),
    port: int = typer.Option(8765, "--port", help="Port to serve on (1-65535)."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open a browser tab."),
) -> None:
    """Watch a scenario unfold in the browser (Mesa SolaraViz): network, live plots, sliders."""
    from sim.viz import check_address, launch

    try:
        urls, warning = check_address(host, port)  # bad options fail here, before a server starts
    except ValueError as exc:
        fail(str(exc))
    if scenario is not None:  # bad files fail here, with file:line
        sc, linemap = load_with_lines_or_fail(scenario, None)
        from sim.viz.params import MAX_PAGE_PEOPLE

        page = sc.with_overrides({"population.size": min(sc.population.size, MAX_PAGE_PEOPLE)})
        check_memory_or_fail(page, functools.partial(linemap.where, str(scenario)))
    build_or_fail(scenario)
    if warning:
        echo_lines("warning: ", warning)
    raise typer.Exit(code=launch(scenario, host=host, port=port, open_browser=open_browser, urls=urls))


def build_or_fail(scenario: Path | None) -> None:
    """Build the page's model once, as the page will on load (burn-in with a progress bar), so a scenario
    that fails only when its model is built fails here, with one line, instead of in a started server."""
    from sim.config import ScenarioError
    from sim.viz.app import make_model

    typer.echo(f"lonesim viz: building {scenario or 'the default town'} ...", err=True)
    try:
        make_model(str(scenario) if scenario is not None else None, progress=True)
    except ScenarioError as exc:
        fail(str(exc))
    except MemoryError:
        fail(f"{scenario or 'default settings'}: the page's model does not fit in memory")
    except Exception as exc:  # noqa: BLE001 - any failure of the build is reported as the scenario's
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        fail(f"{scenario or 'default settings'}: the page's model could not be built ({type(exc).__name__}: {first})")
