"""Calendars: parsed back with icalendar, the events are the rota's, in the team's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import icalendar
from tests.factory import client, hand_rota, instance, visit, worker
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import load_instance, load_solution
from selforg_scheduler.outputs.ical import worker_calendars

ROOT = Path(__file__).resolve().parent.parent
WEEK = ROOT / "instances" / "week.json"
PLAN = ROOT / "instances" / "week.plan.json"


def _events(cal: icalendar.Calendar) -> set[tuple[str, datetime, datetime]]:
    """(visit id, local start, local end) of the visit events."""
    out = set()
    for ev in cal.walk("VEVENT"):
        if str(ev.get("categories").cats[0]) == "visit":
            start, end = ev.decoded("dtstart"), ev.decoded("dtend")
            assert str(start.tzinfo) == "Europe/London"
            out.add((str(ev["uid"]).split(".")[0], start.replace(tzinfo=None), end.replace(tzinfo=None)))
    return out


def test_calendars_written_and_parsed_back_match_the_rota(tmp_path: Path) -> None:
    inst, sol = load_instance(WEEK), load_solution(PLAN)
    res = CliRunner().invoke(app, ["ical", str(WEEK), str(PLAN), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    duration = {v.id: v.duration_min for v in inst.visits}
    for w in inst.workers:
        cal = icalendar.Calendar.from_ical((tmp_path / f"{w.id}.ics").read_bytes())
        assert str(cal.walk("VTIMEZONE")[0]["tzid"]) == "Europe/London"
        want = {
            (a.visit, a.start, a.start + timedelta(minutes=duration[a.visit])) for a in sol.visits if w.id in a.workers
        }
        assert _events(cal) == want
        breaks = sum(1 for b in sol.breaks if b.worker == w.id)
        assert len(list(cal.walk("VEVENT"))) == len(want) + breaks


def test_events_carry_client_name_address_and_the_clock_change() -> None:
    inst = instance(
        [worker("w1", ("2026-10-24", "07:00", "15:00"), ("2026-10-25", "07:00", "15:00"))],
        [client("c1", "K", name="Mrs K"), client("c2")],
        [visit("v1", "c1", "09:00", day="2026-10-24"), visit("v2", "c2", "09:00", day="2026-10-25")],
        horizon={"start": "2026-10-24", "days": 2},
        locations=[
            {"id": "H", "x": 0, "y": 0},
            {"id": "A", "x": 0, "y": 0},
            {"id": "K", "x": 5, "y": 0, "address": "3 Fore Street, Exeter EX4 3AN"},
        ],
    )
    sol = hand_rota(inst, {"v1": ("2026-10-24T09:00", ["w1"]), "v2": ("2026-10-25T09:00", ["w1"])})
    cal = icalendar.Calendar.from_ical(worker_calendars(inst, sol)["w1"].to_ical())
    events = {str(ev["uid"]).split(".")[0]: ev for ev in cal.walk("VEVENT")}
    assert str(events["v1"]["summary"]) == "Visit: Mrs K"
    assert str(events["v1"]["location"]) == "3 Fore Street, Exeter EX4 3AN"
    # 09:00 in London is 08:00 UTC in summer time (24 Oct) and 09:00 UTC after the change (25 Oct)
    assert events["v1"].decoded("dtstart").utcoffset() == timedelta(hours=1)
    assert events["v2"].decoded("dtstart").utcoffset() == timedelta(0)
