"""time_windows: a visit starts within [earliest_start, latest_start]; lateness may be made soft."""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


class TimeWindowsParams(RuleParams):
    hard: bool = Field(default=True, description="false: a visit may start late, at a cost")
    lateness_weight_per_minute: int = Field(default=1, ge=0, description="cost per minute late (soft)")
    max_lateness_min: int = Field(default=240, ge=0, description="latest a visit may start after latest_start (soft)")
    largest_lateness_weight: int = Field(
        default=0, ge=0, description="cost per minute of the largest single lateness (soft; benchmarks)"
    )


LARGEST = "largest lateness"
"""The subject charged for the largest single lateness."""


@register
class TimeWindows(Rule[TimeWindowsParams]):
    name = "time_windows"
    order = 60
    summary = "a visit starts within [earliest_start, latest_start]; lateness soft if the rule set says so"
    Params = TimeWindowsParams

    any_resolution = True

    def prices(self, problem: Problem) -> Prices:
        """Lateness per minute and the largest lateness, when lateness is soft (hard: nothing)."""
        if self.params.hard:
            return Prices(exact=True)
        return Prices(
            late_per_minute=self.params.lateness_weight_per_minute,
            largest_late_per_minute=self.params.largest_lateness_weight,
            exact=True,
        )

    @staticmethod
    def per_tick(problem: Problem, weight_per_minute: int) -> int:
        """A per-minute weight per tick (the rule set checks it divides exactly)."""
        return weight_per_minute // problem.unit

    def resolution_problem(self, resolution: int) -> str | None:
        if self.params.hard:
            return None  # no lateness, no lateness cost
        for name in ("lateness_weight_per_minute", "largest_lateness_weight"):
            if getattr(self.params, name) % resolution:
                return f"{name} must be a multiple of the resolution ({resolution}) so a tick of lateness costs a whole number"
        return None

    def start_range(self, problem: Problem, visit: int, whole: tuple[int, int]) -> tuple[int, int]:
        """The window, widened by the most lateness allowed when lateness is soft."""
        vd = problem.visits[visit]
        if self.params.hard:
            return vd.earliest, vd.latest
        return vd.earliest, vd.latest + problem.ticks(self.params.max_lateness_min)

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.hard:
            return []
        out = []
        lates = []
        for vd in m.problem.visits:
            if not m.eligible[vd.index]:
                continue
            late = m.model.new_int_var(0, m.problem.ticks(self.params.max_lateness_min), f"late_{vd.id}")
            m.model.add_max_equality(late, [0, m.start[vd.index] - vd.latest])
            m.model.add(m.start[vd.index] <= vd.latest).only_enforce_if(~m.covered[vd.index])
            lates.append(late)
            if self.params.lateness_weight_per_minute:
                out.append(self.penalty(self.per_tick(m.problem, self.params.lateness_weight_per_minute), late, vd.id))
        if self.params.largest_lateness_weight and lates:
            # Exact (not just an upper bound), so the solver's objective equals the validator's.
            largest = m.model.new_int_var(0, m.problem.ticks(self.params.max_lateness_min), "largest_lateness")
            m.model.add_max_equality(largest, lates)
            out.append(self.penalty(self.per_tick(m.problem, self.params.largest_lateness_weight), largest, LARGEST))
        return out

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for v, s in rota.start.items():
            vd = p.visits[v]
            lo, hi = self.start_range(p, v, (0, 0))
            if s < lo or s > hi:
                window = f"{p.clock(lo)}-{p.time_of(hi):%H:%M}"
                out.violations.append(self.violation(f"{vd.id} starts {p.clock(s)}, outside {window}"))
            if self.params.enabled and not self.params.hard and s > vd.latest:
                out.charge(vd.id, self.per_tick(p, self.params.lateness_weight_per_minute) * (s - vd.latest))
        if self.params.enabled and not self.params.hard and self.params.largest_lateness_weight:
            largest = max((s - p.visits[v].latest for v, s in rota.start.items()), default=0)
            out.charge(LARGEST, self.per_tick(p, self.params.largest_lateness_weight) * max(0, largest))
        return out
