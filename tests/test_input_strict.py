"""Strict input: bad input is one line naming the file (or option), the object id and the field,
and exit code 2; nothing reaches the user as a traceback (exit 3 is for our bugs).

Every case runs the real command line (typer's CliRunner, or ``python -m selforg_scheduler``):
types are not converted, NaN and Infinity are refused, numbers the solver carries are bounded,
JSON and YAML files are sane, a missing field is named where it is missing, a typer-refused path
is one line, date-time options are local, and times the clocks skip do not exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import at, tiny_instance, visit_by_id, write_json
from selforg_scheduler.cli import app
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.rules.base import REGISTRY
from selforg_scheduler.rules.config import MAX_WEIGHT, rules_from_dict, weight_params
from test_cli import assert_one_error_line

Raw = dict[str, Any]
runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result: Any, *needles: str) -> str:
    """:func:`test_cli.assert_one_error_line`, the line starting with ``error:``."""
    line = assert_one_error_line(result, *needles)
    assert line.startswith("error: "), line
    return line


def all_unassigned(raw: Raw) -> Raw:
    return {
        "instance": {"team": raw["team"]["id"], "sha256": ""},
        "status": "FEASIBLE",
        "visits": [],
        "unassigned": [{"visit": v["id"], "reason": "by hand"} for v in raw["visits"]],
    }


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A valid instance ``week.json`` with an all-unassigned ``sol.json`` beside it."""
    raw = tiny_instance()
    write_json(tmp_path, "sol.json", all_unassigned(raw))
    return write_json(tmp_path, "week.json", raw)


def validate_instance(tmp_path: Path, raw: Raw) -> Any:
    path = write_json(tmp_path, "week.json", raw)
    write_json(tmp_path, "sol.json", all_unassigned(raw))
    return path, invoke("validate", path, tmp_path / "sol.json")


def check_bad_instance(tmp_path: Path, mutate: Callable[[Raw], Any], needles: Sequence[str]) -> str:
    raw = tiny_instance()
    mutate(raw)
    path, result = validate_instance(tmp_path, raw)
    return one_error_line(result, f"{path}: ", *needles)


def test_the_tiny_instance_and_its_rota_pass_validate(good):
    """The cases below fail for the one thing each breaks, not for the files around it."""
    result = invoke("validate", good, good.parent / "sol.json")
    assert result.exit_code == 0, result.output


# --- 1. types are not converted ---------------------------------------------------------------

LAX_TYPES: list[tuple[str, Callable[[Raw], Any], Sequence[str]]] = [
    (
        "duration as a string",
        lambda r: visit_by_id(r, "v2").update(duration_min="30"),
        ("visits[v2].duration_min", "valid number", 'the string "30"'),
    ),
    (
        "workers_required as a string",
        lambda r: visit_by_id(r, "v2").update(workers_required="2"),
        ("visits[v2].workers_required", "valid integer", 'the string "2"'),
    ),
    (
        "workers_required as a boolean",
        lambda r: visit_by_id(r, "v2").update(workers_required=True),
        ("visits[v2].workers_required", "valid integer", "not true"),
    ),
    (
        "new_starter as a string",
        lambda r: r["workers"][1].update(new_starter="yes"),
        ("workers[w2].new_starter", "valid boolean", 'the string "yes"'),
    ),
    (
        "new_starter as a number",
        lambda r: r["workers"][1].update(new_starter=1),
        ("workers[w2].new_starter", "valid boolean"),
    ),
    (
        "contract minutes as a string",
        lambda r: r["workers"][0].update(contract_minutes="480"),
        ("workers[w1].contract_minutes", "valid number"),
    ),
    (
        "a date-time as a number",
        lambda r: visit_by_id(r, "v3").update(earliest_start=1796025600),
        ("visits[v3].earliest_start", "valid datetime"),
    ),
    (
        "schema_version true",
        lambda r: r.update(schema_version=True),
        ("schema_version", "should be 1"),
    ),
    (
        "a skill as a number",
        lambda r: visit_by_id(r, "v1").update(skills=[7]),
        ("visits[v1].skills[0]", "valid string", "the number 7"),
    ),
    (
        "euclidean speed as a string",
        lambda r: r["travel"].update(speed="1"),
        ("travel.speed", "valid number"),
    ),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in LAX_TYPES], ids=[c[0] for c in LAX_TYPES])
def test_a_wrong_json_type_is_an_error_not_converted(tmp_path, mutate, needles):
    check_bad_instance(tmp_path, mutate, needles)


def test_whole_numbers_serve_as_fractions_and_dates_are_strings(tmp_path):
    raw = tiny_instance()
    visit_by_id(raw, "v1").update(duration_min=30, earliest_start=at("08:00:00"))
    raw["workers"][0].update(contract_minutes=480.5, overtime_minutes=60)
    raw["dependencies"][0].update(min_gap_min=180, max_gap_min=300.5)
    path, result = validate_instance(tmp_path, raw)
    assert result.exit_code == 0, result.output
    assert load_instance(path).visits[0].duration_min == 30.0


def test_the_shipped_week_and_its_plan_still_load():
    inst = load_instance(ROOT / "instances" / "week.json")
    sol = load_solution(ROOT / "instances" / "week.plan.json")
    assert inst.visits and sol.visits


SOLUTION_LAX: list[tuple[str, Callable[[Raw], Any], Sequence[str]]] = [
    (
        "workers as a string",
        lambda s: s["visits"].append({"visit": "v1", "start": at("08:00"), "workers": "w1"}),
        ("visits[v1].workers", "valid array", 'the string "w1"'),
    ),
    (
        "pinned as a string",
        lambda s: s["visits"].append({"visit": "v1", "start": at("08:00"), "workers": ["w1"], "pinned": "yes"}),
        ("visits[v1].pinned", "valid boolean"),
    ),
    ("objective as a string", lambda s: s.update(objective="5"), ("objective",)),
    ("wall_s as a boolean", lambda s: s.update(wall_s=True), ("wall_s", "valid number")),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in SOLUTION_LAX], ids=[c[0] for c in SOLUTION_LAX])
def test_a_wrong_json_type_in_a_rota_is_an_error(good, mutate, needles):
    sol = all_unassigned(tiny_instance())
    sol["unassigned"] = [u for u in sol["unassigned"] if u["visit"] != "v1"]
    mutate(sol)
    path = write_json(good.parent, "rota.json", sol)
    one_error_line(invoke("validate", good, path), f"{path}: ", *needles)


# --- 2. NaN and Infinity ------------------------------------------------------------------------


def _with_literal(raw: Raw, path: Sequence[str | int], literal: str) -> str:
    """The instance as JSON text with ``literal`` (NaN, Infinity, 1e400) at ``path``."""
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = "@@HERE@@"
    return json.dumps(raw).replace('"@@HERE@@"', literal)


NON_FINITE: list[tuple[str, Callable[[Raw], Any], Sequence[str | int], str, str]] = [
    ("duration NaN", lambda r: None, ("visits", 1, "duration_min"), "NaN", "visits[v2].duration_min"),
    ("overtime NaN", lambda r: None, ("workers", 0, "overtime_minutes"), "NaN", "workers[w1].overtime_minutes"),
    (
        "min gap -Infinity",
        lambda r: None,
        ("dependencies", 0, "min_gap_min"),
        "-Infinity",
        "dependencies[0].min_gap_min",
    ),
    ("max gap Infinity", lambda r: None, ("dependencies", 0, "max_gap_min"), "Infinity", "dependencies[0].max_gap_min"),
    ("speed Infinity", lambda r: None, ("travel", "speed"), "Infinity", "travel.speed"),
    ("coordinate NaN", lambda r: None, ("locations", 2, "x"), "NaN", "locations[L-c1].x"),
    ("a number too large for a float", lambda r: None, ("locations", 3, "y"), "1e400", "locations[L-c2].y"),
    (
        "matrix minutes NaN",
        lambda r: r.update(travel={"method": "matrix", "minutes": {"L-c1": {"L-c2": 0}}}),
        ("travel", "minutes", "L-c1", "L-c2"),
        "NaN",
        "travel.minutes.L-c1.L-c2",
    ),
    (
        "haversine speed NaN",
        lambda r: r.update(travel={"method": "haversine", "speed_kmh": 30}),
        ("travel", "speed_kmh"),
        "NaN",
        "travel.speed_kmh",
    ),
]


@pytest.mark.parametrize(
    ("prepare", "where", "literal", "named"), [c[1:] for c in NON_FINITE], ids=[c[0] for c in NON_FINITE]
)
def test_nan_and_infinity_are_refused_naming_object_and_field(tmp_path, prepare, where, literal, named):
    raw = tiny_instance()
    prepare(raw)
    path = tmp_path / "week.json"
    path.write_text(_with_literal(raw, where, literal), encoding="utf-8")
    write_json(tmp_path, "sol.json", all_unassigned(raw))
    line = one_error_line(invoke("validate", path, tmp_path / "sol.json"), f"{path}: {named}: ")
    assert "not a finite number" in line
    assert "less than or equal" not in line  # what pydantic said of NaN before


def test_nan_in_solve_is_exit_2_not_an_internal_error(tmp_path):
    raw = tiny_instance()
    path = tmp_path / "week.json"
    path.write_text(_with_literal(raw, ("workers", 0, "overtime_minutes"), "NaN"), encoding="utf-8")
    result = invoke("solve", path, "--out", tmp_path / "out" / "sol.json", "-q", "-t", "5", "--workers", "1")
    one_error_line(result, "workers[w1].overtime_minutes", "not a finite number")


def test_nan_in_a_rota_is_refused(good):
    sol = all_unassigned(tiny_instance())
    path = good.parent / "rota.json"
    path.write_text(_with_literal(sol, ("objective",), "NaN"), encoding="utf-8")
    one_error_line(invoke("validate", good, path), f"{path}: objective: NaN is not a finite number")


# --- 3. numbers the solver carries are bounded -----------------------------------------------------


def _haversine(raw: Raw, speed_kmh: float) -> None:
    raw["travel"] = {"method": "haversine", "speed_kmh": speed_kmh}
    for k, loc in enumerate(raw["locations"]):
        loc.pop("x"), loc.pop("y")
        loc.update(lat=50.7 + k / 100, lon=-3.5)


BOUNDED: list[tuple[str, Callable[[Raw], Any], Sequence[str]]] = [
    ("tiny euclidean speed", lambda r: r["travel"].update(speed=1e-300), ("travel.speed", "greater than or equal")),
    ("tiny haversine speed", lambda r: _haversine(r, 1e-300), ("travel.speed_kmh", "greater than or equal to 1")),
    ("huge haversine speed", lambda r: _haversine(r, 1e6), ("travel.speed_kmh", "less than or equal to 200")),
    (
        "matrix minutes over a week",
        lambda r: r.update(travel={"method": "matrix", "minutes": {"L-c1": {"L-c2": 1e12}}}),
        ("travel.minutes.L-c1.L-c2", "less than or equal to 10080"),
    ),
    (
        "locations more than a week apart",
        lambda r: r["locations"][4].update(x=1e300),
        ("locations[L-c3].x", "more than a week's travel"),
    ),
    ("huge dependency gap", lambda r: r["dependencies"][0].update(max_gap_min=1e300), ("dependencies[0].max_gap_min",)),
    ("huge overtime", lambda r: r["workers"][0].update(overtime_minutes=1e300), ("workers[w1].overtime_minutes",)),
    (
        "a role of 10**20 holders",
        lambda r: r.update(roles=[{"id": "sched", "holders": 10**20}]),
        ("roles[sched].holders", "less than or equal to 1000"),
    ),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in BOUNDED], ids=[c[0] for c in BOUNDED])
def test_numbers_that_would_overflow_the_solver_are_refused(tmp_path, mutate, needles):
    check_bad_instance(tmp_path, mutate, needles)


def test_a_tiny_haversine_speed_makes_solve_exit_2_not_overflow(tmp_path):
    raw = tiny_instance()
    _haversine(raw, 1e-300)
    path = write_json(tmp_path, "week.json", raw)
    result = invoke("solve", path, "--out", tmp_path / "out" / "sol.json", "-q", "-t", "5", "--workers", "1")
    one_error_line(result, f"{path}: travel.speed_kmh")


# --- 4. JSON nested too deeply ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 50])
def test_deeply_nested_json_is_one_line(tmp_path, depth):
    path = tmp_path / "week.json"
    path.write_text('{"team": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    write_json(tmp_path, "sol.json", all_unassigned(tiny_instance()))
    one_error_line(invoke("validate", path, tmp_path / "sol.json"), f"{path}: not valid JSON: nested too deeply")


def test_a_deeply_nested_rota_is_one_line(good):
    path = good.parent / "rota.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    one_error_line(invoke("validate", good, path), f"{path}: not valid JSON: nested too deeply")


def test_an_integer_of_too_many_digits_is_one_line(tmp_path):
    path = tmp_path / "week.json"
    path.write_text('{"schema_version": ' + "9" * 5000 + "}", encoding="utf-8")
    write_json(tmp_path, "sol.json", all_unassigned(tiny_instance()))
    one_error_line(invoke("validate", path, tmp_path / "sol.json"), f"{path}: not valid JSON")


# --- 5. rule-set YAML: UTF-8, no key twice -----------------------------------------------------------


def test_a_rules_file_that_is_not_utf8_is_one_line(good):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_bytes(b"\xff\xfe rules:\n")
    one_error_line(invoke("validate", good, good.parent / "sol.json", "--rules", yaml_path), f"{yaml_path}: ", "UTF-8")


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        ("rules:\n  coverage:\n    weight_per_minute: 5\n    weight_per_minute: 7\n", "'weight_per_minute'", "3 and 4"),
        ("rules:\n  travel:\n    enabled: true\n  travel:\n    enabled: false\n", "'travel'", "2 and 4"),
        ("rules: {}\nrules:\n  travel: {enabled: false}\n", "'rules'", "1 and 2"),
    ],
    ids=["parameter", "rule", "top level"],
)
def test_a_key_given_twice_in_yaml_is_refused_naming_key_and_lines(good, text, key, lines):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text(text, encoding="utf-8")
    line = one_error_line(invoke("validate", good, good.parent / "sol.json", "--rules", yaml_path), f"{yaml_path}: ")
    assert key in line and f"lines {lines}" in line and "twice" in line


def test_a_yaml_merge_may_be_overridden_without_a_duplicate_error(tmp_path):
    yaml_path = tmp_path / "rules.yaml"
    yaml_path.write_text(
        "rules:\n  travel: &base\n    weight_per_minute: 3\n  contract_hours:\n    <<: *base\n    weight_per_minute: 4\n",
        encoding="utf-8",
    )
    from selforg_scheduler.rules.config import load_rules

    rules = load_rules(yaml_path)
    assert rules["contract_hours"].params.weight_per_minute == 4
    assert rules["travel"].params.weight_per_minute == 3


# --- 6. weights the solver can carry -------------------------------------------------------------


def test_a_weight_over_the_limit_from_set_is_one_line_naming_set(good):
    result = invoke("validate", good, good.parent / "sol.json", "--set", "coverage.weight_per_minute=1000000000000000")
    line = one_error_line(result, "--set: rules.coverage.weight_per_minute: at most 1000000", "64-bit objective")
    assert str(good) not in line


def test_a_weight_over_the_limit_in_solve_is_exit_2_not_model_invalid(good):
    result = invoke(
        "solve",
        good,
        "--out",
        good.parent / "out" / "s.json",
        "-q",
        "--set",
        "coverage.weight_per_minute=1000000000000000",
    )
    one_error_line(result, "--set: rules.coverage.weight_per_minute: at most 1000000")
    assert not (good.parent / "out" / "s.json").exists()


def test_a_weight_over_the_limit_in_yaml_names_the_file(good):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text("rules:\n  fairness:\n    weight: 1000001\n", encoding="utf-8")
    one_error_line(
        invoke("validate", good, good.parent / "sol.json", "--rules", yaml_path),
        f"{yaml_path}: rules.fairness.weight: at most 1000000",
    )


def test_every_weight_and_reward_of_every_rule_is_bounded():
    found = {(name, p) for name, cls in REGISTRY.items() for p in weight_params(cls.Params)}
    assert {("coverage", "weight_per_minute"), ("continuity", "link_worker_reward"), ("fairness", "weight")} <= found
    for name, cls in REGISTRY.items():
        for param in cls.Params.model_fields:
            is_weight = (name, param) in found
            assert is_weight == any(w in param.split("_") for w in ("weight", "reward")), (name, param)
    for name, param in sorted(found):
        rules_from_dict({}, overrides=[f"{name}.{param}={MAX_WEIGHT}"])  # the limit itself is fine
        with pytest.raises(InputError, match="at most 1000000") as info:
            rules_from_dict({}, overrides=[f"{name}.{param}={MAX_WEIGHT + 1}"])
        assert (info.value.obj, info.value.field, info.value.file) == (f"rules.{name}", param, "--set")


def test_the_largest_weights_still_make_a_valid_model(tmp_path):
    path = write_json(tmp_path, "week.json", tiny_instance())
    sets = [
        arg
        for name, cls in REGISTRY.items()
        for param in weight_params(cls.Params)
        for arg in ("--set", f"{name}.{param}={MAX_WEIGHT}")
    ]
    out = tmp_path / "out" / "sol.json"
    result = invoke("solve", path, "--out", out, "-q", "-t", "10", "--workers", "1", "--no-html", *sets)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["status"] in {"OPTIMAL", "FEASIBLE"}


# --- 7. a missing field is named where it is missing ---------------------------------------------


MISSING: list[tuple[str, Callable[[Raw], Any], Sequence[str]]] = [
    ("visit without client", lambda r: visit_by_id(r, "v3").pop("client"), ("visits[v3].client: Field required",)),
    ("worker without id", lambda r: r["workers"][1].pop("id"), ("workers[1].id: Field required",)),
    ("no horizon", lambda r: r.pop("horizon"), (": horizon: Field required",)),
    ("horizon without start", lambda r: r["horizon"].pop("start"), ("horizon.start: Field required",)),
    ("travel without method", lambda r: r["travel"].pop("method"), ("travel.method: Field required",)),
    (
        "flexible working without kind",
        lambda r: r["workers"][0].update(flexible_working=[{"time": "09:00", "strength": "wish"}]),
        ("workers[w1].flexible_working[0].kind: Field required",),
    ),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in MISSING], ids=[c[0] for c in MISSING])
def test_a_missing_field_names_its_object_and_field(tmp_path, mutate, needles):
    line = check_bad_instance(tmp_path, mutate, needles)
    assert "unknown field" not in line and "valid dictionary" not in line


def test_a_file_that_is_not_an_object_says_so(tmp_path):
    path = tmp_path / "week.json"
    path.write_text("[1, 2]", encoding="utf-8")
    write_json(tmp_path, "sol.json", all_unassigned(tiny_instance()))
    result = invoke("validate", path, tmp_path / "sol.json")
    one_error_line(result, f"{path}: should be a JSON object", "not a list")


# --- 8. every date-time field is named --------------------------------------------------------------

DATETIME_FIELDS: list[tuple[str, Callable[[Raw], Any], str]] = [
    (
        "earliest_start with an offset",
        lambda r: visit_by_id(r, "v1").update(earliest_start=at("08:00") + "+01:00"),
        "visits[v1].earliest_start: ",
    ),
    (
        "latest_start with an offset",
        lambda r: visit_by_id(r, "v1").update(latest_start=at("09:00") + "Z"),
        "visits[v1].latest_start: ",
    ),
    (
        "earliest_start not a time",
        lambda r: visit_by_id(r, "v1").update(earliest_start="soon"),
        "visits[v1].earliest_start: ",
    ),
    (
        "availability start with an offset",
        lambda r: r["workers"][0]["availability"][0].update(start=at("07:00") + "+00:00"),
        "workers[w1].availability[0].start: ",
    ),
    (
        "flexible working earliest_start time",
        lambda r: r["workers"][0].update(
            flexible_working=[{"kind": "earliest_start", "time": "9am", "strength": "wish"}]
        ),
        "workers[w1].flexible_working[0].time: ",
    ),
]


@pytest.mark.parametrize(("mutate", "named"), [c[1:] for c in DATETIME_FIELDS], ids=[c[0] for c in DATETIME_FIELDS])
def test_every_date_time_error_names_its_field(tmp_path, mutate, named):
    check_bad_instance(tmp_path, mutate, (named,))


# --- 9. a path typer refuses is one line -----------------------------------------------------------


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_an_unreadable_instance_is_one_line(good):
    good.chmod(0)
    try:
        one_error_line(invoke("validate", good, good.parent / "sol.json"), str(good), "cannot read")
    finally:
        good.chmod(0o644)


def test_a_path_typer_finds_unreadable_is_one_line_not_a_usage_box(good, monkeypatch):
    """What a chmod 000 file meets, for a user who is not root: typer's own readable check."""
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    line = one_error_line(invoke("validate", good, good.parent / "sol.json"), f"{good}: cannot read: permission denied")
    assert "Usage" not in line and "╭" not in line


@pytest.mark.parametrize("what", ["folder", "missing"])
def test_a_folder_or_a_missing_file_is_one_line(tmp_path, what):
    path = tmp_path / "week"
    if what == "folder":
        path.mkdir()
    one_error_line(
        invoke("validate", path, tmp_path / "sol.json"), f"{path}: ", "folder" if what == "folder" else "not found"
    )


def test_a_bad_option_value_is_one_line(good):
    result = invoke("solve", good, "--out", good.parent / "out" / "s.json", "-t", "abc")
    one_error_line(result, "'--time-limit'", "valid number")


def test_the_installed_command_line_prints_one_line_too(tmp_path):
    folder = tmp_path / "week.json"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "selforg_scheduler", "validate", str(folder), str(tmp_path / "sol.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == [f"error: {folder}: is a folder, not a file"]


# --- 10. date-time options are local ---------------------------------------------------------------


def test_repair_from_with_an_offset_is_refused(good, tmp_path):
    result = invoke(
        "repair", good, good.parent / "sol.json", "--absent", "w1", "--from", "2026-11-30T00:00+01:00",
        "--out", tmp_path / "out" / "r.json", "-t", "5", "--workers", "1",
    )  # fmt: skip
    one_error_line(result, "--from: give a local date-time without a UTC offset", "time zone")


def test_repair_now_with_an_offset_is_refused(good, tmp_path):
    result = invoke(
        "repair", good, good.parent / "sol.json", "--absent", "w1", "--from", "2026-11-30T00:00",
        "--now", "2026-11-30T10:00Z", "--out", tmp_path / "out" / "r.json", "-t", "5", "--workers", "1",
    )  # fmt: skip
    one_error_line(result, "--now: give a local date-time without a UTC offset")


# --- 11. times the clocks skip do not exist ---------------------------------------------------------

SPRING = "2027-03-28"  # Europe/London: 01:00 GMT becomes 02:00 BST
FALL = "2027-10-31"  # Europe/London: 02:00 BST becomes 01:00 GMT (01:00-01:59 happens twice)


def on_day(raw: Raw, day: str) -> Raw:
    """The tiny instance moved to ``day`` (a one-day horizon)."""
    text = json.dumps(raw).replace("2026-11-30", day)
    moved: Raw = json.loads(text)
    return moved


SKIPPED: list[tuple[str, Callable[[Raw], Any], str]] = [
    (
        "visit earliest_start",
        lambda r: visit_by_id(r, "v1").update(earliest_start=f"{SPRING}T01:30"),
        f"visits[v1].earliest_start: {SPRING}T01:30 does not exist in Europe/London (clocks go forward)",
    ),
    (
        "visit latest_start",
        lambda r: visit_by_id(r, "v1").update(earliest_start=f"{SPRING}T00:30", latest_start=f"{SPRING}T01:00"),
        f"visits[v1].latest_start: {SPRING}T01:00 does not exist in Europe/London",
    ),
    (
        "availability end",
        lambda r: r["workers"][1]["availability"].append({"start": f"{SPRING}T00:00", "end": f"{SPRING}T01:59"}),
        f"workers[w2].availability[1].end: {SPRING}T01:59 does not exist",
    ),
    (
        "commitment start",
        lambda r: r["workers"][0].update(commitments=[{"start": f"{SPRING}T01:15", "end": f"{SPRING}T03:00"}]),
        f"workers[w1].commitments[0].start: {SPRING}T01:15 does not exist",
    ),
]


@pytest.mark.parametrize(("mutate", "named"), [c[1:] for c in SKIPPED], ids=[c[0] for c in SKIPPED])
def test_a_time_the_clocks_skip_is_refused(tmp_path, mutate, named):
    raw = on_day(tiny_instance(), SPRING)
    mutate(raw)
    path, result = validate_instance(tmp_path, raw)
    one_error_line(result, f"{path}: {named}")


def test_a_time_the_clocks_show_twice_is_allowed(tmp_path):
    raw = on_day(tiny_instance(), FALL)
    visit_by_id(raw, "v1").update(earliest_start=f"{FALL}T01:30", latest_start=f"{FALL}T01:45")
    raw["workers"][0]["availability"].append({"start": f"{FALL}T01:00", "end": f"{FALL}T01:59"})
    _, result = validate_instance(tmp_path, raw)
    assert result.exit_code == 0, result.output


def test_the_hour_after_the_jump_exists(tmp_path):
    raw = on_day(tiny_instance(), SPRING)
    visit_by_id(raw, "v1").update(earliest_start=f"{SPRING}T00:59", latest_start=f"{SPRING}T02:00")
    _, result = validate_instance(tmp_path, raw)
    assert result.exit_code == 0, result.output
