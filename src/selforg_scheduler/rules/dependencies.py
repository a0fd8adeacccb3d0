"""dependencies: linked visits keep their min/max gap between starts (0/0 = together)."""

from __future__ import annotations

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    FREE,
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


@register
class Dependencies(Rule[RuleParams]):
    name = "dependencies"
    order = 70
    any_resolution = True
    summary = "linked visits keep min_gap <= second.start - first.start <= max_gap when both are done"
    keeps_linked_starts = True

    def prices(self, problem: Problem) -> Prices:
        return FREE  # hard only

    def build(self, m: ModelContext) -> list[Penalty]:
        for d in m.problem.dependencies:
            both = [m.covered[d.first], m.covered[d.second]]
            gap = m.start[d.second] - m.start[d.first]
            m.model.add(gap >= d.min_gap).only_enforce_if(both)
            m.model.add(gap <= d.max_gap).only_enforce_if(both)
        return []

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for d in p.dependencies:
            if d.first in rota.start and d.second in rota.start:
                gap = rota.start[d.second] - rota.start[d.first]
                if not d.min_gap <= gap <= d.max_gap:
                    out.violations.append(
                        self.violation(
                            f"{p.visits[d.second].id} starts {p.minutes(gap)} min after {p.visits[d.first].id}; "
                            f"linked visits need {p.minutes(d.min_gap)}..{p.minutes(d.max_gap)}"
                        )
                    )
        return out
