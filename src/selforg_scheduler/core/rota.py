"""A rota read against its problem, for checks that never touch the solver.

The contract says a worker's day is read from ``visits`` in start order, and travel between two
consecutive visits is the travel time between their clients' locations. A visit's day is the
calendar day of its ``earliest_start``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.terms import Violation


@dataclass
class Rota:
    problem: Problem
    start: dict[int, float]
    crew: dict[int, tuple[int, ...]]
    travel_on: bool = True
    unassigned_listed: list[str] = field(default_factory=list)
    reading_problems: list[Violation] = field(default_factory=list)
    """What reading the solution found wrong, each under the part it is in (``rule`` holds
    "visits", "starts", "breaks" or "roles"): the rule that ``reads`` that part reports it."""
    breaks: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    """Per worker, the breaks the solution lists (start, end minutes)."""
    role_entries: list[tuple[int, int]] = field(default_factory=list)
    """The solution's role assignments as (role, worker), in the order listed."""
    held: dict[int, tuple[int, ...]] = field(init=False)
    routes: dict[tuple[int, int], list[int]] = field(init=False)

    def __post_init__(self) -> None:
        routes: dict[tuple[int, int], list[int]] = defaultdict(list)
        for v, workers in self.crew.items():
            day = self.problem.visits[v].day
            for w in workers:
                routes[(w, day)].append(v)
        for route in routes.values():
            route.sort(key=lambda v: (self.start[v], v))
        self.routes = dict(routes)
        held: dict[int, list[int]] = defaultdict(list)
        for role, w in self.role_entries:
            if role not in held[w]:
                held[w].append(role)
        self.held = {w: tuple(roles) for w, roles in held.items()}

    def travel(self, a: int, b: int) -> int:
        return self.problem.visit_travel(a, b) if self.travel_on else 0

    def travel_from_home(self, w: int, v: int) -> int:
        return self.problem.travel_from_home(w, v) if self.travel_on else 0

    def travel_to_home(self, w: int, v: int) -> int:
        return self.problem.travel_to_home(w, v) if self.travel_on else 0

    def end(self, v: int) -> float:
        return self.start[v] + self.problem.visits[v].duration

    def legs(self) -> list[tuple[int, int, int, int]]:
        """(worker, day, previous visit, next visit) for every consecutive pair of every route."""
        out = []
        for (w, day), route in self.routes.items():
            for a, b in zip(route, route[1:], strict=False):
                out.append((w, day, a, b))
        return out

    def lead_travel(self, w: int, day: int, position: int) -> int:
        """Travel just before the visit at ``position`` of the worker's day (from home, when
        counted, before the first)."""
        route = self.routes[(w, day)]
        if position == 0:
            return self.travel_from_home(w, route[0])
        return self.travel(route[position - 1], route[position])

    def tail_travel(self, w: int, day: int, position: int) -> int:
        """Travel home after the visit at ``position`` when it is the day's last (else 0)."""
        route = self.routes[(w, day)]
        if position == len(route) - 1:
            return self.travel_to_home(w, route[-1])
        return 0

    def legs_of(self, w: int, day: int) -> list[tuple[int, int]]:
        """Every leg of a worker's day as (from, to): visit indices, or -1 for home when counted."""
        route = self.routes[(w, day)]
        legs = list(zip(route, route[1:], strict=False))
        if route and self.travel_on and self.problem.count_home_legs and self.problem.workers[w].home is not None:
            legs = [(-1, route[0]), *legs, (route[-1], -1)]
        return legs

    def exact_travel(self, w: int, leg: tuple[int, int]) -> float:
        """Exact minutes of one leg from :meth:`legs_of`, in its direction (0 when travel is off)."""
        if not self.travel_on:
            return 0.0
        a, b = leg
        if a == -1:
            return self.problem.travel_from_home_exact(w, b)
        if b == -1:
            return self.problem.travel_to_home_exact(w, a)
        return self.problem.visit_travel_exact(a, b)


def rota_from_solution(problem: Problem, solution: Solution, travel_on: bool = True) -> Rota:
    """Read a solution's visits into indices; unknown ids and duplicates become violations."""
    start: dict[int, float] = {}
    crew: dict[int, tuple[int, ...]] = {}
    issues: list[Violation] = []
    for entry in solution.visits:
        v = problem.visit_index.get(entry.visit)
        if v is None:
            issues.append(Violation("visits", f"{entry.visit} is not a visit of this instance"))
            continue
        workers: list[int] = []
        for wid in entry.workers:
            w = problem.worker_index.get(wid)
            if w is None:
                issues.append(Violation("visits", f"{entry.visit}: {wid} is not a worker of this team"))
            elif w in workers:
                issues.append(Violation("visits", f"{entry.visit}: {wid} is named twice"))
            else:
                workers.append(w)
        minute = problem.minute_of(entry.start)
        if v in crew:
            if start[v] != minute:
                issues.append(
                    Violation(
                        "starts",
                        f"{entry.visit} is listed twice with different starts "
                        f"({problem.clock(start[v])} and {problem.clock(minute)}); "
                        "all its workers must start together",
                    )
                )
            else:
                issues.append(Violation("visits", f"{entry.visit} is listed more than once"))
            merged = list(crew[v]) + [w for w in workers if w not in crew[v]]
            crew[v] = tuple(merged)
            continue
        if workers:
            start[v] = minute
            crew[v] = tuple(workers)
    breaks: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for brk in solution.breaks:
        w = problem.worker_index.get(brk.worker)
        if w is None:
            issues.append(Violation("breaks", f"a break names {brk.worker}, not a worker of this team"))
            continue
        breaks[w].append((problem.minute_of(brk.start), problem.minute_of(brk.end)))
    for listed in breaks.values():
        listed.sort()
    role_entries: list[tuple[int, int]] = []
    week_start = problem.origin.date()
    for role_entry in solution.roles:
        role = problem.role_index.get(role_entry.role)
        w = problem.worker_index.get(role_entry.worker)
        if role is None:
            issues.append(Violation("roles", f"{role_entry.role} is not a role of this team"))
        if w is None:
            issues.append(
                Violation("roles", f"role {role_entry.role} names {role_entry.worker}, not a worker of this team")
            )
        if role_entry.week_start != week_start:
            issues.append(
                Violation(
                    "roles",
                    f"role {role_entry.role} is given for the week of {role_entry.week_start}, not {week_start}",
                )
            )
        if role is not None and w is not None:
            role_entries.append((role, w))
    return Rota(
        problem,
        start,
        crew,
        travel_on=travel_on,
        unassigned_listed=[u.visit for u in solution.unassigned],
        reading_problems=issues,
        breaks=dict(breaks),
        role_entries=role_entries,
    )
