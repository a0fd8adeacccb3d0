"""Reasons for uncovered visits and unfilled roles: full sentences, from the rules' own words.

For every registered rule that can leave a visit uncovered, a tiny week where that rule alone
does (switching it off covers the visit, where switching it off can) is solved, and the visit's
reason must name the rule's cause and read as a sentence: no empty list (a dangling ``: ``, an
empty ``()``). A rule that can never leave a visit uncovered is listed in :data:`EXEMPT` with
why; a new rule fails :func:`test_every_rule_is_covered_or_exempt` until it is in one or the
other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from factory import DAY0, DAY1, FAST, client, crew, instance, rules, run, unassigned, visit, worker
from selforg_scheduler import Instance, solve_detailed
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.modes.explain import diagnose
from selforg_scheduler.modes.repair import repair
from selforg_scheduler.pipeline.reasons import NO_TIME
from selforg_scheduler.rules.base import REGISTRY

WEEK = [DAY0, DAY1, *(f"2026-12-0{d}" for d in range(2, 7))]
"""The seven days from Monday 30 November 2026."""


def assert_sentence(reason: str) -> None:
    """A reason is a full sentence: something after every colon, nothing in empty brackets."""
    assert reason.strip(), "empty reason"
    assert not reason.rstrip().endswith((":", ";", ",")), reason
    assert "()" not in reason and "( )" not in reason, reason
    assert not re.search(r"[:;,]\s*[;,)]", reason), reason


# --- one case per rule -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A tiny week in which ``rule`` alone leaves ``visit`` uncovered; its reason contains every
    one of ``words``. ``off_covers``: switching the rule off covers the visit (false where the
    rule holds by construction, so switching it off changes nothing)."""

    rule: str
    week: Callable[[], Instance]
    visit: str
    words: tuple[str, ...]
    overrides: tuple[str, ...] = ()
    off_covers: bool = True


def _skills() -> Instance:
    return instance([worker("w1")], [client("c1")], [visit("v1", "c1", "09:00", skills=["medication"])])


def _availability() -> Instance:
    return instance([worker("w1")], [client("c1")], [visit("v1", "c1", "16:00")])


def _commitment() -> Instance:
    meeting = [{"start": f"{DAY0}T09:00", "end": f"{DAY0}T10:00", "what": "team meeting"}]
    return instance([worker("w1", commitments=meeting)], [client("c1")], [visit("v1", "c1", "09:30")])


def _exclusions() -> Instance:
    return instance([worker("w1")], [client("c1", excluded_workers=["w1"])], [visit("v1", "c1", "09:00")])


def _travel() -> Instance:
    # v1 at A 09:00-10:00, v2 at D (30 min away) at 10:10: no time to get there; v1 is longer
    return instance(
        [worker("w1")],
        [client("c1", "A"), client("c2", "D")],
        [visit("v1", "c1", "09:00", duration=60), visit("v2", "c2", "10:10")],
    )


def _time_windows() -> Instance:
    # both at A; v2 must start at 09:30, in the middle of v1 (with the window off it moves)
    return instance(
        [worker("w1")],
        [client("c1"), client("c2")],
        [visit("v1", "c1", "09:00", duration=60), visit("v2", "c2", "09:30")],
    )


def _dependencies() -> Instance:
    # v2 must start 120-180 min after v1, but its window is 30 min after; two workers, no clash
    return instance(
        [worker("w1"), worker("w2")],
        [client("c1")],
        [visit("v1", "c1", "09:00", duration=60), visit("v2", "c1", "09:30")],
        dependencies=[{"first": "v1", "second": "v2", "min_gap_min": 120, "max_gap_min": 180}],
    )


def _late_double_up() -> Instance:
    """The regression: a double-up at 23:15 that only w5 works late for; w5 also has a meeting
    13:00-14:30, which has nothing to do with it."""
    meeting = [{"start": f"{DAY0}T13:00", "end": f"{DAY0}T14:30", "what": "team meeting"}]
    return instance(
        [worker("w1"), worker("w5", (DAY0, "07:00", "23:59"), commitments=meeting)],
        [client("c1")],
        [visit("v1", "c1", "23:15", workers_required=2), visit("v0", "c1", "09:00")],
    )


def _continuity() -> Instance:
    # w1 works mornings, w2 afternoons; with at most one worker per client only one visit goes
    return instance(
        [worker("w1", (DAY0, "07:00", "11:00")), worker("w2", (DAY0, "12:00", "16:00"))],
        [client("c1")],
        [visit("v1", "c1", "09:00", duration=60), visit("v2", "c1", "13:00")],
    )


def _daily_limit() -> Instance:
    return instance(
        [worker("w1")],
        [client("c1"), client("c2")],
        [visit("v1", "c1", "09:00", duration=45), visit("v2", "c2", "11:00")],
    )


def _weekly_limit() -> Instance:
    days = ((DAY0, "07:00", "15:00"), (DAY1, "07:00", "15:00"))
    return instance(
        [worker("w1", *days)],
        [client("c1")],
        [visit("v1", "c1", "09:00", duration=45), visit("v2", "c1", "09:00", day=DAY1)],
        days=2,
    )


def _daily_rest() -> Instance:
    # v1 ends Mon 20:00, v2 starts Tue 06:30: 630 min of rest, 660 needed
    days = ((DAY0, "07:00", "23:00"), (DAY1, "06:00", "15:00"))
    return instance(
        [worker("w1", *days)],
        [client("c1")],
        [visit("v1", "c1", "19:00", duration=60), visit("v2", "c1", "06:30", day=DAY1)],
        days=2,
    )


def _weekly_rest() -> Instance:
    # a visit every day of the week for the only worker; Sunday's is the shortest
    visits = [visit(f"v{k}", "c1", "09:00", duration=30 if k < 6 else 20, day=d) for k, d in enumerate(WEEK)]
    return instance([worker("w1", *((d, "07:00", "15:00") for d in WEEK))], [client("c1")], visits, days=7)


def _breaks() -> Instance:
    # 07:00-11:00 and 11:00-14:50: a day over 360 min with no 20-min gap in 11:00-15:00
    return instance(
        [worker("w1", (DAY0, "06:00", "22:00"))],
        [client("c1"), client("c2")],
        [visit("v1", "c1", "07:00", duration=240), visit("v2", "c2", "11:00", duration=230)],
    )


def _new_starter() -> Instance:
    return instance([worker("w1", new_starter=True)], [client("c1")], [visit("v1", "c1", "09:00")])


def _new_starters_together() -> Instance:
    return instance(
        [worker("n1", new_starter=True), worker("n2", new_starter=True)],
        [client("c1")],
        [visit("v1", "c1", "09:00", workers_required=2)],
    )


def _late_lone_visit() -> Instance:
    return instance([worker("w1", (DAY0, "14:00", "23:30"))], [client("c1")], [visit("v1", "c1", "22:00")])


def _flexible_working() -> Instance:
    agreed = [{"kind": "earliest_start", "time": "10:00", "strength": "agreed"}]
    return instance([worker("w1", flexible_working=agreed)], [client("c1")], [visit("v1", "c1", "09:00")])


def _roles() -> Instance:
    # w1's contract is 60 min a week; the only role (45 min) is theirs, so a 30-min visit breaks it
    days = [(d, "07:00", "15:00") for d in WEEK[:3]]  # free on 3 days: may hold a role
    return instance(
        [worker("w1", *days, contract_minutes=60)],
        [client("c1")],
        [visit("v1", "c1", "09:00")],
        days=7,  # a whole week: the role's minutes count in full
        roles=[{"id": "lead", "name": "Lead", "minutes_per_week": 45, "holders": 1}],
    )


CASES = [
    Case("skills", _skills, "v1", ("w1 lacks medication (skills)",)),
    Case("availability", _availability, "v1", ("w1 is not available then (availability)",)),
    Case("availability", _commitment, "v1", ("w1 has a commitment then (availability)",)),
    Case("exclusions", _exclusions, "v1", ("w1 is excluded by c1",)),
    Case("travel", _travel, "v2", ("w1 cannot fit the travel", "v1 09:00-10:00, 30 min away")),
    Case("time_windows", _time_windows, "v2", ("starting Mon 09:30-09:30", "w1 is busy with v1 09:00-10:00")),
    Case("dependencies", _dependencies, "v2", ("gap between the starts of it and its linked visit v1",)),
    Case("double_ups", _late_double_up, "v1", ("needs 2 workers", "only w5 can take it, 2 needed"), off_covers=False),
    Case(
        "continuity",
        _continuity,
        "v2",
        ("w2 would be a new face for c1, who already sees 1 worker: the cap on distinct workers",),
        ("continuity.max_distinct_workers=1",),
    ),
    Case(
        "daily_limit",
        _daily_limit,
        "v2",
        ("would break daily_limit", "the daily limit is 60"),
        ("daily_limit.max_minutes=60",),
    ),
    Case("weekly_limit", _weekly_limit, "v2", ("would break weekly_limit",), ("weekly_limit.max_minutes=60",)),
    Case("daily_rest", _daily_rest, "v2", ("would break daily_rest", "630 min of rest, 660 needed")),
    Case("weekly_rest", _weekly_rest, "v6", ("would break weekly_rest", "1 whole day(s) off needed")),
    Case("breaks", _breaks, "v2", ("would break breaks",)),
    Case("lone_working", _new_starter, "v1", ("w1 is a new starter and cannot visit alone (lone_working)",)),
    Case(
        "lone_working",
        _new_starters_together,
        "v1",
        ("n1 and n2 are new starters without an experienced worker (lone_working)",),
    ),
    Case("lone_working", _late_lone_visit, "v1", ("would be alone until 22:30, after the latest lone end 22:00",)),
    Case(
        "flexible_working",
        _flexible_working,
        "v1",
        ("w1 has an agreed start no earlier than 10:00 on Mon 30 Nov (flexible_working)",),
    ),
    Case(
        "roles",
        _roles,
        "v1",
        ("would break weekly_limit", "with 45 min of team roles"),
    ),
]

EXEMPT = {
    "coverage": "it is the promise to cover: soft, an uncovered visit only costs; hard, a week that cannot "
    "cover one has no rota at all. It never keeps a worker off a visit",
    "contract_hours": "soft only: minutes under or over contract cost, they never stop a worker",
    "fairness": "soft only: unsociable visits spread by contract minutes cost, they never stop a worker",
}
"""Rules that can never leave a visit uncovered, and why."""

COVERED_ELSEWHERE = {"stability": "test_a_pinned_visit_is_named_as_kept_where_it_was"}
"""Rules whose case needs more than a solve (a repair), tested on their own below."""


def _case_id(case: Case) -> str:
    return f"{case.rule}-{case.week.__name__.strip('_')}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_the_rule_alone_leaves_the_visit_uncovered_and_its_reason_says_why(case: Case) -> None:
    inst = case.week()
    reasons = unassigned(run(inst, *case.overrides))
    assert case.visit in reasons, reasons
    reason = reasons[case.visit]
    assert_sentence(reason)
    for words in case.words:
        assert words in reason, reason
    if case.off_covers:  # the rule alone: switched off, the visit is covered
        assert case.visit not in unassigned(run(inst, *case.overrides, f"{case.rule}.enabled=false"))


def test_every_rule_is_covered_or_exempt() -> None:
    covered = {case.rule for case in CASES} | set(COVERED_ELSEWHERE)
    assert not covered & set(EXEMPT), "a rule is both covered and exempt"
    missing = set(REGISTRY) - covered - set(EXEMPT)
    assert not missing, f"add a case to CASES (or a reason to EXEMPT) for: {sorted(missing)}"
    assert not (covered | set(EXEMPT)) - set(REGISTRY), "a case or exemption names no registered rule"


def test_a_pinned_visit_is_named_as_kept_where_it_was() -> None:
    # v1 (pinned to w1 at 09:00) could go to w2; v2 at 09:00 needs w1's skill: stability keeps v1
    # with w1, so v2 stays uncovered, and its reason says the visit in the way is kept
    inst = instance(
        [worker("w1", skills=["medication"]), worker("w2")],
        [client("c1"), client("c2", "B")],
        [visit("v1", "c1", "09:00"), visit("v2", "c2", "09:00", skills=["medication"])],
    )
    old = Solution.model_validate(
        {
            "instance": {"team": inst.team.id, "sha256": ""},
            "status": "FEASIBLE",
            "visits": [{"visit": "v1", "start": f"{DAY0}T09:00", "workers": ["w1"], "pinned": True}],
            "unassigned": [{"visit": "v2", "reason": "by hand"}],
            "found_by": "hand",
        }
    )
    result = repair(inst, old, [], params=FAST)
    reasons = {u.visit: u.reason for u in result.solution.unassigned}
    assert_sentence(reasons["v2"])
    assert "w1 is busy with v1 09:00-09:30, which keeps its workers and start" in reasons["v2"], reasons
    unpinned = old.model_copy(update={"visits": [old.visits[0].model_copy(update={"pinned": False})]})
    free = repair(inst, unpinned, [], params=FAST)
    assert not free.solution.unassigned  # not pinned, v1 moves to w2 and both are covered


# --- the regression: a late double-up ----------------------------------------------------------


def test_a_late_double_up_names_the_only_worker_who_could_not_their_commitment() -> None:
    result = run(_late_double_up())
    reason = unassigned(result)["v1"]
    assert reason == (
        "needs 2 workers starting Mon 23:15-23:15: only w5 can take it, 2 needed; "
        "w1 is not available then (availability)"
    )
    assert "commitment" not in reason
    assert "no start fits" not in reason
    assert crew(result) == {"v0": ["w1"]} or crew(result) == {"v0": ["w5"]}
    # explain agrees: the double-up has only w5 left
    (finding,) = diagnose(_late_double_up(), rules())
    assert finding.kind == "double_up" and "only w5 is left" in finding.sentence


def test_a_double_up_with_two_workers_free_at_different_times_says_they_must_start_together() -> None:
    inst = instance(
        [worker("w1", (DAY0, "08:00", "10:00")), worker("w2", (DAY0, "10:00", "12:00"))],
        [client("c1")],
        [visit("v1", "c1", "08:00", "11:00", workers_required=2)],
    )
    reason = unassigned(run(inst))["v1"]
    assert_sentence(reason)
    assert "w1, w2 are free, but not at one start: the 2 workers of a double-up start together" in reason, reason


# --- no empty lists -------------------------------------------------------------------------------


def _nobody() -> Instance:
    return instance(
        [],
        [client("c1")],
        [visit("v1", "c1", "07:00", "08:00")],
        roles=[{"id": "lead", "name": "Lead", "minutes_per_week": 60, "holders": 1, "skills": ["x"]}],
    )


def test_a_team_with_no_workers_gets_full_sentences() -> None:
    solution = solve_detailed(_nobody(), rules(), FAST).solution
    (gap,) = solution.unassigned
    assert gap.reason == "needs a worker starting Mon 07:00-08:00: the team has no workers"
    (role,) = solution.unfilled_roles
    assert role.reason == "needs 1 holder; no one can hold it: the team has no workers"
    for finding in diagnose(_nobody(), rules()):
        assert_sentence(finding.sentence)
    assert diagnose(_nobody(), rules())[0].sentence == (
        "Team test has no workers: no worker is available for any of its 1 visit"
    )


def test_a_role_nobody_has_the_skill_for_says_so() -> None:
    inst = instance(
        [worker("w1"), worker("w2", new_starter=True)],
        [client("c1")],
        [visit("v1", "c1", "09:00")],
        roles=[{"id": "lead", "name": "Lead", "minutes_per_week": 60, "holders": 1, "skills": ["x"]}],
    )
    (role,) = solve_detailed(inst, rules(), FAST).solution.unfilled_roles
    assert role.reason == "needs 1 holder; no one can hold it: nobody has the skill x"


def test_a_role_some_can_hold_names_who_cannot_and_why() -> None:
    days = [(d, "07:00", "15:00") for d in WEEK[:3]]
    inst = instance(
        [
            worker("w1", *days, skills=["x"]),
            worker("w2", *days, new_starter=True),
            worker("w3", *days, new_starter=True),
            worker("w4", *days),
        ],
        [client("c1")],
        [visit("v1", "c1", "09:00")],
        days=3,
        roles=[{"id": "lead", "name": "Lead", "minutes_per_week": 60, "holders": 2, "skills": ["x"]}],
    )
    (role,) = solve_detailed(inst, rules("roles.min_available_days=1"), FAST).solution.unfilled_roles
    assert role.reason == "needs 2 holders; only w1 can hold it: w2, w3 are new starters; w4 lacks x"


def test_a_double_up_in_a_team_of_one_is_a_sentence() -> None:
    inst = instance([worker("w1")], [client("c1")], [visit("v1", "c1", "09:00", workers_required=2)])
    reason = unassigned(run(inst))["v1"]
    assert reason == "needs 2 workers starting Mon 09:00-09:00: only w1 can take it, 2 needed"
    (finding,) = diagnose(inst, rules())
    assert_sentence(finding.sentence)
    assert finding.sentence.endswith("it needs 2 workers; the team has only 1 (w1)")


def test_every_reason_of_a_crowded_day_is_a_sentence() -> None:
    # six visits at 09:00 for two workers, one of them away part of the day: busy clauses name visits
    workers = [worker("w1"), worker("w2", (DAY0, "11:00", "15:00"))]
    visits = [visit(f"v{k}", "c1", "09:00", duration=30 + k) for k in range(6)]
    result = run(instance(workers, [client("c1")], visits))
    assert len(result.solution.unassigned) == 5
    for gap in result.solution.unassigned:
        assert_sentence(gap.reason)
        assert "w1 is busy with v5 09:00-09:35" in gap.reason
        assert "w2 is not available then (availability)" in gap.reason


def test_the_reason_of_a_visit_not_examined_in_time_is_a_sentence() -> None:
    assert_sentence(NO_TIME)
