"""Run CP-SAT on a week's model: complete the warm start, search within the budget under a
watchdog, then improve with the large-neighbourhood search, and read the rota back.

:func:`search` is the CP-SAT stage of the solve pipeline (:mod:`selforg_scheduler.pipeline.solve`).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from selforg_scheduler.contract.solution import Status
from selforg_scheduler.core.budget import SolveBudget
from selforg_scheduler.core.interrupt import quiet_solver, watching
from selforg_scheduler.core.role_facts import held_from
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.cpsat.lns import Incumbent, lns_improve

log = logging.getLogger(__name__)

WATCHDOG_SLACK = 1.2
"""The watchdog stops a search that overruns its time limit by more than 20 %."""
MAIN_SHARE = 0.05
"""Share of the time left after the warm start that the main search gets when LNS follows: on a
real week it rarely improves the completed hint (every LNS step does), on a small one it proves
optimality within ``MAIN_FLOOR_S``."""
MAIN_FLOOR_S = 1.0
LNS_STEP_S = 2.0
"""Wall seconds of one LNS step."""
LNS_STEP_DETERMINISTIC = 1.0
"""Deterministic seconds of one LNS step when the budget is deterministic."""


@dataclass(frozen=True, slots=True)
class Progress:
    """A new best rota during the search."""

    objective: float
    bound: float
    wall_s: float


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class SearchSettings:
    """How CP-SAT searches (the solve's parameters that reach the solver)."""

    workers: int = 0
    """Search workers; 0 = one per core."""
    seed: int = 0
    relative_gap: float = 0.0
    lns: bool = True
    covered_extra_s: float | None = None
    log_search: bool = False

    def configure(self, solver: cp_model.CpSolver, limit: float, budget: SolveBudget) -> None:
        """``limit`` is wall seconds, or deterministic seconds when the budget counts those."""
        sp = solver.parameters
        if not budget.counts_deterministic:
            sp.max_time_in_seconds = limit
        else:
            sp.max_deterministic_time = limit
            sp.max_time_in_seconds = max(0.1, budget.wall.left())
        if self.workers:
            sp.num_search_workers = self.workers
        sp.random_seed = self.seed
        sp.relative_gap_limit = self.relative_gap
        # Probing dominates presolve on these models (seconds, for little gain): keep it light.
        sp.max_presolve_iterations = 1
        sp.cp_model_probing_level = 0
        if self.log_search:
            sp.log_search_progress = True
            sp.log_to_stdout = False
            solver.log_callback = lambda line: log.debug("cp-sat: %s", line)


@dataclass
class SearchOutcome:
    """What the CP-SAT stage found: a full assignment (proto index -> value) or none, its status,
    the bound, and whether it is the completed warm start never improved."""

    values: list[int] | None
    status: Status
    bound: float | None
    from_warm: bool


class _Watch(cp_model.CpSolverSolutionCallback):
    def __init__(self, on_progress: ProgressCallback | None) -> None:
        super().__init__()
        self.on_progress = on_progress
        self.found = 0

    def on_solution_callback(self) -> None:
        self.found += 1
        if self.on_progress is not None:
            self.on_progress(Progress(self.objective_value, self.best_objective_bound, self.wall_time))


def search(
    ctx: ModelContext,
    warm: list[int] | None,
    budget: SolveBudget,
    settings: SearchSettings,
    on_progress: ProgressCallback | None = None,
) -> SearchOutcome:
    """The main CP-SAT search (a short share of the budget when LNS follows), then LNS from its
    rota, or from the completed warm start ``warm`` when the main search found none."""
    remaining = max(0.1, budget.left())
    main_limit = min(remaining, max(MAIN_FLOOR_S, remaining * MAIN_SHARE)) if settings.lns else remaining
    if warm is None:
        # No complete rota to start LNS from: the main search must find one, so it gets half.
        main_limit = max(main_limit, 0.5 * remaining)
    solver = quiet_solver(cp_model.CpSolver())
    settings.configure(solver, main_limit, budget)
    watch = _Watch(on_progress)
    code = run_watched(solver, ctx.model, watch)
    budget.spend(solver.deterministic_time)
    status: Status = solver.status_name(code)  # type: ignore[assignment]
    log.info("cp-sat %s after %.1fs, %d improving solutions", status, budget.elapsed(), watch.found)
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
    if values is not None and status == "FEASIBLE" and settings.lns:
        values, from_warm = _improve(ctx, values, from_warm, bound, budget, settings, on_progress)
    if bound is None and status not in ("INFEASIBLE", "MODEL_INVALID"):
        bound = float(solver.best_objective_bound)
    if bound is not None and not math.isfinite(bound):
        bound = None
    return SearchOutcome(values, status, bound, from_warm)


def _improve(
    ctx: ModelContext,
    values: list[int],
    from_warm: bool,
    bound: float | None,
    budget: SolveBudget,
    settings: SearchSettings,
    on_progress: ProgressCallback | None,
) -> tuple[list[int], bool]:
    """LNS from ``values``: the best assignment found, and whether it is still the warm start."""
    main_bound = bound if bound is not None else float("-inf")

    def improved(inc: Incumbent) -> None:
        if on_progress is not None:
            on_progress(Progress(inc.objective, main_bound, budget.elapsed()))

    def step(model: cp_model.CpModel, limit: float) -> cp_model.CpSolver:
        step_solver = quiet_solver(cp_model.CpSolver())
        settings.configure(step_solver, limit, budget)
        run_watched(step_solver, model)
        return step_solver

    start_obj = objective_of(ctx, values)
    incumbent, steps = lns_improve(
        ctx, Incumbent(values, start_obj), budget, step, on_improve=improved, seed=settings.seed,
        step_s=LNS_STEP_DETERMINISTIC if budget.counts_deterministic else LNS_STEP_S,
        covered_extra_s=settings.covered_extra_s,
    )  # fmt: skip
    log.info("lns: %d steps, objective %d -> %d", steps, start_obj, incumbent.objective)
    return incumbent.values, from_warm and incumbent.objective == start_obj


def run_watched(
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
        with watching(solver):
            return solver.solve(model, callback)
    finally:
        watchdog.cancel()


def objective_of(ctx: ModelContext, values: list[int]) -> int:
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


def read_rota(ctx: ModelContext, values: list[int]) -> RawRota:
    """The rota of a full assignment."""
    start: dict[int, int] = {}
    crew: dict[int, tuple[int, ...]] = {}
    for v, ws in enumerate(ctx.eligible):
        if ws and values[ctx.covered[v].index]:
            start[v] = values[ctx.start[v].index]
            crew[v] = tuple(w for w in ws if values[ctx.x[(v, w)].index])
    return RawRota(start, crew, held_from(pair for pair, var in ctx.holds.items() if values[var.index]))


def complete_hint(ctx: ModelContext, limit_s: float, deterministic_s: float | None = None) -> list[int] | None:
    """Complete the hint (auxiliary variables too) by a quick solve with the hinted values fixed;
    returns the completed assignment (a full rota of the model), or None if it could not be.
    ``deterministic_s`` (a deterministic budget) also bounds it in deterministic seconds, so it
    succeeds or fails alike however long the wall-clock limit."""
    solver = quiet_solver(cp_model.CpSolver())
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.max_time_in_seconds = limit_s
    if deterministic_s is not None:
        solver.parameters.max_deterministic_time = deterministic_s
    solver.parameters.num_search_workers = 1
    with watching(solver):
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
