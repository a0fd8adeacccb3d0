"""The CP-SAT model: the variables (:mod:`selforg_scheduler.core.variables`), one circuit per
worker-day, then each active rule's constraints and penalty terms, and the objective (their sum).
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from selforg_scheduler.core.problem import Interval, Problem
from selforg_scheduler.core.variables import DEPOT, Arc, ModelContext, WorkerDay
from selforg_scheduler.rules.config import RuleSet
from selforg_scheduler.rules.frame import eligibility


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
    bounds = [rules.start_range(problem, vd.index) for vd in problem.visits]
    for vd in problem.visits:
        lo, hi = bounds[vd.index]
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
        travel_on=rules.travel_on,
        bounds=bounds,
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
        if dom != (bounds[v],):
            model.add_linear_expression_in_domain(
                start[v], cp_model.Domain.from_intervals([list(iv) for iv in dom])
            ).only_enforce_if(x[(v, w)])
    _build_circuits(ctx, arcs)
    for r, w in rules.role_pairs(problem):
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
    for v, w in ctx.x:
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
            # the leg out (home -> v) and the leg back (v -> home), each in its own direction
            out_travel, back_travel = ctx.travel_from_home(w, v), ctx.travel_to_home(w, v)
            legs = (
                (DEPOT, v, out_travel, problem.travel_from_home_exact(w, v) if out_travel else 0.0),
                (v, DEPOT, back_travel, problem.travel_to_home_exact(w, v) if back_travel else 0.0),
            )
            for tail, head, travel, exact in legs:
                lit = model.new_bool_var(f"arc_{wid}_d{day}_{tail}_{head}")
                wday.arcs.append(Arc(tail, head, lit, travel, exact))
                circuit.append((node.get(tail, 0), node.get(head, 0), lit))
        # u can come before v only if it can end, and travel, before v's latest start
        pairs = [
            (u, v) for u in visits for v in visits if u != v and earliest_end[u] + ctx.travel(u, v) <= latest_start[v]
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
        lo, _ = ctx.bounds[v]
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
