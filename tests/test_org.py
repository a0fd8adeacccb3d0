"""Organisations of teams: splitting by team, solving the teams in parallel, borrowing workers.

Each team's search here is bounded by CP-SAT's deterministic seconds with one worker (``QUICK``),
and the organisation's generous wall-clock limit leaves the borrowing all the time it needs, so
no outcome depends on how fast the machine is; the deadline arithmetic is checked on a fake clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.factory import DAY0, client, instance, rules, visit, worker
from typer.testing import CliRunner

from selforg_scheduler import SolveParams, validate
from selforg_scheduler.cli import app
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_from_dict, instance_sha256, load_solution
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.modes.org import (
    PartOutcome,
    _curve,
    is_organisation,
    solve_organisation,
    team_parts,
)

QUICK = SolveParams(time_limit_s=120, workers=1, seed=0, deterministic_time=3.0)
"""Three deterministic seconds a team; the 120 s wall-clock limit is only a safety bound (the
teams share it, and borrowing may run until it is nearly spent)."""
TEAMS = QUICK.model_copy(update={"deterministic_time": 0.5})
"""For the generated 120-visit organisation: half a deterministic second a team (its main search's
share; a few seconds of wall time), enough for a rota of each."""


@pytest.fixture(scope="module")
def two_teams() -> dict:
    return generate_instance(workers=8, visits=120, days=7, seed=4, teams=2).instance


def test_generated_organisation_names_teams(two_teams: dict) -> None:
    inst = instance_from_dict(two_teams)
    assert is_organisation(inst)
    assert {w.team for w in inst.workers} == {"t01", "t02"}
    assert all(w.id.startswith(f"{w.team}-") for w in inst.workers)
    assert all(c.team == c.id[:3] for c in inst.clients)
    assert all(r.team == r.id[:3] for r in inst.roles)


def test_team_parts_partition_the_instance(two_teams: dict) -> None:
    inst = instance_from_dict(two_teams)
    parts = team_parts(inst)
    assert sorted(p.teams for p in parts) == [("t01",), ("t02",)]
    seen: list[str] = []
    for part in parts:
        (team,) = part.teams
        sub = part.instance
        assert {w.team for w in sub.workers} == {team}
        assert {c.team for c in sub.clients} == {team}
        assert {r.team for r in sub.roles} == {team}
        assert all(h.role in {r.id for r in sub.roles} for h in sub.role_history)
        seen += [v.id for v in sub.visits]
        # a part is a valid instance in its own right
        instance_from_dict(sub.model_dump(mode="json"))
    assert sorted(seen) == sorted(v.id for v in inst.visits)


def test_a_linked_visit_across_teams_keeps_them_together(two_teams: dict) -> None:
    raw = json.loads(json.dumps(two_teams))
    a = next(v["id"] for v in raw["visits"] if v["id"].startswith("t01-"))
    b = next(v["id"] for v in raw["visits"] if v["id"].startswith("t02-"))
    raw["dependencies"].append({"first": a, "second": b, "min_gap_min": -1440, "max_gap_min": 1440})
    parts = team_parts(instance_from_dict(raw))
    assert [p.teams for p in parts] == [("t01", "t02")]


def test_one_team_is_one_part() -> None:
    inst = instance([worker("w1")], [client("c1")], [visit("v1", "c1", "08:00")])
    assert not is_organisation(inst)
    assert [p.instance for p in team_parts(inst)] == [inst]


def _borrow_case(skilled_helper: bool) -> tuple:
    """Team a has one worker and two visits at the same time; team b has a free worker."""
    helper_skills = ["medication"] if skilled_helper else []
    return instance(
        [
            worker("a1", team="a", skills=["medication"]),
            worker("b1", team="b", skills=helper_skills),
        ],
        [client("ca1", "A", team="a"), client("ca2", "B", team="a"), client("cb1", "D", team="b")],
        [
            visit("va1", "ca1", "08:00", skills=["medication"]),
            visit("va2", "ca2", "08:00", skills=["medication"]),
            visit("vb1", "cb1", "13:00"),
        ],
    )


def test_a_team_borrows_a_worker_for_a_visit_it_cannot_cover() -> None:
    inst = _borrow_case(skilled_helper=True)
    result = solve_organisation(inst, rules(), QUICK, jobs=1)
    sol = result.solution
    assert result.borrowed == 1
    assert not sol.unassigned
    crews = {a.visit: a.workers for a in sol.visits}
    assert sorted([crews["va1"], crews["va2"]]) == [["a1"], ["b1"]]
    report = validate(inst, sol, rules())
    assert report.ok and report.objective == sol.objective


def test_without_anyone_to_borrow_the_visit_is_explained() -> None:
    inst = _borrow_case(skilled_helper=False)
    result = solve_organisation(inst, rules(), QUICK, jobs=1)
    assert result.borrowed == 0
    (left,) = result.solution.unassigned
    assert left.visit in ("va1", "va2")
    assert "medication" in left.reason
    assert validate(inst, result.solution, rules()).ok


def test_parallel_teams_give_a_valid_rota_of_the_whole(two_teams: dict) -> None:
    inst = instance_from_dict(two_teams)
    result = solve_organisation(inst, rules(), TEAMS, jobs=2)
    sol = result.solution
    assert len(result.parts) == 2
    listed = [a.visit for a in sol.visits] + [u.visit for u in sol.unassigned]
    assert sorted(listed) == sorted(v.id for v in inst.visits)
    report = validate(inst, sol, rules())
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == sol.objective
    assert result.first_feasible_s is not None and result.within_1pct_s is not None
    assert result.first_feasible_s <= result.within_1pct_s <= result.timings["total_s"]
    assert result.peak_memory_mb > 0
    # each team's roles went to its own members
    team_of = {w.id: w.team for w in inst.workers}
    role_team = {r.id: r.team for r in inst.roles}
    assert sol.roles and all(team_of[r.worker] == role_team[r.role] for r in sol.roles)


def _outcome(trace: list[tuple[float, float]]) -> PartOutcome:
    return PartOutcome(
        ("t",),
        1,
        Solution.model_validate({"instance": {"team": "t", "sha256": ""}, "status": "FEASIBLE"}),
        trace,
        0,
        0,
        0,
    )


def test_curve_waits_for_every_team_and_finds_the_one_percent_moment() -> None:
    # team 1 has a rota at t=1 (200) and improves to 100 at t=5; team 2 first has one at t=3 (100)
    parts = [_outcome([(1.0, 200.0), (5.0, 100.0)]), _outcome([(3.0, 100.0)])]
    assert _curve(parts, epoch0=0.0) == (3.0, 5.0)
    parts = [_outcome([(1.0, 101.0), (5.0, 100.0)]), _outcome([(3.0, 100.0)])]
    assert _curve(parts, epoch0=0.0) == (3.0, 3.0)  # 201 is within 1 % of 200
    assert _curve([_outcome([]), *parts], epoch0=0.0) == (None, None)


def test_role_of_a_team_goes_to_its_members_only() -> None:
    week = [(f"2026-12-0{d}" if d else "2026-11-30", "07:00", "15:00") for d in range(5)]
    inst = instance(
        [worker("a1", *week, team="a"), worker("b1", *week, team="b")],
        [client("ca", team="a"), client("cb", team="b")],
        [],
        days=7,
        roles=[{"id": "sched-a", "team": "a", "minutes_per_week": 60}],
    )
    rule = rules()["roles"]
    assert rule.why_not(_problem(inst), 0, 1) == "is not in team a"  # type: ignore[attr-defined]
    assert rule.why_not(_problem(inst), 0, 0) is None  # type: ignore[attr-defined]


def _problem(inst):  # type: ignore[no-untyped-def]
    from selforg_scheduler.core.problem import compile_problem

    return compile_problem(inst, 1)


@pytest.mark.parametrize(
    ("change", "obj", "field"),
    [
        (lambda raw: raw["workers"][1].pop("team"), "workers[b1]", "team"),
        (lambda raw: raw["clients"][0].update(team="zz"), "clients[ca]", "team"),
        (lambda raw: raw["roles"].append({"id": "r", "team": "zz"}), "roles[r]", "team"),
    ],
)
def test_bad_teams_name_the_object_and_field(change, obj: str, field: str) -> None:  # type: ignore[no-untyped-def]
    raw = instance([worker("a1", team="a"), worker("b1", team="b")], [client("ca", team="a")], []).model_dump(
        mode="json"
    )
    change(raw)
    with pytest.raises(InputError) as info:
        instance_from_dict(raw)
    assert info.value.obj == obj and info.value.field == field


def test_cli_solves_an_organisation_by_team(two_teams: dict, tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    path.write_text(json.dumps(two_teams), encoding="utf-8")
    out = tmp_path / "sol.json"
    res = CliRunner().invoke(app, ["solve", str(path), "-t", "8", "--workers", "1", "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "2 teams solved in parallel" in res.output
    sol = load_solution(out)
    assert validate(instance_from_dict(two_teams), sol).ok


def test_a_reason_names_three_busy_workers_and_counts_the_rest() -> None:
    from tests.factory import run

    workers = [worker(f"w{i}") for i in range(1, 6)]
    clients = [client(f"c{i}") for i in range(1, 7)]
    visits = [visit(f"v{i}", f"c{i}", "08:00") for i in range(1, 7)]
    result = run(instance(workers, clients, visits))
    (left,) = result.solution.unassigned
    assert left.reason.count("is busy with v") == 3
    assert "are busy with other visits then" in left.reason


def test_parts_start_smallest_first_each_with_its_share_of_the_time_left(two_teams: dict, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The smallest team starts first; a part's limit is set as it starts from what is left, so a
    team that stops early leaves its time to those after it; a covered team stops early.
    (The module's clock is a fake one standing still, so the shares are exact.)"""
    import selforg_scheduler.modes.org as org

    now = 1_000_000.0
    monkeypatch.setattr(org, "time", SimpleNamespace(time=lambda: now, perf_counter=lambda: now))
    inst = instance_from_dict(two_teams)
    seen: list[org.PartJob] = []

    def capture(jobs_list, jobs, on_part, executor, address):  # type: ignore[no-untyped-def]
        seen.extend(jobs_list)
        raise KeyboardInterrupt  # stop before the parts run

    monkeypatch.setattr(org, "_run_parts", capture)
    with pytest.raises(KeyboardInterrupt):
        solve_organisation(inst, rules(), SolveParams(time_limit_s=100), jobs=1)
    sizes = [len(job.part.instance.visits) for job in seen]
    assert sizes == sorted(sizes) and len(sizes) == 2
    assert [job.rounds for job in seen] == [2, 1]
    reserve = max(2.0, org.MERGE_S_PER_VISIT * len(inst.visits))
    assert [job.deadline for job in seen] == [now + 100 - reserve] * 2

    limits: list[SolveParams] = []

    def fake_solve(part_instance, rule_set, params, on_progress=None):  # type: ignore[no-untyped-def]
        limits.append(params)
        raise KeyboardInterrupt

    monkeypatch.setattr(org, "solve_detailed", fake_solve)
    job = org.PartJob(seen[0].part, rules(), SolveParams(), deadline=now + 21.0, rounds=2)
    with pytest.raises(KeyboardInterrupt):
        org._solve_part(job)
    share = limits[0].time_limit_s
    assert share == 21.0 / 2 - org.PART_OVERHEAD_S
    assert limits[0].covered_extra_s == pytest.approx(org.COVERED_EXTRA * share)


def test_borrowing_swaps_a_regular_worker_when_the_cap_blocks_the_borrowed_one() -> None:
    """Client p may see one worker. Team a's a1 (mornings only) does p's morning visits; p's
    17:00 visit needs team b's b1, whom the cap blocks while a1 is p's worker. Borrowing hands
    all of p's visits to b1 (ruin and recreate), which no insertion or ejection can."""
    inst = instance(
        [
            worker("a1", (DAY0, "07:00", "12:00"), team="a"),
            worker("b1", (DAY0, "07:00", "20:00"), team="b"),
        ],
        [client("p", "A", team="a"), client("q", "B", team="b")],
        [
            visit("pa", "p", "08:00"),
            visit("pb", "p", "10:00"),
            visit("pc", "p", "17:00"),
            visit("qd", "q", "09:00"),
        ],
    )
    capped = rules("continuity.max_distinct_workers=1")
    result = solve_organisation(inst, capped, QUICK, jobs=1)
    sol = result.solution
    assert not sol.unassigned, [u.reason for u in sol.unassigned]
    assert result.borrowed == 1  # one more visit covered than the teams did alone
    crews = {a.visit: a.workers for a in sol.visits}
    assert crews["pa"] == crews["pb"] == crews["pc"] == ["b1"]
    report = validate(inst, sol, capped)
    assert report.ok and report.objective == sol.objective


@pytest.fixture(scope="module")
def unlabelled_pool() -> Instance:
    """Three generated teams of eight with their labels removed: one pool of 24 workers."""
    raw = generate_instance(workers=24, visits=240, days=7, seed=6, teams=3).instance
    for key in ("workers", "clients", "roles"):
        for item in raw[key]:
            item.pop("team", None)
    return instance_from_dict(raw)


def test_an_unlabelled_pool_is_solved_in_the_parts_of_its_split(unlabelled_pool: Instance) -> None:
    result = solve_organisation(unlabelled_pool, rules(), TEAMS, jobs=2)
    sol = result.solution
    assert [p.id for p in sol.parts] == ["p01", "p02", "p03"]
    listed = sorted(w for p in sol.parts for w in p.workers)
    assert listed == sorted(w.id for w in unlabelled_pool.workers)  # every worker in one part
    assert sum(p.visits for p in sol.parts) == len(unlabelled_pool.visits)
    assert sum(p.clients for p in sol.parts) == len(unlabelled_pool.clients)
    assert len(sol.visits) >= sum(p.covered for p in sol.parts)  # borrowing only adds
    report = validate(unlabelled_pool, sol, rules())
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == sol.objective
    assert sol.instance.sha256 == instance_sha256(unlabelled_pool)


def test_ray_tasks_give_the_rota_the_process_pool_gives(unlabelled_pool: Instance) -> None:
    pytest.importorskip("ray")  # in the test extra, so CI runs it

    def rota(executor: str) -> tuple:
        sol = solve_organisation(unlabelled_pool, rules(), TEAMS, jobs=2, executor=executor).solution
        return (
            [(a.visit, a.start, tuple(a.workers)) for a in sol.visits],
            [(r.role, r.worker) for r in sol.roles],
            [(p.id, p.workers, p.covered) for p in sol.parts],
            sol.objective,
        )

    local = rota("local")
    assert rota("ray") == local


def test_an_unknown_executor_is_one_clear_error(unlabelled_pool: Instance) -> None:
    with pytest.raises(InputError) as info:
        solve_organisation(unlabelled_pool, rules(), TEAMS, executor="dask")
    assert info.value.field == "--executor" and "ray" in str(info.value)


def test_a_limit_short_for_the_size_still_leaves_the_parts_most_of_it(two_teams: dict, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The merge's reserve grows with the visits but never past its share of the limit, so a
    limit too short for the size is not spent before the parts start (fake clock standing still)."""
    import selforg_scheduler.modes.org as org

    now = 1_000_000.0
    monkeypatch.setattr(org, "time", SimpleNamespace(time=lambda: now, perf_counter=lambda: now))
    monkeypatch.setattr(org, "MERGE_S_PER_VISIT", 1.0)  # as if each visit took a second to merge
    seen: list[org.PartJob] = []

    def capture(jobs_list, jobs, on_part, executor, address):  # type: ignore[no-untyped-def]
        seen.extend(jobs_list)
        raise KeyboardInterrupt

    monkeypatch.setattr(org, "_run_parts", capture)
    with pytest.raises(KeyboardInterrupt):
        solve_organisation(instance_from_dict(two_teams), rules(), SolveParams(time_limit_s=10), jobs=1)
    assert [job.deadline for job in seen] == [now + 10 - org.MERGE_MAX_SHARE * 10] * 2
