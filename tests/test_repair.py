"""Repair (sick cover): frozen and pinned visits stay, the absent worker's visits move, as few
others as possible; bad input exits 2 with one line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factory import DAY0, at, client, hand_rota, instance, rules, visit, worker
from typer.testing import CliRunner

from selforg_scheduler import SolveParams, validate
from selforg_scheduler.cli import app
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.core.problem import Reference
from selforg_scheduler.modes.repair import Absence, absent_instance, diff_rotas, repair
from selforg_scheduler.pipeline.solve import solve_detailed

ROOT = Path(__file__).resolve().parent.parent
QUICK = SolveParams(time_limit_s=120, workers=1, seed=0, deterministic_time=5.0)
"""Five of CP-SAT's deterministic seconds, one worker: the same rota on any machine, however loaded
(the wall-clock limit is only a safety bound)."""


def team():  # type: ignore[no-untyped-def]
    inst = instance(
        [worker("w1"), worker("w2"), worker("w3")],
        [client("c1", "A"), client("c2", "B"), client("c3", "C"), client("c4", "A")],
        [
            visit("v1", "c1", "08:00"),
            visit("v2", "c2", "10:00"),
            visit("v3", "c3", "09:00"),
            visit("v4", "c4", "12:00"),
        ],
    )
    rota = hand_rota(
        inst, {"v1": ("08:00", ["w1"]), "v2": ("10:00", ["w1"]), "v3": ("09:00", ["w2"]), "v4": ("12:00", ["w3"])}
    )
    return inst, rota


def _moved(result) -> set[str]:  # type: ignore[no-untyped-def]
    return set(result.diff["visit"].to_list())


def test_only_the_absent_workers_visits_move_when_cover_exists() -> None:
    inst, rota = team()
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    assert _moved(result) == {"v1", "v2"}
    assert not result.solution.unassigned
    assert all("w1" not in a.workers for a in result.solution.visits)
    assert result.report.ok
    assert result.report.objective == result.solution.objective
    # the rota is for the team's own instance, and valid there
    assert validate(inst, result.solution, rules()).ok


def test_visits_before_now_are_done_and_stay() -> None:
    inst, rota = team()
    absence = Absence("w1", datetime.fromisoformat(at("07:00")))
    result = repair(inst, rota, [absence], now=datetime.fromisoformat(at("09:30")), rules=rules(), params=QUICK)
    crew = {a.visit: a.workers for a in result.solution.visits}
    assert crew["v1"] == ["w1"]  # 08:00, before now: it has happened
    assert crew["v2"] != ["w1"] and _moved(result) == {"v2"}
    assert result.fixed == 2  # v1 (08:00) and v3 (09:00)


def test_a_pinned_visit_keeps_workers_and_start() -> None:
    inst, rota = team()
    rota.visits[2].pinned = True  # v3 with w2 at 09:00
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    v3 = next(a for a in result.solution.visits if a.visit == "v3")
    assert (v3.workers, v3.start.strftime("%H:%M")) == (["w2"], "09:00")
    # the validator treats a changed pinned visit as broken
    moved = result.solution.model_copy(deep=True)
    next(a for a in moved.visits if a.visit == "v3").workers = ["w3"]
    report = validate(inst, moved, rules(), Reference.of(rota))
    assert any(v.rule == "stability" and "v3 is fixed" in v.message for v in report.violations)


def test_pinned_to_the_absent_worker_is_bad_input() -> None:
    inst, rota = team()
    rota.visits[1].pinned = True  # v2 with w1
    with pytest.raises(InputError, match="visits\\[v2\\].pinned: pinned to w1, who is absent then"):
        repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)


def test_absence_cuts_only_that_window() -> None:
    inst, _ = team()
    cut = absent_instance(
        inst, [Absence("w1", datetime.fromisoformat(at("09:00")), datetime.fromisoformat(at("11:00")))]
    )
    w1 = next(w for w in cut.workers if w.id == "w1")
    assert [(p.start.strftime("%H:%M"), p.end.strftime("%H:%M")) for p in w1.availability] == [
        ("07:00", "09:00"),
        ("11:00", "15:00"),
    ]
    assert next(w for w in cut.workers if w.id == "w2").availability == inst.workers[1].availability


def _files(tmp_path: Path, inst, rota) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    i, s = tmp_path / "i.json", tmp_path / "s.json"
    i.write_text(json.dumps(inst.model_dump(mode="json")), encoding="utf-8")
    s.write_text(rota.model_dump_json(), encoding="utf-8")
    return str(i), str(s)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--absent", "w9", "--from", f"{DAY0}T00:00"], "unknown worker 'w9'"),
        (["--absent", "w1", "--from", f"{DAY0}T12:00", "--to", f"{DAY0}T08:00"], "is not before --to"),
        (["--absent", "w1", "--from", "tomorrow"], "not a local date-time"),
    ],
)
def test_cli_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    inst, rota = team()
    i, s = _files(tmp_path, inst, rota)
    res = CliRunner().invoke(app, ["repair", i, s, *args, "--out", str(tmp_path / "r.json")])
    assert res.exit_code == 2 and message in res.output


def test_cli_refuses_a_rota_of_another_instance_or_one_breaking_a_hard_rule(tmp_path: Path) -> None:
    inst, rota = team()
    rota.instance.sha256 = "ab" * 32
    i, s = _files(tmp_path, inst, rota)
    res = CliRunner().invoke(app, ["repair", i, s, "--absent", "w1", "--from", f"{DAY0}T00:00"])
    assert res.exit_code == 2 and "does not belong to this instance" in res.output
    assert f"{s}: instance.sha256:" in res.output.replace("\n", "")  # names the rota file and the field
    inst, rota = team()
    rota.visits[0].workers = ["w2"]  # w2 now at 08:00 (A) and 09:00 (C, 20 min away): fine; make it overlap
    rota.visits[0].start = rota.visits[2].start
    i, s = _files(tmp_path, inst, rota)
    res = CliRunner().invoke(app, ["repair", i, s, "--absent", "w1", "--from", f"{DAY0}T00:00"])
    assert res.exit_code == 2 and "breaks a hard rule" in res.output


def test_cli_repairs_the_realistic_week(tmp_path: Path) -> None:
    week, plan = ROOT / "instances" / "week.json", ROOT / "instances" / "week.plan.json"
    out = tmp_path / "r.json"
    res = CliRunner().invoke(
        app,
        ["repair", str(week), str(plan), "--absent", "w03", "--from", "2026-12-01T00:00", "--to", "2026-12-03T00:00",
         "--now", "2026-12-01T06:30", "-t", "10", "--workers", "1", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    from selforg_scheduler.contract.io import load_instance, load_solution

    inst, old, new = load_instance(week), load_solution(plan), load_solution(out)
    report = validate(inst, new, None, Reference.of(old))
    assert report.ok, [str(v) for v in report.violations]
    assert (tmp_path / "r.diff.csv").exists()
    absent = [a for a in new.visits if "w03" in a.workers and "2026-12-01" <= a.start.isoformat() < "2026-12-03"]
    assert absent == []


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_workers=st.integers(2, 4),
    times=st.lists(st.sampled_from(["08:00", "09:00", "10:00", "11:00", "12:00", "13:00"]), min_size=3, max_size=7),
    places=st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=7, max_size=7),
    absent=st.integers(0, 3),
    from_hour=st.integers(7, 12),
    now_before=st.integers(0, 2),
)
def test_repair_property(n_workers, times, places, absent, from_hour, now_before) -> None:  # type: ignore[no-untyped-def]
    workers = [worker(f"w{i}") for i in range(1, n_workers + 1)]
    clients = [client(f"c{k}", places[k]) for k in range(len(times))]
    visits = [visit(f"v{k}", f"c{k}", t, latest=None) for k, t in enumerate(times)]
    inst = instance(workers, clients, visits)
    old = solve_detailed(inst, rules(), QUICK).solution
    who = f"w{absent % n_workers + 1}"
    start = datetime.fromisoformat(at(f"{from_hour:02d}:00"))
    now = datetime.fromisoformat(at(f"{from_hour - now_before:02d}:00"))
    result = repair(inst, old, [Absence(who, start)], now=now, rules=rules(), params=QUICK)
    new = result.solution
    assert validate(inst, new, rules()).ok
    assert result.report.ok and result.report.objective == new.objective
    before = {a.visit: (a.start, a.workers) for a in old.visits}
    after = {a.visit: (a.start, a.workers) for a in new.visits}
    for vid, (s, ws) in before.items():
        if s < now:
            assert after.get(vid) == (s, ws), f"{vid} was done before now and moved"
        elif who in ws and s >= start:
            assert vid not in after or who not in after[vid][1]
    # as few changes as solving the absent week from scratch (or fewer)
    scratch = solve_detailed(absent_instance(inst, [Absence(who, start)], now), rules(), QUICK).solution
    assert result.diff.height <= diff_rotas(inst, old, scratch).height


def test_nothing_before_the_absence_changes_by_default() -> None:
    # w1 is off from 09:30: v1 (08:00, w1) is before the absence and stays, even though moving it
    # would be free; only v2 (10:00, w1) is forced.
    inst, rota = team()
    absence = Absence("w1", datetime.fromisoformat(at("09:30")))
    result = repair(inst, rota, [absence], rules=rules(), params=QUICK)
    assert result.forced == ["v2"]
    assert _moved(result) == {"v2"}
    crew = {a.visit: a.workers for a in result.solution.visits}
    assert crew["v1"] == ["w1"] and crew["v3"] == ["w2"] and crew["v4"] == ["w3"]
    assert result.fixed == 2  # v1 (08:00) and v3 (09:00) start before 09:30
    # Without the default, a solve may move earlier visits too; the option is there to switch it off.
    free = repair(inst, rota, [absence], rules=rules(), params=QUICK, keep_before_absence=False)
    assert free.fixed == 0


def chain_week():  # type: ignore[no-untyped-def]
    """w1 is absent; only w2 can do v1 (hoist), but w2 is on v2 then, which w3 can take: covering
    v1 needs a chain of two changes."""
    inst = instance(
        [worker("w1", skills=["hoist"]), worker("w2", skills=["hoist"]), worker("w3")],
        [client("c1", "A"), client("c2", "A"), client("c3", "B")],
        [
            visit("v1", "c1", "09:00", skills=["hoist"]),
            visit("v2", "c2", "09:00"),
            visit("v3", "c3", "12:00"),
        ],
    )
    rota = hand_rota(inst, {"v1": ("09:00", ["w1"]), "v2": ("09:00", ["w2"]), "v3": ("12:00", ["w3"])})
    return inst, rota


def test_a_short_chain_covers_a_forced_visit_within_twice_the_forced_changes() -> None:
    inst, rota = chain_week()
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    crew = {a.visit: a.workers for a in result.solution.visits}
    assert crew == {"v1": ["w2"], "v2": ["w3"], "v3": ["w3"]}
    assert result.forced == ["v1"] and result.changed == 2 <= result.cap == 2
    assert "1 left uncovered" in result.stages[0] and "0 left uncovered" in result.stages[1]
    assert len(result.stages) == 2  # covered within the cap: the unbounded stage never ran


def test_each_forced_visit_gets_a_ranked_list_of_who_could_take_it() -> None:
    inst, rota = chain_week()
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    ranked = result.candidates["v1"]
    assert [c.worker for c in ranked] == ["w2", "w3"]  # w1 is absent: not listed
    assert ranked[0].cost_change == 0 and "repaired rota" in ranked[0].reason
    assert ranked[1].cost_change is None and "hoist" in ranked[1].reason  # lacks the skill
    # On the team week every worker but the absent one is listed, the priced ones first, in
    # increasing cost, each with the validator's cost change against the repaired rota.
    inst, rota = team()
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    for vid in ("v1", "v2"):
        ranked = result.candidates[vid]
        assert {c.worker for c in ranked} == {"w2", "w3"}
        priced = [c.cost_change for c in ranked if c.cost_change is not None]
        assert priced == sorted(priced) and priced[0] == 0
        for c in ranked:
            if c.cost_change is not None and c.cost_change != 0:
                variant = result.solution.model_copy(deep=True)
                a = next(a for a in variant.visits if a.visit == vid)
                a.workers, a.start = [c.worker], c.start
                cut = absent_instance(inst, [Absence("w1", datetime.fromisoformat(at("00:00")))])
                report = validate(cut, variant, rules())
                assert report.ok and report.objective - validate(cut, result.solution, rules()).objective == (
                    c.cost_change
                )


def test_the_diff_is_told_worker_by_worker() -> None:
    inst, rota = chain_week()
    result = repair(inst, rota, [Absence("w1", datetime.fromisoformat(at("00:00")))], rules=rules(), params=QUICK)
    tell = {(r["worker"], r["change"], r["visit"]) for r in result.tell().iter_rows(named=True)}
    assert tell == {("w1", "loses", "v1"), ("w2", "gains", "v1"), ("w2", "loses", "v2"), ("w3", "gains", "v2")}


def test_cli_prints_the_changes_by_worker_and_the_candidates(tmp_path: Path) -> None:
    inst, rota = chain_week()
    i, s = _files(tmp_path, inst, rota)
    res = CliRunner().invoke(
        app,
        ["repair", i, s, "--absent", "w1", "--from", f"{DAY0}T00:00", "--out", str(tmp_path / "r.json"),
         "--workers", "1", "-t", "10"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    text = res.output
    assert "Tell w2" in text and "Tell w3" in text and "Tell w1" in text
    assert "Who could take v1" in text
    assert "2 visits changed for 1 forced" in text
    # every table and message fits 80 columns (the status line is kept whole, to grep)
    assert max(len(line) for line in text.splitlines() if not line.startswith("OPTIMAL")) <= 80
