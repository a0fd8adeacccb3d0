"""contract_hours: each working minute under or over a worker's contract costs (soft).

Per worker with a contract: ``cost = weight * |sum_d working_minutes[d] + role_minutes - target|``,
where the target is ``contract_minutes * days / 7`` rounded (the contract is per week) and
``role_minutes`` are the minutes of the team roles the worker holds (role time is paid work). Workers without a
contract (``contract_minutes`` 0) are not charged.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import held_minutes, week_minutes
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class ContractHoursParams(RuleParams):
    weight_per_minute: int = Field(default=1, ge=0, description="cost per minute under or over contract")


def target(problem: Problem, w: int) -> int:
    """The worker's contract minutes over the horizon."""
    return round(problem.workers[w].contract * problem.days / 7)


def worked(rota: Rota, w: int) -> float:
    """The worker's working minutes over the horizon, team roles included."""
    return week_minutes(rota, w) + held_minutes(rota, w)


@register
class ContractHours(Rule[ContractHoursParams]):
    name = "contract_hours"
    order = 180
    summary = "each minute under or over contract costs"
    Params = ContractHoursParams

    def build(self, m: ModelContext) -> list[Penalty]:
        if not self.params.weight_per_minute:
            return []
        out = []
        p, model = m.problem, m.model
        for w, wd in enumerate(p.workers):
            if wd.contract <= 0:
                continue
            goal = target(p, w)
            days = m.days_of(w)
            total = (sum(m.working_minutes(d) for d in days) if days else 0) + m.role_minutes(w)
            most = sum(m.most_working_minutes(d) for d in days) + m.most_role_minutes(w)
            dev = model.new_int_var(0, max(goal, most), f"contract_dev_{wd.id}")
            model.add_abs_equality(dev, total - goal)
            out.append(self.penalty(self.params.weight_per_minute, dev, wd.id))
        return out

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for w, wd in enumerate(p.workers):
            if wd.contract > 0:
                out.charge(wd.id, self.params.weight_per_minute * abs(worked(rota, w) - target(p, w)))
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        p = rota.problem
        return {
            "minutes_vs_contract": {
                wd.id: worked(rota, w) - target(p, w) for w, wd in enumerate(p.workers) if wd.contract > 0
            }
        }
