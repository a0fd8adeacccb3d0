"""The instance contract: one team's week (``formats.md``, "Instance").

Every model forbids unknown keys, so a typo is an error rather than a silent default. Fields that
this project adds to the contract are marked "added" in their description. Files are validated
in pydantic's strict JSON mode (``contract.io.parse_model``): a value of the wrong JSON type is an
error, never converted; numbers are finite, and bounded where the solver needs them to be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
    model_validator,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Strength = Literal["agreed", "wish"]
Id = Annotated[str, Field(min_length=1)]
NonNegMinutes = Annotated[float, Field(ge=0)]
WEEK_MINUTES = 7 * 24 * 60
"""A week: the most any per-week amount of minutes, or any travel time, can sensibly be."""
GAP_LIMIT_MINUTES = 29 * 24 * 60
"""The widest gap between two visit starts: the longest horizon (28 days) and the day after it."""
WeekMinutes = Annotated[float, Field(ge=0, le=WEEK_MINUTES)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Team(Strict):
    id: Id
    name: str
    timezone: str = Field(description="IANA time zone of all local times, e.g. Europe/London")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Horizon(Strict):
    start: dt.date
    days: int = Field(ge=1, le=28)


class _TravelBase(Strict):
    count_home_legs: bool = Field(
        default=False,
        description="Whether travel from home to the first visit of a day and back counts as work and cost",
    )


class HaversineTravel(_TravelBase):
    method: Literal["haversine"]
    speed_kmh: float = Field(default=30.0, ge=1, le=200)
    detour_factor: float = Field(default=1.3, gt=0, le=10)


class EuclideanTravel(_TravelBase):
    method: Literal["euclidean"]
    speed: float = Field(default=1.0, ge=1e-6, le=1e6, description="distance units per minute")


class MatrixTravel(_TravelBase):
    method: Literal["matrix"]
    minutes: dict[str, dict[str, WeekMinutes]] = Field(description="minutes from a location to another: 0 to a week")

    def lookup(self, a: str, b: str) -> float:
        """Minutes from a to b; a pair given one way only is taken as symmetric."""
        if a == b:
            return 0.0
        row = self.minutes.get(a)
        if row is not None and b in row:
            return row[b]
        back = self.minutes.get(b)
        if back is not None and a in back:
            return back[a]
        raise KeyError((a, b))


Travel = Annotated[HaversineTravel | EuclideanTravel | MatrixTravel, Field(discriminator="method")]


class Location(Strict):
    id: Id
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    x: float | None = None
    y: float | None = None
    address: str | None = Field(default=None, description="added: postal address, for calendars")


def _after(later: str, earlier: str, allow_equal: bool) -> Callable[[type, Any, ValidationInfo], Any]:
    """A field validator: ``later`` must not come before ``earlier`` (error on ``later``)."""

    def check(cls: type, value: Any, info: ValidationInfo) -> Any:
        first = info.data.get(earlier)
        if first is not None and (value < first or (value == first and not allow_equal)):
            shown = value.isoformat() if hasattr(value, "isoformat") else value
            base = first.isoformat() if hasattr(first, "isoformat") else first
            relation = "before" if allow_equal else "not after"
            raise ValueError(f"{later} {shown} is {relation} {earlier} {base}")
        return value

    return field_validator(later)(check)


class Period(Strict):
    start: NaiveDatetime
    end: NaiveDatetime

    _ordered = _after("end", "start", allow_equal=False)


class Commitment(Period):
    what: str = ""


class _Flex(Strict):
    strength: Strength
    days: list[Weekday] | None = Field(default=None, description="weekdays it applies to; every day when omitted")


class EarliestStart(_Flex):
    kind: Literal["earliest_start"]
    time: dt.time


class LatestEnd(_Flex):
    kind: Literal["latest_end"]
    time: dt.time


class DayOff(_Flex):
    kind: Literal["day_off"]
    date: dt.date | None = Field(default=None, description="the day off; or give `days` (added)")

    @model_validator(mode="after")
    def _has_day(self) -> DayOff:
        if self.date is None and not self.days:
            raise ValueError("a day_off needs a date or days")
        return self


class MaxMinutesPerDay(_Flex):
    kind: Literal["max_minutes_per_day"]
    minutes: float = Field(gt=0, le=1440)


FlexibleWorking = Annotated[EarliestStart | LatestEnd | DayOff | MaxMinutesPerDay, Field(discriminator="kind")]


class Leave(Strict):
    """Added: whole days away (holiday, sickness), for plans longer than the instance's week."""

    start: dt.date
    end: dt.date = Field(description="last day of the leave (inclusive)")
    what: str = ""

    _ordered = _after("end", "start", allow_equal=True)


class Worker(Strict):
    id: Id
    name: str = ""
    home: str | None = Field(default=None, description="location id of the worker's home")
    skills: list[str] = Field(default_factory=list)
    contract_minutes: NonNegMinutes = 0
    overtime_minutes: WeekMinutes = 0
    new_starter: bool = False
    availability: list[Period] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    flexible_working: list[FlexibleWorking] = Field(default_factory=list)
    leave: list[Leave] = Field(default_factory=list, description="added: days away, used by role plans")
    team: Id | None = Field(
        default=None, description="added: the team within an organisation (instances of several teams)"
    )
    buddy_preferences: list[str] = Field(
        default_factory=list, description="added: workers this worker would like as a buddy"
    )
    buddy_avoid: list[str] = Field(
        default_factory=list, description="added: workers this worker would rather not have as a buddy"
    )


class Client(Strict):
    id: Id
    name: str = ""
    location: str
    link_workers: list[str] = Field(default_factory=list)
    excluded_workers: list[str] = Field(default_factory=list)
    two_workers: bool = False
    team: Id | None = Field(
        default=None, description="added: the team within an organisation (instances of several teams)"
    )


class Visit(Strict):
    id: Id
    client: str
    earliest_start: NaiveDatetime
    latest_start: NaiveDatetime
    duration_min: float = Field(gt=0, le=1440)
    workers_required: int = Field(default=1, ge=1, le=10)
    skills: list[str] = Field(default_factory=list)

    _window = _after("latest_start", "earliest_start", allow_equal=True)


class Dependency(Strict):
    first: str
    second: str
    min_gap_min: float = Field(default=0, ge=-GAP_LIMIT_MINUTES, le=GAP_LIMIT_MINUTES)
    max_gap_min: float = Field(default=0, ge=-GAP_LIMIT_MINUTES, le=GAP_LIMIT_MINUTES)

    _gap = _after("max_gap_min", "min_gap_min", allow_equal=True)


class Role(Strict):
    id: Id
    name: str = ""
    minutes_per_week: WeekMinutes = 0
    holders: int = Field(default=1, ge=1, le=1000)
    skills: list[str] = Field(default_factory=list)
    team: Id | None = Field(
        default=None, description="added: the team within an organisation (instances of several teams)"
    )


class RoleHistoryEntry(Strict):
    week_start: dt.date
    role: str
    worker: str


class BuddyHistoryEntry(Strict):
    """Added: a buddy group of the past (so pairings can rotate over the years)."""

    members: list[str] = Field(min_length=2, max_length=3)
    until: dt.date | None = Field(default=None, description="when the group ended, if known")


def version_not_a_bool(cls: type, value: Any) -> Any:
    """``schema_version: true`` is not 1 (a bool equals 1 in Python, so ``Literal[1]`` takes it)."""
    if isinstance(value, bool):
        raise ValueError(f"should be 1, not {str(value).lower()}")
    return value


class Instance(Strict):
    """One team's week: who can work, who needs visiting, and the rules' raw material."""

    schema_version: Literal[1] = 1
    team: Team
    horizon: Horizon
    travel: Travel
    locations: list[Location]
    workers: list[Worker]
    clients: list[Client]
    visits: list[Visit]
    dependencies: list[Dependency] = Field(default_factory=list)
    buddies: list[list[str]] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    role_history: list[RoleHistoryEntry] = Field(default_factory=list)
    buddy_history: list[BuddyHistoryEntry] = Field(default_factory=list, description="added: past buddy groups")

    _version_not_a_bool = field_validator("schema_version", mode="before")(version_not_a_bool)
