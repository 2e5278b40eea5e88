"""Shared helpers: small scenarios and the CLI run as a user runs it (a subprocess)."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import Scenario

ROOT = Path(__file__).resolve().parents[1]


def small(**overrides) -> Scenario:
    """A small, quick scenario with dotted-path overrides (``small(**{"population.size": 50})``)."""
    base = {"population.size": 400, "days": 30, "burn_in_days": 10}
    base.update(overrides)
    return Scenario().with_overrides(base)


def lonesim(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` and return the completed process (text output)."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def cli():
    return lonesim


#: Address-space limit of a hostile-input case, MB: a tiny `lonesim run` reserves ~2 GB of address space
#: (numba's threads and LLVM), so this bounds what a case may allocate beyond that to about 2 GB.
MEMORY_LIMIT_MB = 4096


def limits(memory_mb: int = MEMORY_LIMIT_MB):
    """A ``preexec_fn``: cap the child's address space at ``memory_mb`` MB and let it receive Ctrl-C
    (a shell's background jobs, and so the test runner, may ignore SIGINT; children inherit that)."""
    def preexec() -> None:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return preexec


def lonesim_limited(*args: str, cwd: Path | None = None, timeout: float = 120, memory_mb: int = MEMORY_LIMIT_MB,
                    input: str | None = None) -> subprocess.CompletedProcess:
    """``lonesim ARGS`` as a subprocess under a timeout and an address-space limit (hostile-input cases)."""
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limits(memory_mb), input=input)


def start_lonesim(*args: str, cwd: Path | None = None, memory_mb: int = MEMORY_LIMIT_MB, **popen) -> subprocess.Popen:
    """Start ``lonesim ARGS`` in the background under the address-space limit (text pipes for its output)."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([sys.executable, "-m", "sim", *map(str, args)], cwd=cwd or ROOT, text=True,
                            preexec_fn=limits(memory_mb), **popen)


def assert_one_clear_error(res: subprocess.CompletedProcess, *expected: str) -> str:
    """Exit status 2, no traceback, stderr ending in ``error: <where>: ...`` lines (one per problem; what
    came before is the command's progress), ``expected`` texts among them; returns the error lines."""
    err = res.stderr
    assert res.returncode == 2, (res.returncode, err[-2000:])
    assert "Traceback" not in err + res.stdout and "internal error" not in err, err[-2000:]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: "), err[-2000:]
    err = "\n".join(ln for ln in lines if ln.startswith("error: ")) + "\n"
    for text in expected:
        assert text in err, (text, err[-2000:])
    return err
