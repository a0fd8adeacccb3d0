"""Budgets: what a search may still spend, in wall-clock seconds or CP-SAT's deterministic
seconds (PyVRP's stopping criteria, as a :class:`Budget` protocol), and the step counts our own
searches get on a deterministic budget.

A wall-clock budget bounds every run; a deterministic one, given too, makes a run do the same work
on any machine (CP-SAT counts deterministic seconds, ruin and recreate counts steps:
:meth:`SolveBudget.share`), which is what a reproducible run or a test needs. The clock is a
parameter, so a test can stand it still.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from selforg_scheduler.core.interrupt import requested

Clock = Callable[[], float]


@runtime_checkable
class Budget(Protocol):
    """What a search may still spend, in the budget's own unit of seconds."""

    def left(self) -> float:
        """What is left (0 or less: spent)."""
        ...

    def spend(self, deterministic_s: float = 0.0) -> None:
        """Record what a CP-SAT call used (its deterministic seconds)."""
        ...


@dataclass
class WallClock:
    """Wall-clock seconds until ``deadline`` on ``clock``."""

    deadline: float
    clock: Clock = time.perf_counter

    def left(self) -> float:
        """Seconds to the deadline; none once a stop is requested (SIGINT, SIGTERM)."""
        if requested():
            return min(0.0, self.deadline - self.clock())
        return self.deadline - self.clock()

    def spend(self, deterministic_s: float = 0.0) -> None:
        """The clock spends itself."""

    def cap(self, seconds: float) -> None:
        """End at most ``seconds`` from now."""
        self.deadline = min(self.deadline, self.clock() + seconds)


@dataclass
class DeterministicTime:
    """CP-SAT deterministic seconds: the same work on any machine."""

    seconds: float

    def left(self) -> float:
        return self.seconds

    def spend(self, deterministic_s: float = 0.0) -> None:
        self.seconds -= deterministic_s


@dataclass
class SolveBudget:
    """A solve's budget: the wall clock always, CP-SAT deterministic seconds when asked for.

    :meth:`left` is what the next CP-SAT call may get, in the unit it is limited in
    (deterministic seconds when those are counted, else wall seconds, and never past the wall
    clock); :meth:`share` turns a fraction of the budget into a search's deadline and, on a
    deterministic budget, its step count (``steps_per_s`` steps a deterministic second)."""

    wall: WallClock
    deterministic: DeterministicTime | None = None
    limit_s: float = 0.0
    """The whole wall-clock limit (shares are fractions of it)."""
    started: float = 0.0
    """When the solve started, on the budget's clock."""

    @classmethod
    def of(cls, limit_s: float, deterministic_s: float | None = None, clock: Clock = time.perf_counter) -> SolveBudget:
        """A budget of ``limit_s`` wall seconds from now (and ``deterministic_s``, if given)."""
        now = clock()
        det = DeterministicTime(deterministic_s) if deterministic_s is not None else None
        return cls(WallClock(now + limit_s, clock), det, limit_s, now)

    def elapsed(self) -> float:
        """Wall seconds since the solve started."""
        return self.wall.clock() - self.started

    @property
    def counts_deterministic(self) -> bool:
        return self.deterministic is not None

    def left(self) -> float:
        wall = self.wall.left()
        return wall if self.deterministic is None else min(wall, self.deterministic.left())

    def spend(self, deterministic_s: float = 0.0) -> None:
        if self.deterministic is not None:
            self.deterministic.spend(deterministic_s)

    def share(self, fraction: float, steps_per_s: float) -> tuple[float, int | None]:
        """(deadline, steps or None) for a search that may spend ``fraction`` of the budget (never
        past the wall clock's deadline)."""
        deadline = min(self.wall.deadline, self.wall.clock() + fraction * self.limit_s)
        if self.deterministic is None:
            return deadline, None
        return deadline, int(steps_per_s * fraction * self.deterministic.seconds)
