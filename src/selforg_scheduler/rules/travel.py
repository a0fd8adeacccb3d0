"""travel: consecutive visits leave room for the travel between them; travel minutes cost."""

from __future__ import annotations

import math

import numpy as np
from ortools.graph.python import linear_sum_assignment
from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.travel import leg_cost
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    coverable,
    register,
)


class TravelParams(RuleParams):
    weight_per_minute: int = Field(
        default=1,
        ge=0,
        description="cost per travel minute; each leg costs ceil(weight x exact minutes), so a large "
        "weight prices fractional travel (euclidean, matrix) exactly",
    )


@register
class TravelRule(Rule[TravelParams]):
    name = "travel"
    order = 50
    any_resolution = True
    summary = "a worker's consecutive visits leave room for the travel between them; travel minutes cost"
    Params = TravelParams
    keeps_travel_time = True

    def prices(self, problem: Problem) -> Prices:
        return Prices(travel_per_minute=self.params.weight_per_minute, exact=True)

    def build(self, m: ModelContext) -> list[Penalty]:
        if self.params.weight_per_minute == 0:
            return []
        out = []
        weight = self.params.weight_per_minute
        for wday in m.worker_days.values():
            terms = [leg_cost(weight, arc.exact) * arc.literal for arc in wday.arcs if arc.travel]
            if terms:
                subject = m.problem.workers[wday.worker].id
                out.append(self.penalty(1, sum(terms), subject))
        return out

    def floor(self, m: ModelContext, covered: bool) -> float:
        """In a rota covering every coverable visit, each worker's place on a visit (two on a
        double-up) is reached from another visit that day, or starts a route (at most one route a
        worker-day, at a visit that worker may do), and leads on to another or ends one. The cheapest such pairing of the day's
        places, over the legs that fit in time and share an eligible worker, is an assignment
        problem: its cost bounds the day's travel from below. Days of more than ``FLOOR_PLACES``
        places are left out (no floor for them)."""
        weight = self.params.weight_per_minute
        if not covered or not weight:
            return 0
        total = 0.0
        p = m.problem
        ticks, exact = np.array(p.travel.minutes), np.array(p.travel.exact)
        for _day, visits in sorted(p.visits_by_day.items()):
            total += _day_floor(m, weight, [v for v in visits if coverable(m, v)], ticks, exact)
            if total == math.inf:
                break
        return total

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p = rota.problem
        for w, _day, a, b in rota.legs():
            t = rota.travel(a, b)
            if t and rota.end(a) <= rota.start[b] < rota.end(a) + t:
                out.violations.append(
                    self.violation(
                        f"{p.workers[w].id}: {p.visits[a].id} ends {p.clock(rota.end(a))}, "
                        f"{p.visits[b].id} starts {p.time_of(rota.start[b]):%H:%M} but is {p.minutes(t)} min away"
                    )
                )
        weight = self.params.weight_per_minute
        if weight:
            for w, day in rota.routes:
                legs = rota.legs_of(w, day)
                out.charge(p.workers[w].id, sum(leg_cost(weight, rota.exact_travel(w, leg)) for leg in legs))
        return out


FLOOR_PLACES = 1200
"""Most workers' places on one day's visits for which the travel floor solves its assignment."""


def _day_floor(m: ModelContext, weight: int, visits: list[int], ticks: np.ndarray, exact: np.ndarray) -> float:
    """The cheapest pairing of one day's places (see :meth:`TravelRule.floor`); inf when no
    routes can cover them all."""
    p = m.problem
    places = [v for v in visits for _ in range(p.visits[v].required)]
    n = len(places)
    if n == 0 or n > FLOOR_PLACES:
        return 0
    workers = sorted({w for v in visits for w in m.eligible[v]})
    routes = len(workers)
    column = {w: i for i, w in enumerate(workers)}
    can = np.zeros((n, routes), dtype=bool)
    for i, v in enumerate(places):
        can[i, [column[w] for w in m.eligible[v]]] = True
    visit = np.array(places)
    duration = np.array([p.visits[v].duration for v in places])
    locations = np.array([p.visits[v].location for v in places])
    legs = ticks[np.ix_(locations, locations)] if m.travel_on else np.zeros((n, n), dtype=int)
    # a leg u -> v fits when some worker who may do both can start v after u and the travel,
    # within the starts each of them has for that worker
    fits = np.zeros((n, n), dtype=bool)
    for k, w in enumerate(workers):
        mine = can[:, k]
        first = np.array([m.domains[(v, w)][0][0] if mine[i] else 0 for i, v in enumerate(places)])
        last = np.array([m.domains[(v, w)][-1][1] if mine[i] else -1 for i, v in enumerate(places)])
        fits |= mine[:, None] & mine[None, :] & (first[:, None] + duration[:, None] + legs <= last[None, :])
    fits &= visit[:, None] != visit[None, :]
    cost = np.ceil(np.round(weight * exact[np.ix_(locations, locations)], 6)).astype(np.int64)
    tails, heads = np.nonzero(fits)
    solver = linear_sum_assignment.SimpleLinearSumAssignment()
    solver.add_arcs_with_cost(tails, heads, cost[tails, heads])
    for k, w in enumerate(workers):  # worker w's route of the day starts and ends at places w may take
        mine = np.nonzero(can[:, k])[0]
        out_home = [leg_cost(weight, p.travel_from_home_exact(w, places[i])) for i in mine]
        back_home = [leg_cost(weight, p.travel_to_home_exact(w, places[i])) for i in mine]
        solver.add_arcs_with_cost(np.full(len(mine), n + k), mine, np.array(out_home, dtype=np.int64))
        solver.add_arcs_with_cost(mine, np.full(len(mine), n + k), np.array(back_home, dtype=np.int64))
        solver.add_arcs_with_cost(np.full(routes, n + k), n + np.arange(routes), np.zeros(routes, dtype=np.int64))
    if solver.solve() != solver.OPTIMAL:
        return math.inf
    return float(solver.optimal_cost())
