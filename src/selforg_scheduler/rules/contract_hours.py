"""contract_hours: a worker's contract is priced as two terms, so that driving is never free (soft).

Per worker with a contract, the target is ``contract_minutes * days / 7`` rounded (the contract is
per week). Two things can go wrong, and they are different things:

* **under**: contracted minutes not spent on care, ``max(0, target - care)``, where ``care`` is the
  minutes of the worker's visits plus the team roles they hold. It is paid capacity the people
  supported did not get. Travel does not fill it: a minute of driving is not a minute of care.
* **over**: paid minutes beyond the contract, ``max(0, working - target)``, where ``working`` is
  care plus travel (travel between visits is working time in UK law, so it is paid and counts
  towards overtime).

``cost = weight_per_minute * under + over_weight_per_minute * over``. With the old reading (one
term ``|working - target|``, travel included) an extra minute of driving for a worker under
contract lowered the shortfall by as much as the travel rule charged for it, so the two cancelled
and travel was free for most workers; ``under_counts: working`` keeps that reading for teams who
want it. Workers without a contract (``contract_minutes`` 0) are not charged.
"""

from __future__ import annotations

from typing import Any, Literal

from ortools.sat.python import cp_model
from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.core.workday import WEEK, held_minutes, role_load, week_minutes
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, coverable, register


class ContractHoursParams(RuleParams):
    weight_per_minute: int = Field(default=1, ge=0, description="cost per contracted minute not spent on care")
    over_weight_per_minute: int | None = Field(
        default=None, ge=0, description="cost per paid minute beyond the contract (default: weight_per_minute)"
    )
    under_counts: Literal["care", "working"] = Field(
        default="care",
        description="what fills the contract: care (visits and roles; travel does not) or working "
        "(travel too: then driving fills the shortfall and costs nothing net for a worker under contract)",
    )

    @property
    def over_weight(self) -> int:
        return self.weight_per_minute if self.over_weight_per_minute is None else self.over_weight_per_minute


def target(problem: Problem, w: int) -> int:
    """The worker's contract minutes over the horizon."""
    return round(problem.workers[w].contract * problem.days / 7)


def worked(rota: Rota, w: int) -> float:
    """The worker's working minutes over the horizon: visits, travel and team roles."""
    return week_minutes(rota, w) + held_minutes(rota, w)


def cared(rota: Rota, w: int) -> float:
    """The worker's minutes of care over the horizon: visits and team roles, no travel."""
    p = rota.problem
    visits = sum(p.visits[v].duration for (ww, _day), route in rota.routes.items() if ww == w for v in route)
    return visits + held_minutes(rota, w)


@register
class ContractHours(Rule[ContractHoursParams]):
    name = "contract_hours"
    order = 180
    summary = "each contracted minute not spent on care, and each paid minute over contract, costs"
    Params = ContractHoursParams

    def _fill(self, rota: Rota, w: int) -> float:
        return worked(rota, w) if self.params.under_counts == "working" else cared(rota, w)

    def build(self, m: ModelContext) -> list[Penalty]:
        under_w, over_w = self.params.weight_per_minute, self.params.over_weight
        if not under_w and not over_w:
            return []
        out = []
        p, model = m.problem, m.model
        for w, wd in enumerate(p.workers):
            if wd.contract <= 0:
                continue
            goal = target(p, w)
            days = m.days_of(w)
            working = (sum(m.working_minutes(d) for d in days) if days else 0) + m.role_minutes(w)
            most = sum(m.most_working_minutes(d) for d in days) + m.most_role_minutes(w)
            if self.params.under_counts == "working":
                fill: cp_model.LinearExprT = working
            else:
                pairs = [(m.x[(v, w)], p.visits[v].duration) for d in days for v in d.visits]
                fill = cp_model.LinearExpr.weighted_sum([x for x, _ in pairs], [c for _, c in pairs]) + m.role_minutes(
                    w
                )
            if under_w:
                under = model.new_int_var(0, goal, f"contract_under_{wd.id}")
                model.add_max_equality(under, [goal - fill, 0])
                out.append(self.penalty(under_w, under, wd.id))
            if over_w:
                over = model.new_int_var(0, max(0, most - goal), f"contract_over_{wd.id}")
                model.add_max_equality(over, [working - goal, 0])
                out.append(self.penalty(over_w, over, wd.id))
        return out

    def floor(self, m: ModelContext, covered: bool) -> float:
        """The shortfall no rota can avoid. Each worker's care is at most what their free time, the
        visits they may do and the roles they may hold allow, and all workers' care together at
        most every coverable visit's minutes (times its workers) and every role's: so the
        contracts' care is at most ``min(sum of min(target, most care), all care)``, and the
        shortfall at least the targets' sum minus that. Under ``under_counts: working`` travel
        fills contracts too, by an amount not known before routing: no floor."""
        if self.params.under_counts != "care" or not self.params.weight_per_minute:
            return 0
        p = m.problem
        care = [0] * len(p.workers)
        everyone = 0
        for v, vd in enumerate(p.visits):
            if coverable(m, v):
                everyone += vd.duration * vd.required
                for w in m.eligible[v]:
                    care[w] += vd.duration
        blocks = range((p.days + WEEK - 1) // WEEK)
        everyone += sum(role.holders * sum(role_load(p, r, b) for b in blocks) for r, role in enumerate(p.roles))
        goals = 0
        reachable = 0
        for w, wd in enumerate(p.workers):
            roles = m.most_role_minutes(w)
            if wd.contract <= 0:
                continue
            free = sum(b - a for a, b in p.free_blocks[w])
            goal = target(p, w)
            goals += goal
            reachable += min(goal, min(care[w], free) + roles)
        return self.params.weight_per_minute * max(0, goals - min(reachable, everyone))

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p, prm = rota.problem, self.params
        for w, wd in enumerate(p.workers):
            if wd.contract > 0:
                goal = target(p, w)
                out.charge(wd.id, prm.weight_per_minute * max(0.0, goal - self._fill(rota, w)))
                out.charge(wd.id, prm.over_weight * max(0.0, worked(rota, w) - goal))
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        p = rota.problem
        contracted = [(w, wd) for w, wd in enumerate(p.workers) if wd.contract > 0]
        return {
            "minutes_vs_contract": {wd.id: worked(rota, w) - target(p, w) for w, wd in contracted},
            "care_minutes_vs_contract": {wd.id: cared(rota, w) - target(p, w) for w, wd in contracted},
        }
