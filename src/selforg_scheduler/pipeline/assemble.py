"""A solve's rota as a contract solution: reasons for the visits it leaves uncovered, the
validator's costs and KPIs, the gap to the bound; and never a rota that breaks a hard rule (the
visits a broken rule names are left uncovered, with that rule as their reason)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_sha256
from selforg_scheduler.contract.solution import (
    AssignedVisit,
    InstanceRef,
    RoleAssignment,
    Solution,
    UnassignedVisit,
    UnfilledRole,
)
from selforg_scheduler.core.problem import Interval, Problem
from selforg_scheduler.cpsat.run import RawRota, Status
from selforg_scheduler.pipeline.annotate import annotate
from selforg_scheduler.pipeline.reasons import builder_from_rota, unassigned_reasons
from selforg_scheduler.rules.config import RuleSet
from selforg_scheduler.rules.validator import ValidationReport, evaluate

__all__ = ["gap", "make_solution"]

log = logging.getLogger(__name__)


def gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return round(abs(objective - bound) / max(1.0, abs(objective)), 6)


def make_solution(
    problem: Problem,
    rules: RuleSet,
    eligible: tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]],
    instance: Instance,
    status: Status,
    rota: RawRota,
    found_by: str,
    bound: float | None,
    wall: float,
    *,
    unexamined: Collection[int] = (),
    stop: Callable[[], bool] | None = None,
) -> tuple[Solution, ValidationReport]:
    """The contract solution of a rota: reasons for its uncovered visits (``eligible`` = workers
    and start domains per visit, as :func:`~selforg_scheduler.rules.frame.eligibility` gives), its
    costs and KPIs as the validator recomputes them. Visits ``unexamined`` by the frame, and every
    uncovered visit once ``stop()`` is true (the time limit passed), get the reason that time ran
    out (:data:`~selforg_scheduler.pipeline.reasons.NO_TIME`)."""

    def assemble(rota: RawRota, explained: bool = True) -> tuple[Solution, ValidationReport]:
        """The solution and its report; ``explained`` False: uncovered visits without their
        reasons (a rota checked only for the visits to leave out)."""
        start, crew = rota.start, rota.crew
        missing = [v for v in range(len(problem.visits)) if v not in crew]
        reasons = dict.fromkeys(missing, "")
        if explained:
            builder = builder_from_rota(problem, rules, *eligible, start, crew, rota.held)
            reasons = unassigned_reasons(builder, [v for v in missing if v not in dropped], unexamined, stop)
        reasons.update(dropped)
        week = problem.origin.date()
        assigner = rules.role_assigner()
        solution = Solution(
            instance=InstanceRef(team=instance.team.id, sha256=instance_sha256(instance)),
            status=status,
            bound=bound,
            wall_s=round(wall, 3),
            visits=[
                AssignedVisit(
                    visit=problem.visits[v].id,
                    start=problem.time_of(start[v]),
                    workers=[problem.workers[w].id for w in crew[v]],
                )
                for v in sorted(crew, key=lambda u: (start[u], u))
            ],
            unassigned=[UnassignedVisit(visit=problem.visits[v].id, reason=reasons[v]) for v in missing],
            roles=[
                RoleAssignment(week_start=week, role=problem.roles[r].id, worker=problem.workers[w].id)
                for w, roles in sorted(rota.held.items())
                for r in roles
            ],
            unfilled_roles=[
                UnfilledRole(role=role, missing=missing_n, reason=reason)
                for role, missing_n, reason in (assigner.unfilled(problem, rota.held) if assigner is not None else [])
            ],
            found_by=found_by,  # type: ignore[arg-type]
        )
        annotate(problem, rules, solution)
        report = evaluate(problem, rules, solution)
        solution.penalties = dict(report.penalties)
        solution.kpis = dict(report.kpis)
        if found_by == "greedy" or dropped:
            solution.objective = report.objective
            solution.gap = gap(report.objective, bound)
        return solution, report

    start, crew = dict(rota.start), dict(rota.crew)
    dropped: dict[int, str] = {}
    solution, report = assemble(RawRota(start, crew, rota.held))
    while True:
        hard = [x for x in report.violations if x.severity == "hard"]
        culprit = _culprit(problem, hard[0].message, start, crew) if hard else None
        if culprit is None:
            break
        # Never hand out a rota that breaks a hard rule: the visit named last goes uncovered
        # (reasons are worked out once, for the rota handed out).
        dropped[culprit] = f"left out: in the rota the search ended with it broke {hard[0]}"
        log.warning("rota broke %s: %s left uncovered", hard[0], problem.visits[culprit].id)
        del start[culprit], crew[culprit]
        solution, report = assemble(RawRota(start, crew, rota.held), explained=False)
    if dropped:
        solution, report = assemble(RawRota(start, crew, rota.held))
    for violation in report.violations:
        log.error("rota breaks %s", violation)
    return solution, report


def _culprit(problem: Problem, message: str, start: dict[int, int], crew: dict[int, tuple[int, ...]]) -> int | None:
    """The covered visit to leave out for a broken rule: the latest-starting visit the message
    names, else the latest visit of the workers it names (None: it names neither)."""
    words = re.findall(r"[^\s,;:()]+", message)
    named = [problem.visit_index[x] for x in words if x in problem.visit_index and problem.visit_index[x] in crew]
    if not named:
        workers = {problem.worker_index[x] for x in words if x in problem.worker_index}
        named = [v for v, ws in crew.items() if workers & set(ws)]
    return max(named, key=lambda v: (start[v], v)) if named else None
