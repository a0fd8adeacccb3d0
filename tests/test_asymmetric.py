"""Home legs on an asymmetric travel matrix: the leg out is home -> first visit, the leg back is
last visit -> home, each in its own direction, priced and timed the same way by the validator, the
heuristics and CP-SAT; with ``count_home_legs`` both lie inside the worker's free time."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory import solved_and_agreed
from selforg_scheduler import Solution, SolveParams, instance_from_dict, solve_detailed, validate
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.core.rota import rota_from_solution
from selforg_scheduler.core.variables import DEPOT
from selforg_scheduler.core.workday import first_start, last_end, working_minutes
from selforg_scheduler.cpsat.model import build_model
from selforg_scheduler.rules.config import default_rules, rules_from_dict
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import greedy_rota

DAY = "2026-01-05"
FAST = SolveParams(time_limit_s=60, workers=1, seed=0, deterministic_time=2.0)


def asym(out: float = 10, back: float = 30, earliest: str = "08:10", latest: str = "09:30") -> dict[str, Any]:
    """The reported week: H -> A ``out`` minutes, A -> H ``back``; w1 free 08:00-10:00; one
    30-minute visit at A."""
    return {
        "schema_version": 1,
        "team": {"id": "asym", "name": "asym", "timezone": "UTC"},
        "horizon": {"start": DAY, "days": 1},
        "travel": {"method": "matrix", "minutes": {"H": {"A": out}, "A": {"H": back}}, "count_home_legs": True},
        "locations": [{"id": "H"}, {"id": "A"}],
        "workers": [
            {
                "id": "w1",
                "home": "H",
                "skills": ["s"],
                "availability": [{"start": f"{DAY}T08:00", "end": f"{DAY}T10:00"}],
            }
        ],
        "clients": [{"id": "c1", "location": "A"}],
        "visits": [
            {
                "id": "v1",
                "client": "c1",
                "earliest_start": f"{DAY}T{earliest}",
                "latest_start": f"{DAY}T{latest}",
                "duration_min": 30,
                "workers_required": 1,
                "skills": ["s"],
            }
        ],
    }


def rota_at(hhmm: str) -> Solution:
    return Solution.model_validate(
        {
            "schema_version": 1,
            "instance": {"team": "asym", "sha256": ""},
            "status": "FEASIBLE",
            "visits": [{"visit": "v1", "start": f"{DAY}T{hhmm}", "workers": ["w1"]}],
            "unassigned": [],
        }
    )


# --- the reported case ---------------------------------------------------------------------------


def test_validate_prices_each_home_leg_in_its_own_direction_and_times_the_trip_home() -> None:
    inst = instance_from_dict(asym())
    report = validate(inst, rota_at("09:10"), default_rules())
    assert report.penalties["travel"] == 40  # 10 out + 30 back (it was 20: the leg out twice)
    assert report.kpis["travel_minutes"] == 40
    found = [str(v) for v in report.violations]
    assert len(found) == 1 and found[0].startswith("availability:"), found
    assert "30 min travel home" in found[0]  # 09:40 + 30 = 10:10, after 10:00


def test_a_rota_whose_trip_home_ends_at_the_end_of_availability_is_valid() -> None:
    inst = instance_from_dict(asym())
    report = validate(inst, rota_at("09:00"), default_rules())
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == 40


def test_the_trip_out_lies_in_free_time_too() -> None:
    inst = instance_from_dict(asym(out=30, back=10))  # now the leg out is the long one
    bad = validate(inst, rota_at("08:10"), default_rules())
    assert [v.rule for v in bad.violations] == ["availability"]
    assert "30 min travel before it" in str(bad.violations[0])
    assert validate(inst, rota_at("08:30"), default_rules()).ok


def test_the_working_day_reads_each_leg_in_its_own_direction() -> None:
    inst = instance_from_dict(asym())
    problem = compile_problem(inst)
    rota = rota_from_solution(problem, rota_at("08:30"))
    assert (problem.travel_from_home(0, 0), problem.travel_to_home(0, 0)) == (10, 30)
    assert first_start(rota, 0, 0) == 8 * 60 + 20  # 08:30 less 10 out
    assert last_end(rota, 0, 0) == 9 * 60 + 30  # 09:00 plus 30 back
    assert working_minutes(rota, 0, 0) == 30 + 10 + 30
    over = validate(inst, rota_at("08:30"), rules_from_dict({}, overrides=["daily_limit.max_minutes=69"]))
    assert [v.rule for v in over.violations] == ["daily_limit"]


def test_the_solver_starts_by_0900_so_the_trip_home_ends_by_1000() -> None:
    inst = instance_from_dict(asym())
    result = solve_detailed(inst, default_rules(), FAST)
    [entry] = result.solution.visits
    # free 08:00-10:00: out 10 -> start >= 08:10; 30 on the visit and 30 back -> start <= 09:00
    assert "08:10" <= f"{entry.start:%H:%M}" <= "09:00"
    report = validate(inst, result.solution, default_rules())
    assert report.ok and report.objective == result.solver_objective == 40


def test_the_solver_takes_the_last_start_that_leaves_room_for_the_trip_home() -> None:
    inst = instance_from_dict(asym(earliest="09:00", latest="09:30"))
    result = solve_detailed(inst, default_rules(), FAST)
    assert [f"{a.start:%H:%M}" for a in result.solution.visits] == ["09:00"]
    too_late = instance_from_dict(asym(earliest="09:01", latest="09:30"))
    result = solve_detailed(too_late, default_rules(), FAST)
    assert not result.solution.visits and [u.visit for u in result.solution.unassigned] == ["v1"]


def test_the_model_has_one_arc_each_way_with_its_own_travel() -> None:
    problem = compile_problem(instance_from_dict(asym(out=10.5, back=29.25)))
    ctx = build_model(problem, default_rules())
    arcs = {(a.tail, a.head): (a.travel, a.exact) for a in ctx.worker_days[(0, 0)].arcs}
    assert arcs[(DEPOT, 0)] == (11, 10.5)
    assert arcs[(0, DEPOT)] == (30, 29.25)
    assert ctx.day_reach(ctx.worker_days[(0, 0)]) == (8 * 60 + 10 - 11, 9 * 60 + 30 + 30 + 30)


def _builder(inst: Any) -> RouteBuilder:
    problem = compile_problem(inst)
    rules = default_rules()
    eligible, domains = eligibility(problem, rules)
    return RouteBuilder(problem, rules, eligible, domains)


def test_the_greedy_prices_both_legs_and_keeps_the_trip_home_in_free_time() -> None:
    b = _builder(instance_from_dict(asym()))
    option = b.option(0, 0)
    assert option is not None
    assert option.cost == 40  # detour of a lone visit: the leg out plus the leg back
    assert option.starts == ((8 * 60 + 10, 9 * 60),)  # 09:00 at the latest: home by 10:00
    for earliest, want in (("08:10", ["08:10"]), ("09:00", ["09:00"]), ("09:01", [])):
        inst = instance_from_dict(asym(earliest=earliest))
        problem = compile_problem(inst)
        eligible, domains = eligibility(problem, default_rules())
        g = greedy_rota(problem, default_rules(), eligible, domains, {})
        assert [f"{problem.time_of(t):%H:%M}" for t in g.start.values()] == want


def test_inserting_before_and_after_a_visit_prices_the_directed_legs() -> None:
    raw = asym(out=10, back=30, earliest="08:10", latest="09:30")
    raw["locations"].append({"id": "B"})
    raw["travel"]["minutes"] = {
        "H": {"A": 10, "B": 20},
        "A": {"H": 30, "B": 5},
        "B": {"H": 7, "A": 40},
    }
    raw["workers"][0]["availability"] = [{"start": f"{DAY}T07:00", "end": f"{DAY}T12:00"}]
    raw["clients"].append({"id": "c2", "location": "B"})
    raw["visits"].append({**raw["visits"][0], "id": "v2", "client": "c2", "earliest_start": f"{DAY}T10:00"})
    raw["visits"][1]["latest_start"] = f"{DAY}T11:00"
    b = _builder(instance_from_dict(raw))
    b.place(0, 8 * 60 + 10, (0,))  # H -10-> A -30-> H: 40
    after = b.option(1, 0)  # A -5-> B -7-> H replaces A -30-> H: 5 + 7 - 30
    assert after is not None and after.cost == 5 + 7 - 30
    b.remove(0)
    b.place(1, 10 * 60, (0,))  # H -20-> B -7-> H
    before = b.option(0, 0)  # H -10-> A -5-> B replaces H -20-> B: 10 + 5 - 20
    assert before is not None and before.cost == 10 + 5 - 20


# --- property: random asymmetric matrices ----------------------------------------------------------


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def asymmetric_weeks(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(3, 5))
    ids = [f"L{i}" for i in range(n)]
    # halves as well as whole minutes: each leg costs its exact minutes rounded up, in its direction
    minutes = {a: {b: draw(st.integers(0, 80)) / 2 for b in ids if b != a} for a in ids}
    workers = []
    for k in range(2):
        start = draw(st.integers(6 * 4, 9 * 4)) * 15
        end = start + draw(st.integers(3 * 4, 8 * 4)) * 15
        workers.append(
            {
                "id": f"w{k + 1}",
                "home": draw(st.sampled_from(ids)),
                "skills": [],
                "contract_minutes": 0,
                "availability": [{"start": f"{DAY}T{_hhmm(start)}", "end": f"{DAY}T{_hhmm(end)}"}],
            }
        )
    visits, clients = [], []
    for j in range(draw(st.integers(3, 6))):
        clients.append({"id": f"c{j + 1}", "location": draw(st.sampled_from(ids))})
        earliest = draw(st.integers(7 * 12, 13 * 12)) * 5
        visits.append(
            {
                "id": f"v{j + 1}",
                "client": f"c{j + 1}",
                "earliest_start": f"{DAY}T{_hhmm(earliest)}",
                "latest_start": f"{DAY}T{_hhmm(earliest + draw(st.integers(0, 24)) * 5)}",
                "duration_min": draw(st.integers(2, 12)) * 5,
                "workers_required": draw(st.sampled_from([1, 1, 1, 2])),
                "skills": [],
            }
        )
    return {
        "schema_version": 1,
        "team": {"id": "asym", "name": "asym", "timezone": "Europe/London"},
        "horizon": {"start": DAY, "days": 1},
        "travel": {"method": "matrix", "minutes": minutes, "count_home_legs": draw(st.booleans())},
        "locations": [{"id": i} for i in ids],
        "workers": workers,
        "clients": clients,
        "visits": visits,
    }


def directed_travel(raw: dict[str, Any], solution: Solution) -> tuple[int, int]:
    """(cost, minutes) of the rota's travel, worked out here from the matrix alone: each worker's
    visits in start order, each leg in its direction (home -> first, last -> home when counted),
    each leg's cost its exact minutes rounded up."""
    minutes = raw["travel"]["minutes"]
    where = {v["id"]: next(c["location"] for c in raw["clients"] if c["id"] == v["client"]) for v in raw["visits"]}
    homes = {w["id"]: w["home"] for w in raw["workers"]}
    cost = total = 0
    for wid, home in homes.items():
        mine = sorted((a.start, a.visit) for a in solution.visits if wid in a.workers)
        places = [where[v] for _, v in mine]
        if places and raw["travel"]["count_home_legs"]:
            places = [home, *places, home]
        for a, b in zip(places, places[1:], strict=False):
            leg = 0.0 if a == b else minutes[a][b]
            cost += math.ceil(leg)
            total += math.ceil(leg)
    return cost, total


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(asymmetric_weeks())
def test_validator_and_solver_agree_on_asymmetric_matrices(raw: dict[str, Any]) -> None:
    result, report = solved_and_agreed(instance_from_dict(raw), default_rules(), FAST)
    cost, total = directed_travel(raw, result.solution)
    assert report.penalties["travel"] == cost
    assert report.kpis["travel_minutes"] == total


def test_a_day_that_loses_its_last_visit_must_still_get_home_in_free_time() -> None:
    # free 08:00-10:00; A -> H 30 but A -> B -> H 5 + 5: taking B out leaves A too far from home
    raw = asym(out=10, back=30, earliest="09:05", latest="09:05")
    raw["locations"].append({"id": "B"})
    raw["travel"]["minutes"] = {"H": {"A": 10, "B": 10}, "A": {"H": 30, "B": 5}, "B": {"H": 5, "A": 5}}
    raw["clients"].append({"id": "c2", "location": "B"})
    raw["visits"].append({**raw["visits"][0], "id": "v2", "client": "c2", "earliest_start": f"{DAY}T09:40"})
    raw["visits"][1].update(latest_start=f"{DAY}T09:40", duration_min=10)
    b = _builder(instance_from_dict(raw))
    assert b.option(0, 0) is None  # alone, A (09:05-09:35) gets home at 10:05
    b.place(1, 9 * 60 + 40, (0,))
    option = b.option(0, 0)  # before B: A -5-> B -5-> H, home at 09:55
    assert option is not None and option.starts == ((9 * 60 + 5, 9 * 60 + 5),)
    b.place(0, 9 * 60 + 5, (0,))
    assert b.route_fits(0, 0)
    b.remove(1)
    assert not b.route_fits(0, 0)  # what the ejection chains and ruin and recreate now refuse
