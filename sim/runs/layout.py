"""How lonesim's output folders are laid out on disk, and how to tell a finished run folder.

A run folder (``sim.results.write_run``) is written under a temporary name (``.<name>.tmp-xxxx``) and
renamed into place when complete; :func:`run_complete` also checks its files really reached the
disk. A sweep folder holds ``sweep.json`` and one run folder per (point, replicate) in ``runs/``.
Everything that reads or writes these folders (sweeps, comparisons, sensitivity analyses, reports)
takes the names and checks from here, and the scaffolding every batch shares: the one error type
(:class:`BatchError`), the one outcome (:class:`BatchOutcome`), the one atomic writer
(:func:`write_atomic`), the one manifest reader (:func:`read_manifest`), the one folder preparation
(:func:`claim_folder` then :func:`prepare_folder`) and the one leftover cleaner (:func:`remove_leftovers`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.folders import LEFTOVER, try_lock
from sim.results import clean_leftovers, write_json

SWEEP_MANIFEST = "sweep.json"
RUNS_DIR = "runs"
#: Names of run folders in a sweep (:func:`run_name`).
RUN_NAME = re.compile(r"p[0-9]+-r[0-9]+")


class BatchError(Exception):
    """A batch of runs (sweep, comparison, sensitivity analysis) could not be started, finished or
    reported. ``str(err)`` is the whole user-facing message."""


#: The name this error had when only sweeps raised it (the same class).
SweepError = BatchError


@dataclass
class BatchOutcome:
    """What a batch did (:func:`sim.runs.executors.run_batch`, and every ``run_sweep`` / ``run_comparison``
    / ``run_sensitivity``): runs done, kept from before (``skipped``), redone because incomplete, failed
    (``(name, one-line reason)``), not started; leftovers removed; wall time in seconds; whether the
    analysis was written (sensitivity) and the notes it left."""

    folder: Path | None = None
    total: int = 0
    skipped: int = 0
    done: int = 0
    redone_incomplete: int = 0
    leftovers_removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_started: int = 0
    seconds: float = 0.0
    analysed: bool = False
    notes: list[str] = field(default_factory=list)


def run_name(point: int, replicate: int, n_points: int = 1, n_replicates: int = 1) -> str:
    """Folder name of run (point, replicate): ``p000-r000``, zero-padded to fit the largest index.

    >>> run_name(3, 11, 10, 12)
    'p003-r011'
    """
    wp = max(3, len(str(n_points - 1)))
    wr = max(3, len(str(n_replicates - 1)))
    return f"p{point:0{wp}d}-r{replicate:0{wr}d}"


def _parquet_ok(path: Path) -> bool:
    try:
        size = path.stat().st_size
        if size < 12:
            return False
        with path.open("rb") as f:
            head = f.read(4)
            f.seek(-4, os.SEEK_END)
            tail = f.read(4)
        return head == b"PAR1" and tail == b"PAR1"
    except OSError:
        return False


def run_complete(folder: Path) -> bool:
    """A run folder renamed into place is complete; also check its files really reached the disk."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    try:
        for name in ("manifest.json", "summary.json"):
            if not isinstance(json.loads((folder / name).read_text(encoding="utf-8")), dict):
                return False
    except (OSError, ValueError):
        return False
    return all(_parquet_ok(folder / n) for n in ("timeseries.parquet", "edges.parquet"))


def is_leftover(name: str) -> bool:
    """Temporary folders of sim.results.write_run: ``.<name>.tmp-xxxxxxxx`` and ``.<name>.old-xxxxxxxx``."""
    return LEFTOVER.match(name) is not None


def remove_leftovers(runs_dir: Path, files: bool = False) -> int:
    """Remove temporary folders that killed runs left in ``runs_dir`` (never one a live process holds)
    and, with ``files``, temporary files (``.<name>.tmp-xxxxxxxx`` of :func:`write_atomic`); returns how
    many were dealt with."""
    runs_dir = Path(runs_dir)
    n = len(clean_leftovers(runs_dir)) if runs_dir.is_dir() else 0
    if files and runs_dir.is_dir():
        for entry in sorted(runs_dir.iterdir()):
            if is_leftover(entry.name) and not entry.is_dir():
                entry.unlink(missing_ok=True)
                n += 1
    return n


@contextlib.contextmanager
def sweep_lock(folder: Path, what: str = "sweep") -> Iterator[None]:
    """Hold a batch folder's lock (an ``flock`` on the folder) for the ``with`` block, or raise
    :class:`BatchError` at once if another lonesim process holds it. The kernel drops the lock of a
    process that dies, so a killed batch never leaves its folder locked. ``what`` names the batch in
    the message (``sweep``, ``comparison``, ``sensitivity analysis``): every batch folder is locked alike."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise BatchError(f"{folder}: cannot open the {what} folder ({exc.strerror or exc})") from None
    try:
        if try_lock(fd) is False:
            raise BatchError(f"{folder}: another lonesim {what} is running in this folder; wait for it to end "
                             "(or stop it), then run again with --resume")
        yield
    finally:
        os.close(fd)


# =========================================================================== writing and reading
def write_atomic(path: Path, write: Callable[[Path], Any], keep_suffix: bool = False) -> None:
    """Call ``write(tmp)`` for a temporary path beside ``path``, then rename it into place: a reader
    sees the old file or the whole new one, never half a file; on any failure (or an interrupt) the
    temporary file is removed and ``path`` is untouched.

    The temporary name is ``.<name>.tmp-xxxxxxxx`` (:func:`is_leftover` knows it, so a killed writer's
    file is cleaned up later), or with ``keep_suffix`` ``.<stem>.tmp-xxxxxxxx<suffix>`` for writers that
    choose the format from the suffix (matplotlib's ``savefig``)."""
    path = Path(path)
    tag = uuid.uuid4().hex[:8]
    tmp = path.with_name(f".{path.stem}.tmp-{tag}{path.suffix}" if keep_suffix else f".{path.name}.tmp-{tag}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`write_atomic`)."""
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` atomically (:func:`write_atomic`)."""
    write_atomic(path, lambda tmp: write_json(tmp, data))


def read_manifest(folder: Path, name: str, kind: str,
                  problem: Callable[[Any], str | None] | None = None) -> dict[str, Any]:
    """The manifest ``name`` (``sweep.json``, ``comparison.json``, ``sensitivity.json``) of a ``kind``
    folder, as a dict; :class:`BatchError` with one line saying what is wrong otherwise (no such folder,
    not a folder of that kind, unreadable, or ``problem(manifest)``'s answer about its shape)."""
    folder = Path(folder)
    path = folder / name
    if not folder.is_dir():
        raise BatchError(f"{folder}: no such {kind} folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BatchError(f"{folder}: not a {kind} folder (no {name})") from None
    except (OSError, ValueError) as exc:
        raise BatchError(f"{path}: unreadable {kind} manifest ({exc})") from None
    what = "not a JSON object" if not isinstance(manifest, dict) else problem(manifest) if problem else None
    if what:
        raise BatchError(f"{path}: not a lonesim {kind} manifest ({what})")
    return manifest


# =========================================================================== the batch folder
def claim_folder(folder: Path, kind: str, resume: bool) -> bool:
    """Create the batch folder (atomically: of two batches started at once, one gets it), or accept an
    existing one with ``resume``. Returns whether it was created. Raises :class:`BatchError`."""
    from sim.config import ScenarioError
    from sim.results import check_writable

    folder = Path(folder)
    if os.path.lexists(folder):
        if not folder.is_dir():
            raise BatchError(f"{folder}: exists and is not a folder")
        if not resume:
            raise BatchError(f"{folder}: {kind} folder already exists (add --resume to finish it, "
                             "or choose another --out)")
        return False
    try:
        check_writable(folder.parent)
    except ScenarioError as exc:
        raise BatchError(str(exc)) from None
    try:
        folder.mkdir()
    except FileExistsError:
        if not resume:
            raise BatchError(f"{folder}: {kind} folder already exists (another {kind} just created it; "
                             "add --resume to join it once it has ended, or choose another --out)") from None
        return False
    return True


def prepare_folder(folder: Path, created: bool, *, kind: str, name: str, manifest: dict[str, Any],
                   defining: Iterable[str], differs: str, subdirs: Iterable[str] = (RUNS_DIR,)
                   ) -> dict[str, Any] | None:
    """Write a new batch folder's manifest ``name``, or check that an existing folder (``created`` False:
    resumed) belongs to this batch: its manifest's ``defining`` keys must equal ``manifest``'s, else
    :class:`BatchError` (``differs`` says what differs, e.g. "scenario, seed or sweep block"). A folder
    without a manifest is adopted only when empty. The ``subdirs`` are created either way.

    Returns the existing manifest when resuming one, None when it wrote ``manifest``."""
    folder = Path(folder)
    path = folder / name
    old = None
    if not created and os.path.lexists(path):
        old = read_manifest(folder, name, kind)
        new = json.loads(json.dumps(manifest))  # as it reads back from disk (tuples become lists ...)
        if any(old.get(k) != new.get(k) for k in defining):
            raise BatchError(f"{folder}: was started with a different {differs}; resume it with the same file "
                             "and options, or choose another --out")
    elif not created and any(folder.iterdir()):
        raise BatchError(f"{folder}: not a {kind} folder (no {name}); will not touch it")
    for sub in subdirs:
        (folder / sub).mkdir(exist_ok=True)
    if old is None:
        write_json_atomic(path, manifest)  # last: a folder with a manifest is ours to resume
    return old


def unclaim_folder(folder: Path, created: bool) -> None:
    """After a batch failed to start: remove the folder it created if no run reached it (it holds only
    its manifest and empty sub-folders), so the same command works once the cause is fixed."""
    folder = Path(folder)
    if created and not any(any(sub.iterdir()) for sub in folder.iterdir() if sub.is_dir()):
        shutil.rmtree(folder, ignore_errors=True)
