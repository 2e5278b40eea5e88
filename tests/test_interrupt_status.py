"""Ctrl-C ends `python -m sim` with status 130 wherever it lands (issue 20).

On a loaded machine `tests/test_hostile_folders.py::test_ctrl_c_during_the_simulation_ends_with_one_line`
once saw status -2: the command had caught the interrupt and printed its line, but the interrupt had
landed inside code run from a string (``exec``/``eval``, as namedtuple, dataclasses and numba do while
modules load), which leaves CPython 3.12's "unhandled KeyboardInterrupt" flag set, and ``python -m``
then ends the process by SIGINT. Here the interrupt is made to land in such code on purpose."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, limits

# Runs the real CLI with the simulation replaced by a Ctrl-C raised inside string-executed code.
_MODULE = '''
import sim.simulation

def _interrupted(self, *args, **kwargs):
    exec("raise KeyboardInterrupt", {})

sim.simulation.Simulation.run = _interrupted

from sim.cli import main

main(prog_name="lonesim")
'''


def test_ctrl_c_inside_string_executed_code_still_exits_130(tmp_path):
    (tmp_path / "interrupted_lonesim.py").write_text(_MODULE)
    res = subprocess.run([sys.executable, "-m", "interrupted_lonesim", "run", "scenarios/baseline.yaml", "--out",
                          str(tmp_path / "run"), "--set", "population.size=300", "--set", "days=3",
                          "--set", "burn_in_days=0", "--no-figures"],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"},
                         capture_output=True, text=True, timeout=120, preexec_fn=limits())
    assert res.returncode == 130, (res.returncode, res.stderr[-1500:])
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1] == "interrupted: nothing was written"
    assert not (tmp_path / "run").exists()
