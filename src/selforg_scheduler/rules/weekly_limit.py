"""weekly_limit: at most 2880 working minutes a week (48 h, Working Time Regulations 1998, reg. 4)
and, for a worker with a contract, at most contract + overtime minutes.

Per worker and 7-day block of the horizon: ``sum_days working_minutes + role_minutes <= min(max,
contract + overtime)``, where ``role_minutes`` are the minutes of the team roles the worker holds. A worker with ``contract_minutes`` 0 (no contract given) has the legal cap only.
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import (
    WEEK,
    RouteState,
    held_minutes,
    working_days,
    working_minutes,
)
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class WeeklyLimitParams(RuleParams):
    max_minutes: int = Field(default=2880, ge=0, description="working minutes a week (48 h)")
    contract_plus_overtime: bool = Field(default=True, description="also cap at contract + overtime")


@register
class WeeklyLimit(Rule[WeeklyLimitParams]):
    name = "weekly_limit"
    order = 120
    summary = "at most 2880 working minutes a week, and at most contract + overtime"
    Params = WeeklyLimitParams

    def cap(self, problem: Problem, w: int) -> int:
        wd = problem.workers[w]
        cap = self.params.max_minutes
        if self.params.contract_plus_overtime and wd.contract > 0:
            cap = min(cap, wd.contract + wd.overtime)
        return cap

    def week_cap(self, problem: Problem, worker: int) -> float | None:
        return self.cap(problem, worker)

    def build(self, m: ModelContext) -> list[Penalty]:
        for w in range(len(m.problem.workers)):
            cap = self.cap(m.problem, w)
            by_block: dict[int, list] = {}
            for wday in m.days_of(w):
                by_block.setdefault(wday.day // WEEK, []).append(wday)
            for block, wdays in by_block.items():
                label = f"{m.problem.workers[w].id}'s weekly limit of {cap:g} working minutes"
                m.model.add(
                    sum(m.working_minutes(wd) for wd in wdays) + m.role_minutes(w, block) <= cap
                ).only_enforce_if(m.guard((self.name, w, block), label))
        return []

    def _problem(self, r: RouteState, w: int, block: int) -> str | None:
        p = r.problem
        minutes = sum(working_minutes(r, w, d) for d in working_days(r, w) if d // WEEK == block)
        minutes += held_minutes(r, w, block)
        cap = self.cap(p, w)
        if minutes > cap:
            which = "" if p.days <= WEEK else f" in week {block + 1}"
            why = "the legal limit" if cap == self.params.max_minutes else "contract + overtime"
            roles = held_minutes(r, w, block)
            held = f" (with {roles} min of team roles)" if roles else ""
            return f"{p.workers[w].id} works {minutes:g} min{which}{held}; {why} is {cap}"
        return None

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        return self._problem(rota, worker, day // WEEK)

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        for w in range(len(rota.problem.workers)):
            for block in sorted({d // WEEK for d in working_days(rota, w)}):
                message = self._problem(rota, w, block)
                if message:
                    out.violations.append(self.violation(message))
        return out
