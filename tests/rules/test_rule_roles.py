"""roles: filled by eligible workers, one role each, rotated fairly; role minutes use up capacity."""

from factory import (
    DAY0,
    DAY1,
    broken,
    check,
    client,
    hand_rota,
    instance,
    run,
    unassigned,
    visit,
    worker,
)
from selforg_scheduler import Solution

DAY2 = "2026-12-02"
LAST_WEEK = "2026-11-23"
EARLIER = "2026-11-16"


def three_days(start: str = "07:00", end: str = "15:00") -> tuple[tuple[str, str, str], ...]:
    return tuple((d, start, end) for d in (DAY0, DAY1, DAY2))


def role(rid: str, minutes: int = 120, holders: int = 1, skills: list[str] | None = None) -> dict:
    return {"id": rid, "name": rid.title(), "minutes_per_week": minutes, "holders": holders, "skills": skills or []}


def past(week: str, rid: str, wid: str) -> dict:
    return {"week_start": week, "role": rid, "worker": wid}


def team(workers, roles, history=(), visits=None, clients=None):
    return instance(
        workers,
        clients or [client("p1")],
        visits if visits is not None else [visit("v1", "p1", "08:00")],
        days=7,  # a whole week, so a role's minutes count in full (the worker is free on 3 days)
        roles=roles,
        role_history=list(history),
    )


def holders(result) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in result.solution.roles:
        out.setdefault(entry.role, []).append(entry.worker)
    return {k: sorted(v) for k, v in out.items()}


def rota_with_roles(inst, assigned, roles, week=DAY0):
    rota = hand_rota(inst, assigned)
    listed = [{"week_start": week, "role": r, "worker": w} for r, w in roles]
    return Solution.model_validate({**rota.model_dump(mode="json"), "roles": listed})


# --- the solver ---------------------------------------------------------------------------------


def test_role_goes_to_someone_new_not_last_weeks_holder_and_never_to_a_new_starter():
    inst = team(
        [
            worker("w1", *three_days()),
            worker("w2", *three_days()),
            worker("w3", *three_days()),
            worker("w4", *three_days(), new_starter=True),
        ],
        [role("scheduler")],
        [past(LAST_WEEK, "scheduler", "w1"), past(EARLIER, "scheduler", "w2")],
    )
    result = run(inst)
    assert holders(result) == {"scheduler": ["w3"]}
    assert result.solution.unfilled_roles == []
    # w3 never held a role: -50; spread after the week: every eligible worker has 1 role-week.
    assert result.solution.penalties["roles"] == -50
    assert result.solution.kpis["role_weeks_spread"] == 0


def test_repeat_weight_and_reward_steer_the_choice():
    # w1 held it last week; w2 held nothing ever. With the reward off and a repeat cost of 0,
    # only the spread decides: w1 has 1 role-week, w2 has 3 older ones -> w1 again.
    inst = team(
        [worker("w1", *three_days()), worker("w2", *three_days())],
        [role("scheduler")],
        [past(LAST_WEEK, "scheduler", "w1")]
        + [past(week, "scheduler", "w2") for week in ("2026-11-02", "2026-11-09", EARLIER)],
    )
    assert holders(run(inst, "roles.repeat_weight=0")) == {"scheduler": ["w1"]}
    assert holders(run(inst, "roles.repeat_weight=100")) == {"scheduler": ["w2"]}


def test_min_available_days_decides_eligibility():
    inst = team(
        [worker("w1", *three_days()), worker("w2", (DAY0, "07:00", "15:00"), (DAY1, "07:00", "15:00"))],
        [role("scheduler")],
        [past(LAST_WEEK, "scheduler", "w1")],
    )
    assert holders(run(inst)) == {"scheduler": ["w1"]}  # w2 has two days only
    assert holders(run(inst, "roles.min_available_days=2")) == {"scheduler": ["w2"]}


def test_nobody_holds_two_roles_and_every_role_is_filled():
    inst = team(
        [worker("w1", *three_days()), worker("w2", *three_days()), worker("w3", *three_days(), new_starter=True)],
        [role("scheduler"), role("storyteller", minutes=60)],
    )
    got = holders(run(inst))
    assert sorted(got) == ["scheduler", "storyteller"]
    assert sorted(got["scheduler"] + got["storyteller"]) == ["w1", "w2"]


def test_with_no_time_to_search_the_roles_are_still_all_filled_from_a_maximum_matching():
    from selforg_scheduler.core.problem import compile_problem
    from selforg_scheduler.rules.config import default_rules

    inst = team(
        [worker(f"w{i}", *three_days()) for i in range(1, 5)],
        [role("scheduler"), role("storyteller", minutes=60), role("recorder", minutes=60)],
    )
    problem = compile_problem(inst)
    assigner = default_rules().role_assigner()
    assert assigner is not None
    held = assigner.choose(problem, limit_s=1e-9)  # CP-SAT finds nothing in no time
    pairs = [(r, w) for w, roles in held.items() for r in roles]
    assert len(pairs) == assigner.most_filled(problem) == 3
    assert len({w for _, w in pairs}) == 3 and len({r for r, _ in pairs}) == 3  # one role each


def test_a_role_nobody_can_hold_is_reported_unfilled_and_the_week_still_solves():
    inst = team(
        [worker("w1", *three_days(), skills=["first_aid"]), worker("w2", *three_days(), new_starter=True)],
        [role("trainer", holders=2, skills=["first_aid"])],
    )
    result = run(inst)
    assert holders(result) == {"trainer": ["w1"]}
    assert unassigned(result) == {}
    (short,) = result.solution.unfilled_roles
    assert short.role == "trainer" and short.missing == 1
    assert "only w1 can hold it" in short.reason and "w2 is a new starter" in short.reason


def test_role_minutes_come_off_visit_capacity():
    # w1's cap is 300 (contract 300, no overtime): a 240-minute visit plus a 120-minute role
    # does not fit, so the role goes to w2, who cannot do the visit (free only in the afternoons).
    inst = team(
        [
            worker("w1", *three_days("07:00", "12:00"), contract_minutes=300),
            worker("w2", *three_days("13:00", "18:00")),
        ],
        [role("scheduler", minutes=120)],
        [past(LAST_WEEK, "scheduler", "w2")],
        visits=[visit("v1", "p1", "07:30", duration=240)],
    )
    result = run(inst)
    assert unassigned(result) == {}
    assert holders(result) == {"scheduler": ["w2"]}  # despite last week's repeat cost
    # Switched off, roles take no capacity and are not planned.
    assert run(inst, "roles.enabled=false").solution.roles == []


# --- the validator ------------------------------------------------------------------------------


def base():
    return team(
        [
            worker("w1", *three_days(), contract_minutes=300),
            worker("w2", *three_days()),
            worker("w3", *three_days(), new_starter=True),
        ],
        [role("scheduler", minutes=120), role("storyteller", minutes=60)],
        [past(LAST_WEEK, "scheduler", "w1")],
        visits=[visit("v1", "p1", "07:30", duration=240)],
    )


def test_validator_accepts_a_good_hand_made_rota_and_costs_it_by_hand():
    inst = base()
    rota = rota_with_roles(inst, {"v1": ("07:30", ["w2"])}, [("scheduler", "w2"), ("storyteller", "w1")])
    report = check(inst, rota)
    assert report.ok, [str(v) for v in report.violations]
    # w2 never held a role: -50; after the week w1 has 2 role-weeks and w2 1: spread 1, +20.
    assert report.penalties["roles"] == -50 + 20
    again = rota_with_roles(inst, {"v1": ("07:30", ["w2"])}, [("scheduler", "w1"), ("storyteller", "w2")])
    # w1 repeats (+100), w2 is new (-50), the spread is 1 again (+20).
    assert check(inst, again).penalties["roles"] == 100 - 50 + 20


def test_validator_catches_each_planted_breach():
    inst = base()
    visits = {"v1": ("07:30", ["w2"])}
    cases = {
        "holds 2 roles": [("scheduler", "w2"), ("storyteller", "w2")],
        "is a new starter": [("scheduler", "w3"), ("storyteller", "w1")],
        "the team can fill 2": [("scheduler", "w2")],
        "listed twice": [("scheduler", "w2"), ("scheduler", "w2"), ("storyteller", "w1")],
        "not a role of this team": [("scheduler", "w2"), ("storyteller", "w1"), ("chair", "w1")],
    }
    for needle, roles in cases.items():
        report = check(inst, rota_with_roles(inst, visits, roles))
        assert broken(report) == {"roles"}, needle
        assert any(needle in str(v) for v in report.violations), (needle, [str(v) for v in report.violations])
    wrong_week = rota_with_roles(inst, visits, [("scheduler", "w2"), ("storyteller", "w1")], week=LAST_WEEK)
    assert any("week of" in str(v) for v in check(inst, wrong_week).violations)


def test_validator_counts_role_minutes_in_the_weekly_limit():
    inst = base()
    rota = rota_with_roles(inst, {"v1": ("07:30", ["w1"])}, [("scheduler", "w1"), ("storyteller", "w2")])
    report = check(inst, rota)
    assert broken(report) == {"weekly_limit"}
    assert "with 120 min of team roles" in str(report.violations[0])
    # The same rota with the roles the other way round fits: 240 + 60 <= 300.
    swapped = rota_with_roles(inst, {"v1": ("07:30", ["w1"])}, [("scheduler", "w2"), ("storyteller", "w1")])
    assert check(inst, swapped).ok


def test_switched_off_the_rule_checks_no_holders():
    inst = base()
    rota = rota_with_roles(inst, {"v1": ("07:30", ["w2"])}, [("scheduler", "w3")])
    assert broken(check(inst, rota)) == {"roles"}
    assert check(inst, rota, "roles.enabled=false").ok
