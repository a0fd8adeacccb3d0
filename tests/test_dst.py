"""Clock changes: the problem's time is real elapsed minutes from local midnight of the horizon
start in the team's time zone. In the UK the clocks go forward on Sunday 28 March 2027 at 01:00
GMT (to 02:00 BST: a 1380-minute day) and back on Sunday 31 October 2027 at 02:00 BST (to 01:00
GMT: a 1500-minute day). Naive contract times are local; a time the fall-back change repeats is
read as its first occurrence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from factory import solved_and_agreed
from selforg_scheduler import Solution, SolveParams, instance_from_dict, validate
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.core.rota import rota_from_solution
from selforg_scheduler.outputs.render import day_blocks
from selforg_scheduler.rules.config import default_rules, rules_from_dict
from selforg_scheduler.rules.weekly_rest import committed_days

LONDON = ZoneInfo("Europe/London")
SPRING = "2027-03-22"  # Monday; day 6 = Sunday 28 March, clocks forward
FALL = "2027-10-25"  # Monday; day 6 = Sunday 31 October, clocks back
FAST = SolveParams(time_limit_s=60, workers=1, seed=0, deterministic_time=3.0)


Visit = tuple[str, str, str, float] | tuple[str, str, str, float, str]
"""(id, location, earliest local time, minutes[, latest local time: the earliest if left out])"""


def next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def week(
    start: str,
    availability: Sequence[tuple[str, str]],
    visits: Sequence[Visit],
    days: int = 7,
    workers: int = 1,
    zone: str = "Europe/London",
    commitments: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """A team's week: ``workers`` workers free in every ``availability`` period (local times),
    one-worker visits. Locations on a line, 1 unit a minute: A at 0, B at 22, C at 45, H (home)
    at 0."""
    return {
        "schema_version": 1,
        "team": {"id": "dst", "name": "DST team", "timezone": zone},
        "horizon": {"start": start, "days": days},
        "travel": {"method": "euclidean", "speed": 1.0, "count_home_legs": False},
        "locations": [
            {"id": "H", "x": 0, "y": 0},
            {"id": "A", "x": 0, "y": 0},
            {"id": "B", "x": 22, "y": 0},
            {"id": "C", "x": 45, "y": 0},
        ],
        "workers": [
            {
                "id": f"w{k + 1}",
                "home": "H",
                "skills": [],
                "contract_minutes": 0,
                "availability": [{"start": a, "end": b} for a, b in availability],
                "commitments": [{"start": a, "end": b, "what": "meeting"} for a, b in commitments],
            }
            for k in range(workers)
        ],
        "clients": [{"id": f"c{loc}", "location": loc} for loc in "ABC"],
        "visits": [
            {
                "id": v[0],
                "client": f"c{v[1]}",
                "earliest_start": v[2],
                "latest_start": v[4] if len(v) > 4 else v[2],  # type: ignore[misc]
                "duration_min": v[3],
                "workers_required": 1,
                "skills": [],
            }
            for v in visits
        ],
    }


def rota(team: dict[str, Any], starts: dict[str, str], worker: str = "w1") -> Solution:
    return Solution.model_validate(
        {
            "schema_version": 1,
            "instance": {"team": team["team"]["id"], "sha256": ""},
            "status": "FEASIBLE",
            "visits": [{"visit": v, "start": s, "workers": [worker]} for v, s in starts.items()],
            "unassigned": [{"visit": v["id"], "reason": "by hand"} for v in team["visits"] if v["id"] not in starts],
        }
    )


def exists(t: datetime) -> bool:
    """A naive London time the clocks show (not skipped by spring forward)."""
    return t.replace(tzinfo=LONDON).astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == t


# --- the problem's clock ---------------------------------------------------------------------------


def test_days_are_1380_and_1500_minutes_long_on_the_change_days() -> None:
    spring = compile_problem(instance_from_dict(week(SPRING, [], [])))
    assert [spring.day_start(d) for d in range(8)] == [0, 1440, 2880, 4320, 5760, 7200, 8640, 10020]
    fall = compile_problem(instance_from_dict(week(FALL, [], [])))
    assert [fall.day_start(d) for d in range(8)] == [0, 1440, 2880, 4320, 5760, 7200, 8640, 10140]
    # 00:30 GMT, then 02:00 BST one real half hour later; 01:30 does not exist: the jump, 02:00
    assert spring.minute_of(datetime(2027, 3, 28, 0, 30)) == 8670
    assert spring.minute_of(datetime(2027, 3, 28, 2, 0)) == 8700
    assert spring.at(6, 90) == spring.at(6, 120) == 8700
    assert spring.time_of(8700) == datetime(2027, 3, 28, 2, 0)
    # 01:30 happens twice on 31 October: read as the first (BST); 02:00 GMT is 90 minutes later
    assert fall.minute_of(datetime(2027, 10, 31, 1, 30)) == 8730
    assert fall.minute_of(datetime(2027, 10, 31, 2, 0)) == 8820
    assert fall.time_of(8790) == datetime(2027, 10, 31, 1, 30)  # the second 01:30 reads the same
    assert fall.at(6, 22 * 60) == 8640 + 23 * 60


def test_a_visit_at_2330_on_the_change_day_belongs_to_that_day() -> None:
    for start, day in ((SPRING, "2027-03-28"), (FALL, "2027-10-31")):
        visits: list[Visit] = [("late", "A", f"{day}T23:30", 20), ("next", "A", f"{next_day(day)}T00:10", 20)]
        team = week(start, [], visits, days=8)
        p = compile_problem(instance_from_dict(team))
        late, nxt = p.visits
        assert (late.day, nxt.day) == (6, 7)
        assert p.day_start(6) <= late.earliest < p.day_start(7) <= nxt.earliest
        assert p.day_of(late.earliest) == 6 and p.day_of(nxt.earliest) == 7
        assert p.day_of(p.day_start(7) - 1) == 6 and p.day_of(p.day_start(7)) == 7
        assert p.day_start(7) - late.earliest == 30


def test_without_a_change_every_minute_is_the_wall_clock_minute() -> None:
    for zone in ("UTC", "Europe/London"):
        for start in ("2026-11-30", "2027-06-07"):
            p = compile_problem(instance_from_dict(week(start, [], [], zone=zone)))
            assert [p.day_start(d) for d in range(8)] == [1440 * d for d in range(8)]
            assert p.at(3, 600) == 3 * 1440 + 600
            assert p.day_of(3 * 1440 + 1439) == 3
    utc = compile_problem(instance_from_dict(week(SPRING, [], [], zone="UTC")))
    assert utc.minute_of(datetime(2027, 3, 28, 2, 0)) == 6 * 1440 + 120  # UTC has no change


def test_a_commitment_after_a_short_day_falls_on_its_own_day() -> None:
    # horizon from Saturday 27 March: day 1 (Sunday) is 1380 minutes, so Monday starts at 2820;
    # a commitment Monday 00:30 is real minute 2850, which a 1440-minute day would put on Sunday
    team = week("2027-03-27", [], [], commitments=[("2027-03-29T00:30", "2027-03-29T01:00")])
    p = compile_problem(instance_from_dict(team))
    assert p.day_start(2) == 2820
    assert p.workers[0].commitments == ((2850, 2880),)
    assert committed_days(p, 0) == {2}


# --- the validator reads real minutes -------------------------------------------------------------


def night(visits: Sequence[Visit], start: str = SPRING, night_of: str = "2027-03-27") -> dict[str, Any]:
    """A night worker's week: free from 22:00 on ``night_of`` to 06:00 the next morning."""
    return week(start, [(f"{night_of}T22:00", f"{next_day(night_of)}T06:00")], visits)


def checked(team: dict[str, Any], starts: dict[str, str], *overrides: str) -> list[str]:
    """The validator's violations (``rule: message``) of a hand-made rota of w1."""
    report = validate(instance_from_dict(team), rota(team, starts), rules_from_dict({}, overrides=overrides))
    return [str(v) for v in report.violations]


def test_spring_forward_leaves_no_time_to_travel_between_0100_gmt_and_0200_bst() -> None:
    # 00:30-01:00 GMT at A, then B (22 minutes away) at 02:00 BST: 0 real minutes between them
    v1 = ("v1", "A", "2027-03-28T00:30", 30)
    found = checked(night([v1, ("v2", "B", "2027-03-28T02:00", 20)]), {"v1": v1[2], "v2": "2027-03-28T02:00"})
    assert len(found) == 1 and found[0].startswith("travel:") and "22 min away" in found[0], found
    # 22 real minutes: 01:00 GMT to 02:22 BST
    assert checked(night([v1, ("v2", "B", "2027-03-28T02:22", 20)]), {"v1": v1[2], "v2": "2027-03-28T02:22"}) == []
    found = checked(night([v1, ("v2", "B", "2027-03-28T02:21", 20)]), {"v1": v1[2], "v2": "2027-03-28T02:21"})
    assert [f.split(":")[0] for f in found] == ["travel"]


def test_fall_back_gives_an_hour_more_to_travel_and_to_work() -> None:
    # 00:30 BST for 60 minutes ends at 01:30 BST; C is 45 minutes away; 02:00 GMT is 90 real
    # minutes later (30 by the wall clock: too little)
    team = night([("v1", "A", "2027-10-31T00:30", 60), ("v2", "C", "2027-10-31T02:00", 30)], FALL, "2027-10-30")
    assert checked(team, {"v1": "2027-10-31T00:30", "v2": "2027-10-31T02:00"}) == []
    # free 00:00-03:00 that night is 240 real minutes: 210 from 00:00 BST end at 02:30 GMT
    free = [("2027-10-31T00:00", "2027-10-31T03:00")]
    assert checked(week(FALL, free, [("v1", "A", "2027-10-31T00:00", 210)]), {"v1": "2027-10-31T00:00"}) == []
    assert checked(week(FALL, free, [("v1", "A", "2027-10-31T00:00", 240)]), {"v1": "2027-10-31T00:00"}) == []
    found = checked(week(FALL, free, [("v1", "A", "2027-10-31T00:00", 241)]), {"v1": "2027-10-31T00:00"})
    assert [f.split(":")[0] for f in found] == ["availability"]


def test_daily_rest_is_measured_in_real_hours_across_the_change() -> None:
    for start, sat, rest in ((SPRING, "2027-03-27", 630), (FALL, "2027-10-30", 690)):
        # ends Saturday 20:00, starts Sunday 07:30: 11 h 30 by the wall clock, an hour less or more
        sun = next_day(sat)
        team = week(
            start,
            [(f"{sat}T08:00", f"{sat}T21:00"), (f"{sun}T07:00", f"{sun}T12:00")],
            [("v1", "A", f"{sat}T19:00", 60), ("v2", "A", f"{sun}T07:30", 30)],
        )
        found = checked(team, {"v1": f"{sat}T19:00", "v2": f"{sun}T07:30"})
        if rest < 660:
            assert len(found) == 1 and found[0].startswith("daily_rest:") and f"{rest} min of rest" in found[0]
        else:
            assert found == []


def test_clock_times_of_the_rules_are_local_on_the_change_day() -> None:
    # no lone visit ends after 22:00: 22:00 BST on Sunday 28 March, 21:00 UTC
    late = [("v1", "A", "2027-03-28T21:30", 30), ("v2", "A", "2027-03-28T21:31", 30)]
    evening = week(SPRING, [("2027-03-28T12:00", "2027-03-28T23:00")], late)
    assert compile_problem(instance_from_dict(evening)).at(6, 22 * 60) == 8640 + 21 * 60
    assert checked(evening, {"v1": "2027-03-28T21:30"}, "lone_working.buddy_check_after=22:30") == []
    found = checked(evening, {"v2": "2027-03-28T21:31"}, "lone_working.buddy_check_after=22:30")
    assert [f.split(":")[0] for f in found] == ["lone_working"]
    # an agreed earliest start of 09:15 on the change day is 08:15 UTC
    early = week(SPRING, [("2027-03-28T07:00", "2027-03-28T12:00")], [("v1", "A", "2027-03-28T09:14", 30)])
    early["workers"][0]["flexible_working"] = [{"kind": "earliest_start", "time": "09:15", "strength": "agreed"}]
    found = checked(early, {"v1": "2027-03-28T09:14"})
    assert [f.split(":")[0] for f in found] == ["flexible_working"]
    early["visits"][0]["earliest_start"] = early["visits"][0]["latest_start"] = "2027-03-28T09:15"
    assert checked(early, {"v1": "2027-03-28T09:15"}) == []


def test_the_rota_page_draws_local_clock_times() -> None:
    team = night([("v1", "A", "2027-03-28T00:30", 30), ("v2", "B", "2027-03-28T02:22", 20)])
    inst = instance_from_dict(team)
    sol = rota(team, {"v1": "2027-03-28T00:30", "v2": "2027-03-28T02:22"})
    p = compile_problem(inst)
    blocks = day_blocks(p, rota_from_solution(p, sol), sol)
    drawn = {b.visit: (b.start, b.end) for b in blocks[6][0] if b.kind == "visit"}
    # by the clocks: 00:30 GMT to 02:00 BST (the clocks jump as v1 ends), then 02:22 to 02:42 BST
    assert drawn == {"v1": (30, 120), "v2": (142, 162)}


# --- the solver and the validator agree ----------------------------------------------------------


def _solved(team: dict[str, Any]) -> Solution:
    inst = instance_from_dict(team)
    result, _ = solved_and_agreed(inst, default_rules(), FAST)
    p = compile_problem(inst)
    for a in result.solution.visits:
        assert exists(a.start), a
        assert p.time_of(p.minute_of(a.start)) == a.start  # written as read
    return result.solution


def test_the_solver_and_the_validator_agree_across_spring_forward() -> None:
    visits: list[Visit] = [
        ("n1", "A", "2027-03-28T00:10", 30, "2027-03-28T00:20"),
        ("n2", "B", "2027-03-28T00:40", 30, "2027-03-28T03:00"),  # across the missing hour
        ("n3", "C", "2027-03-28T02:00", 30, "2027-03-28T03:30"),
        ("n4", "A", "2027-03-28T03:00", 40, "2027-03-28T05:00"),
        ("d1", "C", "2027-03-28T05:00", 30, "2027-03-28T06:00"),
    ]
    sol = _solved(week(SPRING, [("2027-03-27T22:00", "2027-03-28T08:00")], visits, workers=2))
    assert {a.visit for a in sol.visits} == {v[0] for v in visits}


def test_the_solver_and_the_validator_agree_across_fall_back() -> None:
    visits: list[Visit] = [
        ("n1", "A", "2027-10-31T00:10", 50, "2027-10-31T00:30"),
        ("n0", "B", "2027-10-31T01:05", 10, "2027-10-31T01:20"),  # 01:05-01:20 BST, the first time round
        ("n2", "C", "2027-10-31T02:00", 30, "2027-10-31T02:30"),  # GMT: the repeated hour is behind it
        ("n3", "B", "2027-10-31T03:00", 40, "2027-10-31T03:30"),
        ("d1", "A", "2027-10-31T05:00", 30, "2027-10-31T05:30"),
    ]
    sol = _solved(week(FALL, [("2027-10-30T22:00", "2027-10-31T08:00")], visits, workers=2))
    assert {a.visit for a in sol.visits} == {v[0] for v in visits}


def test_no_visit_starts_in_the_second_occurrence_of_the_repeated_hour() -> None:
    # 01:00-01:59 happens twice on 31 October; a start in the second (GMT) one cannot be written
    # in the contract's naive local times, so the frame leaves those starts out.
    from selforg_scheduler.rules.frame import eligibility

    visits: list[Visit] = [("r1", "A", "2027-10-31T00:30", 30, "2027-10-31T02:30")]
    team = week(FALL, [("2027-10-30T22:00", "2027-10-31T08:00")], visits)
    p = compile_problem(instance_from_dict(team))
    first = p.minute_of(datetime(2027, 10, 31, 1, 0))  # 01:00 BST
    second = first + 60  # 01:00 GMT
    _, domains = eligibility(p, default_rules())
    dom = domains[(0, 0)]
    assert any(a <= first + 59 <= b for a, b in dom)  # the first time round may hold a start
    assert not any(a <= t <= b for a, b in dom for t in (second, second + 59))
    assert any(a <= second + 60 <= b for a, b in dom)  # 02:00 GMT again


def test_with_time_windows_off_a_visit_may_start_anywhere_on_its_local_day_after_a_change() -> None:
    # horizon from Friday 26 March: Sunday (day 2) is 1380 minutes, so Monday is 4260-5700
    team = week("2027-03-26", [], [("m1", "A", "2027-03-29T00:30", 30)])
    p = compile_problem(instance_from_dict(team))
    assert (p.day_start(3), p.day_start(4)) == (4260, 5700)
    rules = rules_from_dict({}, overrides=["time_windows.enabled=false"])
    assert rules.start_range(p, 0) == (4260, 5700 - 30)
