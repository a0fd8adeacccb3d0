"""What a rota on the route builder costs, as the rules price it (:class:`~selforg_scheduler.core.terms.Prices`,
the one cost oracle's terms the builder holds): travel (with the legs from and to home when they
count), lateness and the largest lateness, and continuity (new faces, link-worker visits).

The greedy compares its insertion orders by it, ruin and recreate compares steps by it (only the
worker-days and clients a step touched: :func:`priced`), and the insertion deltas of
:class:`~selforg_scheduler.search.builder.RouteBuilder` price one change by the same prices. Where
every active rule's prices are exact (:func:`~selforg_scheduler.search.ruin.exact_proxy`) it is
the model's objective, up to travel priced per rounded-up tick rather than per exact leg.
"""

from __future__ import annotations

from collections.abc import Iterable

from selforg_scheduler.core.workday import route_travel
from selforg_scheduler.search.builder import RouteBuilder


def rota_cost(b: RouteBuilder) -> int:
    """The rota's cost as the model weighs travel (with home legs when they count), lateness
    and continuity; the other soft rules are left to CP-SAT."""
    return priced(b, b.routes, b.start, b.crew, list(b.routes), range(len(b.problem.clients)))


def priced(
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
            travel += route_travel(b, w, route)
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
