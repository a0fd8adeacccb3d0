"""Facts about team roles shared by the week solve (``rules/roles.py``) and the multi-week plan
(``rotation.py``): who may hold a role at all, and what the role history says.

Everything here works on the validated instance (ids, dates), never on solver variables.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from selforg_scheduler.contract.instance import Instance, Role, RoleHistoryEntry, Worker

WEEK = dt.timedelta(days=7)


def holder_problem(role: Role, worker: Worker) -> str | None:
    """Why the worker can never hold the role, whatever the week (None when they can)."""
    if role.team is not None and worker.team != role.team:
        return f"is not in team {role.team}"
    if worker.new_starter:
        return "is a new starter"
    missing = sorted(set(role.skills) - set(worker.skills))
    if missing:
        return "lacks " + ", ".join(missing)
    return None


def leave_days(worker: Worker, week_start: dt.date, days: int = 7) -> int:
    """How many of the ``days`` days from ``week_start`` the worker is on leave."""
    week = {week_start + dt.timedelta(days=i) for i in range(days)}
    away: set[dt.date] = set()
    for leave in worker.leave:
        day = leave.start
        while day <= leave.end:
            if day in week:
                away.add(day)
            day += dt.timedelta(days=1)
    return len(away)


class RoleHistory:
    """The role history of an instance, read for fairness: role-weeks, last holders, newcomers."""

    def __init__(self, entries: Iterable[RoleHistoryEntry]) -> None:
        self.entries = sorted(set((e.week_start, e.role, e.worker) for e in entries))

    @classmethod
    def of(cls, instance: Instance) -> RoleHistory:
        return cls(instance.role_history)

    def holders(self, role: str, week_start: dt.date) -> set[str]:
        """Who held the role in the week starting on ``week_start``."""
        return {w for (week, r, w) in self.entries if week == week_start and r == role}

    def role_weeks(self, before: dt.date, window_weeks: int) -> Counter[str]:
        """Role-weeks per worker over the ``window_weeks`` weeks before ``before`` (0 = all history)."""
        since = before - WEEK * window_weeks if window_weeks else dt.date.min
        return Counter(w for (week, _r, w) in self.entries if since <= week < before)

    def ever_held(self, before: dt.date) -> set[str]:
        """Everyone who has held any role before ``before``."""
        return {w for (week, _r, w) in self.entries if week < before}


def held_from(pairs: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """Per worker, the roles held, from (role, worker) pairs."""
    out: dict[int, list[int]] = {}
    for r, w in sorted(pairs):
        out.setdefault(w, []).append(r)
    return {w: tuple(rs) for w, rs in sorted(out.items())}
