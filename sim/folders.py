"""Output folders on disk: locks, temporary folders, and putting a finished folder in place.

What lonesim promises about its output folders (docs/output-folders.md) is kept here:

* A folder is written under a temporary name in the same parent (``.<name>.tmp-<hex>``) and renamed
  into place when complete. While it lives, its writer holds an ``flock(2)`` on it, so a temporary
  folder that nobody holds was left by a killed process: :func:`remove_stale` removes it (the
  kernel drops the lock of a dead process, even after ``kill -9``).
* The final rename happens under an ``flock`` on the parent folder, after the destination is checked
  again: with ``unique`` a name that is taken becomes ``<name>-2``, ``-3`` ... (so two runs started
  at once get two folders); otherwise a taken name is an error, unless replacing it is allowed and
  ``replaceable`` says the folder there is one lonesim wrote (and nobody replaced it meanwhile).
* A replaced folder is first renamed to ``.<name>.old-<hex>``; if the process dies before the new
  folder is in place, :func:`remove_stale` puts the old one back.

On a filesystem without ``flock`` (some network filesystems), locking is skipped: writes stay atomic,
but two processes are not kept apart.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sim.config.errors import ScenarioError

#: Names of temporary (``tmp``) and replaced (``old``) folders: ``.<name>.tmp-<8 hex digits>``.
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-[0-9a-f]{8}$")


def _open_dir(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))


def try_lock(fd: int) -> bool | None:
    """Take an exclusive ``flock`` on ``fd`` without waiting: True if taken, False if another process
    holds it, None if the filesystem does not support locking."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        return None


@contextlib.contextmanager
def locked_dir(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the folder ``path`` (waiting for it) for the ``with`` block.

    Held only for short steps (checking a destination and renaming into it), so waiting is brief."""
    fd = _open_dir(path)
    try:
        with contextlib.suppress(OSError):  # no flock on this filesystem: go on unlocked
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


#: :func:`identity` of a path where nothing is.
ABSENT = (-1, -1)


def identity(path: Path) -> tuple[int, int]:
    """``(device, inode)`` of ``path`` (not following a symlink), or :data:`ABSENT` when nothing is there."""
    try:
        st = os.lstat(path)
    except OSError:
        return ABSENT
    return st.st_dev, st.st_ino


class TempFolder:
    """A temporary folder ``.<name>.tmp-<hex>`` beside the destination, locked while this object lives.

    Use as a context manager: leaving the block by an exception (Ctrl-C included) removes the folder;
    :meth:`publish` renames it into place.
    """

    def __init__(self, parent: Path, name: str):
        self.parent = Path(parent)
        self.name = name
        self.fd: int | None = None
        with locked_dir(self.parent):  # a cleaner holding the parent never sees it unlocked
            self.path = self.parent / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
            self.path.mkdir()
            self.fd = _open_dir(self.path)
            try_lock(self.fd)

    def __enter__(self) -> TempFolder:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            self.discard()
        self._release()

    def _release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def discard(self) -> None:
        """Remove the temporary folder (if it is still there)."""
        if self.path is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def publish(self, dest: Path, unique: bool = False, replaceable: Callable[[Path], str | None] | None = None,
                expected: tuple[int, int] | None = None) -> Path:
        """Rename the folder to ``dest`` (or, with ``unique``, to the first free ``dest-2``, ``dest-3`` ...).

        A ``dest`` that exists is replaced only when ``replaceable`` is given and returns None for it
        (else its text is the reason to refuse). When ``expected`` is given (an :func:`identity` taken
        before the run), whatever is at ``dest`` must still be that (the same folder, or still nothing),
        so two runs replacing one folder at once cannot silently undo each other. Raises :class:`ScenarioError`.
        """
        dest = Path(dest)
        with locked_dir(self.parent):
            if unique:
                dest = free_name(dest)
            if expected is not None and not unique and identity(dest) != expected:
                raise ScenarioError(f"{dest}: another process wrote or replaced this folder while this run ran; "
                                    "this run's result was not written")
            if not os.path.lexists(dest):
                os.rename(self.path, dest)
                self.path = None
                return dest
            if replaceable is None:
                raise ScenarioError(f"{dest}: run folder already exists (choose another --out, or --overwrite)")
            reason = replaceable(dest)
            if reason:
                raise ScenarioError(f"{dest}: --overwrite replaces only a lonesim run folder: {reason}; nothing was written")
            old_fd = _open_dir(dest)
            try:
                try_lock(old_fd)
                trash = self.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
                os.rename(dest, trash)
                os.rename(self.path, dest)
                self.path = None
                shutil.rmtree(trash, ignore_errors=True)
            finally:
                os.close(old_fd)
        return dest


def free_name(dest: Path) -> Path:
    """``dest`` if nothing is there, else the first of ``dest-2``, ``dest-3`` ... that is free."""
    if not os.path.lexists(dest):
        return dest
    k = 2
    while os.path.lexists(dest.parent / f"{dest.name}-{k}"):
        k += 1
    return dest.parent / f"{dest.name}-{k}"


def remove_stale(parent: Path, removable: Callable[[Path], bool] | None = None) -> list[str]:
    """Deal with the leftovers of killed writers in ``parent``; return what was done, one line each.

    A temporary folder that no process holds is removed (only if ``removable`` accepts it, e.g. when
    it holds nothing but files lonesim writes); a replaced folder whose replacement never arrived is
    renamed back to its name. Folders some process holds are left alone.
    """
    parent = Path(parent)
    done: list[str] = []
    if not parent.is_dir():
        return done
    try:
        entries = sorted(e for e in os.listdir(parent) if LEFTOVER.match(e))
    except OSError:
        return done
    if not entries:
        return done
    with locked_dir(parent):
        for entry in entries:
            path = parent / entry
            if path.is_symlink() or not path.is_dir():
                continue
            try:
                fd = _open_dir(path)
            except OSError:
                continue
            try:
                if try_lock(fd) is not True:  # in use, or no way to tell: leave it
                    continue
                m = LEFTOVER.match(entry)
                original = parent / m.group("name")
                if m.group("kind") == "old" and not os.path.lexists(original):
                    os.rename(path, original)
                    done.append(f"restored {original.name} from {entry}, left by an interrupted --overwrite")
                elif removable is None or removable(path):
                    shutil.rmtree(path, ignore_errors=True)
                    done.append(f"removed {entry}, a temporary folder left by an interrupted run")
            finally:
                os.close(fd)
    return done
