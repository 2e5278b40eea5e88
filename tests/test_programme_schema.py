"""Programmes are a discriminated union (issue 17): one small model per kind, so a field of another kind
is refused with the usual one-line error (file, line, key), and a programme carries only its own fields."""

from __future__ import annotations

import pytest
from conftest import lonesim
from pydantic import ValidationError

from sim.config import Scenario, programme
from sim.config.programmes import ARM_MODELS, PROGRAMME_KINDS, PROGRAMME_MODELS, ProgrammeBase

BAD = """\
name: bad
days: 30
population:
  size: 100
interventions:
  - kind: smile_campaign
    coverage: 0.2
    group_size: 6
  - kind: nope
    coverage: 0.1
  - kind: group_activity
    group_sise: 4
comparison:
  arms:
    - name: a
      kind: befriending
      call_value: 3
"""


def test_a_field_of_another_kind_is_refused_with_one_line_naming_file_line_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    res = lonesim("validate", path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [
        f"error: {path}:8: interventions[0].group_size: unknown key 'group_size': not a field of a smile_campaign "
        "programme (it belongs to group_activity)",
        f"error: {path}:9: interventions[1].kind: Input should be "
        + ", ".join(f"'{k}'" for k in PROGRAMME_KINDS[:-1]) + f" or '{PROGRAMME_KINDS[-1]}' (got 'nope')",
        f"error: {path}:12: interventions[2].group_sise: unknown key 'group_sise' (did you mean 'group_size'?)",
        f"error: {path}:17: comparison.arms[0].call_value: unknown key 'call_value': not a field of a befriending "
        "programme (it belongs to phone_calls)",
    ]


def test_each_kind_has_its_own_model_with_only_its_own_fields():
    assert tuple(m.model_fields["kind"].annotation.__args__[0] for m in PROGRAMME_MODELS) == PROGRAMME_KINDS
    common = set(ProgrammeBase.model_fields)
    own = {m.__name__: set(m.model_fields) - common for m in PROGRAMME_MODELS}
    assert own["SmileCampaign"] == {"smile_odds_multiplier"}
    assert own["GroupActivity"] == {"group_size", "group_tie_closeness", "ties_kept_share"}
    assert own["KindnessCampaign"] == {"kind_acts_per_day"}
    p = programme(kind="phone_calls", duration_days=28)
    assert type(p).__name__ == "PhoneCalls" and p.call_value == pytest.approx(5.13)
    assert set(p.model_dump()) == common | {"daily_call_days", "calls_per_week", "call_value"}
    with pytest.raises(ValidationError):
        programme(kind="smile_campaign", visits_per_week=3)
    sc = Scenario.model_validate({"interventions": [{"kind": "befriending", "visits_per_week": 1}],
                                  "comparison": {"arms": [{"name": "g", "kind": "group_activity", "group_size": 5}]}})
    assert type(sc.interventions[0]).__name__ == "Befriending"
    arm = sc.comparison.arms[0]
    assert type(arm) in ARM_MODELS and arm.group_size == 5 and arm.name == "g"
    assert type(arm.programme()).__name__ == "GroupActivity" and "name" not in arm.programme().model_dump()
    assert "visits_per_week" not in sc.model_dump()["comparison"]["arms"][0]


def test_the_parameter_table_still_lists_every_programme_field_once():
    from sim.paramdoc import parameters_markdown

    text = parameters_markdown()
    for m in PROGRAMME_MODELS:
        for name in m.model_fields:
            assert text.count(f"| `interventions[].{name}` |") == 1, name
    assert text.index("`comparison.arms[].relapse_half_life_days`") < text.index("`comparison.arms[].name`")
