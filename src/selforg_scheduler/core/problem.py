"""The instance compiled to integers: time from the horizon start, indices instead of ids.

The model builder, the greedy hint, the validator and the reasons all read this one object, so
they agree on every number. Time is in *ticks* of ``1 / unit`` minute: whole minutes (``unit`` 1)
unless the rule set asks for a finer ``resolution`` (the benchmarks, whose travel times are
fractional).

Time is *real elapsed* time from local midnight of ``horizon.start`` in the team's time zone
(:class:`LocalClock`): a day across a clock change has 1380 or 1500 minutes. A day's midnight and
a clock time on it come from :meth:`Problem.day_start` and :meth:`Problem.at`, a minute's day from
:meth:`Problem.day_of`, never ``day * 1440``. Without a change these are the wall-clock minutes.

Rounding is conservative and documented in ``docs/rules.md``:

* visit windows: earliest rounded up, latest rounded down to a whole tick;
* durations and travel: rounded up;
* availability: start rounded up, end rounded down; commitments: start down, end up.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.core.clock import MINUTES_PER_DAY, LocalClock
from selforg_scheduler.core.travel import TravelMatrix, build_matrix, ceil_minutes

if TYPE_CHECKING:
    from selforg_scheduler.contract.solution import Solution

Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class VisitData:
    index: int
    id: str
    client: int
    location: int
    earliest: int
    latest: int
    duration: int
    required: int
    skills: frozenset[str]
    day: int
    minutes: int = 0
    """The duration in whole minutes (rounded up), whatever the tick: what per-minute costs use."""


@dataclass(frozen=True, slots=True)
class WorkerData:
    index: int
    id: str
    name: str
    home: int | None
    skills: frozenset[str]
    new_starter: bool
    contract: int
    overtime: int
    availability: tuple[Interval, ...]
    commitments: tuple[Interval, ...]


@dataclass(frozen=True, slots=True)
class ClientData:
    index: int
    id: str
    name: str
    location: int
    link_workers: frozenset[int]
    excluded_workers: frozenset[int]
    two_workers: bool
    visits: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DependencyData:
    first: int
    second: int
    min_gap: int
    max_gap: int


@dataclass(frozen=True, slots=True)
class RoleData:
    index: int
    id: str
    name: str
    minutes: int
    """Minutes a week the role takes (rounded up)."""
    holders: int
    skills: frozenset[str]


@dataclass(frozen=True)
class Reference:
    """A rota to stay close to (repair): visit id -> (start, worker ids), and the visits that
    must not move at all (pinned, or before the repair's ``now``)."""

    visits: dict[str, tuple[datetime, tuple[str, ...]]]
    fixed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, solution: Solution, now: datetime | None = None) -> Reference:
        """From a contract solution: its ``pinned`` visits, and those starting before ``now``
        (done), are fixed."""
        visits = {a.visit: (a.start, tuple(a.workers)) for a in solution.visits}
        fixed = {a.visit for a in solution.visits if a.pinned or (now is not None and a.start < now)}
        return cls(visits, frozenset(fixed))


@dataclass
class Problem:
    """An :class:`Instance` in integer minutes, ready for the model, the greedy and the validator."""

    instance: Instance
    origin: datetime
    days: int
    visits: list[VisitData]
    workers: list[WorkerData]
    clients: list[ClientData]
    dependencies: list[DependencyData]
    travel: TravelMatrix
    count_home_legs: bool
    visit_index: dict[str, int] = field(default_factory=dict)
    worker_index: dict[str, int] = field(default_factory=dict)
    client_index: dict[str, int] = field(default_factory=dict)
    buddies: list[frozenset[int]] = field(default_factory=list)
    """Per worker, the other members of their buddy group."""
    roles: list[RoleData] = field(default_factory=list)
    role_index: dict[str, int] = field(default_factory=dict)
    unit: int = 1
    """Ticks per minute: the problem's time is in ticks (1 = whole minutes, the default)."""
    reference: dict[int, tuple[float, tuple[int, ...]]] = field(default_factory=dict)
    """Repair: each visit of the rota being repaired, as (start, workers); empty otherwise."""
    fixed: frozenset[int] = frozenset()
    """Repair: visits that must keep their reference workers and start (pinned, or already done)."""
    zone: tzinfo = UTC
    """The team's time zone: every naive time of the contract is local to it."""

    @cached_property
    def local_clock(self) -> LocalClock:
        """Local times <-> real minutes from ``origin`` (local midnight of the horizon start)."""
        return LocalClock(self.origin, self.zone, self.days)

    def attach(self, reference: Reference | None) -> Problem:
        """Take a reference rota (repair) into indices; unknown ids are ignored. Returns self."""
        if reference is None:
            return self
        ref: dict[int, tuple[float, tuple[int, ...]]] = {}
        for vid, (when, workers) in reference.visits.items():
            v = self.visit_index.get(vid)
            crew = tuple(self.worker_index[w] for w in workers if w in self.worker_index)
            if v is not None and len(crew) == len(workers):
                ref[v] = (self.minute_of(when), crew)
        self.reference = ref
        self.fixed = frozenset(self.visit_index[vid] for vid in reference.fixed if self.visit_index.get(vid) in ref)
        return self

    # --- time conversion -------------------------------------------------------------------
    @property
    def day_length(self) -> int:
        """Ticks in a day *without a clock change* (1440 minutes). A day of the horizon is
        ``day_start(day)`` to ``day_start(day + 1)``: 1380 or 1500 minutes on a change day."""
        return MINUTES_PER_DAY * self.unit

    def ticks(self, minutes: float) -> int:
        """A whole number of minutes (a rule's parameter) in ticks."""
        return int(round(minutes * self.unit))

    def minutes(self, ticks: float) -> str:
        """A length of time in ticks, as minutes for a message: ``45``, or ``6.25`` in fine ticks."""
        return f"{round(ticks / self.unit, 3):g}"

    def minute_of(self, when: datetime) -> float:
        """Ticks of real time from the horizon start (local midnight) to local time ``when``
        (fractions kept); minutes when unit is 1. A time a fall-back change repeats is its first
        occurrence.

        Rounded to a millionth of a tick, so a time written from a whole tick reads back whole."""
        ticks = round(self.local_clock.minutes(when) * self.unit, 6)
        return int(ticks) if ticks.is_integer() else ticks

    def time_of(self, minute: float) -> datetime:
        """The local wall-clock time (naive) of a tick of the horizon."""
        return self.local_clock.local(minute / self.unit)

    def at(self, day: int, minutes: float) -> int:
        """The tick of local clock time ``minutes`` after midnight on day ``day`` of the horizon
        (a clock time the change skips: the moment the clock jumps; a repeated one: its first
        occurrence). ``at(day, 0)`` is :meth:`day_start`."""
        key = (day, minutes)
        cache: dict[tuple[int, float], int] = self.__dict__.setdefault("_at_cache", {})
        found = cache.get(key)
        if found is None:
            found = cache[key] = int(round(self.local_clock.wall(day, minutes) * self.unit))
        return found

    def day_start(self, day: int) -> int:
        """The tick of local midnight at the start of day ``day`` of the horizon (real time)."""
        return self.at(day, 0)

    def clock_shift(self, a: float, b: float) -> float:
        """Minutes the local wall clock moves beyond real time from tick ``a`` to tick ``b`` (+60
        across a spring-forward change, -60 across a fall-back one, else 0)."""
        return self.local_clock.shift(a / self.unit, b / self.unit)

    def wall_minutes(self, day: int, minute: float) -> float:
        """What the local wall clock shows at tick ``minute``, as minutes after midnight of day
        ``day`` (for drawing a day: 02:00 BST on a spring-forward day is 120, one real hour after
        00:30 GMT is 150)."""
        start = self.day_start(day)
        return minute / self.unit - start / self.unit + self.clock_shift(start, minute)

    def day_of(self, minute: float) -> int:
        """The day of the horizon (local date, negative before it) a tick falls on."""
        clock = self.local_clock
        if clock.steady and -self.day_length <= minute <= (self.days + 2) * self.day_length:
            return int(minute // self.day_length)
        return (self.time_of(minute).date() - self.origin.date()).days

    def day_name(self, day: int) -> str:
        """``Tue 01 Dec`` for a day of the horizon."""
        return f"{self.origin + timedelta(days=day):%a %d %b}"

    def weekday(self, day: int) -> int:
        """0 = Monday ... 6 = Sunday, for a day of the horizon."""
        return (self.origin + timedelta(days=day)).weekday()

    def clock(self, minute: float) -> str:
        """``Tue 07:30`` for a minute of the horizon."""
        return f"{self.time_of(minute):%a %H:%M}"

    # --- travel ----------------------------------------------------------------------------
    def visit_travel(self, a: int, b: int) -> int:
        return self.travel.by_index(self.visits[a].location, self.visits[b].location)

    def _home_leg(self, w: int, v: int, out: bool) -> tuple[int, int] | None:
        """(from, to) locations of worker w's leg from home to visit v (``out``) or from v home;
        None when home legs do not count. Travel may differ each way (a matrix)."""
        home = self.workers[w].home
        if not self.count_home_legs or home is None:
            return None
        return (home, self.visits[v].location) if out else (self.visits[v].location, home)

    def travel_from_home(self, w: int, v: int) -> int:
        """The leg out: worker w's home -> visit v, before the day's first visit (0 unless counted)."""
        leg = self._home_leg(w, v, True)
        return 0 if leg is None else self.travel.by_index(*leg)

    def travel_to_home(self, w: int, v: int) -> int:
        """The leg back: visit v -> worker w's home, after the day's last visit (0 unless counted)."""
        leg = self._home_leg(w, v, False)
        return 0 if leg is None else self.travel.by_index(*leg)

    def visit_travel_exact(self, a: int, b: int) -> float:
        """Exact (unrounded) travel minutes between two visits: what travel costs are priced on."""
        return self.travel.exact_by_index(self.visits[a].location, self.visits[b].location)

    def travel_from_home_exact(self, w: int, v: int) -> float:
        leg = self._home_leg(w, v, True)
        return 0.0 if leg is None else self.travel.exact_by_index(*leg)

    def travel_to_home_exact(self, w: int, v: int) -> float:
        leg = self._home_leg(w, v, False)
        return 0.0 if leg is None else self.travel.exact_by_index(*leg)

    # --- derived, cached -------------------------------------------------------------------
    @cached_property
    def free_blocks(self) -> list[tuple[Interval, ...]]:
        """Per worker: availability minus commitments, as sorted disjoint intervals."""
        return [subtract(merge(w.availability), merge(w.commitments)) for w in self.workers]

    @cached_property
    def visits_by_day(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for v in self.visits:
            out[v.day].append(v.index)
        return dict(out)

    def visit_label(self, v: int) -> str:
        """``v0123 (Mrs K, Tue 07:30, 2 workers, moving_and_handling)``"""
        vd = self.visits[v]
        client = self.clients[vd.client]
        parts = [client.name or client.id, self.clock(vd.earliest)]
        if vd.required > 1:
            parts.append(f"{vd.required} workers")
        if vd.skills:
            parts.append(", ".join(sorted(vd.skills)))
        return f"{vd.id} ({', '.join(parts)})"


def compile_problem(instance: Instance, unit: int = 1) -> Problem:
    """Compile a validated instance into a :class:`Problem` with ``unit`` ticks per minute."""
    origin = datetime.combine(instance.horizon.start, datetime.min.time())
    zone = ZoneInfo(instance.team.timezone)
    clock = LocalClock(origin, zone, instance.horizon.days)

    def minute(when: datetime) -> float:
        return clock.minutes(when) * unit

    def up(when: datetime) -> int:
        return int(math.ceil(round(minute(when), 9)))

    def down(when: datetime) -> int:
        return int(math.floor(round(minute(when), 9)))

    def length(minutes: float) -> int:
        return ceil_minutes(minutes * unit)

    travel = build_matrix(instance.travel, instance.locations, unit)
    loc_index = travel.index
    worker_index = {w.id: i for i, w in enumerate(instance.workers)}
    client_index = {c.id: i for i, c in enumerate(instance.clients)}
    visit_index = {v.id: i for i, v in enumerate(instance.visits)}

    workers = [
        WorkerData(
            index=i,
            id=w.id,
            name=w.name,
            home=loc_index[w.home] if w.home is not None else None,
            skills=frozenset(w.skills),
            new_starter=w.new_starter,
            contract=length(w.contract_minutes),
            overtime=length(w.overtime_minutes),
            availability=tuple(sorted((up(p.start), down(p.end)) for p in w.availability)),
            commitments=tuple(sorted((down(c.start), up(c.end)) for c in w.commitments)),
        )
        for i, w in enumerate(instance.workers)
    ]
    visits_of_client: dict[int, list[int]] = defaultdict(list)
    visits = []
    for i, v in enumerate(instance.visits):
        c = client_index[v.client]
        visits_of_client[c].append(i)
        visits.append(
            VisitData(
                index=i,
                id=v.id,
                client=c,
                location=loc_index[instance.clients[c].location],
                earliest=up(v.earliest_start),
                latest=down(v.latest_start),
                duration=length(v.duration_min),
                # A client flagged two_workers always gets two, whatever the visit says.
                required=max(v.workers_required, 2 if instance.clients[c].two_workers else 1),
                skills=frozenset(v.skills),
                day=(v.earliest_start.date() - instance.horizon.start).days,
                minutes=ceil_minutes(v.duration_min),
            )
        )
    clients = [
        ClientData(
            index=i,
            id=c.id,
            name=c.name,
            location=loc_index[c.location],
            link_workers=frozenset(worker_index[w] for w in c.link_workers),
            excluded_workers=frozenset(worker_index[w] for w in c.excluded_workers),
            two_workers=c.two_workers,
            visits=tuple(visits_of_client[i]),
        )
        for i, c in enumerate(instance.clients)
    ]
    dependencies = [
        DependencyData(
            first=visit_index[d.first],
            second=visit_index[d.second],
            min_gap=int(math.ceil(round(d.min_gap_min * unit, 9))),
            max_gap=int(math.floor(round(d.max_gap_min * unit, 9))),
        )
        for d in instance.dependencies
    ]
    buddies: list[set[int]] = [set() for _ in workers]
    for group in instance.buddies:
        members = [worker_index[wid] for wid in group]
        for w in members:
            buddies[w].update(m for m in members if m != w)
    return Problem(
        instance=instance,
        origin=origin,
        days=instance.horizon.days,
        visits=visits,
        workers=workers,
        clients=clients,
        dependencies=dependencies,
        travel=travel,
        count_home_legs=instance.travel.count_home_legs,
        visit_index=visit_index,
        worker_index=worker_index,
        client_index=client_index,
        buddies=[frozenset(b) for b in buddies],
        roles=[
            RoleData(
                index=i,
                id=r.id,
                name=r.name,
                minutes=length(r.minutes_per_week),
                holders=r.holders,
                skills=frozenset(r.skills),
            )
            for i, r in enumerate(instance.roles)
        ],
        role_index={r.id: i for i, r in enumerate(instance.roles)},
        unit=unit,
        zone=zone,
    )


# --- interval arithmetic on sorted lists of [start, end) ------------------------------------------


def merge(intervals: tuple[Interval, ...] | list[Interval]) -> tuple[Interval, ...]:
    """Sort and merge touching or overlapping intervals."""
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def subtract(base: tuple[Interval, ...], holes: tuple[Interval, ...]) -> tuple[Interval, ...]:
    """``base`` minus ``holes``; both sorted and disjoint."""
    out: list[Interval] = []
    for a, b in base:
        cur = a
        for h0, h1 in holes:
            if h1 <= cur or h0 >= b:
                continue
            if h0 > cur:
                out.append((cur, h0))
            cur = max(cur, h1)
            if cur >= b:
                break
        if cur < b:
            out.append((cur, b))
    return tuple(out)


def fitting_starts(
    blocks: tuple[Interval, ...], duration: int, lo: int, hi: int, lead: int = 0, tail: int = 0
) -> tuple[Interval, ...]:
    """Starts s in [lo, hi] with [s - lead, s + duration + tail] inside one block (closed ranges)."""
    out: list[Interval] = []
    for a, b in blocks:
        s0 = max(lo, a + lead)
        s1 = min(hi, b - duration - tail)
        if s0 <= s1:
            out.append((s0, s1))
    return tuple(out)


def earliest_fitting_start(
    blocks: tuple[Interval, ...],
    duration: int,
    lo: int,
    hi: int,
    domain: tuple[Interval, ...],
    lead: int = 0,
    tail: int = 0,
) -> int | None:
    """The earliest start of ``intersect(fitting_starts(blocks, ...), domain)``, without building
    either (the pushing insertion's hot path); None if there is none."""
    best: int | None = None
    for a, b in blocks:
        s0, s1 = max(lo, a + lead), min(hi, b - duration - tail)
        if s0 > s1:
            continue
        for d0, d1 in domain:
            x = max(s0, d0)
            if x <= min(s1, d1) and (best is None or x < best):
                best = x
    return best


def intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    """Closed ranges in both ``a`` and ``b``; both sorted and disjoint."""
    out: list[Interval] = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo <= hi:
                out.append((lo, hi))
    return tuple(sorted(out))


def inside_one(blocks: tuple[Interval, ...], start: float, end: float) -> bool:
    """Whether [start, end] lies inside one of the blocks."""
    return any(a <= start and end <= b for a, b in blocks)
