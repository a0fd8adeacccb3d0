"""daily_rest: 660 minutes (11 h) between the end of one working day and the start of the next
(Working Time Regulations 1998, reg. 10).

For two working days d < d' of a worker: ``first[d'] - last[d] >= 660`` when both are worked, where
first/last are the day's first start and last end (home legs included when counted).
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import (
    RouteState,
    first_start,
    last_end,
    working_days,
)
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class DailyRestParams(RuleParams):
    min_minutes: int = Field(default=660, ge=0, description="rest between working days (11 h)")


@register
class DailyRest(Rule[DailyRestParams]):
    name = "daily_rest"
    order = 130
    summary = "660 minutes of rest between one working day and the next"
    Params = DailyRestParams

    def build(self, m: ModelContext) -> list[Penalty]:
        rest = self.params.min_minutes
        p = m.problem
        for w in range(len(p.workers)):
            wdays = m.days_of(w)
            reach = {wd.day: m.day_reach(wd) for wd in wdays}
            for i, a in enumerate(wdays):
                for b in wdays[i + 1 :]:
                    if reach[a.day][1] + rest <= reach[b.day][0]:
                        continue  # can never be too close
                    _, last_a = m.day_bounds(a)
                    first_b, _ = m.day_bounds(b)
                    label = f"{p.workers[w].id}'s {rest} min rest between {p.day_name(a.day)} and {p.day_name(b.day)}"
                    guard = m.guard((self.name, w, a.day, b.day), label)
                    m.model.add(first_b - last_a >= rest).only_enforce_if([a.works, b.works, *guard])
        return []

    def _gap_problem(self, r: RouteState, w: int, d1: int, d2: int) -> str | None:
        gap = first_start(r, w, d2) - last_end(r, w, d1)
        if gap < self.params.min_minutes:
            p = r.problem
            return (
                f"{p.workers[w].id} ends {p.clock(last_end(r, w, d1))} and starts "
                f"{p.clock(first_start(r, w, d2))}: {gap:g} min of rest, "
                f"{self.params.min_minutes} needed"
            )
        return None

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        days = working_days(rota, worker)
        if day not in days:
            return None
        i = days.index(day)
        pairs = []
        if i > 0:
            pairs.append((days[i - 1], day))
        if i + 1 < len(days):
            pairs.append((day, days[i + 1]))
        for d1, d2 in pairs:
            message = self._gap_problem(rota, worker, d1, d2)
            if message:
                return message
        return None

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        for w in range(len(rota.problem.workers)):
            days = working_days(rota, w)
            for d1, d2 in zip(days, days[1:], strict=False):
                message = self._gap_problem(rota, w, d1, d2)
                if message:
                    out.violations.append(self.violation(message))
        return out
