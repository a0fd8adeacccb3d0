"""The state of one team while the generator builds it, and the limits its planted rota keeps.

``Team`` is the one small piece of state passed between the steps of building a team: the roster
(``roster.make_workers``) fills its workers and buddy groups, the clients' homes and care plans
(``geography``, ``clients``) and the planter (``planting``) add locations, clients and visits
and put the visits into the workers' routes, and ``export`` turns it into contract dicts.
Times are minutes from the horizon start unless a name says otherwise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from selforg_scheduler.datasets.names import Names

if TYPE_CHECKING:
    from selforg_scheduler.datasets.screen import Shifts

# --- the rules the planted rota keeps (at or inside the project's defaults) -------------------
DAY = 1440
MAX_DAY_MINUTES = 540  # the project's default is 600
MAX_WEEK_MINUTES = 2880
REST_MINUTES = 660
BREAK_AFTER = 360
BREAK_MINUTES = 20
BREAK_WINDOW = (11 * 60, 15 * 60)
LONE_LATEST_END = 22 * 60
BUDDY_CHECK_AFTER = 20 * 60
MAX_CLIENT_WORKERS = 3  # the project's cap is 4
RETIME_TRIES = 1  # other times of day tried for a person the team cannot fit
ACCEPT_SHARE = 0.75  # a client is taken on if this share of its candidate visits can be planted
LAST_ACCEPT_SHARE = 0.5  # ... once the rota is nearly full
ROLE_SLACK = 180  # weekly minutes kept free for a team role
# Above this many visits a worker-week (a team carries about 40 with the usual calls), care
# plans use brisk calls: durations x BRISK_SHARE, at least 15 minutes, so a dense week fits.
BRISK_LOAD = 42
BRISK_SHARE = 0.7


class Stop(NamedTuple):
    """A visit in a worker's route for a day."""

    start: int
    end: int
    visit: int
    loc: int
    period: int


class Worker:
    """A worker's data and planting state (minutes from the horizon start)."""

    def __init__(self, idx: int, wid: str, days: int) -> None:
        self.idx = idx
        self.id = wid
        self.name = ""
        self.new = False
        self.skills: frozenset[str] = frozenset()
        self.contract = 2250
        self.overtime = 0
        self.line = "OOOOOOO"
        self.periods: list[list[tuple[int, int]]] = [[] for _ in range(days)]
        self.commits: list[list[tuple[int, int, str]]] = [[] for _ in range(days)]
        self.routes: list[list[Stop]] = [[] for _ in range(days)]
        self.day_work = [0] * days
        self.week_work = 0
        self.cap_week = 0
        self.max_day = MAX_DAY_MINUTES
        self.earliest = [0] * days
        self.latest = [DAY] * days
        self.avoid: set[int] = set()
        self.buddies: list[int] = []
        self.flex: list[dict[str, Any]] = []
        self.home = (0.0, 0.0)
        self.served = 0
        self.lat_sum = 0.0
        self.lon_sum = 0.0


@dataclass
class Visit:
    """A candidate visit; ``workers`` is empty until it is planted."""

    client: int
    loc: int
    day: int
    e: int
    l: int  # noqa: E741 - latest start
    dur: int
    req: int
    skills: frozenset[str]
    call: str
    fallback_single: bool = False
    start: int = -1
    workers: tuple[int, ...] = ()


@dataclass
class Client:
    """A person supported: their home (a location index), visits and circle of workers."""

    name: str
    loc: int
    two_workers: bool
    visits: list[int] = field(default_factory=list)
    circle: list[int] = field(default_factory=list)
    nearby: list[int] = field(default_factory=list)  # the workers asked for its visits (its circle's pool)
    counts: dict[int, int] = field(default_factory=dict)


# A care-plan call: (call, earliest, latest start (minutes of the day), duration, workers, skills, days)
Call = tuple[str, int, int, int, int, frozenset[str], list[int]]


@dataclass
class Spec:
    """A client's care plan before planting."""

    name: str
    point: tuple[float, float]
    two_workers: bool
    calls: list[Call]


@dataclass
class Team:
    """One team being built: its settings, workers, client locations, clients and visits."""

    rng: random.Random
    prefix: str
    town: tuple[str, float, float]
    n: int  # workers
    target: int  # visits wanted
    start: date
    days: int
    names: Names
    workers: list[Worker] = field(default_factory=list)
    groups: list[list[int]] = field(default_factory=list)  # buddy groups, worker indices
    points: list[tuple[float, float]] = field(default_factory=list)  # client locations, by loc index
    point_index: dict[tuple[float, float], int] = field(default_factory=dict)  # location index of a point
    coords: np.ndarray = field(default_factory=lambda: np.zeros((2, 0)), compare=False)  # points' lat, lon, room
    tt: list[list[int]] = field(default_factory=list)  # travel minutes between locations (rows have spare room)
    visits: list[Visit] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    deps: list[tuple[int, int, int, int]] = field(default_factory=list)
    hoods: list[tuple[float, float]] = field(default_factory=list)
    pressure: dict[str, float] = field(default_factory=dict)  # recent share of failed candidate visits per call
    accept_share: float = ACCEPT_SHARE
    shifts: Shifts | None = field(default=None, compare=False)  # the open stretches of time (``screen``)
    centre: tuple[float, float] = field(init=False)
    h0: datetime = field(init=False)
    weekday: list[int] = field(init=False)
    brisk: bool = field(init=False)
    team_field: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.centre = (self.town[1], self.town[2])
        self.h0 = datetime.combine(self.start, time())
        self.weekday = [(self.start.weekday() + d) % 7 for d in range(self.days)]
        self.brisk = self.target > BRISK_LOAD * self.n
        # in an organisation, workers, clients and roles name their team (t01, t02, ...)
        self.team_field = {"team": self.prefix.rstrip("-")} if self.prefix else {}

    def iso(self, minutes: int) -> str:
        """Minutes from the horizon start as an ISO local time."""
        return (self.h0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
