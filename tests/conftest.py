"""Shared helpers: small scenarios and the CLI run as a user runs it (a subprocess)."""

from __future__ import annotations

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
