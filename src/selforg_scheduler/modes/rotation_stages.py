"""Lexicographic optimisation of a role plan's CP-SAT model (``rotation_model.py``) by stages.

Each stage is solved, hinted with the last solution, and its result fixed before the next.
Deterministic with one search worker: a fixed seed and a deterministic-time budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.core.interrupt import quiet_solver

if TYPE_CHECKING:
    from selforg_scheduler.modes.rotation import RotationParams

MIN_STAGE_S = 0.5
"""Smallest deterministic-time budget a stage gets, even when the total is spent."""


class Stages:
    """Lexicographic optimisation by stages: each stage is solved, hinted with the last solution,
    and its result fixed before the next. Deterministic with one search worker: a fixed seed and a
    deterministic-time budget (``time_limit_s`` in all; each stage gets at least MIN_STAGE_S)."""

    def __init__(self, model: cp_model.CpModel, params: RotationParams) -> None:
        self.model, self.params = model, params
        self.solution: list[int] = []
        self.budget = params.time_limit_s

    def _solve(self, model: cp_model.CpModel) -> cp_model.CpSolverStatus:
        solver = quiet_solver(cp_model.CpSolver())
        sp = solver.parameters
        sp.num_search_workers = self.params.workers
        sp.random_seed = self.params.seed
        sp.max_deterministic_time = max(MIN_STAGE_S, self.budget)
        if self.solution:
            model.clear_hints()
            for index, value in enumerate(self.solution):
                model.add_hint(model.get_int_var_from_proto_index(index), value)
        code = solver.solve(model)
        self.budget = max(0.0, self.budget - solver.deterministic_time)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.solution = list(solver.response_proto.solution)[: len(self.model.proto.variables)]
        elif not self.solution:
            raise InputError(f"no role plan found ({solver.status_name(code)})")
        return code

    def value(self, var: cp_model.IntVar | int) -> int:
        return var if isinstance(var, int) else self.solution[var.index]

    def minimize(self, expr: cp_model.IntVar | int) -> str:
        """Minimise ``expr`` and fix it at the value found; the stage's status."""
        if isinstance(expr, int):
            return "OPTIMAL"
        self.model.minimize(expr)
        code = self._solve(self.model)
        self.model.clear_objective()
        self.model.add(expr <= self.value(expr))
        return "OPTIMAL" if code == cp_model.OPTIMAL else "FEASIBLE"

    def first_feasible(
        self,
        expr: cp_model.IntVar | int,
        lower: int,
        implied: Callable[[cp_model.CpModel, int], None],
        then: cp_model.IntVar | int = 0,
    ) -> int:
        """Fix ``expr`` at the smallest value from ``lower`` up that a plan reaches, trying each in
        turn (``implied(model, target)`` adds constraints implied by ``expr <= target``; each trial
        minimises ``then``). Returns the proven lower bound: the value itself when every smaller one
        is proven infeasible.

        The trials share one scratch model, refilled from the main model before each (the same
        proto a fresh clone would have), rather than a clone per trial."""
        if isinstance(expr, int):
            return expr
        current = self.value(expr)
        trial: cp_model.CpModel | None = None
        for target in range(lower, current + 1):
            if target == current:
                break
            trial = _refill(trial, self.model)
            trial.add(expr <= target)
            implied(trial, target)
            if not isinstance(then, int):
                trial.minimize(then)
            code = self._solve(trial)
            if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                current = target
                break
            if code != cp_model.INFEASIBLE:  # out of budget: keep the best found; bound = target
                self.model.add(expr <= current)
                implied(self.model, current)
                return target
        self.model.add(expr <= current)
        implied(self.model, current)
        return current


def _refill(scratch: cp_model.CpModel | None, model: cp_model.CpModel) -> cp_model.CpModel:
    """``scratch`` made a copy of ``model`` (as ``model.clone()`` does), created on first use."""
    if scratch is None:
        scratch = cp_model.CpModel()
    scratch.proto.copy_from(model.proto)
    scratch.rebuild_constant_map()
    return scratch
