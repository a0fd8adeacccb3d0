"""selforg_scheduler: weekly rotas for self-organising home-care teams, built with CP-SAT.

The typed public API::

    from selforg_scheduler import load_instance, load_rules, solve, validate, SolveParams

    instance = load_instance("instances/week.json")
    rules = load_rules("constraints/default.yaml")
    solution = solve(instance, rules, SolveParams(time_limit_s=30))
    report = validate(instance, solution, rules)
    assert report.ok and report.objective == solution.objective
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from selforg_scheduler.contract.errors import InputError
    from selforg_scheduler.contract.instance import Instance
    from selforg_scheduler.contract.io import (
        instance_from_dict,
        load_instance,
        load_solution,
        solution_json,
        write_solution,
    )
    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.modes.org import OrgResult, solve_organisation
    from selforg_scheduler.pipeline.annotate import complete_rota
    from selforg_scheduler.pipeline.solve import (
        Progress,
        SolveParams,
        SolveResult,
        solve,
        solve_detailed,
    )
    from selforg_scheduler.rules.config import (
        RuleSet,
        default_rules,
        load_rules,
        rules_from_dict,
    )
    from selforg_scheduler.rules.validator import ValidationReport, validate

# Names are imported on first use, so a command that needs no solver (pair-buddies, schema)
# starts without loading OR-Tools.
_HOME = {
    "complete_rota": "pipeline.annotate",
    "InputError": "contract.errors",
    "instance_from_dict": "contract.io",
    "load_instance": "contract.io",
    "load_solution": "contract.io",
    "solution_json": "contract.io",
    "write_solution": "contract.io",
    "OrgResult": "modes.org",
    "solve_organisation": "modes.org",
    "RuleSet": "rules.config",
    "default_rules": "rules.config",
    "load_rules": "rules.config",
    "rules_from_dict": "rules.config",
    "Instance": "contract.instance",
    "Solution": "contract.solution",
    "Progress": "cpsat.run",
    "SolveParams": "pipeline.solve",
    "SolveResult": "pipeline.solve",
    "solve": "pipeline.solve",
    "solve_detailed": "pipeline.solve",
    "ValidationReport": "rules.validator",
    "validate": "rules.validator",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'selforg_scheduler' has no attribute {name!r}")
    value = getattr(import_module(f"selforg_scheduler.{home}"), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Instance",
    "OrgResult",
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
    "solve_organisation",
    "validate",
    "write_solution",
]
