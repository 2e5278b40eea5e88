"""How lonesim's output folders are laid out on disk, and how to tell a finished run folder.

A run folder (``sim.results.write_run``) is written under a temporary name (``.<name>.tmp-xxxx``) and
renamed into place when complete; :func:`run_complete` also checks its files really reached the
disk. A sweep folder holds ``sweep.json`` and one run folder per (point, replicate) in ``runs/``.
Everything that reads or writes these folders (sweeps, comparisons, sensitivity analyses, reports)
takes the names and checks from here.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from sim.results import write_json

SWEEP_MANIFEST = "sweep.json"
RUNS_DIR = "runs"


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
            json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(_parquet_ok(folder / n) for n in ("timeseries.parquet", "edges.parquet"))


def is_leftover(name: str) -> bool:
    """Temporary folders of sim.results.write_run: ``.<name>.tmp-xxxx`` and ``.<name>.old-xxxx``."""
    return name.startswith(".") and (".tmp-" in name or ".old-" in name)


def remove_leftovers(runs_dir: Path) -> int:
    """Remove leftover temporary folders in ``runs_dir``; returns how many."""
    n = 0
    if runs_dir.is_dir():
        for entry in sorted(runs_dir.iterdir()):
            if is_leftover(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
                n += 1
    return n


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename (never half a file)."""
    tmp = path.parent / f".{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    write_json(tmp, data)
    os.replace(tmp, path)
