"""Solve a week, in stages (PyVRP's ``solve`` is the model):

1. compile the instance under the rule set and work out who may do each visit, when
   (:func:`~selforg_scheduler.rules.frame.eligibility`);
2. a warm start: the greedy rota, then ruin and recreate covering what it left (and, where the
   search's prices are the whole objective, lowering its cost) (:func:`warm_start`);
3. the CP-SAT model, hinted with the warm start, searched within the budget, then improved by the
   large-neighbourhood search (:mod:`selforg_scheduler.cpsat.run`);
4. the contract's solution: reasons for uncovered visits, breaks and check-ins, and the penalties
   and KPIs as the validator recomputes them (:func:`make_solution`).

The returned solution's objective is CP-SAT's and the validator's alike (a mismatch is logged as an
error and caught by the tests). Every stage spends from one :class:`~selforg_scheduler.core.budget.SolveBudget`.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import (
    Solution,
)
from selforg_scheduler.core.budget import Clock, SolveBudget
from selforg_scheduler.core.problem import Interval, Problem, Reference, compile_problem
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.cpsat.model import ArcFilter, add_hints, build_model
from selforg_scheduler.cpsat.run import (
    Progress,
    ProgressCallback,
    RawRota,
    SearchSettings,
    complete_hint,
    objective_of,
    read_rota,
    search,
)
from selforg_scheduler.pipeline.assemble import gap, make_solution
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.frame import eligibility_until
from selforg_scheduler.rules.validator import ValidationReport
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import from_reference, greedy_rota
from selforg_scheduler.search.ruin import cover_by_ruin, exact_proxy, improve_in_chains

__all__ = ["Progress", "ProgressCallback", "SolveParams", "SolveResult", "make_solution", "solve", "solve_detailed"]

log = logging.getLogger(__name__)

AUTO_GRANULAR, AUTO_GRANULAR_ABOVE = 25, 120
"""Granular circuits by default: on a worker-day of more than 120 possible visits (a benchmark's
whole-day carers: 300 visits a day make 1.3 million arcs), 25 neighbours a visit; team weeks have
far fewer visits a worker-day and keep every arc."""
MAX_ARCS = 400_000
"""The arcs a model may have: measured about 2.3 KB of peak memory an arc (54 workers and 2,676
visits whole: 1,770,462 arcs, 4 GB), so about 1 GB. Above it the automatic granularity keeps
fewer neighbours a visit (:func:`_arc_filter`)."""
MIN_GRANULAR = 4
"""The fewest neighbours a visit the automatic granularity keeps."""
ARC_SLACK = 3
"""A model estimated at more than ``ARC_SLACK`` x ``MAX_ARCS`` arcs even at ``MIN_GRANULAR`` is
not built: the warm start is handed on (the estimate is an upper bound)."""
RUIN_SHARE = 0.4
"""Share of the time limit that ruin and recreate (:mod:`~selforg_scheduler.search.ruin`) may spend
covering what the greedy left uncovered, before the model is built (it stops sooner once every
visit is covered or it stalls). Covering is worth more than any cost, and ruin steps cover far
faster than CP-SAT's: on the 16-team organisation (about 32 s a team, 1 core) a share of 0.4
left 4 of 9,890 visits uncovered where 0.15 left 8 (the same code otherwise)."""
COST_RUIN_SHARE = 0.6
"""Share of the time limit that ruin and recreate may spend lowering the greedy rota's cost, when
its cost is the model's objective (:func:`~selforg_scheduler.search.ruin.exact_proxy`: travel, lateness
and continuity are the only costs, as in the Mankowska benchmark) and some worker-day could hold
more than ``COST_RUIN_ABOVE`` visits; CP-SAT's LNS then polishes. Measured on Mankowska D3 (98
visits): the search alone reaches 676 in 60 s, where CP-SAT's LNS from the greedy rota reached
709 in 120 s."""
COST_RUIN_ABOVE = 30
"""Below this many visits on the busiest worker-day CP-SAT alone does better (Mankowska B5, 33
visits, at most 21 a carer-day: 374 in 60 s against 379 for the search in 20 s); sets A and B
are solved to or near the optimum that way. Above it the search first (Mankowska C5, 65 visits,
at most 37 a carer-day, 120 s: 0.70 and 0.19 % above the best known with it, seeds 0 and 1;
0.76, 5.19 and 5.82 % without, seed 0: CP-SAT's LNS alone varies from run to run)."""
MAX_CHAINS = 8
"""At most this many cost searches run side by side (one per CP-SAT search worker, i.e. per core
by default): the best of independent annealing chains, each as long as one alone."""
FRAME_SHARE = 0.3
"""Share of the time limit after which the frame (who may do each visit, when) examines no more
visits: they stay uncovered, their reason says time ran out (a week's frame takes a fraction of a
second; 20,000 visits for one model take seconds)."""
GREEDY_SHARE = 0.3
"""Share of the time limit after which the greedy tries no further insertion order and stops
inserting (a week's greedy takes a fraction of a second; a pool of thousands of visits can take
minutes)."""
SEARCH_FLOOR = 0.1
"""When less than this share of the time limit is left after the warm start, the model is not
built: the warm start is handed on as it is (found by the greedy), rather than overrunning."""
HINT_SHARE = 0.2
"""On a deterministic budget, the hint's completion gets at most this share of it (deterministic
seconds: the same outcome on any machine, however loaded)."""
RUIN_STEPS_PER_S = 50
"""On a deterministic budget, ruin-and-recreate steps per deterministic second of its share (a
step count, not a clock, keeps the run reproducible; about what a busy team's week does a second)."""


class SolveParams(BaseModel):
    """How long and how hard to search."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    time_limit_s: float = Field(default=30.0, gt=0, description="wall-clock limit of the search")
    workers: int = Field(
        default=0,
        ge=0,
        description="CP-SAT search workers, and parallel cost-search chains where that search runs; 0 = one per core",
    )
    seed: int = Field(default=0, ge=0, description="random seed of the search")
    relative_gap: float = Field(default=0.0, ge=0, description="stop when (obj - bound) / obj is below")
    deterministic_time: float | None = Field(
        default=None,
        gt=0,
        description="budget in CP-SAT's deterministic seconds, LNS included: with workers=1 the same "
        "rota on any machine (benchmarks); time_limit_s still bounds the wall clock",
    )
    hint: bool = Field(default=True, description="warm-start from the greedy rota")
    granular: int | None = Field(
        default=None,
        ge=0,
        description="on a worker-day with more visits than this, keep only arcs to and from each "
        "visit's this-many most promising neighbours (plus the greedy's); 0 = every arc; None = "
        f"automatic: {AUTO_GRANULAR} a visit on worker-days of more than {AUTO_GRANULAR_ABOVE} visits "
        "(a model of a million arcs leaves the search no time), every arc elsewhere",
    )
    lns: bool = Field(default=True, description="after the main search, re-optimise one day at a time (day LNS)")
    covered_extra_s: float | None = Field(
        default=None,
        ge=0,
        description="once every coverable visit is covered, search at most this many seconds more "
        "(None: until the time limit); an organisation's teams stop early so the teams still "
        "short of cover get their time",
    )
    log_search: bool = Field(default=False, description="send CP-SAT's search log to logging (DEBUG)")

    def budget(self, clock: Clock = time.perf_counter) -> SolveBudget:
        """The solve's budget, starting now."""
        return SolveBudget.of(self.time_limit_s, self.deterministic_time, clock)

    def search_settings(self) -> SearchSettings:
        """What of these parameters reaches CP-SAT."""
        return SearchSettings(
            workers=self.workers,
            seed=self.seed,
            relative_gap=self.relative_gap,
            lns=self.lns,
            covered_extra_s=self.covered_extra_s,
            log_search=self.log_search,
        )


@dataclass
class SolveResult:
    """The solution plus what produced it (for callers who want more than the contract)."""

    solution: Solution
    report: ValidationReport
    problem: Problem
    solver_objective: int | None

    def summary(self) -> str:
        """One line: status, objective, bound and gap, visits covered, time and what found the rota."""
        return self.solution.summary()


def solve(
    instance: Instance,
    rules: RuleSet | None = None,
    params: SolveParams | None = None,
    on_progress: ProgressCallback | None = None,
) -> Solution:
    """Solve one week and return the rota in the contract format."""
    return solve_detailed(instance, rules, params, on_progress).solution


def solve_detailed(
    instance: Instance,
    rules: RuleSet | None = None,
    params: SolveParams | None = None,
    on_progress: ProgressCallback | None = None,
    reference: Reference | None = None,
) -> SolveResult:
    """Solve one week; with a ``reference`` rota (repair), stay close to it (rule ``stability``)
    and start from it."""
    rules = rules or default_rules()
    params = params or SolveParams()
    budget = params.budget()
    problem = compile_problem(instance, rules.resolution).attach(reference)
    frame_end = budget.wall.clock() + FRAME_SHARE * params.time_limit_s
    frame, unexamined = eligibility_until(problem, rules, lambda: budget.wall.clock() > frame_end)
    log.info(
        "frame: %d visits, %d workers, %d eligible pairs after %.1fs",
        len(problem.visits), len(problem.workers), sum(map(len, frame[0])), budget.elapsed(),
    )  # fmt: skip
    if unexamined:
        log.warning(
            "%d of %d visits not examined: the frame took %.0f%% of the time limit; they stay uncovered",
            len(unexamined), len(problem.visits), 100 * FRAME_SHARE,
        )  # fmt: skip
    past_limit = _past(budget)
    greedy = warm_start(problem, rules, frame, params, budget)

    def warm_start_as_rota() -> SolveResult:
        """The warm start handed on as the rota (no time, or no memory, for the model)."""
        raw = RawRota(dict(greedy.start), dict(greedy.crew), dict(greedy.held))
        solution, report = make_solution(
            problem, rules, frame, instance, "UNKNOWN", raw, "greedy", None, budget.elapsed(),
            unexamined=unexamined, stop=past_limit,
        )  # fmt: skip
        return SolveResult(solution, report, problem, None)

    log.info("warm start: %d of %d visits covered after %.1fs", len(greedy.crew), len(problem.visits), budget.elapsed())
    if budget.wall.left() < SEARCH_FLOOR * params.time_limit_s:
        log.warning(
            "%.1fs of the %gs limit left after the warm start: no time to build and search the model; "
            "the warm start is the rota",
            budget.wall.left(), params.time_limit_s,
        )  # fmt: skip
        return warm_start_as_rota()
    arc_filter, estimate = _arc_filter(params, greedy)
    log.info(
        "model estimate: at most %d arcs (%s)",
        estimate,
        "every arc"
        if arc_filter is None
        else f"{arc_filter.per_visit} neighbours a visit on worker-days "
        f"of more than {max(arc_filter.per_visit, arc_filter.above)} visits",
    )
    if estimate > MAX_ARCS * ARC_SLACK:
        log.warning(
            "the model would have about %d arcs (more than %d fit the memory a solve may take): "
            "the warm start is the rota; solve it in parts (a pool is split by default) or narrow it",
            estimate, MAX_ARCS * ARC_SLACK,
        )  # fmt: skip
        return warm_start_as_rota()
    ctx = build_model(problem, rules, frame, arc_filter)
    log.info(
        "model: %d visits, %d workers, %d eligible pairs, %d worker-days, %d arcs; greedy covers %d",
        len(problem.visits), len(problem.workers), len(ctx.x), len(ctx.worker_days),
        sum(len(wd.arcs) for wd in ctx.worker_days.values()), len(greedy.crew),
    )  # fmt: skip
    warm: list[int] | None = None
    if params.hint:
        add_hints(ctx, greedy.start, greedy.crew, greedy.held, greedy.routes)
        # A few seconds complete a week's hint; a model of a million arcs needs longer.
        limit = min(0.2 * params.time_limit_s, max(5.0, 0.1 * params.time_limit_s), max(0.1, budget.wall.left()))
        det = None if params.deterministic_time is None else HINT_SHARE * params.deterministic_time
        warm = complete_hint(ctx, limit, det)
    found = search(ctx, warm, budget, params.search_settings(), on_progress)
    bound = found.bound
    if bound is not None:
        bound = max(bound, floor_of(ctx, rules))
    solver_objective: int | None = None
    if found.values is not None:
        raw = read_rota(ctx, found.values)
        solver_objective = objective_of(ctx, found.values)
        found_by = "greedy" if found.from_warm else "cp-sat"  # the greedy rota, never improved
    else:  # no rota from the search: fall back to the greedy one, honestly labelled
        raw = RawRota(dict(greedy.start), dict(greedy.crew), dict(greedy.held))
        found_by = "greedy"
    solution, report = make_solution(
        problem, rules, frame, instance, found.status, raw, found_by, bound, budget.elapsed(),
        unexamined=unexamined, stop=past_limit,
    )  # fmt: skip
    if solver_objective is not None and len(solution.visits) == len(raw.crew):  # none left out
        solution.objective = solver_objective
        if report.objective != solver_objective:
            log.error("validator objective %s differs from the solver's %s", report.objective, solver_objective)
        solution.gap = gap(solver_objective, bound)
    return SolveResult(solution, report, problem, solver_objective)


def warm_start(
    problem: Problem,
    rules: RuleSet,
    frame: tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]],
    params: SolveParams,
    budget: SolveBudget,
) -> RouteBuilder:
    """The rota the search starts from: the reference rota's visits that still fit (repair), or
    the greedy rota improved by ruin and recreate. The team roles are chosen first, on their own
    costs, so the greedy knows whose week has role minutes in it."""
    eligible, domains = frame
    assigner = rules.role_assigner()
    chosen = assigner.choose(problem) if assigner is not None and assigner.eligible_pairs(problem) else {}
    if problem.reference:
        return from_reference(problem, rules, eligible, domains, chosen)
    greedy_end = budget.wall.clock() + GREEDY_SHARE * params.time_limit_s
    greedy = greedy_rota(
        problem,
        rules,
        eligible,
        domains,
        chosen,
        stop=lambda: budget.wall.clock() > greedy_end or budget.wall.left() <= 0,
    )
    if params.hint:
        _ruin_and_recreate(greedy, rules, params, budget)
    return greedy


def _arc_filter(params: SolveParams, greedy: RouteBuilder) -> tuple[ArcFilter | None, int]:
    """Granular circuits (``params.granular``), always keeping the warm start's arcs, and the
    model's estimated arcs. Automatic: every arc on worker-days of up to ``AUTO_GRANULAR_ABOVE``
    visits, ``AUTO_GRANULAR`` neighbours a visit above; if the estimate still passes ``MAX_ARCS``
    (memory), fewer neighbours on smaller days, down to ``MIN_GRANULAR``."""
    keep = frozenset(
        (w, u, v) for (w, _day), route in greedy.routes.items() for u, v in zip(route, route[1:], strict=False)
    )
    sizes = _worker_day_sizes(greedy.problem, greedy.eligible)
    if params.granular == 0:
        return None, estimated_arcs(sizes, None)
    if params.granular is not None:
        chosen = ArcFilter(params.granular, keep)
        return chosen, estimated_arcs(sizes, chosen)
    chosen = ArcFilter(AUTO_GRANULAR, keep, above=AUTO_GRANULAR_ABOVE)
    k = AUTO_GRANULAR
    while estimated_arcs(sizes, chosen) > MAX_ARCS and k > MIN_GRANULAR:
        k = max(MIN_GRANULAR, k * 2 // 3)
        chosen = ArcFilter(k, keep, above=2 * k)
    return chosen, estimated_arcs(sizes, chosen)


def _worker_day_sizes(problem: Problem, eligible: list[list[int]]) -> list[int]:
    """How many visits each worker could do on each day (by eligibility)."""
    counts: dict[tuple[int, int], int] = {}
    for v, workers in enumerate(eligible):
        day = problem.visits[v].day
        for w in workers:
            counts[(w, day)] = counts.get((w, day), 0) + 1
    return list(counts.values())


def estimated_arcs(sizes: list[int], arcs: ArcFilter | None) -> int:
    """An upper bound on a model's arcs from its worker-days' sizes: n visits make n^2 + n arcs
    (every order, and from and to home), or about 2k per visit where an :class:`ArcFilter`
    keeps k neighbours each way (time windows rule out many more: the model has fewer)."""
    total = 0
    for n in sizes:
        if arcs is not None and arcs.per_visit and n > max(arcs.per_visit, arcs.above):
            total += n * (2 * arcs.per_visit + 2)
        else:
            total += n * n + n
    return total


def _ruin_and_recreate(greedy: RouteBuilder, rules: RuleSet, params: SolveParams, budget: SolveBudget) -> None:
    """Cover what the greedy left uncovered, then, where the builder's cost is the objective and
    days are big, lower its cost (:mod:`~selforg_scheduler.search.ruin`); each within its share of the
    time limit, or of steps on a deterministic budget."""
    deadline, steps = budget.share(RUIN_SHARE, RUIN_STEPS_PER_S)
    ruin = cover_by_ruin(greedy, random.Random(params.seed), deadline=deadline, max_steps=steps)
    if ruin.steps:
        log.info(
            "ruin and recreate: %d steps (%d kept) in %.1fs, greedy covers %d -> %d",
            ruin.steps,
            ruin.accepted,
            budget.elapsed(),
            ruin.covered_before,
            ruin.covered_after,
        )
    if exact_proxy(rules, greedy.problem) and _busiest_worker_day(greedy.problem, greedy.eligible) > COST_RUIN_ABOVE:
        deadline, steps = budget.share(COST_RUIN_SHARE, RUIN_STEPS_PER_S)
        chains = min(MAX_CHAINS, params.workers or os.cpu_count() or 1)
        seeds = [params.seed + k for k in range(chains)]
        ruin = improve_in_chains(greedy, seeds, deadline=deadline, max_steps=steps)
        log.info(
            "ruin and recreate on cost, %d chains: %d steps (%d kept), done after %.1fs",
            chains,
            ruin.steps,
            ruin.accepted,
            budget.elapsed(),
        )


def _busiest_worker_day(problem: Problem, eligible: list[list[int]]) -> int:
    """The most visits one worker could do on one day (by eligibility)."""
    return max(_worker_day_sizes(problem, eligible), default=0)


def _past(budget: SolveBudget) -> Callable[[], bool]:
    """Whether the wall-clock limit has passed (reasons found after it are cut short)."""
    return lambda: budget.wall.left() <= 0


def floor_of(ctx: ModelContext, rules: RuleSet) -> float:
    """The rules' own lower bound on the objective (CP-SAT's LP bound is weak on these routing
    models): the smaller of two sums of the rules' floors, over rotas that cover every coverable
    visit and over rotas that do not (:meth:`Rule.floor`)."""
    kinds = []
    for covered in (True, False):
        floors = {rule.name: rule.floor(ctx, covered) for rule in rules.active()}
        shown = ", ".join(f"{name} {value:g}" for name, value in floors.items() if value)
        log.info("floors over rotas %s: %s", "covering all" if covered else "leaving some uncovered", shown or "0")
        kinds.append(sum(floors.values()))
    return float(min(kinds))
