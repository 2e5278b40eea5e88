"""Schema section ``network:``: the social graph — the default ``population`` network built from the
contexts people share (home, family, friends, work, neighbourhood, groups), generic graph families
for comparison, real edge lists, and near-isolates (isolation level a)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config.base import Strict, assumption, probability
from sim.config.curves import AgeCurve


class IsolationConfig(Strict):
    """Isolation level (a): structural near-isolates made at day 0."""

    fraction: float = probability(
        0.0,
        "Share of people made structurally isolated at day 0: their ties are cut to at most max_ties. "
        "0 = none. NASEM 2020: ~24% of US adults 65+ are socially isolated (docs/science.md §4).",
    )
    max_ties: int = Field(1, ge=0, description="Ties an isolated person keeps (near-isolate).")
    targeting: Literal["random", "oldest"] = Field(
        "random", description="Who is isolated: chosen at random, or the oldest first."
    )


class ContextsConfig(Strict):
    """The ``population`` network: ties come from the contexts people share (Feld 1981, the focused
    organisation of social ties). Family, work and group ties are within-context; friend circles form
    among people of similar age (age homophily: McPherson, Smith-Lovin & Cook 2001; Mossong et al. 2008)."""

    region_size: int = Field(
        20_000, ge=2, le=10_000_000,
        description="People per region of the map: kin groups, work teams, friend circles and groups form among "
        "people of the same region (contexts are local), which keeps the daily kernels' memory access local. "
        "A technical setting, not part of the behaviour: a region of 20,000 is a town, far larger than "
        "anyone's contexts, so the measures do not depend on it (tests/test_population.py).",
    )
    family_size_mean: float = assumption(
        2.8, "Mean size of a kin group (people tied to each other as family): ~2.4 family ties each "
        "(groups are 1 + Poisson(size - 1), so a person's group is larger than the mean group); "
        "the family network is stable with age (Wrzus et al. 2013). Assumption for the size.",
        low=2.0, high=4.0, ge=1, le=30,
    )
    friend_circles: AgeCurve = Field(
        default_factory=lambda: AgeCurve(ages=[18, 30, 50, 70, 90], values=[2.0, 1.8, 1.5, 1.25, 1.0]),
        description="Mean number of friend circles of a person of typical sociability who has friends, by age: "
        "friendship networks shrink through adulthood (Wrzus et al. 2013) [C, direction]; levels set by hand "
        "(not by experiments/calibrate.py) so the mean degree is near Framingham's 10.4 ties per person "
        "(Fowler & Christakis 2008): 11.5 in the default town.",
    )
    friendless_share: float = probability(
        0.09,
        "Share of people in no friend circle: the least sociable (so, through the trait correlation, mostly "
        "people who want little contact). Pew Research 2023: 8% of US adults have no close friends [S]; "
        "Survey Center on American Life 2021: 12% [S].",
    )
    circle_size: float = assumption(
        3.0, "Mean size of a friend circle (people). Assumption.",
        low=2.5, high=5.0, ge=2, le=30,
    )
    age_mixing_sd: float = assumption(
        6.0, "Spread, years, of the age noise when friend circles are formed: friends are mostly of "
        "similar age (age homophily; Mossong et al. 2008: contacts highly assortative with age). Assumption.",
        low=3.0, high=12.0, ge=0, le=50,
    )
    work_team_size: float = assumption(
        3.5, "Mean size of a work team (colleagues all tied). Assumption.",
        low=2.5, high=6.0, ge=2, le=50,
    )
    neighbours: int = assumption(
        2, "Acquaintance ties per person to neighbours (a ring in random order). Assumption.",
        low=0, high=4, ge=0, le=20,
    )
    group_size: float = assumption(
        12.0, "Mean size of a group (club, congregation, ...). Assumption.",
        low=6.0, high=24.0, log=True, ge=2, le=200,
    )
    group_ties: int = assumption(
        2, "Acquaintance ties a group member has within the group (a ring). Assumption.",
        low=1, high=4, ge=0, le=20,
    )


class NetworkConfig(Strict):
    """The social graph: how it is built, its size, near-isolates."""

    kind: Literal[
        "population", "watts_strogatz", "holme_kim", "barabasi_albert", "erdos_renyi", "communities", "edgelist"
    ] = Field(
        "population",
        description="Graph family. population (default): ties from shared contexts — partners, household, kin "
        "groups, age-assortative friend circles, work teams, neighbours, groups — with a kind and a closeness "
        "each (sim/contexts.py). The others are generic families (their ties get kinds by share; docs/model.md).",
    )
    mean_degree: float = Field(
        10.0,
        gt=0,
        description="Target mean number of ties per person for the generic families (the population network's "
        "degree follows from its contexts). Framingham: 10.4 observed ties per person (Fowler & Christakis "
        "2008); layers 3–5 / 9–15 (Zhou et al. 2005).",
    )
    rewire_probability: float = probability(0.1, "Watts–Strogatz rewiring probability per tie.")
    triad_probability: float = probability(0.5, "Holme–Kim probability of a triad-closing step after each attachment.")
    communities: int = Field(20, gt=0, description="Number of communities (stochastic block network).")
    within_fraction: float = probability(0.8, "Share of a person's ties inside their own community (block network).")
    path: str | None = Field(None, description="Edge-list file (CSV with two columns, or GraphML) for kind=edgelist.")
    contexts: ContextsConfig = Field(default_factory=ContextsConfig)
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    generator: Literal["auto", "networkx", "arrays"] = Field(
        "auto",
        description="Build the generic families with NetworkX or straight into arrays (sim/fastgraph.py). auto: "
        "arrays above 50,000 people for the families that have an array generator.",
    )

    @model_validator(mode="after")
    def _edgelist_needs_path(self) -> NetworkConfig:
        if self.kind == "edgelist" and not self.path:
            raise ValueError("kind 'edgelist' needs network.path")
        return self
