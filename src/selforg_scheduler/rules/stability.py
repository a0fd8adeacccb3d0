"""stability: on repair, stay close to the rota being repaired.

Only active when the problem carries a reference rota (``Problem.attach``: the repair command,
or ``validate --reference``). Pinned visits and visits already done (before the repair's
``now``) keep their workers and start (hard); every other visit of the reference whose workers
or start change costs ``weight_per_change``, so the repaired rota moves as few visits as it can.
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.problem import Interval, Problem, intersect
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


class StabilityParams(RuleParams):
    weight_per_change: int = Field(
        default=2000, ge=0, description="cost of each visit whose workers or start differ from the reference rota"
    )


@register
class Stability(Rule[StabilityParams]):
    name = "stability"
    order = 400
    any_resolution = True
    summary = "on repair: fixed visits keep workers and start; each other changed visit costs weight_per_change"
    Params = StabilityParams

    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        return visit not in problem.fixed or worker in problem.reference[visit][1]

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        if visit in problem.fixed and worker not in problem.reference[visit][1]:
            return "cannot take a visit that keeps its worker (stability)"
        return None

    def prices(self, problem: Problem) -> Prices:
        # Without a reference rota nothing changes from one, so nothing costs.
        return Prices() if problem.reference else FREE

    def starts(self, problem: Problem, visit: int, worker: int, allowed: tuple[Interval, ...]) -> tuple[Interval, ...]:
        if visit not in problem.fixed:
            return allowed
        s = problem.reference[visit][0]
        return intersect(allowed, ((int(s), int(s)),)) if float(s).is_integer() else ()

    def build(self, m: ModelContext) -> list[Penalty]:
        p = m.problem
        out: list[Penalty] = []
        for v, (s, crew) in sorted(p.reference.items()):
            vid = p.visits[v].id
            if v in p.fixed:
                m.model.add(m.covered[v] == 1)  # its crew is the only one left, its start the only one
                continue
            keepable = (
                float(s).is_integer()
                and all((v, w) in m.x for w in crew)
                and any(a <= s <= b for w in crew for a, b in m.domains[(v, w)])
            )
            if not keepable:
                out.append(self.penalty(self.params.weight_per_change, 1, vid))
                continue
            same = m.model.new_bool_var(f"same_{vid}")
            for w in crew:
                m.model.add_implication(same, m.x[(v, w)])
            m.model.add(m.start[v] == int(s)).only_enforce_if(same)
            out.append(self.penalty(self.params.weight_per_change, 1 - same, vid))
        return out

    def check(self, rota: Rota) -> RuleCheck:
        p = rota.problem
        out = RuleCheck()
        for v, (s, crew) in sorted(p.reference.items()):
            now = rota.crew.get(v)
            same = now is not None and set(now) == set(crew) and rota.start.get(v) == s
            if same:
                continue
            if v in p.fixed:
                names = ", ".join(p.workers[w].id for w in crew)
                out.violations.append(
                    self.violation(
                        f"{p.visits[v].id} is fixed to {names} at {p.clock(s)} (pinned or already done) and was changed"
                    )
                )
            else:
                out.charge(p.visits[v].id, self.params.weight_per_change)
        return out
