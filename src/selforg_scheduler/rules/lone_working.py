"""lone_working: new starters never visit alone; no lone visit ends after 22:00; a lone visit
ending after 20:00 needs one of the worker's buddies to be working then; clients flagged
``two_workers`` always get two (the compiled visit needs two workers whatever the rule set says).

Model: new starters get no variable for single-worker visits; for a shared visit
``sum_{w not new} x[v, w] >= covered[v]``; a lone visit's starts are narrowed to ``end <= 22:00``
and to ``end <= 20:00 or end inside a buddy's availability``. The validator also accepts a buddy
who is on a visit at that time. Each late lone visit's buddy is written to ``check_ins``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from selforg_scheduler.contract.solution import CheckIn, Solution
from selforg_scheduler.core.problem import Interval, Problem, intersect, merge
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    ClockTime,
    Penalty,
    Rule,
    RuleCheck,
    RuleParams,
    clock_minutes,
    register,
)

NEVER = -(10**7)


class LoneWorkingParams(RuleParams):
    new_starters_alone: bool = Field(default=False, description="may new starters visit alone")
    latest_lone_end: ClockTime = Field(default="22:00", description="no lone visit ends after this")
    buddy_check_after: ClockTime = Field(
        default="20:00", description="a lone visit ending after this needs a buddy at work"
    )


@register
class LoneWorking(Rule[LoneWorkingParams]):
    name = "lone_working"
    order = 160
    summary = "new starters never alone; no lone visit ends after 22:00; late lone visits need a working buddy"
    Params = LoneWorkingParams

    def _limits(self, problem: Problem, v: int) -> tuple[int, int]:
        """(check-in time, latest lone end): the local clock times on the visit's day."""
        day, prm = problem.visits[v].day, self.params
        check_after = problem.at(day, clock_minutes(prm.buddy_check_after))
        return check_after, problem.at(day, clock_minutes(prm.latest_lone_end))

    def _buddy_cover(self, problem: Problem, w: int) -> tuple[Interval, ...]:
        return merge([iv for b in problem.buddies[w] for iv in problem.workers[b].availability])

    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        if self.params.new_starters_alone or not problem.workers[worker].new_starter:
            return True
        return problem.visits[visit].required > 1

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        if not self.allows(problem, visit, worker):
            return "is a new starter and cannot visit alone"
        if not self.starts(problem, visit, worker, (window,)):
            _, latest = self._limits(problem, visit)
            end = window[0] + problem.visits[visit].duration
            if end > latest:
                return (
                    f"would be alone until {problem.time_of(end):%H:%M}, after the latest lone end "
                    f"{self.params.latest_lone_end} (lone_working)"
                )
            return "has no buddy at work for a late lone visit (lone_working)"
        return None

    def starts(self, problem: Problem, visit: int, worker: int, allowed: tuple[Interval, ...]) -> tuple[Interval, ...]:
        vd = problem.visits[visit]
        if vd.required > 1:
            return allowed
        check_after, latest = self._limits(problem, visit)
        ok = [(NEVER, min(check_after, latest) - vd.duration)]
        ok.extend((a - vd.duration, min(b, latest) - vd.duration) for a, b in self._buddy_cover(problem, worker))
        half_open = merge([(a, b + 1) for a, b in ok if a <= b])
        return intersect(allowed, tuple((a, b - 1) for a, b in half_open))

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.new_starters_alone:
            return []
        p = m.problem
        for vd in p.visits:
            ws = m.eligible[vd.index]
            if vd.required > 1 and any(p.workers[w].new_starter for w in ws):
                experienced = [m.x[(vd.index, w)] for w in ws if not p.workers[w].new_starter]
                label = f"{vd.id}'s need for an experienced worker beside a new starter"
                m.model.add(sum(experienced) >= m.covered[vd.index]).only_enforce_if(
                    m.guard((self.name, vd.index), label)
                )
        return []

    def crew_problem(self, problem: Problem, visit: int, crew: tuple[int, ...]) -> str | None:
        if self.params.new_starters_alone or not crew:
            return None
        if all(problem.workers[w].new_starter for w in crew):
            names = " and ".join(problem.workers[w].id for w in crew)
            return (
                f"{names} {'is a new starter' if len(crew) == 1 else 'are new starters'} without an experienced worker"
            )
        return None

    def _buddy_at(self, rota: Rota, w: int, when: float) -> int | None:
        p = rota.problem
        for b in sorted(p.buddies[w]):
            if any(a <= when <= z for a, z in p.workers[b].availability):
                return b
            if any(rota.start[u] <= when <= rota.end(u) for u in rota.crew if b in rota.crew[u]):
                return b
        return None

    def check_ins(self, rota: Rota) -> list[tuple[int, int, int | None]]:
        """(visit, worker, buddy or None) for every lone visit ending after the check-in time."""
        out = []
        for v, crew in sorted(rota.crew.items()):
            if len(crew) != 1:
                continue
            check_after, _ = self._limits(rota.problem, v)
            if rota.end(v) > check_after:
                out.append((v, crew[0], self._buddy_at(rota, crew[0], rota.end(v))))
        return out

    def annotate(self, rota: Rota, solution: Solution) -> Solution:
        """Each late lone visit's buddy check-in (``solution.check_ins``)."""
        p = rota.problem
        solution.check_ins = [
            CheckIn(visit=p.visits[v].id, worker=p.workers[w].id, buddy=p.workers[b].id, at=p.time_of(rota.end(v)))
            for v, w, b in self.check_ins(rota)
            if b is not None
        ]
        return solution

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p, prm = rota.problem, self.params
        for v, crew in sorted(rota.crew.items()):
            vd = p.visits[v]
            message = self.crew_problem(p, v, crew)
            if message:
                out.violations.append(self.violation(f"{vd.id}: {message}"))
            if p.clients[vd.client].two_workers and len(crew) < 2:
                out.violations.append(self.violation(f"{vd.id}: {p.clients[vd.client].id} always gets two workers"))
            if len(crew) == 1:
                _, latest = self._limits(p, v)
                if rota.end(v) > latest:
                    out.violations.append(
                        self.violation(
                            f"{p.workers[crew[0]].id} is alone at {vd.id} until {p.clock(rota.end(v))}, "
                            f"after {prm.latest_lone_end}"
                        )
                    )
        for v, w, buddy in self.check_ins(rota):
            if buddy is None:
                _, latest = self._limits(p, v)
                if rota.end(v) <= latest:
                    names = ", ".join(p.workers[b].id for b in sorted(p.buddies[w])) or "no buddy"
                    out.violations.append(
                        self.violation(
                            f"{p.workers[w].id} is alone at {p.visits[v].id} until {p.clock(rota.end(v))} "
                            f"and no buddy ({names}) is working then"
                        )
                    )
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        late = self.check_ins(rota)
        return {
            "late_lone_visits": len(late),
            "late_lone_visits_with_buddy": sum(1 for _, _, b in late if b is not None),
        }
