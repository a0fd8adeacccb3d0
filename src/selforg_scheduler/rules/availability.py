"""availability: a visit, and the travel just before it, lie inside the worker's free time.

Free time is the union of the worker's availability periods minus their commitments (team
meeting, supervision, training). Travel to a visit is taken as the minutes just before it; with
``count_home_legs`` the trip out (home -> first visit, just before it) and the trip home (last
visit -> home, just after it) lie in the same block of free time as the visit, each leg timed in
its own direction (a matrix may differ each way).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from selforg_scheduler.core.problem import (
    Interval,
    Problem,
    fitting_starts,
    inside_one,
    merge,
)
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import DEPOT, ModelContext
from selforg_scheduler.rules.base import (
    FREE,
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    register,
)


@register
class Availability(Rule[RuleParams]):
    name = "availability"
    order = 30
    any_resolution = True
    summary = "a visit and the travel to it lie inside one availability period, clear of commitments"

    def free_time(self, problem: Problem, worker: int) -> tuple[Interval, ...] | None:
        return problem.free_blocks[worker]

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        """Not available in the visit's window, or only around a commitment then."""
        vd, (lo, hi) = problem.visits[visit], window
        if fitting_starts(problem.free_blocks[worker], vd.duration, lo, hi):
            return None
        if fitting_starts(merge(problem.workers[worker].availability), vd.duration, lo, hi):
            return "has a commitment then"
        return "is not available then"

    def prices(self, problem: Problem) -> Prices:
        return FREE  # hard only

    def build(self, m: ModelContext) -> list[Penalty]:
        p, model = m.problem, m.model
        for wday in m.worker_days.values():
            w = wday.worker
            blocks = p.free_blocks[w]
            for arc in wday.arcs:
                if arc.travel == 0 or (arc.tail == DEPOT and arc.head == DEPOT):
                    continue
                if arc.head != DEPOT:  # travel just before the head visit
                    v, lead, tail = arc.head, arc.travel, 0
                else:  # travel home after the tail visit
                    v, lead, tail = arc.tail, 0, arc.travel
                base = m.domains[(v, w)]
                lo, hi = base[0][0], base[-1][1]
                dom = fitting_starts(blocks, p.visits[v].duration, lo, hi, lead=lead, tail=tail)
                if dom == base:
                    continue
                if not dom:
                    model.add(arc.literal == 0)
                    continue
                model.add_linear_expression_in_domain(
                    m.start[v], cp_model.Domain.from_intervals([list(iv) for iv in dom])
                ).only_enforce_if(arc.literal)
        return []

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for (w, day), route in rota.routes.items():
            wd = p.workers[w]
            blocks = p.free_blocks[w]
            for pos, v in enumerate(route):
                s, e = rota.start[v], rota.end(v)
                lead = rota.lead_travel(w, day, pos)
                tail = rota.tail_travel(w, day, pos)
                if inside_one(blocks, s - lead, e + tail):
                    continue
                what = f"{wd.id} does {p.visits[v].id} {p.clock(s)}-{p.time_of(e):%H:%M}"
                if not inside_one(tuple(wd.availability), s, e):
                    reason = "outside their availability"
                elif any(c0 < e and s < c1 for c0, c1 in wd.commitments):
                    reason = "during a commitment"
                elif lead and not inside_one(blocks, s - lead, e):
                    reason = f"but the {p.minutes(lead)} min travel before it falls outside their free time"
                else:
                    reason = f"but the {p.minutes(tail)} min travel home after it falls outside their free time"
                out.violations.append(self.violation(f"{what} {reason}"))
        return out
