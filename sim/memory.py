"""How much memory a run needs, estimated from its scenario, and how much this machine has for it.

The commands check a scenario here before they allocate anything (``lonesim run``, ``sweep``,
``viz``, ``experiment``; ``validate`` reports it), so a town that cannot fit is refused with one line
that says how much it needs and how much there is, instead of a MemoryError (or the kernel's OOM killer)
minutes later.

The estimate is a sum of byte costs, all in :data:`COSTS`: a fixed cost per process, a cost per person,
per tie and per recorded day, extra costs per person and per tie when the graph is built with NetworkX,
and a cost per line when an edge list is read. The costs were measured, not derived: ``python
benchmarks/memory.py`` runs ``lonesim run`` at several sizes in fresh processes, takes each peak resident
memory from the kernel and fits the costs (table in benchmarks/results/memory.md); ``tests/test_memory.py``
checks the estimate against two measured runs. The model's state will grow (more per-person arrays,
a bigger tie table): re-run the benchmark and copy its fitted numbers here, rounded up.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.config import Scenario, ScenarioError

#: Byte costs of a run, measured by benchmarks/memory.py on this code (benchmarks/results/memory.md). Two fits
#: gave a process of 393-394 MB and, per person + 5 ties, 500-495 B (the split between person and tie
#: moves between fits: degrees 4-20 at 0.1-1 million people do not pin it down); rounded up here so that
#: every measured case is under the estimate (by 1.15-1.8x).
COSTS: dict[str, float] = {
    # a `lonesim run` process with its libraries loaded (Python, numpy, numba, pandas, pyarrow, matplotlib).
    # The benchmark fits ~400 MB, but ~100 MB of that is file-backed (the libraries' mapped pages), and how
    # much of it is resident depends on the page cache: right after an install (every library file just
    # written, so fully cached) a process maps ~100 MB more of them (measured: RssFile 207 vs 106 MB for the
    # same import). The estimate takes the freshly installed case.
    "process": 520e6,
    # per person: the state arrays, the day's temporaries, the agents table and its parquet file
    "per_person": 450.0,
    # per tie: the tie table (25% spare slots), CSR and key indexes, the generator's temporaries, edges.parquet
    "per_tie": 60.0,
    # extra per person and per tie when NetworkX builds the graph (network.generator, 'auto' up to 50,000 people)
    "networkx_per_person": 850.0,
    "networkx_per_tie": 280.0,
    # per recorded day: the time series (20 float64 a day) and its copies in the output tables (derived:
    # a million days take hours, so this one is not fitted)
    "per_day": 700.0,
    # per line of an edge-list file while it is read and its labels are mapped (Python strings and lists)
    "edgelist_per_line": 100.0,
    # address space a run reserves beyond what it touches (thread stacks, numba, allocator arenas): what
    # counts against `ulimit -v`, not against free memory
    "address_space_reserve": 1900e6,
}
#: Ties per person the population network (``network.kind: population``, the default) builds with the
#: default tie rates (partner, family, friends, work, acquaintances; sim/population/); measured by
#: benchmarks/memory.py (5.76 million ties for a million people).
POPULATION_TIES_PER_PERSON = 5.8
#: The estimate is the sum of the costs times this (the fit's largest under-estimate, with room).
MARGIN = 1.15
GB = 1e9


def human(nbytes: float) -> str:
    """``1.23 GB`` / ``456 MB``."""
    return f"{nbytes / GB:.2f} GB" if nbytes >= GB else f"{nbytes / 1e6:.0f} MB"


@dataclass
class Estimate:
    """The memory one run needs (``total``, bytes) and what it is made of."""

    people: int
    ties: float
    days: int
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Bytes one run's process needs at its peak (margin included)."""
        return MARGIN * sum(self.parts.values())

    mean_degree: float = 10.0

    @property
    def key(self) -> str:
        """The scenario key to change to need less: ``days`` or the edge list when they cost the most,
        ``network.mean_degree`` when it is far above the default, else ``population.size``."""
        big = max(self.parts, key=lambda k: self.parts[k] if k != "process" else -1)
        if big in ("days", "edge list"):
            return {"days": "days", "edge list": "network.path"}[big]
        return "network.mean_degree" if big == "ties" and self.mean_degree > 20 else "population.size"

    def describe(self) -> str:
        """``a run of 1,000,000 people (5,000,000 ties) x 365 days``."""
        return f"a run of {self.people:,} people ({self.ties:,.0f} ties) x {self.days:,} days"


def _edge_list_lines(path: str | None) -> int:
    """Lines of an edge-list file (a cheap count: the file is read in blocks)."""
    n = 0
    try:
        with open(path, "rb") as f:  # noqa: PTH123 - plain file reading
            for block in iter(lambda: f.read(1 << 20), b""):
                n += block.count(b"\n")
    except (OSError, TypeError, ValueError):
        return 0
    return n + 1


def estimate_bytes(scenario: Scenario) -> Estimate:
    """The peak memory of one run of ``scenario`` (bytes), from :data:`COSTS`."""
    from sim.networks import ARRAY_GENERATOR_THRESHOLD

    net = scenario.network
    parts: dict[str, float] = {"process": COSTS["process"]}
    if net.kind == "edgelist":
        lines = _edge_list_lines(net.path)
        if net.path and Path(net.path).suffix.lower() in (".graphml", ".xml"):
            lines = max(lines // 3, 1)  # about three lines of XML per edge
        people, ties = lines, float(lines)
        parts["edge list"] = lines * COSTS["edgelist_per_line"]
    else:
        people = scenario.population.size
        if net.kind == "population":
            ties = people * POPULATION_TIES_PER_PERSON
        else:
            ties = people * min(net.mean_degree, max(people - 1, 0)) / 2
    parts["people"] = people * COSTS["per_person"]
    parts["ties"] = ties * COSTS["per_tie"]
    array_families = ("watts_strogatz", "erdos_renyi", "holme_kim")
    # the population network is built by sim/population/ with arrays, whatever network.generator says
    uses_networkx = net.kind not in ("edgelist", "population") and not (
        net.kind in array_families and people >= 3
        and (net.generator == "arrays" or (net.generator == "auto" and people > ARRAY_GENERATOR_THRESHOLD)))
    if uses_networkx:
        parts["people"] += people * COSTS["networkx_per_person"]
        parts["ties"] += ties * COSTS["networkx_per_tie"]
    parts["days"] = scenario.days * COSTS["per_day"]
    return Estimate(people=people, ties=ties, days=scenario.days, parts=parts, mean_degree=net.mean_degree)


def _cgroup_room() -> float | None:
    """Memory left under this process's cgroup limit (v2, then v1), or None without a limit."""
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            limit = Path(limit_file).read_text().strip()
            usage = float(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or float(limit) >= 2**60:
            return None
        return float(limit) - usage
    return None


def room() -> list[tuple[float, str]]:
    """What limits memory here: ``[(bytes, what)]`` for free memory, a cgroup limit and ``ulimit -v``.

    The address-space entry is the limit itself (a run's whole process must fit under it)."""
    import psutil

    out = [(float(psutil.virtual_memory().available), "available memory")]
    cg = _cgroup_room()
    if cg is not None:
        out.append((cg, "left under this container's memory limit"))
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        out.append((float(soft), "the address-space limit (ulimit -v)"))
    return out


def check_fits(scenario: Scenario, where: Callable[[str], str] | str = "<scenario>", processes: int = 1) -> Estimate:
    """Raise :class:`ScenarioError` if ``processes`` runs of ``scenario`` at once cannot fit in this
    machine's memory (nothing is allocated); return the estimate. ``where`` starts the message: a text,
    or a function of the key to blame giving ``<file>:<line>``."""
    est = estimate_bytes(scenario)
    where = where(est.key) if callable(where) else where
    rss = _own_rss()
    for have, what in room():
        if what.startswith("the address-space"):
            need = est.total + COSTS["address_space_reserve"]  # per process: each worker has this limit
            if need > have:
                raise ScenarioError(f"{where}: {est.key}: {est.describe()} needs about {human(need)} of address "
                                    f"space; {what} is {human(have)} (make {est.key} smaller, or raise the limit)")
            continue
        need = est.total * processes - (rss if processes == 1 else 0)
        if need > have:
            runs = f"{est.describe()} needs about {human(est.total)}"
            if processes > 1:
                runs += f", and {processes} at once (--workers {processes}) {human(est.total * processes)}"
            advice = "use fewer --workers" if processes > 1 and est.total <= have else f"make {est.key} smaller"
            raise ScenarioError(f"{where}: {est.key}: {runs} of memory; {human(have)} is {what} ({advice})")
    return est


def _own_rss() -> float:
    """This process's resident memory (bytes): part of a run's ``process`` cost is already paid."""
    try:
        return float(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0.0


#: Float64 arrays of (hazard-ratio draws x days) and (draws x people) a comparison's read-outs hold at
#: once per arm and replicate (sim.runs.compare_stats.policy_readout: the daily differences and their
#: window sums; per person the deaths averted, their product with life expectancy, and a selection).
ANALYSIS_ARRAYS_PER_DAY = 3
ANALYSIS_ARRAYS_PER_PERSON = 4


def analysis_bytes(scenario: Scenario) -> float:
    """Bytes a comparison's analysis needs at its peak (0 without a comparison block): it scales with
    ``comparison.hr_draws`` x (people + days), after every run is done."""
    comp = scenario.comparison
    if comp is None:
        return 0.0
    per_draw = 8 * (ANALYSIS_ARRAYS_PER_DAY * scenario.days + ANALYSIS_ARRAYS_PER_PERSON * scenario.population.size)
    return MARGIN * comp.hr_draws * per_draw


def check_analysis_fits(scenario: Scenario, where: Callable[[str], str] | str = "<scenario>") -> float:
    """Raise :class:`ScenarioError` naming ``comparison.hr_draws`` when the comparison's analysis cannot fit
    in this machine's memory (checked before any run, not after all of them); return the bytes."""
    need = analysis_bytes(scenario)
    if need <= 0:
        return need
    key = "comparison.hr_draws"
    for have, what in room():
        if need > have:
            text = where(key) if callable(where) else where
            comp = scenario.comparison
            raise ScenarioError(f"{text}: {key}: the comparison's analysis ({comp.hr_draws:,} hazard-ratio draws x "
                                f"({scenario.population.size:,} people + {scenario.days:,} days)) needs about "
                                f"{human(need)} of memory; {what} is {human(have)} (make {key} smaller)")
    return need
