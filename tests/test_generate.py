"""The generator: every planted rota passes the validator with default and strict rules, for
several seeds, sizes, horizons and organisations of teams; same arguments, same instance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import (
    instance_from_dict,
    instance_sha256,
    load_instance,
    load_solution,
)
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.rules.config import load_rules
from selforg_scheduler.rules.validator import validate

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints"


@pytest.mark.parametrize(
    ("workers", "visits", "days", "teams", "seed"),
    [
        (8, 150, 7, 1, 2),
        (12, 300, 5, 1, 7),
        (10, 120, 3, 1, 11),
        (24, 500, 7, 2, 3),
        (36, 600, 7, 3, 5),
        (60, 600, 2, 1, 1),
    ],  # one team of 60: 7^19 roster rotations, 60 > the nearest 48 asked
)
def test_planted_plan_passes_the_validator(workers, visits, days, teams, seed):
    made = generate_instance(workers=workers, visits=visits, days=days, teams=teams, seed=seed)
    inst = instance_from_dict(made.instance)
    plan = Solution.model_validate(made.plan)
    assert plan.instance.sha256 == instance_sha256(inst)
    assert len(inst.workers) == workers
    assert len(inst.visits) <= visits * 1.05 + 5
    assert {v.visit for v in plan.visits} == {v.id for v in inst.visits}, "the plan covers every visit"
    for rules in ("default.yaml", "strict.yaml"):
        report = validate(inst, plan, load_rules(CONSTRAINTS / rules))
        assert report.ok, (rules, [str(v) for v in report.violations][:5])
        assert not report.warnings, report.warnings
        assert report.kpis["coverage_pct"] == 100.0
        if rules == "default.yaml":
            assert plan.objective == report.objective and plan.penalties == report.penalties


def test_teams_have_their_own_clients_and_area():
    made = generate_instance(workers=24, visits=400, teams=2, seed=4)
    inst = instance_from_dict(made.instance)
    team_of = {w.id: w.id.split("-")[0] for w in inst.workers}
    assert set(team_of.values()) == {"t01", "t02"}
    clients = {c.id: c for c in inst.clients}
    for v in made.plan["visits"]:
        client_team = clients[next(x.client for x in inst.visits if x.id == v["visit"])].id.split("-")[0]
        assert {team_of[w] for w in v["workers"]} == {client_team}, "a team's plan visits its own clients"


def test_same_arguments_give_the_same_instance_and_another_seed_does_not():
    a = generate_instance(workers=8, visits=120, seed=9)
    b = generate_instance(workers=8, visits=120, seed=9)
    c = generate_instance(workers=8, visits=120, seed=10)
    assert a == b
    assert a.instance != c.instance


def test_generate_command_writes_an_instance_and_its_plan(tmp_path):
    out = tmp_path / "gen" / "team.json"
    result = CliRunner().invoke(
        app, ["generate", "--workers", "9", "--visits", "140", "--days", "4", "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    plan_path = tmp_path / "gen" / "team.plan.json"
    assert str(plan_path) in result.output.replace("\n", "")
    inst, plan = load_instance(out), load_solution(plan_path)
    assert inst.horizon.days == 4 and len(inst.workers) == 9
    assert validate(inst, plan).ok
    assert json.loads(out.read_text()) == generate_instance(workers=9, visits=140, days=4, seed=3).instance


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--workers", "2", "--teams", "3"], "--workers"),
        (["--start", "2026-02-30"], "--start"),
        (["--days", "0"], "--days"),
    ],
)
def test_generate_rejects_bad_arguments_with_exit_2(tmp_path, args, needle):
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "x.json"), *args])
    assert result.exit_code == 2
    said = result.output + result.stderr
    assert needle in said and "Traceback" not in said
    assert not (tmp_path / "x.json").exists()


def test_default_arguments_give_the_realistic_week():
    """instances/week.json is the generator's default week: any change to the generator that
    would alter it shows here."""
    week = Path(__file__).resolve().parents[1] / "instances" / "week.json"
    assert generate_instance().instance == json.loads(week.read_text(encoding="utf-8"))


def test_roster_rotations_are_drawn_not_listed_when_there_are_too_many() -> None:
    import itertools
    import random

    from selforg_scheduler.datasets import roster

    rotating = [([], [], True)] * 19 + [([], [], False)]  # a team of 60: 7^19 combinations
    drawn = roster._rotations(rotating, random.Random(1))
    assert len(drawn) == roster.ROTATION_TRIALS
    assert all(len(c) == 20 and c[-1] == 0 and all(0 <= r < 7 for r in c) for c in drawn)
    small = [([], [], True)] * 3 + [([], [], False)]  # a small team: every combination, shuffled, as always
    rng = random.Random(2)
    every = list(itertools.product(range(7), range(7), range(7), range(1)))
    random.Random(2).shuffle(every)
    assert roster._rotations(small, rng) == every[: roster.ROTATION_TRIALS]


def test_a_circle_is_drawn_from_the_nearest_workers_of_a_large_pool() -> None:
    from selforg_scheduler.datasets import planting
    from selforg_scheduler.datasets.geography import km

    class Team:
        workers = [type("W", (), {"idx": i, "home": (50.7 + i / 1000, -3.5)})() for i in range(100)]

    point = (50.75, -3.5)  # nearest: worker 50
    near = planting._nearby_workers(Team, point)  # type: ignore[arg-type]
    assert len(near) == planting.NEARBY_WORKERS and [w.idx for w in near] == sorted(w.idx for w in near)
    farthest_in = max(km(point, w.home) for w in near)
    assert all(km(point, w.home) >= farthest_in for w in Team.workers if w not in near)
    Team.workers = Team.workers[:30]  # a team no larger than that: everyone, as always
    assert planting._nearby_workers(Team, point) == Team.workers  # type: ignore[arg-type]
