"""Buddy groups: valid sizes, kept pairs kept, optimal against brute force, reasons, CLI."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory import DAY0, DAY1, instance, worker
from selforg_scheduler.contract.io import load_instance
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.modes.buddies import BuddyWeights, Compatibility, pair_buddies
from test_cli import assert_one_error_line, invoke


def team(workers: list[dict[str, Any]], **kw: Any):
    return instance(workers, [{"id": "p1", "location": "A"}], [], days=2, **kw)


def partitions(people: list[str]):
    """Every partition into pairs, plus exactly one triad when the number is odd."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    for mate in rest:
        others = [p for p in rest if p != mate]
        for tail in partitions(others):
            yield [[first, mate], *tail]
    if len(people) % 2 == 1:
        for a, b in itertools.combinations(rest, 2):
            others = [p for p in rest if p not in (a, b)]
            for tail in partitions(others):
                if all(len(g) == 2 for g in tail):
                    yield [[first, a, b], *tail]


@st.composite
def teams(draw: st.DrawFn):
    n = draw(st.integers(2, 8))
    ids = [f"w{i + 1}" for i in range(n)]
    workers = []
    for wid in ids:
        periods = []
        for day in (DAY0, DAY1):
            if draw(st.booleans()):
                start = draw(st.integers(6, 14))
                periods.append((day, f"{start:02d}:00", f"{start + draw(st.integers(1, 8)):02d}:00"))
        others = [x for x in ids if x != wid]
        prefs = draw(st.lists(st.sampled_from(others), unique=True, max_size=1))
        avoid = draw(
            st.lists(st.sampled_from([x for x in others if x not in prefs] or others), unique=True, max_size=1)
        )
        avoid = [a for a in avoid if a not in prefs]
        workers.append(
            worker(
                wid,
                *periods,
                new_starter=draw(st.integers(0, 3)) == 0,
                buddy_preferences=prefs,
                buddy_avoid=avoid,
            )
        )
    shuffled = draw(st.permutations(ids))
    existing = [sorted(shuffled[i : i + 2]) for i in range(0, draw(st.integers(0, n // 2)) * 2, 2)]
    history = [
        {"members": sorted(draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True)))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    return team(workers, buddies=existing, buddy_history=history)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(teams(), st.booleans())
def test_groups_are_valid_kept_and_optimal(inst, fresh):
    plan = pair_buddies(inst, fresh=fresh)
    ids = [w.id for w in inst.workers]
    members = [m for g in plan.groups for m in g.members]
    assert sorted(members) == sorted(ids)  # everyone in exactly one group
    sizes = sorted(len(g.members) for g in plan.groups)
    assert sizes == [2] * (len(ids) // 2 - 1) + [3] if len(ids) % 2 else sizes == [2] * (len(ids) // 2)
    kept = [] if fresh else [set(g) for g in inst.buddies]
    for pair in kept:
        assert any(pair <= set(g.members) for g in plan.groups), pair
    comp = Compatibility(inst, BuddyWeights(), inst.buddies)
    best = max(
        sum(comp.group(g) for g in p)
        for p in partitions(sorted(ids))
        if all(any(pair <= set(g) for g in p) for pair in kept)
    )
    assert plan.total_score == best
    assert plan.total_score == sum(comp.group(g.members) for g in plan.groups)
    again = pair_buddies(inst, fresh=fresh)
    assert again.as_lists() == plan.as_lists()  # deterministic


def test_new_starter_gets_an_experienced_buddy_and_avoidance_is_respected():
    inst = team(
        [
            worker("w1", new_starter=True),
            worker("w2", new_starter=True),
            worker("w3", buddy_avoid=["w1"]),
            worker("w4"),
        ]
    )
    plan = pair_buddies(inst)
    assert plan.as_lists() == [["w1", "w4"], ["w2", "w3"]]
    reasons = {tuple(g.members): g.reasons for g in plan.groups}
    assert "new starter w1 with experienced w4 (+40)" in reasons[("w1", "w4")]
    assert all("rather not" not in r for rs in reasons.values() for r in rs)


def test_odd_team_gets_one_triad_where_the_leftover_adds_most():
    inst = team(
        [worker("w1"), worker("w2"), worker("w3", buddy_preferences=["w1"]), worker("w4"), worker("w5")],
        buddies=[["w1", "w2"], ["w4", "w5"]],
    )
    plan = pair_buddies(inst)
    assert plan.as_lists() == [["w1", "w2", "w3"], ["w4", "w5"]]
    triad = plan.groups[0]
    assert triad.kept and "w3 joins to make the team's one triad" in triad.reasons


def test_triad_is_split_when_the_team_becomes_even_and_leavers_are_dropped():
    inst = team([worker("w1"), worker("w2"), worker("w3"), worker("w4")])
    plan = pair_buddies(inst, existing=[["w1", "w2", "w3"], ["w4", "w9"]])
    assert sorted(len(g.members) for g in plan.groups) == [2, 2]
    assert any("best pair of an existing triad" in r for g in plan.groups for r in g.reasons)
    assert ["w4"] not in plan.as_lists()


def test_a_team_of_one_is_refused():
    with pytest.raises(Exception, match="at least 2 workers"):
        pair_buddies(team([worker("w1")]))


# --- CLI ----------------------------------------------------------------------------------------


def _write(tmp_path, inst_raw: dict[str, Any], name: str = "team.json"):
    path = tmp_path / name
    path.write_text(json.dumps(inst_raw, indent=1) + "\n", encoding="utf-8")
    return path


def _raw(**kw: Any) -> dict[str, Any]:
    inst = team([worker("w1", new_starter=True), worker("w2"), worker("w3"), worker("w4")], **kw)
    return inst.model_dump(mode="json", exclude_none=True)


def test_cli_writes_the_groups_into_the_instance_and_lone_working_uses_them(tmp_path):
    path = _write(tmp_path, _raw(buddies=[["w1", "w2"], ["w3", "w4"]]))
    out = tmp_path / "groups.json"
    result = invoke("pair-buddies", path, "--fresh", "--out", out, "--write-into", path)
    assert result.exit_code == 0, result.output
    groups = json.loads(out.read_text())["groups"]
    inst = load_instance(path)
    assert inst.buddies == [g["members"] for g in groups]
    assert {("w1", "w2"), ("w3", "w4")} & {tuple(g) for g in inst.buddies} == set()  # fresh pairs
    assert sorted(map(sorted, (h.members for h in inst.buddy_history))) == [["w1", "w2"], ["w3", "w4"]]
    problem = compile_problem(inst)
    for group in inst.buddies:
        a, b = (problem.worker_index[m] for m in group)
        assert problem.buddies[a] == {b}


def test_cli_on_the_week_keeps_its_pairs(tmp_path):
    out = tmp_path / "groups.json"
    result = invoke("pair-buddies", "instances/week.json", "--out", out)
    assert result.exit_code == 0, result.output
    groups = json.loads(out.read_text())["groups"]
    week = load_instance("instances/week.json")
    assert sorted(g["members"] for g in groups) == sorted(sorted(g) for g in week.buddies)
    assert all(g["kept"] and g["reasons"] for g in groups)


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (lambda r: r["workers"][1].update(buddy_avoid=["w2"]), ("buddy_avoid", "themself")),
        (lambda r: r["workers"][1].update(buddy_preferences=["w99"]), ("buddy_preferences", "w99")),
        (lambda r: r.update(buddy_history=[{"members": ["w1", "w77"]}]), ("buddy_history[0]", "w77")),
    ],
    ids=["avoids themself", "unknown preference", "unknown worker in history"],
)
def test_cli_bad_input_is_one_line(tmp_path, mutate, needles):
    raw = _raw()
    mutate(raw)
    path = _write(tmp_path, raw)
    assert_one_error_line(invoke("pair-buddies", path), str(path), *needles)


def test_cli_unknown_weight_key_is_one_line(tmp_path):
    path = _write(tmp_path, _raw())
    weights = tmp_path / "w.yaml"
    weights.write_text("mentorship: 3\n", encoding="utf-8")
    assert_one_error_line(invoke("pair-buddies", path, "--weights", weights), str(weights), "mentorship", "mentor")


def test_a_weights_file_with_a_key_twice_or_not_utf8_is_one_line(tmp_path):
    path = _write(tmp_path, _raw())
    weights = tmp_path / "w.yaml"
    weights.write_text("overlap_per_hour: 2\noverlap_per_hour: 3\n", encoding="utf-8")
    assert_one_error_line(invoke("pair-buddies", path, "--weights", weights), str(weights), "twice")
    weights.write_bytes(b"\xff\xfe overlap_per_hour: 2\n")
    assert_one_error_line(invoke("pair-buddies", path, "--weights", weights), str(weights), "UTF-8")
