"""What every command shares: printing one error line and exiting with status 2, loading a scenario
with ``--set`` overrides (and printing its warnings), checking that a run fits in memory, and the help
texts of the common options."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer

from sim.config import LineMap, Scenario, ScenarioError, load_scenario_lines, parse_set_options

SET_HELP = "Override any scenario field: --set key.path=value (repeatable), e.g. --set population.size=2000"


def one_line(text: str) -> str:
    """``text`` with control characters escaped, so a file name or key with a newline (or a terminal
    escape) in it cannot break or forge a message line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def echo_lines(prefix: str, message: str) -> None:
    """Print each line of ``message`` on stderr as ``<prefix><line>`` (``error: ``, ``warning: ``)."""
    for line in str(message).split("\n"):
        if line.strip():
            typer.echo(prefix + one_line(line.removeprefix(prefix)), err=True)


def fail(message: str) -> NoReturn:
    """Print the error (one ``error: <file>:<line>: <key>: ...`` line per problem) and exit with status 2."""
    echo_lines("error: ", message)
    raise typer.Exit(code=2)


def load_or_fail(path: Path, sets: list[str] | None, seed: int | None = None) -> Scenario:
    """The scenario in ``path`` with ``--set`` overrides (and ``--seed``), or exit 2 with the error's message.

    Warnings (a shock or programme after the last day) are printed on stderr."""
    return load_with_lines_or_fail(path, sets, seed)[0]


def load_with_lines_or_fail(path: Path, sets: list[str] | None, seed: int | None = None
                            ) -> tuple[Scenario, LineMap]:
    """:func:`load_or_fail`, also returning the file's line map (for messages that come later:
    ``functools.partial(linemap.where, str(path))`` gives ``<file>:<line>`` of a key)."""
    notes: list[str] = []
    if seed is not None and not 0 <= seed <= 2**63 - 1:  # blamed on --seed, not on --set or the file
        fail(f"--seed {seed}: a seed is a whole number from 0 to {2**63 - 1}")
    try:
        overrides = parse_set_options(sets)
        if seed is not None:
            overrides["seed"] = seed
        scenario, linemap = load_scenario_lines(path, overrides, notes=notes)
    except ScenarioError as exc:
        fail(str(exc))
    for note in notes:
        echo_lines("warning: ", note)
    return scenario, linemap


def check_memory_or_fail(scenario: Scenario, where: Callable[[str], str] | str, processes: int = 1):
    """Exit 2 with one line (how much is needed, how much there is) when ``processes`` runs of
    ``scenario`` at once cannot fit in memory; return the estimate (:func:`sim.memory.check_fits`)."""
    from sim.memory import check_fits

    try:
        return check_fits(scenario, where, processes)
    except ScenarioError as exc:
        fail(str(exc))


def check_scheduler_or_fail(scheduler: str | None) -> None:
    """Exit 2 with one line unless ``scheduler`` (when given) is an address where a Dask scheduler
    answers its handshake in time: checked before any folder is created, so a silent or foreign server
    leaves nothing behind (:func:`sim.runs.executors.probe_scheduler`)."""
    if not scheduler:
        return
    from sim.runs.executors import check_scheduler_address, probe_scheduler
    from sim.runs.layout import BatchError

    try:
        check_scheduler_address(scheduler)
        probe_scheduler(scheduler)
    except BatchError as exc:
        fail(str(exc))


#: The signal that ended the command, if one did (SIGTERM and SIGHUP are turned into KeyboardInterrupt).
_received: list[int] = []


def _interrupt(signum: int, frame) -> None:
    """SIGTERM / SIGHUP: unwind like Ctrl-C, so temporary folders are removed and workers stopped."""
    _received.append(signum)
    raise KeyboardInterrupt


def catch_termination() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt (where they still have their default action)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _interrupt)


def is_interrupt(exc: BaseException) -> bool:
    """True for a KeyboardInterrupt, and for an error that one caused: a Ctrl-C (or SIGTERM) that lands
    while a compiled kernel is being called can surface as ``SystemError: ... returned a result with an
    exception set``, with the KeyboardInterrupt as its cause."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def interrupted_status() -> int:
    """Exit status for an interruption: 128 + the signal (130 for Ctrl-C)."""
    return 128 + int(_received[0] if _received else signal.SIGINT)


def interrupted_by() -> str:
    """`` (SIGTERM)`` when a signal other than Ctrl-C ended the command, else nothing."""
    return f" ({signal.Signals(_received[0]).name})" if _received else ""
