"""The memory estimate (sim/memory.py) against measured peaks: ``lonesim run`` at two sizes in fresh
processes, peak resident memory from the kernel (``wait4``). When the model's state grows, this fails
until the costs are re-measured: ``python benchmarks/memory.py`` prints the fitted ones."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sim.config import Scenario
from sim.memory import estimate_bytes
from tests.conftest import ROOT


def peak_rss(sets: dict[str, object], tmp_path) -> int:
    args = [sys.executable, "-m", "sim", "run", "scenarios/baseline.yaml", "--out", str(tmp_path / "run"), "-q"]
    args += [x for k, v in sets.items() for x in ("--set", f"{k}={v}")]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.stderr.read().decode()[-2000:]
    return usage.ru_maxrss * 1024


@pytest.mark.parametrize("people", [100_000, 400_000])
def test_estimate_covers_the_measured_peak_without_wasting_memory(tmp_path, people):
    sets = {"population.size": people, "days": 5, "burn_in_days": 2, "network.generator": "arrays"}
    measured = peak_rss(sets, tmp_path)
    estimate = estimate_bytes(Scenario().with_overrides(sets)).total
    assert measured <= estimate <= 1.8 * measured, (people, measured / 1e6, estimate / 1e6)
