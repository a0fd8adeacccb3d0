"""Outputs of the command line: an output path that cannot be written is one line and exit 2
before any work; files are written atomically; file names made from ids stay in their folder;
calendars are right across clock changes; a rota of another instance is refused; a
deterministic budget gives the same rota twice."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from typer.testing import CliRunner

from factory import client, hand_rota, instance, visit, worker
from helpers import tiny_instance, write_json
from selforg_scheduler.cli import app
from selforg_scheduler.contract.io import instance_sha256, load_instance
from selforg_scheduler.contract.solution import Break
from selforg_scheduler.outputs.files import atomic_path, check_writable, inside, safe_name, unique_names
from selforg_scheduler.outputs.ical import worker_calendars

runner = CliRunner()
LONDON = "Europe/London"


def invoke(*args: object) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def output_of(result: Any) -> str:
    """Everything printed, stdout and stderr (Click >= 8.2 mixes both into ``output``)."""
    try:
        stderr = result.stderr
    except ValueError:  # older Click: stderr mixed in
        return result.output
    return result.output + ("" if stderr in result.output else stderr)


def one_error_line(result: Any, *needles: str) -> str:
    """Exit 2, exactly one line of output, no traceback, every needle in the line."""
    everything = output_of(result)
    assert "Traceback" not in everything
    assert result.exit_code == 2, everything
    lines = [line for line in everything.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def _all_unassigned(raw: dict[str, Any], sha256: str = "") -> dict[str, Any]:
    return {
        "instance": {"team": raw["team"]["id"], "sha256": sha256},
        "status": "FEASIBLE",
        "visits": [],
        "unassigned": [{"visit": v["id"], "reason": "by hand"} for v in raw["visits"]],
    }


# --- 1. output paths checked before any work -----------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    raw = tiny_instance()
    team = write_json(tmp_path, "in/week.json", raw)
    rota = write_json(tmp_path, "in/rota.json", _all_unassigned(raw))
    many = tmp_path / "many"
    write_json(many, "team.json", raw)
    bench = tmp_path / "in" / "bench.txt"
    bench.write_text("not read: the output path is checked first\n", encoding="utf-8")
    (tmp_path / "somefile.txt").write_text("a file, not a folder\n", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    return {"week": team, "rota": rota, "many": many, "bench": bench, "root": tmp_path}


# (command, option, whether the option names a folder, the arguments before it)
OUTPUTS: list[tuple[str, str, bool, Callable[[dict[str, Path]], list[object]]]] = [
    ("solve", "--out", False, lambda p: ["solve", p["week"], "-t", "5", "--workers", "1", "-q"]),
    ("solve", "--html", False, lambda p: ["solve", p["week"], "-t", "5", "-q", "--out", p["root"] / "ok/sol.json"]),
    ("solve-many", "--out", True, lambda p: ["solve-many", p["many"], "-t", "5"]),
    (
        "repair",
        "--out",
        False,
        lambda p: ["repair", p["week"], p["rota"], "--absent", "w1", "--from", "2026-11-30T00:00", "-t", "5"],
    ),
    (
        "repair",
        "--diff",
        False,
        lambda p: [
            "repair",
            p["week"],
            p["rota"],
            "--absent",
            "w1",
            "--from",
            "2026-11-30T00:00",
            "-t",
            "5",
            "--out",
            p["root"] / "ok/rep.json",
        ],  # fmt: skip
    ),
    ("render", "--out", False, lambda p: ["render", p["week"], p["rota"]]),
    ("render", "--png", False, lambda p: ["render", p["week"], p["rota"], "--out", p["root"] / "ok/r.html"]),
    ("ical", "--out", True, lambda p: ["ical", p["week"], p["rota"]]),
    ("report", "--out", True, lambda p: ["report", p["week"], p["rota"], "--format", "csv"]),
    ("generate", "--out", False, lambda p: ["generate", "--visits", "10", "--workers", "2"]),
    (
        "generate",
        "--plan",
        False,
        lambda p: ["generate", "--visits", "10", "--workers", "2", "--out", p["root"] / "ok/gen.json"],
    ),
    ("import-mankowska", "--out", False, lambda p: ["import-mankowska", p["bench"]]),
    ("pair-buddies", "--out", False, lambda p: ["pair-buddies", p["week"]]),
    ("pair-buddies", "--write-into", False, lambda p: ["pair-buddies", p["week"]]),
    ("rotate-roles", "--out", False, lambda p: ["rotate-roles", p["week"]]),
]

WORK = [
    "selforg_scheduler.pipeline.solve.solve_detailed",
    "selforg_scheduler.modes.many.solve_many",
    "selforg_scheduler.modes.repair.repair",
    "selforg_scheduler.outputs.render.render_html",
    "selforg_scheduler.outputs.ical.write_calendars",
    "selforg_scheduler.outputs.reports.build_reports",
    "selforg_scheduler.datasets.generate.generate_instance",
    "selforg_scheduler.datasets.mankowska.read_mankowska",
    "selforg_scheduler.modes.buddies.pair_buddies",
    "selforg_scheduler.modes.rotation.plan_roles",
]
"""What each command does after checking its outputs: any call is a failure (exit 3, not 2)."""


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started before the output path was checked")

    for target in WORK:
        monkeypatch.setattr(target, boom)


def _bad(kind: str, folder: bool, root: Path) -> tuple[Path, str]:
    """A path of this kind that cannot be written, and what the error line says about it."""
    name = "out" if folder else "out.file"
    if kind == "under a file":
        return root / "somefile.txt" / name, "is a file, not a folder"
    if kind == "in /proc":
        return Path("/proc/selforg-scheduler-test") / name, "cannot"
    if kind == "existing folder as a file":
        return root / "adir", "is a folder"
    assert kind == "existing file as a folder"
    return root / "somefile.txt", "is a file, not a folder"


@pytest.mark.usefixtures("no_work")
@pytest.mark.parametrize("kind", ["under a file", "in /proc", "existing target of the wrong kind"])
@pytest.mark.parametrize(("command", "option", "folder", "args"), OUTPUTS, ids=[f"{c[0]} {c[1]}" for c in OUTPUTS])
def test_an_output_path_that_cannot_be_written_is_one_line_before_any_work(inputs, kind, command, option, folder, args):
    if kind == "existing target of the wrong kind":
        kind = "existing file as a folder" if folder else "existing folder as a file"
    path, why = _bad(kind, folder, inputs["root"])
    before = sorted(p.name for p in inputs["root"].iterdir())
    line = one_error_line(invoke(*args(inputs), option, path), f"{option} {path}: cannot write there", why)
    assert line.startswith("error: ")
    assert sorted(p.name for p in inputs["root"].iterdir()) == before  # nothing made on the way
    assert not (inputs["root"] / "ok").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write in any folder")
@pytest.mark.usefixtures("no_work")
def test_an_unwritable_folder_is_refused(inputs):
    locked = inputs["root"] / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        target = locked / "sub" / "sol.json"
        one_error_line(invoke(*OUTPUTS[0][3](inputs), "--out", target), f"--out {target}", "no permission")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_check_writable_accepts_new_nested_paths_and_makes_nothing(tmp_path):
    check_writable(tmp_path / "a" / "b" / "sol.json", "--out")
    check_writable(tmp_path / "x" / "calendars", "--out", folder=True)
    check_writable(tmp_path, "--out", folder=True)
    assert list(tmp_path.iterdir()) == []  # the probe file is gone, no folder made


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "sol.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["sol.json"]
    with atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["sol.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # as a plain write would make it


def test_solve_writes_rota_and_page_into_new_folders_with_no_temporary_left(tmp_path):
    inst = write_json(tmp_path, "week.json", tiny_instance())
    sol, page = tmp_path / "a" / "b" / "sol.json", tmp_path / "c" / "page.html"
    result = invoke("solve", inst, "--out", sol, "--html", page, "-t", "5", "--workers", "1", "-q")
    assert result.exit_code == 0, output_of(result)
    assert json.loads(sol.read_text(encoding="utf-8"))["instance"]["team"] == "tiny"
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    assert [p.name for p in sol.parent.iterdir()] == ["sol.json"]
    assert [p.name for p in page.parent.iterdir()] == ["page.html"]


# --- 2. file names made from ids -----------------------------------------------------------------

ODD_IDS = ["../escaped", "../../x", "a/b", ".hidden", "a_b", "A_B", ".."]


def test_safe_names_keep_to_the_folder_and_are_unique():
    assert safe_name("../escaped") == "_escaped"
    assert safe_name("a/b") == "a_b"
    assert safe_name(".hidden") == "hidden"
    assert safe_name("..") == "_" and safe_name("") == "_"
    assert safe_name("Mrs K. O'Neil") == "Mrs_K._O_Neil"
    names = unique_names(ODD_IDS, ".ics")
    assert names["a/b"] == "a_b.ics" and names["a_b"] == "a_b-2.ics" and names["A_B"] == "A_B-3.ics"
    assert len({n.casefold() for n in names.values()}) == len(ODD_IDS)  # unique, also ignoring case
    for name in names.values():
        assert not name.startswith(".") and "/" not in name
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    for bad in ("../x.ics", "a/b.ics", "..", "", "."):
        with pytest.raises(ValueError):
            inside(Path("folder"), bad)


def _odd_team(tmp_path: Path) -> tuple[Path, Path]:
    raw = tiny_instance()
    template = raw["workers"][1]
    raw["workers"] = [{**template, "id": wid, "name": f"Worker {k}"} for k, wid in enumerate(ODD_IDS)]
    for c in raw["clients"]:
        c.pop("link_workers", None)
        c.pop("excluded_workers", None)
    rota = _all_unassigned(raw)
    rota["visits"] = [{"visit": "v2", "start": "2026-11-30T09:00", "workers": ["../../x"]}]
    rota["unassigned"] = [u for u in rota["unassigned"] if u["visit"] != "v2"]
    return write_json(tmp_path, "in/odd.json", raw), write_json(tmp_path, "in/odd.rota.json", rota)


def test_ical_names_calendars_safely_and_writes_nothing_outside_its_folder(tmp_path):
    inst, rota = _odd_team(tmp_path)
    folder = tmp_path / "cal" / "DIR"
    result = invoke("ical", inst, rota, "--out", folder)
    assert result.exit_code == 0, output_of(result)
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == len(ODD_IDS)
    assert sorted(p.name for p in (tmp_path / "cal").iterdir()) == ["DIR"]  # nothing beside DIR
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal", "in"]
    assert "escaped.ics" not in os.listdir(tmp_path / "cal")
    # each file is its worker's calendar (the name is in the calendar's title)
    names = unique_names(ODD_IDS, ".ics")
    for k, wid in enumerate(ODD_IDS):
        cal = icalendar.Calendar.from_ical((folder / names[wid]).read_bytes())
        assert str(cal["x-wr-calname"]).startswith(f"Worker {k}:")
        assert len(cal.walk("VEVENT")) == (1 if wid == "../../x" else 0)
    assert "'../escaped': _escaped.ics" in result.stdout  # the renamed ones are listed


def test_solve_many_names_each_rota_safely_and_uniquely(tmp_path):
    from selforg_scheduler.modes.many import plan_tasks

    files = [tmp_path / n for n in ("team a.json", "team_a.json", ".hidden.json", "Team_A.json")]
    tasks = plan_tasks(files, tmp_path / "out", None, 5.0, 1, 0)
    outs = [Path(t.out) for t in tasks]
    assert [p.name for p in outs] == [
        "team_a.solution.json",
        "team_a-2.solution.json",
        "hidden.solution.json",
        "Team_A-3.solution.json",
    ]
    assert all(p.parent == tmp_path / "out" for p in outs)


# --- 3. calendars across clock changes -----------------------------------------------------------


def _events(cal: icalendar.Calendar) -> dict[str, tuple[datetime, datetime]]:
    """Per event (visit id, or 'break'), its start and end as read back (aware)."""
    found = {}
    for ev in cal.walk("VEVENT"):
        key = str(ev["uid"]).split(".")[0]
        found[key] = (ev.decoded("dtstart"), ev.decoded("dtend"))
    return found


def _calendar(day: str, visits: list[dict[str, Any]], rota: dict[str, tuple[str, list[str]]], breaks=()):  # type: ignore[no-untyped-def]
    inst = instance(
        [worker("w1", (day, "00:00", "12:00"))],
        [client("c1"), client("c2", "B")],
        visits,
        horizon={"start": day, "days": 1},
    )
    sol = hand_rota(inst, rota, day)
    sol.breaks = [Break(worker="w1", start=datetime.fromisoformat(s), end=datetime.fromisoformat(e)) for s, e in breaks]
    ics = worker_calendars(inst, sol)["w1"].to_ical()
    return ics.decode(), _events(icalendar.Calendar.from_ical(ics))


def _hm(when: datetime) -> tuple[str, timedelta | None]:
    return when.strftime("%H:%M"), when.utcoffset()


HOUR = timedelta(hours=1)


def test_ical_spring_forward_ends_a_visit_its_duration_later_in_real_time():
    day = "2027-03-28"  # clocks go forward at 01:00 GMT to 02:00 BST
    text, events = _calendar(
        day,
        [
            visit("v1", "c1", "00:30", duration=60, day=day),
            # the window holds only times that exist (01:30 does not: it is refused in an instance)
            visit("v2", "c2", "00:40", latest="02:30", duration=30, day=day),
            visit("v3", "c1", "03:00", duration=45, day=day),
        ],
        # a hand-made rota may still name a start the clocks skip
        {"v1": ("00:30", ["w1"]), "v2": ("01:30", ["w1"]), "v3": ("03:00", ["w1"])},
        breaks=[(f"{day}T00:50", f"{day}T01:10")],
    )
    assert "DTSTART;TZID=Europe/London:20270328T003000" in text
    assert "DTEND;TZID=Europe/London:20270328T023000" in text  # not 01:30, a time that does not exist
    v1, v2, v3 = events["v1"], events["v2"], events["v3"]
    assert (_hm(v1[0]), _hm(v1[1])) == (("00:30", timedelta(0)), ("02:30", HOUR))
    # a start the clocks skip reads with the offset before the change: 01:30 GMT is 02:30 BST
    assert (_hm(v2[0]), _hm(v2[1])) == (("02:30", HOUR), ("03:00", HOUR))
    assert (_hm(v3[0]), _hm(v3[1])) == (("03:00", HOUR), ("03:45", HOUR))
    brk = events["break"]
    assert (_hm(brk[0]), _hm(brk[1])) == (("00:50", timedelta(0)), ("02:10", HOUR))
    for key, minutes in (("v1", 60), ("v2", 30), ("v3", 45), ("break", 20)):
        start, end = events[key]
        assert str(start.tzinfo) == LONDON
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=minutes), key


def test_ical_fall_back_reads_a_repeated_time_as_its_first_occurrence_and_never_ends_before_it_starts():
    day = "2027-10-31"  # clocks go back at 02:00 BST to 01:00 GMT: 01:00-01:59 happens twice
    text, events = _calendar(
        day,
        [
            visit("v1", "c1", "00:30", duration=120, day=day),
            visit("v2", "c2", "01:30", duration=30, day=day),
            visit("v3", "c1", "01:40", duration=60, day=day),
        ],
        {"v1": ("00:30", ["w1"]), "v2": ("01:30", ["w1"]), "v3": ("01:40", ["w1"])},
    )
    v1, v2, v3 = events["v1"], events["v2"], events["v3"]
    for key, minutes in (("v1", 120), ("v2", 30), ("v3", 60)):
        start, end = events[key]
        assert end > start, key
        assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(minutes=minutes), key
    # 00:30 BST + 2 h is the second 01:30 (GMT): a TZID time would mean the first, so it is in UTC
    assert v1[0].astimezone(UTC) == datetime(2027, 10, 30, 23, 30, tzinfo=UTC)
    assert v1[1].astimezone(UTC) == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    assert "DTEND:20271031T013000Z" in text
    # 01:30 is read as its first occurrence (BST): 00:30 UTC; it ends at the second 01:00 (GMT)
    assert _hm(v2[0]) == ("01:30", HOUR)
    assert v2[1].astimezone(UTC) == datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
    # 01:40 BST + 60 min is 01:40 GMT
    assert v3[1].astimezone(UTC) == datetime(2027, 10, 31, 1, 40, tzinfo=UTC)


# --- 4. a rota of another instance ---------------------------------------------------------------


@pytest.fixture
def two_instances(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Instance A, its rota (with A's sha256), and instance B (another team)."""
    raw_a = tiny_instance()
    a = write_json(tmp_path, "a.json", raw_a)
    rota = write_json(tmp_path, "a.rota.json", _all_unassigned(raw_a, instance_sha256(load_instance(a))))
    raw_b = tiny_instance()
    raw_b["team"]["id"] = "other"
    raw_b["visits"][0]["duration_min"] = 40
    return a, rota, write_json(tmp_path, "b.json", raw_b)


def test_validate_refuses_another_instances_rota_in_one_line(two_instances):
    a, rota, b = two_instances
    assert invoke("validate", a, rota).exit_code == 0  # its own instance: valid
    line = one_error_line(invoke("validate", b, rota), str(rota), "instance.sha256", "does not belong")
    assert "'tiny'" in line and "'other'" in line  # both teams named


def test_validate_refuses_another_instances_rota_given_as_reference(two_instances, tmp_path):
    a, rota, b = two_instances
    raw_b = json.loads(b.read_text(encoding="utf-8"))
    mine = write_json(tmp_path, "b.rota.json", _all_unassigned(raw_b))
    one_error_line(invoke("validate", b, mine, "--reference", rota), str(rota), "instance.sha256")


def test_a_hand_made_rota_without_sha256_is_checked_but_must_name_the_team(tmp_path):
    raw = tiny_instance()
    inst = write_json(tmp_path, "week.json", raw)
    ok = write_json(tmp_path, "ok.json", _all_unassigned(raw))
    result = invoke("validate", inst, ok)
    assert result.exit_code == 0, output_of(result)
    assert "valid;" in result.stdout
    other = _all_unassigned(raw)
    other["instance"]["team"] = "someone-else"
    wrong = write_json(tmp_path, "wrong.json", other)
    one_error_line(invoke("validate", inst, wrong), str(wrong), "instance.team", "'someone-else'", "'tiny'")


def test_repair_refuses_the_same_mismatch_in_one_line(two_instances):
    _, rota, b = two_instances
    result = invoke("repair", b, rota, "--absent", "w1", "--from", "2026-11-30T00:00", "-t", "5", "--out",
                    rota.parent / "r" / "rep.json")  # fmt: skip
    one_error_line(result, str(rota), "instance.sha256")
    assert not (rota.parent / "r").exists()


# --- 5. a deterministic budget -------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """41 visits, 6 workers: a half-second deterministic budget ends the search before it proves
    the optimum, so the budget, not the search, decides where it stops."""
    from selforg_scheduler.datasets.generate import generate_instance

    made = generate_instance(workers=6, visits=50, days=1, seed=2)
    return write_json(tmp_path_factory.mktemp("det"), "week.json", made.instance)


def _rota(path: Path) -> tuple[Any, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return (
        [(v["visit"], v["start"], sorted(v["workers"])) for v in data["visits"]],
        sorted(u["visit"] for u in data["unassigned"]),
        data["objective"],
        data["status"],
        data["penalties"],
    )


def test_deterministic_time_gives_the_same_rota_twice(busy_week, tmp_path):
    rotas = []
    for k in range(2):
        sol = tmp_path / f"sol{k}.json"
        result = invoke("solve", busy_week, "--deterministic-time", "0.5", "--seed", "3", "--no-html", "-q",
                        "--out", sol)  # fmt: skip
        assert result.exit_code == 0, output_of(result)
        assert "wall-clock limit" not in output_of(result)  # the budget ended it, not the clock
        rotas.append(_rota(sol))
    assert rotas[0] == rotas[1]
    assert rotas[0][0]  # a rota, not an empty one


def test_deterministic_time_refuses_parallel_workers_and_bad_budgets(tmp_path):
    inst = write_json(tmp_path, "week.json", tiny_instance())
    base = ["solve", inst, "--out", tmp_path / "o" / "s.json", "--no-html", "-q"]
    one_error_line(invoke(*base, "--deterministic-time", "1", "--workers", "4"), "--workers", "--deterministic-time")
    one_error_line(invoke(*base, "--deterministic-time", "0"), "--deterministic-time", "more than 0")
    one_error_line(invoke(*base, "-t", "-1"), "--time-limit", "more than 0")
    assert not (tmp_path / "o").exists()


def test_deterministic_time_asks_for_whole_on_an_organisation(tmp_path, monkeypatch):
    from selforg_scheduler.datasets.generate import generate_instance

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("solved")

    monkeypatch.setattr("selforg_scheduler.modes.org.solve_organisation", boom)
    org = write_json(tmp_path, "org.json", generate_instance(workers=4, visits=8, days=1, seed=3, teams=2).instance)
    result = invoke("solve", org, "--deterministic-time", "1", "--out", tmp_path / "s.json", "-q")
    one_error_line(result, "--deterministic-time", "--whole")


def test_solve_many_passes_the_deterministic_budget_on_one_worker_each(tmp_path):
    from selforg_scheduler.modes.many import plan_tasks

    files = [tmp_path / "a.json", tmp_path / "b.json"]
    timed = plan_tasks(files, tmp_path, None, 5.0, 1, 0)
    assert {t.deterministic_time for t in timed} == {None}
    tasks = plan_tasks(files, tmp_path, None, 5.0, 1, 0, deterministic_time=2.0)
    assert {(t.workers, t.deterministic_time) for t in tasks} == {(1, 2.0)}
