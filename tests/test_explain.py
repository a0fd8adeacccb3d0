"""explain: planted impossibilities each get the right sentence; the realistic week gets none.

The conflict search here does the same work on any machine: its clock stands still (its deadline
is never reached, so its step bound ends the shrinking) and each of its CP-SAT calls reads its
time limit as deterministic seconds, one worker (``deterministic_conflict_search``).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from ortools.sat.python import cp_model
from tests.factory import DAY0, client, instance, rules, visit, worker
from typer.testing import CliRunner

import selforg_scheduler.modes.explain as explain_module
from selforg_scheduler.cli import app
from selforg_scheduler.modes.explain import conflicts, diagnose

ROOT = Path(__file__).resolve().parent.parent
SAFETY_S = 120.0
"""A wall-clock bound on a CP-SAT call that only a hung search reaches (never what a test asserts)."""


class _DeterministicSolver(cp_model.CpSolver):
    """A CP-SAT solver that reads the wall-clock limit it was given as deterministic seconds."""

    def solve(self, model, callback=None):  # type: ignore[no-untyped-def]
        limit = self.parameters.max_time_in_seconds
        self.parameters.max_deterministic_time = limit
        self.parameters.max_time_in_seconds = SAFETY_S  # (explain already asks for one worker)
        return super().solve(model, callback)


class _CpModelModule:
    """``cp_model`` as the explain module sees it: the same, but its solver is deterministic."""

    CpSolver = _DeterministicSolver

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(cp_model, name)


@pytest.fixture(autouse=True)
def deterministic_conflict_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explain_module, "time", SimpleNamespace(perf_counter=lambda: 0.0))
    monkeypatch.setattr(explain_module, "cp_model", _CpModelModule())


def planted():  # type: ignore[no-untyped-def]
    """Three planted impossibilities (a skill nobody has, a double-up with one skilled worker, a
    visit when nobody works) and visits that are fine."""
    return instance(
        [worker("w1", skills=["medication"]), worker("w2"), worker("w3")],
        [client("c1", name="Mrs K"), client("c2", "B", name="Mr J"), client("c3", "C")],
        [
            visit("v1", "c1", "08:00", skills=["peg_feeding"]),
            visit("v2", "c2", "09:00", workers_required=2, skills=["medication"]),
            visit("v3", "c3", "21:00"),
            visit("ok1", "c1", "10:00"),
            visit("ok2", "c2", "11:00", skills=["medication"]),
        ],
    )


def test_three_planted_impossibilities_three_sentences() -> None:
    found = diagnose(planted(), rules())
    by_subject = {f.subject: f for f in found}
    assert sorted(by_subject) == ["v1", "v2", "v3"]
    assert by_subject["v1"].kind == "skills"  # the rule that keeps every worker off
    assert by_subject["v1"].sentence == (
        "Visit v1 (Mrs K, Mon 08:00, peg_feeding) cannot be covered Mon 30 Nov 08:00-08:30: "
        "no worker can take it: w1, w2 and w3 lack peg_feeding"
    )
    assert by_subject["v2"].kind == "double_up"
    assert by_subject["v2"].sentence == (
        "Visit v2 (Mr J, Mon 09:00, 2 workers, medication) cannot be covered: "
        "it needs 2 workers; only w1 is left (w2 and w3 lack medication)"
    )
    assert by_subject["v3"].kind == "availability"
    assert (
        "Mon 30 Nov 21:00-21:30: no worker can take it: w1, w2 and w3 are not available then"
        in by_subject["v3"].sentence
    )


def test_a_client_who_excluded_everyone_and_an_agreed_start() -> None:
    inst = instance(
        [
            worker(
                "w1",
                skills=["medication"],
                flexible_working=[{"kind": "earliest_start", "time": "09:15", "strength": "agreed"}],
            ),
            worker("w2"),
        ],
        [client("c1", name="Mrs K", excluded_workers=["w1", "w2"]), client("c2", "B")],
        [visit("v1", "c1", "08:00"), visit("v2", "c1", "12:00"), visit("v3", "c2", "07:30", skills=["medication"])],
    )
    found = {f.subject: f for f in diagnose(inst, rules())}
    assert found["c1"].kind == "exclusions"  # one reason for both visits: said once for the person
    assert (
        found["c1"].sentence
        == "Client c1 (Mrs K): no worker can do 2 of their visits (v1 and v2): w1 and w2 are excluded by c1"
    )
    assert found["v3"].kind == "flexible_working"
    assert found["v3"].sentence.endswith(
        "no worker can take it: w2 lacks medication; w1 has an agreed start no earlier than 09:15 on Mon 30 Nov"
    )


def test_a_day_that_needs_more_than_the_workers_have() -> None:
    visits = [visit(f"v{i}", "c1", "08:00", "14:00", duration=120) for i in range(5)]
    found = diagnose(instance([worker("w1")], [client("c1")], visits), rules())
    (day,) = [f for f in found if f.kind == "day_demand"]
    assert day.subject == "Mon 30 Nov"
    assert "need 600 worker-minutes but the workers are available for 480" in day.sentence


def test_conflict_found_by_assumptions() -> None:
    # two visits at 08:00 need medication; only w1 has it: each is possible, not both
    inst = instance(
        [worker("w1", skills=["medication"]), worker("w2")],
        [client("c1"), client("c2", "B"), client("c3")],
        [
            visit("a", "c1", "08:00", skills=["medication"]),
            visit("b", "c2", "08:00", skills=["medication"]),
            visit("c", "c3", "08:00"),
        ],
    )
    assert diagnose(inst, rules()) == []
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.kind == "conflict" and found.subject == "a, b"
    assert "Only w1 could do them, and w1 cannot fit them all" in found.sentence


def test_the_realistic_week_has_no_impossibility() -> None:
    res = CliRunner().invoke(app, ["explain", str(ROOT / "instances" / "week.json"), "--no-conflicts"])
    assert res.exit_code == 0, res.output
    assert "No impossibility found" in res.output


def test_cli_lists_the_planted_ones(tmp_path: Path) -> None:
    path = tmp_path / "i.json"
    path.write_text(json.dumps(planted().model_dump(mode="json")), encoding="utf-8")
    res = CliRunner().invoke(app, ["explain", str(path), "-t", "10"])
    assert res.exit_code == 0, res.output
    assert "Impossibilities (3)" in res.output and "peg_feeding" in res.output


def test_a_conflict_names_the_agreed_arrangement_in_the_way() -> None:
    agreed = [{"kind": "earliest_start", "time": "09:15", "strength": "agreed"}]
    inst = instance(
        [worker("w1", skills=["medication"]), worker("w2", skills=["medication"], flexible_working=agreed)],
        [client("c1"), client("c2", "B")],
        [visit("a", "c1", "08:00", skills=["medication"]), visit("b", "c2", "08:00", skills=["medication"])],
    )
    assert diagnose(inst, rules()) == []
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "a, b"
    assert "w2's agreed start no earlier than 09:15 on Mon 30 Nov stands in the way" in found.sentence


def test_a_conflict_names_the_worker_day_limit_in_the_way() -> None:
    # three 4-hour visits on one day for the only worker: each fits, two exceed the daily limit
    inst = instance(
        [worker("w1", (DAY0, "06:00", "22:00"))],
        [client("c1"), client("c2")],
        [visit("a", "c1", "07:00", duration=240), visit("b", "c2", "11:30", duration=240)],
    )
    (found,) = conflicts(inst, rules("daily_limit.max_minutes=400"), time_limit_s=10)
    assert found.subject == "a, b"
    assert "w1's daily limit of 400 working minutes on Mon 30 Nov stands in the way" in found.sentence


def test_a_conflict_names_the_break_in_the_way() -> None:
    # 06:00-10:00 and 11:00-15:00: an 8-hour day whose only gap is outside the 11:00-15:00 break window
    inst = instance(
        [worker("w1", (DAY0, "06:00", "22:00"))],
        [client("c1"), client("c2")],
        [visit("a", "c1", "06:00", duration=240), visit("b", "c2", "11:00", duration=240)],
    )
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "a, b"
    assert (
        "w1's break on Mon 30 Nov (a day over 360 min needs 20 min between visits, 11:00-15:00) stands in the way"
        in found.sentence
    )


def test_a_conflict_names_the_rest_between_days() -> None:
    late, early = ("2026-11-30", "06:00", "23:00"), ("2026-12-01", "06:00", "23:00")
    inst = instance(
        [worker("w1", late, early)],
        [client("c1"), client("c2")],
        # a ends 19:30 (no late lone-working question), b starts 06:00: 630 min apart, 660 needed
        [visit("a", "c1", "19:00", duration=30), visit("b", "c2", "06:00", duration=30, day="2026-12-01")],
        days=2,
    )
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "a, b"
    assert "w1's 660 min rest between Mon 30 Nov and Tue 01 Dec stands in the way" in found.sentence


def test_a_conflict_names_the_weekly_limit_in_the_way() -> None:
    days = (("2026-11-30", "07:00", "15:00"), ("2026-12-01", "07:00", "15:00"))
    inst = instance(
        [worker("w1", *days, contract_minutes=300)],
        [client("c1"), client("c2")],
        [visit("a", "c1", "08:00", duration=240), visit("b", "c2", "08:00", duration=240, day="2026-12-01")],
        days=2,
    )
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "a, b"
    assert "w1's weekly limit of 300 working minutes stands in the way" in found.sentence


def test_a_conflict_names_the_day_off_in_the_way() -> None:
    dates = ["2026-11-30", *[f"2026-12-0{d}" for d in range(1, 7)]]
    inst = instance(
        [worker("w1", *((d, "07:00", "15:00") for d in dates))],
        [client("c1")],
        [visit(f"v{k}", "c1", "08:00", day=d) for k, d in enumerate(dates)],
        days=7,
    )
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "v0, v1, v2, v3, v4, v5, v6"
    assert "w1's 1 day(s) off in the week from Mon 30 Nov stands in the way" in found.sentence


def test_a_conflict_names_the_new_starters_rule_in_the_way() -> None:
    # a double-up and a lone visit at 08:00; n1 and n2 are new starters, e1 the only experienced
    # worker: without the rule n1 and n2 would take the double-up and e1 the other visit
    inst = instance(
        [worker("n1", new_starter=True), worker("n2", new_starter=True), worker("e1")],
        [client("c1"), client("c2", "B")],
        [visit("a", "c1", "08:00", workers_required=2), visit("b", "c2", "08:00")],
    )
    (found,) = conflicts(inst, rules(), time_limit_s=10)
    assert found.subject == "a, b"
    assert "a's need for an experienced worker beside a new starter stands in the way" in found.sentence


def three_clashes():  # type: ignore[no-untyped-def]
    """Three pairs of visits at one time (08:00, 10:00, 12:00), each pair needing the skill only
    w1 has: three independent conflicts, the quick rota leaves one visit of each uncovered."""
    return instance(
        [worker("w1", skills=["medication"]), worker("w2")],
        [client("c1"), client("c2", "B")],
        [
            visit(f"{x}{k}", "c1" if x == "a" else "c2", t, skills=["medication"])
            for k, t in enumerate(("08:00", "10:00", "12:00"))
            for x in "ab"
        ],
    )


def test_the_conflict_search_examines_the_visits_the_quick_rota_leaves_one_by_one() -> None:
    found = conflicts(three_clashes(), rules(), time_limit_s=10)
    assert [f.subject for f in found] == ["a0, b0", "a1, b1", "a2, b2"]  # every set; no note


def test_a_budget_of_one_visit_finds_a_set_and_says_what_it_left_out() -> None:
    conflict, note = conflicts(three_clashes(), rules(), time_limit_s=10, max_visits=1)
    assert conflict.kind == "conflict" and conflict.subject == "a0, b0"
    assert note.kind == "unexamined"
    assert note.sentence == (
        "The conflict search examined 1 of 3 visits the quick rota could not cover (at most 1 asked for); "
        "2 not examined: ask for more visits, or name them with --visit."
    )


def test_when_the_time_runs_out_explain_says_how_many_visits_were_not_examined(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(explain_module, "time", SimpleNamespace(perf_counter=lambda: clock.now))
    seen = []

    def found(finding):  # type: ignore[no-untyped-def]
        seen.append(finding)
        clock.now = 30.0  # the first set took the whole 20 s (and more)

    out = explain_module.explain(three_clashes(), rules(), time_limit_s=20, on_finding=found)
    assert [f.kind for f in out] == ["conflict", "unexamined"]
    assert seen == out  # each set reported as soon as found, the note last
    assert out[-1].sentence == (
        "The conflict search examined 1 of 3 visits the quick rota could not cover in 30 s; "
        "2 not examined: run with --time-limit 90 or name visits with --visit."
    )


def test_named_visits_are_examined_whatever_the_quick_rota_did() -> None:
    (found,) = conflicts(three_clashes(), rules(), time_limit_s=10, visits=["a1"])
    assert found.subject == "a1, b1"


def test_no_conflict_search_when_the_quick_rota_covers_everything_possible() -> None:
    assert conflicts(planted(), rules(), time_limit_s=10) == []  # the rest are impossible on their own


def test_cli_examines_the_named_visits_and_refuses_unknown_ones(tmp_path: Path) -> None:
    week = str(ROOT / "instances" / "week.json")
    res = CliRunner().invoke(app, ["explain", week, "--visit", "nope"])
    assert res.exit_code == 2 and "--visit: no visit 'nope'" in res.output
    # A visit the quick rota covers has no conflict: the search says so about what it examined.
    res = CliRunner().invoke(app, ["explain", week, "--visit", "v0001", "-t", "5"])
    assert res.exit_code == 0, res.output
    assert "found no set that cannot be covered together" in res.output.replace("\n", " ")
