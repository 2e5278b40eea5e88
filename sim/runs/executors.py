"""Where runs execute: local worker processes or a Dask cluster, behind one ``concurrent.futures`` interface.

:func:`open_executor` is the only function that knows which executor is in use: a
``ProcessPoolExecutor`` of spawned workers (the compiled kernels' OpenMP runtime cannot be forked
once used), each given an equal share of the cores, or a Dask distributed ``Client(address).get_executor()``.
:func:`dispatch` keeps a bounded number of tasks in flight, so the parent's memory does not grow with
the number of runs; :func:`map_tasks` is the ordered map the validation studies use.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import functools
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from sim._core import available_cores, set_threads
from sim.runs.layout import BatchError, BatchOutcome

EXECUTORS = ("process", "dask")
#: The executor names every batch command and the Python API accept, and the kind each means: ``local``
#: (worker processes on this machine; ``process`` is its older name) or ``dask`` (a cluster).
EXECUTOR_NAMES = {"local": "process", "process": "process", "dask": "dask"}


@contextlib.contextmanager
def open_executor(kind: str = "process", workers: int = 1, scheduler: str | None = None
                  ) -> Iterator[tuple[cf.Executor, int]]:
    """Yield ``(executor, slots)``: a concurrent.futures executor and how many tasks it runs at once.

    The only function that knows which executor is in use.
    """
    if kind == "process":
        if workers < 1:
            raise BatchError(f"--workers must be at least 1 (got {workers})")
        # Each worker's compiled kernels get at most an equal share of the cores this process may use
        # (fewer while others keep cores busy: sim/_threads.py), so workers x threads <= cores and workers
        # do not fight over them (results do not depend on the thread count: sim/_core.py).
        threads = max(1, available_cores() // workers)
        ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=worker_init, initargs=(threads, os.getpid()))
        try:
            yield _GuardedPool(ex), workers
        except BaseException:
            _stop_workers(ex)
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            ex.shutdown(wait=True)
    elif kind == "dask":
        if not scheduler:
            raise BatchError("--executor dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - distributed is a dependency
            raise BatchError("--executor dask needs the 'distributed' package") from None
        check_scheduler_address(scheduler)
        probe_scheduler(scheduler)
        client = _connect(Client, scheduler)
        try:
            slots = max(sum(client.nthreads().values()), 1)
            ex = client.get_executor(pure=False)
            try:
                yield ex, slots
            except BaseException:
                ex.shutdown(wait=False)
                raise
            else:
                ex.shutdown(wait=True)
        finally:
            client.close()
    else:
        raise BatchError(f"unknown executor '{kind}' (choose one of: {', '.join(EXECUTORS)})")


def check_scheduler_address(address: str) -> None:
    """Raise :class:`BatchError` unless ``address`` looks like a Dask scheduler address
    (``tcp://HOST:PORT``; also ``tls``/``ws``/``wss``, or ``HOST:PORT``), before anything connects."""
    text = address if "://" in address else f"tcp://{address}"
    scheme = text.split("://", 1)[0]
    if scheme not in ("tcp", "tls", "ws", "wss"):
        raise BatchError(f"--scheduler {address}: unknown address scheme '{scheme}' (use tcp://HOST:PORT)")
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise BatchError(f"--scheduler {address}: not an address ({exc}; use tcp://HOST:PORT)") from None
    if not host or port is None or parts.path not in ("", "/"):
        raise BatchError(f"--scheduler {address}: needs a host and a port, e.g. tcp://127.0.0.1:8786")
    if port == 0:
        raise BatchError(f"--scheduler {address}: port 0 is not a port a scheduler listens on")


#: Seconds to connect to a scheduler and to hear its handshake (a scheduler answers in milliseconds).
HANDSHAKE_SECONDS = 10.0
#: Largest first message a Dask scheduler sends (its handshake: a few hundred bytes).
_HANDSHAKE_MAX_BYTES = 1 << 20


def _read_exactly(sock: Any, size: int, deadline: float) -> bytes:
    data = b""
    while len(data) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the scheduler closed the connection")
        data += chunk
    return data


def probe_scheduler(address: str, seconds: float = HANDSHAKE_SECONDS) -> None:
    """Raise :class:`BatchError` unless a Dask scheduler answers at ``address`` within ``seconds``.

    Dask's client waits on a socket that accepted the connection for as long as the peer stays silent,
    and reads whatever another protocol sends as a frame length (``Unable to allocate 2.82 EiB``). A
    plain ``tcp://`` address is therefore probed first: connect, then read the handshake a Dask server
    sends unasked (an 8-byte little-endian size, then frames whose msgpack names its ``compression``
    and ``python`` version; distributed 2024-2025). Other schemes (tls, ws) are left to :func:`_connect`'s deadline.
    """
    import socket
    import struct

    text = address if "://" in address else f"tcp://{address}"
    if not text.startswith("tcp://"):
        return
    parts = urlsplit(text)
    deadline = time.monotonic() + seconds
    try:
        sock = socket.create_connection((parts.hostname, parts.port), timeout=seconds)
    except TimeoutError:
        raise BatchError(f"--scheduler {address}: no answer to the connection within {seconds:g} s "
                         "(is the address right and the scheduler running?)") from None
    except OSError as exc:
        raise BatchError(f"--scheduler {address}: cannot connect to the Dask scheduler "
                         f"({exc.strerror or exc})") from None
    try:
        with sock:
            size = struct.unpack("<Q", _read_exactly(sock, 8, deadline))[0]
            if not 16 <= size <= _HANDSHAKE_MAX_BYTES:
                raise ValueError
            body = _read_exactly(sock, size, deadline)
            if b"compression" not in body or b"python" not in body:
                raise ValueError
    except TimeoutError:
        raise BatchError(f"--scheduler {address}: the server accepted the connection but sent no Dask handshake "
                         f"within {seconds:g} s (is it a Dask scheduler?)") from None
    except (ValueError, struct.error):
        raise BatchError(f"--scheduler {address}: the server there does not speak Dask's protocol "
                         "(is it a Dask scheduler's address and port?)") from None
    except OSError as exc:
        raise BatchError(f"--scheduler {address}: the connection failed during the handshake "
                         f"({exc.strerror or exc})") from None


def _connect(client_class: Any, address: str, seconds: float = 3 * HANDSHAKE_SECONDS) -> Any:
    """``client_class(address)``, or :class:`BatchError` when it fails or takes more than ``seconds``
    (run in a daemon thread: a client stuck on a silent peer is abandoned, not waited for)."""
    result: dict[str, Any] = {}

    def connect() -> None:
        try:
            result["client"] = client_class(address, timeout=f"{HANDSHAKE_SECONDS:g}s", set_as_default=False)
        except BaseException as exc:  # noqa: BLE001 - reported below as one line
            result["error"] = exc

    thread = threading.Thread(target=connect, daemon=True, name="lonesim-dask-connect")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise BatchError(f"--scheduler {address}: the Dask scheduler did not complete the connection within "
                         f"{seconds:g} s")
    if "error" in result:
        exc = result["error"]
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise BatchError(f"--scheduler {address}: cannot connect to the Dask scheduler ({first})") from None
    return result["client"]


# --------------------------------------------------------------------------- local worker processes
_task_running = False


class WorkerStop(BaseException):
    """Raised in a local worker on SIGTERM while a task runs: unwinds it (removing its temporary folder)."""


def _on_term(signum: int, frame: Any) -> None:
    if _task_running:
        raise WorkerStop
    os._exit(128 + signum)  # idle: nothing to clean up


def _watch_parent(parent: int) -> None:
    """Ask this worker to stop (SIGTERM) once the sweep's process has gone, e.g. after ``kill -9``.

    The signal goes to the main thread itself: sent to the process, the kernel may hand it to this thread
    or a kernel thread, and an idle worker's main thread, blocked reading the task queue (whose write end
    it holds too, so no end-of-file comes), would never run the handler."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)
            # The handler unwinds a running task and ends the worker. Should the stop be lost (raised where
            # something catches it), end the worker from here: a half-written run folder stays temporary
            # and the next --resume removes it.
            time.sleep(10.0)
            os._exit(128 + signal.SIGTERM)


def worker_init(threads: int, parent: int) -> None:
    """Initialise a local worker: its share of the cores, and never to outlive the sweep.

    A worker whose parent dies (killed, even with ``kill -9``) stops within a second instead of running
    queued runs on its own; on SIGTERM (from the parent on Ctrl-C, or from the watchdog) a running task
    unwinds, so its temporary run folder is removed, and the worker exits.
    """
    set_threads(threads)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the workers
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="lonesim-parent-watch").start()


def guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(task)`` in a local worker so that SIGTERM unwinds it and then ends the worker
    (the pool would otherwise go on to its next queued task)."""
    global _task_running
    _task_running = True
    try:
        return fn(*args, **kwargs)
    except BaseException as exc:
        if _caused_by_stop(exc):  # also a stop that landed inside a compiled call (a SystemError caused by it)
            os._exit(128 + signal.SIGTERM)
        raise
    finally:
        _task_running = False


def _caused_by_stop(exc: BaseException | None) -> bool:
    """True if ``exc`` is a :class:`WorkerStop` or was caused by one (within a few links)."""
    for _ in range(10):
        if exc is None:
            return False
        if isinstance(exc, WorkerStop):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _GuardedPool(cf.Executor):
    """The local process pool, each task run through :func:`guarded` (so SIGTERM ends its worker cleanly)."""

    def __init__(self, pool: cf.ProcessPoolExecutor):
        self.pool = pool

    def submit(self, fn, /, *args, **kwargs):
        """Submit ``fn(*args, **kwargs)`` to the pool, guarded."""
        return self.pool.submit(functools.partial(guarded, fn), *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down (``concurrent.futures`` semantics)."""
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _stop_workers(ex: cf.ProcessPoolExecutor) -> None:
    """On Ctrl-C or an error, stop the worker processes now rather than after the tasks already queued.

    Their unfinished run folders stay temporary (``.<name>.tmp-*``) and are removed by ``--resume``.
    """
    terminate = getattr(ex, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for proc in list((getattr(ex, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            proc.terminate()


def dispatch(executor: cf.Executor, fn: Callable[[dict[str, Any]], Any], tasks: Iterator[dict[str, Any]],
             max_in_flight: int,
             on_done: Callable[[Any, BaseException | None, dict[str, Any]], None]) -> int:
    """Submit ``fn(task)`` for each of ``tasks`` keeping at most ``max_in_flight`` futures alive; call ``on_done`` for each.

    Only the futures in flight are referenced, so the parent's memory is bounded by the window,
    not by the number of runs. A failed run does not stop the others. If the executor itself breaks
    (a worker process was killed), nothing more is submitted; returns the number of tasks not started.
    """
    tasks = iter(tasks)
    pending: dict[cf.Future, dict[str, Any]] = {}
    broken = False

    def fill() -> None:
        nonlocal broken
        while not broken and len(pending) < max_in_flight:
            task = next(tasks, None)
            if task is None:
                return
            try:
                fut = executor.submit(fn, task)
            except (cf.BrokenExecutor, RuntimeError) as exc:
                broken = True
                on_done(None, exc, _info(task))
                return
            pending[fut] = _info(task)

    fill()
    while pending:
        done, _ = cf.wait(list(pending), return_when=cf.FIRST_COMPLETED)
        for fut in done:
            info = pending.pop(fut)
            try:
                result, error = fut.result(), None
            except Exception as exc:
                result, error = None, exc
                broken = broken or isinstance(exc, cf.BrokenExecutor)
            on_done(result, error, info)
        fill()
    return sum(1 for _ in tasks)


def _info(task: Any) -> dict[str, Any]:
    """What ``on_done`` is told about a task: its point, replicate and name when it has them."""
    if isinstance(task, dict):
        return {k: task[k] for k in ("point", "replicate", "name", "index") if k in task}
    return {}


def _indexed(fn: Callable[[Any], Any], item: tuple[int, Any]) -> tuple[int, Any]:
    return item[0], fn(item[1])


#: The label of the progress bar :func:`map_tasks` shows while :func:`task_progress` is active (None: no bar).
_progress_label: list[str] = []


@contextlib.contextmanager
def task_progress(label: str, relabel: bool = False) -> Iterator[None]:
    """While active, every :func:`map_tasks` call shows a progress bar (on stderr) labelled ``label``.

    The validation studies call :func:`map_tasks` several times (one design after another) without
    knowing who watches; ``lonesim experiment`` turns the bars on around each study, and a study
    names its designs with ``relabel=True`` (which changes the label of bars already on, and turns none on)."""
    if relabel and not _progress_label:
        yield
        return
    _progress_label.append(label)
    try:
        yield
    finally:
        _progress_label.pop()


def map_tasks(fn: Callable[[Any], Any], args: list, workers: int = 1, executor: str = "process",
              scheduler: str | None = None) -> list:
    """``[fn(a) for a in args]`` on ``workers`` local processes or a Dask cluster, in the order of ``args``.

    Serial in this process when ``workers <= 1`` (or there is one task) and no cluster is named.
    ``fn`` must be a module-level function (workers import it by name). A task that fails raises
    its exception here. Inside :func:`task_progress`, a progress bar counts the finished tasks.
    """
    bar = None
    if _progress_label:
        from tqdm import tqdm

        bar = tqdm(total=len(args), desc=_progress_label[-1], unit="run", leave=False, dynamic_ncols=True)
    try:
        if executor == "process" and (workers <= 1 or len(args) <= 1):
            out = []
            for a in args:
                out.append(fn(a))
                if bar is not None:
                    bar.update(1)
            return out
        out = [None] * len(args)
        errors: list[BaseException] = []

        def on_done(result: Any, error: BaseException | None, info: dict[str, Any]) -> None:
            if error is not None:
                errors.append(error)
            else:
                out[result[0]] = result[1]
            if bar is not None:
                bar.update(1)

        with open_executor(executor, min(workers, len(args)), scheduler) as (ex, slots):
            dispatch(ex, functools.partial(_indexed, fn), iter(list(enumerate(args))), 2 * slots, on_done)
        if errors:
            raise errors[0]
        return out
    finally:
        if bar is not None:
            bar.close()


def run_batch(fn: Callable[[dict[str, Any]], Any], tasks: Iterator[dict[str, Any]], *, count: int, total: int,
              skipped: int, label: str, executor: str = "process", workers: int = 1, scheduler: str | None = None,
              progress: bool = True, on_result: Callable[[Any], None] | None = None) -> BatchOutcome:
    """Run ``fn`` over ``count`` tasks on the executor (sweeps, comparisons, sensitivity analyses share this).

    A progress bar counts toward ``total`` runs, ``skipped`` of them already on disk. A failed task is
    recorded with a one-line reason and does not stop the others. A :class:`BatchError` from opening the
    executor (a bad scheduler, say) reaches the caller before anything ran.
    """
    outcome = BatchOutcome()
    if count == 0:
        return outcome
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=skipped, unit="run", desc=label, dynamic_ncols=True, smoothing=0.1)

    def on_done(result: Any, error: BaseException | None, info: dict[str, Any]) -> None:
        if error is not None:
            lines = str(error).strip().splitlines()
            text = "a worker process died (killed, or out of memory?)" if isinstance(error, cf.BrokenExecutor) \
                else (lines[0] if lines else "")
            outcome.failed.append((info.get("name", "?"), f"{type(error).__name__}: {text}"))
        else:
            outcome.done += 1
            if on_result is not None:
                on_result(result)
        if bar is not None:
            bar.update(1)

    try:
        with open_executor(executor, workers, scheduler) as (ex, slots):
            outcome.not_started = dispatch(ex, fn, tasks, max_in_flight=2 * slots, on_done=on_done)
    finally:
        if bar is not None:
            bar.close()
    return outcome
