"""The interface every rule module implements, and the registry that names them.

A rule has four faces, all under one name: typed YAML parameters (``Params``), solver constraints
and penalty terms (``build``), a solver-free check of any rota (``check``) and a docs entry. A rule
may also prune (visit, worker) pairs before any variable exists (``allows``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import LinearExprT

    from selforg_scheduler.cpsat.model import ModelContext
    from selforg_scheduler.core.problem import Interval, Problem
    from selforg_scheduler.core.rota import Rota
    from selforg_scheduler.core.workday import RouteState


ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, quoted in YAML")]


def clock_minutes(hhmm: str) -> int:
    """Minutes after midnight of an ``HH:MM`` clock time."""
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class RuleParams(BaseModel):
    """Parameters every rule has. Subclasses add their own knobs; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = Field(default=True, description="switch the rule off with false")


P = TypeVar("P", bound=RuleParams)


@dataclass(frozen=True, slots=True)
class Penalty:
    """One weighted term of the objective: ``weight * expr``, owed to ``rule`` by ``subject``."""

    rule: str
    weight: int
    expr: LinearExprT
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken hard rule, found by the validator."""

    rule: str
    message: str
    severity: Literal["hard", "soft"] = "hard"

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@dataclass
class RuleCheck:
    """What a rule's ``check`` found in a rota: violations, and the cost it charges per subject."""

    violations: list[Violation] = field(default_factory=list)
    cost_by_subject: dict[str, float] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        return sum(self.cost_by_subject.values())

    def charge(self, subject: str, amount: float) -> None:
        if amount:
            self.cost_by_subject[subject] = self.cost_by_subject.get(subject, 0) + amount


class Rule(Generic[P]):
    """Base of every rule. Subclasses set ``name``, ``summary`` and ``Params``."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[RuleParams]] = RuleParams
    order: ClassVar[int] = 100
    """Position in YAML, docs and reports (lower first)."""
    any_resolution: ClassVar[bool] = False
    """Whether the rule works in ticks finer than a minute (rule sets with ``resolution`` > 1)."""

    def __init__(self, params: P) -> None:
        self.params: P = params

    def resolution_problem(self, resolution: int) -> str | None:
        """Why this rule cannot run with ``resolution`` ticks per minute (None when it can)."""
        if resolution == 1 or self.any_resolution:
            return None
        return "works in whole minutes: switch it off (enabled: false) or use resolution: 1"

    def allows(self, problem: Problem, visit: int, worker: int) -> bool:
        """Whether the worker may do the visit at all (pairs that fail get no variable)."""
        return True

    def starts(self, problem: Problem, visit: int, worker: int, allowed: tuple[Interval, ...]) -> tuple[Interval, ...]:
        """Narrow the starts (closed minute ranges) at which the worker may begin the visit."""
        return allowed

    def crew_problem(self, problem: Problem, visit: int, crew: tuple[int, ...]) -> str | None:
        """Why this crew may not do the visit together (None when it may). For the greedy/reasons."""
        return None

    def week_problem(self, rota: RouteState, worker: int, day: int) -> str | None:
        """Why the worker's week breaks this rule after a change to ``day`` (None when it does not).

        The greedy asks this after each tentative insertion; it must agree with ``check``.
        """
        return None

    def kpis(self, rota: Rota) -> dict[str, Any]:
        """This rule's key figures of a rota (added to the solution's ``kpis``)."""
        return {}

    def build(self, m: ModelContext) -> list[Penalty]:
        """Add this rule's constraints to the model and return its penalty terms."""
        return []

    def check(self, rota: Rota) -> RuleCheck:
        """Check a rota without the solver: hard violations and this rule's cost."""
        return RuleCheck()

    def floor(self, m: ModelContext) -> int:
        """A lower bound on this rule's cost in any rota of the model (0 for non-negative costs)."""
        return 0

    def penalty(self, weight: int, expr: LinearExprT, subject: str = "") -> Penalty:
        return Penalty(self.name, weight, expr, subject)

    def violation(self, message: str) -> Violation:
        return Violation(self.name, message)


REGISTRY: dict[str, type[Rule[Any]]] = {}


def register(cls: type[Rule[Any]]) -> type[Rule[Any]]:
    """Class decorator: make a rule known by its name to YAML, the validator and the docs."""
    if cls.name in REGISTRY:
        raise RuntimeError(f"rule {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls
