"""Schema sections for who lives in the town and how they are tied: ``population:`` and ``network:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config.base import Strict, probability


# --------------------------------------------------------------------------- population
class PopulationConfig(Strict):
    """Who lives in the town: size, ages, sex, and how much connection each person wants."""

    size: int = Field(10_000, gt=0, le=50_000_000, description="Number of people (adults).")
    age_min: float = Field(18.0, ge=0, le=110, description="Youngest age at day 0, years.")
    age_max: float = Field(90.0, ge=0, le=110, description="Oldest age at day 0, years.")
    age_distribution: Literal["us_adult_2020", "uniform"] = Field(
        "us_adult_2020",
        description="Age structure at day 0. us_adult_2020: US Census 2020 adult shares by decade "
        "(docs/science.md §4, [S]); uniform: flat between age_min and age_max.",
    )
    female_fraction: float = probability(0.51, "Share of women (US Census 2020, [S]).")
    desired_contacts_median: float = Field(
        2.38,
        gt=0,
        description="Median desired connection per day, in contact-equivalents per day (a contact, or "
        "a bundle of smiles/kind acts worth one). Calibrated (experiments/calibrate.py) so the default "
        "town's loneliness prevalence lies in the published 16–24% band (docs/science.md §4).",
    )
    desired_contacts_sigma: float = Field(
        0.6, ge=0, description="Log-normal spread (sigma of log) of desired connection across people. Assumption."
    )

    @model_validator(mode="after")
    def _ages_ordered(self) -> PopulationConfig:
        if self.age_max < self.age_min:
            raise ValueError("age_max must be >= age_min")
        return self


# --------------------------------------------------------------------------- network
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


class NetworkConfig(Strict):
    """The social graph: family, size of personal networks, near-isolates."""

    kind: Literal[
        "watts_strogatz", "holme_kim", "barabasi_albert", "erdos_renyi", "communities", "edgelist"
    ] = Field("watts_strogatz", description="Graph family. Default: high clustering, small world (docs/science.md §4).")
    mean_degree: float = Field(
        10.0,
        gt=0,
        description="Target mean number of ties per person. Framingham: 10.4 observed ties per person "
        "(Fowler & Christakis 2008); layers 3–5 / 9–15 (Zhou et al. 2005).",
    )
    rewire_probability: float = probability(0.1, "Watts–Strogatz rewiring probability per tie.")
    triad_probability: float = probability(0.5, "Holme–Kim probability of a triad-closing step after each attachment.")
    communities: int = Field(20, gt=0, description="Number of communities (stochastic block network).")
    within_fraction: float = probability(0.8, "Share of a person's ties inside their own community (block network).")
    path: str | None = Field(None, description="Edge-list file (CSV with two columns, or GraphML) for kind=edgelist.")
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    generator: Literal["auto", "networkx", "arrays"] = Field(
        "auto",
        description="Build the graph with NetworkX or straight into arrays (sim/fastgraph.py). auto: arrays "
        "above 50,000 people for the families that have an array generator.",
    )

    @model_validator(mode="after")
    def _edgelist_needs_path(self) -> NetworkConfig:
        if self.kind == "edgelist" and not self.path:
            raise ValueError("kind 'edgelist' needs network.path")
        return self

