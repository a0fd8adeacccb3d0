"""The validator: checks any rota against the instance and the rules, never using the solver.

It re-reads the rota from the solution alone, runs every active rule's ``check`` and a core
check that a worker does one visit at a time, and recomputes the objective as the sum of the
rules' costs. The solver's objective for the same rota must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_sha256
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.kpis import compute_kpis
from selforg_scheduler.core.problem import Problem, Reference, compile_problem
from selforg_scheduler.core.rota import Rota, rota_from_solution
from selforg_scheduler.rules.base import Violation
from selforg_scheduler.rules.config import RuleSet, default_rules

CORE = "overlap"
"""Name of the core check that is not a switchable rule: one visit at a time per worker."""


@dataclass
class ValidationReport:
    """What the validator found: hard violations, per-rule costs, the objective and KPIs."""

    violations: list[Violation] = field(default_factory=list)
    penalties: dict[str, int | float] = field(default_factory=dict)
    cost_by_subject: dict[str, dict[str, int | float]] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def objective(self) -> int | float:
        return sum(self.penalties.values())

    @property
    def ok(self) -> bool:
        return not any(v.severity == "hard" for v in self.violations)


def overlap_violations(rota: Rota) -> list[Violation]:
    p = rota.problem
    out = []
    for w, _day, a, b in rota.legs():
        if rota.start[b] < rota.end(a):
            out.append(
                Violation(
                    CORE,
                    f"{p.workers[w].id} has {p.visits[a].id} until {p.clock(rota.end(a))} "
                    f"and {p.visits[b].id} from {p.time_of(rota.start[b]):%H:%M}",
                )
            )
    return out


def evaluate(problem: Problem, rules: RuleSet, solution: Solution) -> ValidationReport:
    """Check a solution against a compiled problem (the solver's own post-check uses this too)."""
    assert problem.unit == rules.resolution, "the problem was compiled at another resolution"
    rota = rota_from_solution(problem, solution, travel_on=rules.travel_on)
    report = ValidationReport()
    report.violations.extend(overlap_violations(rota))
    for rule in rules.active():
        result = rule.check(rota)
        report.violations.extend(result.violations)
        report.penalties[rule.name] = _tidy(result.cost)
        report.cost_by_subject[rule.name] = {k: _tidy(c) for k, c in result.cost_by_subject.items()}
    report.kpis = compute_kpis(rota)
    for rule in rules.active():
        report.kpis.update(rule.kpis(rota))
    return report


def validate(
    instance: Instance, solution: Solution, rules: RuleSet | None = None, reference: Reference | None = None
) -> ValidationReport:
    """Validate any rota (from the solver or made by hand) against an instance and rule set;
    with the ``reference`` rota of a repair, also what changed from it (rule ``stability``)."""
    rules = rules or default_rules()
    report = evaluate(compile_problem(instance, rules.resolution).attach(reference), rules, solution)
    if solution.instance.sha256 and solution.instance.sha256 != instance_sha256(instance):
        report.warnings.append("the solution's instance sha256 does not match this instance")
    if solution.instance.team != instance.team.id:
        report.warnings.append(
            f"the solution is for team {solution.instance.team!r}, the instance is {instance.team.id!r}"
        )
    return report


def _tidy(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 6)
