"""The instance contract: one team's week (``formats.md``, "Instance").

Every model forbids unknown keys, so a typo is an error rather than a silent default. Fields that
this project adds to the contract are marked "added" in their description. Files are validated
in pydantic's strict JSON mode (``contract.io.parse_model``): a value of the wrong JSON type is an
error, never converted; numbers are finite, and bounded where the solver needs them to be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    ValidationInfo,
    field_validator,
    model_validator,
)

from selforg_scheduler.contract.errors import InputError

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Weekday names for messages (``strftime("%A")`` would follow the locale)."""
Strength = Literal["agreed", "wish"]
Id = Annotated[str, Field(min_length=1)]
NonNegMinutes = Annotated[float, Field(ge=0)]
WEEK_MINUTES = 7 * 24 * 60
"""A week: the most any per-week amount of minutes, or any travel time, can sensibly be."""
GAP_LIMIT_MINUTES = 29 * 24 * 60
"""The widest gap between two visit starts: the longest horizon (28 days) and the day after it."""
DAY_MINUTES = 24 * 60
"""A day: the widest gap between two visits of linked care packages (they fall on the same day)."""
WeekMinutes = Annotated[float, Field(ge=0, le=WEEK_MINUTES)]
HISTORY_WEEKS = 52
"""The most weeks of ``history`` an instance keeps (a year)."""
WEEK_COUNT_LIMIT = WEEK_MINUTES
"""The most of anything countable in a week (visits): one a minute."""


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


def _shown(value: Any) -> Any:
    """A value as a message shows it: ISO dates and date-times, a clock time as HH:MM (seconds only when set)."""
    if isinstance(value, dt.time) and not value.second and not value.microsecond:
        return value.isoformat(timespec="minutes")
    return value.isoformat() if hasattr(value, "isoformat") else value


def _after(later: str, earlier: str, allow_equal: bool) -> Callable[[type, Any, ValidationInfo], Any]:
    """A field validator: ``later`` must not come before ``earlier`` (error on ``later``)."""

    def check(cls: type, value: Any, info: ValidationInfo) -> Any:
        first = info.data.get(earlier)
        if first is not None and value is not None and (value < first or (value == first and not allow_equal)):
            shown, base = _shown(value), _shown(first)
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
    package: Id | None = Field(
        default=None,
        description="added: the care package (of the same client) this visit belongs to, e.g. a one-off extra visit",
    )

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


def _local_clock(value: dt.time) -> dt.time:
    """A time of day on the team's clock: no UTC offset (the team's time zone applies)."""
    if value.tzinfo is not None:
        raise ValueError("give a local clock time HH:MM without a UTC offset (the team's time zone applies)")
    return value


LocalClock = Annotated[dt.time, AfterValidator(_local_clock)]


class PackageLink(Strict):
    """Added: the visit of another care package of the same client on the same day, and the gap
    between the two starts (``linked visit's start - this visit's start``, as a dependency's)."""

    package: Id
    min_gap_min: float = Field(ge=-DAY_MINUTES, le=DAY_MINUTES)
    max_gap_min: float = Field(ge=-DAY_MINUTES, le=DAY_MINUTES)

    _gap = _after("max_gap_min", "min_gap_min", allow_equal=True)


class CarePackage(Strict):
    """Added: a client's recurring visit, expanded into the week's visits by the weekly loop."""

    id: Id
    client: str
    weekdays: list[Weekday] = Field(min_length=1, description="the weekdays it visits")
    every_weeks: int = Field(default=1, ge=1, le=HISTORY_WEEKS, description="1 weekly, 2 fortnightly, ...")
    anchor: dt.date | None = Field(
        default=None,
        validate_default=True,
        description="a day of an active week: weeks are counted from it (needed when every_weeks > 1)",
    )
    earliest: LocalClock = Field(description="earliest start, local clock time HH:MM")
    latest: LocalClock = Field(description="latest start, local clock time HH:MM (not before earliest)")
    duration_min: float = Field(gt=0, le=DAY_MINUTES)
    skills: list[str] = Field(default_factory=list)
    workers_required: int = Field(default=1, ge=1, le=10)
    start: dt.date | None = Field(default=None, description="first day of the package (open when omitted)")
    end: dt.date | None = Field(default=None, description="last day of the package, inclusive (open when omitted)")
    linked: list[PackageLink] = Field(default_factory=list)

    _window = _after("latest", "earliest", allow_equal=True)
    _dates = _after("end", "start", allow_equal=True)

    @field_validator("weekdays")
    @classmethod
    def _distinct_days(cls, value: list[Weekday]) -> list[Weekday]:
        twice = next((d for d in WEEKDAYS if value.count(d) > 1), None)
        if twice is not None:
            raise ValueError(f"{twice!r} is named twice")
        return value

    @field_validator("anchor")
    @classmethod
    def _anchored(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        every = info.data.get("every_weeks")
        if value is None and every is not None and every > 1:
            raise ValueError(f"every_weeks {every} needs an anchor: a date in a week the package visits")
        return value

    def visits_on(self, day: dt.date) -> bool:
        """Whether the package has a visit on ``day``: one of its weekdays, within ``start`` ..
        ``end``, and in an active week (whole weeks from ``anchor`` a multiple of ``every_weeks``;
        before the anchor counted back the same way)."""
        if WEEKDAYS[day.weekday()] not in self.weekdays:
            return False
        if (self.start is not None and day < self.start) or (self.end is not None and day > self.end):
            return False
        if self.every_weeks == 1 or self.anchor is None:
            return True
        return ((day - self.anchor).days // 7) % self.every_weeks == 0


class Cancellation(Strict):
    """Added: one day's visit of a care package that does not take place."""

    package: Id
    date: dt.date
    reason: str = ""


class HistoryClient(Strict):
    """Added: who visited a client in a past week."""

    client: Id
    visits_by_worker: dict[str, Annotated[int, Field(ge=0, le=WEEK_COUNT_LIMIT)]] = Field(
        description="worker id: visits that worker made to the client that week"
    )

    @field_validator("visits_by_worker")
    @classmethod
    def _worker_ids(cls, value: dict[str, int]) -> dict[str, int]:
        if any(not wid for wid in value):
            raise ValueError("a worker id is empty")
        return value


class HistoryWorker(Strict):
    """Added: what a worker did in a past week."""

    worker: Id
    working_minutes: WeekMinutes = Field(description="minutes worked that week")
    unsociable_visits: int = Field(ge=0, le=WEEK_COUNT_LIMIT, description="visits made at unsociable hours")
    weekend_days: int = Field(ge=0, le=2, description="weekend days worked (a week has two)")


class HistoryWeek(Strict):
    """Added: one past week, starting on the horizon's weekday, before the horizon."""

    week_start: dt.date
    clients: list[HistoryClient] = Field(default_factory=list)
    workers: list[HistoryWorker] = Field(default_factory=list)


class History(Strict):
    """Added: what earlier weeks did (at most a year of them), for the weekly loop and history-aware rules."""

    weeks: list[HistoryWeek] = Field(
        description="in any order: week_start says which", json_schema_extra={"maxItems": HISTORY_WEEKS}
    )

    # An after-validator, not max_length, for a message that says what to do; not a before-validator
    # either, which would make pydantic read the weeks in Python mode (where a date string is no date).
    @field_validator("weeks")
    @classmethod
    def _at_most_a_year(cls, value: list[HistoryWeek]) -> list[HistoryWeek]:
        if len(value) > HISTORY_WEEKS:
            raise ValueError(f"at most {HISTORY_WEEKS} weeks of history are kept, not {len(value)}; drop the oldest")
        return value

    def problems(self, start: dt.date) -> Iterator[InputError]:
        """What the loader refuses beyond types (``contract.io.reference_problems``): a week not on
        the weekday of the horizon's ``start`` or not before it, a week given twice, a client or
        worker named twice in a week. People of the history need not be in this week's team."""
        seen: dict[dt.date, int] = {}
        for i, week in enumerate(self.weeks):
            obj, when = f"history.weeks[{i}]", week.week_start
            if when >= start:
                why = f"{when.isoformat()} is not before the horizon start {start.isoformat()}"
                yield InputError(why, obj=obj, field="week_start")
            elif when.weekday() != start.weekday():
                why = (
                    f"{when.isoformat()} is a {DAY_NAMES[when.weekday()]}; history weeks start on the horizon's "
                    f"weekday ({DAY_NAMES[start.weekday()]}, as {start.isoformat()})"
                )
                yield InputError(why, obj=obj, field="week_start")
            elif when in seen:
                why = f"week {when.isoformat()} is given twice (also history.weeks[{seen[when]}])"
                yield InputError(why, obj=obj, field="week_start")
            seen.setdefault(when, i)
            for kind, key, ids in (
                ("clients", "client", [c.client for c in week.clients]),
                ("workers", "worker", [w.worker for w in week.workers]),
            ):
                for j, oid in enumerate(ids):
                    if oid in ids[:j]:
                        yield InputError(
                            f"{key} {oid!r} is named twice in this week", obj=obj, field=f"{kind}[{j}].{key}"
                        )


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
    care_packages: list[CarePackage] = Field(
        default_factory=list, description="added: clients' recurring visits (for the weekly loop)"
    )
    cancellations: list[Cancellation] = Field(
        default_factory=list, description="added: days a care package's visit does not take place"
    )
    history: History | None = Field(default=None, description="added: what earlier weeks did")

    _version_not_a_bool = field_validator("schema_version", mode="before")(version_not_a_bool)
