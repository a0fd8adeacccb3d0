"""Ruin and recreate on the greedy rota: cover what the insertion orders left uncovered.

The greedy places each visit once; on a busy week it leaves a few percent of the visits
uncovered although a rota covering them exists (the generator plants one). Before the model is
built, :func:`cover_by_ruin` runs a fast local search in Python on the :class:`RouteBuilder`:

1. **ruin**: pick an uncovered visit v; take out the visits of v's possible workers on v's day
   that lie within a random radius of v's window (0-120 minutes; a random share of them), and,
   one time in three, every visit of one of v's client's workers to that client (the cap on
   distinct workers per client is often what blocks v). Linked visits leave together.
2. **recreate**: put v in first, then the visits taken out, hardest first (fewest possible
   workers, then shortest window) with a little noise, each by cheapest feasible insertion
   (:meth:`RouteBuilder.best_crew`: every structural and week rule is kept), and an ejection
   chain for one that no longer fits.
3. **accept** if fewer visit-minutes are uncovered, or as many for no more cost
   (:func:`rota_cost`: travel with home legs, lateness, continuity; close to the model's
   objective), else undo.

Each step takes a few milliseconds, hundreds of steps a second against CP-SAT's few LNS steps a
second on the same neighbourhoods; CP-SAT then starts from a rota with fewer holes. The search is
deterministic for a seed and a step budget (runs on a deterministic budget count steps, not time).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass

from selforg_scheduler.greedy import RouteBuilder, _eject_for

log = logging.getLogger(__name__)

RADII = (0, 30, 60, 120)
"""Minutes around the uncovered visit's window whose visits a ruin may take out."""
CLIENT_RUIN = 1 / 3
"""Share of the ruins that also take out one client worker's visits to the client."""
RECREATE_DEPTH = 2
"""Ejection-chain depth for a visit that no longer fits when put back."""


@dataclass
class RuinStats:
    steps: int = 0
    accepted: int = 0
    covered_before: int = 0
    covered_after: int = 0


def uncovered_minutes(b: RouteBuilder) -> int:
    return sum(vd.duration for vd in b.problem.visits if vd.index not in b.crew and b.eligible[vd.index])


def rota_cost(b: RouteBuilder) -> int:
    """The rota's cost as the model weighs travel (with home legs when they count), lateness
    and continuity; the other soft rules are left to CP-SAT."""
    return _cost(b, b.routes, b.start, b.crew, list(b.routes), range(len(b.problem.clients)))


def _cost(
    b: RouteBuilder,
    routes: dict[tuple[int, int], list[int]],
    start: dict[int, int],
    crew: dict[int, tuple[int, ...]],
    keys: Iterable[tuple[int, int]],
    clients: Iterable[int],
) -> int:
    """:func:`rota_cost`'s terms of the worker-days ``keys`` and the ``clients`` (the largest
    lateness, when priced, over the whole rota): what a step changes, compared before and after."""
    p = b.problem
    travel = 0
    placed: set[int] = set()
    for w, day in keys:
        route = routes.get((w, day))
        if route:
            travel += sum(b.travel(x, y) for x, y in zip(route, route[1:], strict=False))
            travel += b.home_travel(w, route[0]) + b.home_travel(w, route[-1])
            placed.update(route)
    cost = b.w_travel * travel
    if b.w_late:
        cost += b.w_late * sum(max(0, start[v] - p.visits[v].latest) for v in placed)
    if b.w_largest:
        cost += b.w_largest * max((start[v] - p.visits[v].latest for v in start), default=0)
    for c in clients:
        client = p.clients[c]
        crews = [crew[v] for v in client.visits if v in crew]
        cost += b.w_extra * max(0, len({w for team in crews for w in team}) - 1)
        cost -= b.w_link * sum(1 for team in crews if any(w in client.link_workers for w in team))
    return cost


@dataclass
class _Snapshot:
    start: dict[int, int]
    crew: dict[int, tuple[int, ...]]
    routes: dict[tuple[int, int], list[int]]
    seen: dict[int, set[int]]
    largest_late: int

    @classmethod
    def of(cls, b: RouteBuilder) -> _Snapshot:
        return cls(
            dict(b.start),
            dict(b.crew),
            {k: list(r) for k, r in b.routes.items()},
            {k: set(s) for k, s in b.seen.items()},
            b.largest_late,
        )

    def restore(self, b: RouteBuilder) -> None:
        b.start, b.crew, b.routes, b.seen, b.largest_late = self.start, self.crew, self.routes, self.seen, self.largest_late


def cover_by_ruin(
    b: RouteBuilder,
    rng: random.Random,
    deadline: float | None = None,
    max_steps: int | None = None,
) -> RuinStats:
    """Ruin and recreate around uncovered visits until every coverable visit is covered, the
    ``deadline`` (``time.perf_counter``) passes or ``max_steps`` steps are done (one of the two
    must be given). Changes ``b`` in place; returns what it did."""
    if deadline is None and max_steps is None:
        raise ValueError("cover_by_ruin needs a deadline or a step budget")
    p = b.problem
    stats = RuinStats(covered_before=len(b.crew))
    holes = uncovered_minutes(b)
    while holes:
        if max_steps is not None and stats.steps >= max_steps:
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        stats.steps += 1
        uncovered = [v for v in range(len(p.visits)) if v not in b.crew and b.eligible[v]]
        v = rng.choice(uncovered)
        before = _Snapshot.of(b)
        removed = _ruin(b, v, rng)
        _recreate(b, v, removed, rng)
        # What changed: the worker-days whose route changed, their visits' clients.
        keys = [k for k in b.routes.keys() | before.routes.keys() if b.routes.get(k) != before.routes.get(k)]
        moved = {v, *removed}
        for k in keys:
            moved.update(before.routes.get(k, ()))
            moved.update(b.routes.get(k, ()))
        change = sum(
            p.visits[u].duration * ((u not in b.crew) - (u not in before.crew)) for u in moved if b.eligible[u]
        )
        if change > 0:
            before.restore(b)
            continue
        clients = {p.visits[u].client for u in moved}
        delta = _cost(b, b.routes, b.start, b.crew, keys, clients) - _cost(
            b, before.routes, before.start, before.crew, keys, clients
        )
        if change < 0 or delta <= 0:
            if change < 0:
                log.debug("ruin step %d: %d uncovered minutes -> %d", stats.steps, holes, holes + change)
            holes += change
            stats.accepted += 1
        else:
            before.restore(b)
    stats.covered_after = len(b.crew)
    return stats


def _ruin(b: RouteBuilder, v: int, rng: random.Random) -> list[int]:
    """Take visits out of the rota around uncovered visit v; returns them."""
    p = b.problem
    vd = p.visits[v]
    radius = rng.choice(RADII) * p.unit
    lo, hi = vd.earliest - radius, vd.latest + vd.duration + radius
    share = rng.uniform(0.5, 1.0)
    out: set[int] = set()
    for w in b.eligible[v]:
        for u in b.routes.get((w, vd.day), ()):
            if b.eligible[u] and b.start[u] <= hi and b.start[u] + p.visits[u].duration >= lo and rng.random() < share:
                out.add(u)
    if rng.random() < CLIENT_RUIN:
        client = p.clients[vd.client]
        workers = sorted(b.seen.get(vd.client, ()))
        if workers:
            leaving = rng.choice(workers)
            out.update(u for u in client.visits if leaving in b.crew.get(u, ()) and b.eligible[u])
    for u in list(out):  # linked visits leave together
        out.update(partner for partner, _, _ in b.links.get(u, ()) if partner in b.crew)
    # (a visit without its workers worked out, as in an organisation's merge, is never taken out)
    out = {u for u in out if b.eligible[u]}
    for u in out:
        b.remove(u)
    return sorted(out)


def _recreate(b: RouteBuilder, v: int, removed: list[int], rng: random.Random) -> None:
    p = b.problem

    def hardness(u: int) -> tuple[float, ...]:
        vd = p.visits[u]
        return (len(b.eligible[u]) / vd.required + rng.random(), vd.latest - vd.earliest, u)

    for u in [v, *sorted(removed, key=hardness)]:
        if u in b.crew:
            continue  # a linked partner placed with its visit
        stack = [u]
        while stack:
            x = stack.pop()
            if x in b.crew:
                continue
            found = b.best_crew(x)
            if found is None:
                if x == u:
                    _eject_for(b, x, RECREATE_DEPTH, frozenset())
                continue
            b.place(x, *found)
            stack.extend(partner for partner, _, _ in b.links.get(x, ()) if partner not in b.crew)
