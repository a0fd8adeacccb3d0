"""People supported: care plans drawn for a client or a household (calls, time windows,
durations, skills, days), and the same plan retimed when the team cannot fit it.

A care plan is a ``Spec`` (name, home, two_workers, calls); ``planting.add_clients`` turns its
calls into candidate visits and plants them.
"""

from __future__ import annotations

from selforg_scheduler.datasets.geography import client_point, offset
from selforg_scheduler.datasets.names import SURNAMES
from selforg_scheduler.datasets.screen import call_room
from selforg_scheduler.datasets.team import (
    BRISK_SHARE,
    LONE_LATEST_END,
    Call,
    Spec,
    Team,
)

# Care-plan calls: (earliest_start choices, latest latest_start, duration choices).
CALLS: dict[str, tuple[tuple[int, ...], int, tuple[int, ...]]] = {
    "morning": (
        (420, 435, 450, 465, 480, 495, 510, 525, 540, 555, 570),
        630,
        (30, 30, 30, 35, 40, 45, 45, 60),
    ),
    "domestic_am": ((615, 630, 645, 660), 720, (45, 45, 60)),  # shopping, cleaning, shower
    "lunch": ((720, 720, 735, 750, 765), 810, (15, 20, 30, 30, 30)),
    "afternoon": ((840, 855, 870, 900, 930), 960, (15, 20, 30, 30)),  # medication, welfare
    "domestic_pm": ((840, 855, 870, 885, 900), 960, (45, 45, 60)),  # sitting service, outings
    "tea": ((990, 1005, 1020, 1035, 1050), 1080, (15, 20, 30, 30, 30)),
    "bed": ((1170, 1185, 1200, 1215, 1230, 1260), 1290, (20, 30, 30, 30)),
}
DOUBLE_UP_MORNING = (540, 555, 570)  # hoist calls: the double-up early pair is on from 09:15
# Client archetypes: (weight, call sets to choose from, every day?).
ARCHETYPES: tuple[tuple[float, tuple[tuple[str, ...], ...], bool], ...] = (
    (0.10, (("morning", "lunch", "tea", "bed"),), True),
    (0.17, (("morning", "lunch", "bed"), ("morning", "tea", "bed"), ("morning", "lunch", "tea")), True),
    (
        0.35,
        (
            ("morning", "bed"),
            ("morning", "tea"),
            ("morning", "lunch"),
            ("lunch", "tea"),
            ("tea", "bed"),
            ("morning", "afternoon"),
        ),
        True,
    ),
    (0.18, (("morning",), ("morning",), ("lunch",), ("tea",), ("bed",), ("afternoon",)), True),
    (0.20, (("domestic_am",), ("domestic_pm",), ("morning",)), False),
)
HOIST_PLANS: tuple[tuple[tuple[str, int], ...], ...] = (
    (("morning", 2), ("lunch", 1)),
    (("tea", 1), ("bed", 2)),
    (("morning", 2),),
    (("bed", 2),),
)


def _call(team: Team, call: str, req: int, needs: set[str], call_days: list[int]) -> Call:
    """One call of a care plan, its skills drawn from the person's needs."""
    rng = team.rng
    e, l_ = _window(team, call, req)
    dur = rng.choice(CALLS[call][2])
    if team.brisk:
        dur = max(15, round(dur * BRISK_SHARE / 5) * 5)
    if req == 2:
        dur = max(dur, 30)
    if call == "bed":
        dur = min(dur, LONE_LATEST_END - l_)
    skills: set[str] = set()
    meal_meds = call in ("lunch", "tea") and rng.random() < 0.5
    if "medication" in needs and (call in ("morning", "afternoon", "bed") or meal_meds):
        skills.add("medication")
    if "dementia_care" in needs and rng.random() < 0.7:
        skills.add("dementia_care")
    if "catheter_care" in needs and call in ("morning", "bed"):
        skills.add("catheter_care")
    if "peg_feeding" in needs and call in ("morning", "lunch", "tea"):
        skills.add("peg_feeding")
    if req == 2:
        skills.add("moving_and_handling")
        if rng.random() < 0.7:
            skills.discard("medication")
    return (call, e, l_, dur, req, frozenset(skills), call_days)


def _window(team: Team, call: str, req: int) -> tuple[int, int]:
    """A call's (earliest, latest) start, minutes of the day; 30-60 minutes wide."""
    starts, last, _ = CALLS[call]
    if req == 2 and call == "morning":
        starts = DOUBLE_UP_MORNING
    e = team.rng.choice(starts)
    width = team.rng.choice((45, 60, 60) if call == "morning" else (30, 30, 45, 60))
    return e, max(e + 30, min(e + width, last))


def retime(team: Team, spec: Spec) -> Spec:
    """The same care plan at other times of day (the team agrees times with the person)."""
    calls = []
    for call, _, _, dur, req, skills, call_days in spec.calls:
        e, l_ = _window(team, call, req)
        calls.append((call, e, l_, dur, req, skills, call_days))
    return Spec(spec.name, spec.point, spec.two_workers, calls)


def make_spec(team: Team, kind: str, max_visits: int | None = None, daily_only: bool = False) -> list[Spec]:
    """One client's care plan (two for a household); ``kind`` is regular, four or three (calls
    a day), two (two_workers), hoist (some double-up calls), couple or pair (households with
    linked visits), or fill (one call on a few days, at a time of day the team has room for)."""
    rng = team.rng
    alldays = list(range(team.days))
    for attempt in range(200):
        needs = set()
        if rng.random() < 0.75:
            needs.add("medication")
        if rng.random() < 0.25:
            needs.add("dementia_care")
        if rng.random() < 0.08:
            needs.add("catheter_care")
        if rng.random() < 0.04:
            needs.add("peg_feeding")
        if kind == "fill":
            return _fill(team, needs, max_visits)
        if kind == "two":
            calls: tuple[str, ...] = rng.choice((("morning", "lunch"), ("tea", "bed")))
            spec = Spec(team.names.client(), client_point(team), True, [
                _call(team, c, 2, needs, alldays) for c in calls
            ])  # fmt: skip
            return [spec]
        if kind == "hoist":
            hoist = rng.choice(HOIST_PLANS)
            return [Spec(team.names.client(), client_point(team), False, [
                _call(team, c, req, needs, alldays) for c, req in hoist
            ])]  # fmt: skip
        if kind in ("couple", "pair"):
            surname = rng.choice(SURNAMES)
            p = client_point(team)
            if kind == "couple":
                first = Spec(team.names.client("Mr", surname), p, False, [])
                second = Spec(team.names.client("Mrs", surname), p, False, [])
                shared = _call(team, "morning", 1, needs, alldays)
                first.calls = [shared, _call(team, "bed", 1, needs, alldays)]
                call, e, l_, _, _, skills, _ = shared
                second.calls = [(call, e, l_, rng.choice((20, 30)), 1, skills, alldays)]
            else:
                q = offset(p[0], p[1], 0.03, 0.02)
                first = Spec(team.names.client("Miss", surname), p, False, [])
                second = Spec(team.names.client("Miss", surname), q, False, [])
                wkdays = [d for d in alldays if team.weekday[d] in (0, 2, 4)]
                lunch = _call(team, "lunch", 1, needs, alldays)
                first.calls = [_call(team, "morning", 1, needs, alldays), lunch]
                second.calls = [(lunch[0], lunch[1], lunch[2], lunch[3], 1, frozenset(), wkdays)]
            return [first, second]
        if kind in ("four", "three"):  # the heaviest care plans, planted while there is room
            _, choices, daily = ARCHETYPES[0 if kind == "four" else 1]
        else:
            weights = [a[0] if a[2] or not daily_only else 0.0 for a in ARCHETYPES]
            _, choices, daily = rng.choices(ARCHETYPES, weights=weights)[0]
        calls = rng.choice(choices)
        if daily:
            call_days = alldays
        else:
            k = rng.choice((2, 3, 3, 4, 5))
            wds = set(rng.sample(range(7), k))
            call_days = [d for d in alldays if team.weekday[d] in wds]
        if not call_days or (max_visits is not None and len(calls) * len(call_days) > max_visits):
            continue
        # the team takes on people whose calls fall where it still has room
        pressure = max(team.pressure.get(c, 0.0) for c in calls)
        if kind == "regular" and attempt < 60 and rng.random() < pressure:
            continue
        spec_calls = [_call(team, c, 1, needs, call_days) for c in calls]
        return [Spec(team.names.client(), client_point(team), False, spec_calls)]
    return []


FILL_DAYS = (1, 2, 2, 3)
"""Days a week of a care plan taken on to fill a nearly full rota (a weekly shower, a sitting
service, a welfare call)."""


def _fill(team: Team, needs: set[str], max_visits: int | None) -> list[Spec]:
    """A care plan of one call on a few days, on days the team still has room for the call
    (``screen.call_room``), the call drawn by how many days it has room for."""
    rng = team.rng
    calls = {call: (min(starts), last, min(durs)) for call, (starts, last, durs) in CALLS.items()}
    room = call_room(team, calls)
    open_days = {call: [d for d, n in enumerate(room[call]) if n] for call in CALLS}
    choices = [call for call in CALLS if open_days[call]]
    if not choices:
        return []
    call = rng.choices(choices, weights=[len(open_days[c]) for c in choices])[0]
    k = min(rng.choice(FILL_DAYS), len(open_days[call]), max_visits if max_visits is not None else team.days)
    if k < 1:
        return []
    call_days = sorted(rng.sample(open_days[call], k))
    return [Spec(team.names.client(), client_point(team), False, [_call(team, call, 1, needs, call_days)])]
