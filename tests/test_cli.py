"""The command line: bad input exits 2 with one line naming file, object and field; solve/validate/schema work."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import at, tiny_instance, visit_by_id, write_json
from selforg_scheduler.cli import app

Raw = dict[str, Any]
runner = CliRunner()


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def stderr_of(result: Any) -> str:
    try:
        return result.stderr  # Click >= 8.2 always keeps stderr apart
    except ValueError:  # older Click with mix_stderr=True
        return result.output


def assert_one_error_line(result: Any, *needles: str) -> str:
    """Exit code 2, exactly one non-empty line of output, containing every needle, no traceback."""
    everything = result.output + ("" if stderr_of(result) in result.output else stderr_of(result))
    assert "Traceback" not in everything
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, everything
    lines = [line for line in everything.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line in stderr_of(result)
    for needle in needles:
        assert needle in line, (needle, line)
    return line


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A valid instance, with a valid (all-unassigned) ``sol.json`` next to it for ``validate``."""
    raw = tiny_instance()
    write_json(
        tmp_path,
        "sol.json",
        {
            "instance": {"team": raw["team"]["id"], "sha256": ""},
            "status": "FEASIBLE",
            "visits": [],
            "unassigned": [{"visit": v["id"], "reason": "by hand"} for v in raw["visits"]],
        },
    )
    return write_json(tmp_path, "week.json", raw)


def test_good_input_passes_the_same_commands(good):
    """The error cases below fail for the one thing they break, not for the files around it."""
    result = invoke(*command("validate", good))
    assert result.exit_code == 0, result.output  # all unassigned: costly but valid
    result = invoke(*command("solve", good, "--set", "travel.weight_per_minute=2"))
    assert result.exit_code == 0, result.output


def command(kind: str, instance: Path, *extra: object) -> list[object]:
    """``solve INSTANCE --out ...`` or ``validate INSTANCE SOLUTION``, with extra options."""
    if kind == "solve":
        return [
            "solve",
            instance,
            "--out",
            instance.parent / "out" / "sol.json",
            "-t",
            "5",
            "--workers",
            "1",
            "-q",
            *extra,
        ]
    return ["validate", instance, instance.parent / "sol.json", *extra]


# --- bad instance files --------------------------------------------------------------------------


def _typo(raw: Raw) -> None:
    visit_by_id(raw, "v2")["duraton_min"] = 30


# (case id, mutation, object and field the line must name)
BAD_INSTANCES: list[tuple[str, Callable[[Raw], None], Sequence[str]]] = [
    ("unknown field", _typo, ("visits[v2]", "duraton_min", "unknown field")),
    ("unknown top-level field", lambda r: r.update(comments="x"), ("comments", "unknown field")),
    ("unknown client id", lambda r: visit_by_id(r, "v2").update(client="c9"), ("visits[v2]", "client", "c9")),
    (
        "unknown worker id",
        lambda r: r["clients"][0]["link_workers"].append("w9"),
        ("clients[c1]", "link_workers", "w9"),
    ),
    (
        "inverted window",
        lambda r: visit_by_id(r, "v3").update(latest_start=at("09:00")),
        ("visits[v3]", "latest_start"),
    ),
    (
        "wrong type",
        lambda r: visit_by_id(r, "v3").update(duration_min="long"),
        ("visits[v3]", "duration_min"),
    ),
    (
        "flexible-working entry of unknown kind",
        lambda r: r["workers"][0].update(flexible_working=[{"kind": "nap_time", "strength": "wish"}]),
        ("workers[", "flexible_working", "nap_time"),
    ),
    (
        "time 25:00",
        lambda r: r["workers"][0].update(
            flexible_working=[{"kind": "latest_end", "time": "25:00", "strength": "agreed"}]
        ),
        ("workers[", "flexible_working", "time"),
    ),
    (
        "buddy group naming a non-worker",
        lambda r: r.update(buddies=[[r["workers"][0]["id"], "w99"]]),
        ("buddies[0]", "w99"),
    ),
    (
        "contract above the weekly legal limit",
        lambda r: r["workers"][0].update(contract_minutes=3000),
        ("workers[", "contract_minutes", "2880"),
    ),
    (
        "unknown worker in role history",
        lambda r: r.update(
            roles=[{"id": "scheduler", "holders": 1}],
            role_history=[{"week_start": "2026-11-23", "role": "scheduler", "worker": "w99"}],
        ),
        ("role_history[0]", "worker", "w99"),
    ),
    (
        "unknown role in role history",
        lambda r: r.update(
            role_history=[{"week_start": "2026-11-23", "role": "chair", "worker": r["workers"][0]["id"]}]
        ),
        ("role_history[0]", "role", "chair"),
    ),
    (
        "a worker who avoids themself",
        lambda r: r["workers"][0].update(buddy_avoid=[r["workers"][0]["id"]]),
        ("workers[", "buddy_avoid", "themself"),
    ),
    (
        "unknown worker in buddy preferences",
        lambda r: r["workers"][0].update(buddy_preferences=["w99"]),
        ("workers[", "buddy_preferences", "w99"),
    ),
    (
        "leave ending before it starts",
        lambda r: r["workers"][0].update(leave=[{"start": "2026-12-10", "end": "2026-12-08"}]),
        ("workers[", "leave", "end"),
    ),
    (
        "negative duration",
        lambda r: visit_by_id(r, "v3").update(duration_min=-5),
        ("visits[v3].duration_min", "greater than 0"),
    ),
]


@pytest.mark.parametrize("kind", ["solve", "validate"])
@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in BAD_INSTANCES], ids=[c[0] for c in BAD_INSTANCES])
def test_bad_instance_is_one_line_exit_2(tmp_path, kind, mutate, needles):
    raw = tiny_instance()
    mutate(raw)
    path = write_json(tmp_path, "week.json", raw)
    result = invoke(*command(kind, path))
    line = assert_one_error_line(result, str(path), *needles)
    assert line.startswith("error: ")
    assert not (tmp_path / "out" / "sol.json").exists()


@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_missing_instance_file(tmp_path, kind):
    path = tmp_path / "nope.json"
    assert_one_error_line(invoke(*command(kind, path)), str(path), "file not found")


@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_instance_not_json(tmp_path, kind):
    path = tmp_path / "week.json"
    path.write_text("{not json", encoding="utf-8")
    assert_one_error_line(invoke(*command(kind, path)), str(path), "not valid JSON")


def test_missing_solution_file(good):
    sol = good.parent / "missing.json"
    assert_one_error_line(invoke("validate", good, sol), str(sol), "file not found")


def test_bad_solution_file_names_visit_and_field(good):
    sol = write_json(
        good.parent,
        "sol.json",
        {
            "instance": {"team": "tiny", "sha256": ""},
            "status": "FEASIBLE",
            "visits": [{"visit": "v1", "strat": at("08:00"), "start": at("08:00"), "workers": ["w1"]}],
        },
    )
    assert_one_error_line(invoke("validate", good, sol), str(sol), "visits[v1]", "strat", "unknown field")


# --- bad rule sets and overrides -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_unknown_rule_in_yaml(good, kind):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text("rules:\n  coverag:\n    hard: true\n", encoding="utf-8")
    line = assert_one_error_line(invoke(*command(kind, good, "--rules", yaml_path)), str(yaml_path), "'coverag'")
    assert "unknown rule" in line and "coverage" in line  # lists the valid names


@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_unknown_parameter_in_yaml(good, kind):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text("rules:\n  travel:\n    weight: 2\n", encoding="utf-8")
    line = assert_one_error_line(
        invoke(*command(kind, good, "--rules", yaml_path)), str(yaml_path), "rules.travel", "weight"
    )
    assert "unknown parameter" in line and "weight_per_minute" in line


def test_wrong_parameter_value_in_yaml(good):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text("rules:\n  time_windows:\n    hard: maybe\n", encoding="utf-8")
    assert_one_error_line(
        invoke(*command("solve", good, "--rules", yaml_path)), str(yaml_path), "rules.time_windows", "hard"
    )


def test_yaml_that_is_not_yaml(good):
    yaml_path = good.parent / "rules.yaml"
    yaml_path.write_text("rules: [unclosed\n  travel: : :\n", encoding="utf-8")
    assert_one_error_line(invoke(*command("solve", good, "--rules", yaml_path)), str(yaml_path), "not valid YAML")


def test_missing_rules_file(good):
    yaml_path = good.parent / "nope.yaml"
    assert_one_error_line(invoke(*command("solve", good, "--rules", yaml_path)), str(yaml_path), "file not found")


@pytest.mark.parametrize("bad", ["travel=3", "travel.weight_per_minute", "=3", ".x=1"])
@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_bad_set_syntax(good, kind, bad):
    assert_one_error_line(invoke(*command(kind, good, "--set", bad)), "--set", "rule.param=value", bad)


@pytest.mark.parametrize("kind", ["solve", "validate"])
def test_unknown_rule_in_set(good, kind):
    line = assert_one_error_line(invoke(*command(kind, good, "--set", "travl.weight_per_minute=3")), "--set", "'travl'")
    assert "unknown rule" in line


def test_unknown_parameter_in_set(good):
    line = assert_one_error_line(invoke(*command("solve", good, "--set", "travel.weight=3")), "rules.travel", "weight")
    assert "unknown parameter" in line


@pytest.mark.parametrize("with_yaml", [True, False], ids=["with-rules-yaml", "no-rules-yaml"])
def test_unknown_parameter_in_set_is_blamed_on_set(good, with_yaml):
    yaml_path = good.parent / "ok.yaml"
    yaml_path.write_text("rules:\n  travel:\n    weight_per_minute: 2\n", encoding="utf-8")
    extra = ["--rules", yaml_path] if with_yaml else []
    line = assert_one_error_line(
        invoke(*command("solve", good, *extra, "--set", "travel.weight=3")), "--set", "rules.travel", "weight"
    )
    assert str(yaml_path) not in line


# --- solve, validate, schema on good input -------------------------------------------------------


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> tuple[Path, Path, Any]:
    tmp = tmp_path_factory.mktemp("solved")
    inst = write_json(tmp, "week.json", tiny_instance())
    sol = tmp / "out" / "sol.json"
    result = invoke("solve", inst, "--out", sol, "-t", "5", "--workers", "1", "-q")
    return inst, sol, result


def test_solve_writes_a_solution_covering_every_visit_once(solved):
    _, sol, result = solved
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    data = json.loads(sol.read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    assert data["instance"]["team"] == "tiny"
    assert data["status"] in {"OPTIMAL", "FEASIBLE"}
    listed = [v["visit"] for v in data["visits"]] + [u["visit"] for u in data["unassigned"]]
    assert sorted(listed) == ["v1", "v2", "v3", "v4"]  # each exactly once
    for v in data["visits"]:
        assert v["workers"] and set(v["workers"]) <= {"w1", "w2"}
        datetime.fromisoformat(v["start"])


def test_validate_accepts_the_solvers_rota(solved):
    inst, sol, _ = solved
    result = invoke("validate", inst, sol)
    assert result.exit_code == 0, result.output
    assert "valid;" in result.stdout and "INVALID" not in result.stdout


def test_validate_rejects_a_visit_moved_three_hours_late(solved, tmp_path):
    inst, sol, _ = solved
    data = json.loads(sol.read_text(encoding="utf-8"))
    moved = data["visits"][0]
    start = datetime.fromisoformat(moved["start"]) + timedelta(hours=3)
    moved["start"] = start.isoformat(timespec="minutes")
    edited = write_json(tmp_path, "edited.json", data)
    result = invoke("validate", inst, edited)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("time_windows:")]
    assert lines, result.output
    assert any(moved["visit"] in line for line in lines)
    assert "INVALID" in result.output


@pytest.mark.parametrize(("kind", "also"), [("instance", "team"), ("solution", "unassigned")])
def test_schema(kind, also):
    result = invoke("schema", kind)
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "visits" in schema["properties"]
    assert also in schema["properties"]


def test_schema_of_unknown_kind_is_a_usage_error():
    result = invoke("schema", "rota")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- the workers table of solve reads the reports' workers table ---------------------------------

ROOT = Path(__file__).resolve().parent.parent


def test_workers_table_shows_the_figures_it_showed_before_reading_them_from_reports():
    from selforg_scheduler.cli.tables import worker_rows
    from selforg_scheduler.contract.io import load_instance, load_solution
    from selforg_scheduler.outputs.reports import build_reports

    inst = load_instance(ROOT / "instances" / "week.json")
    sol = load_solution(ROOT / "instances" / "week.plan.json")
    rows = {row[0]: row for row in worker_rows(build_reports(inst, sol).workers)}
    assert list(rows) == [w.id for w in inst.workers]
    # days worked, visits and contract hours, counted here from the rota and the instance
    for w in inst.workers:
        mine = [a for a in sol.visits if w.id in a.workers]
        row = rows[w.id]
        assert row[1] == w.name + (" (new)" if w.new_starter else "")
        assert row[3] == str(len({a.start.date() for a in mine})), w.id
        assert row[4] == str(len(mine)), w.id
        assert row[6] == f"{w.contract_minutes / 60:.1f}", w.id
    assert rows["w01"][2] == ", ".join(sorted(r.role.replace("_", " ").title() for r in sol.roles if r.worker == "w01"))


def test_roles_new_starters_and_workers_without_contract_come_from_the_reports(tmp_path):
    from selforg_scheduler.cli.tables import worker_rows
    from selforg_scheduler.contract.io import load_instance, load_solution
    from selforg_scheduler.outputs.reports import build_reports

    raw = tiny_instance()
    raw["workers"][0]["contract_minutes"] = 0  # w1: no contract, so no hours balance and no unsociable share
    raw["workers"][1]["new_starter"] = True
    raw["roles"] = [{"id": "sched", "name": "Scheduler"}, {"id": "coord"}]
    inst_path = write_json(tmp_path, "week.json", raw)
    held = [{"week_start": raw["horizon"]["start"], "role": r, "worker": "w1"} for r in ("sched", "coord")]
    sol_path = write_json(
        tmp_path,
        "sol.json",
        {
            "instance": {"team": raw["team"]["id"], "sha256": ""},
            "status": "FEASIBLE",
            "visits": [],
            "unassigned": [{"visit": v["id"], "reason": "by hand"} for v in raw["visits"]],
            "roles": held,
        },
    )
    workers = build_reports(load_instance(inst_path), load_solution(sol_path)).workers
    assert workers.select("worker", "new_starter", "roles").rows() == [
        ("w1", False, "Scheduler, coord"),
        ("w2", True, ""),
    ]
    assert workers["unsociable_visits"].to_list() == [None, 0]
    w1, w2 = worker_rows(workers)
    assert w1 == ("w1", "Asha", "Scheduler, coord", "0", "0", "0.0", "0.0", "-", "0", "-")
    assert w2[:3] == ("w2", "Ben (new)", "") and w2[6:] == (
        "8.0",
        "-1.1",
        "0",
        "0",
    )  # 480 min a week, a one-day horizon


def test_solve_prints_the_workers_table_of_the_reports(tmp_path, monkeypatch):
    from selforg_scheduler.cli import common
    from selforg_scheduler.cli.tables import worker_rows
    from selforg_scheduler.contract.io import load_instance, load_solution
    from selforg_scheduler.outputs.reports import build_reports

    monkeypatch.setattr(common.out, "width", 200)  # no truncated cells
    inst = write_json(tmp_path, "week.json", tiny_instance())
    sol = tmp_path / "out" / "sol.json"
    result = invoke("solve", inst, "--out", sol, "-t", "5", "--workers", "1", "--no-html")
    assert result.exit_code == 0, result.output
    rows = [tuple(cell.strip() for cell in line.strip("│ ").split("│")) for line in result.stdout.splitlines()]
    printed = [row for row in rows if row[0] in ("w1", "w2")]
    expected = worker_rows(build_reports(load_instance(inst), load_solution(sol)).workers)
    assert printed == expected
    assert sum(int(row[4]) for row in printed) == sum(len(v["workers"]) for v in json.loads(sol.read_text())["visits"])
