"""breaks: a working day longer than 360 minutes has an uninterrupted 20-minute break between two
visits, clear of visits, travel and commitments, inside a window (default 11:00-15:00); Working Time
Regulations 1998, reg. 12.

Model: per worker-day, ``need`` is forced when the day is long (``length > after => need``); a
break literal ``b[u, k]`` per visit u and window piece k (window minus commitments) says the break
follows u: it implies that one of u's arcs where time allows it is used, and for each such arc
u -> v, ``b[u, k] and arc => start_v - end_u >= travel + 20, end_u + travel + 20 <= K1, start_v >=
K0 + 20``; ``need => sum b >= 1``. The solver's rota places each break straight after the travel. The
validator reads ``solution.breaks`` and accepts travel before or after the break.
"""

from __future__ import annotations

from typing import Any, Literal

from ortools.sat.python import cp_model
from pydantic import Field, model_validator

from selforg_scheduler.contract.solution import Break, Solution
from selforg_scheduler.core.problem import Interval, Problem, subtract
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import DEPOT, ModelContext, WorkerDay
from selforg_scheduler.core.workday import (
    RouteState,
    end,
    first_start,
    last_end,
    route,
    working_minutes,
)
from selforg_scheduler.rules.base import (
    ClockTime,
    Penalty,
    Rule,
    RuleCheck,
    RuleParams,
    clock_minutes,
    register,
)


class BreaksParams(RuleParams):
    after_minutes: int = Field(default=360, ge=0, description="a day longer than this needs a break")
    break_minutes: int = Field(default=20, ge=1)
    window_start: ClockTime = "11:00"
    window_end: ClockTime = "15:00"
    measure: Literal["working", "span"] = Field(
        default="working",
        description="day length: working = visits + travel (WTR working time); span = first start to last end",
    )

    @model_validator(mode="after")
    def _window(self) -> BreaksParams:
        if clock_minutes(self.window_end) - clock_minutes(self.window_start) < self.break_minutes:
            raise ValueError("window_end must leave room for a break after window_start")
        return self


@register
class Breaks(Rule[BreaksParams]):
    name = "breaks"
    reads = "breaks"
    order = 150
    summary = "a day longer than 360 minutes has a 20-minute break between visits, 11:00-15:00"
    Params = BreaksParams

    # --- shared ------------------------------------------------------------------------------
    def pieces(self, problem: Problem, w: int, day: int) -> tuple[Interval, ...]:
        """The day's break window (local clock times on that day, in real minutes) less the
        worker's commitments."""
        prm = self.params
        window = ((problem.at(day, clock_minutes(prm.window_start)), problem.at(day, clock_minutes(prm.window_end))),)
        return subtract(window, problem.workers[w].commitments)

    def length(self, r: RouteState, w: int, day: int) -> float:
        if self.params.measure == "working":
            return working_minutes(r, w, day)
        return last_end(r, w, day) - first_start(r, w, day)

    def slot(self, r: RouteState, w: int, day: int) -> tuple[float, float] | None:
        """The first break the model's rule allows: after a leg's travel, inside a window piece."""
        brk = self.params.break_minutes
        visits = route(r, w, day)
        pieces = self.pieces(r.problem, w, day)
        for a, b in zip(visits, visits[1:], strict=False):
            arrive = end(r, a) + r.travel(a, b)
            for k0, k1 in pieces:
                s = max(arrive, k0)
                if s + brk <= min(r.start[b], k1):
                    return s, s + brk
        return None

    def needs(self, r: RouteState, w: int, day: int) -> bool:
        return bool(route(r, w, day)) and self.length(r, w, day) > self.params.after_minutes

    def place(self, r: RouteState) -> list[tuple[int, float, float]]:
        """A break for every long day of a rota: (worker, start, end)."""
        out = []
        for w, day in sorted(r.routes):
            if self.needs(r, w, day):
                found = self.slot(r, w, day)
                if found is not None:
                    out.append((w, *found))
        return out

    def annotate(self, rota: Rota, solution: Solution) -> Solution:
        """Each long day's break (``solution.breaks``)."""
        p = rota.problem
        solution.breaks = [
            Break(worker=p.workers[w].id, start=p.time_of(s), end=p.time_of(e)) for w, s, e in self.place(rota)
        ]
        return solution

    # --- model -------------------------------------------------------------------------------
    def build(self, m: ModelContext) -> list[Penalty]:
        for wday in m.worker_days.values():
            self._build_day(m, wday)
        return []

    def _build_day(self, m: ModelContext, wday: WorkerDay) -> None:
        p, model, prm = m.problem, m.model, self.params
        w, brk = wday.worker, prm.break_minutes
        dom = {v: m.domains[(v, w)] for v in wday.visits}
        if prm.measure == "working":
            long_possible = m.most_working_minutes(wday) > prm.after_minutes
            length = m.working_minutes(wday) if long_possible else None
        else:
            lo, hi = m.day_reach(wday)
            length = None
            if hi - lo > prm.after_minutes:
                first, last = m.day_bounds(wday)
                length = last - first
        if length is None:
            return  # the day can never be long
        pieces = [(k0, k1) for k0, k1 in self.pieces(p, w, wday.day) if k1 - k0 >= brk]
        # after[u, k0]: the break follows visit u in the window piece from k0; it holds on the arc
        # that leaves u (one of those where time allows it), so no literal per arc is needed.
        after: dict[tuple[int, int], cp_model.IntVar] = {}
        leaving: dict[tuple[int, int], list[cp_model.IntVar]] = {}
        for arc in wday.arcs:
            u, v = arc.tail, arc.head
            if u == DEPOT or v == DEPOT:
                continue
            du = p.visits[u].duration
            for k0, k1 in pieces:
                if dom[u][0][0] + du + arc.travel + brk > min(k1, dom[v][-1][1]) or dom[v][-1][1] < k0 + brk:
                    continue
                b = after.get((u, k0))
                if b is None:
                    b = after[(u, k0)] = model.new_bool_var(f"break_{p.workers[w].id}_{u}_{k0}")
                    leaving[(u, k0)] = []
                leaving[(u, k0)].append(arc.literal)
                both = [b, arc.literal]
                model.add(m.start[v] - m.start[u] >= du + arc.travel + brk).only_enforce_if(both)
                model.add(m.start[u] <= k1 - brk - arc.travel - du).only_enforce_if(both)
                model.add(m.start[v] >= k0 + brk).only_enforce_if(both)
        for key, b in after.items():
            model.add_bool_or(leaving[key]).only_enforce_if(b)
        options = list(after.values())
        guard = m.guard(
            (self.name, w, wday.day),
            f"{p.workers[w].id}'s break on {p.day_name(wday.day)} (a day over {prm.after_minutes} min needs "
            f"{brk} min between visits, {prm.window_start}-{prm.window_end})",
        )
        if not options:
            model.add(length <= prm.after_minutes).only_enforce_if(guard)
            return
        need = model.new_bool_var(f"needs_break_{p.workers[w].id}_d{wday.day}")
        model.add(length <= prm.after_minutes).only_enforce_if(~need)
        model.add(sum(options) >= 1).only_enforce_if([need, *guard])

    # --- greedy and validator ----------------------------------------------------------------
    def _describe_need(self, r: RouteState, w: int, day: int) -> str:
        p, prm = r.problem, self.params
        what = "a working day of" if prm.measure == "working" else "a day spanning"
        return (
            f"{p.workers[w].id} has {what} {self.length(r, w, day):g} min on {p.day_name(day)} "
            f"without a {prm.break_minutes}-min break between visits {prm.window_start}-{prm.window_end}"
        )

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        if self.needs(rota, worker, day) and self.slot(rota, worker, day) is None:
            return self._describe_need(rota, worker, day)
        return None

    def _valid(self, r: Rota, w: int, day: int, s: float, e: float) -> bool:
        if e - s < self.params.break_minutes:
            return False
        if not any(k0 <= s and e <= k1 for k0, k1 in self.pieces(r.problem, w, day)):
            return False
        visits = route(r, w, day)
        for a, b in zip(visits, visits[1:], strict=False):
            if end(r, a) <= s and e <= r.start[b]:
                t = r.travel(a, b)
                return s - end(r, a) >= t or r.start[b] - e >= t
        return False

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck(violations=self.reading_violations(rota))
        p = rota.problem
        for w, listed in rota.breaks.items():
            for s, e in listed:
                busy = [
                    v
                    for (ww, _), visits in rota.routes.items()
                    if ww == w
                    for v in visits
                    if rota.start[v] < e and s < end(rota, v)
                ]
                if busy:
                    out.violations.append(
                        self.violation(
                            f"{p.workers[w].id}'s break {p.clock(s)}-{p.time_of(e):%H:%M} overlaps "
                            + ", ".join(p.visits[v].id for v in busy)
                        )
                    )
        for w, day in sorted(rota.routes):
            if not self.needs(rota, w, day):
                continue
            if not any(self._valid(rota, w, day, s, e) for s, e in rota.breaks.get(w, [])):
                out.violations.append(self.violation(self._describe_need(rota, w, day)))
        return out

    def kpis(self, rota: Rota) -> dict[str, Any]:
        long_days = [(w, day) for w, day in rota.routes if self.needs(rota, w, day)]
        given = sum(
            1 for w, day in long_days if any(self._valid(rota, w, day, s, e) for s, e in rota.breaks.get(w, []))
        )
        return {"long_days": len(long_days), "breaks_given": given}
