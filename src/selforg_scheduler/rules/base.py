"""The interface every rule module implements, and the registry that names them.

A rule has four faces, all under one name: typed YAML parameters (``Params``), solver constraints
and penalty terms (``build``), a solver-free check of any rota (``check``) and a docs entry.

Everything else asks every rule the same questions through hooks with no-op defaults, so no module
outside ``rules/`` names a rule:

* the frame of the week: which (visit, worker) pairs exist (``allows``, ``starts``), the range a
  visit may start in (``start_range``), the worker's free time (``free_time``), whether travel
  takes time (``keeps_travel_time``) and linked visits keep their gaps (``keeps_linked_starts``);
* the heuristics' prices (``prices``), the one cost oracle's terms the route searches use;
* plain-English reasons (``kept_off``, ``crew_problem``, ``week_problem``);
* what a rule adds to a finished rota (``annotate``: breaks, check-ins) and its figures
  (``kpis``, ``worker_figures``);
* the week's working-time ceiling (``week_cap``), and :class:`RoleAssigner` for the rule that
  gives out the team roles.
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    ClassVar,
    Generic,
    Protocol,
    TypeVar,
    runtime_checkable,
)

from pydantic import BaseModel, ConfigDict, Field

from selforg_scheduler.core.terms import FREE as FREE  # re-exported for the rule modules
from selforg_scheduler.core.terms import Penalty, Prices, RuleCheck, Violation

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import LinearExprT

    from selforg_scheduler.contract.solution import Solution
    from selforg_scheduler.core.problem import Interval, Problem
    from selforg_scheduler.core.rota import Rota
    from selforg_scheduler.core.variables import ModelContext
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


class Rule(Generic[P]):
    """Base of every rule. Subclasses set ``name``, ``summary`` and ``Params``."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[RuleParams]] = RuleParams
    order: ClassVar[int] = 100
    """Position in YAML, docs and reports (lower first)."""
    any_resolution: ClassVar[bool] = False
    """Whether the rule works in ticks finer than a minute (rule sets with ``resolution`` > 1)."""
    keeps_travel_time: ClassVar[bool] = False
    """Whether, while this rule is on, travel takes time (a rota leaves room for it)."""
    keeps_linked_starts: ClassVar[bool] = False
    """Whether, while this rule is on, linked visits keep the gaps between their starts."""
    reads: ClassVar[str | None] = None
    """The part of a solution whose reading problems this rule reports (visits, starts, breaks,
    roles: see :func:`~selforg_scheduler.core.rota.rota_from_solution`)."""

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

    def start_range(self, problem: Problem, visit: int, whole: tuple[int, int]) -> tuple[int, int]:
        """The range the visit may start in under this rule, given ``whole`` (anywhere on its day,
        as the rules before this one left it)."""
        return whole

    def free_time(self, problem: Problem, worker: int) -> tuple[Interval, ...] | None:
        """The closed minute ranges the worker may spend working (None: this rule does not say)."""
        return None

    def kept_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        """Why this rule keeps the worker off the visit whatever the rota (None when it does not),
        in words that follow the worker's name ("lacks medication", "is excluded by c07");
        ``window`` is the range the visit may start in under the rule set."""
        return None

    def keeps_off(self, problem: Problem, visit: int, worker: int, window: tuple[int, int]) -> str | None:
        """:meth:`kept_off`, or, for a rule that prunes the pair (``allows``, ``starts``) without
        words of its own, "is kept off it by <rule>"."""
        why = self.kept_off(problem, visit, worker, window)
        if why is None and (
            not self.allows(problem, visit, worker) or not self.starts(problem, visit, worker, (window,))
        ):
            why = f"is kept off it by {self.name}"
        return why

    def relaxed(self) -> list[str]:
        """``rule.param=value`` overrides that turn this rule's hard promises into soft ones whose
        breaches :meth:`promises` lists after ``build`` (explain's conflict search keeps each
        through an assumption, so a conflict can name it). None by default."""
        return []

    def promises(self, problem: Problem) -> list[tuple[str, Any]]:
        """After ``build`` of the relaxed rule: each relaxed promise's plain-English label and the
        literal that is true when it is broken."""
        return []

    def prices(self, problem: Problem) -> Prices:
        """What the route searches charge for this rule's costs. The default prices nothing and
        is not exact (a rule with costs the searches cannot see): a rule that costs nothing, or
        whose whole cost the prices carry, says so."""
        return Prices()

    def week_cap(self, problem: Problem, worker: int) -> float | None:
        """Most minutes the worker may work in the week under this rule (None: no ceiling)."""
        return None

    def annotate(self, rota: Rota, solution: Solution) -> Solution:
        """What this rule adds to a finished rota's solution (breaks, check-ins); unchanged by default."""
        return solution

    def worker_figures(self, rota: Rota, worker: int) -> dict[str, Any]:
        """This rule's figures for one worker's week in the reports (column name -> value)."""
        return {}

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

    def floor(self, m: ModelContext, covered: bool) -> float:
        """A lower bound on this rule's cost over one of two kinds of rota of the model (0 for
        non-negative costs): ``covered`` True, rotas that cover every visit someone could do
        (:func:`coverable`); False, rotas that leave at least one of those uncovered. Every rota
        is of one kind, so the smaller of the two sums over the rules bounds the objective; an
        impossible kind may answer ``math.inf``. Rules whose cost depends on the visits covered
        (travel, continuity) bound the first kind far more tightly."""
        return 0

    def reading_violations(self, rota: Rota) -> list[Violation]:
        """The problems found reading the part of the solution this rule ``reads``, as its violations."""
        return [self.violation(x.message) for x in rota.reading_problems if x.rule == self.reads]

    def penalty(self, weight: int, expr: LinearExprT, subject: str = "") -> Penalty:
        return Penalty(self.name, weight, expr, subject)

    def violation(self, message: str) -> Violation:
        return Violation(self.name, message)


def coverable(m: ModelContext, visit: int) -> bool:
    """Whether some rota can cover the visit: it has as many eligible workers as it needs."""
    return len(m.eligible[visit]) >= m.problem.visits[visit].required


REGISTRY: dict[str, type[Rule[Any]]] = {}


def register(cls: type[Rule[Any]]) -> type[Rule[Any]]:
    """Class decorator: make a rule known by its name to YAML, the validator and the docs."""
    if cls.name in REGISTRY:
        raise RuntimeError(f"rule {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


@runtime_checkable
class RoleAssigner(Protocol):
    """The rule that gives out the team roles: who may hold which, who holds them this week (a
    plan the solve keeps fixed), and which stay unfilled and why."""

    def eligible_pairs(self, problem: Problem) -> list[tuple[int, int]]:
        """The (role, worker) pairs that may hold a role this week."""
        ...

    def choose(self, problem: Problem) -> dict[int, tuple[int, ...]]:
        """Per worker, the roles they hold this week."""
        ...

    def unfilled(self, problem: Problem, held: dict[int, tuple[int, ...]]) -> list[Any]:
        """The roles no one holds in ``held``, each with its reason."""
        ...
