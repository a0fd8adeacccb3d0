"""Loading instances and solutions: every bad input is an InputError naming file, object and field."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from helpers import at, tiny_instance, visit_by_id, write_json
from selforg_scheduler import (
    InputError,
    Solution,
    instance_from_dict,
    load_instance,
    load_solution,
    solution_json,
)
from selforg_scheduler.contract.errors import describe_location
from selforg_scheduler.contract.io import instance_sha256, write_solution

Raw = dict[str, Any]


def load_error(tmp_path, raw: Raw, name: str = "week.json") -> tuple[InputError, str]:
    """Write ``raw`` to a file, load it, and return the InputError it must raise and the path."""
    path = write_json(tmp_path, name, raw)
    with pytest.raises(InputError) as info:
        load_instance(path)
    return info.value, str(path)


def where(err: InputError) -> str:
    return ".".join(p for p in (err.obj, err.field) if p)


def test_tiny_instance_is_valid():
    inst = instance_from_dict(tiny_instance())
    assert [v.id for v in inst.visits] == ["v1", "v2", "v3", "v4"]
    assert [w.id for w in inst.workers] == ["w1", "w2"]
    assert len(inst.clients) == 3 and len(inst.dependencies) == 1


def test_tiny_instance_is_a_fresh_copy_each_time():
    a = tiny_instance()
    visit_by_id(a, "v1")["duration_min"] = 999
    assert visit_by_id(tiny_instance(), "v1")["duration_min"] == 30


# --- files -------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(InputError) as info:
        load_instance(path)
    err = info.value
    assert err.file == str(path)
    assert err.obj is None and err.field is None
    assert err.message == "file not found"
    assert str(err) == f"{path}: file not found"


def test_missing_solution_file(tmp_path):
    path = tmp_path / "sol.json"
    with pytest.raises(InputError, match="file not found") as info:
        load_solution(path)
    assert info.value.file == str(path)


def test_not_json(tmp_path):
    path = tmp_path / "week.json"
    path.write_text('{"team": {"id": "x",\n oops}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_instance(path)
    err = info.value
    assert err.file == str(path)
    assert err.obj is None and err.field is None
    assert err.message.startswith("not valid JSON")
    assert "line 2" in err.message


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(InputError) as info:
        load_instance(tmp_path)
    assert info.value.file == str(tmp_path)
    assert "folder" in info.value.message


# --- bad contents: one table of cases ----------------------------------------------------------


def _typo_in_visit(raw: Raw) -> None:
    visit_by_id(raw, "v2")["duraton_min"] = 30  # a misspelt extra key next to the right one


def _four_buddies(raw: Raw) -> None:
    template = raw["workers"][1]
    raw["workers"] += [dict(copy.deepcopy(template), id="w3"), dict(copy.deepcopy(template), id="w4")]
    raw["buddies"] = [["w1", "w2", "w3", "w4"]]


def _unknown_role(raw: Raw) -> None:
    raw["roles"] = [{"id": "scheduler", "name": "Scheduler"}]
    raw["role_history"] = [{"week_start": "2026-11-23", "role": "boss", "worker": "w1"}]


def _haversine_without_lat(raw: Raw) -> None:
    raw["travel"] = {"method": "haversine", "speed_kmh": 30}
    for i, loc in enumerate(raw["locations"]):
        loc.pop("x"), loc.pop("y")
        loc.update(lat=50.7 + i / 100, lon=-3.5)
    del raw["locations"][3]["lat"]  # L-c2


def _matrix_missing_pair(raw: Raw) -> None:
    raw["travel"] = {"method": "matrix", "minutes": {"L-c1": {"L-c2": 5, "L-c3": 7}}}


def _visit_outside_horizon(raw: Raw) -> None:
    v = visit_by_id(raw, "v3")
    v["earliest_start"] = at("10:00", "2026-12-02")
    v["latest_start"] = at("11:00", "2026-12-02")


# (case id, mutation, expected obj, expected field, text the message must contain)
CASES: list[tuple[str, Callable[[Raw], None], str | None, str | None, str]] = [
    ("unknown field in a visit", _typo_in_visit, "visits[v2]", "duraton_min", "unknown field"),
    ("unknown top-level field", lambda r: r.update(comments="hi"), None, "comments", "unknown field"),
    (
        "unknown link worker",
        lambda r: r["clients"][0]["link_workers"].append("w9"),
        "clients[c1]",
        "link_workers",
        "unknown worker 'w9'",
    ),
    (
        "unknown client on a visit",
        lambda r: visit_by_id(r, "v2").update(client="c9"),
        "visits[v2]",
        "client",
        "unknown client 'c9'",
    ),
    (
        "unknown location of a client",
        lambda r: r["clients"][1].update(location="L-nowhere"),
        "clients[c2]",
        "location",
        "unknown location 'L-nowhere'",
    ),
    (
        "unknown home location",
        lambda r: r["workers"][1].update(home="L-nowhere"),
        "workers[w2]",
        "home",
        "unknown location 'L-nowhere'",
    ),
    ("duplicate visit id", lambda r: visit_by_id(r, "v3").update(id="v2"), "visits[v2]", "id", "duplicate id"),
    ("visit outside the horizon", _visit_outside_horizon, "visits[v3]", "earliest_start", "outside the horizon"),
    (
        "wrong type",
        lambda r: visit_by_id(r, "v3").update(duration_min="long"),
        "visits[v3]",
        "duration_min",
        "valid number",
    ),
    (
        "negative duration",
        lambda r: visit_by_id(r, "v3").update(duration_min=-5),
        "visits[v3]",
        "duration_min",
        "greater than 0",
    ),
    (
        "dependency on an unknown visit",
        lambda r: r.update(dependencies=[{"first": "v1", "second": "v99"}]),
        "dependencies[0]",
        "second",
        "unknown visit 'v99'",
    ),
    ("buddy group of 1", lambda r: r.update(buddies=[["w1"]]), "buddies[0]", None, "2 or 3 workers, not 1"),
    ("buddy group of 4", _four_buddies, "buddies[0]", None, "2 or 3 workers, not 4"),
    (
        "buddy group naming a non-worker",
        lambda r: r.update(buddies=[["w1", "c1"]]),
        "buddies[0]",
        None,
        "unknown worker 'c1'",
    ),
    ("unknown role in role_history", _unknown_role, "role_history[0]", "role", "unknown role 'boss'"),
    ("haversine location without lat", _haversine_without_lat, "locations[L-c2]", "lat", "haversine"),
    ("matrix travel missing a pair", _matrix_missing_pair, "travel", "minutes", "no travel time from 'L-c2' to 'L-c3'"),
    (
        "unknown time zone",
        lambda r: r["team"].update(timezone="Mars/Olympus"),
        "team",
        "timezone",
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        "time 25:00 in flexible_working",
        lambda r: r["workers"][0].update(
            flexible_working=[{"kind": "latest_end", "time": "25:00", "strength": "wish"}]
        ),
        "workers[w1].flexible_working[0]",
        "time",
        "time",
    ),
]


@pytest.mark.parametrize(("mutate", "obj", "field", "text"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_instance_names_file_object_and_field(tmp_path, mutate, obj, field, text):
    raw = tiny_instance()
    mutate(raw)
    err, path = load_error(tmp_path, raw)
    assert err.file == path
    assert err.obj == obj
    assert err.field == field
    assert text in err.message
    assert "\n" not in str(err)
    assert str(err) == ": ".join(p for p in (path, where(err), err.message) if p)


def test_one_line_format_is_file_object_field_message():
    raw = tiny_instance()
    visit_by_id(raw, "v3")["duration_min"] = 0
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, file="week.json")
    assert info.value.one_line() == "week.json: visits[v3].duration_min: Input should be greater than 0"
    assert str(info.value) == info.value.one_line()


def test_more_problems_are_counted():
    raw = tiny_instance()
    visit_by_id(raw, "v2")["duration_min"] = -1
    visit_by_id(raw, "v3")["duration_min"] = -1
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, file="week.json")
    assert info.value.obj == "visits[v2]"
    assert info.value.message.endswith("(and 1 more problem)")


def _misspelt_duration(raw: Raw) -> None:
    v = visit_by_id(raw, "v2")
    v["duraton_min"] = v.pop("duration_min")


def test_misspelt_required_field_names_the_visit(tmp_path):
    raw = tiny_instance()
    _misspelt_duration(raw)
    err, path = load_error(tmp_path, raw)
    assert err.file == path
    assert err.obj == "visits[v2]"
    assert err.field in {"duration_min", "duraton_min"}
    assert "1 more problem" in err.message


def test_misspelt_required_field_names_the_typo(tmp_path):
    raw = tiny_instance()
    _misspelt_duration(raw)
    err, _ = load_error(tmp_path, raw)
    assert "duraton_min" in err.one_line()
    assert "did you mean 'duration_min'" in err.message


def test_inverted_window_names_the_visit_and_latest_start(tmp_path):
    raw = tiny_instance()
    visit_by_id(raw, "v3")["latest_start"] = at("09:00")  # earliest is 10:00
    err, path = load_error(tmp_path, raw)
    assert err.file == path
    assert err.obj is not None and err.obj.startswith("visits[v3]")
    line = err.one_line()
    assert "visits[v3]" in line and "latest_start" in line and "earliest_start" in line


def test_inverted_window_field_attribute_is_latest_start(tmp_path):
    raw = tiny_instance()
    visit_by_id(raw, "v3")["latest_start"] = at("09:00")
    err, _ = load_error(tmp_path, raw)
    assert err.obj == "visits[v3]"
    assert err.field == "latest_start"


def test_availability_end_before_start(tmp_path):
    raw = tiny_instance()
    raw["workers"][1]["availability"] = [{"start": at("15:00"), "end": at("07:00")}]
    err, path = load_error(tmp_path, raw)
    assert err.file == path
    assert where(err) == "workers[w2].availability[0].end"
    assert "not after start" in err.message


def test_unknown_flexible_working_kind(tmp_path):
    raw = tiny_instance()
    raw["workers"][0]["flexible_working"] = [{"kind": "nap", "strength": "wish"}]
    err, path = load_error(tmp_path, raw)
    assert err.file == path
    assert err.obj == "workers[w1].flexible_working[0]"
    assert err.field in (None, "kind")
    assert "'nap'" in err.message and "kind" in err.message
    assert "latest_end" in err.message  # the valid kinds are listed


def test_flexible_working_kinds_from_the_contract_load():
    raw = tiny_instance()
    raw["workers"][0]["flexible_working"] = [
        {"kind": "earliest_start", "time": "09:15", "days": ["mon", "tue"], "strength": "agreed"},
        {"kind": "day_off", "date": "2026-12-05", "strength": "wish"},
        {"kind": "latest_end", "time": "18:00", "strength": "wish"},
        {"kind": "max_minutes_per_day", "minutes": 420, "strength": "agreed"},
    ]
    inst = instance_from_dict(raw)
    assert [f.kind for f in inst.workers[0].flexible_working] == [
        "earliest_start",
        "day_off",
        "latest_end",
        "max_minutes_per_day",
    ]


def test_complete_travel_data_loads():
    """The travel cases above fail for the missing piece only, not for the travel method."""
    raw = tiny_instance()
    raw["travel"] = {"method": "matrix", "minutes": {"L-c1": {"L-c2": 5, "L-c3": 7}, "L-c3": {"L-c2": 4}}}
    assert instance_from_dict(raw).travel.lookup("L-c2", "L-c3") == 4
    raw = tiny_instance()
    _haversine_without_lat(raw)
    raw["locations"][3]["lat"] = 50.9
    assert instance_from_dict(raw).travel.method == "haversine"


def test_unknown_visit_skill_is_only_a_warning(caplog):
    raw = tiny_instance()
    with caplog.at_level(logging.WARNING):
        instance_from_dict(raw, file="week.json")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    visit_by_id(raw, "v3")["skills"] = ["flying"]
    with caplog.at_level(logging.WARNING):
        inst = instance_from_dict(raw, file="week.json")
    assert {v.id: v.skills for v in inst.visits}["v3"] == ["flying"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "week.json" in warnings[0] and "visits[v3].skills" in warnings[0] and "'flying'" in warnings[0]


# --- describe_location ---------------------------------------------------------------------------


def test_describe_location_names_list_items_by_id():
    raw = tiny_instance()
    assert describe_location(raw, ("visits", 1, "duration_min")) == ("visits[v2]", "duration_min")
    assert describe_location(raw, ("workers", 0, "availability", 0, "end")) == (
        "workers[w1].availability[0]",
        "end",
    )
    assert describe_location(raw, ("visits", 1)) == ("visits[v2]", None)


def test_describe_location_without_ids():
    raw = tiny_instance()
    assert describe_location(raw, ("team", "timezone")) == ("team", "timezone")
    assert describe_location(raw, ("comments",)) == (None, "comments")
    assert describe_location(raw, ()) == (None, None)
    # an index past the end, or an item without an id, is named by its position
    assert describe_location(raw, ("visits", 99, "id")) == ("visits[99]", "id")
    assert describe_location(raw, ("dependencies", 0, "first")) == ("dependencies[0]", "first")


def test_describe_location_names_solution_items_by_visit():
    raw = {"visits": [{"visit": "v7", "start": "soon", "workers": []}]}
    assert describe_location(raw, ("visits", 0, "start")) == ("visits[v7]", "start")


# --- solutions and hashes ------------------------------------------------------------------------


def _solution() -> Solution:
    return Solution.model_validate(
        {
            "instance": {"team": "tiny", "sha256": "ab" * 32},
            "status": "FEASIBLE",
            "objective": 1234,
            "bound": 1100.5,
            "gap": 0.1085,
            "wall_s": 1.25,
            "visits": [
                {"visit": "v1", "start": at("08:00"), "workers": ["w1"]},
                {"visit": "v2", "start": "2026-11-30T09:00:30", "workers": ["w2"], "pinned": True},
                {"visit": "v3", "start": at("10:15"), "workers": ["w1", "w2"]},
            ],
            "unassigned": [{"visit": "v4", "reason": "no one is free"}],
            "breaks": [{"worker": "w1", "start": at("11:50"), "end": at("12:10")}],
            "roles": [{"week_start": "2026-11-30", "role": "scheduler", "worker": "w2"}],
            "penalties": {"continuity": 300, "travel": 24.5},
            "kpis": {"coverage_pct": 75.0, "travel_minutes": 24.5},
            "found_by": "hand",
        }
    )


def test_solution_round_trip(tmp_path):
    sol = _solution()
    path = write_solution(sol, tmp_path / "out" / "sol.json")
    assert path.read_text(encoding="utf-8") == solution_json(sol)
    back = load_solution(path)
    assert back == sol
    assert back.visits[1].pinned is True and back.visits[1].start == datetime(2026, 11, 30, 9, 0, 30)
    assert back.roles[0].week_start == date(2026, 11, 30)


def test_solution_json_writes_contract_times():
    data = json.loads(solution_json(_solution()))
    assert [v["start"] for v in data["visits"]] == ["2026-11-30T08:00", "2026-11-30T09:00:30", "2026-11-30T10:15"]
    assert "pinned" not in data["visits"][0] and data["visits"][1]["pinned"] is True
    assert data["breaks"][0] == {"worker": "w1", "start": "2026-11-30T11:50", "end": "2026-11-30T12:10"}


def test_bad_solution_names_the_visit(tmp_path):
    data = json.loads(solution_json(_solution()))
    data["visits"][2]["workers"] = []
    path = write_json(tmp_path, "sol.json", data)
    with pytest.raises(InputError) as info:
        load_solution(path)
    assert info.value.file == str(path)
    assert info.value.obj == "visits[v3]" and info.value.field == "workers"


def _reversed_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _reversed_keys(node[k]) for k in reversed(list(node))}
    if isinstance(node, list):
        return [_reversed_keys(x) for x in node]
    return node


def test_instance_sha256_ignores_key_order_and_sees_content():
    raw = tiny_instance()
    reordered = _reversed_keys(raw)
    assert list(reordered) != list(raw)
    assert list(reordered["visits"][0]) != list(raw["visits"][0])
    digest = instance_sha256(instance_from_dict(raw))
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert instance_sha256(instance_from_dict(reordered)) == digest
    assert instance_sha256(instance_from_dict(tiny_instance())) == digest

    changed = tiny_instance()
    visit_by_id(changed, "v2")["duration_min"] = 46
    assert instance_sha256(instance_from_dict(changed)) != digest


def test_adding_an_unused_field_keeps_the_hash_of_old_solutions():
    # week.plan.json was hashed before workers, clients and roles gained `team`
    from pathlib import Path

    from selforg_scheduler.contract.io import load_instance, load_solution

    root = Path(__file__).resolve().parents[1]
    inst = load_instance(root / "instances" / "week.json")
    assert load_solution(root / "instances" / "week.plan.json").instance.sha256 == instance_sha256(inst)
    teamed = inst.model_copy(update={"workers": [w.model_copy(update={"team": "t"}) for w in inst.workers]})
    assert instance_sha256(teamed) != instance_sha256(inst)
