"""A run whose state stopped being numbers fails loudly instead of reporting plausible ones.

Every parameter is checked against what the float32 kernels represent (``sim.config.base``), but two
legal values can still multiply past float32's range (a mood gain of 1e30 per contact, say). Infinity
then becomes NaN, and NaN compares false with every cut-off, so a run would report "loneliness 0.0%"
and ordinary hazards. :func:`check_finite` looks at the state the readouts come from at the end of a
run (one pass over a few arrays: well under a percent of a day's step) and raises
:class:`NumericalError` naming the parameters furthest from their defaults, the likely cause.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.config.errors import ScenarioError

#: The float state every readout is computed from (sim.state.People).
STATE_ARRAYS = ("mood", "loneliness", "perceived", "perceived_close", "contact_rate", "health", "habit",
                "relative_hazard", "desired")
#: A parameter counts as "far from its default" beyond this factor (and beyond this magnitude).
FAR = 1e3


class NumericalError(ScenarioError):
    """The simulated state became NaN or infinite: the scenario's numbers are too large together."""


def _leaves(data: Any, prefix: str = "") -> dict[str, float]:
    """{dotted path: value} of every float in a scenario dump (lists by index)."""
    out: dict[str, float] = {}
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        path = f"{prefix}{key}"
        if isinstance(value, (dict, list)):
            out.update(_leaves(value, path + "."))
        elif isinstance(value, float):  # (rates, gains, multipliers; not counts, days or the seed)
            out[path] = value
    return out


def suspects(scenario: Any, most: int = 3) -> list[str]:
    """``key=value`` of up to ``most`` floats of ``scenario`` far above their defaults (largest first)."""
    from sim.config import Scenario

    given = _leaves(scenario.model_dump(mode="json", exclude={"sweep", "sensitivity", "comparison"}))
    default = _leaves(Scenario().model_dump(mode="json", exclude={"sweep", "sensitivity", "comparison"}))
    far = []
    for path, value in given.items():
        base = max(abs(default.get(path, 1.0)), 1.0)
        if abs(value) > FAR * base:
            far.append((abs(value) / base, f"{path}={value:g}"))
    return [text for _, text in sorted(far, reverse=True)[:most]]


def check_finite(sim: Any) -> None:
    """Raise :class:`NumericalError` if any living person's float state is NaN or infinite."""
    people = sim.people
    alive = people.alive
    for name in STATE_ARRAYS:
        values = getattr(people, name, None)
        if values is None or values.dtype.kind != "f":
            continue
        if not np.isfinite(values[alive]).all():
            hint = suspects(sim.scenario)
            cause = (f"; the parameters furthest from their defaults: {', '.join(hint)}" if hint
                     else "; a combination of parameters is too large together")
            raise NumericalError(f"{sim.scenario.name}: the simulated state became NaN or infinite "
                                 f"(people's {name}, by day {sim.day}): the run's numbers would be meaningless, so "
                                 f"nothing is reported{cause}")
