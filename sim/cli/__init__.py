"""The ``lonesim`` command line (Typer). Bad input exits with status 2 and one clear message.

One module per group of commands; this module builds the app, registers them, and runs it
(:func:`main`): every way a command can end prints at most a line or two, never a traceback —
usage errors (a bad option value) as ``error: ...`` with status 2, Ctrl-C and termination signals as
``interrupted ...`` with status 130 / 128+signal, and anything unexpected as one ``error: internal
error ...`` line with status 1 (``LONESIM_DEBUG=1`` shows the traceback). Command modules import only
:mod:`sim.cli.common` (the error helpers) from here, never this module.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import typer

from sim.cli import compare, experiment, run, sensitivity, sweep, viz
from sim.cli.common import catch_termination, echo_lines, interrupted_by, interrupted_status, is_interrupt

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="lonesim: loneliness, social connection and health on a social network.")

# Typer >= 0.22 carries its own copy of Click: its exception classes are found from Typer's public ones.
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

def _print_version(value: bool) -> None:
    if value:
        from sim import __version__

        typer.echo(f"lonesim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                          help="Print lonesim's version and exit.")) -> None:
    """lonesim: loneliness, social connection and health on a social network."""


for command in (run.run, run.validate, run.schema, run.defaults, viz.viz, sweep.sweep, sweep.report,
                experiment.experiment, sensitivity.sensitivity, compare.compare):
    app.command()(command)

def main(argv: list[str] | None = None, prog_name: str = "lonesim") -> None:  # pragma: no cover - console entry point
    """Entry point of the ``lonesim`` console script and of ``python -m sim``."""
    catch_termination()
    try:
        code = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except _ClickException as exc:  # a bad option or argument (a usage error), or a missing file
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # `lonesim` alone: the help, as before
            typer.echo(ctx.get_help() if ctx is not None else str(exc))
            code = 0
        else:
            hint = f" (see: {ctx.command_path} --help)" if ctx is not None and isinstance(exc, _UsageError) else ""
            echo_lines("error: ", f"{exc.format_message()}{hint}")
            code = exc.exit_code
    except typer.Abort:
        typer.echo(f"interrupted{interrupted_by()}", err=True)
        code = interrupted_status()
    except KeyboardInterrupt:
        typer.echo(f"interrupted{interrupted_by()}", err=True)
        code = interrupted_status()
    except BrokenPipeError:  # `lonesim defaults | head`: the reader left; nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except MemoryError:
        typer.echo("error: out of memory (the scenario needs more memory than this machine can give; make "
                   "population.size smaller)", err=True)
        code = 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line instead of a traceback
        if not is_interrupt(exc) and os.environ.get("LONESIM_DEBUG"):
            raise
        code = _unexpected(exc)
    code = code if isinstance(code, int) else 0
    if code in _INTERRUPTED_CODES:
        # A Ctrl-C that landed inside code run from a string (``exec``/``eval``: namedtuple, dataclass and
        # numba code generation while modules load) leaves CPython 3.12's "unhandled KeyboardInterrupt" flag
        # set although the command caught it, and under ``python -m sim`` the interpreter then ends by
        # SIGINT (status -2) instead of with ``code`` (seen on a loaded machine, where the imports are slow).
        # Every string eval clears the flag first: one that ends normally leaves it cleared.
        exec("None", {})  # noqa: S102 - a constant; see above
        # Everything the command owns is already unwound (temporary folders removed, workers terminated,
        # finished runs in place). The interpreter's exit hooks still run (they release the worker pool's
        # semaphores quietly), but concurrent.futures joins the pool's threads there, and after its workers
        # were terminated that join has been seen to wait forever: a daemon thread ends the process if the
        # hooks take more than a few seconds.
        threading.Thread(target=_exit_soon, args=(code,), daemon=True, name="lonesim-exit-watch").start()
    sys.exit(code)


def _unexpected(exc: Exception) -> int:
    """One line for an exception no command handled; its exit status. A Ctrl-C that landed inside a
    compiled call (see :func:`sim.cli.common.is_interrupt`) is an interruption, anything else a bug."""
    if is_interrupt(exc):
        typer.echo(f"interrupted{interrupted_by()}", err=True)
        return interrupted_status()
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    echo_lines("error: ", f"internal error: {type(exc).__name__}: {first} (this is a bug in lonesim; "
               "run again with LONESIM_DEBUG=1 for the traceback and report it)")
    return 1


def _exit_soon(code: int, seconds: float = 5.0) -> None:
    """End the process with ``code`` after ``seconds`` if it has not ended by then."""
    time.sleep(seconds)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


#: Exit statuses of an interruption: 128 + SIGINT (Ctrl-C), SIGTERM or SIGHUP.
_INTERRUPTED_CODES = {128 + int(signal.SIGINT), 128 + int(signal.SIGTERM), 128 + int(signal.SIGHUP)}
