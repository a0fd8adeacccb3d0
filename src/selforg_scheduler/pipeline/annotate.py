"""Fill in what a rota implies but does not list: breaks on long days, buddies for late lone visits.

The solver calls this on every rota it returns; a team member who wrote a rota by hand can call it
too (``complete_rota(instance, solution, rules)``) before validating. It never moves a visit.
"""

from __future__ import annotations

from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.rota import rota_from_solution
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Break, CheckIn, Solution


def annotate(problem: Problem, rules: RuleSet, solution: Solution) -> Solution:
    """Set ``solution.breaks`` and ``solution.check_ins`` from its visits (in place; returned)."""
    rota = rota_from_solution(problem, solution, travel_on=rules.is_on("travel"))
    if rules.is_on("breaks"):
        solution.breaks = [
            Break(worker=problem.workers[w].id, start=problem.time_of(s), end=problem.time_of(e))
            for w, s, e in rules["breaks"].place(rota)  # type: ignore[attr-defined]
        ]
    if rules.is_on("lone_working"):
        solution.check_ins = [
            CheckIn(
                visit=problem.visits[v].id,
                worker=problem.workers[w].id,
                buddy=problem.workers[b].id,
                at=problem.time_of(rota.end(v)),
            )
            for v, w, b in rules["lone_working"].check_ins(rota)  # type: ignore[attr-defined]
            if b is not None
        ]
    return solution


def complete_rota(instance: Instance, solution: Solution, rules: RuleSet | None = None) -> Solution:
    """A copy of a (hand-made) rota with its breaks and buddy check-ins filled in."""
    rules = rules or default_rules()
    return annotate(compile_problem(instance, rules.resolution), rules, solution.model_copy(deep=True))
