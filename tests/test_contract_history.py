"""Care packages, cancellations and history (issue #22, the contract): optional sections that
round-trip exactly, leave the hash of instances without them alone, and are refused on bad input
with one line naming the object and field (exit 2), like every other part of the instance.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import DAY, tiny_instance, visit_by_id, write_json
from selforg_scheduler.contract.instance import WEEKDAYS, CarePackage, Instance
from selforg_scheduler.contract.io import instance_from_dict, instance_sha256, load_instance
from test_input_strict import all_unassigned, check_bad_instance, invoke, one_error_line

Raw = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent
HORIZON_START = dt.date.fromisoformat(DAY)  # a Monday


def with_sections(raw: Raw | None = None) -> Raw:
    """The tiny instance with every new section: two linked packages of c1 (one fortnightly),
    a package of c3, a cancellation, an extra visit of a package, and two weeks of history
    (one naming a worker who has left)."""
    raw = tiny_instance() if raw is None else raw
    raw["care_packages"] = [
        {
            "id": "P1",
            "client": "c1",
            "weekdays": ["mon", "wed", "fri"],
            "earliest": "07:30",
            "latest": "08:30",
            "duration_min": 30,
            "skills": ["medication"],
            "linked": [{"package": "P2", "min_gap_min": 240, "max_gap_min": 300}],
        },
        {
            "id": "P2",
            "client": "c1",
            "weekdays": ["mon"],
            "every_weeks": 2,
            "anchor": "2026-11-16",
            "earliest": "12:00",
            "latest": "12:30",
            "duration_min": 20.5,
            "workers_required": 2,
            "start": "2026-11-01",
            "end": "2027-03-31",
        },
        {"id": "P3", "client": "c3", "weekdays": ["tue"], "earliest": "10:00", "latest": "10:00", "duration_min": 15},
    ]
    raw["cancellations"] = [
        {"package": "P1", "date": "2026-12-02", "reason": "in hospital"},
        {"package": "P3", "date": "2026-12-01"},
    ]
    visit_by_id(raw, "v1")["package"] = "P1"  # an extra visit of P1 (the horizon's Monday)
    raw["history"] = {
        "weeks": [
            {
                "week_start": "2026-11-23",
                "clients": [{"client": "c1", "visits_by_worker": {"w1": 5, "w-left": 2}}],
                "workers": [
                    {"worker": "w1", "working_minutes": 1800.5, "unsociable_visits": 3, "weekend_days": 1},
                    {"worker": "w-left", "working_minutes": 240, "unsociable_visits": 0, "weekend_days": 2},
                ],
            },
            {"week_start": "2026-11-16"},
        ]
    }
    return raw


def round_trip(inst: Instance) -> Instance:
    """The instance written as JSON text and read back through the strict loader."""
    return instance_from_dict(json.loads(inst.model_dump_json()), file="again.json")


# --- round trip ---------------------------------------------------------------------------------


def test_every_new_section_round_trips_exactly():
    inst = instance_from_dict(with_sections(), file="week.json")
    assert [p.id for p in inst.care_packages] == ["P1", "P2", "P3"]
    assert inst.care_packages[0].linked[0].package == "P2"
    assert inst.care_packages[1].earliest == dt.time(12, 0)
    assert inst.cancellations[0].date == dt.date(2026, 12, 2)
    assert visit_by_id(inst.model_dump(mode="json"), "v1")["package"] == "P1"
    assert inst.history is not None and inst.history.weeks[0].clients[0].visits_by_worker == {"w1": 5, "w-left": 2}
    again = round_trip(inst)
    assert again == inst
    assert again.model_dump(mode="json") == inst.model_dump(mode="json")
    assert instance_sha256(again) == instance_sha256(inst)
    assert Instance.model_validate_json(inst.model_dump_json(), strict=True) == inst


def test_the_new_sections_change_the_hash_when_they_are_used():
    plain = instance_from_dict(tiny_instance())
    used = instance_from_dict(with_sections())
    assert instance_sha256(used) != instance_sha256(plain)
    for change in (
        lambda r: r["care_packages"][2].update(duration_min=16),
        lambda r: r["cancellations"].pop(),
        lambda r: r["history"]["weeks"][0]["workers"][0].update(weekend_days=2),
        lambda r: visit_by_id(r, "v1").pop("package"),
    ):
        raw = with_sections()
        change(raw)
        assert instance_sha256(instance_from_dict(raw)) != instance_sha256(used)


def test_a_package_visits_on_its_weekdays_in_active_weeks_within_its_dates():
    inst = instance_from_dict(with_sections())
    p1, p2 = inst.care_packages[0], inst.care_packages[1]
    monday = HORIZON_START
    assert p1.visits_on(monday) and not p1.visits_on(monday + dt.timedelta(days=1))
    # P2: Mondays, fortnightly from 2026-11-16, 2026-11-01 .. 2027-03-31
    assert p2.visits_on(dt.date(2026, 11, 16)) and p2.visits_on(monday)
    assert not p2.visits_on(dt.date(2026, 11, 23)) and not p2.visits_on(dt.date(2026, 12, 7))
    assert p2.visits_on(dt.date(2026, 11, 2))  # before the anchor, counted back the same way
    assert not p2.visits_on(dt.date(2026, 10, 19)) and not p2.visits_on(dt.date(2027, 4, 12))  # outside its dates


def test_the_example_in_docs_formats_md_is_valid():
    """The example of docs/formats.md's section, added to the shipped week, loads."""
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    section = text.split("### Care packages, cancellations and history", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    raw = json.loads((ROOT / "instances" / "week.json").read_text(encoding="utf-8"))
    raw["visits"] += example.pop("visits")
    inst = instance_from_dict({**raw, **example}, file="formats.md")
    assert [p.id for p in inst.care_packages] == ["P-p01-am", "P-p01-lunch"]
    assert inst.cancellations and inst.history is not None and inst.visits[-1].package == "P-p01-am"
    for field in ("care_packages", "cancellations", "history", "package", "every_weeks", "anchor", "linked"):
        assert f"`{field}`" in section, field
    for field in CarePackage.model_fields:
        assert f"`{field}`" in section, field


# --- hypothesis: generated packages and history round-trip ---------------------------------------

IDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ÄéЖ", min_size=1, max_size=8)
TIMES = st.builds(dt.time, st.integers(0, 23), st.integers(0, 59))
DATES = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
GAPS = st.floats(-1440, 1440, allow_nan=False, allow_infinity=False)


@st.composite
def packages(draw: st.DrawFn) -> list[Raw]:
    out: list[Raw] = []
    for k in range(draw(st.integers(0, 5))):
        first, last = sorted(draw(st.lists(TIMES, min_size=2, max_size=2)))
        every = draw(st.integers(1, 52))
        item: Raw = {
            "id": f"P{k}",
            "client": draw(st.sampled_from(["c1", "c2", "c3"])),
            "weekdays": draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)),
            "earliest": first.strftime("%H:%M"),
            "latest": last.strftime("%H:%M"),
            "duration_min": draw(st.floats(0.01, 1440, allow_nan=False) | st.integers(1, 1440)),
        }
        if every > 1 or draw(st.booleans()):
            item.update(every_weeks=every, anchor=draw(DATES).isoformat())
        if draw(st.booleans()):
            item["skills"] = draw(st.lists(IDS, max_size=3))
        if draw(st.booleans()):
            item["workers_required"] = draw(st.integers(1, 10))
        if draw(st.booleans()):
            start, end = sorted(draw(st.lists(DATES, min_size=2, max_size=2)))
            item.update(start=start.isoformat(), end=end.isoformat())
        out.append(item)
    for item in out:  # links to packages of the same client that share a weekday
        for other in out:
            if (
                other is not item
                and other["client"] == item["client"]
                and set(other["weekdays"]) & set(item["weekdays"])
            ):
                if draw(st.booleans()):
                    lo, hi = sorted(draw(st.lists(GAPS, min_size=2, max_size=2)))
                    item.setdefault("linked", []).append({"package": other["id"], "min_gap_min": lo, "max_gap_min": hi})
    return out


@st.composite
def cancellations(draw: st.DrawFn, items: list[Raw]) -> list[Raw]:
    out: list[Raw] = []
    taken: set[tuple[str, dt.date]] = set()
    for item in items:
        package = CarePackage.model_validate_json(json.dumps(item), strict=True)
        days = [d for d in (HORIZON_START + dt.timedelta(days=k) for k in range(-70, 70)) if package.visits_on(d)]
        for day in draw(st.lists(st.sampled_from(days), max_size=3, unique=True)) if days else []:
            if (item["id"], day) not in taken:
                taken.add((item["id"], day))
                entry: Raw = {"package": item["id"], "date": day.isoformat()}
                if draw(st.booleans()):
                    entry["reason"] = draw(st.text(max_size=20))
                out.append(entry)
    return out


@st.composite
def histories(draw: st.DrawFn) -> Raw:
    weeks_back = draw(st.lists(st.integers(1, 400), max_size=52, unique=True))
    counts = st.integers(0, 10_080)
    weeks: list[Raw] = []
    for back in weeks_back:
        week: Raw = {"week_start": (HORIZON_START - dt.timedelta(weeks=back)).isoformat()}
        clients = draw(st.lists(IDS, max_size=4, unique=True))
        if clients or draw(st.booleans()):
            week["clients"] = [
                {"client": c, "visits_by_worker": draw(st.dictionaries(IDS, counts, max_size=4))} for c in clients
            ]
        workers = draw(st.lists(IDS, max_size=4, unique=True))
        if workers or draw(st.booleans()):
            week["workers"] = [
                {
                    "worker": w,
                    "working_minutes": draw(st.floats(0, 10_080, allow_nan=False) | st.integers(0, 10_080)),
                    "unsociable_visits": draw(counts),
                    "weekend_days": draw(st.integers(0, 2)),
                }
                for w in workers
            ]
        weeks.append(week)
    return {"weeks": weeks}


@st.composite
def instances_with_sections(draw: st.DrawFn) -> Raw:
    raw = tiny_instance()
    items = draw(packages())
    if items or draw(st.booleans()):
        raw["care_packages"] = items
        raw["cancellations"] = draw(cancellations(items))
        for visit in raw["visits"]:
            mine = [p["id"] for p in items if p["client"] == visit["client"]]
            if mine and draw(st.booleans()):
                visit["package"] = draw(st.sampled_from(mine))
    if draw(st.booleans()):
        raw["history"] = draw(histories())
    return raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_sections())
def test_generated_packages_and_history_round_trip(raw):
    inst = instance_from_dict(copy.deepcopy(raw), file="week.json")
    again = round_trip(inst)
    assert again == inst
    assert again.model_dump(mode="json") == inst.model_dump(mode="json")
    assert instance_sha256(again) == instance_sha256(inst)
    assert len(inst.care_packages) == len(raw.get("care_packages", []))
    assert len(inst.history.weeks if inst.history else []) == len(raw.get("history", {}).get("weeks", []))


# --- instances without the sections keep their hash ----------------------------------------------


def test_the_shipped_week_keeps_its_hash():
    """``instances/week.plan.json`` was written (with the instance's hash) before these sections
    existed: the hash of ``week.json`` must still be the one it recorded."""
    inst = load_instance(ROOT / "instances" / "week.json")
    recorded = json.loads((ROOT / "instances" / "week.plan.json").read_text(encoding="utf-8"))["instance"]["sha256"]
    assert instance_sha256(inst) == recorded
    again = instance_from_dict(inst.model_dump(mode="json"), file="again.json")
    assert instance_sha256(again) == recorded
    assert instance_sha256(round_trip(inst)) == recorded


@pytest.mark.parametrize(
    "empty",
    [
        {"care_packages": []},
        {"cancellations": []},
        {"history": None},
        {"history": {"weeks": []}},
        {"care_packages": [], "cancellations": [], "history": {"weeks": []}},
    ],
    ids=["no packages", "no cancellations", "history null", "history of no weeks", "all empty"],
)
def test_empty_sections_hash_as_if_absent(empty):
    plain = instance_sha256(instance_from_dict(tiny_instance()))
    assert instance_sha256(instance_from_dict({**tiny_instance(), **empty})) == plain
    raw = tiny_instance()
    visit_by_id(raw, "v1")["package"] = None
    assert instance_sha256(instance_from_dict(raw)) == plain


def test_the_solver_ignores_the_new_sections(tmp_path):
    """docs/formats.md says so: until the weekly loop or history-aware rules use them, the rota is
    the same with them as without (only the instance's hash differs)."""
    rotas = []
    for name, raw in (("plain", tiny_instance()), ("sections", with_sections())):
        path = write_json(tmp_path, f"{name}.json", raw)
        out = tmp_path / "out" / f"{name}.sol.json"
        result = invoke("solve", path, "--out", out, "-q", "--deterministic-time", "1", "--no-html")
        assert result.exit_code == 0, result.output
        assert invoke("validate", path, out).exit_code == 0
        rotas.append(json.loads(out.read_text(encoding="utf-8")))
    plain, sections = rotas
    for key in ("status", "objective", "visits", "unassigned", "breaks", "penalties", "kpis"):
        assert plain[key] == sections[key], key


# --- bad input: exit 2, one line naming object and field ----------------------------------------


def package(raw: Raw, pid: str) -> Raw:
    return next(p for p in raw["care_packages"] if p["id"] == pid)


def history_week(raw: Raw, i: int = 0) -> Raw:
    week: Raw = raw["history"]["weeks"][i]
    return week


def _many_weeks(raw: Raw, n: int) -> None:
    raw["history"]["weeks"] = [
        {"week_start": (HORIZON_START - dt.timedelta(weeks=k + 1)).isoformat()} for k in range(n)
    ]


BAD: list[tuple[str, Callable[[Raw], Any], Sequence[str]]] = [
    # care packages
    (
        "inverted package window",
        lambda r: package(r, "P1").update(earliest="09:00", latest="08:30"),
        ("care_packages[P1].latest: ", "latest 08:30 is before earliest 09:00"),
    ),
    (
        "package of an unknown client",
        lambda r: package(r, "P3").update(client="nobody"),
        ("care_packages[P3].client: ", "unknown client 'nobody'"),
    ),
    (
        "linked package of another client",
        lambda r: package(r, "P1")["linked"].append({"package": "P3", "min_gap_min": 0, "max_gap_min": 60}),
        ("care_packages[P1].linked[1].package: ", "'P3' is for client 'c3', not 'c1'"),
    ),
    (
        "unknown linked package",
        lambda r: package(r, "P1")["linked"][0].update(package="P9"),
        ("care_packages[P1].linked[0].package: ", "unknown care package 'P9'"),
    ),
    (
        "package linked to itself",
        lambda r: package(r, "P1")["linked"][0].update(package="P1"),
        ("care_packages[P1].linked[0].package: ", "cannot be linked to itself"),
    ),
    (
        "linked packages that share no weekday",
        lambda r: package(r, "P2").update(weekdays=["sat"]),
        ("care_packages[P1].linked[0].package: ", "shares no weekday"),
    ),
    (
        "a link's gaps inverted",
        lambda r: package(r, "P1")["linked"][0].update(min_gap_min=300, max_gap_min=240),
        ("care_packages[P1].linked[0].max_gap_min: ", "is before min_gap_min"),
    ),
    (
        "a link's gap over a day",
        lambda r: package(r, "P1")["linked"][0].update(max_gap_min=1441),
        ("care_packages[P1].linked[0].max_gap_min: ", "less than or equal to 1440"),
    ),
    (
        "every_weeks 0",
        lambda r: package(r, "P2").update(every_weeks=0),
        ("care_packages[P2].every_weeks: ", "greater than or equal to 1"),
    ),
    (
        "every_weeks as a string",
        lambda r: package(r, "P2").update(every_weeks="2"),
        ("care_packages[P2].every_weeks: ", "valid integer", 'the string "2"'),
    ),
    (
        "fortnightly without an anchor",
        lambda r: package(r, "P2").pop("anchor"),
        ("care_packages[P2].anchor: ", "every_weeks 2 needs an anchor"),
    ),
    (
        "package end before start",
        lambda r: package(r, "P2").update(end="2026-10-31"),
        ("care_packages[P2].end: ", "end 2026-10-31 is before start 2026-11-01"),
    ),
    (
        "a weekday named twice",
        lambda r: package(r, "P1").update(weekdays=["mon", "wed", "mon"]),
        ("care_packages[P1].weekdays: ", "'mon' is named twice"),
    ),
    (
        "no weekdays",
        lambda r: package(r, "P3").update(weekdays=[]),
        ("care_packages[P3].weekdays: ", "at least 1 item"),
    ),
    (
        "an unknown weekday",
        lambda r: package(r, "P3").update(weekdays=["tues"]),
        ("care_packages[P3].weekdays[0]: ",),
    ),
    (
        "a time with a UTC offset",
        lambda r: package(r, "P3").update(earliest="10:00+01:00"),
        ("care_packages[P3].earliest: ", "without a UTC offset"),
    ),
    (
        "a time that is no time",
        lambda r: package(r, "P3").update(latest="25:00"),
        ("care_packages[P3].latest: ", "valid time"),
    ),
    (
        "a duration of 0",
        lambda r: package(r, "P3").update(duration_min=0),
        ("care_packages[P3].duration_min: ", "greater than 0"),
    ),
    (
        "a duration over a day",
        lambda r: package(r, "P3").update(duration_min=1441),
        ("care_packages[P3].duration_min: ", "less than or equal to 1440"),
    ),
    (
        "no workers required",
        lambda r: package(r, "P3").update(workers_required=0),
        ("care_packages[P3].workers_required: ", "greater than or equal to 1"),
    ),
    (
        "two packages of one id",
        lambda r: package(r, "P3").update(id="P1"),
        ("care_packages[P1].id: ", "duplicate id"),
    ),
    (
        "a misspelt package field",
        lambda r: package(r, "P3").update(weekday=package(r, "P3").pop("weekdays")),
        ("care_packages[P3].weekday: ", "unknown field", "'weekdays'"),
    ),
    # cancellations and extra visits
    (
        "cancellation of an unknown package",
        lambda r: r["cancellations"].append({"package": "P9", "date": "2026-12-01"}),
        ("cancellations[2].package: ", "unknown care package 'P9'"),
    ),
    (
        "cancellation of a day the package does not visit",
        lambda r: r["cancellations"].append({"package": "P2", "date": "2026-12-07"}),
        ("cancellations[2].date: ", "'P2' has no visit on 2026-12-07 (mon)"),
    ),
    (
        "a visit cancelled twice",
        lambda r: r["cancellations"].append({"package": "P1", "date": "2026-12-02"}),
        ("cancellations[2].date: ", "already cancelled by cancellations[0]"),
    ),
    (
        "a cancellation without a date",
        lambda r: r["cancellations"][0].pop("date"),
        ("cancellations[0].date: ", "Field required"),
    ),
    (
        "an extra visit of an unknown package",
        lambda r: visit_by_id(r, "v2").update(package="P9"),
        ("visits[v2].package: ", "unknown care package 'P9'"),
    ),
    (
        "an extra visit of another client's package",
        lambda r: visit_by_id(r, "v2").update(package="P1"),
        ("visits[v2].package: ", "'P1' is for client 'c1', not 'c2'"),
    ),
    # history
    (
        "history week after the horizon start",
        lambda r: history_week(r).update(week_start="2026-12-07"),
        ("history.weeks[0].week_start: ", "2026-12-07 is not before the horizon start 2026-11-30"),
    ),
    (
        "history week on the horizon start",
        lambda r: history_week(r, 1).update(week_start=DAY),
        ("history.weeks[1].week_start: ", "not before the horizon start"),
    ),
    (
        "history week not on the horizon's weekday",
        lambda r: history_week(r).update(week_start="2026-11-24"),
        ("history.weeks[0].week_start: ", "2026-11-24 is a Tuesday", "(Monday, as 2026-11-30)"),
    ),
    (
        "history week given twice",
        lambda r: history_week(r, 1).update(week_start="2026-11-23"),
        ("history.weeks[1].week_start: ", "given twice (also history.weeks[0])"),
    ),
    (
        "53 weeks of history",
        lambda r: _many_weeks(r, 53),
        ("history.weeks: ", "at most 52 weeks of history", "not 53"),
    ),
    (
        "negative working minutes",
        lambda r: history_week(r)["workers"][0].update(working_minutes=-1),
        ("history.weeks[0].workers[0].working_minutes: ", "greater than or equal to 0"),
    ),
    (
        "working minutes over a week",
        lambda r: history_week(r)["workers"][0].update(working_minutes=10_081),
        ("history.weeks[0].workers[0].working_minutes: ", "less than or equal to 10080"),
    ),
    (
        "three weekend days",
        lambda r: history_week(r)["workers"][1].update(weekend_days=3),
        ("history.weeks[0].workers[1].weekend_days: ", "less than or equal to 2"),
    ),
    (
        "unsociable visits as a fraction",
        lambda r: history_week(r)["workers"][0].update(unsociable_visits=1.5),
        ("history.weeks[0].workers[0].unsociable_visits: ", "valid integer"),
    ),
    (
        "a negative visit count",
        lambda r: history_week(r)["clients"][0]["visits_by_worker"].update(w1=-1),
        ("history.weeks[0].clients[0].visits_by_worker.w1: ", "greater than or equal to 0"),
    ),
    (
        "an empty worker id in a visit count",
        lambda r: history_week(r)["clients"][0]["visits_by_worker"].update({"": 1}),
        ("history.weeks[0].clients[0].visits_by_worker: ", "a worker id is empty"),
    ),
    (
        "a worker id that is a number",
        lambda r: history_week(r)["workers"][0].update(worker=7),
        ("history.weeks[0].workers[0].worker: ", "valid string", "the number 7"),
    ),
    (
        "an empty client id",
        lambda r: history_week(r)["clients"][0].update(client=""),
        ("history.weeks[0].clients[0].client: ", "at least 1 character"),
    ),
    (
        "a worker twice in one week",
        lambda r: history_week(r)["workers"][1].update(worker="w1"),
        ("history.weeks[0].workers[1].worker: ", "worker 'w1' is named twice in this week"),
    ),
    (
        "a history worker without minutes",
        lambda r: history_week(r)["workers"][0].pop("working_minutes"),
        ("history.weeks[0].workers[0].working_minutes: ", "Field required"),
    ),
    (
        "history as a list",
        lambda r: r.update(history=r["history"]["weeks"]),
        (": history: ", "should be an object, not a list"),
    ),
]


@pytest.mark.parametrize(("mutate", "needles"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_packages_cancellations_and_history_are_one_line_exit_2(tmp_path, mutate, needles):
    check_bad_instance(tmp_path, lambda r: mutate(with_sections(r)), needles)


def test_the_sections_of_with_sections_pass_validate(tmp_path):
    """The cases above fail for the one thing each breaks."""
    raw = with_sections()
    path = write_json(tmp_path, "week.json", raw)
    write_json(tmp_path, "sol.json", all_unassigned(raw))
    result = invoke("validate", path, tmp_path / "sol.json")
    assert result.exit_code == 0, result.output


def _with_nan(raw: Raw, where: Sequence[str | int]) -> str:
    node: Any = raw
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = "@@NAN@@"
    return json.dumps(raw).replace('"@@NAN@@"', "NaN")


@pytest.mark.parametrize(
    ("where", "named"),
    [
        (("history", "weeks", 0, "workers", 0, "working_minutes"), "history.weeks[0].workers[0].working_minutes"),
        (("care_packages", 1, "duration_min"), "care_packages[P2].duration_min"),
        (("care_packages", 0, "linked", 0, "min_gap_min"), "care_packages[P1].linked[0].min_gap_min"),
    ],
    ids=["history minutes", "package duration", "link gap"],
)
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_nan_in_the_new_sections_is_one_line_exit_2(tmp_path, where, named, command):
    raw = with_sections()
    path = tmp_path / "week.json"
    path.write_text(_with_nan(raw, where), encoding="utf-8")
    if command == "validate":
        write_json(tmp_path, "sol.json", all_unassigned(raw))
        result = invoke("validate", path, tmp_path / "sol.json")
    else:
        result = invoke("solve", path, "--out", tmp_path / "out" / "sol.json", "-q", "-t", "5", "--workers", "1")
    one_error_line(result, f"{path}: {named}: NaN is not a finite number")
    assert not (tmp_path / "out" / "sol.json").exists()


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (lambda r: package(r, "P1").update(earliest="09:00", latest="08:30"), ("care_packages[P1].latest",)),
        (lambda r: package(r, "P3").update(client="nobody"), ("care_packages[P3].client", "unknown client")),
        (lambda r: package(r, "P2").update(every_weeks=0), ("care_packages[P2].every_weeks",)),
        (lambda r: history_week(r).update(week_start="2026-12-07"), ("history.weeks[0].week_start",)),
        (lambda r: _many_weeks(r, 53), ("history.weeks", "at most 52")),
    ],
    ids=["inverted window", "unknown client", "every_weeks 0", "history after the horizon", "53 weeks"],
)
def test_solve_refuses_bad_sections_with_exit_2(tmp_path, mutate, needles):
    raw = with_sections()
    mutate(raw)
    path = write_json(tmp_path, "week.json", raw)
    result = invoke("solve", path, "--out", tmp_path / "out" / "sol.json", "-q", "-t", "5", "--workers", "1")
    one_error_line(result, f"{path}: ", *needles)
    assert not (tmp_path / "out" / "sol.json").exists()
