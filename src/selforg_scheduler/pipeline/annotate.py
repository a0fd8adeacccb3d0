"""Fill in what a rota implies but does not list: breaks on long days, buddies for late lone visits.

The solver calls this on every rota it returns; a team member who wrote a rota by hand can call it
too (``complete_rota(instance, solution, rules)``) before validating. It never moves a visit.
"""

from __future__ import annotations

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.problem import Problem, compile_problem
from selforg_scheduler.core.rota import rota_from_solution
from selforg_scheduler.rules.config import RuleSet, default_rules


def annotate(problem: Problem, rules: RuleSet, solution: Solution) -> Solution:
    """Fill in what each rule adds to the rota (breaks, check-ins; in place; returned)."""
    return rules.annotate(rota_from_solution(problem, solution, travel_on=rules.travel_on), solution)


def complete_rota(instance: Instance, solution: Solution, rules: RuleSet | None = None) -> Solution:
    """A copy of a (hand-made) rota with its breaks and buddy check-ins filled in."""
    rules = rules or default_rules()
    return annotate(compile_problem(instance, rules.resolution), rules, solution.model_copy(deep=True))
