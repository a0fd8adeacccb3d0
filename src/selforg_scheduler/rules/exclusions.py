"""exclusions: a client's ``excluded_workers`` never visit them (enforced by pruning pairs)."""

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
class Exclusions(Rule[RuleParams]):
    name = "exclusions"
    order = 40
    any_resolution = True
    summary = "a client's excluded_workers never visit them"

    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        return worker not in problem.clients[problem.visits[visit].client].excluded_workers

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        client = problem.clients[problem.visits[visit].client]
        return f"is excluded by {client.id}" if worker in client.excluded_workers else None

    def prices(self, problem: Problem) -> Prices:
        return FREE  # hard only

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for v, crew in rota.crew.items():
            client = p.clients[p.visits[v].client]
            for w in crew:
                if w in client.excluded_workers:
                    out.violations.append(
                        self.violation(f"{p.workers[w].id} is excluded by {client.id} but does {p.visits[v].id}")
                    )
        return out
