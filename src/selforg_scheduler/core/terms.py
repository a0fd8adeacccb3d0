"""The terms every layer above speaks: a penalty term of the objective, a broken hard rule, what a
rule's check found, and the prices the heuristics put on a change.

Rules produce them (``rules/``), the CP-SAT model sums penalties into its objective, the validator
sums checks, and the route searches price their moves with :class:`Prices`: one cost oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ortools.sat.python.cp_model import LinearExprT


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


@dataclass(frozen=True, slots=True)
class Prices:
    """What the route searches (greedy insertion, ruin and recreate) charge for a change, as the
    rules price it. Each rule gives its share (:meth:`Rule.prices`); a rule set adds them up.

    ``exact`` says whether these prices are the rule's whole cost: only when every active rule's
    are may a search trade one cost against another without CP-SAT (on a team's week fairness,
    contract hours and the rest weigh in too, and only the model sees them)."""

    travel_per_minute: int = 0
    """Per minute of travel (each leg priced on its exact minutes, rounded up, as the rule does)."""
    late_per_minute: int = 0
    """Per minute a visit starts after its latest start."""
    largest_late_per_minute: int = 0
    """Per minute of the largest single lateness of the rota."""
    new_face: int = 0
    """Per distinct worker a person sees beyond the first."""
    link_reward: int = 0
    """Earned by each visit one of the person's link workers does."""
    client_cap: int | None = None
    """Most distinct workers a person may see (None: no cap)."""
    exact: bool = False
    """Whether the prices above are all the rule charges (False: it has costs they leave out)."""

    def __add__(self, other: Prices) -> Prices:
        caps = [c for c in (self.client_cap, other.client_cap) if c is not None]
        return Prices(
            travel_per_minute=self.travel_per_minute + other.travel_per_minute,
            late_per_minute=self.late_per_minute + other.late_per_minute,
            largest_late_per_minute=self.largest_late_per_minute + other.largest_late_per_minute,
            new_face=self.new_face + other.new_face,
            link_reward=self.link_reward + other.link_reward,
            client_cap=min(caps) if caps else None,
            exact=self.exact and other.exact,
        )


FREE = Prices(exact=True)
"""The prices of a rule that costs nothing (hard only, or constant under the searches' moves)."""
