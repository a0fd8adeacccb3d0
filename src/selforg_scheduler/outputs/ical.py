"""Calendars: one iCalendar (.ics) file per worker, each visit an event in the team's time zone.

Events carry the client's name and address (or the location's coordinates when there is no
address), who else is on a double-up, and the skills needed; breaks are events too. The files
include the VTIMEZONE of the team's zone, so calendar apps place the times right across the
clock change.

Times across a clock change: the contract's times are naive local times (an ambiguous one, in the
hour the clocks go back, is its first occurrence). An event starts at that local time and ends
its duration later in real elapsed time: start (local, aware) -> UTC, + duration, -> local. So a
60-minute visit at 00:30 on the night the clocks go forward at 01:00 ends at 02:30, not 01:30
(a time that does not exist), and one at 00:30 on the night they go back, lasting 120 minutes,
ends at the second 01:30. A ``TZID`` local time that occurs twice means its first occurrence
(RFC 5545, 3.3.5), so such a second occurrence is written in UTC.

File names are made from the worker ids (:func:`~selforg_scheduler.outputs.files.unique_names`):
an id like ``../x`` or ``a/b`` never leads outside the folder, and two ids that make the same
name get ``-2``, ``-3``, ... .
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.outputs.files import inside, unique_names, write_bytes_atomic

__all__ = ["calendar_files", "event_times", "worker_calendars", "write_calendars"]

PRODID = "-//selforg-scheduler//rota//EN"


def event_times(start: datetime, minutes: float, tz: tzinfo) -> tuple[datetime, datetime]:
    """The aware start and end of an event starting at the naive local time ``start`` (its first
    occurrence if the clocks go back over it; a time the clocks skip is read with the offset
    before the change) and lasting ``minutes`` of real time, both as local times of ``tz``."""
    begin = start.replace(tzinfo=tz, fold=0).astimezone(UTC)
    end = begin + timedelta(minutes=minutes)
    return begin.astimezone(tz), end.astimezone(tz)


def _written(when: datetime) -> datetime:
    """The time to write: local (with the zone's TZID) unless it is the second occurrence of a
    local time that occurs twice, which a TZID time cannot say: then UTC."""
    if when.fold and when.replace(fold=0).utcoffset() != when.utcoffset():
        return when.astimezone(UTC)
    return when


def worker_calendars(instance: Instance, solution: Solution) -> dict[str, icalendar.Calendar]:
    """Per worker id, their calendar of the week (workers with nothing to do get an empty one)."""
    tz = ZoneInfo(instance.team.timezone)
    clients = {c.id: c for c in instance.clients}
    visits = {v.id: v for v in instance.visits}
    locations = {loc.id: loc for loc in instance.locations}
    stamp = datetime.now(tz).replace(microsecond=0)
    cals: dict[str, icalendar.Calendar] = {}
    for w in instance.workers:
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("x-wr-calname", f"{w.name or w.id}: rota, week of {instance.horizon.start:%d %b %Y}")
        cal.add("x-wr-timezone", instance.team.timezone)
        cals[w.id] = cal
    for a in solution.visits:
        v = visits.get(a.visit)
        if v is None:
            continue
        c = clients[v.client]
        loc = locations.get(c.location)
        where = (loc.address if loc is not None and loc.address else None) or (
            f"{loc.lat:.5f}, {loc.lon:.5f}"
            if loc is not None and loc.lat is not None and loc.lon is not None
            else c.location
        )
        for wid in a.workers:
            if wid not in cals:
                continue
            ev = icalendar.Event()
            ev.add("uid", f"{v.id}.{wid}@{instance.team.id}.selforg-scheduler")
            ev.add("dtstamp", stamp)
            begin, end = event_times(a.start, v.duration_min, tz)
            ev.add("dtstart", _written(begin))
            ev.add("dtend", _written(end))
            ev.add("summary", f"Visit: {c.name or c.id}")
            ev.add("location", where)
            if loc is not None and loc.lat is not None and loc.lon is not None:
                ev.add("geo", (loc.lat, loc.lon))
            others = [x for x in a.workers if x != wid]
            lines = [f"visit {v.id}, client {c.id}"]
            if others:
                lines.append("with " + ", ".join(others))
            if v.skills:
                lines.append("needs " + ", ".join(v.skills))
            ev.add("description", "\n".join(lines))
            ev.add("categories", ["visit"])
            cals[wid].add_component(ev)
    for b in solution.breaks:
        if b.worker not in cals:
            continue
        ev = icalendar.Event()
        ev.add("uid", f"break.{b.worker}.{b.start:%Y%m%dT%H%M}@{instance.team.id}.selforg-scheduler")
        ev.add("dtstamp", stamp)
        begin, end = event_times(b.start, (b.end - b.start).total_seconds() / 60, tz)
        ev.add("dtstart", _written(begin))
        ev.add("dtend", _written(end))
        ev.add("summary", "Break")
        ev.add("categories", ["break"])
        cals[b.worker].add_component(ev)
    for cal in cals.values():
        cal.add_missing_timezones()
    return cals


def calendar_files(instance: Instance) -> dict[str, str]:
    """Per worker id, the name of their calendar file: ``WORKER.ics``, made safe and unique."""
    return unique_names((w.id for w in instance.workers), ".ics")


def write_calendars(instance: Instance, solution: Solution, folder: Path) -> dict[str, Path]:
    """Write one calendar per worker into ``folder`` (named by :func:`calendar_files`); returns
    the path per worker id. Every calendar is built before the first file is written, and each
    file is written atomically."""
    cals = worker_calendars(instance, solution)
    names = calendar_files(instance)
    data = {wid: (inside(folder, names[wid]), cal.to_ical()) for wid, cal in cals.items()}
    folder.mkdir(parents=True, exist_ok=True)
    return {wid: write_bytes_atomic(path, raw) for wid, (path, raw) in data.items()}
