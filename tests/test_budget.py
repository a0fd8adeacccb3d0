"""Budgets (``core/budget.py``) on a clock the test moves: what is left, what a CP-SAT call spends,
and the shares ruin and recreate gets."""

from __future__ import annotations

import pytest

from selforg_scheduler import SolveParams
from selforg_scheduler.core.budget import Budget, DeterministicTime, SolveBudget, WallClock


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_budget_is_a_budget() -> None:
    clock = Clock()
    for budget in (WallClock(110.0, clock), DeterministicTime(3.0), SolveBudget.of(10.0, None, clock)):
        assert isinstance(budget, Budget)


def test_the_wall_clock_runs_out_with_its_clock_and_can_be_cut_short() -> None:
    clock = Clock()
    wall = WallClock(110.0, clock)
    assert wall.left() == 10.0
    clock.now = 104.0
    assert wall.left() == 6.0
    wall.cap(2.0)  # end at most 2 s from now
    assert wall.left() == 2.0
    wall.cap(50.0)  # never later than it was
    assert wall.left() == 2.0


def test_a_solve_budget_without_deterministic_time_is_the_wall_clock() -> None:
    clock = Clock()
    budget = SolveBudget.of(30.0, None, clock)
    assert not budget.counts_deterministic
    budget.spend(5.0)  # deterministic seconds do not count here
    clock.now += 12.0
    assert budget.left() == 18.0
    assert budget.elapsed() == 12.0
    # ruin and recreate: a share of the whole limit from now, no step count
    assert budget.share(0.4, steps_per_s=50) == (clock.now + 12.0, None)


def test_a_deterministic_budget_counts_what_cp_sat_spends_and_gives_steps() -> None:
    clock = Clock()
    budget = SolveBudget.of(30.0, 4.0, clock)
    assert budget.counts_deterministic
    assert budget.share(0.5, steps_per_s=50) == (clock.now + 15.0, 100)  # 50 steps a second of 2 s
    budget.spend(1.5)
    assert budget.left() == 2.5
    clock.now += 29.0  # the wall clock still bounds it
    assert budget.left() == pytest.approx(1.0)


def test_solve_params_make_the_budget_and_the_search_settings() -> None:
    clock = Clock()
    params = SolveParams(time_limit_s=20, deterministic_time=7, workers=1, seed=3, lns=False)
    budget = params.budget(clock)
    assert (budget.wall.deadline, budget.deterministic) == (120.0, DeterministicTime(7.0))
    settings = params.search_settings()
    assert (settings.workers, settings.seed, settings.lns) == (1, 3, False)
