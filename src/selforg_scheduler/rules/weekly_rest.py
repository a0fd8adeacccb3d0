"""weekly_rest: at least one whole day off in each 7-day week (Working Time Regulations 1998,
reg. 11: 24 h uninterrupted rest in each 7-day period).

A day is worked when the worker has a visit or a commitment on it. Per worker and full 7-day block
of the horizon: ``sum_d works[d] <= 7 - min_days_off``, or no visit day beyond the committed days
when commitments alone leave too few days off. Horizons shorter than 7 days are not checked.
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import WEEK, RouteState, working_days
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class WeeklyRestParams(RuleParams):
    min_days_off: int = Field(default=1, ge=0, le=7, description="whole days off in each 7-day week")


def committed_days(problem: Problem, w: int) -> set[int]:
    """Days of the horizon on which the worker has a commitment (team meeting, training...): the
    local days its real minutes fall on."""
    out: set[int] = set()
    for c0, c1 in problem.workers[w].commitments:
        for day in range(max(0, problem.day_of(c0)), min(problem.days - 1, problem.day_of(c1 - 1)) + 1):
            out.add(day)
    return out


@register
class WeeklyRest(Rule[WeeklyRestParams]):
    name = "weekly_rest"
    order = 140
    summary = "at least one whole day off in each 7-day week"
    Params = WeeklyRestParams

    def blocks(self, problem: Problem) -> list[range]:
        return [range(k * WEEK, k * WEEK + WEEK) for k in range(problem.days // WEEK)]

    def build(self, m: ModelContext) -> list[Penalty]:
        p = m.problem
        allowed = WEEK - self.params.min_days_off
        for w in range(len(p.workers)):
            committed = committed_days(p, w)
            works = {wd.day: wd.works for wd in m.days_of(w)}
            for block in self.blocks(p):
                fixed = sum(1 for d in block if d in committed)
                free = [works[d] for d in block if d in works and d not in committed]
                if fixed + len(free) > allowed:
                    label = f"{p.workers[w].id}'s {self.params.min_days_off} day(s) off in the week from {p.day_name(block[0])}"
                    m.model.add(sum(free) <= max(0, allowed - fixed)).only_enforce_if(
                        m.guard((self.name, w, block[0]), label)
                    )
        return []

    def _problem(self, r: RouteState, w: int, block: range) -> str | None:
        p = r.problem
        committed = committed_days(p, w) & set(block)
        worked = (set(working_days(r, w)) | committed) & set(block)
        off = WEEK - len(worked)
        # Days the commitments take are the instance's doing: only days the rota adds can break it.
        if off < self.params.min_days_off and worked - committed:
            days = ", ".join(p.day_name(d)[:3] for d in sorted(worked))
            return (
                f"{p.workers[w].id} works {len(worked)} days ({days}) from {p.day_name(block[0])}; "
                f"{self.params.min_days_off} whole day(s) off needed"
            )
        return None

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        for block in self.blocks(rota.problem):
            if day in block:
                return self._problem(rota, worker, block)
        return None

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        for w in range(len(rota.problem.workers)):
            for block in self.blocks(rota.problem):
                message = self._problem(rota, w, block)
                if message:
                    out.violations.append(self.violation(message))
        return out
