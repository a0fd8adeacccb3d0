from factory import (
    DAY0,
    broken,
    check,
    client,
    crew,
    hand_rota,
    instance,
    run,
    unassigned,
    visit,
    worker,
)


def test_new_starter_never_alone():
    inst = instance(
        [worker("w1", new_starter=True), worker("w2")],
        [client("p1", "A"), client("p2", "B")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:00")],
    )
    result = run(inst)
    assert len(unassigned(result)) == 1 and all(ws == ["w2"] for ws in crew(result).values())
    assert "lone_working" in next(iter(unassigned(result).values()))
    assert unassigned(run(inst, "lone_working.new_starters_alone=true")) == {}


def test_two_new_starters_need_an_experienced_worker():
    two_new = instance(
        [worker("w1", new_starter=True), worker("w2", new_starter=True)],
        [client("p1")],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )
    assert len(unassigned(run(two_new))) == 1
    assert unassigned(run(two_new, "lone_working.enabled=false")) == {}
    inst = instance(
        [worker("w1", new_starter=True), worker("w2", new_starter=True), worker("w3")],
        [client("p1")],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )
    assert "w3" in crew(run(inst))["v1"]


def late(buddy_until: str, visit_at: str = "20:00"):
    return instance(
        [worker("w1", (DAY0, "14:00", "23:30")), worker("w2", (DAY0, "14:00", buddy_until))],
        [client("p1", excluded_workers=["w2"])],
        [visit("v1", "p1", visit_at)],
        buddies=[["w1", "w2"]],
    )


def test_late_lone_visit_needs_a_working_buddy():
    assert len(unassigned(run(late("20:00")))) == 1  # v1 ends 20:30, buddy off at 20:00
    result = run(late("21:00"))
    assert unassigned(result) == {}
    [check_in] = result.solution.check_ins
    assert (check_in.visit, check_in.worker, check_in.buddy) == ("v1", "w1", "w2")
    assert unassigned(run(late("20:00"), "lone_working.buddy_check_after=21:00")) == {}


def test_no_lone_visit_ends_after_22():
    assert len(unassigned(run(late("23:30", visit_at="21:45")))) == 1
    assert unassigned(run(late("23:30", visit_at="21:45"), "lone_working.latest_lone_end=23:00")) == {}


def test_two_workers_client_always_gets_two():
    inst = instance([worker("w1"), worker("w2")], [client("p1", two_workers=True)], [visit("v1", "p1", "08:00")])
    assert crew(run(inst))["v1"] == ["w1", "w2"]
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"])})
    assert "lone_working" in broken(check(inst, rota))


def test_validator_catches_a_new_starter_alone_and_a_late_lone_visit():
    inst = instance(
        [worker("w1", new_starter=True), worker("w2", (DAY0, "14:00", "23:30"))],
        [client("p1")],
        [visit("v1", "p1", "08:00"), visit("v2", "p1", "20:00"), visit("v3", "p1", "21:45")],
    )
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("20:00", ["w2"]), "v3": ("21:45", ["w2"])})
    report = check(inst, rota)
    assert broken(report) == {"lone_working"}
    texts = " ".join(str(v) for v in report.violations)
    assert "new starter" in texts and "after 22:00" in texts and "no buddy" in texts
