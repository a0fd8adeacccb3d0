"""The CP-SAT variables every rule speaks to (PyJobShop-style split: the variables here, each
rule's constraints in its own module, the circuits and the objective in :mod:`selforg_scheduler.cpsat`).

* ``start[v]``: the start minute of visit v (one per visit, so a double-up starts together);
* ``x[v, w]``: worker w does visit v, only for eligible pairs (skills, exclusions, a start that
  fits the worker's free time);
* ``covered[v]``: the visit gets its workers; ``sum_w x[v, w] = required[v] * covered[v]``;
* per worker-day, an ``AddCircuit`` over a depot node and the eligible visits of that day: arc
  literals give each worker's visit order, and ``arc(u, v) => start[v] >= start[u] + dur[u] +
  travel(u, v)``. Self-loops mark visits the worker does not do and days the worker does not work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from selforg_scheduler.core.problem import Interval, Problem
from selforg_scheduler.core.terms import Penalty
from selforg_scheduler.core.workday import WEEK, role_load

DEPOT = -1


@dataclass(frozen=True, slots=True)
class Arc:
    """An arc of a worker-day circuit: ``tail`` then ``head`` (visit index or DEPOT)."""

    tail: int
    head: int
    literal: cp_model.IntVar
    travel: int
    exact: float = 0.0
    """The travel's exact minutes (``travel`` is them rounded up): what its cost is priced on."""


@dataclass
class WorkerDay:
    worker: int
    day: int
    visits: list[int]
    works: cp_model.IntVar
    arcs: list[Arc] = field(default_factory=list)
    first: cp_model.IntVar | None = None
    """Start of the working day (first visit, less the home leg when counted), once asked for."""
    last: cp_model.IntVar | None = None
    """End of the working day (last visit, plus the home leg when counted), once asked for."""
    minutes: cp_model.LinearExpr | None = None
    """Working minutes of the day (see :meth:`ModelContext.working_minutes`), once asked for."""


@dataclass
class ModelContext:
    """Everything rules need to add constraints: the problem and the variables."""

    problem: Problem
    travel_on: bool
    """Whether travel takes time (the rule set keeps travel time)."""
    bounds: list[tuple[int, int]]
    """Per visit, the range its start variable may take (the rule set's start range)."""
    model: cp_model.CpModel
    start: list[cp_model.IntVar]
    covered: list[cp_model.IntVar]
    x: dict[tuple[int, int], cp_model.IntVar]
    eligible: list[list[int]]
    domains: dict[tuple[int, int], tuple[Interval, ...]]
    worker_days: dict[tuple[int, int], WorkerDay]
    holds: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """``holds[r, w]``: worker w holds team role r this week (eligible pairs only)."""
    penalties: list[Penalty] = field(default_factory=list)
    guarded: bool = False
    """Explain mode: hard rule instances that call :meth:`guard` get an enforcement literal."""
    guards: dict[tuple[object, ...], tuple[cp_model.IntVar, str]] = field(default_factory=dict)
    """Explain mode: each guarded rule instance's literal and its plain-English label."""

    def guard(self, key: tuple[object, ...], label: str) -> list[cp_model.IntVar]:
        """Enforcement literals for one hard rule instance's constraints (pass to
        ``only_enforce_if``): none normally; in explain mode one literal per ``key`` (explain
        assumes it true, and a conflict can then name ``label``)."""
        if not self.guarded:
            return []
        if key not in self.guards:
            self.guards[key] = (self.model.new_bool_var("guard_" + "_".join(map(str, key))), label)
        return [self.guards[key][0]]

    def travel(self, a: int, b: int) -> int:
        return self.problem.visit_travel(a, b) if self.travel_on else 0

    def travel_from_home(self, w: int, v: int) -> int:
        return self.problem.travel_from_home(w, v) if self.travel_on else 0

    def travel_to_home(self, w: int, v: int) -> int:
        return self.problem.travel_to_home(w, v) if self.travel_on else 0

    def visit_variables(self, v: int) -> list[int]:
        """Proto indices of a visit's core variables: start, covered, assignments."""
        out = [self.start[v].index, self.covered[v].index]
        out.extend(self.x[(v, w)].index for w in self.eligible[v])
        return out

    def route_variables(self) -> dict[int, list[int]]:
        """Proto indices of each day's circuit variables (works literals and arcs)."""
        out: dict[int, list[int]] = {}
        for (_w, day), wday in self.worker_days.items():
            out.setdefault(day, []).append(wday.works.index)
            out[day].extend(arc.literal.index for arc in wday.arcs)
        return out

    def working_minutes(self, wday: WorkerDay) -> cp_model.LinearExpr:
        """Visit minutes plus travel on the day's arcs (home legs carry travel only when counted)."""
        if wday.minutes is None:
            p = self.problem
            variables = [self.x[(v, wday.worker)] for v in wday.visits]
            coeffs = [p.visits[v].duration for v in wday.visits]
            for arc in wday.arcs:
                if arc.travel:
                    variables.append(arc.literal)
                    coeffs.append(arc.travel)
            wday.minutes = cp_model.LinearExpr.weighted_sum(variables, coeffs)
        return wday.minutes

    def most_working_minutes(self, wday: WorkerDay) -> int:
        """An upper bound on the worker-day's working minutes: every eligible visit, every arc."""
        return sum(self.problem.visits[v].duration for v in wday.visits) + sum(a.travel for a in wday.arcs)

    def day_reach(self, wday: WorkerDay) -> tuple[int, int]:
        """Earliest possible start and latest possible end of the worker-day (home legs included
        when counted), from the eligible visits' start domains."""
        p, w = self.problem, wday.worker
        lo = min(self.domains[(v, w)][0][0] - self.travel_from_home(w, v) for v in wday.visits)
        hi = max(self.domains[(v, w)][-1][1] + p.visits[v].duration + self.travel_to_home(w, v) for v in wday.visits)
        return lo, hi

    def day_bounds(self, wday: WorkerDay) -> tuple[cp_model.IntVar, cp_model.IntVar]:
        """(first, last): start and end of the working day; meaningful only when ``works``."""
        if wday.first is None or wday.last is None:
            p, model, w = self.problem, self.model, wday.worker
            lo, hi = self.day_reach(wday)
            tag = f"{p.workers[w].id}_d{wday.day}"
            first = model.new_int_var(lo, hi, f"first_{tag}")
            last = model.new_int_var(lo, hi, f"last_{tag}")
            for arc in wday.arcs:
                if arc.tail == DEPOT:
                    model.add(first == self.start[arc.head] - arc.travel).only_enforce_if(arc.literal)
                elif arc.head == DEPOT:
                    end = self.start[arc.tail] + p.visits[arc.tail].duration + arc.travel
                    model.add(last == end).only_enforce_if(arc.literal)
            wday.first, wday.last = first, last
        return wday.first, wday.last

    def role_minutes(self, w: int, block: int | None = None) -> cp_model.LinearExpr | int:
        """Minutes of the team roles worker w holds, in one 7-day block or over the horizon."""
        blocks = range((self.problem.days + WEEK - 1) // WEEK) if block is None else (block,)
        return sum(
            sum(role_load(self.problem, r, b) for b in blocks) * var for (r, ww), var in self.holds.items() if ww == w
        )

    def most_role_minutes(self, w: int) -> int:
        """An upper bound on :meth:`role_minutes` over the horizon (the longest role it may hold)."""
        blocks = range((self.problem.days + WEEK - 1) // WEEK)
        return max((sum(role_load(self.problem, r, b) for b in blocks) for (r, ww) in self.holds if ww == w), default=0)

    def days_of(self, w: int) -> list[WorkerDay]:
        return [wd for (ww, _), wd in sorted(self.worker_days.items()) if ww == w]

    def objective_expr(self) -> cp_model.LinearExprT:
        return sum(p.weight * p.expr for p in self.penalties)
