"""Threads that suit a shared machine (issue 20; sim/_threads.py): the kernels sleep instead of spinning
while they wait, use the cores of the process's affinity (only the free ones under LONESIM_THREADS=free),
never oversubscribe a sweep, obey LONESIM_THREADS, and give the same bits whatever the count, even when it
changes in the middle of a run."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
import time

import pytest

from sim import _threads
from sim.config import Scenario
from tests.conftest import ROOT


def _python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("LONESIM_THREADS", "OMP_WAIT_POLICY")}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-1500:]
    return res.stdout.strip()


def test_threads_wait_passively_unless_the_user_says_otherwise():
    code = "import os, sim._core; print(os.environ['OMP_WAIT_POLICY'])"
    assert _python(code) == "passive"
    assert _python(code, OMP_WAIT_POLICY="active") == "active"


def test_free_cores_decide_the_count():
    assert _threads.threads_for(cap=2, cores=2, others=0.0) == 2
    assert _threads.threads_for(cap=2, cores=2, others=0.3) == 2
    assert _threads.threads_for(cap=2, cores=2, others=0.9) == 1   # a busy process beside the run
    assert _threads.threads_for(cap=2, cores=2, others=4.0) == 1   # never fewer than one
    assert _threads.threads_for(cap=1, cores=8, others=0.0) == 1   # a sweep worker's share caps it


def _busy(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


@pytest.mark.skipif(len(os.sched_getaffinity(0)) != 2, reason="measured on a 2-core machine")
def test_free_setting_beside_a_busy_process_uses_one_thread():
    """LONESIM_THREADS=free on a 2-core machine with something else running: the kernels drop to the free core."""
    stop = mp.Event()
    burner = mp.Process(target=_busy, args=(stop,), daemon=True)
    burner.start()
    try:
        time.sleep(0.5)
        out = _python(
            "import json, time\n"
            "from sim import _threads\n"
            "from sim._core import kernel_threads\n"
            "time.sleep(1.0)\n"  # an interval for the first look: the busy process holds a core throughout
            "with kernel_threads(100_000):\n"
            "    print(json.dumps([_threads.choose(), _threads.last_choice()]))\n", LONESIM_THREADS="free")
    finally:
        stop.set()
        burner.join()
    assert json.loads(out) == [1, 1]


def test_by_default_the_kernels_use_the_cores_of_the_affinity():
    code = ("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "import numba; from sim import _threads; from sim._core import kernel_threads\n"
            "with kernel_threads(100_000):\n"
            "    print(numba.get_num_threads(), _threads._adapt)")
    assert _python(code) == "1 False"  # numba's pool has a thread per core of the machine; one core is ours
    code = ("import os, numba; from sim import _threads; "
            "print(_threads.choose() == min(len(os.sched_getaffinity(0)), numba.config.NUMBA_NUM_THREADS))")
    assert _python(code) == "True"


def test_lonesim_threads_fixes_the_count_whatever_the_load():
    out = _python("from sim import _threads; import time; time.sleep(0.3); "
                  "print(_threads.choose(), _threads._adapt)", LONESIM_THREADS="2")
    assert out == "2 False"


def test_affinity_caps_the_cores():
    out = _python("import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
                  "from sim._core import available_cores; print(available_cores())")
    assert out == "1"


@pytest.mark.skipif(__import__("numba").config.NUMBA_NUM_THREADS < 2, reason="needs two kernel threads")
def test_same_bits_when_the_thread_count_changes_during_the_run(monkeypatch):
    """A town above SERIAL_BELOW whose thread count flips every day gives the bits of a one-thread run."""
    from sim.simulation import Simulation

    sc = Scenario().with_overrides({"population.size": 25_000, "days": 12, "burn_in_days": 3})
    _threads.set_threads(1, adapt=False)
    try:
        one = Simulation(sc).run()
        flips = iter([0.0, 1.5] * 100)  # others: idle, busy, idle, ... -> 2, 1, 2, ... threads
        monkeypatch.setattr(_threads, "RECHECK_S", 0.0)
        monkeypatch.setattr(_threads, "MIN_LOOK_S", 0.0)
        monkeypatch.setattr(_threads, "others_busy", lambda before, after: next(flips))
        monkeypatch.setattr(_threads, "available_cores", lambda: 2)
        _threads.set_threads(2, adapt=True)
        chosen = []
        sim = Simulation(sc)
        for _ in range(sc.days):
            sim.step()
            chosen.append(_threads.last_choice())
    finally:
        _threads.set_threads(None)
    assert set(chosen) == {1, 2}
    assert one.timeseries().equals(sim.timeseries())
    assert one.agents_frame().equals(sim.agents_frame())
