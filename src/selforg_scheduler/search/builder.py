"""The route builder: a partial rota the greedy, the ruin-and-recreate searches and the reasons
work on (each worker-day a list of visits in start order), answering "when could worker w fit
visit v, and at what cost?" under the structural rules: the visit's allowed starts, one visit at a
time, travel before each visit inside free time, linked visits' gaps and the continuity cap, and
the working-time rules of the worker's week. Costs are the rules' prices (:class:`Prices`, the one
cost oracle's terms: :meth:`RuleSet.prices`).
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selforg_scheduler.core.problem import (
    Interval,
    Problem,
    earliest_fitting_start,
    fitting_starts,
    inside_one,
    intersect,
)
from selforg_scheduler.rules.base import Rule

if TYPE_CHECKING:
    from selforg_scheduler.rules.config import RuleSet

log = logging.getLogger(__name__)


BREAK_ROOM = 25
"""The greedy also tries starting a visit this much later than it could, to leave room for a break."""
OUTSIDE_CIRCLE = 10_000
"""Greedy cost of sending a worker outside the client's planned circle (prefer almost anything else)."""


@dataclass(frozen=True, slots=True)
class Option:
    """Worker w can start visit v at any minute in ``starts``; ``cost`` is the objective change."""

    worker: int
    starts: tuple[Interval, ...]
    cost: int


@dataclass(frozen=True, slots=True)
class Pushed:
    """Worker w can start visit v at ``start`` if their later visits start at ``shifts``
    ((visit, new start), in route order); ``cost`` is the objective change."""

    worker: int
    start: int
    cost: float
    shifts: tuple[tuple[int, int], ...]


@dataclass
class RouteBuilder:
    problem: Problem
    rules: RuleSet
    eligible: list[list[int]]
    domains: dict[tuple[int, int], tuple[Interval, ...]]
    start: dict[int, int] = field(default_factory=dict)
    crew: dict[int, tuple[int, ...]] = field(default_factory=dict)
    routes: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    seen: dict[int, set[int]] = field(default_factory=dict)
    circles: dict[int, frozenset[int]] = field(default_factory=dict)
    held: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Per worker, the team roles they hold (their minutes count in the weekly rules)."""
    push: bool = False
    """Whether insertion may start later visits later (:meth:`pushed_option`; needs :attr:`can_push`)."""

    def __post_init__(self) -> None:
        p = self.problem
        self.travel_on = self.rules.travel_on
        self._minutes = p.travel.minutes
        self._location = [vd.location for vd in p.visits]
        self.blocks = [self.rules.free_time(p, w.index) for w in p.workers]
        self.prices = prices = self.rules.prices(p)
        """What the rules charge for a change (the one cost oracle's terms)."""
        self.cap = prices.client_cap
        self.w_extra = prices.new_face
        self.w_link = prices.link_reward
        self.w_travel = prices.travel_per_minute if self.travel_on else 0
        self.deps_on = self.rules.linked_starts_on
        self.w_late, self.w_largest = prices.late_per_minute, prices.largest_late_per_minute
        self.largest_late = 0  # the largest lateness placed so far
        active = list(self.rules.active())
        self.week_rules = [r for r in active if type(r).week_problem is not Rule.week_problem]
        self.crew_rules = [r for r in active if type(r).crew_problem is not Rule.crew_problem]
        self.links: dict[int, list[tuple[int, int, int]]] = {}
        for d in p.dependencies:  # (partner, lo, hi) of start(v) - start(partner)
            self.links.setdefault(d.second, []).append((d.first, d.min_gap, d.max_gap))
            self.links.setdefault(d.first, []).append((d.second, -d.max_gap, -d.min_gap))

    # --- travel ----------------------------------------------------------------------------
    def travel(self, a: int, b: int) -> int:
        # problem.visit_travel without its two calls: the hottest line of insertion and ruin
        return self._minutes[self._location[a]][self._location[b]] if self.travel_on else 0

    def travel_from_home(self, w: int, v: int) -> int:
        """The leg out: worker w's home -> visit v (0 unless home legs count)."""
        return self.problem.travel_from_home(w, v) if self.travel_on else 0

    def travel_to_home(self, w: int, v: int) -> int:
        """The leg back: visit v -> worker w's home (0 unless home legs count)."""
        return self.problem.travel_to_home(w, v) if self.travel_on else 0

    def detour(self, w: int, a: int | None, v: int, b: int | None, lead: int) -> int:
        """Travel added by worker w going a -> v -> b instead of a -> b (``None``: home, whose
        legs count only where the instance says so, each in its own direction); ``lead`` is the
        leg into v."""
        if a is not None and b is not None:
            return lead + self.travel(v, b) - self.travel(a, b)
        if a is not None:
            return lead + self.travel_to_home(w, v) - self.travel_to_home(w, a)
        if b is not None:
            return lead + self.travel(v, b) - self.travel_from_home(w, b)
        return lead + self.travel_to_home(w, v)

    def end(self, v: int) -> int:
        return self.start[v] + self.problem.visits[v].duration

    def route_fits(self, w: int, day: int) -> bool:
        """Whether worker w's day still keeps its travel: each visit after the one before and its
        travel, and that travel (from home before the first, home after the last, when counted)
        inside free time. Insertion keeps it; taking a visit out may not, where travel is no
        metric (a matrix, each way its own) or free time has holes."""
        route, blocks, prev = self.routes.get((w, day), []), self.blocks[w], None
        for i, u in enumerate(route):
            su = self.start[u]
            lead = self.travel(prev, u) if prev is not None else self.travel_from_home(w, u)
            tail = self.travel_to_home(w, u) if i == len(route) - 1 else 0
            if (prev is not None and su < self.end(prev) + lead) or not inside_one(
                blocks, su - lead, su + self.problem.visits[u].duration + tail
            ):
                return False
            prev = u
        return True

    # --- queries ---------------------------------------------------------------------------
    def week_problem(self, v: int, t: int, w: int) -> tuple[str, str] | None:
        """(rule, why) if worker w doing visit v from minute t breaks a rule on their week."""
        if not self.week_rules:
            return None
        day = self.problem.visits[v].day
        placed = v in self.start
        old = self.start.get(v)
        self.start[v] = t
        route = self.routes.setdefault((w, day), [])
        keys = [self.start[u] for u in route]
        route.insert(bisect.bisect_right(keys, t), v)
        try:
            for rule in self.week_rules:
                why = rule.week_problem(self, w, day)
                if why is not None:
                    return rule.name, why
            return None
        finally:
            route.remove(v)
            if placed:
                self.start[v] = old  # type: ignore[assignment]
            else:
                del self.start[v]

    def crew_problem(self, v: int, crew: tuple[int, ...]) -> tuple[str, str] | None:
        for rule in self.crew_rules:
            why = rule.crew_problem(self.problem, v, crew)
            if why is not None:
                return rule.name, why
        return None

    def dependency_range(self, v: int) -> tuple[float, float]:
        lo, hi = float("-inf"), float("inf")
        if self.deps_on:
            for partner, g0, g1 in self.links.get(v, ()):
                if partner in self.start:
                    lo = max(lo, self.start[partner] + g0)
                    hi = min(hi, self.start[partner] + g1)
        return lo, hi

    def lateness_cost(self, v: int, t: int) -> int:
        """What starting visit v at minute t adds in lateness costs: its own minutes late, and
        those beyond the largest lateness so far."""
        late = max(0, t - self.problem.visits[v].latest)
        return self.w_late * late + self.w_largest * max(0, late - self.largest_late)

    def open_domain(self, v: int, w: int) -> tuple[Interval, ...] | None:
        """Worker w's allowed starts for visit v, if w may take it on: eligible, not on it
        already, and not a newcomer to a client already at its cap on distinct workers."""
        dom = self.domains.get((v, w))
        if dom is None or w in self.crew.get(v, ()):
            return None
        seen = self.seen.get(self.problem.visits[v].client, set())
        if w not in seen and self.cap is not None and len(seen) >= self.cap:
            return None
        return dom

    def option(self, v: int, w: int) -> Option | None:
        """When (and at what cost) worker w could add visit v to their day, if at all."""
        p = self.problem
        vd = p.visits[v]
        dom = self.open_domain(v, w)
        if dom is None:
            return None
        dlo, dhi = self.dependency_range(v)
        route = self.routes.get((w, vd.day), [])
        blocks = self.blocks[w]
        starts: list[Interval] = []
        best_delta: int | None = None
        # Only gaps that can hold a start in v's domain: the visit before starts no later than
        # the domain ends, the one after no earlier than it begins (travel and durations only
        # narrow the gap further).
        keys = [self.start[u] for u in route]
        first = bisect.bisect_left(keys, dom[0][0])
        last = bisect.bisect_right(keys, dom[-1][1])
        for pos in range(first, last + 1):
            a = route[pos - 1] if pos > 0 else None
            b = route[pos] if pos < len(route) else None
            lead = self.travel(a, v) if a is not None else self.travel_from_home(w, v)
            tail = 0 if b is not None else self.travel_to_home(w, v)
            lo = dom[0][0] if a is None else self.start[a] + p.visits[a].duration + lead
            hi = dom[-1][1] if b is None else self.start[b] - self.travel(v, b) - vd.duration
            lo, hi = max(lo, _ceil(dlo)), min(hi, _floor(dhi))
            if lo > hi:
                continue
            if b is not None:  # the next visit's travel now comes from v
                sb = self.start[b]
                if not inside_one(blocks, sb - self.travel(v, b), sb + p.visits[b].duration):
                    continue
            found = intersect(fitting_starts(blocks, vd.duration, lo, hi, lead, tail), dom)
            if not found:
                continue
            starts.extend(found)
            delta = self.detour(w, a, v, b, lead)
            best_delta = delta if best_delta is None else min(best_delta, delta)
        if not starts or best_delta is None:
            return None
        return Option(w, tuple(sorted(starts)), self.w_travel * best_delta + self.client_cost(v, w))

    def client_cost(self, v: int, w: int) -> int:
        """What worker w doing visit v adds in continuity costs (and the circle's guard)."""
        vd = self.problem.visits[v]
        seen = self.seen.get(vd.client, set())
        cost = self.w_extra if w not in seen and seen else 0
        circle = self.circles.get(vd.client)
        if circle is not None and w not in circle:
            cost += OUTSIDE_CIRCLE  # a heuristic guard, not a model cost
        if w in self.problem.clients[vd.client].link_workers:
            cost -= self.w_link
        return cost

    # --- insertion that pushes later visits ------------------------------------------------
    @property
    def can_push(self) -> bool:
        """Whether a visit may be put in by starting the worker's later visits later: only when
        nothing but lateness depends on a start (no week or crew rules)."""
        return not self.week_rules and not self.crew_rules

    def pushed_option(self, v: int, w: int, bound: float = float("inf")) -> Pushed | None:
        """The cheapest way for worker w to do one-worker visit v at its earliest start in a gap
        of their day, starting their later visits later where v's travel and duration need it
        (each pushed visit stays in its domain, its worker's hours and its linked gaps; a visit
        of several workers is not pushed), if it costs less than ``bound``. Its cost counts
        travel, continuity and every lateness it changes. Without pushes it is :meth:`option`'s
        earliest start. Gaps are those after the visits starting before v's domain (putting v
        before one of those would swap their order: a ruin that takes both out can do that)."""
        p = self.problem
        vd = p.visits[v]
        dom = self.open_domain(v, w)
        if dom is None:
            return None
        client = self.client_cost(v, w)
        bound -= client
        dlo, dhi = self.dependency_range(v)
        route = self.routes.get((w, vd.day), [])
        blocks = self.blocks[w]
        visits, start, domains = p.visits, self.start, self.domains
        # the hot loop below reads travel straight from the matrix (see travel())
        minutes, loc = self._minutes, self._location
        travel_on = self.travel_on
        w_late, w_largest, largest_late = self.w_late, self.w_largest, self.largest_late
        keys = [start[u] for u in route]
        first = bisect.bisect_left(keys, dom[0][0])
        last = bisect.bisect_right(keys, dom[-1][1])
        n = len(route)
        best: Pushed | None = None
        for pos in range(first, last + 1):
            a = route[pos - 1] if pos > 0 else None
            b = route[pos] if pos < n else None
            lead = (minutes[loc[a]][loc[v]] if travel_on else 0) if a is not None else self.travel_from_home(w, v)
            lo = dom[0][0] if a is None else start[a] + visits[a].duration + lead
            lo, hi = max(lo, _ceil(dlo)), min(dom[-1][1], _floor(dhi))
            if lo > hi:
                break  # later gaps start later still
            late = max(0, lo - vd.latest)
            if w_late * late + w_largest * max(0, late - largest_late) >= bound:
                break  # v alone would cost too much here, and more in any later gap
            tail = self.travel_to_home(w, v) if b is None else 0
            t = earliest_fitting_start(blocks, vd.duration, lo, hi, dom, lead, tail)
            if t is None:
                continue
            delta = self.detour(w, a, v, b, lead)
            late = max(0, t - vd.latest)
            fixed = self.w_travel * delta - w_largest * largest_late
            cost: float = w_late * late
            largest = max(late, largest_late)
            shifts: list[tuple[int, int]] = []
            prev, prev_end = v, t + vd.duration
            for i in range(pos, n):
                if cost + fixed + w_largest * largest >= bound:
                    break  # every term only grows from here
                u = route[i]
                su, ud = start[u], visits[u]
                leg = minutes[loc[prev]][loc[u]] if travel_on else 0
                need = prev_end + leg
                if need <= su:  # the rest of the day keeps its starts
                    if not inside_one(blocks, su - leg, su + ud.duration):
                        cost = bound
                    break
                end = need + ud.duration + (self.travel_to_home(w, u) if i == n - 1 else 0)
                if (
                    len(self.crew[u]) > 1
                    or not any(x <= need <= y for x, y in domains[(u, w)])
                    or not inside_one(blocks, need - leg, end)
                ):
                    cost = bound
                    break
                new_late = need - ud.latest
                if new_late > 0:
                    cost += w_late * (new_late - max(0, su - ud.latest))
                    if new_late > largest:
                        largest = new_late
                shifts.append((u, need))
                prev, prev_end = u, need + ud.duration
            cost += fixed + w_largest * largest
            if cost >= bound or (shifts and not self._links_hold(v, t, shifts)):
                continue
            best, bound = Pushed(w, t, cost, tuple(shifts)), cost
        if best is None:
            return None
        return Pushed(w, best.start, best.cost + client, best.shifts)

    def _links_hold(self, v: int, t: int, shifts: list[tuple[int, int]]) -> bool:
        """Whether every linked gap of v (at t) and the pushed visits holds after the pushes."""
        if not self.deps_on:
            return True
        moved = dict(shifts)
        moved[v] = t
        for u, s in moved.items():
            for partner, lo, hi in self.links.get(u, ()):
                other = moved.get(partner, self.start.get(partner))
                if other is not None and not lo <= s - other <= hi:
                    return False
        return True

    def best_pushed(self, v: int) -> Pushed | None:
        """The cheapest :meth:`pushed_option` over v's workers (earliest, then lowest index, on ties)."""
        best: Pushed | None = None
        for w in self.eligible[v]:
            # ties: the earliest start, then the lowest worker index (the bound lets ties through)
            option = self.pushed_option(v, w, float("inf") if best is None else best.cost + 1)
            if option is not None and (best is None or (option.cost, option.start) < (best.cost, best.start)):
                best = option
        return best

    def place_pushed(self, v: int, option: Pushed) -> None:
        """Place v as ``option`` says, starting the pushed visits later."""
        for u, s in option.shifts:
            self.start[u] = s
            self.largest_late = max(self.largest_late, s - self.problem.visits[u].latest)
        self.place(v, option.start, (option.worker,))

    def pull_earlier(self, keys: Iterable[tuple[int, int]]) -> None:
        """Start each visit of these worker-days as early as its domain, the worker's hours, the
        visit before (with travel) and its linked gaps allow: what a removal left idle goes back
        to the later visits. Only when :attr:`can_push` (then an earlier start never costs more)."""
        p = self.problem
        for w, day in keys:
            route = self.routes.get((w, day))
            if not route:
                continue
            blocks = self.blocks[w]
            prev: int | None = None
            for i, u in enumerate(route):
                ud = p.visits[u]
                if len(self.crew[u]) == 1:
                    lead = self.travel(prev, u) if prev is not None else self.travel_from_home(w, u)
                    lo = self.domains[(u, w)][0][0] if prev is None else self.end(prev) + lead
                    dlo, _ = self.dependency_range(u)
                    tail = self.travel_to_home(w, u) if i == len(route) - 1 else 0
                    t = earliest_fitting_start(
                        blocks, ud.duration, max(lo, _ceil(dlo)), self.start[u], self.domains[(u, w)], lead, tail
                    )
                    if t is not None and t < self.start[u]:
                        self.start[u] = t
                prev = u

    def best_crew(self, v: int) -> tuple[int, tuple[int, ...]] | None:
        """The cheapest set of ``required`` workers with a common start (earliest on ties) that
        keeps every worker's week within the working-time rules."""
        p = self.problem
        vd = p.visits[v]
        options = [o for w in self.eligible[v] if (o := self.option(v, w)) is not None]
        if len(options) < vd.required:
            return None
        if vd.required == 1 and not self.week_rules and not self.crew_rules:
            # Nothing but lateness depends on the start: each worker's earliest start is their
            # cheapest, so the cheapest worker there wins (earliest, then lowest index, on ties).
            def total(o: Option) -> tuple[int, int, int]:
                t = o.starts[0][0]
                return o.cost + self.lateness_cost(v, t), t, o.worker

            cheapest = min(options, key=total)
            return cheapest.starts[0][0], (cheapest.worker,)
        # Each range's earliest start, and a later one that can leave room for a break.
        candidates = sorted({t for o in options for a, b in o.starts for t in (a, min(b, a + BREAK_ROOM * p.unit))})
        best: tuple[int, int, tuple[int, ...]] | None = None
        seen = self.seen.get(vd.client, set())
        for t in candidates:
            there = sorted((o.cost, o.worker) for o in options if any(a <= t <= b for a, b in o.starts))
            if len(there) < vd.required:
                continue
            if best is not None and sum(c for c, _ in there[: vd.required]) + self.lateness_cost(v, t) >= best[0]:
                continue  # not even the cheapest workers there could beat the best so far
            # the week rules (the costly checks) are asked only as far as the choice reads
            chosen = self._choose(v, (o for o in there if self.week_problem(v, t, o[1]) is None), seen)
            if chosen is None:
                continue
            # Two new workers at once owe the extra-worker cost twice, not once.
            new = sum(1 for _, w in chosen if w not in seen)
            cost = sum(c for c, _ in chosen) + self.w_extra * max(0, new - 1) + self.lateness_cost(v, t)
            if best is None or cost < best[0]:
                best = (cost, t, tuple(w for _, w in chosen))
        if best is None:
            return None
        return best[1], best[2]

    def _choose(
        self, v: int, able: Iterable[tuple[int, int]], seen: set[int], tries: int = 200
    ) -> tuple[tuple[int, int], ...] | None:
        """The first crew, cheapest first, within the client's cap and the crew rules (``able``
        is read only as far as needed when one worker is required)."""
        required = self.problem.visits[v].required
        if required == 1:  # (combinations would read all of ``able`` first)
            combos: Iterable[tuple[tuple[int, int], ...]] = ((o,) for o in itertools.islice(able, tries))
        else:
            combos = itertools.islice(itertools.combinations(able, required), tries)
        for combo in combos:
            new = sum(1 for _, w in combo if w not in seen)
            if self.cap is not None and len(seen) + new > self.cap:
                continue
            if self.crew_problem(v, tuple(w for _, w in combo)) is not None:
                continue
            return combo
        return None

    # --- updates ---------------------------------------------------------------------------
    def remove(self, v: int) -> tuple[int, tuple[int, ...]]:
        """Take a visit out of the rota; returns its (start, workers) so it can be put back."""
        vd = self.problem.visits[v]
        start, workers = self.start.pop(v), self.crew.pop(v)
        for w in workers:
            self.routes[(w, vd.day)].remove(v)
        self.seen[vd.client] = {w for u in self.problem.clients[vd.client].visits for w in self.crew.get(u, ())}
        return start, workers

    def refresh_largest_late(self) -> None:
        """Work the largest lateness out again (placing only raises it; after visits leave or
        start earlier it may be lower, and insertion prices lateness beyond it)."""
        visits = self.problem.visits
        self.largest_late = max(0, max((s - visits[u].latest for u, s in self.start.items()), default=0))

    def place(self, v: int, start: int, workers: tuple[int, ...]) -> None:
        vd = self.problem.visits[v]
        self.start[v] = start
        self.crew[v] = workers
        self.largest_late = max(self.largest_late, start - self.problem.visits[v].latest)
        for w in workers:
            route = self.routes.setdefault((w, vd.day), [])
            keys = [self.start[u] for u in route]
            route.insert(bisect.bisect_right(keys, start), v)
        self.seen.setdefault(vd.client, set()).update(workers)


def _ceil(x: float) -> int:
    return -(10**9) if x == float("-inf") else int(-(-x // 1))


def _floor(x: float) -> int:
    return 10**9 if x == float("inf") else int(x // 1)
