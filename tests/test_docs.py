"""Docs that are generated must be current."""

from pathlib import Path

from sim.paramdoc import parameters_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_parameter_reference_is_generated_from_the_schema():
    assert (ROOT / "docs" / "parameters.md").read_text() == parameters_markdown(), \
        "docs/parameters.md is stale: run `lonesim schema --markdown > docs/parameters.md`"


def test_readme_opens_with_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert "bash scripts/install.sh && .venv/bin/lonesim run scenarios/baseline.yaml" in block
    assert "bash scripts/test.sh" in block
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
