"""The docs and YAML stay true to the code: every rule, every knob, every default, the schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from selforg_scheduler import Instance, Solution, default_rules, load_rules
from selforg_scheduler.rules.base import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
RULES_MD = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def section(name: str) -> str:
    match = re.search(rf"^#+ {name}\n(.*?)(?=^#+ |\Z)", RULES_MD, re.S | re.M)
    assert match, f"docs/rules.md has no section for rule {name!r}"
    return match.group(1)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_rule_and_knob_is_documented_with_its_default(name):
    text = section(name)
    for param, field in REGISTRY[name].Params.model_fields.items():
        if param == "enabled":
            continue
        default = json.dumps(field.default)
        assert f"`{param}` | `{default}`" in text, f"{name}.{param} default {default} not in docs"


def test_every_rule_has_its_maths_line():
    for name in REGISTRY:
        assert "Maths" in section(name), name


def test_default_yaml_is_exactly_the_defaults():
    assert load_rules(ROOT / "constraints" / "default.yaml").to_dict() == default_rules().to_dict()


@pytest.mark.parametrize("path", sorted((ROOT / "constraints").glob("*.yaml")), ids=lambda p: p.name)
def test_every_rule_set_loads(path):
    load_rules(path)


@pytest.mark.parametrize(("model", "name"), [(Instance, "instance"), (Solution, "solution")])
def test_schema_files_are_current(model, name):
    written = json.loads((ROOT / "docs" / "schemas" / f"{name}.schema.json").read_text())
    assert written == model.model_json_schema()
