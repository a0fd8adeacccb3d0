from __future__ import annotations

import pytest

from selforg_scheduler import InputError, default_rules, load_rules, rules_from_dict
from selforg_scheduler.rules.base import REGISTRY


def test_all_domain_rules_are_registered_in_order():
    assert list(REGISTRY)[:9] == [
        "coverage",
        "skills",
        "availability",
        "exclusions",
        "travel",
        "time_windows",
        "dependencies",
        "double_ups",
        "continuity",
    ]
    assert {"daily_limit", "breaks", "lone_working", "roles"} <= set(REGISTRY)


def test_switched_off_rules_are_not_active():
    rules = rules_from_dict({"rules": {"roles": {"enabled": False}}})
    active = {r.name for r in rules.active()}
    assert "coverage" in active and "breaks" in active and "roles" not in active
    assert not rules.is_on("roles") and rules.is_on("breaks")


def test_unknown_rule_lists_valid_names():
    with pytest.raises(InputError) as err:
        rules_from_dict({"rules": {"coverag": {}}}, file="x.yaml")
    assert err.value.file == "x.yaml"
    assert "unknown rule 'coverag'" in str(err.value) and "coverage" in str(err.value)


def test_unknown_parameter_lists_valid_parameters():
    with pytest.raises(InputError) as err:
        rules_from_dict({"rules": {"travel": {"weight": 2}}}, file="x.yaml")
    assert err.value.obj == "rules.travel" and err.value.field == "weight"
    assert "weight_per_minute" in str(err.value)


def test_wrong_type_and_range_are_errors():
    with pytest.raises(InputError, match="rules.coverage"):
        rules_from_dict({"rules": {"coverage": {"weight_per_minute": -1}}})
    with pytest.raises(InputError, match="hard"):
        rules_from_dict({"rules": {"time_windows": {"hard": "maybe"}}})


def test_overrides_are_typed():
    rs = load_rules(None, ["travel.weight_per_minute=3", "continuity.max_distinct_workers=null", "coverage.hard=true"])
    assert rs["travel"].params.weight_per_minute == 3
    assert rs["continuity"].params.max_distinct_workers is None
    assert rs["coverage"].params.hard is True


def test_override_syntax_errors():
    for bad in ["travel", "travel=3", "=3", ".x=1"]:
        with pytest.raises(InputError, match="rule.param=value"):
            load_rules(None, [bad])


def test_yaml_file_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_rules(bad)
    with pytest.raises(InputError, match="file not found"):
        load_rules(tmp_path / "missing.yaml")
    top = tmp_path / "top.yaml"
    top.write_text("rulez: {}\n")
    with pytest.raises(InputError, match="unknown key 'rulez'"):
        load_rules(top)


def test_disabling_a_rule_removes_it_from_active():
    rs = rules_from_dict({"rules": {"travel": {"enabled": False}}})
    assert not rs.is_on("travel")
    assert "travel" not in {r.name for r in rs.active()}


def test_set_keeps_a_clock_time_as_text():
    # Unquoted 11:30 is the number 690 in YAML 1.1; --set must keep it a time of day.
    assert rules_from_dict({}, overrides=["breaks.window_start=11:30"])["breaks"].params.window_start == "11:30"


MINUTE_RULES = [
    "daily_limit", "weekly_limit", "daily_rest", "weekly_rest", "breaks", "lone_working",
    "flexible_working", "contract_hours", "fairness", "roles",
]  # fmt: skip


def _fine(**extra):
    """A rule set in ticks of 1/100 minute with every whole-minute rule off."""
    rules = {name: {"enabled": False} for name in MINUTE_RULES}
    rules.update(extra)
    return {"resolution": 100, "rules": rules}


def test_resolution_is_a_whole_number_of_ticks_per_minute():
    assert default_rules().resolution == 1
    assert rules_from_dict(_fine()).resolution == 100
    for bad in (0, 1001, 2.5, "fine", True):
        with pytest.raises(InputError) as info:
            rules_from_dict({**_fine(), "resolution": bad}, file="r.yaml")
        assert info.value.field == "resolution" and info.value.file == "r.yaml"


@pytest.mark.parametrize("name", MINUTE_RULES)
def test_a_whole_minute_rule_refuses_a_finer_resolution(name):
    raw = _fine()
    raw["rules"][name] = {"enabled": True}
    with pytest.raises(InputError) as info:
        rules_from_dict(raw, file="r.yaml")
    assert info.value.obj == f"rules.{name}" and "whole minutes" in str(info.value)


def test_lateness_weights_must_divide_into_ticks():
    soft = {"hard": False, "lateness_weight_per_minute": 150}
    with pytest.raises(InputError) as info:
        rules_from_dict(_fine(time_windows=soft))
    assert info.value.obj == "rules.time_windows" and "lateness_weight_per_minute" in str(info.value)
    assert rules_from_dict(_fine(time_windows={**soft, "lateness_weight_per_minute": 300})).resolution == 100
