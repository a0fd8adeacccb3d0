"""double_ups: all workers of a multi-worker visit start it together.

In the model a visit has a single start variable shared by all its workers, so the rule holds by
construction; the validator catches a rota that lists one visit twice with different starts.
"""

from __future__ import annotations

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.rules.base import (
    FREE,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


@register
class DoubleUps(Rule[RuleParams]):
    name = "double_ups"
    reads = "starts"
    order = 80
    any_resolution = True
    summary = "all workers of a multi-worker visit start it together"

    def prices(self, problem: Problem) -> Prices:
        return FREE  # hard only

    def check(self, rota: Rota) -> RuleCheck:
        return RuleCheck(violations=self.reading_violations(rota))
