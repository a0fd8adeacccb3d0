"""Facts about a worker's day and week, read from routes alone (no solver).

The validator's :class:`~selforg_scheduler.core.rota.Rota` and the greedy's
:class:`~selforg_scheduler.search.greedy.RouteBuilder` both hold routes (each worker-day's visits in start
order) and starts, so the working-time rules check both with the same code. Definitions, shared
with the CP-SAT model:

* working minutes of a day: its visits' minutes plus travel between consecutive visits, plus the
  legs from and to home when the instance counts home legs (each in its own direction: home ->
  first visit, last visit -> home);
* a day's first start / last end: the first visit's start (minus the leg from home when counted)
  and the last visit's end (plus the leg home when counted).

Times are the problem's real minutes: a day's midnight and clock times on it come from
:meth:`Problem.day_start` and :meth:`Problem.at` (a day is 1380 or 1500 minutes across a change).
"""

from __future__ import annotations

from typing import Protocol

from selforg_scheduler.core.problem import Problem

WEEK = 7
"""Days in a week: weekly rules apply per 7-day block of the horizon."""


class RouteState(Protocol):
    problem: Problem
    routes: dict[tuple[int, int], list[int]]
    held: dict[int, tuple[int, ...]]
    """Per worker, the team roles they hold (role indices)."""

    @property
    def start(self) -> dict[int, float] | dict[int, int]: ...

    def travel(self, a: int, b: int) -> int: ...

    def travel_from_home(self, w: int, v: int) -> int: ...

    def travel_to_home(self, w: int, v: int) -> int: ...


def route(r: RouteState, w: int, day: int) -> list[int]:
    return r.routes.get((w, day), [])


def end(r: RouteState, v: int) -> float:
    return r.start[v] + r.problem.visits[v].duration


def route_travel(r: RouteState, w: int, visits: list[int]) -> int:
    """Travel of one worker-day's route: between consecutive visits, and the legs from home to
    the first visit and from the last visit home when the instance counts them (every route's
    travel is summed here)."""
    if not visits:
        return 0
    total = sum(r.travel(a, b) for a, b in zip(visits, visits[1:], strict=False))
    return total + r.travel_from_home(w, visits[0]) + r.travel_to_home(w, visits[-1])


def working_minutes(r: RouteState, w: int, day: int) -> float:
    visits = route(r, w, day)
    if not visits:
        return 0
    # They depend on the visits' order only, and the greedy asks again and again for the same days.
    memo: dict[tuple[int, ...], float] = r.__dict__.setdefault("_working_minutes_memo", {})
    key = (w, *visits)
    total = memo.get(key)
    if total is None:
        total = sum(r.problem.visits[v].duration for v in visits) + route_travel(r, w, visits)
        memo[key] = total
    return total


def week_minutes(r: RouteState, w: int) -> float:
    return sum(working_minutes(r, w, day) for day in working_days(r, w))


def role_load(problem: Problem, role: int, block: int) -> int:
    """A role's minutes in a 7-day block of the horizon (pro rata when the block is shorter)."""
    days = min(WEEK, problem.days - WEEK * block)
    return round(problem.roles[role].minutes * days / WEEK)


def held_minutes(r: RouteState, w: int, block: int | None = None) -> int:
    """Minutes of the worker's team roles in one 7-day block, or over the horizon (``None``)."""
    blocks = range((r.problem.days + WEEK - 1) // WEEK) if block is None else (block,)
    return sum(role_load(r.problem, role, b) for role in r.held.get(w, ()) for b in blocks)


def first_start(r: RouteState, w: int, day: int) -> float:
    visits = route(r, w, day)
    return r.start[visits[0]] - r.travel_from_home(w, visits[0])


def last_end(r: RouteState, w: int, day: int) -> float:
    visits = route(r, w, day)
    return end(r, visits[-1]) + r.travel_to_home(w, visits[-1])


def working_days(r: RouteState, w: int) -> list[int]:
    # a lookup per day of the horizon, not a pass over every worker-day (the greedy asks often)
    return [day for day in range(r.problem.days) if r.routes.get((w, day))]
