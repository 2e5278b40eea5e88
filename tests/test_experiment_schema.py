"""The validation studies receive their validated model (issue 17): every default comes from the schema
(a study never falls back on a number of its own), and the model still reads like the file's mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim.validation as V
from sim.validation.schema import ContagionExperiment, DoseResponseExperiment, MortalityExperiment

EXP = Path(__file__).resolve().parents[1] / "experiments"
CONTAGION = """\
study: contagion
published:
  spread_ratio: [1.5, 2.5]
  duration_ratio: [1.5, 2.5]
  years_content: [1, 10]
  years_discontent: [1, 10]
"""


def test_what_a_file_leaves_out_takes_the_schemas_default(tmp_path):
    path = tmp_path / "contagion_min.yaml"
    path.write_text(CONTAGION, encoding="utf-8")
    exp = V.load_experiment(path)
    assert isinstance(exp, ContagionExperiment)
    schema = ContagionExperiment.model_fields
    # the study used to fall back on 2 replicates where the schema says 4 (issue 17)
    assert exp.replicates == schema["replicates"].default == 4
    assert (exp.kmax, exp.bootstraps, exp.bootstrap_seed) == (schema["kmax"].default, schema["bootstraps"].default,
                                                             schema["bootstrap_seed"].default)
    assert exp.name == "contagion_min" and exp["name"] == "contagion_min" and exp.get("perturbed_days", 7) == 7
    exp["replicates"] = 3
    assert exp.replicates == 3
    with pytest.raises(ValueError):
        exp["replicates"] = 0  # assignments are validated too
    with pytest.raises(KeyError):
        exp["no_such_key"]


def test_the_shipped_experiments_load_as_their_studys_model():
    assert isinstance(V.load_experiment(EXP / "mortality.yaml"), MortalityExperiment)
    dose = V.load_experiment(EXP / "dose_response.yaml", quick=True)
    assert isinstance(dose, DoseResponseExperiment) and dose.replicates == 2 and dose.hr_labels == ["low", "central", "high"]
    mortality = V.load_experiment(EXP / "mortality.yaml")
    assert mortality.variants and all(v.replicates == 2 for v in mortality.variants)
    assert mortality.published.hr_isolation[1] == pytest.approx(1.32)


def test_a_given_key_is_in_the_model_as_it_was_in_the_files_mapping():
    """`key in exp.published` (the studies' "is this figure published?") means given, as it did for the dict."""
    trial = V.load_experiment(EXP / "programme_phone_calls.yaml")
    pub = trial.published
    assert ("difference" in pub) == (pub.difference is not None) and "reference" in pub
    assert ("smd" in pub) == (pub.smd is not None) and "no_such_key" not in pub
    population = V.load_experiment(EXP / "population.yaml")
    assert "isolation_65" in population.published
