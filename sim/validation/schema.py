"""Experiment files (``experiments/<name>.yaml``): their schema, and checking one before anything runs.

An experiment file names a study, the scenario it starts from (``scenario`` and ``set``), its
replicates, the published figures it is held against, the study's own options, and a ``quick:``
block (the reduced form the test suite runs: the same keys, merged over the file's). Files are read
like scenarios (:func:`sim.config.loading.read_yaml_file`: bounded YAML, duplicate keys refused) and
checked here as scenarios are: every problem is one ``<file>:<line>: <key.path>: <what is wrong>``
line (:class:`ScenarioError`). :func:`check_experiment` also builds every scenario the study will
run (the base, with ``set``; each mortality variant), so a bad value fails before any simulation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from sim.config import LineMap, Scenario, ScenarioError, load_scenario
from sim.config.base import Strict, probability
from sim.config.loading import read_yaml_file
from sim.config.paths import describe_errors, format_loc, printable
from sim.config.schema import check_name, safe_name


def _ordered(size: int):
    def check(values: list[float]) -> list[float]:
        if len(values) != size:
            what = "[low, high]" if size == 2 else "[low, point, high]"
            raise ValueError(f"give {size} numbers, {what} (got {len(values)})")
        if any(a > b for a, b in zip(values, values[1:])):
            raise ValueError(f"the numbers must be in increasing order (got {values})")
        return values
    return check


#: A published interval ``[low, high]``, and a point with its interval ``[low, point, high]``.
Interval = Annotated[list[float], AfterValidator(_ordered(2))]
Triple = Annotated[list[float], AfterValidator(_ordered(3))]


class _Mapping(Strict):
    """A validated section that also reads (and, validated, writes) like the dict it came from:
    ``exp["replicates"]``, ``exp.get("set")``, ``exp["set"] = {...}`` (for calibration scripts and tests
    that adjust an experiment before running it). Studies read attributes; every default comes from the
    schema, never from the reader."""

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        """``"smd" in published``: the field exists and is given (not None), as a key of the file's mapping."""
        return isinstance(key, str) and key in type(self).model_fields and getattr(self, key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        """The field's value, or ``default`` when the model has no such field or it is None."""
        value = getattr(self, key, None) if key in type(self).model_fields else None
        return default if value is None else value


class _Published(_Mapping):
    """Published figures."""


class PopulationPublished(_Published):
    """Study 3's published bands ([low, high]): overlaps, prevalences, networks, contact, instruments, drift."""

    isolated_not_lonely: Interval
    lonely_not_isolated: Interval
    phi: Interval
    isolation_65: Interval
    severe_65: Interval
    loneliness_adults: Interval
    loneliness_65: Interval
    lenient_60: Interval
    u_young: Interval
    u_old: Interval
    ties_ratio: Interval
    kin_rare: Interval
    friends_rare: Interval
    alpha: Interval
    affect_icc: Interval
    drift: Interval


class BigJoyPublished(_Published):
    """Study 2's published effect sizes."""

    wellbeing_d_z: float
    positive_emotion_d_z: float
    controlled_delta: float
    press_wellbeing: float
    press_positive: float


class ContagionPublished(_Published):
    """Study 4's published ratios and durations ([low, high])."""

    spread_ratio: Interval
    duration_ratio: Interval
    years_content: Interval
    years_discontent: Interval


class HazardPublished(_Published):
    """Wang et al. 2023's hazard ratios as [low, point, high]."""

    hr_isolation: Triple
    hr_loneliness: Triple | None = None


class PanelPublished(_Published):
    """Study 9's published bands ([low, high]): stability, turnover, partners and households, widowhood, steadiness."""

    stability_1y: Interval
    persistence_gap: Interval
    episodic_50: Interval
    sustained_50: Interval
    pr_no_partner_50: Interval
    or_widowed_65: Interval
    or_alone_crude_65: Interval
    or_alone_net_65: Interval
    kin_vs_partnered_65: Interval
    widow_peak: Interval
    widow_decline: Interval
    widow_contact: Interval
    band_drift: Interval


class _Experiment(_Mapping):
    """Keys every experiment file may have."""

    study: str
    name: str | None = Field(None, description="Names the output files (default: the file's name).")
    scenario: str | None = Field(None, description="Scenario file the study starts from, relative to the repository.")
    set: dict[str, Any] = Field(default_factory=dict, description="Overrides of the scenario: {key.path: value}.")
    replicates: int = Field(4, ge=1, le=1000, description="Replicates (runs) per design.")
    quick: dict[str, Any] | None = Field(None, description="The reduced form (--quick): keys merged over these.")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value)


class PopulationExperiment(_Experiment):
    """Study 3: the population as the cohort studies see it."""

    study: Literal["population"]
    published: PopulationPublished


class PanelExperiment(_Experiment):
    """Study 9: how loneliness moves in a simulated panel."""

    study: Literal["panel"]
    published: PanelPublished


class BigJoyExperiment(_Experiment):
    """Study 2: the Big Joy week."""

    study: Literal["big_joy"]
    follow_days: int = Field(60, ge=0, le=36_500, description="Days the enrolled are followed after the week.")
    published: BigJoyPublished


class ContagionExperiment(_Experiment):
    """Study 4: SISa contagion asymmetry."""

    study: Literal["contagion"]
    perturbed_days: int | None = Field(None, gt=0, le=36_500, description="Days of the perturbed-start design.")
    kmax: int = Field(20, ge=1, le=1000, description="Most content/discontent neighbours binned.")
    bootstraps: int = Field(200, ge=1, le=100_000, description="Parametric bootstrap draws.")
    bootstrap_seed: int = Field(1, ge=0, le=2**63 - 1)
    published: ContagionPublished


class DoseResponseExperiment(_Experiment):
    """Study 5: dose-response at the ends of the hazard-ratio intervals."""

    study: Literal["dose_response"]
    isolation_fractions: list[float] = Field(..., min_length=1, max_length=100)
    reference_fraction: float | None = probability(None, "The isolation level compared with Levin's formula.")
    hr_sets: list[list[float]] = Field(..., min_length=1, max_length=20)
    hr_labels: list[str] = Field(default_factory=lambda: ["low", "central", "high"])
    published: HazardPublished

    @field_validator("isolation_fractions")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 <= f <= 1 for f in value):
            raise ValueError("isolation fractions are shares of people, from 0 to 1")
        return value

    @field_validator("hr_sets")
    @classmethod
    def _pairs(cls, value: list[list[float]]) -> list[list[float]]:
        if any(len(pair) != 2 or min(pair) <= 0 for pair in value):
            raise ValueError("each item is a pair [hr_isolation, hr_loneliness] of positive hazard ratios")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DoseResponseExperiment:
        if len(self.hr_labels) != len(self.hr_sets):
            raise ValueError(f"hr_labels has {len(self.hr_labels)} labels for {len(self.hr_sets)} hr_sets")
        if not {"low", "central", "high"} <= set(self.hr_labels):
            raise ValueError("hr_labels must include 'low', 'central' and 'high'")
        ref = self.reference_fraction if self.reference_fraction is not None else self.isolation_fractions[-1]
        if ref not in self.isolation_fractions:
            raise ValueError(f"reference_fraction {ref} is not one of isolation_fractions")
        return self


class ProgrammePublished(_Published):
    """A programme trial's published effect: a standardised mean difference or a difference in UCLA-3
    points, each with its interval ([low, high])."""

    reference: str = Field(..., min_length=1, max_length=500)
    smd: float | None = None
    smd_interval: Interval | None = None
    difference: float | None = None
    difference_interval: Interval | None = None

    @model_validator(mode="after")
    def _one_effect(self) -> ProgrammePublished:
        pairs = [("smd", self.smd, self.smd_interval), ("difference", self.difference, self.difference_interval)]
        given = [name for name, point, band in pairs if point is not None]
        if not given:
            raise ValueError("give the published effect: smd with smd_interval, or difference with difference_interval")
        for name, point, band in pairs:
            if (point is None) != (band is None):
                raise ValueError(f"{name} and {name}_interval go together")
            if band is not None and not band[0] <= point <= band[1]:
                raise ValueError(f"{name} {point} lies outside {name}_interval {band}")
        return self


class ProgrammeTrialExperiment(_Experiment):
    """Study 6: one programme's simulated randomised trial (``programme``: an ``interventions`` item)."""

    study: Literal["programme_trial"]
    programme: dict[str, Any] = Field(..., description="The programme, as one item of a scenario's interventions.")
    follow_up_days: list[int] = Field(default_factory=lambda: [30, 91, 182], max_length=20,
                                      description="Days after the programme's last day when the trial is read again.")
    published: ProgrammePublished

    @field_validator("follow_up_days")
    @classmethod
    def _follow(cls, value: list[int]) -> list[int]:
        if any(d <= 0 or d > 36_500 for d in value) or len(set(value)) != len(value):
            raise ValueError("follow-up days are distinct whole days after the programme, 1 to 36500")
        return value


class Variant(_Mapping):
    """One more design of the mortality study: overrides of the base scenario and its replicates."""

    label: str = Field(..., min_length=1, max_length=200)
    set: dict[str, Any] = Field(default_factory=dict)
    replicates: int | None = Field(None, ge=1, le=1000)


class MortalityExperiment(_Experiment):
    """Study 1: Cox hazard ratios in simulated cohorts."""

    study: Literal["mortality"]
    landmark_days: int = Field(365, ge=0, le=36_500)
    persistent_threshold: float = probability(0.9, "Share of follow-up isolated that counts as persistent.")
    life_expectancy_age: float = Field(50, ge=0, le=110)
    variants: list[Variant] = Field(default_factory=list, max_length=100)
    published: HazardPublished

    @model_validator(mode="after")
    def _labels(self) -> MortalityExperiment:
        labels = [v.label for v in self.variants]
        if "default" in labels or len(set(labels)) != len(labels):
            raise ValueError("variant labels must be unique and not 'default' (the base design's label)")
        if self.published.hr_loneliness is None:
            raise ValueError("published.hr_loneliness is required for the mortality study")
        return self


#: Any study's experiment model.
Experiment = (MortalityExperiment | BigJoyExperiment | PopulationExperiment | ContagionExperiment | DoseResponseExperiment
              | ProgrammeTrialExperiment)

STUDY_MODELS: dict[str, type[_Experiment]] = {
    "mortality": MortalityExperiment, "big_joy": BigJoyExperiment, "population": PopulationExperiment,
    "contagion": ContagionExperiment, "dose_response": DoseResponseExperiment,
    "programme_trial": ProgrammeTrialExperiment, "panel": PanelExperiment,
}


def read_experiment(path: str | Path, quick: bool = False) -> tuple[Experiment, LineMap]:
    """Read and validate an experiment file; return the study's validated model (``quick`` merges its
    ``quick:`` block; what the file does not give takes the schema's default), and the file's line map.

    Both forms (with and without ``quick``) are validated, so a bad value fails whichever is run.
    """
    path = Path(path)
    data, linemap = read_yaml_file(path, "experiment")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: an experiment file is a YAML mapping of keys to values")
    study = data.get("study")
    if not isinstance(study, str) or study not in STUDY_MODELS:  # (a list or mapping is not a study name)
        line = linemap.line_for(("study",))
        where = f"{path}:{line}" if line else str(path)
        got = printable(study) if isinstance(study, str) else repr(study)[:60]
        raise ScenarioError(f"{where}: study: must be one of {', '.join(STUDY_MODELS)} (got {got})")
    model = STUDY_MODELS[study]
    _validate(model, data, str(path), linemap)
    chosen = data
    if data.get("quick") is not None:
        if not isinstance(data["quick"], dict):
            raise ScenarioError(f"{path}:{linemap.line_for(('quick',))}: quick: must be a mapping of keys to values")
        bad = {"study", "quick"} & set(data["quick"])
        if bad:
            raise ScenarioError(f"{path}:{linemap.line_for(('quick', min(bad)))}: quick.{min(bad)}: "
                                "cannot be changed by the quick form")
        merged = _merge(data, data["quick"])
        _validate(model, merged, str(path), linemap, prefix=("quick",), keys=set(data["quick"]))
        if quick:
            chosen = merged
    exp = model.model_validate(chosen)
    if exp.name is None:
        exp.name = safe_name(path.stem, "experiment")
    return exp, linemap


def _merge(data: dict[str, Any], quick: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for k, v in quick.items():
        out[k] = {**(data.get("set") or {}), **v} if k == "set" and isinstance(v, dict) else v
    return out


def _validate(model: type[_Experiment], data: dict[str, Any], source: str, linemap: LineMap,
              prefix: tuple = (), keys: set[str] | None = None) -> None:
    """Validate ``data``; errors in keys the quick block gave are reported at the quick block's lines."""
    try:
        model.model_validate(data)
    except ValidationError as err:
        if not prefix:
            raise ScenarioError(describe_errors(err, source, linemap, model)) from None
        lines = []
        for e in err.errors():
            loc = tuple(e["loc"])
            if loc and loc[0] in (keys or set()):
                loc = prefix + loc
            where = linemap.line_for(loc)
            lines.append(f"{source}:{where}: {format_loc(loc) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}")
        raise ScenarioError("\n".join(lines)) from None


def check_experiment(exp: Experiment, path: str | Path, linemap: LineMap, repo: Path,
                     overrides: dict[str, Any] | None = None, quick: bool = False) -> list[Scenario]:
    """Build every scenario the study will run (its base scenario with ``set`` and ``overrides``, and
    each mortality variant) and return them; a bad key or value raises :class:`ScenarioError` naming
    the experiment file's line. Nothing is simulated."""
    path = str(path)
    block = ("quick",) if quick and "set" in (exp.quick or {}) else ()
    scen = exp.scenario
    if scen:
        p = Path(scen) if Path(scen).is_absolute() else repo / scen
        if not p.is_file():
            raise ScenarioError(f"{path}:{linemap.line_for(('scenario',))}: scenario: file not found: {p}")
        base = load_scenario(p)
    else:
        base = Scenario()
    sets = dict(exp.set)
    for key, value in sets.items():  # one key at a time, so an error names its line
        _override(base, {key: value}, f"{path}:{linemap.line_for(block + ('set', key))}", "set.")
    base = _override(base, sets, f"{path}:{linemap.line_for(block + ('set',))}", "set.")
    if overrides:
        base = base.with_overrides(overrides, source="--set")
    out = [base]
    if isinstance(exp, MortalityExperiment) and exp.landmark_days >= base.days:
        # the landmark analysis counts deaths after the landmark: it needs days beyond it
        key = ("quick", "landmark_days") if quick and "landmark_days" in (exp.quick or {}) else ("landmark_days",)
        raise ScenarioError(f"{path}:{linemap.line_for(key)}: {'.'.join(key)}: {exp.landmark_days} leaves no follow-up "
                            f"after the landmark in a study of {base.days} days; make it smaller than days")
    if exp.study == "big_joy" and not base.interventions:
        raise ScenarioError(f"{path}:{linemap.line_for(('scenario',))}: scenario: the big_joy study needs a "
                            "scenario with an intervention (the Big Joy week)")
    if isinstance(exp, ProgrammeTrialExperiment):
        where = f"{path}:{linemap.line_for(('programme',))}"
        try:
            out.append(base.with_overrides({"interventions": [exp.programme]}, source=where))
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace(f"{where}: interventions[0]", f"{where}: programme")) from None
    for i, v in enumerate(exp.variants if isinstance(exp, MortalityExperiment) else []):
        for key, value in v.set.items():
            _override(base, {key: value}, f"{path}:{linemap.line_for(('variants', i, 'set', key))}", f"variants[{i}].set.")
        out.append(_override(base, dict(v.set), f"{path}:{linemap.line_for(('variants', i))}",
                             f"variants[{i}].set."))
    return out


def _override(base: Scenario, overrides: dict[str, Any], where: str, prefix: str) -> Scenario:
    """``base.with_overrides(overrides)``; errors name ``where`` and the key under ``prefix`` (``set.days``)."""
    try:
        return base.with_overrides(overrides, source=where)
    except ScenarioError as exc:
        lines = [ln.replace(f"{where}: ", f"{where}: {prefix}", 1) for ln in str(exc).split("\n")]
        raise ScenarioError("\n".join(lines)) from None
