"""Calendars: one iCalendar (.ics) file per worker, each visit an event in the team's time zone.

Events carry the client's name and address (or the location's coordinates when there is no
address), who else is on a double-up, and the skills needed; breaks are events too. The files
include the VTIMEZONE of the team's zone, so calendar apps place the times right across the
clock change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution

__all__ = ["worker_calendars", "write_calendars"]

PRODID = "-//selforg-scheduler//rota//EN"


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
            ev.add("dtstart", a.start.replace(tzinfo=tz))
            ev.add("dtend", (a.start + timedelta(minutes=v.duration_min)).replace(tzinfo=tz))
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
        ev.add("dtstart", b.start.replace(tzinfo=tz))
        ev.add("dtend", b.end.replace(tzinfo=tz))
        ev.add("summary", "Break")
        ev.add("categories", ["break"])
        cals[b.worker].add_component(ev)
    for cal in cals.values():
        cal.add_missing_timezones()
    return cals


def write_calendars(instance: Instance, solution: Solution, folder: Path) -> list[Path]:
    """Write ``WORKER.ics`` per worker into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for wid, cal in worker_calendars(instance, solution).items():
        path = folder / f"{wid}.ics"
        path.write_bytes(cal.to_ical())
        paths.append(path)
    return paths
