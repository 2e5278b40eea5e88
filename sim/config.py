"""Scenario schema, YAML loading with line numbers, ``--set`` overrides and sweep expansion.

Every parameter of a run lives in one :class:`Scenario`. Field descriptions state the unit
(``per day``, ``per year``, ``per contact``) and the source of the default (see
``docs/science.md`` and ``docs/parameters.md``). Defaults marked *calibrated* were tuned by
``experiments/calibrate.py``; defaults marked *assumption* have no published anchor and are
there to be swept.

Errors never escape as tracebacks: :class:`ScenarioError` carries one message that names the
file, the key path and (for YAML) the line.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

class ScenarioError(Exception):
    """A scenario could not be read or validated. ``str(err)`` is the whole user-facing message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _p(default: float, desc: str) -> Any:
    """A probability field in [0, 1]."""
    return Field(default, ge=0.0, le=1.0, description=desc)


def _rate(default: float, desc: str) -> Any:
    """A non-negative rate field."""
    return Field(default, ge=0.0, description=desc)


# --------------------------------------------------------------------------- population
class PopulationConfig(_Strict):
    """Who lives in the town: size, ages, sex, and how much connection each person wants."""

    size: int = Field(10_000, gt=0, le=50_000_000, description="Number of people (adults).")
    age_min: float = Field(18.0, ge=0, le=110, description="Youngest age at day 0, years.")
    age_max: float = Field(90.0, ge=0, le=110, description="Oldest age at day 0, years.")
    age_distribution: Literal["us_adult_2020", "uniform"] = Field(
        "us_adult_2020",
        description="Age structure at day 0. us_adult_2020: US Census 2020 adult shares by decade "
        "(docs/science.md §4, [S]); uniform: flat between age_min and age_max.",
    )
    female_fraction: float = _p(0.51, "Share of women (US Census 2020, [S]).")
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
    def _ages_ordered(self) -> "PopulationConfig":
        if self.age_max < self.age_min:
            raise ValueError("age_max must be >= age_min")
        return self


# --------------------------------------------------------------------------- network
class IsolationConfig(_Strict):
    """Isolation level (a): structural near-isolates made at day 0."""

    fraction: float = _p(
        0.0,
        "Share of people made structurally isolated at day 0: their ties are cut to at most max_ties. "
        "0 = none. NASEM 2020: ~24% of US adults 65+ are socially isolated (docs/science.md §4).",
    )
    max_ties: int = Field(1, ge=0, description="Ties an isolated person keeps (near-isolate).")
    targeting: Literal["random", "oldest"] = Field(
        "random", description="Who is isolated: chosen at random, or the oldest first."
    )


class NetworkConfig(_Strict):
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
    rewire_probability: float = _p(0.1, "Watts–Strogatz rewiring probability per tie.")
    triad_probability: float = _p(0.5, "Holme–Kim probability of a triad-closing step after each attachment.")
    communities: int = Field(20, gt=0, description="Number of communities (stochastic block network).")
    within_fraction: float = _p(0.8, "Share of a person's ties inside their own community (block network).")
    path: str | None = Field(None, description="Edge-list file (CSV with two columns, or GraphML) for kind=edgelist.")
    isolation: IsolationConfig = Field(default_factory=IsolationConfig)
    generator: Literal["auto", "networkx", "arrays"] = Field(
        "auto",
        description="Build the graph with NetworkX or straight into arrays (sim/fastgraph.py). auto: arrays "
        "above 50,000 people for the families that have an array generator.",
    )

    @model_validator(mode="after")
    def _edgelist_needs_path(self) -> "NetworkConfig":
        if self.kind == "edgelist" and not self.path:
            raise ValueError("kind 'edgelist' needs network.path")
        return self


# --------------------------------------------------------------------------- daily mechanisms
class ContactsConfig(_Strict):
    """Step 1, contacts: how often ties meet (isolation level b), and the withdrawal loop."""

    rate_per_tie_per_day: float = _rate(
        0.3,
        "Baseline rate at which a tie of full strength meets, per day (probability 1-exp(-rate)). "
        "Assumption: with 10 ties of strength 0.8 it gives about two meetings per person per day; "
        "population.desired_contacts_median is calibrated against it.",
    )
    frequency_multiplier: float = _rate(
        1.0, "Isolation level (b): multiplies every tie's contact rate. 1 = baseline, 0.5 = half as often."
    )
    withdrawal_per_loneliness: float = _p(
        0.5,
        "Fractional drop in a person's contact rate at loneliness 1 (withdrawal loop, Hawkley & Cacioppo "
        "2010; assumption for the size).",
    )
    isolated_max_contacts_per_week: float = _rate(
        1.0,
        "Objective isolation (derived, never set): a person is isolated when they have at most "
        "network.isolation.max_ties ties or their recent contacts average at most this many per week.",
    )


class SmilesConfig(_Strict):
    """Step 2, smiles: frequent, small, returned more than half the time, lift giver and receiver."""

    propensity: float = _p(
        0.5,
        "Probability per contact that an average person (mood 0, habit 0.3, loneliness 0) smiles at the "
        "other. Assumption; a smile is frequent and small (docs/science.md §3).",
    )
    mood_weight: float = Field(1.5, description="Log-odds of smiling per unit mood (mood in [-1, 1]).")
    habit_weight: float = Field(1.5, description="Log-odds of smiling per unit habit strength above 0.3.")
    loneliness_weight: float = Field(
        2.0, ge=0, description="Log-odds drop of smiling per unit loneliness (withdrawal loop)."
    )
    return_probability: float = _p(
        0.55,
        "Probability a smile is returned by a receiver with mood 0: 'more than half' (Hinsz & Tomhave 1991).",
    )
    return_mood_weight: float = Field(1.0, description="Log-odds of returning a smile per unit receiver mood.")
    giver_mood_gain: float = _rate(
        0.004, "Mood gain per smile given, before diminishing returns (Coles et al. 2022: small). Assumption."
    )
    receiver_mood_gain: float = _rate(0.006, "Mood gain per smile received, before diminishing returns. Assumption.")
    connection_value: float = _rate(
        0.25, "Contact-equivalents of connection per smile received (feeds loneliness). Assumption."
    )


class KindnessConfig(_Strict):
    """Step 3, kind acts: rarer and larger than smiles, paid forward, build ties."""

    rate_per_day: float = _rate(
        0.1, "Baseline kind acts per person per day (rarer than smiles). Assumption."
    )
    mood_weight: float = Field(1.0, description="Log-rate change of kind acts per unit mood.")
    habit_weight: float = Field(1.5, description="Log-rate change per unit habit strength above 0.3.")
    loneliness_weight: float = Field(1.0, ge=0, description="Log-rate drop per unit loneliness (withdrawal).")
    giver_mood_gain: float = _rate(
        0.02, "Giver's mood gain per kind act before diminishing returns (Curry et al. 2018 δ=0.28). Calibrated."
    )
    receiver_mood_gain: float = _rate(0.03, "Receiver's mood gain per kind act received. Assumption (Pressman 2015).")
    pay_forward_probability: float = _p(
        0.4, "Probability a receiver does a kind act of their own the next day (Pressman et al. 2015: ~40%)."
    )
    tie_strength_gain: float = _rate(0.05, "Gain in tie strength (0–1) per kind act along that tie. Assumption.")
    stranger_fraction: float = _p(0.1, "Share of kind acts aimed at a stranger rather than a tie. Assumption.")
    new_tie_probability: float = _p(0.02, "Probability a kind act to a stranger starts a new tie. Assumption.")
    connection_value: float = _rate(1.0, "Contact-equivalents of connection per kind act received. Assumption.")


class ContagionConfig(_Strict):
    """SISa emotional contagion, rates per year (Hill, Rand, Nowak & Christakis 2010, docs/science.md §2).

    Per-contact rates are per tie-year in the paper; the model turns them into a probability per
    meeting, so that a tie of the initial strength between two people who are not lonely transmits
    at the published yearly rate; weaker ties, withdrawal and fewer meetings mean less contagion.
    """

    enabled: bool = Field(True, description="Switch the SISa layer on or off.")
    neutral_to_content_per_year: float = _rate(0.18, "Spontaneous N→C rate, per year (Hill 2010, [S]).")
    neutral_to_content_per_contact_year: float = _rate(0.02, "N→C per content tie, per year (Hill 2010).")
    neutral_to_discontent_per_year: float = _rate(0.04, "Spontaneous N→D rate, per year (Hill 2010, [S]).")
    neutral_to_discontent_per_contact_year: float = _rate(0.04, "N→D per discontent tie, per year (Hill 2010).")
    content_to_neutral_per_year: float = _rate(0.088, "C→N rate, per year (Hill 2010, [S]).")
    discontent_to_neutral_per_year: float = _rate(0.13, "D→N rate, per year (Hill 2010, [S]).")
    content_to_discontent_per_contact_year: float = _rate(0.009, "C→D per discontent tie, per year ([S]).")
    discontent_to_content_per_contact_year: float = _rate(0.07, "D→C per content tie, per year ([S]).")
    mood_coupling: float = Field(
        1.0,
        ge=0,
        description="Log-rate multiplier on uplifting transitions per unit of mood above the state's "
        "resting level (and its inverse on downward ones): how smiles and kind acts feed the contagion "
        "layer. Assumption.",
    )


class MoodConfig(_Strict):
    """Step 4b, mood: affect valence on -1..1, resting level by emotional state."""

    content_level: float = Field(0.5, ge=-1, le=1, description="Resting mood of a content person (scale -1..1).")
    neutral_level: float = Field(0.0, ge=-1, le=1, description="Resting mood of a neutral person.")
    discontent_level: float = Field(-0.5, ge=-1, le=1, description="Resting mood of a discontent person.")
    relaxation_days: float = Field(
        7.0, gt=0, description="e-folding time, days, of mood back to its resting level (hedonic adaptation). Assumption."
    )
    loneliness_drag: float = _rate(0.3, "Lowering of resting mood at loneliness 1. Assumption.")


class LonelinessConfig(_Strict):
    """Step 5, loneliness: the gap between desired and received connection, slow to change."""

    perception_days: float = Field(
        30.0, gt=0, description="e-folding time, days, of perceived connection (a moving average of received connection)."
    )
    adjustment_days: float = Field(
        30.0, gt=0, description="e-folding time, days, of loneliness toward its target (chronic, slow). Assumption."
    )
    mood_bias: float = _rate(
        0.3,
        "Added to the loneliness target per unit of negative mood (social-threat vigilance, Hawkley & "
        "Cacioppo 2010). Assumption.",
    )
    threshold: float = _p(0.5, "Loneliness at or above which a person counts as lonely.")
    bereavement_shock: float = _p(
        0.3, "Jump toward 1 in a neighbour's loneliness when a tie dies (fraction of the remaining gap). Assumption."
    )


class HabitsConfig(_Strict):
    """Step 5b, habits: smile/kindness habit strength grows with practice and fades without it."""

    initial_mean: float = _p(0.3, "Mean smile/kindness habit strength at day 0 (0–1).")
    gain_per_act: float = _rate(
        0.0025,
        "Habit gain per smile or kind act given, times (1 - habit). Calibrated so the baseline habit "
        "stays near its initial mean (experiments/calibrate.py).")
    kind_act_weight: float = _rate(3.0, "A kind act counts as this many smiles for habit growth. Assumption.")
    fade_days: float = Field(
        66.0,
        gt=0,
        description="e-folding time, days, of habit strength without practice. Lally et al. 2010: median "
        "66 days to automaticity.",
    )


class TiesConfig(_Strict):
    """Step 6, ties: dissolution (faster for the lonely) and formation by triadic closure."""

    dynamic: bool = Field(True, description="Whether ties dissolve and form during the run.")
    dissolution_per_year: float = _rate(
        0.1,
        "Baseline dissolution rate of a tie, per year: about half of personal ties are replaced in 7 "
        "years (Mollenhorst, Volker & Flap 2014; ln 2 / 7 ≈ 0.1).",
    )
    loneliness_weight: float = _rate(
        1.0, "Dissolution multiplier per unit loneliness of each end (withdrawal, Cacioppo et al. 2009). Assumption."
    )
    triadic_closure_per_year: float = _rate(
        1.2,
        "Attempts per person per year to befriend a friend's friend. Chosen so that tie formation balances "
        "dissolution: the baseline mean degree drifts < 1% a year (a bisection gave 1.08-1.15; checked by "
        "tests/test_behaviour.py::test_the_baseline_is_stationary_in_degree_and_loneliness).",
    )
    initial_strength: float = Field(0.8, gt=0, le=1, description="Strength (0–1) of the ties at day 0. Assumption.")
    new_tie_strength: float = Field(0.5, gt=0, le=1, description="Strength (0–1) of a new tie.")


class HealthConfig(_Strict):
    """Step 7, health: a 0..1 physiological reserve worn by loneliness and isolation."""

    wear_per_year_lonely: float = _rate(0.05, "Health lost per year at loneliness 1 (reserve units 0–1). Assumption.")
    wear_per_year_isolated: float = _rate(0.05, "Health lost per year while isolated. Assumption.")
    recovery_per_year: float = _rate(0.5, "Rate, per year, of recovery toward the age-expected reserve. Assumption.")
    mood_buffer: float = _p(0.5, "Share of wear removed at mood +1 (positive affect buffers stress). Assumption.")
    smile_buffer: float = _p(
        0.3, "Share of wear removed by a day rich in smiles (Kraft & Pressman 2012: faster recovery). Assumption."
    )


class MortalityConfig(_Strict):
    """Step 8, mortality: baseline hazard x hazard ratios (Wang et al. 2023)."""

    baseline: Literal["life_table", "gompertz"] = Field(
        "life_table",
        description="Baseline hazard per year: US 2022 SSA period life table (log-linear between tabulated "
        "ages, by sex) or a Gompertz law (docs/science.md §1).",
    )
    gompertz_a_per_year: float = Field(9.11e-5, gt=0, description="Gompertz A, per year (sex-averaged fit 40–85).")
    gompertz_b_per_year: float = Field(0.0792, gt=0, description="Gompertz β, per year of age (doubling ≈ 8.75 y).")
    hr_isolation: float = Field(
        1.32, gt=0, description="Hazard ratio, isolated vs not (Wang et al. 2023: 1.32, 95% CI 1.26–1.39)."
    )
    hr_loneliness: float = Field(
        1.14, gt=0, description="Hazard ratio, lonely vs not (Wang et al. 2023: 1.14, 95% CI 1.08–1.20)."
    )
    combination: Literal["multiplicative", "max", "additive"] = Field(
        "multiplicative",
        description="How the two ratios combine for someone both isolated and lonely: multiplicative "
        "(independent effects: 1.32 x 1.14 = 1.50), max (one shared pathway: 1.32), additive (excess risks "
        "add: 1 + 0.32 + 0.14 = 1.46). The published HRs are marginal; see docs/model.md.",
    )
    simulate_deaths: bool = Field(False, description="Draw deaths (closed cohort). Off: hazards are reported only.")


class ShockConfig(_Strict):
    """Isolation level (c): a period in which ties are cut or meetings restricted (lockdown, move)."""

    start_day: int = Field(..., ge=0, description="First day of the shock (0-based).")
    duration_days: int = Field(..., gt=0, description="Length in days; suspended ties come back afterwards.")
    tie_removal_fraction: float = _p(0.0, "Share of ties suspended for the period.")
    contact_multiplier: float = _rate(1.0, "Multiplier on every tie's contact rate during the period.")


class InterventionConfig(_Strict):
    """A programme acting on enrolled people for a period (sim/interventions.py)."""

    kind: Literal["smile_campaign", "big_joy", "befriending", "kindness_campaign"] = Field(
        ..., description="Programme type (docs/model.md: interventions)."
    )
    start_day: int = Field(0, ge=0, description="First day, 0-based.")
    duration_days: int = Field(7, gt=0, description="Length in days.")
    coverage: float = _p(0.1, "Share of living people enrolled at start_day.")
    targeting: Literal["random", "loneliest", "most_central"] = Field("random", description="Who is enrolled.")
    smile_odds_multiplier: float = _rate(2.0, "smile_campaign: odds multiplier on smiling for the enrolled.")
    kind_acts_per_day: float = _rate(
        1.0, "big_joy / kindness_campaign: extra kind acts per enrolled person per day (Big Joy: daily micro-acts)."
    )
    self_act_mood_gain: float = _rate(
        0.04,
        "big_joy: daily mood gain from self-directed micro-acts (gratitude, awe, reframing), before "
        "diminishing returns. Calibrated to Big Joy d_z (experiments/big_joy.yaml).",
    )
    visits_per_week: float = _rate(2.0, "befriending: volunteer contacts per enrolled person per week.")


class OutputConfig(_Strict):
    """What a run writes."""

    figures: bool = Field(True, description="Write PNG figures into the run folder.")
    max_draw_nodes: int = Field(2_000, gt=0, description="Draw the network figure only up to this many people.")
    agents_file: bool = Field(True, description="Write agents.parquet (one row per person).")


class SweepConfig(_Strict):
    """A sweep: grid and zipped parameter lists, and replicates per point (lonesim sweep)."""

    grid: dict[str, list[Any]] = Field(
        default_factory=dict, description="Cartesian product over parameter paths: {path: [values]}."
    )
    zip: dict[str, list[Any]] = Field(
        default_factory=dict, description="Lists walked together (equal lengths), crossed with the grid."
    )
    replicates: int = Field(1, gt=0, description="Replicates per point; replicate r uses the same seed at every point.")


class Scenario(_Strict):
    """A complete scenario: every parameter of a run."""

    name: str = Field("scenario", min_length=1, description="Short name; the run folder is results/<name>/.")
    description: str = Field("", description="Free text.")
    seed: int = Field(12345, ge=0, description="Root seed. Replicate r of any point uses SeedSequence(seed).spawn()[r].")
    days: int = Field(365, gt=0, description="Days to simulate (one step = one day).")
    burn_in_days: int = Field(
        60, ge=0,
        description="Days simulated before day 0 and not recorded (no shocks, programmes or deaths), so the "
        "run starts near the model's steady state.",
    )
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    network: NetworkConfig = Field(default_factory=NetworkConfig)
    contacts: ContactsConfig = Field(default_factory=ContactsConfig)
    smiles: SmilesConfig = Field(default_factory=SmilesConfig)
    kindness: KindnessConfig = Field(default_factory=KindnessConfig)
    contagion: ContagionConfig = Field(default_factory=ContagionConfig)
    mood: MoodConfig = Field(default_factory=MoodConfig)
    loneliness: LonelinessConfig = Field(default_factory=LonelinessConfig)
    habits: HabitsConfig = Field(default_factory=HabitsConfig)
    ties: TiesConfig = Field(default_factory=TiesConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    mortality: MortalityConfig = Field(default_factory=MortalityConfig)
    shocks: list[ShockConfig] = Field(default_factory=list, description="Isolation shocks (level c).")
    interventions: list[InterventionConfig] = Field(default_factory=list)
    output: OutputConfig = Field(default_factory=OutputConfig)
    sweep: SweepConfig | None = Field(None, description="Optional sweep block (lonesim sweep).")

    # -- convenience -------------------------------------------------------------------------
    def with_overrides(self, overrides: dict[str, Any], source: str = "--set") -> "Scenario":
        """A new validated scenario with dotted-path overrides applied (``{"population.size": 500}``)."""
        raw = self.model_dump(mode="json")
        for path, value in overrides.items():
            set_path(raw, path, value)
        return validate_scenario(raw, source=source)

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# =========================================================================== loading
class _LineMap:
    """Maps key paths (tuples) of a YAML document to 1-based line numbers."""

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        self.overridden: set[tuple] = set()  # key paths set with --set: reported as such
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                self._walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, path + (i,))

    def line_for(self, loc: tuple) -> int | None:
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def _field_names_at(loc: tuple) -> list[str]:
    """Field names of the model reached by following ``loc`` from :class:`Scenario`."""
    cls: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return []
        ann = cls.model_fields[part].annotation
        cls = _unwrap(ann)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _unwrap(ann: Any) -> Any:
    """The BaseModel class inside Optional[...] / list[...] annotations, else the annotation."""
    for arg in (typing.get_args(ann) or ()):
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return ann


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe_errors(err: ValidationError, source: str, linemap: _LineMap | None) -> str:
    messages = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if p not in ("function-after",))
        key = _format_loc(loc) or "(top level)"
        where = source
        strloc = tuple(str(p) for p in loc)
        if linemap is not None and any(strloc[: len(k)] == k for k in linemap.overridden):
            where = f"{source} (--set)"
        elif linemap is not None:
            line = linemap.line_for(loc)
            if line is not None:
                where = f"{source}:{line}"
        if e["type"] == "extra_forbidden":
            known = _field_names_at(loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            msg = f"unknown key '{loc[-1]}'"
            msg += f" (did you mean '{hint[0]}'?)" if hint else (f"; known keys: {', '.join(known)}" if known else "")
        else:
            msg = e["msg"]
            if "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {e['input']!r})"
        messages.append(f"{where}: {key}: {msg}")
    return "\n".join(messages)


def validate_scenario(data: Any, source: str = "<scenario>", linemap: _LineMap | None = None) -> Scenario:
    """Validate a raw mapping into a :class:`Scenario`, raising :class:`ScenarioError` on failure."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: the scenario must be a YAML mapping of keys to values")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_describe_errors(err, source, linemap)) from None
    if scenario.sweep is not None:
        expand_sweep(scenario, source=source, linemap=linemap)  # checks paths and values
    return scenario


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file. Relative ``network.path`` resolves against the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: file not found") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{where}: YAML syntax error: {problem}") from None
    if data is None:
        data = {}
    linemap = _LineMap(text)
    if isinstance(data, dict):
        data.setdefault("name", path.stem)
        net = data.get("network")
        if isinstance(net, dict) and isinstance(net.get("path"), str):
            p = Path(net["path"])
            if not p.is_absolute():
                net["path"] = str((path.parent / p).resolve())
    if overrides:
        if not isinstance(data, dict):
            data = {}
        for key, value in overrides.items():
            try:
                set_path(data, key, value)
            except ScenarioError as exc:
                raise ScenarioError(f"--set {key}: {exc}") from None
        linemap.overridden = {tuple(k.split(".")) for k in overrides}
    scenario = validate_scenario(data, source=str(path), linemap=linemap)
    if scenario.network.kind == "edgelist" and not Path(scenario.network.path).exists():
        line = linemap.line_for(("network", "path"))
        raise ScenarioError(f"{path}:{line}: network.path: edge-list file not found: {scenario.network.path}")
    return scenario


def parse_set_options(items: list[str] | None) -> dict[str, Any]:
    """Parse ``key.path=value`` strings; values are YAML scalars/lists (``0.5``, ``true``, ``[1, 2]``)."""
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected key.path=value")
        key, _, raw = item.partition("=")
        key = key.strip()
        if not key:
            raise ScenarioError(f"--set {item!r}: empty key")
        try:
            out[key] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key] = raw
    return out


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set ``data[a][b][c] = value`` for ``dotted='a.b.c'``; list items by index (``shocks.0.start_day``)."""
    parts = dotted.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                raise ScenarioError(f"'{'.'.join(parts[: i + 1])}' is not an item of a list") from None
            continue
        if part not in node or node[part] is None:
            node[part] = {}
        if not isinstance(node[part], (dict, list)):
            raise ScenarioError(f"'{'.'.join(parts[: i + 1])}' is a value, not a section")
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        try:
            node[int(last)] = value
        except (ValueError, IndexError):
            raise ScenarioError(f"'{dotted}' is not an item of a list") from None
    else:
        node[last] = value


def get_path(data: dict, dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# =========================================================================== sweeps
class SweepPoint(BaseModel):
    """One concrete point of a sweep: its index, the overrides that define it, and the scenario."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: int
    overrides: dict[str, Any]
    scenario: Scenario

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "base"


def expand_sweep(scenario: Scenario, source: str = "<scenario>", linemap: _LineMap | None = None) -> list[SweepPoint]:
    """Concrete scenarios of a sweep block (grid x zip), each validated, without the sweep block."""
    sweep = scenario.sweep or SweepConfig()

    def where(key: str, sub: str) -> str:
        line = linemap.line_for(("sweep", sub, key)) if linemap else None
        return f"{source}:{line}" if line else source

    for sub, block in (("grid", sweep.grid), ("zip", sweep.zip)):
        for key, values in block.items():
            if not values:
                raise ScenarioError(f"{where(key, sub)}: sweep.{sub}.{key}: empty list of values")
    zip_lengths = {len(v) for v in sweep.zip.values()}
    if len(zip_lengths) > 1:
        raise ScenarioError(f"{source}: sweep.zip: all lists must have the same length (got {sorted(zip_lengths)})")

    base = scenario.model_dump(mode="json")
    base["sweep"] = None
    grid_keys = list(sweep.grid)
    grid_combos = list(itertools.product(*(sweep.grid[k] for k in grid_keys))) if grid_keys else [()]
    zip_keys = list(sweep.zip)
    zip_rows = list(zip(*(sweep.zip[k] for k in zip_keys))) if zip_keys else [()]
    points = []
    for combo in grid_combos:
        for row in zip_rows:
            overrides = dict(zip(grid_keys, combo)) | dict(zip(zip_keys, row))
            raw = copy.deepcopy(base)
            for key, value in overrides.items():
                sub = "grid" if key in sweep.grid else "zip"
                try:
                    get_path(raw, key)
                except (KeyError, IndexError, TypeError, ValueError):
                    known = _field_names_at(tuple(key.split("."))[:-1])
                    hint = difflib.get_close_matches(key.split(".")[-1], known, n=1, cutoff=0.5)
                    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                    raise ScenarioError(f"{where(key, sub)}: sweep.{sub}.{key}: unknown parameter path{extra}") from None
                set_path(raw, key, value)
            try:
                concrete = Scenario.model_validate(raw)
            except ValidationError as err:
                first = err.errors()[0]
                raise ScenarioError(
                    f"{where(next(iter(overrides)), 'grid' if sweep.grid else 'zip')}: sweep value "
                    f"{_format_loc(tuple(first['loc']))}={first.get('input')!r}: {first['msg']}"
                ) from None
            points.append(SweepPoint(index=len(points), overrides=overrides, scenario=concrete))
    return points
