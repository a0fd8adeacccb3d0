"""skills: every worker on a visit has all of the visit's skills (enforced by pruning pairs)."""

from __future__ import annotations

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.rules.base import (
    FREE,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


@register
class Skills(Rule[RuleParams]):
    name = "skills"
    order = 20
    any_resolution = True
    summary = "every worker on a visit has all of its skills"

    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        return problem.visits[visit].skills <= problem.workers[worker].skills

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        missing = problem.visits[visit].skills - problem.workers[worker].skills
        return f"lacks {', '.join(sorted(missing))}" if missing else None

    def prices(self, problem: Problem) -> Prices:
        return FREE  # hard only

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for v, crew in rota.crew.items():
            for w in crew:
                missing = p.visits[v].skills - p.workers[w].skills
                if missing:
                    out.violations.append(
                        self.violation(f"{p.workers[w].id} lacks {', '.join(sorted(missing))} for {p.visits[v].id}")
                    )
        return out
