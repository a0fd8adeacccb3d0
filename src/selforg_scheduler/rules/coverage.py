"""coverage: every visit gets exactly ``workers_required`` workers, or is listed as unassigned."""

from __future__ import annotations

import math

from pydantic import Field

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
    coverable,
    register,
)


class CoverageParams(RuleParams):
    hard: bool = Field(default=False, description="true: every visit must be covered")
    weight_per_minute: int = Field(default=1000, ge=0, description="cost per minute of an uncovered visit")


@register
class Coverage(Rule[CoverageParams]):
    name = "coverage"
    reads = "visits"
    order = 10
    any_resolution = True
    summary = "every visit gets exactly workers_required workers; an uncovered visit costs its minutes x weight"
    Params = CoverageParams

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.hard:
            for c in m.covered:
                m.model.add(c == 1)
            return []
        return [
            self.penalty(self.params.weight_per_minute * vd.minutes, 1 - m.covered[vd.index], vd.id)
            for vd in m.problem.visits
        ]

    def prices(self, problem: Problem) -> Prices:
        return FREE  # the searches cover visits first; their cost moves never uncover one

    def floor(self, m: ModelContext, covered: bool) -> float:
        """Visits no rota can cover are uncovered in every rota; a rota that leaves another one
        uncovered pays at least the cheapest of those too (none may be left when coverage is hard)."""
        cost = [self.params.weight_per_minute * vd.minutes for vd in m.problem.visits]
        never = sum(c for v, c in enumerate(cost) if not coverable(m, v))
        if covered:
            return 0 if self.params.hard else never
        could = [c for v, c in enumerate(cost) if coverable(m, v)]
        if self.params.hard or not could:
            return math.inf
        return never + min(could)

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck(violations=self.reading_violations(rota))
        problem = rota.problem
        listed = set(rota.unassigned_listed)
        for vd in problem.visits:
            crew = rota.crew.get(vd.index)
            if crew is None:
                if vd.id not in listed:
                    out.violations.append(self.violation(f"{vd.id} is neither in visits nor in unassigned"))
                if self.params.hard:
                    out.violations.append(self.violation(f"{problem.visit_label(vd.index)} is not covered"))
                else:
                    out.charge(vd.id, self.params.weight_per_minute * vd.minutes)
                continue
            if vd.id in listed:
                out.violations.append(self.violation(f"{vd.id} is both assigned and listed as unassigned"))
            if len(crew) != vd.required:
                out.violations.append(self.violation(f"{vd.id} needs {vd.required} worker(s), has {len(crew)}"))
        for vid in listed:
            if vid not in problem.visit_index:
                out.violations.append(self.violation(f"unassigned {vid} is not a visit of this instance"))
        return out
