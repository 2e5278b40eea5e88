"""What the batch commands (``sweep``, ``compare``, ``sensitivity``, ``experiment``) share: the same
executor options with the same names, defaults and checks (:func:`check_executor`), one wrapper that
turns a batch's errors and interruptions into one line and the right exit status (:func:`batch_errors`),
and one way to end (:func:`finish`: what was done, what failed, where the report is)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from sim.cli.common import fail, interrupted_by, interrupted_status, is_interrupt
from sim.config import ScenarioError
from sim.runs.executors import EXECUTOR_NAMES

#: Executor names every batch command accepts (:data:`sim.runs.executors.EXECUTOR_NAMES`, shared with the
#: Python API): ``local`` (``process`` is its older name) and ``dask`` (a cluster, with ``--scheduler``).
EXECUTORS = EXECUTOR_NAMES
#: Worker processes when ``--workers`` is not given, in every batch command: one, because the machine
#: may be shared (ask for more with --workers N).
DEFAULT_WORKERS = 1
EXECUTOR_HELP = "local (worker processes on this machine; 'process' is the same) or dask (a cluster; needs --scheduler)."
WORKERS_HELP = "Worker processes on this machine (--executor local)."
SCHEDULER_HELP = "Dask scheduler address for --executor dask, e.g. tcp://HOST:8786."
RESUME_HELP = "Finish an interrupted batch: keep finished runs, run the rest."
DRY_RUN_HELP = "Check the file, list the runs and estimate how long they take here; run nothing."
QUIET_HELP = "No progress bar or summary."


def check_executor(executor: str, workers: int, scheduler: str | None) -> str:
    """The executor kind (``process`` or ``dask``) for the options given, or exit 2 with one line naming
    the option that is wrong (unknown executor, fewer than 1 worker, dask without a scheduler, a
    scheduler without dask, a scheduler address that is not one)."""
    kind = EXECUTORS.get(executor)
    if kind is None:
        fail(f"--executor: unknown executor '{executor}' (choose local or dask)")
    if workers < 1:
        fail(f"--workers must be at least 1 (got {workers})")
    if kind == "dask" and not scheduler:
        fail("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if kind == "process" and scheduler:
        fail("--scheduler is only used with --executor dask")
    if scheduler:
        from sim.runs.executors import check_scheduler_address
        from sim.runs.layout import BatchError

        try:
            check_scheduler_address(scheduler)
        except BatchError as exc:
            fail(str(exc))
    return kind


def where_runs(kind: str, workers: int, scheduler: str | None) -> str:
    """``on 2 worker process(es)`` or ``on Dask scheduler tcp://...``, for the first line of a batch."""
    return f"on Dask scheduler {scheduler}" if kind == "dask" else f"on {workers} worker process(es)"


@contextlib.contextmanager
def batch_errors(interrupted: str) -> Iterator[None]:
    """Run the ``with`` block as a batch: a :class:`~sim.runs.layout.BatchError` or
    :class:`~sim.config.ScenarioError` ends the command with its one-line message (status 2); Ctrl-C or a
    termination signal (also one that surfaced inside a compiled call) prints ``interrupted: <interrupted>``
    and exits 130 / 128+signal."""
    from sim.runs.layout import BatchError

    try:
        yield
    except (BatchError, ScenarioError) as exc:
        fail(str(exc))
    except (KeyboardInterrupt, SystemError) as exc:
        if not is_interrupt(exc):
            raise
        typer.echo(f"\ninterrupted{interrupted_by()}: {interrupted}", err=True)
        raise typer.Exit(code=interrupted_status()) from None


def kept_message(folder: Path) -> str:
    """What an interrupted batch says: where its finished runs are and how to go on."""
    return f"finished runs are kept in {folder}; continue with --resume"


#: The files a batch folder's report can be, best first (the first that exists is announced).
REPORT_FILES = ("report.html", "report.md", "summary.csv", "comparison.csv", "indices.csv")


def report_path(folder: Path) -> Path | None:
    """The report of a finished batch folder (:data:`REPORT_FILES`), or None if it has none yet."""
    for name in REPORT_FILES:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def finish(outcome: Any, folder: Path, quiet: bool, max_errors: int | None = None) -> None:
    """End a batch the same way in every command: a line of what was done (unless ``quiet``), one
    ``error:`` line per failed run (at most ``max_errors``) and exit 1 if any failed or did not start,
    else ``report: <file>`` on stderr and the folder on stdout."""
    if not quiet:
        extra = []
        if outcome.skipped:
            extra.append(f"{outcome.skipped} already finished (kept)")
        if outcome.redone_incomplete:
            extra.append(f"{outcome.redone_incomplete} incomplete folder(s) redone")
        if outcome.leftovers_removed:
            extra.append(f"{outcome.leftovers_removed} leftover temporary file(s) or folder(s) removed")
        typer.echo(f"  {outcome.done} runs done" + (", " + ", ".join(extra) if extra else "")
                   + f" in {outcome.seconds:.1f}s", err=True)
    if outcome.failed or outcome.not_started:
        for name, msg in outcome.failed[:max_errors]:
            typer.echo(f"error: run {name} failed: {msg}", err=True)
        typer.echo(f"{len(outcome.failed)} of {outcome.total} runs failed"
                   + (f", {outcome.not_started} not started" if outcome.not_started else "")
                   + f"; finished runs are kept in {folder}: fix the cause and rerun with --resume", err=True)
        raise typer.Exit(code=1)
    report = report_path(folder)
    if report is not None:
        typer.echo(f"report: {report}", err=True)
    typer.echo(str(folder))
