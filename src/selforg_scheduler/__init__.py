"""selforg_scheduler: weekly rotas for self-organising home-care teams, built with CP-SAT.

The typed public API::

    from selforg_scheduler import load_instance, load_rules, solve, validate, SolveParams

    instance = load_instance("instances/week.json")
    rules = load_rules("constraints/default.yaml")
    solution = solve(instance, rules, SolveParams(time_limit_s=30))
    report = validate(instance, solution, rules)
    assert report.ok and report.objective == solution.objective
"""

from selforg_scheduler.annotate import complete_rota
from selforg_scheduler.errors import InputError
from selforg_scheduler.io import (
    instance_from_dict,
    load_instance,
    load_solution,
    solution_json,
    write_solution,
)
from selforg_scheduler.rules.config import RuleSet, default_rules, load_rules, rules_from_dict
from selforg_scheduler.schemas.instance import Instance
from selforg_scheduler.schemas.solution import Solution
from selforg_scheduler.solver import Progress, SolveParams, SolveResult, solve, solve_detailed
from selforg_scheduler.validate import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Instance",
    "Progress",
    "RuleSet",
    "Solution",
    "SolveParams",
    "SolveResult",
    "ValidationReport",
    "complete_rota",
    "default_rules",
    "instance_from_dict",
    "load_instance",
    "load_rules",
    "load_solution",
    "rules_from_dict",
    "solution_json",
    "solve",
    "solve_detailed",
    "validate",
    "write_solution",
]
