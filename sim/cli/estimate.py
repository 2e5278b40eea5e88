"""The line a dry run ends with: how long the batch would take on this machine (:mod:`sim.runs.estimate`)."""

from __future__ import annotations

from collections.abc import Sequence


def estimate_line(runs: Sequence[tuple[int, int]], workers: int | None) -> str:
    """``estimated time on this machine: about 12 min (...)`` for runs ``(people, days)``, with ``workers``
    local processes (None: a Dask cluster, estimated for one local process)."""
    from sim.runs.estimate import batch_seconds, human_seconds, speed

    rates = speed()
    procs = workers if workers is not None else 1
    seconds = batch_seconds(runs, procs, rates)
    person_days = sum(n * d for n, d in runs)
    how = (f"{procs} worker process(es)" if workers is not None
           else "one process here; a Dask cluster divides it by its workers")
    return (f"estimated time on this machine: about {human_seconds(seconds)} ({len(runs)} runs, "
            f"{person_days:.3g} person-days at {rates['seconds_per_person_day'] * 1e6:.2g} µs each, on {how})")
