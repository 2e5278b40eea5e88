"""lonesim: an agent-based model of loneliness, social connection and health (see README.md and docs/architecture.md).

The Python API (docs/api.md)::

    import sim
    res = sim.run("scenarios/baseline.yaml", seed=1, population__size=2000)
    res.timeseries          # one row a day (pandas DataFrame)
    res.plot()

``run``, ``sweep``, ``compare``, ``sensitivity``, ``load`` and the result classes live in :mod:`sim.api`
and :mod:`sim.api_results`; they are imported on first use, so ``import sim.<module>`` (what every
worker process does) stays as light as before.
"""

from __future__ import annotations

from importlib import metadata as _metadata

try:
    __version__: str = _metadata.version("lonesim")  # single source: pyproject.toml's [project] version
except _metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"

#: Public names and the module each comes from (imported lazily by :func:`__getattr__`).
_API = {"run": "sim.api", "sweep": "sim.api", "compare": "sim.api", "sensitivity": "sim.api", "load": "sim.api",
        "RunResult": "sim.api_results", "BatchResult": "sim.api_results", "Scenario": "sim.config",
        "ScenarioError": "sim.config"}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    """The public API, imported when first used (PEP 562)."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, with the lazily imported public API."""
    return sorted(set(globals()) | set(_API))
