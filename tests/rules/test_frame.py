"""The frame (rules/frame.py): who may do each visit, and when; cut short when time runs out."""

from __future__ import annotations

from factory import client, instance, rules, visit, worker
from selforg_scheduler.core.problem import compile_problem
from selforg_scheduler.rules.frame import eligibility, eligibility_until


def _week():
    return instance(
        [worker("w1"), worker("w2", skills=["hoist"])],
        [client("p1", "A"), client("p2", "B")],
        [visit(f"v{i}", f"p{i % 2 + 1}", f"{8 + i:02d}:00", skills=["hoist"] if i == 2 else []) for i in range(6)],
    )


def test_the_frame_until_a_stop_is_the_whole_frame_for_the_visits_it_examined():
    problem, rule_set = compile_problem(_week()), rules()
    (whole, whole_domains) = eligibility(problem, rule_set)
    assert whole[2] == [1] and whole[0] == [0, 1]  # the hoist visit: only w2
    calls = iter(range(100))
    (cut, cut_domains), unexamined = eligibility_until(problem, rule_set, lambda: next(calls) >= 3)
    assert unexamined == [3, 4, 5]
    assert cut[:3] == whole[:3] and cut[3:] == [[], [], []]
    assert cut_domains == {k: d for k, d in whole_domains.items() if k[0] < 3}
    (again, _), none_left = eligibility_until(problem, rule_set, lambda: False)
    assert again == whole and none_left == []
