"""Solve a week: build the model, warm-start it with the greedy rota, run CP-SAT, read the rota.

The data flows one way: instance + rules -> :class:`Problem` -> model -> CP-SAT -> :class:`Solution`
-> validator. The returned solution's penalties and KPIs are the validator's; its objective is
CP-SAT's, and the two agree (a mismatch is logged as an error and caught by the tests).
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_sha256
from selforg_scheduler.contract.solution import (
    AssignedVisit,
    InstanceRef,
    RoleAssignment,
    Solution,
    Status,
    UnassignedVisit,
    UnfilledRole,
)
from selforg_scheduler.core.problem import Interval, Problem, Reference, compile_problem
from selforg_scheduler.core.role_facts import held_from
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.cpsat.lns import Budget, Incumbent, lns_improve
from selforg_scheduler.cpsat.model import ArcFilter, add_hints, build_model
from selforg_scheduler.pipeline.annotate import annotate
from selforg_scheduler.pipeline.reasons import builder_from_rota, unassigned_reasons
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.rules.validator import ValidationReport, evaluate
from selforg_scheduler.search.builder import RouteBuilder
from selforg_scheduler.search.greedy import from_reference, greedy_rota
from selforg_scheduler.search.ruin import cover_by_ruin, exact_proxy, improve_in_chains

log = logging.getLogger(__name__)

WATCHDOG_SLACK = 1.2
"""The watchdog stops a search that overruns its time limit by more than 20 %."""
MAIN_SHARE = 0.05
"""Share of the time left after the warm start that the main search gets when LNS follows: on a
real week it rarely improves the completed hint (every LNS step does), on a small one it proves
optimality within ``MAIN_FLOOR_S``."""
MAIN_FLOOR_S = 1.0
AUTO_GRANULAR, AUTO_GRANULAR_ABOVE = 25, 120
"""Granular circuits by default: on a worker-day of more than 120 possible visits (a benchmark's
whole-day carers: 300 visits a day make 1.3 million arcs), 25 neighbours a visit; team weeks have
far fewer visits a worker-day and keep every arc."""
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
RUIN_STEPS_PER_S = 50
"""On a deterministic budget, ruin-and-recreate steps per deterministic second of its share (a
step count, not a clock, keeps the run reproducible; about what a busy team's week does a second)."""
LNS_STEP_S = 2.0
"""Wall seconds of one LNS step."""
LNS_STEP_DETERMINISTIC = 1.0
"""Deterministic seconds of one LNS step when the budget is deterministic."""


class SolveParams(BaseModel):
    """How long and how hard to search."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    time_limit_s: float = Field(default=30.0, gt=0, description="wall-clock limit of the search")
    workers: int = Field(
        default=0,
        ge=0,
        description="CP-SAT search workers, and parallel cost-search chains where that search runs; "
        "0 = one per core",
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
    lns: bool = Field(
        default=True, description="after the main search, re-optimise one day at a time (day LNS)"
    )
    covered_extra_s: float | None = Field(
        default=None,
        ge=0,
        description="once every coverable visit is covered, search at most this many seconds more "
        "(None: until the time limit); an organisation's teams stop early so the teams still "
        "short of cover get their time",
    )
    log_search: bool = Field(default=False, description="send CP-SAT's search log to logging (DEBUG)")


@dataclass(frozen=True, slots=True)
class Progress:
    """A new best rota during the search."""

    objective: float
    bound: float
    wall_s: float


ProgressCallback = Callable[[Progress], None]


class _Watch(cp_model.CpSolverSolutionCallback):
    def __init__(self, on_progress: ProgressCallback | None) -> None:
        super().__init__()
        self.on_progress = on_progress
        self.found = 0

    def on_solution_callback(self) -> None:
        self.found += 1
        if self.on_progress is not None:
            self.on_progress(Progress(self.objective_value, self.best_objective_bound, self.wall_time))


@dataclass
class SolveResult:
    """The solution plus what produced it (for callers who want more than the contract)."""

    solution: Solution
    report: ValidationReport
    problem: Problem
    solver_objective: int | None


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
    t0 = time.perf_counter()
    problem = compile_problem(instance, rules.resolution).attach(reference)
    eligible, domains = eligibility(problem, rules)
    # Roles first, on their own costs, so the greedy knows whose week has role minutes in it.
    assigner = rules.role_assigner()
    chosen = assigner.choose(problem) if assigner is not None and assigner.eligible_pairs(problem) else {}
    if problem.reference:
        greedy = from_reference(problem, rules, eligible, domains, chosen)
    else:
        greedy = greedy_rota(problem, rules, eligible, domains, chosen)
        if params.hint:
            _ruin_and_recreate(greedy, rules, params, t0)
    arcs = None
    if params.granular != 0:
        keep = frozenset(
            (w, u, v) for (w, _day), route in greedy.routes.items() for u, v in zip(route, route[1:], strict=False)
        )
        if params.granular is None:
            arcs = ArcFilter(AUTO_GRANULAR, keep, above=AUTO_GRANULAR_ABOVE)
        else:
            arcs = ArcFilter(params.granular, keep)
    ctx = build_model(problem, rules, (eligible, domains), arcs)
    log.info(
        "model: %d visits, %d workers, %d eligible pairs, %d worker-days, %d arcs; greedy covers %d",
        len(problem.visits),
        len(problem.workers),
        len(ctx.x),
        len(ctx.worker_days),
        sum(len(wd.arcs) for wd in ctx.worker_days.values()),
        len(greedy.crew),
    )
    warm: list[int] | None = None
    if params.hint:
        add_hints(ctx, greedy.start, greedy.crew, greedy.held, greedy.routes)
        # A few seconds complete a week's hint; a model of a million arcs needs longer.
        warm = _complete_hint(ctx, min(0.2 * params.time_limit_s, max(5.0, 0.1 * params.time_limit_s)))
    deadline = t0 + params.time_limit_s
    # Wall-clock always bounds the search; a deterministic budget, when given, bounds it too and
    # makes the run do the same work on any machine (LNS included).
    budget = Budget(deadline, params.deterministic_time)
    remaining = max(0.1, budget.left())
    lns_on = params.lns
    main_limit = min(remaining, max(MAIN_FLOOR_S, remaining * MAIN_SHARE)) if lns_on else remaining
    if warm is None:
        # No complete rota to start LNS from: the main search must find one, so it gets half.
        main_limit = max(main_limit, 0.5 * remaining)

    def configure(solver: cp_model.CpSolver, limit: float) -> None:
        """``limit`` is wall seconds, or deterministic seconds when the budget counts those."""
        sp = solver.parameters
        if budget.deterministic is None:
            sp.max_time_in_seconds = limit
        else:
            sp.max_deterministic_time = limit
            sp.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
        if params.workers:
            sp.num_search_workers = params.workers
        sp.random_seed = params.seed
        sp.relative_gap_limit = params.relative_gap
        # Probing dominates presolve on these models (seconds, for little gain): keep it light.
        sp.max_presolve_iterations = 1
        sp.cp_model_probing_level = 0
        if params.log_search:
            sp.log_search_progress = True
            sp.log_to_stdout = False
            solver.log_callback = lambda line: log.debug("cp-sat: %s", line)

    solver = cp_model.CpSolver()
    configure(solver, main_limit)
    watch = _Watch(on_progress)
    code = _run(solver, ctx.model, watch)
    budget.spend(solver)
    status: Status = solver.status_name(code)  # type: ignore[assignment]
    log.info("cp-sat %s after %.1fs, %d improving solutions", status, time.perf_counter() - t0, watch.found)
    values: list[int] | None = None
    bound: float | None = None
    from_warm = False
    if status in ("OPTIMAL", "FEASIBLE"):
        values = list(solver.response_proto.solution)
        bound = float(solver.best_objective_bound)
    elif status == "UNKNOWN" and warm is not None:
        # The main search found nothing in its share of time (it happens on busy weeks), but the
        # completed greedy hint is a full rota of the model: improve it with LNS from there.
        log.info("cp-sat found no rota of its own; LNS starts from the completed greedy hint")
        values, status, from_warm = warm, "FEASIBLE", True
        bound = float(solver.best_objective_bound)
    if values is not None and status == "FEASIBLE" and lns_on:
        main_bound = bound if bound is not None else float("-inf")

        def improved(inc: Incumbent) -> None:
            if on_progress is not None:
                on_progress(Progress(inc.objective, main_bound, time.perf_counter() - t0))

        def step(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
            step_solver = cp_model.CpSolver()
            configure(step_solver, limit)
            _run(step_solver, model)
            return step_solver

        start_obj = _objective_of(ctx, values)
        incumbent, steps = lns_improve(
            ctx, Incumbent(values, start_obj), budget, step, on_improve=improved, seed=params.seed,
            step_s=LNS_STEP_S if budget.deterministic is None else LNS_STEP_DETERMINISTIC,
            covered_extra_s=params.covered_extra_s,
        )
        log.info("lns: %d steps, objective %d -> %d", steps, start_obj, incumbent.objective)
        values = incumbent.values
        from_warm = from_warm and incumbent.objective == start_obj
    if bound is None and status not in ("INFEASIBLE", "MODEL_INVALID"):
        bound = float(solver.best_objective_bound)
    if bound is not None and not math.isfinite(bound):
        bound = None
    if bound is not None:
        # CP-SAT's LP bound is weak on these routing models; the rules' floors are always valid.
        bound = max(bound, float(sum(rule.floor(ctx) for rule in rules.active())))
    wall = time.perf_counter() - t0

    solver_objective: int | None = None
    if values is not None:
        raw = _read_rota(ctx, values)
        solver_objective = _objective_of(ctx, values)
        found_by = "greedy" if from_warm else "cp-sat"  # the greedy rota, never improved
    else:  # no rota from the search: fall back to the greedy one, honestly labelled
        raw = RawRota(dict(greedy.start), dict(greedy.crew), dict(greedy.held))
        found_by = "greedy"
    solution, report = make_solution(problem, rules, (ctx.eligible, ctx.domains), instance, status, raw, found_by, bound, wall)
    if solver_objective is not None:
        solution.objective = solver_objective
        if report.objective != solver_objective:
            log.error(
                "validator objective %s differs from the solver's %s", report.objective, solver_objective
            )
        solution.gap = _gap(solver_objective, bound)
    return SolveResult(solution, report, problem, solver_objective)


def _ruin_and_recreate(greedy: RouteBuilder, rules: RuleSet, params: SolveParams, t0: float) -> None:
    """Cover what the greedy left uncovered, then, where the builder's cost is the objective and
    days are big, lower its cost (:mod:`~selforg_scheduler.search.ruin`); each within its share of the
    time limit, or of steps on a deterministic budget."""

    def budget(share: float) -> tuple[float, int | None]:
        steps = None if params.deterministic_time is None else int(RUIN_STEPS_PER_S * share * params.deterministic_time)
        return time.perf_counter() + share * params.time_limit_s, steps

    deadline, steps = budget(RUIN_SHARE)
    ruin = cover_by_ruin(greedy, random.Random(params.seed), deadline=deadline, max_steps=steps)
    if ruin.steps:
        log.info(
            "ruin and recreate: %d steps (%d kept) in %.1fs, greedy covers %d -> %d",
            ruin.steps, ruin.accepted, time.perf_counter() - t0, ruin.covered_before, ruin.covered_after,
        )
    if exact_proxy(rules, greedy.problem) and _busiest_worker_day(greedy.problem, greedy.eligible) > COST_RUIN_ABOVE:
        deadline, steps = budget(COST_RUIN_SHARE)
        chains = min(MAX_CHAINS, params.workers or os.cpu_count() or 1)
        seeds = [params.seed + k for k in range(chains)]
        ruin = improve_in_chains(greedy, seeds, deadline=deadline, max_steps=steps)
        log.info(
            "ruin and recreate on cost, %d chains: %d steps (%d kept), done after %.1fs",
            chains, ruin.steps, ruin.accepted, time.perf_counter() - t0,
        )


def _busiest_worker_day(problem: Problem, eligible: list[list[int]]) -> int:
    """The most visits one worker could do on one day (by eligibility)."""
    counts: dict[tuple[int, int], int] = {}
    for v, workers in enumerate(eligible):
        day = problem.visits[v].day
        for w in workers:
            counts[(w, day)] = counts.get((w, day), 0) + 1
    return max(counts.values(), default=0)


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return round(abs(objective - bound) / max(1.0, abs(objective)), 6)


def _run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> cp_model.CpSolverStatus:
    """Solve under a watchdog that stops the search if it overruns its wall limit by 20 %."""
    limit_s = solver.parameters.max_time_in_seconds
    watchdog = threading.Timer(limit_s * WATCHDOG_SLACK, solver.stop_search)
    watchdog.daemon = True
    watchdog.start()
    try:
        return solver.solve(model, callback)
    finally:
        watchdog.cancel()


def _objective_of(ctx: ModelContext, values: list[int]) -> int:
    """The objective of a full assignment (proto index -> value), from the model's own terms."""
    objective = ctx.model.proto.objective
    total = sum(c * values[i] for i, c in zip(objective.vars, objective.coeffs, strict=True))
    return int(round((total + objective.offset) * (objective.scaling_factor or 1)))


@dataclass
class RawRota:
    """A rota as the solver or the greedy leaves it: starts, crews and role holders, by index."""

    start: dict[int, int]
    crew: dict[int, tuple[int, ...]]
    held: dict[int, tuple[int, ...]]


def _read_rota(ctx: ModelContext, values: list[int]) -> RawRota:
    start: dict[int, int] = {}
    crew: dict[int, tuple[int, ...]] = {}
    for v, ws in enumerate(ctx.eligible):
        if ws and values[ctx.covered[v].index]:
            start[v] = values[ctx.start[v].index]
            crew[v] = tuple(w for w in ws if values[ctx.x[(v, w)].index])
    return RawRota(start, crew, held_from(pair for pair, var in ctx.holds.items() if values[var.index]))


def make_solution(
    problem: Problem,
    rules: RuleSet,
    eligible: tuple[list[list[int]], dict[tuple[int, int], tuple[Interval, ...]]],
    instance: Instance,
    status: Status,
    rota: RawRota,
    found_by: str,
    bound: float | None,
    wall: float,
) -> tuple[Solution, ValidationReport]:
    """The contract solution of a rota: reasons for its uncovered visits (``eligible`` = workers
    and start domains per visit, as :func:`~selforg_scheduler.cpsat.model.eligibility` gives), its
    costs and KPIs as the validator recomputes them."""
    start, crew = rota.start, rota.crew
    missing = [v for v in range(len(problem.visits)) if v not in crew]
    builder = builder_from_rota(problem, rules, *eligible, start, crew, rota.held)
    reasons = unassigned_reasons(builder, missing)
    week = problem.origin.date()
    assigner = rules.role_assigner()
    solution = Solution(
        instance=InstanceRef(team=instance.team.id, sha256=instance_sha256(instance)),
        status=status,
        bound=bound,
        wall_s=round(wall, 3),
        visits=[
            AssignedVisit(
                visit=problem.visits[v].id,
                start=problem.time_of(start[v]),
                workers=[problem.workers[w].id for w in crew[v]],
            )
            for v in sorted(crew, key=lambda u: (start[u], u))
        ],
        unassigned=[UnassignedVisit(visit=problem.visits[v].id, reason=reasons[v]) for v in missing],
        roles=[
            RoleAssignment(week_start=week, role=problem.roles[r].id, worker=problem.workers[w].id)
            for w, roles in sorted(rota.held.items())
            for r in roles
        ],
        unfilled_roles=[
            UnfilledRole(role=role, missing=missing_n, reason=reason)
            for role, missing_n, reason in (
                assigner.unfilled(problem, rota.held) if assigner is not None else []
            )
        ],
        found_by=found_by,  # type: ignore[arg-type]
    )
    annotate(problem, rules, solution)
    report = evaluate(problem, rules, solution)
    solution.penalties = dict(report.penalties)
    solution.kpis = dict(report.kpis)
    if found_by == "greedy":
        solution.objective = report.objective
        solution.gap = _gap(report.objective, bound)
    for violation in report.violations:
        log.warning("rota breaks %s", violation)
    return solution, report


# --- warm start ---------------------------------------------------------------------------------


def _complete_hint(ctx: ModelContext, limit_s: float) -> list[int] | None:
    """Complete the hint (auxiliary variables too) by a quick solve with the hinted values fixed;
    returns the completed assignment (a full rota of the model), or None if it could not be."""
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = limit_s
    solver.parameters.num_search_workers = 1
    code = solver.solve(ctx.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        log.warning("greedy hint could not be completed (%s); kept as a partial hint", solver.status_name(code))
        return None
    values = list(solver.response_proto.solution)
    model = ctx.model
    model.clear_hints()
    for index, value in enumerate(values):
        model.add_hint(model.get_int_var_from_proto_index(index), value)
    return values
