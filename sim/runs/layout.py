"""How lonesim's output folders are laid out on disk, and how to tell a finished run folder.

A run folder (``sim.results.write_run``) is written under a temporary name (``.<name>.tmp-xxxx``) and
renamed into place when complete; :func:`run_complete` also checks its files really reached the
disk. A sweep folder holds ``sweep.json`` and one run folder per (point, replicate) in ``runs/``.
Everything that reads or writes these folders (sweeps, comparisons, sensitivity analyses, reports)
takes the names and checks from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.folders import LEFTOVER, try_lock
from sim.results import clean_leftovers, write_json

SWEEP_MANIFEST = "sweep.json"
RUNS_DIR = "runs"
#: Names of run folders in a sweep (:func:`run_name`).
RUN_NAME = re.compile(r"p[0-9]+-r[0-9]+")


class SweepError(Exception):
    """A batch of runs could not be started or finished. ``str(err)`` is the whole user-facing message."""


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


def remove_leftovers(runs_dir: Path) -> int:
    """Remove temporary folders that killed runs left in ``runs_dir`` (never one a live process holds);
    returns how many were dealt with."""
    return len(clean_leftovers(runs_dir))


@contextlib.contextmanager
def sweep_lock(folder: Path, what: str = "sweep") -> Iterator[None]:
    """Hold a batch folder's lock (an ``flock`` on the folder) for the ``with`` block, or raise
    :class:`SweepError` at once if another lonesim process holds it. The kernel drops the lock of a
    process that dies, so a killed batch never leaves its folder locked. ``what`` names the batch in
    the message (``sweep``, ``comparison``, ``sensitivity analysis``): every batch folder is locked alike."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise SweepError(f"{folder}: cannot open the {what} folder ({exc.strerror or exc})") from None
    try:
        if try_lock(fd) is False:
            raise SweepError(f"{folder}: another lonesim {what} is running in this folder; wait for it to end "
                             "(or stop it), then run again with --resume")
        yield
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename (never half a file)."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename (never half a file)."""
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    write_json(tmp, data)
    os.replace(tmp, path)
