"""travel: consecutive visits leave room for the travel between them; travel minutes cost."""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.model import ModelContext
from selforg_scheduler.rota import Rota
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class TravelParams(RuleParams):
    weight_per_minute: int = Field(default=1, ge=0, description="cost per travel minute")


@register
class TravelRule(Rule[TravelParams]):
    name = "travel"
    order = 50
    summary = "a worker's consecutive visits leave room for the travel between them; travel minutes cost"
    Params = TravelParams

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.weight_per_minute == 0:
            return []
        out = []
        for wday in m.worker_days.values():
            terms = [arc.travel * arc.literal for arc in wday.arcs if arc.travel]
            if terms:
                subject = m.problem.workers[wday.worker].id
                out.append(self.penalty(self.params.weight_per_minute, sum(terms), subject))
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
                        f"{p.visits[b].id} starts {p.time_of(rota.start[b]):%H:%M} but is {t} min away"
                    )
                )
        if self.params.weight_per_minute:
            for (w, day) in rota.routes:
                out.charge(p.workers[w].id, self.params.weight_per_minute * rota.worker_day_travel(w, day))
        return out
