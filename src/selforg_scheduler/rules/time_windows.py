"""time_windows: a visit starts within [earliest_start, latest_start]; lateness may be made soft."""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.model import ModelContext
from selforg_scheduler.problem import MINUTES_PER_DAY, Problem
from selforg_scheduler.rota import Rota
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register


class TimeWindowsParams(RuleParams):
    hard: bool = Field(default=True, description="false: a visit may start late, at a cost")
    lateness_weight_per_minute: int = Field(default=1, ge=0, description="cost per minute late (soft)")
    max_lateness_min: int = Field(default=240, ge=0, description="latest a visit may start after latest_start (soft)")


@register
class TimeWindows(Rule[TimeWindowsParams]):
    name = "time_windows"
    order = 60
    summary = "a visit starts within [earliest_start, latest_start]; lateness soft if the rule set says so"
    Params = TimeWindowsParams

    def start_range(self, problem: Problem, v: int) -> tuple[int, int]:
        vd = problem.visits[v]
        if not self.params.enabled:  # anywhere on the visit's day
            day0 = vd.day * MINUTES_PER_DAY
            return day0, max(day0, day0 + MINUTES_PER_DAY - vd.duration)
        if self.params.hard:
            return vd.earliest, vd.latest
        return vd.earliest, vd.latest + self.params.max_lateness_min

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.hard:
            return []
        out = []
        for vd in m.problem.visits:
            if not m.eligible[vd.index]:
                continue
            late = m.model.new_int_var(0, self.params.max_lateness_min, f"late_{vd.id}")
            m.model.add_max_equality(late, [0, m.start[vd.index] - vd.latest])
            m.model.add(m.start[vd.index] <= vd.latest).only_enforce_if(~m.covered[vd.index])
            if self.params.lateness_weight_per_minute:
                out.append(self.penalty(self.params.lateness_weight_per_minute, late, vd.id))
        return out

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for v, s in rota.start.items():
            vd = p.visits[v]
            lo, hi = self.start_range(p, v)
            if s < lo or s > hi:
                window = f"{p.clock(lo)}-{p.time_of(hi):%H:%M}"
                out.violations.append(self.violation(f"{vd.id} starts {p.clock(s)}, outside {window}"))
            if self.params.enabled and not self.params.hard and s > vd.latest:
                out.charge(vd.id, self.params.lateness_weight_per_minute * (s - vd.latest))
        return out
