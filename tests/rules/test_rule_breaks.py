from factory import (
    at,
    broken,
    check,
    client,
    hand_rota,
    instance,
    run,
    starts,
    unassigned,
    visit,
    worker,
)
from selforg_scheduler.contract.solution import Break


def tight_day():
    # 07:00-12:00 then a 90-minute visit that must start by 12:10: 390 working minutes need a
    # 20-minute break in 11:00-15:00, which only fits if v2 starts at 12:20 or later.
    return instance(
        [worker("w1")],
        [client("p1")],
        [visit("v1", "p1", "07:00", duration=300), visit("v2", "p1", "12:00", "12:10", duration=90)],
    )


def test_long_day_needs_a_break_between_visits():
    assert len(unassigned(run(tight_day()))) == 1
    assert unassigned(run(tight_day(), "breaks.enabled=false")) == {}
    assert unassigned(run(tight_day(), "breaks.after_minutes=400")) == {}


def test_solver_writes_the_break_and_the_validator_accepts_it():
    inst = instance(
        [worker("w1")],
        [client("p1")],
        [visit("v1", "p1", "07:00", duration=300), visit("v2", "p1", "12:00", "12:30", duration=90)],
    )
    result = run(inst)
    assert starts(result)["v2"] >= "12:20"
    [brk] = result.solution.breaks
    assert brk.worker == "w1" and (brk.end - brk.start).total_seconds() == 20 * 60
    assert result.solution.kpis["breaks_given"] == result.solution.kpis["long_days"] == 1


def test_span_measure_counts_gaps_as_day_length():
    # 60 + 260 = 320 working minutes, but 07:00-15:10 is 490 minutes; the window is all visit.
    inst = instance(
        [worker("w1", ("2026-11-30", "07:00", "17:00"))],
        [client("p1")],
        [visit("v1", "p1", "07:00", duration=60), visit("v2", "p1", "10:50", duration=260)],
    )
    assert unassigned(run(inst)) == {}
    assert len(unassigned(run(inst, "breaks.measure=span"))) == 1


def _with_break(inst, start, end):
    # v1 at A until 12:00, v2 at B (10 min away) from 12:30: 400 working minutes.
    rota = hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("12:30", ["w1"])})
    return rota.model_copy(update={"breaks": [Break(worker="w1", start=at(start), end=at(end))]})


def travel_day():
    return instance(
        [worker("w1")],
        [client("p1", "A"), client("p2", "B")],
        [visit("v1", "p1", "07:00", duration=300), visit("v2", "p2", "12:30", duration=90)],
    )


def test_validator_accepts_travel_before_or_after_the_break_but_not_across_it():
    inst = travel_day()
    assert check(inst, _with_break(inst, "12:00", "12:20")).ok  # travel after
    assert check(inst, _with_break(inst, "12:10", "12:30")).ok  # travel before
    assert broken(check(inst, _with_break(inst, "12:05", "12:25"))) == {"breaks"}  # splits the travel


def test_validator_catches_missing_short_misplaced_and_overlapping_breaks():
    inst = travel_day()
    no_break = hand_rota(inst, {"v1": ("07:00", ["w1"]), "v2": ("12:30", ["w1"])})
    assert broken(check(inst, no_break)) == {"breaks"}
    assert broken(check(inst, _with_break(inst, "12:00", "12:15"))) == {"breaks"}  # too short
    assert broken(check(inst, _with_break(inst, "11:30", "11:50"))) == {"breaks"}  # during v1
    assert check(inst, no_break, "breaks.enabled=false").ok
