"""daily_limit: working minutes of a worker-day (visits + travel between them, + home legs when the
instance counts them) may not exceed ``max_minutes`` (600)."""

from factory import (
    DAY0,
    broken,
    check,
    client,
    crew,
    hand_rota,
    instance,
    rules,
    run,
    unassigned,
    visit,
    worker,
)
from selforg_scheduler.pipeline.annotate import complete_rota


def long_day(second_at: str = "C", **kw):
    # One worker 06:00-18:00. v1 at A 06:00-11:00 (300 min); v2 (290 min) from 11:30 at
    # ``second_at``: at C that is 300 + 20 travel + 290 = 610 working minutes, at A only 590.
    # v2's window leaves room for the 20-minute break the breaks rule wants on a day this long.
    return instance(
        [worker("w1", (DAY0, "06:00", "18:00"), contract_minutes=0)],
        [client("p1", "A"), client("p2", second_at)],
        [visit("v1", "p1", "06:00", duration=300), visit("v2", "p2", "11:30", "12:00", duration=290)],
        **kw,
    )


def test_travel_counts_towards_the_limit():
    result = run(long_day("C"))
    assert unassigned(result).keys() == {"v2"}  # coverage drops the shorter visit
    assert "daily_limit" in unassigned(result)["v2"]
    assert unassigned(run(long_day("A"))) == {}  # 590 <= 600


def test_knob_and_switch_lift_the_limit():
    assert unassigned(run(long_day("C"), "daily_limit.max_minutes=610")) == {}
    assert unassigned(run(long_day("C"), "daily_limit.enabled=false")) == {}
    assert len(unassigned(run(long_day("A"), "daily_limit.max_minutes=589"))) == 1


def test_home_legs_count_when_the_instance_counts_them():
    # Both clients at B (10 from home H): 300 + 0 + 290 = 590, plus 10 out and 10 back = 610.
    inst = instance(
        [worker("w1", (DAY0, "05:00", "18:00"), contract_minutes=0)],
        [client("p1", "B"), client("p2", "B")],
        [visit("v1", "p1", "06:00", duration=300), visit("v2", "p2", "11:30", "12:00", duration=290)],
        home_legs=True,
    )
    assert unassigned(run(inst)).keys() == {"v2"}
    assert unassigned(run(inst, "daily_limit.max_minutes=610")) == {}


def test_limit_splits_a_client_between_two_workers():
    # Same client, 310 + 300 = 610 minutes: continuity wants one worker (a second costs 50), the
    # limit forces two. Contracts are 0 so contract_hours and fairness stay out of the way.
    inst = instance(
        [worker(w, (DAY0, "06:00", "18:00"), contract_minutes=0) for w in ("w1", "w2")],
        [client("p1")],
        [visit("v1", "p1", "06:00", duration=310), visit("v2", "p1", "11:30", "12:00", duration=300)],
    )
    split = run(inst)
    assert unassigned(split) == {} and crew(split)["v1"] != crew(split)["v2"]
    assert split.solution.penalties["continuity"] == 50
    together = run(inst, "daily_limit.max_minutes=610")
    assert crew(together)["v1"] == crew(together)["v2"]
    assert together.solution.penalties["continuity"] == 0


def test_validator_catches_a_long_day_and_passes_a_compliant_one():
    inst = long_day("C")
    rota = complete_rota(inst, hand_rota(inst, {"v1": ("06:00", ["w1"]), "v2": ("11:40", ["w1"])}), rules())
    assert rota.breaks  # the breaks rule is satisfied, so only the daily limit can complain
    report = check(inst, rota)
    assert broken(report) == {"daily_limit"}
    assert "works 610 min" in str(report.violations[0])
    assert check(inst, rota, "daily_limit.max_minutes=610").ok
    assert check(inst, rota, "daily_limit.enabled=false").ok
    # Travel counts only while the travel rule is on: without it the day is 590 minutes.
    assert "daily_limit" not in broken(check(inst, rota, "travel.enabled=false"))
