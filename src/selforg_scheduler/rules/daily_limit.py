"""daily_limit: at most 600 working minutes a day (Working Time Regulations 1998, reg. 4-6 spirit).

Working minutes of a worker-day are its visits' minutes plus the travel between them (plus the home
legs when the instance counts them): ``sum_v dur_v x[v,w] + sum_arcs travel * arc <= max``.
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import RouteState, working_minutes
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class DailyLimitParams(RuleParams):
    max_minutes: int = Field(default=600, ge=0, description="working minutes a day (visits + travel)")


@register
class DailyLimit(Rule[DailyLimitParams]):
    name = "daily_limit"
    order = 110
    summary = "at most 600 working minutes (visits + travel) a day"
    Params = DailyLimitParams

    def build(self, m: ModelContext) -> list[Penalty]:
        limit = self.params.max_minutes
        p = m.problem
        for (w, day), wday in m.worker_days.items():
            if m.most_working_minutes(wday) > limit:
                label = f"{p.workers[w].id}'s daily limit of {limit} working minutes on {p.day_name(day)}"
                m.model.add(m.working_minutes(wday) <= limit).only_enforce_if(m.guard((self.name, w, day), label))
        return []

    def _problem(self, r: RouteState, w: int, day: int) -> str | None:
        minutes = working_minutes(r, w, day)
        if minutes > self.params.max_minutes:
            p = r.problem
            return (
                f"{p.workers[w].id} works {minutes:g} min on {p.day_name(day)}; "
                f"the daily limit is {self.params.max_minutes}"
            )
        return None

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        return self._problem(rota, worker, day)

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        for w, day in sorted(rota.routes):
            message = self._problem(rota, w, day)
            if message:
                out.violations.append(self.violation(message))
        return out
