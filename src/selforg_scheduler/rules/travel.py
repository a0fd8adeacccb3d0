"""travel: consecutive visits leave room for the travel between them; travel minutes cost."""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.travel import leg_cost
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


class TravelParams(RuleParams):
    weight_per_minute: int = Field(
        default=1,
        ge=0,
        description="cost per travel minute; each leg costs ceil(weight x exact minutes), so a large "
        "weight prices fractional travel (euclidean, matrix) exactly",
    )


@register
class TravelRule(Rule[TravelParams]):
    name = "travel"
    order = 50
    any_resolution = True
    summary = "a worker's consecutive visits leave room for the travel between them; travel minutes cost"
    Params = TravelParams
    keeps_travel_time = True

    def prices(self, problem: Problem) -> Prices:
        return Prices(travel_per_minute=self.params.weight_per_minute, exact=True)

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.weight_per_minute == 0:
            return []
        out = []
        weight = self.params.weight_per_minute
        for wday in m.worker_days.values():
            terms = [leg_cost(weight, arc.exact) * arc.literal for arc in wday.arcs if arc.travel]
            if terms:
                subject = m.problem.workers[wday.worker].id
                out.append(self.penalty(1, sum(terms), subject))
        return out

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for w, _day, a, b in rota.legs():
            t = rota.travel(a, b)
            if t and rota.end(a) <= rota.start[b] < rota.end(a) + t:
                out.violations.append(
                    self.violation(
                        f"{p.workers[w].id}: {p.visits[a].id} ends {p.clock(rota.end(a))}, "
                        f"{p.visits[b].id} starts {p.time_of(rota.start[b]):%H:%M} but is {p.minutes(t)} min away"
                    )
                )
        weight = self.params.weight_per_minute
        if weight:
            for w, day in rota.routes:
                legs = rota.legs_of(w, day)
                out.charge(p.workers[w].id, sum(leg_cost(weight, rota.exact_travel(w, leg)) for leg in legs))
        return out
