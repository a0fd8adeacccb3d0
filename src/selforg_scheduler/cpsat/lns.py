"""Large-neighbourhood search around CP-SAT: re-optimise a part of the rota at a time.

After the main CP-SAT run, each step frees a neighbourhood and lets CP-SAT re-optimise it with
everything else fixed to the incumbent: while the search runs, the model has every visit and
circuit variable fixed to the incumbent (and is hinted with it), and each step clones it and frees
the neighbourhood's visits and only the arcs they could use (:class:`FixedModel`). Neighbourhoods:

* **window** (while a coverable visit is uncovered, four steps in five): the uncovered visit,
  every visit of its day whose window lies within a random radius (60-240 minutes) of it and,
  every other time, every visit of the same client (the cap on distinct workers often blocks it);
* **client** (three in ten of those steps): one of the client's regular workers is swapped for a
  newcomer who could take the uncovered visit: the visit and the leaving worker's visits to the
  client are freed with what the client's other workers and the newcomer do around them;
* **day**: every visit and circuit of one day (a day with more than ``WHOLE_DAY_MAX`` visits
  only now and then). When that day is the whole model (a one-day week of at most
  ``WHOLE_DAY_MAX`` visits, as in the Mankowska benchmark's small sets), each such step that runs
  out of time without a better rota gives the next one twice the time: 2-second restarts from
  the incumbent never get deeper than it (Mankowska B5, 60 s, seeds 2, 4, 5, 6: gaps 2.74 / 2.74
  / 0.85 / 0 % with fixed steps, 1.34 / 0 / 0 / 0.85 % with growing ones);
* **routes**: every visit of a few workers on one day; **related**: visits near a random one in
  place and time (travel + start difference); **slice**: consecutive starts of one day. These
  three free about ``Size.value`` visits, which grows while steps are solved to optimality
  and shrinks when they run out of time. Linked visits are freed together.

A step is kept only if it lowers the objective. A day solved to optimality is not tried again
until another step changes the rota. Cross-day terms (continuity, and rules added later) stay in
the model, so every accepted rota is a rota of the full model.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from selforg_scheduler.core.budget import SolveBudget
from selforg_scheduler.core.variables import DEPOT as DEPOT_NODE
from selforg_scheduler.core.variables import Arc, ModelContext, WorkerDay

log = logging.getLogger(__name__)

MIN_STEP_S = 0.5
"""A step gets at least this much time; less is left unspent."""


@dataclass
class Incumbent:
    values: list[int]
    objective: int


@dataclass(frozen=True)
class Neighbourhood:
    kind: str
    days: frozenset[int]
    visits: frozenset[int]


def lns_improve(
    ctx: ModelContext,
    incumbent: Incumbent,
    budget: SolveBudget,
    solve_step: Callable[[cp_model.CpModel, float], cp_model.CpSolver],
    on_improve: Callable[[Incumbent], None] | None = None,
    seed: int = 0,
    step_s: float = 2.0,
    covered_extra_s: float | None = None,
) -> tuple[Incumbent, int]:
    """Improve the incumbent until the budget is spent (or ``covered_extra_s`` seconds after
    every coverable visit is covered, when given); returns it and the number of steps.

    ``solve_step(model, limit)`` runs CP-SAT on a neighbourhood within ``limit`` seconds (wall, or
    deterministic when the budget counts those) and returns the solver after.
    """
    rng = random.Random(seed)
    problem = ctx.problem
    with FixedModel(ctx, incumbent.values) as fixed:
        by_day = problem.visits_by_day
        settled: set[int] = set()
        size = Size()
        steps = 0
        whole_s = step_s  # a whole-model step's time: grows while such steps run out of it
        coverable = [v for v, workers in enumerate(ctx.eligible) if workers]
        while True:
            if covered_extra_s is not None and all(incumbent.values[ctx.covered[v].index] for v in coverable):
                budget.wall.cap(covered_extra_s)
                covered_extra_s = None  # the clock runs from the first time
            left = budget.left()
            if left < MIN_STEP_S:
                break
            hood = _choose(ctx, incumbent, rng, by_day, settled, size.value)
            if hood is None:
                log.info("lns: every day is optimal given the others")
                break
            t_open = time.perf_counter()
            sub = fixed.open(hood)
            t_open = time.perf_counter() - t_open
            whole = len(hood.visits) == len(problem.visits) <= WHOLE_DAY_MAX
            solver = solve_step(sub, min(whole_s if whole else step_s, left))
            budget.spend(solver.deterministic_time)
            code = solver.status_name(solver.response_proto.status)
            steps += 1
            log.debug(
                "lns step %d: %s of %d visits, %s in %.2fs (det %.2f; its model in %.2fs)",
                steps,
                hood.kind,
                len(hood.visits),
                code,
                solver.wall_time,
                solver.deterministic_time,
                t_open,
            )
            if code in ("OPTIMAL", "FEASIBLE"):
                objective = int(round(solver.objective_value))
                if whole and code == "FEASIBLE" and objective >= incumbent.objective:
                    whole_s *= 2  # restarts from the incumbent this short never got deeper
                if objective < incumbent.objective:
                    incumbent = Incumbent(list(solver.response_proto.solution), objective)
                    fixed.follow(incumbent.values)
                    settled.clear()
                    log.info("lns: %s %s improved the objective to %d", hood.kind, sorted(hood.days), objective)
                    if on_improve is not None:
                        on_improve(incumbent)
                if code == "OPTIMAL" and hood.kind == "day":
                    settled.update(hood.days)
            if hood.kind in PART_KINDS:
                size.update(code == "OPTIMAL")
    return incumbent, steps


class FixedModel:
    """While in use (a context manager), the model itself has every visit and circuit variable
    fixed to the incumbent (the rules' auxiliary variables stay free) and is hinted with it; on
    leaving, its domains and hint are restored. Each step clones it and frees only the
    neighbourhood: its visits' variables and the arcs they could use. (Fixing everything else in
    a clone of the model costs half a second a step on a busy team's week of 100,000 arcs; fixing
    the model in place rather than a copy of it saves the copy's memory.)"""

    def __init__(self, ctx: ModelContext, values: list[int]) -> None:
        self.ctx = ctx
        self.visit_vars = [ctx.visit_variables(v) for v in range(len(ctx.problem.visits))]
        self.core = [i for indices in self.visit_vars for i in indices]
        self.core.extend(i for indices in ctx.route_variables().values() for i in indices)
        # Each worker-day's arcs by the visit at either end, to free only those a freed visit can use.
        self.days_of: dict[int, list[WorkerDay]] = {}
        self.touching: dict[tuple[int, int], dict[int, list[Arc]]] = {}
        self.between: dict[tuple[int, int], dict[tuple[int, int], Arc]] = {}
        for key, wday in ctx.worker_days.items():
            self.days_of.setdefault(wday.day, []).append(wday)
            touching: dict[int, list[Arc]] = {}
            for arc in wday.arcs:
                touching.setdefault(arc.tail, []).append(arc)
                touching.setdefault(arc.head, []).append(arc)
            self.touching[key] = touching
            self.between[key] = {(arc.tail, arc.head): arc for arc in wday.arcs}
        variables = ctx.model.proto.variables
        # Every core variable is a literal but the starts: their domains are read once (reading
        # the proto is slow), the literals' are {0, 1}.
        self.start_domain = {var.index: tuple(variables[var.index].domain) for var in ctx.start}
        self.values = list(values)
        self.model = ctx.model
        self._scratch = cp_model.CpModel()
        hint = self.model.proto.solution_hint
        self._hint = (list(hint.vars), list(hint.values))

    def __enter__(self) -> FixedModel:
        self._fix(self.core)
        return self

    def __exit__(self, *exc: object) -> None:
        variables = self.model.proto.variables
        for index in self.core:
            domain = variables[index].domain
            domain.clear()
            domain.extend(self.start_domain.get(index, BOOL))
        hint = self.model.proto.solution_hint
        hint.vars.clear()
        hint.vars.extend(self._hint[0])
        hint.values.clear()
        hint.values.extend(self._hint[1])

    def _fix(self, indices: list[int]) -> None:
        variables = self.model.proto.variables
        for index in indices:
            domain = variables[index].domain
            value = self.values[index]
            domain.clear()
            domain.extend((value, value))
        hint = self.model.proto.solution_hint
        hint.vars.clear()
        hint.vars.extend(range(len(self.values)))
        hint.values.clear()
        hint.values.extend(self.values)

    def follow(self, values: list[int]) -> None:
        """The incumbent changed: re-fix the core variables whose value changed."""
        changed = [i for i in self.core if values[i] != self.values[i]]
        self.values = list(values)
        self._fix(changed)

    def open(self, hood: Neighbourhood) -> cp_model.CpModel:
        """A copy of the model with the neighbourhood's visit variables free, and the circuit
        variables that a rota of the neighbourhood can change (:meth:`open_arcs`). The copy is
        one scratch model refilled at each call (valid until the next): a new ``CpModel`` a step
        (``clone``) holds a reference cycle, so each stayed in memory until the garbage collector
        ran: measured on a busy team's week of 79,000 arcs, 21 steps took the process from 330 MB
        to 1,420 MB, against 490 MB with one copy refilled."""
        sub = self._scratch
        sub.proto.copy_from(self.model.proto)
        variables = sub.proto.variables
        for index in (i for v in hood.visits for i in self.visit_vars[v]):
            domain = variables[index].domain
            domain.clear()
            domain.extend(self.start_domain.get(index, BOOL))
        for index in self.open_arcs(hood):
            domain = variables[index].domain
            domain.clear()
            domain.extend(BOOL)
        return sub

    def open_arcs(self, hood: Neighbourhood) -> list[int]:
        """Circuit literals (works and arcs) of the neighbourhood's days that it may change.

        A visit outside the neighbourhood keeps its workers and start, so in a worker's day two
        such visits can only be consecutive if no other of them lies between: of the arcs
        between fixed visits (and home) only the one from each to the next stays open; an arc
        touching a freed visit stays open if time allows it next to the fixed visit at its other
        end. The others stay fixed at 0 (CP-SAT would find that out in presolve, at a cost paid
        every step on a big day).
        """
        ctx, values = self.ctx, self.values
        problem = ctx.problem
        opened: list[int] = []
        for day in hood.days:
            for wday in self.days_of.get(day, ()):
                w = wday.worker
                key = (w, day)
                freed = [v for v in wday.visits if v in hood.visits]
                if not freed:
                    continue  # nothing of this worker-day can change
                opened.append(wday.works.index)
                fixed = sorted(
                    (values[ctx.start[v].index], v)
                    for v in wday.visits
                    if v not in hood.visits and values[ctx.x[(v, w)].index]
                )
                if len({t for t, _ in fixed}) < len(fixed):
                    # equal starts (zero-length visits): the order is not certain
                    opened.extend(arc.literal.index for arc in wday.arcs)
                    continue
                start = {v: t for t, v in fixed}
                chain = [DEPOT_NODE, *(v for _, v in fixed), DEPOT_NODE]
                between = self.between[key]
                for pair in zip(chain, chain[1:], strict=False):
                    arc = between.get(pair)
                    if arc is not None:
                        opened.append(arc.literal.index)
                seen: set[int] = set()
                for f in freed:
                    for arc in self.touching[key].get(f, ()):
                        index = arc.literal.index
                        if index in seen:
                            continue
                        seen.add(index)
                        tail, head = arc.tail, arc.head
                        if tail == f and (head == DEPOT_NODE or head in hood.visits):
                            opened.append(index)
                        elif head == f and (tail == DEPOT_NODE or tail in hood.visits):
                            opened.append(index)
                        elif head == f:  # fixed -> freed: the freed visit starts after, with travel
                            if (
                                tail in start
                                and start[tail] + problem.visits[tail].duration + arc.travel
                                <= ctx.domains[(f, w)][-1][1]
                            ):
                                opened.append(index)
                        elif head in start:  # freed -> fixed: the freed visit ends, and travels, before
                            if ctx.domains[(f, w)][0][0] + problem.visits[f].duration + arc.travel <= start[head]:
                                opened.append(index)
        return opened


BOOL = (0, 1)


def _choose(
    ctx: ModelContext,
    incumbent: Incumbent,
    rng: random.Random,
    by_day: dict[int, list[int]],
    settled: set[int],
    part_size: int = 15,
) -> Neighbourhood | None:
    problem = ctx.problem
    values = incumbent.values
    uncovered = [v for v, workers in enumerate(ctx.eligible) if workers and values[ctx.covered[v].index] == 0]
    if uncovered and rng.random() < 0.8:
        centre = problem.visits[rng.choice(uncovered)]
        if rng.random() < CLIENT_SHARE:
            return _client_week(ctx, values, centre.index, rng)
        radius = rng.choice((60, 120, 180, 240)) * problem.unit
        lo, hi = centre.earliest - radius, centre.latest + centre.duration + radius
        near = [
            v
            for v in by_day[centre.day]
            if problem.visits[v].earliest <= hi and problem.visits[v].latest + problem.visits[v].duration >= lo
        ]
        if rng.random() < 0.5:
            # Half the time only what the visit's own possible workers do then: smaller, so the
            # step is more often solved to optimality (swaps between those workers' days).
            able = set(ctx.eligible[centre.index])
            near = [v for v in near if any(values[ctx.x[(v, w)].index] for w in ctx.eligible[v] if w in able)]
            near.append(centre.index)
        # The client's other visits too: the cap on distinct workers is often what blocks it.
        own = problem.clients[centre.client].visits if rng.random() < 0.5 else ()
        window = frozenset(near).union(own)
        return Neighbourhood("window", frozenset(problem.visits[v].day for v in window), window)
    open_days = [d for d in sorted(by_day) if d not in settled]
    kind = rng.choice(PART_KINDS)
    if kind == "day" or not open_days:
        if not open_days:
            return None
        day = rng.choice(open_days)
        if len(by_day[day]) <= WHOLE_DAY_MAX or rng.random() < 0.1:
            return Neighbourhood("day", frozenset((day,)), frozenset(by_day[day]))
        kind = rng.choice(PART_KINDS[1:])
    # A part of a day: a few routes, visits related in place and time, or a slice of the day.
    days = sorted(by_day)
    day = rng.choices(days, weights=[len(by_day[d]) for d in days])[0]
    covered = [v for v in by_day[day] if values[ctx.covered[v].index]]
    if not covered:
        return Neighbourhood("day", frozenset((day,)), frozenset(by_day[day]))
    size = rng.randint(max(PART_MIN, part_size - 3), part_size + 3)
    start = {v: values[ctx.start[v].index] for v in covered}
    seed = rng.choice(covered)
    if kind == "routes":
        crew = {v: [w for w in ctx.eligible[v] if values[ctx.x[(v, w)].index]] for v in covered}
        workers = list(crew[seed])
        others = sorted({w for v in covered for w in crew[v]} - set(workers))
        rng.shuffle(others)
        free: set[int] = set()
        while True:
            free = {v for v in covered if any(w in workers for w in crew[v])}
            if len(free) >= size or not others:
                break
            workers.append(others.pop())
    elif kind == "related":

        def distance(v: int) -> float:
            travel = problem.visit_travel(seed, v) if ctx.travel_on else 0
            return travel + abs(start[v] - start[seed]) + rng.random()

        free = set(sorted(covered, key=distance)[:size])
    else:  # slice: consecutive starts around a random one
        ordered = sorted(covered, key=lambda v: (start[v], v))
        at = ordered.index(seed)
        lo = max(0, min(at - size // 2, len(ordered) - size))
        free = set(ordered[lo : lo + size])
    free.update(v for v in uncovered if problem.visits[v].day == day)
    for d in problem.dependencies:  # linked visits move together
        if d.first in free or d.second in free:
            free.update((d.first, d.second))
    return Neighbourhood(kind, frozenset(problem.visits[v].day for v in free), frozenset(free))


def _client_week(ctx: ModelContext, values: list[int], centre: int, rng: random.Random) -> Neighbourhood:
    """Swap one of the uncovered visit's client's regular workers for a newcomer who could take
    the visit (the cap on distinct workers often leaves no one else): the visit and the visits
    the leaving worker makes to the client that week are freed, each with what the others who
    could take them (the client's other workers and the newcomer) do around it."""
    problem = ctx.problem
    vd = problem.visits[centre]
    client = problem.clients[vd.client]
    by_worker: dict[int, list[int]] = {}
    for v in client.visits:
        for w in ctx.eligible[v]:
            if values[ctx.x[(v, w)].index]:
                by_worker.setdefault(w, []).append(v)
    newcomers = [w for w in ctx.eligible[centre] if w not in by_worker]
    if not by_worker or not newcomers:
        leaving, moved = None, []
    else:
        leaving = rng.choice(sorted(by_worker, key=lambda w: (len(by_worker[w]), w))[:2])
        moved = by_worker[leaving]
    crew = (set(by_worker) - {leaving}) | set(rng.sample(newcomers, min(len(newcomers), 1)))
    radius = rng.choice((30, 60, 90)) * problem.unit
    free = {centre, *moved}
    for v in list(free):
        own = problem.visits[v]
        lo, hi = own.earliest - radius, own.latest + own.duration + radius
        for w in crew.union(ctx.eligible[centre]) if v == centre else crew:
            wday = ctx.worker_days.get((w, own.day))
            if wday is None:
                continue
            for u in wday.visits:
                if values[ctx.x[(u, w)].index]:
                    t = values[ctx.start[u].index]
                    if lo <= t + problem.visits[u].duration and t <= hi:
                        free.add(u)
    for d in problem.dependencies:  # linked visits move together
        if d.first in free or d.second in free:
            free.update((d.first, d.second))
    return Neighbourhood("client", frozenset(problem.visits[v].day for v in free), frozenset(free))


CLIENT_SHARE = 0.3
"""Of the steps around an uncovered visit, the share that re-plan its client's week."""
PART_KINDS = ("day", "routes", "related", "slice")
"""Neighbourhoods once every coverable visit is covered (or one time in five before)."""
WHOLE_DAY_MAX = 60
"""A day with more visits is freed whole only now and then; parts of it otherwise."""
PART_MIN, PART_MAX = 6, 60
"""Bounds on the visits freed by a part-of-a-day neighbourhood."""


@dataclass
class Size:
    """The adaptive size of part-of-a-day neighbourhoods: grows while steps are solved to
    optimality within their limit (the search can take more), shrinks when they run out of time."""

    value: int = 15

    def update(self, solved: bool) -> None:
        step = 1 if solved else -2
        self.value = max(PART_MIN, min(PART_MAX, self.value + step))
