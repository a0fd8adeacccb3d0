"""rotate-roles: plans obey every rule, their spread is optimal (brute force), the CLI works."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory import instance, worker
from selforg_scheduler.modes.rotation import (
    PlanChecker,
    RolePlan,
    RotationParams,
    plan_problems,
    plan_roles,
)
from test_cli import assert_one_error_line, invoke

START = "2026-11-30"


def team(workers: list[dict[str, Any]], roles: list[dict[str, Any]], history=()):
    return instance(workers, [{"id": "p1", "location": "A"}], [], days=7, roles=roles, role_history=list(history))


def role(rid: str, skills=()):
    return {"id": rid, "holders": 1, "skills": list(skills)}


def score(plan: RolePlan) -> tuple[int, int]:
    """What the plan optimises first: unfilled places, then the spread of role-weeks."""
    missing = sum(int(u["missing"]) for u in plan.unfilled)
    return missing, plan.spread


def brute_force(inst, params: RotationParams) -> tuple[int, int]:
    """The best (unfilled, spread) over every plan that breaks no rule."""
    checker = PlanChecker(inst, params)
    roles = [r.id for r in inst.roles]
    options = [None, *(w.id for w in inst.workers)]
    weeks = []
    for choice in itertools.product(options, repeat=len(roles)):
        named = [c for c in choice if c is not None]
        if len(named) == len(set(named)):
            weeks.append({r: [c] if c else [] for r, c in zip(roles, choice, strict=True)})
    best = None
    for holders in itertools.product(weeks, repeat=params.weeks):
        plan = checker.empty()
        plan.holders = [dict(w) for w in holders]
        if checker.problems(plan):
            continue
        value = score(checker.summarise(plan))
        best = value if best is None or value < best else best
    assert best is not None  # the empty plan breaks no rule
    return best


@st.composite
def small_teams(draw: st.DrawFn):
    n_workers = draw(st.integers(2, 3))
    workers = []
    for i in range(n_workers):
        kw: dict[str, Any] = {"skills": draw(st.lists(st.sampled_from(["a"]), max_size=1))}
        if i > 0 and draw(st.integers(0, 4)) == 0:
            kw["new_starter"] = True
        if draw(st.integers(0, 3)) == 0:
            week = draw(st.integers(0, 2))
            kw["leave"] = [{"start": f"2026-12-{7 * week + 1:02d}", "end": f"2026-12-{7 * week + 5:02d}"}]
        workers.append(worker(f"w{i + 1}", **kw))
    roles = [role("r1"), *([role("r2", draw(st.lists(st.just("a"), max_size=1)))] if draw(st.booleans()) else [])]
    history = []
    for r in roles:
        for week in draw(st.lists(st.sampled_from(["2026-11-16", "2026-11-23"]), unique=True)):
            history.append(
                {"week_start": week, "role": r["id"], "worker": draw(st.sampled_from([w["id"] for w in workers]))}
            )
    # one role per worker per history week
    seen: set[tuple[str, str]] = set()
    history = [
        h
        for h in history
        if (h["week_start"], h["worker"]) not in seen and not seen.add((h["week_start"], h["worker"]))
    ]
    params = RotationParams(
        weeks=draw(st.integers(2, 4)),
        term=draw(st.integers(1, 3)),
        max_changes_per_week=draw(st.integers(1, 2)),
    )
    return team(workers, roles, history), params


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_teams())
def test_plan_obeys_every_rule_and_its_spread_equals_brute_force(case):
    inst, params = case
    plan = plan_roles(inst, params)
    assert plan_problems(inst, params, plan) == []
    assert plan.spread_proven
    assert score(plan) == brute_force(inst, params)


def test_every_role_is_filled_without_repeats_and_changes_are_staggered():
    inst = team([worker(f"w{i}") for i in range(1, 7)], [role("r1"), role("r2"), role("r3")])
    params = RotationParams(weeks=8, term=2, max_changes_per_week=2)
    plan = plan_roles(inst, params)
    assert plan_problems(inst, params, plan) == []
    assert plan.unfilled == []
    for r in ("r1", "r2", "r3"):
        holders = [week[r][0] for week in plan.holders]
        stints = [k for k, _ in itertools.groupby(holders)]
        assert all(a != b for a, b in zip(stints, stints[1:], strict=False))  # no one twice in a row
    for k in range(1, params.weeks):
        changed = sum(plan.holders[k][r] != plan.holders[k - 1][r] for r in ("r1", "r2", "r3"))
        assert changed <= 2
    assert plan.spread <= 1  # 24 role-weeks over 6 workers


def test_leave_and_new_starters_are_respected():
    inst = team(
        [
            worker("w1", leave=[{"start": "2026-12-07", "end": "2026-12-13"}]),
            worker("w2"),
            worker("w3", new_starter=True),
        ],
        [role("r1")],
    )
    plan = plan_roles(inst, RotationParams(weeks=3, term=1))
    assert "w1" not in plan.holders[1]["r1"]
    assert all("w3" not in week["r1"] for week in plan.holders)


def test_validator_names_each_broken_rule():
    inst = team([worker("w1"), worker("w2"), worker("w3", new_starter=True)], [role("r1"), role("r2")])
    params = RotationParams(weeks=4, term=2, max_changes_per_week=1)
    checker = PlanChecker(inst, params)
    cases = {
        "may not hold": [{"r1": ["w3"], "r2": ["w1"]}],
        "holds 2 roles": [{"r1": ["w1"], "r2": ["w1"]}],
        "before its term": [{"r1": ["w1"], "r2": []}, {"r1": ["w2"], "r2": []}],
        "the term is 2": [{"r1": ["w1"], "r2": []}] * 3,
        "within a term": [{"r1": ["w1"]}, {"r1": ["w1"]}, {"r1": []}, {"r1": ["w1"]}],
        "roles change holder": [{"r1": [], "r2": []}, {"r1": ["w1"], "r2": ["w2"]}],
    }
    for needle, weeks in cases.items():
        plan = checker.empty()
        for k, week in enumerate(weeks):
            plan.holders[k].update(week)
        found = checker.problems(plan)
        assert any(needle in p for p in found), (needle, found)


def test_same_seed_same_plan():
    inst = team([worker(f"w{i}") for i in range(1, 6)], [role("r1"), role("r2")])
    params = RotationParams(weeks=6, term=2)
    assert plan_roles(inst, params).holders == plan_roles(inst, params).holders


@pytest.mark.slow
def test_cli_on_the_week_for_12_weeks_has_a_spread_of_at_most_one(tmp_path):
    out = tmp_path / "plan.json"
    result = invoke("rotate-roles", "instances/week.json", "--weeks", "12", "--out", out)
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    assert plan["spread"] <= 1 and plan["unfilled"] == []
    assert len(plan["weeks"]) == 12


@pytest.mark.parametrize(
    ("args", "needles"),
    [(("--weeks", "0"), ("weeks", "at least 1")), (("--term", "0"), ("term",))],
    ids=["zero weeks", "zero term"],
)
def test_cli_bad_options_are_one_line(args, needles):
    assert_one_error_line(invoke("rotate-roles", "instances/week.json", *args), *needles)


def test_cli_unknown_worker_in_history_is_one_line(tmp_path):
    raw = team([worker("w1"), worker("w2")], [role("r1")]).model_dump(mode="json", exclude_none=True)
    raw["role_history"] = [{"week_start": "2026-11-23", "role": "r1", "worker": "w9"}]
    path = tmp_path / "team.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert_one_error_line(invoke("rotate-roles", path), str(path), "role_history[0]", "w9")
