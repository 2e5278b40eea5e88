"""Every compiled kernel agrees with its own interpreted body (``.py_func``) on small inputs (issue 17).

The kernels are found by scanning the package for numba dispatchers, so a new kernel is covered without
writing anything here. Their inputs are real ones: a small town (a programme, a shock, a survey, deaths
on) is simulated once to compile every kernel, then again with every dispatcher wrapped so that the first
call of each records its arguments. Each recorded call is then replayed on copies through the compiled
kernel and through ``py_func`` (plain Python and numpy; ``prange`` is ``range``), and everything each
returns and every array it changes in place are compared: integers and booleans exactly, floats to a
relative 1e-9, or 1e-5 where float32 arrays go in (numba computes ``max(float32, 0.0) * x`` in float64;
interpreted numpy 2 keeps float32 when a Python float meets a float32 scalar, so its sums of float32
values are float32 sums).

A kernel the small town never calls is reported as skipped (with its name), not passed.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from typing import Any

import numba
import numpy as np
import pytest

import sim

pytestmark = pytest.mark.model

#: Modules not scanned: the browser page and the command line hold no kernels and import heavy packages.
SKIP_PREFIXES = ("sim.viz", "sim.cli", "sim.__main__")


def _modules() -> list[Any]:
    out = []
    for info in pkgutil.walk_packages(sim.__path__, "sim."):
        if not info.name.startswith(SKIP_PREFIXES):
            out.append(importlib.import_module(info.name))
    return out


def _kernels() -> dict[str, Any]:
    """{module.name: dispatcher} of every compiled kernel, under the module that defines it."""
    found = {}
    for mod in _modules():
        for name, obj in vars(mod).items():
            if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.py_func.__module__ == mod.__name__:
                found[f"{mod.__name__}.{name}"] = obj
    return dict(sorted(found.items()))


KERNELS = _kernels()


def _scenario():
    from sim.config import Scenario

    return Scenario().with_overrides({
        "population.size": 250, "days": 12, "burn_in_days": 2, "seed": 3, "mortality.simulate_deaths": True,
        "output.survey_days": [0, 11],
        "interventions": [{"kind": "group_activity", "start_day": 1, "duration_days": 5, "coverage": 0.2},
                          {"kind": "social_cognition", "start_day": 0, "duration_days": 8, "coverage": 0.1},
                          {"kind": "befriending", "start_day": 0, "duration_days": 8, "coverage": 0.1}],
        "shocks": [{"start_day": 3, "duration_days": 3, "tie_removal_fraction": 0.2}],
    })


def _run_small_town() -> None:
    """Simulate the small town and write its run folder (the tables' kernels run there), figures off."""
    import tempfile
    from pathlib import Path

    from sim.results import fill_run_folder
    from sim.simulation import Simulation

    sim_ = Simulation(_scenario())
    sim_.run()
    sim_.summary()
    with tempfile.TemporaryDirectory() as tmp:
        fill_run_folder(sim_, Path(tmp), figures=False)


@pytest.fixture(scope="module")
def recorded() -> dict[str, tuple[tuple, dict]]:
    """The first call's arguments of every kernel the small town calls from Python."""
    _run_small_town()  # compile every signature first: the wrappers below must never be compiled against
    calls: dict[str, tuple[tuple, dict]] = {}
    by_id = {id(k): name for name, k in KERNELS.items()}
    patched: list[tuple[Any, str, Any]] = []

    def wrap(name: str, kernel: Any) -> Any:
        def recorder(*args: Any, **kwargs: Any) -> Any:
            if name not in calls:
                calls[name] = (copy.deepcopy(args), copy.deepcopy(kwargs))
            return kernel(*args, **kwargs)
        return recorder

    for mod in _modules():
        for attr, obj in list(vars(mod).items()):
            if id(obj) in by_id and isinstance(obj, numba.core.registry.CPUDispatcher):
                patched.append((mod, attr, obj))
                setattr(mod, attr, wrap(by_id[id(obj)], obj))
    try:
        _run_small_town()
    finally:
        for mod, attr, obj in patched:
            setattr(mod, attr, obj)
    return calls


#: Kernels whose interpreted body means something else than the compiled one (reported to the lead):
#: numpy adds two booleans as a logical "or", numba as integers, so ``py_func`` counts at most 1.
DIFFERENT_IN_PYTHON = {
    "sim.survey._classify": "adds booleans ((partner < 0) + ...): an 'or' in numpy, a count in numba",
}


def _same(a: Any, b: Any, where: str, rtol: float = 1e-9) -> None:
    if isinstance(a, tuple) or isinstance(b, tuple):
        assert isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]", rtol)
        return
    x, y = np.asarray(a), np.asarray(b)
    assert x.shape == y.shape, f"{where}: shape {x.shape} != {y.shape}"
    if np.issubdtype(x.dtype, np.floating) or np.issubdtype(y.dtype, np.floating):
        rtol = max(rtol, 1e-5) if np.float32 in (x.dtype, y.dtype) else rtol
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * 1e-3, err_msg=where)
    else:
        np.testing.assert_array_equal(x, y, err_msg=where)


@pytest.mark.parametrize("name", list(KERNELS))
def test_compiled_kernel_matches_its_interpreted_body(name, recorded):
    if name not in recorded:
        pytest.skip(f"{name}: not called from Python by the small town (called only inside other kernels, or "
                    "by set-ups the small town does not reach)")
    if name in DIFFERENT_IN_PYTHON:
        pytest.xfail(DIFFERENT_IN_PYTHON[name])
    kernel = KERNELS[name]
    args, kwargs = recorded[name]
    single = any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in (*args, *kwargs.values()))
    rtol = 1e-5 if single else 1e-9
    c_args, c_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    p_args, p_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    compiled = kernel(*c_args, **c_kwargs)
    interpreted = kernel.py_func(*p_args, **p_kwargs)
    _same(compiled, interpreted, f"{name}: result", rtol)
    for i, (c, p) in enumerate(zip(c_args, p_args)):
        if isinstance(c, np.ndarray):  # arrays the kernel changes in place
            _same(c, p, f"{name}: argument {i} after the call", rtol)


def test_the_small_town_reaches_most_kernels(recorded):
    """The replay covers most kernels: at least two thirds are called from Python (the rest are helpers
    compiled into other kernels, or set-ups a small town does not reach)."""
    top = [n for n in KERNELS if n in recorded]
    assert len(top) >= 2 / 3 * len(KERNELS), sorted(set(KERNELS) - set(top))
