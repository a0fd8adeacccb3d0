"""The CP-SAT model: shared variables, one circuit per worker-day, then each rule's constraints.

Variables (PyJobShop-style split: variables here, constraints in the rule modules):

* ``start[v]``: the start minute of visit v (one per visit, so a double-up starts together);
* ``x[v, w]``: worker w does visit v, only for eligible pairs (skills, exclusions, a start that
  fits the worker's free time);
* ``covered[v]``: the visit gets its workers; ``sum_w x[v, w] = required[v] * covered[v]``;
* per worker-day, an ``AddCircuit`` over a depot node and the eligible visits of that day: arc
  literals give each worker's visit order, and ``arc(u, v) => start[v] >= start[u] + dur[u] +
  travel(u, v)``. Self-loops mark visits the worker does not do and days the worker does not work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from selforg_scheduler.core.problem import Interval, Problem, fitting_starts
from selforg_scheduler.rules.base import Penalty
from selforg_scheduler.core.workday import WEEK, role_load

if TYPE_CHECKING:
    from selforg_scheduler.rules.config import RuleSet

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
    minutes: cp_model.LinearExprT | None = None
    """Working minutes of the day (see :meth:`ModelContext.working_minutes`), once asked for."""


@dataclass
class ModelContext:
    """Everything rules need to add constraints: the problem, the rules and the variables."""

    problem: Problem
    rules: RuleSet
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

    @cached_property
    def travel_on(self) -> bool:
        return self.rules.is_on("travel")

    def travel(self, a: int, b: int) -> int:
        return self.problem.visit_travel(a, b) if self.travel_on else 0

    def home_travel(self, w: int, v: int) -> int:
        return self.problem.home_travel(w, v) if self.travel_on else 0

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

    def working_minutes(self, wday: WorkerDay) -> cp_model.LinearExprT:
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
        lo = min(self.domains[(v, w)][0][0] - self.home_travel(w, v) for v in wday.visits)
        hi = max(
            self.domains[(v, w)][-1][1] + p.visits[v].duration + self.home_travel(w, v) for v in wday.visits
        )
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

    def role_minutes(self, w: int, block: int | None = None) -> cp_model.LinearExprT:
        """Minutes of the team roles worker w holds, in one 7-day block or over the horizon."""
        blocks = range((self.problem.days + WEEK - 1) // WEEK) if block is None else (block,)
        return sum(
            sum(role_load(self.problem, r, b) for b in blocks) * var
            for (r, ww), var in self.holds.items()
            if ww == w
        )

    def most_role_minutes(self, w: int) -> int:
        """An upper bound on :meth:`role_minutes` over the horizon (the longest role it may hold)."""
        blocks = range((self.problem.days + WEEK - 1) // WEEK)
        return max(
            (sum(role_load(self.problem, r, b) for b in blocks) for (r, ww) in self.holds if ww == w), default=0
        )

    def days_of(self, w: int) -> list[WorkerDay]:
        return [wd for (ww, _), wd in sorted(self.worker_days.items()) if ww == w]

    def objective_expr(self) -> cp_model.LinearExprT:
        return sum(p.weight * p.expr for p in self.penalties)


def start_bounds(problem: Problem, rules: RuleSet, v: int) -> tuple[int, int]:
    """The range a visit's start variable may take (time windows, widened if lateness is soft)."""
    return rules["time_windows"].start_range(problem, v)  # type: ignore[no-any-return, attr-defined]


def worker_blocks(problem: Problem, rules: RuleSet, w: int) -> tuple[Interval, ...]:
    """The worker's free time: availability minus commitments (everything if the rule is off)."""
    return rules["availability"].blocks(problem, w)  # type: ignore[no-any-return, attr-defined]


def role_pairs(problem: Problem, rules: RuleSet) -> list[tuple[int, int]]:
    """The (role, worker) pairs that may hold a role this week (none when the roles rule is off)."""
    if not rules.is_on("roles"):
        return []
    return rules["roles"].eligible_pairs(problem)  # type: ignore[no-any-return, attr-defined]


def eligibility(
    problem: Problem, rules: RuleSet, visits: Iterable[int] | None = None
) -> tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]]:
    """Eligible workers per visit and each eligible pair's allowed start intervals; with
    ``visits``, only for those (the others get no eligible worker)."""
    active = list(rules.active())
    eligible: list[list[int]] = [[] for _ in problem.visits]
    domains: dict[tuple[int, int], tuple[Interval, ...]] = {}
    blocks = [worker_blocks(problem, rules, w.index) for w in problem.workers]
    chosen = range(len(problem.visits)) if visits is None else sorted(set(visits))
    for vd in (problem.visits[v] for v in chosen):
        lo, hi = start_bounds(problem, rules, vd.index)
        ws = []
        for wd in problem.workers:
            if not all(rule.allows(problem, vd.index, wd.index) for rule in active):
                continue
            dom = fitting_starts(blocks[wd.index], vd.duration, lo, hi)
            for rule in active:
                if not dom:
                    break
                dom = rule.starts(problem, vd.index, wd.index, dom)
            if dom:
                ws.append(wd.index)
                domains[(vd.index, wd.index)] = dom
        if len(ws) < vd.required:
            # Too few workers can ever do it: no variables, the visit is left uncovered.
            for w in ws:
                del domains[(vd.index, w)]
            ws = []
        eligible[vd.index] = ws
    return eligible, domains


@dataclass(frozen=True)
class ArcFilter:
    """Granular circuits: in a worker-day with more than ``per_visit`` visits, keep only the arcs
    from each visit to its ``per_visit`` most promising successors and from its ``per_visit``
    most promising predecessors (travel plus half the wait), and every arc in ``keep`` (the warm
    start's routes, so the hint stays a rota of the model). A heuristic restriction of the search
    for large days; any rota it finds is a rota of the full problem."""

    per_visit: int
    keep: frozenset[tuple[int, int, int]] = frozenset()
    """(worker, tail, head) arcs that stay whatever their rank."""
    above: int = 0
    """Only worker-days with more visits than this (and than ``per_visit``) are filtered."""


def build_model(
    problem: Problem,
    rules: RuleSet,
    eligible_domains: tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]] | None = None,
    arcs: ArcFilter | None = None,
    guarded: bool = False,
) -> ModelContext:
    """Create the variables and circuits, then let every active rule add its part (``guarded``:
    explain mode, see :meth:`ModelContext.guard`)."""
    model = cp_model.CpModel()
    eligible, domains = eligible_domains or eligibility(problem, rules)
    start = []
    covered = []
    for vd in problem.visits:
        lo, hi = start_bounds(problem, rules, vd.index)
        start.append(model.new_int_var(lo, hi, f"start_{vd.id}"))
        covered.append(model.new_bool_var(f"covered_{vd.id}"))
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    for vd in problem.visits:
        ws = eligible[vd.index]
        for w in ws:
            x[(vd.index, w)] = model.new_bool_var(f"x_{vd.id}_{problem.workers[w].id}")
        if ws:
            model.add(sum(x[(vd.index, w)] for w in ws) == vd.required * covered[vd.index])
        else:
            model.add(covered[vd.index] == 0)
    ctx = ModelContext(
        problem=problem,
        rules=rules,
        model=model,
        start=start,
        covered=covered,
        x=x,
        eligible=eligible,
        domains=domains,
        worker_days={},
        guarded=guarded,
    )
    for (v, w), dom in domains.items():
        if dom != (start_bounds(problem, rules, v),):
            model.add_linear_expression_in_domain(
                start[v], cp_model.Domain.from_intervals([list(iv) for iv in dom])
            ).only_enforce_if(x[(v, w)])
    _build_circuits(ctx, arcs)
    for r, w in role_pairs(problem, rules):
        ctx.holds[(r, w)] = model.new_bool_var(f"holds_{problem.roles[r].id}_{problem.workers[w].id}")
    for rule in rules.active():
        ctx.penalties.extend(rule.build(ctx))
    model.minimize(ctx.objective_expr())
    return ctx


def _kept_arcs(ctx: ModelContext, w: int, pairs: list[tuple[int, int]], arcs: ArcFilter) -> set[tuple[int, int]]:
    """The arcs an :class:`ArcFilter` keeps among a worker-day's time-feasible ``pairs``."""
    p = ctx.problem

    def score(u: int, v: int) -> float:
        reach = ctx.domains[(u, w)][0][0] + p.visits[u].duration + ctx.travel(u, v)
        return ctx.travel(u, v) + 0.5 * max(0, ctx.domains[(v, w)][0][0] - reach)

    succ: dict[int, list[tuple[float, int]]] = {}
    pred: dict[int, list[tuple[float, int]]] = {}
    for u, v in pairs:
        s = score(u, v)
        succ.setdefault(u, []).append((s, v))
        pred.setdefault(v, []).append((s, u))
    kept = {(u, v) for u, v in pairs if (w, u, v) in arcs.keep}
    for u, options in succ.items():
        kept.update((u, v) for _, v in sorted(options)[: arcs.per_visit])
    for v, options in pred.items():
        kept.update((u, v) for _, u in sorted(options)[: arcs.per_visit])
    return kept


def _build_circuits(ctx: ModelContext, arcs: ArcFilter | None = None) -> None:
    """One circuit per worker-day; arcs only where the time windows allow that order (and, with
    an :class:`ArcFilter` on a big day, only the promising ones)."""
    problem, model = ctx.problem, ctx.model
    by_worker_day: dict[tuple[int, int], list[int]] = {}
    for (v, w) in ctx.x:
        by_worker_day.setdefault((w, problem.visits[v].day), []).append(v)
    for (w, day), visits in sorted(by_worker_day.items()):
        visits.sort(key=lambda v: (problem.visits[v].earliest, v))
        wid = problem.workers[w].id
        works = model.new_bool_var(f"works_{wid}_d{day}")
        wday = WorkerDay(worker=w, day=day, visits=visits, works=works)
        node = {v: i + 1 for i, v in enumerate(visits)}
        circuit: list[tuple[int, int, cp_model.LiteralT]] = [(0, 0, ~works)]
        earliest_end = {v: ctx.domains[(v, w)][0][0] + problem.visits[v].duration for v in visits}
        latest_start = {v: ctx.domains[(v, w)][-1][1] for v in visits}
        for v in visits:
            xv = ctx.x[(v, w)]
            model.add_implication(xv, works)
            circuit.append((node[v], node[v], ~xv))
            for tail, head in ((DEPOT, v), (v, DEPOT)):
                lit = model.new_bool_var(f"arc_{wid}_d{day}_{tail}_{head}")
                travel = ctx.home_travel(w, v)
                exact = problem.home_travel_exact(w, v) if travel else 0.0
                wday.arcs.append(Arc(tail, head, lit, travel, exact))
                circuit.append((node.get(tail, 0), node.get(head, 0), lit))
        # u can come before v only if it can end, and travel, before v's latest start
        pairs = [
            (u, v)
            for u in visits
            for v in visits
            if u != v and earliest_end[u] + ctx.travel(u, v) <= latest_start[v]
        ]
        if arcs is not None and arcs.per_visit and len(visits) > max(arcs.per_visit, arcs.above):
            kept = _kept_arcs(ctx, w, pairs, arcs)
            pairs = [pair for pair in pairs if pair in kept]
        for u, v in pairs:
            du = problem.visits[u].duration
            t = ctx.travel(u, v)
            lit = model.new_bool_var(f"arc_{wid}_d{day}_{u}_{v}")
            model.add(ctx.start[v] >= ctx.start[u] + du + t).only_enforce_if(lit)
            wday.arcs.append(Arc(u, v, lit, t, problem.visit_travel_exact(u, v) if t else 0.0))
            circuit.append((node[u], node[v], lit))
        model.add_circuit(circuit)
        ctx.worker_days[(w, day)] = wday


def add_hints(
    ctx: ModelContext,
    start: dict[int, int],
    crew: dict[int, tuple[int, ...]],
    held: dict[int, tuple[int, ...]],
    routes: dict[tuple[int, int], list[int]],
) -> None:
    """Hint every decision variable with a rota (starts, crews, roles held, each worker-day's route)."""
    model = ctx.model
    for v, var in enumerate(ctx.start):
        lo, _ = start_bounds(ctx.problem, ctx.rules, v)
        model.add_hint(var, start.get(v, lo))
        model.add_hint(ctx.covered[v], v in crew)
    for (v, w), var in ctx.x.items():
        model.add_hint(var, w in crew.get(v, ()))
    for (r, w), var in ctx.holds.items():
        model.add_hint(var, r in held.get(w, ()))
    for (w, day), wday in ctx.worker_days.items():
        route = routes.get((w, day), [])
        used = set(zip([DEPOT, *route], [*route, DEPOT], strict=True)) if route else set()
        model.add_hint(wday.works, bool(route))
        for arc in wday.arcs:
            model.add_hint(arc.literal, (arc.tail, arc.head) in used)
