"""Ruin and recreate on the greedy rota: cover what the insertion orders left uncovered.

The greedy places each visit once; on a busy week it leaves a few percent of the visits
uncovered although a rota covering them exists (the generator plants one). Before the model is
built, :func:`cover_by_ruin` runs a fast local search in Python on the :class:`RouteBuilder`:

1. **ruin**: pick an uncovered visit v; take out the visits of v's possible workers on v's day
   that lie within a random radius of v's window (0-120 minutes; a random share of them); one
   time in four also those of the workers who could take the visits taken out (room for the
   visits in v's way); one time in three a **client swap** (the cap on distinct workers per
   client is often what blocks v): one of the two regular workers who see v's client least
   leaves it, and their visits to the client are taken out with what the client's other workers
   and the newcomers who could take v do around them; one time in four a client swap at the
   client of a visit taken out when that client is at its cap (on dense weeks the visits in v's
   way often have nowhere to go but a new face). Linked visits leave together.
2. **recreate**: put v in first, then the visits taken out, hardest first (fewest possible
   workers, then shortest window) with a little noise, each by cheapest feasible insertion
   (:meth:`RouteBuilder.best_crew`: every structural and week rule is kept), and an ejection
   chain for one that no longer fits.
3. **accept** if fewer visit-minutes are uncovered, or as many for no more cost
   (:func:`rota_cost`: travel with home legs, lateness, continuity; close to the model's
   objective), or if the step is *sideways*: no more visits uncovered, and the uncovered
   minutes within ``SIDEWAYS_SLACK`` of the best rota seen (which visit is left uncovered
   changes: the last few visits of a busy week often need that); else undo. The search ends on
   the best rota seen (fewest uncovered minutes, then cost).

Each step takes a few milliseconds, hundreds of steps a second against CP-SAT's few LNS steps a
second on the same neighbourhoods; CP-SAT then starts from a rota with fewer holes. The search is
deterministic for a seed and a step budget (runs on a deterministic budget count steps, not time).
"""

from __future__ import annotations

import logging
import math
import pickle
import random
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from selforg_scheduler.core.interrupt import requested
from selforg_scheduler.core.problem import Problem
from selforg_scheduler.rules.config import RuleSet
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import _eject_for, insert_with_partners
from selforg_scheduler.search.pricing import priced, rota_cost

log = logging.getLogger(__name__)

RADII = (0, 30, 60, 120)
"""Minutes around the uncovered visit's window whose visits a ruin may take out."""
CLIENT_RUIN = 1 / 3
"""Share of the ruins that also move one of the client's regular workers off the client
(:func:`_client_swap`)."""
WIDE_RUIN = 1 / 4
"""Share of the ruins that also take out, around v's window, the visits of the workers who could
take the visits in v's way."""
CAP_RUIN = 1 / 4
"""Share of the ruins that also make a client swap at the client of one of the visits taken out,
when that client is at its cap on distinct workers."""
SIDEWAYS_SLACK = 30
"""Minutes: the coverage search also keeps a *sideways* step, one that leaves no more visits
uncovered than before, however it prices, while the uncovered minutes stay within this much of
the best rota seen (it ends on that rota). On the last few visits of a busy week the visit left
uncovered must often change before it can be covered: measured with the search alone, 13 s a team
on the 16 teams of the generated organisation, seeds 0-3, 15 visits were left over the four
runs with only better steps kept, 1 with sideways steps (and the search took half the time)."""
STALL_STEPS = 2000
"""The coverage search stops when this many steps in a row covered nothing more."""
COST_STALL_STEPS = 20_000
"""The cost search stops when this many steps in a row found no cheaper rota (its annealing
needs the whole schedule: on Mankowska D1 a stop after 2,000 left 1,163 where the full minute
reached 1,144)."""
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
        b.start, b.crew, b.routes, b.seen, b.largest_late = (
            self.start,
            self.crew,
            self.routes,
            self.seen,
            self.largest_late,
        )


def _step_change(b: RouteBuilder, before: _Snapshot, touched: list[int]) -> tuple[int, int, int]:
    """(change in uncovered minutes, in uncovered visits, in cost) from ``before`` to the
    builder's rota, worked out on what changed: the worker-days whose route or starts changed
    (and the ``touched`` visits, which may have left every route), their visits and those
    visits' clients."""
    p = b.problem
    keys = [
        k
        for k in b.routes.keys() | before.routes.keys()
        if b.routes.get(k) != before.routes.get(k)
        or any(b.start[u] != before.start.get(u) for u in b.routes.get(k, ()))
    ]
    moved = set(touched)
    for k in keys:
        moved.update(before.routes.get(k, ()))
        moved.update(b.routes.get(k, ()))
    gone = [(u not in b.crew) - (u not in before.crew) for u in moved]
    holes = sum(p.visits[u].duration * g for u, g in zip(moved, gone, strict=True) if b.eligible[u])
    count = sum(g for u, g in zip(moved, gone, strict=True) if b.eligible[u])
    clients = {p.visits[u].client for u in moved}
    cost = priced(b, b.routes, b.start, b.crew, keys, clients) - priced(
        b, before.routes, before.start, before.crew, keys, clients
    )
    return holes, count, cost


def cover_by_ruin(
    b: RouteBuilder,
    rng: random.Random,
    deadline: float | None = None,
    max_steps: int | None = None,
) -> RuinStats:
    """Ruin and recreate around uncovered visits until every coverable visit is covered, the
    ``deadline`` (``time.perf_counter``) passes, ``max_steps`` steps are done (one of the two
    must be given) or ``STALL_STEPS`` steps in a row covered nothing more (what is left is
    likely out of its reach). Steps are kept when better or sideways (module docstring); ``b``
    ends on the best rota seen, changed in place. Returns what the search did."""
    if deadline is None and max_steps is None:
        raise ValueError("cover_by_ruin needs a deadline or a step budget")
    p = b.problem
    stats = RuinStats(covered_before=len(b.crew))
    slack = SIDEWAYS_SLACK * p.unit
    holes, cost = uncovered_minutes(b), 0  # cost: relative to the rota given
    best_holes, best_cost = holes, cost
    best: _Snapshot | None = None  # None: the rota in b is the best seen
    last_better = 0
    while holes and stats.steps - last_better < STALL_STEPS:
        if max_steps is not None and stats.steps >= max_steps:
            break
        if (deadline is not None and time.perf_counter() > deadline) or requested():
            break
        stats.steps += 1
        uncovered = [v for v in range(len(p.visits)) if v not in b.crew and b.eligible[v]]
        v = rng.choice(uncovered)
        before = _Snapshot.of(b)
        removed = _ruin(b, v, rng)
        _recreate(b, v, removed, rng)
        change, count, delta = _step_change(b, before, [v, *removed])
        better = change < 0 or (change == 0 and delta <= 0)
        sideways = count <= 0 and holes + change <= best_holes + slack
        if not (better or sideways) or not _days_kept(b, before, removed):
            before.restore(b)
            continue
        if best is None and (change, delta) > (0, 0):
            best = before  # this step leaves the best rota seen for a worse one
        holes, cost = holes + change, cost + delta
        stats.accepted += 1
        if (holes, cost) <= (best_holes, best_cost):
            if holes < best_holes:
                log.debug("ruin step %d: %d uncovered minutes -> %d", stats.steps, best_holes, holes)
                last_better = stats.steps
            best_holes, best_cost, best = holes, cost, None
    if best is not None:
        best.restore(b)
    stats.covered_after = len(b.crew)
    return stats


def _days_kept(b: RouteBuilder, before: _Snapshot, removed: list[int]) -> bool:
    """Whether the worker-days the ``removed`` visits left still keep their travel
    (:meth:`RouteBuilder.route_fits`: taking a visit out may break a day where travel is no metric,
    such as home legs each way their own, or where free time has holes)."""
    visits = b.problem.visits
    return all(b.route_fits(w, visits[u].day) for u in removed for w in before.crew[u])


def _ruin(b: RouteBuilder, v: int, rng: random.Random) -> list[int]:
    """Take visits out of the rota around uncovered visit v; returns them."""
    p = b.problem
    vd = p.visits[v]
    radius = rng.choice(RADII) * p.unit
    lo, hi = vd.earliest - radius, vd.latest + vd.duration + radius
    share = rng.uniform(0.5, 1.0)
    out = _around(b, vd.day, lo, hi, b.eligible[v], share, rng)
    if rng.random() < WIDE_RUIN:
        # what the workers who could take the visits in the way do then, too: a visit in v's
        # way may only fit where another visit is
        wider = {w for u in out for w in b.eligible[u]}.difference(b.eligible[v])
        out |= _around(b, vd.day, lo, hi, sorted(wider), share, rng)
    if rng.random() < CLIENT_RUIN:
        out |= _client_swap(b, v, radius, share, rng)
    if b.cap is not None and rng.random() < CAP_RUIN:
        # a visit in v's way may have nowhere to go but a worker new to its client, at its cap
        capped = sorted(u for u in out if len(b.seen.get(p.visits[u].client, ())) >= b.cap)
        if capped:
            out |= _client_swap(b, rng.choice(capped), radius, share, rng)
    for u in list(out):  # linked visits leave together
        out.update(partner for partner, _, _ in b.links.get(u, ()) if partner in b.crew)
    return _take_out(b, out)


def _around(
    b: RouteBuilder, day: int, lo: int, hi: int, workers: Iterable[int], share: float, rng: random.Random
) -> set[int]:
    """The visits (each with probability ``share``) the ``workers`` make on ``day`` that overlap
    ``lo``-``hi``; only visits whose workers are worked out (:func:`_take_out`)."""
    p = b.problem
    return {
        u
        for w in workers
        for u in b.routes.get((w, day), ())
        if b.eligible[u] and b.start[u] <= hi and b.start[u] + p.visits[u].duration >= lo and rng.random() < share
    }


def _client_swap(b: RouteBuilder, v: int, radius: int, share: float, rng: random.Random) -> set[int]:
    """Room for a newcomer at v's client (the cap on distinct workers often blocks v there): one
    of the two regular workers who see the client least leaves it, and their visits to the client
    are taken out with what the client's other workers and the newcomers who could take v do
    around each of them (so those visits have somewhere to go). v may be covered: a visit in
    another's way (:data:`CAP_RUIN`)."""
    p = b.problem
    client = p.clients[p.visits[v].client]
    seen = b.seen.get(client.index, set())
    if not seen:
        return set()
    by_worker: dict[int, list[int]] = {w: [] for w in seen}
    for u in client.visits:
        for w in b.crew.get(u, ()):
            by_worker[w].append(u)
    leaving = rng.choice(sorted(seen, key=lambda w: (len(by_worker[w]), w))[:2])
    moved = by_worker[leaving]
    crew = sorted((seen - {leaving}).union(w for w in b.eligible[v] if w not in seen))
    out = set(moved)
    for u in moved:
        ud = p.visits[u]
        out |= _around(b, ud.day, ud.earliest - radius, ud.latest + ud.duration + radius, crew, share, rng)
    return out


def _take_out(b: RouteBuilder, visits: set[int]) -> list[int]:
    """Remove the visits from the rota but those without their workers worked out (as in an
    organisation's merge: they could not be put back); returns those removed."""
    out = sorted(u for u in visits if b.eligible[u])
    keys = {(w, b.problem.visits[u].day) for u in out for w in b.crew[u]}
    for u in out:
        b.remove(u)
    if b.push:
        b.pull_earlier(keys)
    b.refresh_largest_late()
    return out


def _recreate(b: RouteBuilder, v: int, removed: list[int], rng: random.Random) -> None:
    p = b.problem

    def hardness(u: int) -> tuple[float, ...]:
        vd = p.visits[u]
        return (len(b.eligible[u]) / vd.required + rng.random(), vd.latest - vd.earliest, u)

    for u in [v, *sorted(removed, key=hardness)]:
        if u in b.crew:
            continue  # a linked partner placed with its visit
        insert_with_partners(b, u)
        if u not in b.crew:
            _eject_for(b, u, RECREATE_DEPTH, frozenset())


# --- cost: ruin and recreate with annealing -------------------------------------------------

COST_RUIN_SIZE = (3, 24)
"""Visits one cost step takes out (uniform in this range, at most a quarter of the visits)."""
START_TEMPERATURE, END_TEMPERATURE = 1.0, 0.003
"""Annealing temperatures as a share of the mean cost of a covered visit at the start: a step
that costs delta more is kept with probability exp(-delta / T). Measured, 40 s from the greedy
rota, seeds 1-4: a start at 1.0 rather than 0.3 ends lower on Mankowska D1, D3, D4 and D5 (mean
1132 / 676 / 825 / 680 against 1132 / 681 / 842 / 681); one at 3.0 did no better on D4 (840)."""


def exact_proxy(rules: RuleSet, problem: Problem) -> bool:
    """Whether :func:`rota_cost` is the model's whole objective (up to the time resolution, and
    a constant for coverage) under these rules: whether every active rule's prices are exact
    (:meth:`Rule.prices`). Only then may a search on the builder trade one cost for another: on
    a team's week fairness, contract hours and the rest weigh in too, and only CP-SAT sees them."""
    return rules.prices(problem).exact


def improve_by_ruin(
    b: RouteBuilder,
    rng: random.Random,
    deadline: float | None = None,
    max_steps: int | None = None,
) -> RuinStats:
    """Lower the rota's cost (:func:`rota_cost`) without uncovering a visit: take out a few
    related visits (near a random one in place and time, or strings of consecutive visits of
    routes near it), put them back in a random order by cheapest insertion, and keep the result
    by simulated annealing (the temperature falls from ``START_TEMPERATURE`` to
    ``END_TEMPERATURE`` over the budget). Where only lateness depends on a start
    (:attr:`RouteBuilder.can_push`) the visits after those taken out start as early as they can,
    and insertion may start the worker's later visits later (:meth:`RouteBuilder.pushed_option`).
    Ends on the best rota seen. Stops at the ``deadline``
    or after ``max_steps`` (one must be given), or after ``COST_STALL_STEPS`` steps without a
    better rota."""
    if deadline is None and max_steps is None:
        raise ValueError("improve_by_ruin needs a deadline or a step budget")
    stats = RuinStats(covered_before=len(b.crew), covered_after=len(b.crew))
    if len(b.crew) < 2:
        return stats
    pushing = b.push
    b.push = b.can_push
    try:
        if b.push:
            b.pull_earlier(list(b.routes))
        return _anneal(b, rng, deadline, max_steps, stats)
    finally:
        b.push = pushing


def improve_in_chains(
    b: RouteBuilder,
    seeds: Sequence[int],
    deadline: float | None = None,
    max_steps: int | None = None,
) -> RuinStats:
    """:func:`improve_by_ruin` once per seed, each chain on its own copy of the rota: the first
    in this process, the others in worker processes at the same time (one core each); ``b`` ends
    on the cheapest rota (the earliest seed's on ties, so a step budget keeps the run
    reproducible). The stats add up the chains' steps. A chain whose process fails is logged
    and left out."""
    if len(seeds) <= 1:
        return improve_by_ruin(b, random.Random(seeds[0] if seeds else 0), deadline, max_steps)
    # Pickled here, not by the pool's feeder thread, which would read b while this chain changes it.
    payload = pickle.dumps(b)
    with ProcessPoolExecutor(max_workers=len(seeds) - 1) as pool:
        futures = [pool.submit(_chain, payload, seed, deadline, max_steps) for seed in seeds[1:]]
        stats = improve_by_ruin(b, random.Random(seeds[0]), deadline, max_steps)
        best = rota_cost(b)
        for seed, future in zip(seeds[1:], futures, strict=True):
            try:
                cost, rota, chain = future.result()
            except BrokenProcessPool as exc:
                log.warning("cost search with seed %d failed in its process: %s", seed, exc)
                continue
            stats.steps += chain.steps
            stats.accepted += chain.accepted
            if cost < best:
                best = cost
                rota.restore(b)
    return stats


def _chain(
    payload: bytes, seed: int, deadline: float | None, max_steps: int | None
) -> tuple[int, _Snapshot, RuinStats]:
    """One chain of :func:`improve_in_chains`, in a worker process, on the pickled builder."""
    b: RouteBuilder = pickle.loads(payload)
    stats = improve_by_ruin(b, random.Random(seed), deadline, max_steps)
    return rota_cost(b), _Snapshot.of(b), stats


def _anneal(
    b: RouteBuilder, rng: random.Random, deadline: float | None, max_steps: int | None, stats: RuinStats
) -> RuinStats:
    p = b.problem
    covered = sorted(b.crew)
    cost = rota_cost(b)
    best_cost, best = cost, _Snapshot.of(b)
    t_start = max(1.0, abs(cost) / len(covered)) * START_TEMPERATURE
    t_end = max(1.0, abs(cost) / len(covered)) * END_TEMPERATURE
    began = time.perf_counter()
    most = max(COST_RUIN_SIZE[0], min(COST_RUIN_SIZE[1], len(covered) // 4))
    last_best = 0
    while stats.steps - last_best < COST_STALL_STEPS:
        if max_steps is not None:
            if stats.steps >= max_steps:
                break
            done = stats.steps / max_steps
        if deadline is not None:
            now = time.perf_counter()
            if now > deadline or requested():
                break
            wall_done = (now - began) / max(1e-9, deadline - began)
            done = wall_done if max_steps is None else max(done, wall_done)
        temperature = t_start * (t_end / t_start) ** done
        stats.steps += 1
        before = _Snapshot.of(b)
        removed = _ruin_related(b, rng, rng.randint(COST_RUIN_SIZE[0], most))
        order = list(removed)
        if rng.random() < 0.5:
            rng.shuffle(order)
        else:
            order.sort(key=lambda u: (p.visits[u].earliest, u))
        if not all(insert_with_partners(b, u) for u in order) or not _days_kept(b, before, removed):
            before.restore(b)  # a visit would be uncovered, or a day it left lost its travel
            continue
        _, _, delta = _step_change(b, before, removed)
        if delta <= 0 or rng.random() < math.exp(-delta / temperature):
            cost += delta
            stats.accepted += 1
            if cost < best_cost:
                best_cost, best, last_best = cost, _Snapshot.of(b), stats.steps
        else:
            before.restore(b)
    best.restore(b)
    log.debug("cost ruin: %d steps, %d kept, cost %d", stats.steps, stats.accepted, best_cost)
    return stats


def _ruin_related(b: RouteBuilder, rng: random.Random, size: int) -> list[int]:
    """Take out about ``size`` covered visits around a random one: the nearest in place and start
    time, or strings of consecutive visits from the routes those lie on. Linked visits come
    along. Returns them."""
    p = b.problem
    seed = rng.choice(sorted(b.crew))
    day = p.visits[seed].day
    same_day = [v for v in b.crew if p.visits[v].day == day]

    def distance(v: int) -> float:
        return b.travel(seed, v) + abs(b.start[v] - b.start[seed]) / 2 + rng.random()

    near = sorted(same_day, key=distance)
    out: set[int] = set()
    if rng.random() < 0.5:
        out.update(near[:size])
    else:  # strings: from the route of each near visit, a run of consecutive visits through it
        length = rng.randint(1, max(1, size // 3))
        for v in near:
            if len(out) >= size:
                break
            w = b.crew[v][0]
            route = b.routes[(w, day)]
            if any(u in out for u in route):
                continue
            at = route.index(v)
            lo = max(0, min(at - rng.randint(0, length - 1), len(route) - length))
            out.update(route[lo : lo + length])
    for u in list(out):
        out.update(partner for partner, _, _ in b.links.get(u, ()) if partner in b.crew)
    return _take_out(b, out)
