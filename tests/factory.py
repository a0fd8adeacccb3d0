"""Builders of small contract instances and hand-made rotas for rule tests.

Geometry is euclidean with speed 1 unit per minute, so travel minutes are plain distances:
locations ``A`` (0,0), ``B`` (10,0), ``C`` (20,0), ``D`` (0,30) and home ``H`` (0,0).
"""

from __future__ import annotations

from typing import Any

from selforg_scheduler import (
    Instance,
    Solution,
    SolveParams,
    instance_from_dict,
    rules_from_dict,
    solve_detailed,
    validate,
)
from selforg_scheduler.contract.solution import RoleAssignment
from selforg_scheduler.pipeline.annotate import annotate
from selforg_scheduler.pipeline.solve import SolveResult
from selforg_scheduler.rules.config import RuleSet
from selforg_scheduler.rules.validator import ValidationReport

DAY0 = "2026-11-30"
DAY1 = "2026-12-01"
LOCATIONS = {"H": (0, 0), "A": (0, 0), "B": (10, 0), "C": (20, 0), "D": (0, 30)}


def at(hhmm: str, day: str = DAY0) -> str:
    return f"{day}T{hhmm}"


def worker(wid: str, *periods: tuple[str, str, str], **kw: Any) -> dict[str, Any]:
    """A worker; each period is (day, start HH:MM, end HH:MM). Default: DAY0 07:00-15:00."""
    periods = periods or ((DAY0, "07:00", "15:00"),)
    return {
        "id": wid,
        "name": wid.upper(),
        "home": "H",
        "skills": [],
        "contract_minutes": 2000,
        "availability": [{"start": at(a, d), "end": at(b, d)} for d, a, b in periods],
        **kw,
    }


def client(cid: str, location: str = "A", **kw: Any) -> dict[str, Any]:
    return {"id": cid, "name": f"Client {cid}", "location": location, **kw}


def visit(
    vid: str, cid: str, earliest: str, latest: str | None = None, duration: float = 30, day: str = DAY0, **kw: Any
) -> dict[str, Any]:
    return {
        "id": vid,
        "client": cid,
        "earliest_start": at(earliest, day),
        "latest_start": at(latest or earliest, day),
        "duration_min": duration,
        **kw,
    }


def instance(
    workers: list[dict[str, Any]],
    clients: list[dict[str, Any]],
    visits: list[dict[str, Any]],
    days: int = 1,
    home_legs: bool = False,
    **kw: Any,
) -> Instance:
    raw = {
        "schema_version": 1,
        "team": {"id": "test", "name": "Test team", "timezone": "Europe/London"},
        "horizon": {"start": DAY0, "days": days},
        "travel": {"method": "euclidean", "speed": 1.0, "count_home_legs": home_legs},
        "locations": [{"id": k, "x": x, "y": y} for k, (x, y) in LOCATIONS.items()],
        "workers": workers,
        "clients": clients,
        "visits": visits,
        **kw,
    }
    return instance_from_dict(raw)


def rules(*overrides: str) -> RuleSet:
    return rules_from_dict({}, overrides=overrides)


FAST = SolveParams(time_limit_s=60, workers=1, seed=0, deterministic_time=10)
"""One CP-SAT worker within 10 deterministic seconds: the same rota on any machine, however loaded
(the wall-clock limit only bounds a search that hangs)."""


def run(inst: Instance, *overrides: str) -> SolveResult:
    """Solve with rule overrides; the rota must pass the validator and objectives must agree."""
    rule_set = rules(*overrides)
    result = solve_detailed(inst, rule_set, FAST)
    report = validate(inst, result.solution, rule_set)
    assert report.ok, [str(v) for v in report.violations]
    if result.solver_objective is not None:
        assert report.objective == result.solution.objective
    return result


def solved_and_agreed(inst: Instance, rule_set: RuleSet, params: SolveParams) -> tuple[SolveResult, ValidationReport]:
    """Solve; the solver must return a rota of its own, the validator pass it, and the validator's,
    the solution's and the solver's objectives be equal."""
    result = solve_detailed(inst, rule_set, params)
    assert result.solver_objective is not None
    report = validate(inst, result.solution, rule_set)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == result.solution.objective == result.solver_objective
    return result, report


def crew(result: SolveResult) -> dict[str, list[str]]:
    return {a.visit: sorted(a.workers) for a in result.solution.visits}


def starts(result: SolveResult) -> dict[str, str]:
    return {a.visit: a.start.strftime("%H:%M") for a in result.solution.visits}


def unassigned(result: SolveResult) -> dict[str, str]:
    return {u.visit: u.reason for u in result.solution.unassigned}


def hand_rota(inst: Instance, assigned: dict[str, tuple[str, list[str]]], day: str = DAY0) -> Solution:
    """A hand-made rota: visit -> (HH:MM start, workers); every other visit listed unassigned."""
    return Solution.model_validate(
        {
            "instance": {"team": inst.team.id, "sha256": ""},
            "status": "FEASIBLE",
            "visits": [
                {"visit": v, "start": at(hhmm, day) if "T" not in hhmm else hhmm, "workers": ws}
                for v, (hhmm, ws) in assigned.items()
            ],
            "unassigned": [{"visit": v.id, "reason": "by hand"} for v in inst.visits if v.id not in assigned],
            "found_by": "hand",
        }
    )


def check(inst: Instance, rota: Solution, *overrides: str) -> ValidationReport:
    return validate(inst, rota, rules(*overrides))


def broken(report: ValidationReport) -> set[str]:
    return {v.rule for v in report.violations}


def indexed_rota(
    inst: Instance,
    problem: Any,
    start: dict[int, int],
    crew: dict[int, tuple[int, ...]],
    rule_set: RuleSet | None = None,
    held: dict[int, tuple[int, ...]] | None = None,
) -> Solution:
    """A rota from problem indices (visit -> start minute, visit -> worker indices, worker -> role
    indices), with the breaks and check-ins it implies filled in as the solver would."""
    rota = hand_rota(
        inst,
        {
            problem.visits[v].id: (
                problem.time_of(start[v]).isoformat(timespec="minutes"),
                [problem.workers[w].id for w in crew[v]],
            )
            for v in crew
        },
    )
    rota.roles = [
        RoleAssignment(week_start=inst.horizon.start, role=problem.roles[r].id, worker=problem.workers[w].id)
        for w, roles in sorted((held or {}).items())
        for r in roles
    ]
    return annotate(problem, rule_set or rules(), rota)
