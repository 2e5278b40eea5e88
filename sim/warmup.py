"""Compile the daily kernels into numba's on-disk cache (``scripts/install.sh`` calls this once).

A fresh checkout has no compiled kernels: the first simulated day would compile them all (about
30 s of CPU here, the parallel kernels being the slow ones). Later processes load them from the
cache in ``__pycache__`` in about a second.
"""

from __future__ import annotations

import time


def warm_up() -> float:
    """Simulate a tiny town for two days (every mechanism, deaths on, a survey) and a generic-graph town;
    returns the seconds it took."""
    from sim.config import Scenario
    from sim.simulation import Simulation

    t0 = time.perf_counter()
    sc = Scenario().with_overrides({"population.size": 300, "days": 2, "burn_in_days": 1,
                                    "mortality.simulate_deaths": True, "output.survey_days": [0]})
    Simulation(sc).run().summary()
    Simulation(sc.with_overrides({"network.kind": "watts_strogatz"})).run()
    # kernels a tiny town may not reach in two days: someone retiring
    import numpy as np

    from sim.dynamics.life_events import _due_to_retire

    one = np.ones(1, bool)
    _due_to_retire(one, one, np.full(1, 70, np.float32), np.full(1, 65, np.float32))
    seconds = time.perf_counter() - t0
    if seconds > 5:
        print(f"install.sh: compiled the simulation kernels ({seconds:.0f} s, once)")
    return seconds
