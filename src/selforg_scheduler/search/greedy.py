"""A greedy rota by cheapest feasible insertion on the route builder
(:class:`~selforg_scheduler.search.builder.RouteBuilder`): the solver's warm start, and the
reasons' probe. ``greedy_rota`` keeps the best of a few insertion orders (and regret insertion), each followed by
ejection chains. With :attr:`RouteBuilder.push` on (only where nothing but lateness depends on a
start), a visit may also go in by starting the worker's later visits later
(:meth:`RouteBuilder.pushed_option`): the ruin-and-recreate cost search inserts that way.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from selforg_scheduler.core.interrupt import requested
from selforg_scheduler.core.problem import (
    Interval,
    Problem,
)
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.pricing import rota_cost

if TYPE_CHECKING:
    from selforg_scheduler.rules.config import RuleSet

log = logging.getLogger(__name__)


def plan_circles(problem: Problem, eligible: list[list[int]], cap: int | None) -> dict[int, frozenset[int]]:
    """Per client, a few workers who can between them do all of its visits (greedy set cover).

    Link workers first, then whoever can do most of the visits still uncovered, up to the cap.
    Without a cap there is no circle (any worker is as good).
    """
    circles: dict[int, frozenset[int]] = {}
    if cap is None:
        return circles
    size = cap
    for client in problem.clients:
        todo = {v for v in client.visits if eligible[v]}
        if not todo:
            continue
        can: dict[int, set[int]] = {}
        for v in todo:
            for w in eligible[v]:
                can.setdefault(w, set()).add(v)
        circle: list[int] = []
        while todo and len(circle) < size and can:
            best = max(
                (w for w in can if w not in circle),
                key=lambda w: (len(can[w] & todo), w in client.link_workers, -w),
                default=None,
            )
            if best is None or not can[best] & todo:
                break
            circle.append(best)
            todo -= can[best]
        circles[client.index] = frozenset(circle)
    return circles


Stop = Callable[[], bool]
"""Whether a search must stop now (its time is up)."""


def _never() -> bool:
    return False


def greedy_rota(
    problem: Problem,
    rules: RuleSet,
    eligible: list[list[int]],
    domains: dict[tuple[int, int], tuple[Interval, ...]],
    held: dict[int, tuple[int, ...]] | None = None,
    stop: Stop = _never,
) -> RouteBuilder:
    """The best of a few insertion orders (each followed by repair): fewest uncovered minutes,
    then the lowest cost as the rules price it (:func:`rota_cost`). Each run takes a fraction of a second; no order wins on every week.
    When ``stop`` says the time is up, no further order is tried, and the one under way stops
    inserting (what it left uncovered stays so: a rota in time beats a fuller one too late)."""
    visits = problem.visits

    orders: dict[str, Callable[[int], tuple[float, ...]]] = {
        "time": lambda v: (visits[v].day, visits[v].earliest, -visits[v].required, v),
        "scarcity": lambda v: (len(eligible[v]) / visits[v].required, visits[v].earliest, v),
        "double-ups first": lambda v: (-visits[v].required, visits[v].day, visits[v].earliest, v),
        "tight windows first": lambda v: (visits[v].latest - visits[v].earliest, visits[v].earliest, v),
    }
    best: RouteBuilder | None = None
    best_key: tuple[int, int] | None = None
    if len(visits) <= REGRET_MAX:
        best = RouteBuilder(problem, rules, eligible, domains, held=held or {})
        best.circles = plan_circles(problem, eligible, best.cap)
        insert_by_regret(best, [v for v in range(len(visits)) if eligible[v]])
        repair(best, stop=stop)
        best_key = _score(best)
        log.debug("greedy regret: %d covered, score %s", len(best.crew), best_key)
    prices = rules.prices(problem)
    priced_late = bool(prices.late_per_minute or prices.largest_late_per_minute)
    # With lateness priced, each order is tried pricing it and not: pricing it can strand a
    # linked visit that a lateness-blind pass would have placed.
    for (name, key), priced in itertools.product(orders.items(), (True, False) if priced_late else (True,)):
        if best is not None and stop():
            log.info("greedy: time is up; the best of the insertion orders tried so far is kept")
            break
        builder = _insert_all(problem, rules, eligible, domains, key, held or {}, price_lateness=priced, stop=stop)
        score = _score(builder)
        log.debug(
            "greedy %s%s: %d covered, score %s",
            name,
            "" if priced else " (lateness unpriced)",
            len(builder.crew),
            score,
        )
        if best_key is None or score < best_key:
            best, best_key = builder, score
    assert best is not None
    return best


def from_reference(
    problem: Problem,
    rules: RuleSet,
    eligible: list[list[int]],
    domains: dict[tuple[int, int], tuple[Interval, ...]],
    held: dict[int, tuple[int, ...]] | None = None,
) -> RouteBuilder:
    """Repair's start: the reference rota's visits that still fit where they were (same workers,
    same start, every rule of the worker's week kept), then the others by cheapest insertion."""
    b = RouteBuilder(problem, rules, eligible, domains, held=held or {})
    b.circles = plan_circles(problem, eligible, b.cap)
    ref = problem.reference
    # fixed visits first (they cannot move), then the rest in time order
    for v in sorted(ref, key=lambda u: (u not in problem.fixed, ref[u][0], u)):
        start, crew = ref[v]
        if not float(start).is_integer():
            continue
        t = int(start)
        lo, hi = b.dependency_range(v)
        if not lo <= t <= hi or b.crew_problem(v, crew) is not None:
            continue
        options = [b.option(v, w) for w in crew]  # each option's starts lie inside the pair's domain
        if any(o is None or not any(a <= t <= z for a, z in o.starts) for o in options):
            continue
        if any(b.week_problem(v, t, w) is not None for w in crew):
            continue
        b.place(v, t, crew)
    insert_in_order(
        b, sorted((v for v in range(len(problem.visits)) if eligible[v]), key=lambda v: (problem.visits[v].earliest, v))
    )
    repair(b)
    return b


def _score(b: RouteBuilder) -> tuple[int, int]:
    """Uncovered minutes, then the rota's cost as the rules price it (:func:`rota_cost`)."""
    return sum(vd.duration for vd in b.problem.visits if vd.index not in b.crew), rota_cost(b)


def _insert_all(
    problem: Problem,
    rules: RuleSet,
    eligible: list[list[int]],
    domains: dict[tuple[int, int], tuple[Interval, ...]],
    key: Callable[[int], tuple[float, ...]],
    held: dict[int, tuple[int, ...]],
    price_lateness: bool = True,
    stop: Stop = _never,
) -> RouteBuilder:
    builder = RouteBuilder(problem, rules, eligible, domains, held=held)
    if not price_lateness:  # blind to lateness while inserting only: the rota is priced in full
        builder.w_late = builder.w_largest = 0
    builder.circles = plan_circles(problem, eligible, builder.cap)
    insert_in_order(builder, sorted((v for v in range(len(problem.visits)) if eligible[v]), key=key), stop)
    repair(builder, stop=stop)
    builder.w_late, builder.w_largest = builder.prices.late_per_minute, builder.prices.largest_late_per_minute
    return builder


def insert_in_order(builder: RouteBuilder, order: list[int], stop: Stop = _never) -> int:
    """Cheapest feasible insertion of each visit in ``order`` not yet in the rota, each linked
    partner straight after its visit (while the gap can still be met), until ``stop``. Returns
    how many it placed."""
    before = len(builder.crew)
    tried = set(builder.crew)
    for v in order:
        if stop():
            break
        insert_with_partners(builder, v, tried)
    return len(builder.crew) - before


def insert_with_partners(builder: RouteBuilder, v: int, tried: set[int] | None = None) -> bool:
    """Cheapest feasible insertion of v, then of each of its linked partners not yet placed
    (and theirs), straight after it. Visits in ``tried`` are skipped, and each one tried is added
    to it. Returns False if one of them fits nowhere (the others stay placed)."""
    ok = True
    stack = [v]
    while stack:
        u = stack.pop()
        if u in builder.crew or (tried is not None and u in tried):
            continue
        if tried is not None:
            tried.add(u)
        if builder.push and builder.problem.visits[u].required == 1:
            pushed = builder.best_pushed(u)
            if pushed is None:
                ok = False
                continue
            builder.place_pushed(u, pushed)
        else:
            found = builder.best_crew(u)
            if found is None:
                ok = False
                continue
            builder.place(u, *found)
        stack.extend(partner for partner, _, _ in builder.links.get(u, ()) if partner not in builder.crew)
    return ok


EJECTION_DEPTH = 3
"""Visits an ejection chain may move to cover one (each step: a blocker moved elsewhere)."""


def insert_by_regret(builder: RouteBuilder, todo: list[int]) -> int:
    """Regret insertion: place next the visit that loses most if its cheapest worker goes to
    another (the gap between its cheapest and second-cheapest worker, lateness priced; a visit
    with one possible worker first). Visits of several workers, and linked ones, go first in time
    order. Each worker's cost is kept until that worker's day or the client's workers change.
    Returns how many it placed."""
    p = builder.problem
    first = [v for v in todo if p.visits[v].required > 1 or v in builder.links]
    placed = insert_in_order(builder, sorted(first, key=lambda v: (p.visits[v].day, p.visits[v].earliest, v)))
    left = {v for v in todo if v not in builder.crew and v not in first}
    costs: dict[tuple[int, int], float | None] = {}

    def cost(v: int, w: int) -> float | None:
        key = (v, w)
        if key not in costs:
            option = builder.option(v, w)
            if option is None:
                costs[key] = None
            else:
                costs[key] = option.cost + builder.lateness_cost(v, option.starts[0][0])
        return costs[key]

    while left:
        chosen, chosen_key = None, None
        for v in left:
            found = sorted(c for w in builder.eligible[v] if (c := cost(v, w)) is not None)
            if not found:
                continue
            regret = found[1] - found[0] if len(found) > 1 else float("inf")
            key = (regret, -p.visits[v].latest, -v)
            if chosen_key is None or key > chosen_key:
                chosen, chosen_key = v, key
        if chosen is None:
            break  # nothing left fits anywhere
        left.discard(chosen)
        found_crew = builder.best_crew(chosen)
        if found_crew is None:
            continue
        largest_late = builder.largest_late
        builder.place(chosen, *found_crew)
        placed += 1
        if builder.largest_late != largest_late and builder.w_largest:
            costs.clear()  # a new largest lateness changes every lateness price
            continue
        day, client = p.visits[chosen].day, p.visits[chosen].client
        for k in [
            k for k in costs if (k[1] in found_crew[1] and p.visits[k[0]].day == day) or p.visits[k[0]].client == client
        ]:
            del costs[k]
    return placed


REGRET_MAX = 300
"""Instances with at most this many visits also try regret insertion (each step looks at every
visit left: quadratic)."""


def repair(
    builder: RouteBuilder,
    rounds: int = 2,
    deadline: float | None = None,
    depth: int = EJECTION_DEPTH,
    stop: Stop = _never,
) -> int:
    """Ejection chains: put an uncovered visit in by moving a blocking visit elsewhere.

    For each uncovered visit and each worker who could do it, take out one of the worker's visits
    that overlap its window (with travel); if the uncovered visit then fits and the one taken out
    fits somewhere else, if need be by moving one of its own blockers in turn (up to ``depth``
    visits moved), keep the moves, else undo. Stops at ``deadline`` (``time.perf_counter``)
    when given, or when ``stop`` says so. Returns how many visits it covered.
    """
    p = builder.problem
    covered = 0
    for _ in range(rounds):
        progress = False
        for v in range(len(p.visits)):
            if v in builder.crew or not builder.eligible[v]:
                continue
            if (deadline is not None and time.perf_counter() > deadline) or stop() or requested():
                return covered
            if _eject_for(builder, v, depth, frozenset()):
                covered += 1
                progress = True
        if not progress:
            break
    return covered


def blockers_of(b: RouteBuilder, v: int) -> list[int]:
    """Visits of v's eligible workers that overlap v's window (with travel) on its day."""
    p = b.problem
    vd = p.visits[v]
    if not b.eligible[v]:
        return []
    lo = min(iv[0] for w in b.eligible[v] for iv in b.domains[(v, w)])
    hi = max(iv[1] for w in b.eligible[v] for iv in b.domains[(v, w)]) + vd.duration
    blockers: list[int] = []
    for w in b.eligible[v]:
        for u in b.routes.get((w, vd.day), []):
            if (
                u not in blockers
                and b.start[u] < hi + b.travel(v, u)
                and (b.start[u] + p.visits[u].duration + b.travel(u, v) > lo)
            ):
                blockers.append(u)
    return blockers


def _eject_for(b: RouteBuilder, v: int, depth: int, moved: frozenset[int]) -> bool:
    """Place v by taking out one of its blockers and placing that one elsewhere, itself by an
    ejection chain when ``depth`` allows; visits already ``moved`` in the chain stay put."""
    for u in blockers_of(b, v):
        if u in moved or not b.eligible[u] or any(partner in b.crew for partner, _, _ in b.links.get(u, ())):
            # moving a linked visit could break its gap; one without its workers worked out (an
            # organisation's merge works out only some) could not be put anywhere
            continue
        old_start, old_crew = b.remove(u)
        found = b.best_crew(v)
        if found is not None:
            b.place(v, *found)
            # the days u left must keep their travel (v may have taken its place)
            if all(b.route_fits(w, b.problem.visits[u].day) for w in old_crew):
                again = b.best_crew(u)
                if again is not None:
                    b.place(u, *again)
                    return True
                if depth > 1 and _eject_for(b, u, depth - 1, moved | {v, u}):
                    return True
            b.remove(v)
        b.place(u, old_start, old_crew)
    return False
