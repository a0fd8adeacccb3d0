"""The solution contract: what ``solve`` writes (``formats.md``, "Solution").

Files are validated in pydantic's strict JSON mode (``contract.io.parse_model``): a value of the
wrong JSON type is an error, never converted, and NaN or Infinity is refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NaiveDatetime, field_serializer, field_validator

from selforg_scheduler.contract.instance import version_not_a_bool

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "MODEL_INVALID", "UNKNOWN"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def local_time(value: datetime) -> str:
    """``2026-11-30T07:30``: ISO 8601 local time, seconds only when there are any."""
    return value.isoformat(timespec="seconds" if value.second or value.microsecond else "minutes")


class InstanceRef(_Strict):
    team: str
    sha256: str = Field(description="sha256 of the instance's canonical JSON (sorted keys)")


class AssignedVisit(_Strict):
    visit: str
    start: NaiveDatetime
    workers: list[str] = Field(min_length=1)
    pinned: bool = Field(default=False, description="added: keep these workers and start on repair")

    @field_serializer("start")
    def _start(self, value: datetime) -> str:
        return local_time(value)


class UnassignedVisit(_Strict):
    visit: str
    reason: str


class Break(_Strict):
    worker: str
    start: NaiveDatetime
    end: NaiveDatetime

    @field_serializer("start", "end")
    def _times(self, value: datetime) -> str:
        return local_time(value)


class CheckIn(_Strict):
    """Added: a lone visit ending late, and the buddy who is working then to check in with."""

    visit: str
    worker: str
    buddy: str
    at: NaiveDatetime = Field(description="when the visit ends")

    @field_serializer("at")
    def _at(self, value: datetime) -> str:
        return local_time(value)


class RoleAssignment(_Strict):
    week_start: date
    role: str
    worker: str


class UnfilledRole(_Strict):
    """Added: a role that got fewer holders than it needs, and why."""

    role: str
    missing: int = Field(ge=1, description="holders still needed")
    reason: str


class SolvedPart(_Strict):
    """Added: one part of an organisation's or a large pool's week, solved on its own before the
    parts were merged (a team, teams tied by a linked visit or a buddy group, or a pool's part)."""

    id: str = Field(description="the team id (or ids joined by '+'), or p01, p02, ... for a pool's parts")
    workers: list[str]
    clients: int = Field(ge=0)
    visits: int = Field(ge=0)
    covered: int = Field(ge=0, description="visits the part's own solve covered")
    status: Status
    wall_s: float = Field(ge=0)


class Solution(_Strict):
    """A rota for one instance, with the solver's status and the rota's costs and KPIs."""

    schema_version: Literal[1] = 1
    instance: InstanceRef
    status: Status
    objective: int | float | None = None
    bound: int | float | None = None
    gap: float | None = None
    wall_s: float = 0.0
    visits: list[AssignedVisit] = Field(default_factory=list)
    unassigned: list[UnassignedVisit] = Field(default_factory=list)
    breaks: list[Break] = Field(default_factory=list)
    roles: list[RoleAssignment] = Field(default_factory=list)
    unfilled_roles: list[UnfilledRole] = Field(default_factory=list, description="added: roles short of holders")
    penalties: dict[str, int | float] = Field(default_factory=dict)
    kpis: dict[str, int | float | dict[str, int | float]] = Field(
        default_factory=dict, description="numbers; per-worker figures as {worker id: number} (added)"
    )
    check_ins: list[CheckIn] = Field(default_factory=list, description="added: buddies for late lone visits")
    found_by: Literal["cp-sat", "greedy", "hand"] | None = Field(
        default=None, description="added: what produced this rota"
    )
    parts: list[SolvedPart] = Field(
        default_factory=list,
        description="added: the parts solved on their own and merged (teams, or a large pool's split); empty "
        "when the week was solved whole",
    )

    _version_not_a_bool = field_validator("schema_version", mode="before")(version_not_a_bool)

    def summary(self) -> str:
        """One line: status, objective, bound and gap, visits covered, time and what found the rota."""

        def num(x: float | None) -> str:
            return "-" if x is None else f"{x:,.0f}"

        gap = "-" if self.gap is None else f"{100 * self.gap:.2f}%"
        covered, visits = self.kpis.get("visits_covered", 0), self.kpis.get("visits", 0)
        return (
            f"{self.status}  objective {num(self.objective)}  bound {num(self.bound)}  gap {gap}  "
            f"covered {covered:.0f}/{visits:.0f}  time {self.wall_s:.1f}s  (rota by {self.found_by})"
        )
