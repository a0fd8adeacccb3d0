"""flexible_working: what each worker agreed or wished for. An *agreed* arrangement is hard; a
*wish* costs ``wish_weight`` per breach, one breach per day it is broken.

Kinds, per day d they apply to (``days`` weekdays, a ``date``, or every day): ``day_off`` (no work
on d), ``earliest_start`` (first[d] >= time), ``latest_end`` (last[d] <= time),
``max_minutes_per_day`` (working minutes of d <= minutes). A wish's breach literal is exact:
``b[d] <=> works[d] and the condition fails``, so the solver's cost equals the validator's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from selforg_scheduler.contract.instance import WEEKDAYS, DayOff, FlexibleWorking
from selforg_scheduler.core.problem import Interval, Problem, intersect
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext, WorkerDay
from selforg_scheduler.core.workday import (
    RouteState,
    first_start,
    last_end,
    route,
    working_minutes,
)
from selforg_scheduler.rules.base import Penalty, Rule, RuleCheck, RuleParams, register

FAR = 10**7


class FlexibleWorkingParams(RuleParams):
    wish_weight: int = Field(default=30, ge=0, description="cost per breached wish (per day)")
    agreed_hard: bool = Field(default=True, description="agreed arrangements are hard (false: cost like wishes)")
    wishes_hard: bool = Field(default=False, description="wishes are hard too (strict rule sets)")


@dataclass(frozen=True, slots=True)
class Arrangement:
    """One flexible-working entry applied to one day of the horizon."""

    worker: int
    day: int
    entry: FlexibleWorking
    hard: bool

    @property
    def kind(self) -> str:
        return self.entry.kind

    def minute(self, problem: Problem) -> int:
        """The entry's local clock time on its day (earliest_start / latest_end), in real minutes."""
        t = self.entry.time  # type: ignore[union-attr]
        return problem.at(self.day, t.hour * 60 + t.minute)

    def describe(self, problem: Problem) -> str:
        e = self.entry
        what = {
            "day_off": "day off",
            "earliest_start": f"start no earlier than {getattr(e, 'time', None)!s:.5}",
            "latest_end": f"finish by {getattr(e, 'time', None)!s:.5}",
            "max_minutes_per_day": f"at most {getattr(e, 'minutes', 0):g} min a day",
        }[e.kind]
        return f"{problem.workers[self.worker].id}'s {e.strength} {what} on {problem.day_name(self.day)}"


@register
class FlexibleWorkingRule(Rule[FlexibleWorkingParams]):
    name = "flexible_working"
    order = 170
    summary = "agreed arrangements are hard; each broken wish costs 30"
    Params = FlexibleWorkingParams

    def __init__(self, params: FlexibleWorkingParams) -> None:
        super().__init__(params)
        self._cache: dict[int, tuple[Problem, list[Arrangement]]] = {}
        """Per worker, (problem, arrangements): eligibility asks once per (visit, worker) pair."""
        self.breaches: list[tuple[Arrangement, Any]] = []
        """After ``build``: each soft arrangement with the literal that is true when it is broken
        (``explain`` assumes the agreed ones are kept)."""

    # --- which entries apply when --------------------------------------------------------------
    def arrangements(self, problem: Problem, w: int) -> list[Arrangement]:
        cached = self._cache.get(w)
        if cached is not None and cached[0] is problem:
            return cached[1]
        out = []
        for entry in problem.instance.workers[w].flexible_working:
            hard = self.params.agreed_hard if entry.strength == "agreed" else self.params.wishes_hard
            for day in range(problem.days):
                if _applies(problem, entry, day):
                    out.append(Arrangement(w, day, entry, hard))
        self._cache[w] = (problem, out)
        return out

    def _on(self, problem: Problem, w: int, day: int, hard: bool | None = None) -> list[Arrangement]:
        return [a for a in self.arrangements(problem, w) if a.day == day and (hard is None or a.hard == hard)]

    # --- pruning -------------------------------------------------------------------------------
    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        day = problem.visits[visit].day
        return not any(a.kind == "day_off" for a in self._on(problem, worker, day, hard=True))

    def relaxed(self) -> list[str]:
        return [f"{self.name}.agreed_hard=false"] if self.params.agreed_hard else []

    def promises(self, problem: Problem) -> list[tuple[str, Any]]:
        return [(a.describe(problem), broken) for a, broken in self.breaches if a.entry.strength == "agreed"]

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        if self.allows(problem, visit, worker) and self.starts(problem, visit, worker, (window,)):
            return None
        vd = problem.visits[visit]
        hard = self._on(problem, worker, vd.day, hard=True)
        if not self.allows(problem, visit, worker):
            biting = [a for a in hard if a.kind == "day_off"]
        else:  # the agreed start or end that leaves no start in the window (both, if only together)
            timed = [a for a in hard if a.kind in ("earliest_start", "latest_end")]
            first, last = problem.time_of(window[0]), problem.time_of(window[1])

            def bites(a: Arrangement) -> bool:
                t = a.entry.time  # type: ignore[union-attr]
                when = first.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)
                if a.kind == "earliest_start":
                    return last < when
                return problem.time_of(window[0] + vd.duration) > when

            biting = [a for a in timed if bites(a)] or timed
        return "has " + "; ".join(
            a.describe(problem).split("'s ", 1)[1].replace("agreed", "an agreed", 1) for a in biting or hard
        )

    def starts(self, problem: Problem, visit: int, worker: int, allowed: tuple[Interval, ...]) -> tuple[Interval, ...]:
        vd = problem.visits[visit]
        for a in self._on(problem, worker, vd.day, hard=True):
            if a.kind == "earliest_start":
                allowed = intersect(allowed, ((a.minute(problem), FAR),))
            elif a.kind == "latest_end":
                allowed = intersect(allowed, ((-FAR, a.minute(problem) - vd.duration),))
        return allowed

    # --- model ---------------------------------------------------------------------------------
    def build(self, m: ModelContext) -> list[Penalty]:
        out = []
        self.breaches = []
        for (w, day), wday in m.worker_days.items():
            for a in self._on(m.problem, w, day):
                breach = self._build_one(m, wday, a)
                if breach is not None:
                    self.breaches.append((a, breach))
                    if self.params.wish_weight:
                        out.append(self.penalty(self.params.wish_weight, breach, m.problem.workers[w].id))
        return out

    def _build_one(self, m: ModelContext, wday: WorkerDay, a: Arrangement) -> Any:
        model = m.model
        if a.kind == "day_off":
            return None if a.hard else wday.works  # hard: pairs pruned already
        if a.kind == "max_minutes_per_day":
            limit = int(a.entry.minutes)  # type: ignore[union-attr]
            work = m.working_minutes(wday)
            if a.hard:
                model.add(work <= limit)
                return None
            b = model.new_bool_var(f"wish_{wday.worker}_d{wday.day}_max")
            model.add(work >= limit + 1).only_enforce_if(b)
            model.add(work <= limit).only_enforce_if(~b)
            return b
        first, last = m.day_bounds(wday)
        t = a.minute(m.problem)
        if a.kind == "earliest_start":
            ok, broken = first >= t, first <= t - 1
        else:
            ok, broken = last <= t, last >= t + 1
        if a.hard:
            model.add(ok).only_enforce_if(wday.works)
            return None
        b = model.new_bool_var(f"wish_{wday.worker}_d{wday.day}_{a.kind}")
        model.add_implication(b, wday.works)
        model.add(broken).only_enforce_if(b)
        model.add(ok).only_enforce_if([wday.works, ~b])
        return b

    # --- solver-free -----------------------------------------------------------------------------
    def broken(self, r: RouteState, a: Arrangement) -> bool:
        if not route(r, a.worker, a.day):
            return False
        if a.kind == "day_off":
            return True
        if a.kind == "max_minutes_per_day":
            return working_minutes(r, a.worker, a.day) > a.entry.minutes  # type: ignore[union-attr]
        if a.kind == "earliest_start":
            return first_start(r, a.worker, a.day) < a.minute(r.problem)
        return last_end(r, a.worker, a.day) > a.minute(r.problem)

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        for a in self._on(rota.problem, worker, day, hard=True):
            if self.broken(rota, a):
                return f"would break {a.describe(rota.problem)}"
        return None

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for w in range(len(p.workers)):
            for a in self.arrangements(p, w):
                if not self.broken(rota, a):
                    continue
                if a.hard:
                    out.violations.append(self.violation(f"breaks {a.describe(p)}"))
                else:
                    out.charge(p.workers[w].id, self.params.wish_weight)
        return out

    def worker_figures(self, rota: Rota, worker: int) -> dict[str, Any]:
        wishes = [a for a in self.arrangements(rota.problem, worker) if a.entry.strength == "wish"]
        broken = sum(1 for a in wishes if self.broken(rota, a))
        return {"wishes_kept": len(wishes) - broken, "wishes_broken": broken}

    def kpis(self, rota: Rota) -> dict[str, Any]:
        p = rota.problem
        wishes = [a for w in range(len(p.workers)) for a in self.arrangements(p, w) if a.entry.strength == "wish"]
        broken = sum(1 for a in wishes if self.broken(rota, a))
        return {"wishes_kept": len(wishes) - broken, "wishes_broken": broken}


def _applies(problem: Problem, entry: FlexibleWorking, day: int) -> bool:
    weekday = WEEKDAYS[problem.weekday(day)]
    if isinstance(entry, DayOff) and entry.date is not None:
        on_date = (problem.origin.date() - entry.date).days == -day
        return on_date or (entry.days is not None and weekday in entry.days)
    return entry.days is None or weekday in entry.days
