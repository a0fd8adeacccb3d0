from datetime import date, timedelta

from factory import (
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

DAYS = [(date(2026, 11, 30) + timedelta(days=d)).isoformat() for d in range(7)]


def every_day(commit_on: int | None = None):
    kw = {}
    if commit_on is not None:
        day = DAYS[commit_on]
        kw["commitments"] = [{"start": f"{day}T13:00", "end": f"{day}T14:00", "what": "team meeting"}]
    return instance(
        [worker("w1", *((d, "08:00", "15:00") for d in DAYS), **kw)],
        [client("p1")],
        [visit(f"v{d}", "p1", "09:00", day=DAYS[d]) for d in range(7)],
        days=7,
    )


def test_one_whole_day_off_in_seven():
    assert len(unassigned(run(every_day()))) == 1
    assert unassigned(run(every_day(), "weekly_rest.min_days_off=0")) == {}
    assert len(unassigned(run(every_day(), "weekly_rest.min_days_off=2"))) == 2


def test_a_commitment_day_is_a_working_day():
    # The meeting on day 3 takes that day: the day off must be another day (still one visit lost).
    result = run(every_day(commit_on=3))
    assert len(unassigned(result)) == 1 and "v3" not in unassigned(result)


def test_validator_catches_seven_working_days():
    inst = every_day()
    rota = hand_rota(inst, {f"v{d}": (f"{DAYS[d]}T09:00", ["w1"]) for d in range(7)})
    assert broken(check(inst, rota)) == {"weekly_rest"}
    assert check(inst, rota, "weekly_rest.enabled=false").ok
