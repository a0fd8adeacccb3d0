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


def _built_team(workers: int, visits: int, seed: int, clients: bool = True):
    """A team built as the generator builds one (workers, then clients planted unless not
    ``clients``), to look into its state."""
    import random
    from datetime import date

    from selforg_scheduler.datasets.geography import EXETER
    from selforg_scheduler.datasets.names import Names
    from selforg_scheduler.datasets.planting import make_clients
    from selforg_scheduler.datasets.roster import make_workers
    from selforg_scheduler.datasets.team import Team

    team = Team(random.Random(seed), "", EXETER, workers, visits, date(2026, 11, 30), 7, Names(random.Random(seed)))
    make_workers(team)
    if clients:
        make_clients(team)
    return team


def test_a_circle_is_drawn_from_the_nearest_workers_with_room_of_a_large_pool() -> None:
    from selforg_scheduler.datasets import circles
    from selforg_scheduler.datasets.geography import km

    team = _built_team(100, 0, seed=1, clients=False)
    point = team.centre
    near = circles.nearby_workers(team, point)
    assert len(near) == circles.NEARBY_WORKERS and [w.idx for w in near] == sorted(w.idx for w in near)
    farthest_in = max(km(point, w.home) for w in near)
    assert all(km(point, w.home) >= farthest_in - 1e-9 for w in team.workers if w not in near)
    full = sorted(near, key=lambda w: km(point, w.home))[:5]  # the five nearest have no room left
    for w in full:
        w.week_work = w.cap_week - circles.ROOM_MINUTES + 1
    team.shifts = None  # (planting keeps it up to date; here it is made again)
    again = circles.nearby_workers(team, point)
    assert len(again) == circles.NEARBY_WORKERS and not set(full) & set(again)
    assert set(near) - set(full) <= set(again), "the next nearest with room take their places"
    for w in team.workers:  # busier workers count as further away
        w.week_work = (w.idx * 37) % 100 * w.cap_week // 100
    team.shifts = None
    ranked = sorted(
        team.workers,
        key=lambda w: (
            w.cap_week - w.week_work < circles.ROOM_MINUTES,
            km(point, w.home) + circles.LOAD_KM * w.week_work / w.cap_week,
            w.idx,
        ),
    )
    assert circles.nearby_workers(team, point) == sorted(ranked[: circles.NEARBY_WORKERS], key=lambda w: w.idx)
    small = _built_team(30, 0, seed=1, clients=False)  # a team no larger than that: everyone, as always
    assert circles.nearby_workers(small, point) == small.workers


@pytest.mark.parametrize(("workers", "visits", "teams", "seed"), [(40, 1600, 1, 1), (24, 900, 2, 4), (12, 450, 1, 2)])
def test_every_requested_visit_is_planted_and_covered(workers, visits, teams, seed):
    """A team of 40 (a mid-size single team), an organisation and a small team: the instance has
    exactly the visits requested, and the planted rota covers them all and passes the validator."""
    made = generate_instance(workers=workers, visits=visits, teams=teams, seed=seed)
    inst = instance_from_dict(made.instance)
    plan = Solution.model_validate(made.plan)
    assert len(inst.visits) == visits
    assert {v.visit for v in plan.visits} == {v.id for v in inst.visits}
    for rules in ("default.yaml", "strict.yaml"):
        report = validate(inst, plan, load_rules(CONSTRAINTS / rules))
        assert report.ok, (rules, [str(v) for v in report.violations][:5])
        assert report.kpis["coverage_pct"] == 100.0


def test_a_rota_full_for_the_usual_care_plans_is_filled_with_people_needing_a_few_calls(monkeypatch):
    """Twelve workers and 460 visits: the usual care plans stop fitting before the rota has them
    all; the team then takes on people needing one call on a few days where it has room."""
    from selforg_scheduler.datasets import planting

    drawn = []
    original = planting.make_spec

    def spy(team, kind, *args, **kwargs):
        specs = original(team, kind, *args, **kwargs)
        if kind == "fill":
            drawn.extend(specs)
        return specs

    monkeypatch.setattr(planting, "make_spec", spy)
    made = generate_instance(workers=12, visits=460, seed=1)
    assert drawn and all(len(s.calls) == 1 and 1 <= len(s.calls[0][6]) <= 3 for s in drawn)
    inst = instance_from_dict(made.instance)
    assert len(inst.visits) == 460
    assert validate(inst, Solution.model_validate(made.plan), load_rules(CONSTRAINTS / "strict.yaml")).ok


def test_a_team_that_cannot_carry_the_visits_says_how_many_it_planted(caplog):
    with caplog.at_level("WARNING", logger="selforg_scheduler.datasets"):
        made = generate_instance(workers=2, visits=300, seed=1)
    got = len(made.instance["visits"])
    assert 0 < got < 300
    assert any(f"planted {got} of the 300 visits requested" in r.getMessage() for r in caplog.records), caplog.text
    plan = Solution.model_validate(made.plan)
    assert validate(instance_from_dict(made.instance), plan).ok


def test_a_large_pool_gives_the_same_instance_for_the_same_seed():
    a = generate_instance(workers=60, visits=700, days=3, seed=8)
    b = generate_instance(workers=60, visits=700, days=3, seed=8)
    assert a == b and len(a.instance["visits"]) == 700


def test_the_screen_and_the_quick_check_agree_with_asking_every_start():
    """``screen`` rules a worker out of a visit only where no start candidates offers fits, and
    ``can_take`` answers as trying every start does, so neither changes what is planted."""
    from selforg_scheduler.datasets.feasibility import can_take, candidates, insertion
    from selforg_scheduler.datasets.screen import may_start, reachable
    from selforg_scheduler.datasets.team import Visit

    team = _built_team(60, 1500, seed=2)
    # candidate visits like the planted ones (a second call at the same times), planted nowhere
    vis = [Visit(v.client, v.loc, v.day, v.e, v.l, v.dur, v.req, v.skills, v.call) for v in team.visits[::7]]
    ws = team.workers
    may = reachable(team, vis, [v.req for v in vis], [v.e for v in vis], [v.l for v in vis], [w.idx for w in ws])
    seen = 0
    for v, row in zip(vis, may.tolist(), strict=True):
        for w, ok in zip(ws, row, strict=True):
            fits = any(insertion(team, w, v, s, p) is not None for s, p in candidates(team, w, v, v.req, v.e, v.l))
            assert ok == may_start(team, w, v, v.req, v.e, v.l)
            assert ok or not fits, (v, w.id)
            assert can_take(team, w, v) == fits, (v, w.id)
            seen += fits
    assert seen > 50


def test_a_circle_is_the_one_asking_every_nearby_worker_would_choose(monkeypatch):
    """``choose_circle`` stops asking workers who cannot be among the best; the circle and the
    visits it can take are those that asking every nearby worker about every visit gives."""
    import itertools

    from selforg_scheduler.datasets import circles, planting
    from selforg_scheduler.datasets.feasibility import can_take

    def asking_everyone(team, vis, point, nearby):
        masks = [sum(1 << w.idx for w in nearby if can_take(team, w, v)) for v in vis]
        count = {w.idx: sum(m >> w.idx & 1 for m in masks) for w in nearby}
        fits = [(v.req, m) for v, m in zip(vis, masks, strict=True)]
        doubles = any(v.req == 2 for v in vis)
        wanted = frozenset().union(*(v.skills for v in vis))

        def load(i):
            return circles._load(team, team.workers[i], point, doubles, wanted)

        cand = sorted((i for i in count if count[i]), key=lambda i: (-count[i], load(i), i))[:8]
        if not cand:
            return [], [False] * len(vis)
        exp = sum(1 << i for i in cand if not team.workers[i].new)
        best = None
        for combo in itertools.combinations(cand, min(3, len(cand))):
            m = sum(1 << i for i in combo)
            flags = [(mask & m & exp) != 0 and (mask & m).bit_count() >= req for req, mask in fits]
            score = 1000.0 * sum(flags) - sum(load(i) for i in combo)
            if best is None or score > best[0]:
                best = (score, combo, flags)
        return sorted(best[1], key=lambda i: (-count[i], load(i), i)), best[2]

    calls = []

    def both(team, vis, point, nearby):
        got = circles.choose_circle(team, vis, point, nearby)
        assert got == asking_everyone(team, vis, point, nearby)
        calls.append(got)
        return got

    monkeypatch.setattr(planting, "choose_circle", both)
    team = _built_team(80, 1200, seed=3)
    assert len(calls) > 100 and sum(1 for v in team.visits if v.workers) == 1200
