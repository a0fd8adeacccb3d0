"""solve-many: one solution per team instance, a summary; local pool and Ray agree; a broken file
is reported without stopping the others."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.modes.many import solve_many
from selforg_scheduler.rules.validator import validate

TEAMS = 3


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("teams")
    for k in range(1, TEAMS + 1):
        made = generate_instance(workers=4, visits=24, days=1, seed=k)
        made.instance["team"]["id"] = f"team-{k}"
        (root / f"team{k}.json").write_text(json.dumps(made.instance))
        (root / f"team{k}.plan.json").write_text(json.dumps(made.plan))  # not an instance: skipped
    return root


def _solved(outcomes):
    """What an executor must not change whatever the machine's speed: each instance's team and
    visits, that it got a rota (OPTIMAL or FEASIBLE: which of the two depends on how far a timed
    search got) and that the rota passed the validator."""
    return {o.instance: (o.team, o.visits, o.status in ("OPTIMAL", "FEASIBLE"), o.valid) for o in outcomes}


def test_local_pool_solves_every_team_and_writes_valid_rotas(folder, tmp_path):
    outcomes = solve_many(folder, tmp_path, time_limit_s=5, executor="local", jobs=2)
    assert sorted(o.instance for o in outcomes) == [f"team{k}.json" for k in range(1, TEAMS + 1)]
    for o in outcomes:
        assert o.status in ("OPTIMAL", "FEASIBLE") and o.valid, o
        sol = load_solution(o.solution)
        assert validate(load_instance(folder / o.instance), sol).ok
        assert sol.instance.team == o.team


def test_ray_gives_the_same_outcomes_as_the_local_pool(folder, tmp_path):
    pytest.importorskip("ray")  # in the test extra, so CI runs it
    local = solve_many(folder, tmp_path / "local", time_limit_s=5, executor="local", jobs=1)
    on_ray = solve_many(folder, tmp_path / "ray", time_limit_s=5, executor="ray", jobs=2)
    assert _solved(on_ray) == _solved(local)
    assert sorted(_solved(on_ray)) == [f"team{k}.json" for k in range(1, TEAMS + 1)]
    assert all(o.valid and o.status in ("OPTIMAL", "FEASIBLE") for o in on_ray)
    assert {Path(o.solution).parent.name for o in on_ray} == {"ray"}


def test_command_reports_a_broken_instance_and_solves_the_others(folder, tmp_path):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    for k in (1, 2):
        (mixed / f"team{k}.json").write_text((folder / f"team{k}.json").read_text())
    (mixed / "broken.json").write_text('{"schema_version": 1, "team": {"id": "x"}}')
    result = CliRunner().invoke(app, ["solve-many", str(mixed), "-t", "3", "--jobs", "1"])
    assert result.exit_code == 2, result.output
    assert "broken.json" in result.output and "Traceback" not in result.output
    summary = pl.read_csv(mixed / "solutions" / "summary.csv")
    by_name = dict(zip(summary["instance"], summary["status"], strict=True))
    assert by_name["broken.json"] == "INPUT_ERROR"
    assert by_name["team1.json"] in ("OPTIMAL", "FEASIBLE") and by_name["team2.json"] in ("OPTIMAL", "FEASIBLE")
    assert (mixed / "solutions" / "team1.solution.json").exists()


def test_a_missing_folder_is_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["solve-many", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "not a folder" in result.output


def test_an_organisation_file_is_solved_team_by_team(tmp_path):
    made = generate_instance(workers=8, visits=48, days=1, seed=3, teams=2)
    src = tmp_path / "in"
    src.mkdir()
    (src / "org.json").write_text(json.dumps(made.instance))
    (outcome,) = solve_many(src, tmp_path / "out", time_limit_s=6, executor="local", jobs=1)
    assert outcome.status in ("OPTIMAL", "FEASIBLE") and outcome.valid
    sol = load_solution(outcome.solution)
    inst = load_instance(src / "org.json")
    assert validate(inst, sol).ok
    assert sol.bound is None  # a merged rota of teams states no bound (a single model would)
    # the merged rota of both teams: every visit listed once
    assert sorted([a.visit for a in sol.visits] + [u.visit for u in sol.unassigned]) == sorted(
        v.id for v in inst.visits
    )
