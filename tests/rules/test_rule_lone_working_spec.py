"""lone_working: new starters never visit alone (nor two new starters together); no lone visit ends
after ``latest_lone_end`` (22:00); a lone visit ending after ``buddy_check_after`` (20:00) needs a
buddy whose availability covers its end (written to ``check_ins``); ``two_workers`` clients get two."""

from factory import (
    DAY0,
    broken,
    check,
    client,
    crew,
    hand_rota,
    instance,
    run,
    starts,
    unassigned,
    visit,
    worker,
)
from selforg_scheduler.pipeline.annotate import complete_rota


def test_single_visits_never_go_to_a_new_starter():
    # Two simultaneous single visits, one experienced worker and one new starter.
    inst = instance(
        [worker("w1", new_starter=True), worker("w2")],
        [client("p1", "A"), client("p2", "B")],
        [visit("v1", "p1", "09:00"), visit("v2", "p2", "09:00")],
    )
    result = run(inst)
    assert len(unassigned(result)) == 1
    assert all(ws == ["w2"] for ws in crew(result).values())
    assert "lone_working" in next(iter(unassigned(result).values()))
    alone_ok = run(inst, "lone_working.new_starters_alone=true")
    assert unassigned(alone_ok) == {} and sorted(ws[0] for ws in crew(alone_ok).values()) == ["w1", "w2"]
    assert unassigned(run(inst, "lone_working.enabled=false")) == {}


def test_double_up_needs_an_experienced_worker():
    two_new = instance(
        [worker("w1", new_starter=True), worker("w2", new_starter=True)],
        [client("p1")],
        [visit("v1", "p1", "09:00", workers_required=2)],
    )
    assert unassigned(run(two_new)).keys() == {"v1"}
    assert crew(run(two_new, "lone_working.enabled=false")) == {"v1": ["w1", "w2"]}
    with_senior = instance(
        [worker("w1", new_starter=True), worker("w2", new_starter=True), worker("w3")],
        [client("p1")],
        [visit("v1", "p1", "09:00", workers_required=2)],
    )
    [pair] = crew(run(with_senior)).values()
    assert "w3" in pair and len(pair) == 2


def late(visit_at="20:00", latest=None, buddy_until="21:00", buddies=(("w1", "w2"),), required=1):
    # w1 works 14:00-23:30; w2 (w1's buddy, excluded from p1 so never on the visit) until buddy_until.
    return instance(
        [worker("w1", (DAY0, "14:00", "23:30")), worker("w2", (DAY0, "14:00", buddy_until))],
        [client("p1", excluded_workers=["w2"] if required == 1 else [])],
        [visit("v1", "p1", visit_at, latest, workers_required=required)],
        buddies=[list(b) for b in buddies],
    )


def test_late_lone_visit_needs_a_buddy_at_work_when_it_ends():
    assert unassigned(run(late(buddy_until="20:29"))).keys() == {"v1"}  # ends 20:30, buddy gone
    assert unassigned(run(late(buddies=()))).keys() == {"v1"}  # no buddy at all
    result = run(late(buddy_until="20:30"))  # availability covers the end (inclusive)
    assert unassigned(result) == {}
    [ci] = result.solution.check_ins
    assert (ci.visit, ci.worker, ci.buddy, ci.at.strftime("%H:%M")) == ("v1", "w1", "w2", "20:30")
    assert result.solution.kpis["late_lone_visits_with_buddy"] == 1


def test_without_a_buddy_the_visit_ends_by_20():
    result = run(late("19:00", "20:30", buddies=()))
    assert starts(result)["v1"] <= "19:30"  # ends by 20:00
    assert result.solution.check_ins == []
    assert unassigned(run(late(buddies=()), "lone_working.buddy_check_after=20:30")) == {}


def test_no_lone_visit_ends_after_22():
    # The buddy works until 23:30, so only the 22:00 limit matters.
    assert unassigned(run(late("21:45", buddy_until="23:30"))).keys() == {"v1"}  # would end 22:15
    assert starts(run(late("21:00", "21:45", buddy_until="23:30")))["v1"] <= "21:30"
    assert unassigned(run(late("21:30", buddy_until="23:30"))) == {}  # ends 22:00 exactly
    assert unassigned(run(late("21:45", buddy_until="23:30"), "lone_working.latest_lone_end=22:15")) == {}


def test_a_double_up_is_not_lone():
    inst = late("21:45", buddy_until="23:30", required=2)
    assert crew(run(inst)) == {"v1": ["w1", "w2"]}


def test_two_workers_client_gets_two():
    inst = instance([worker("w1"), worker("w2")], [client("p1", two_workers=True)], [visit("v1", "p1", "09:00")])
    assert crew(run(inst)) == {"v1": ["w1", "w2"]}
    alone = instance([worker("w1")], [client("p1", two_workers=True)], [visit("v1", "p1", "09:00")])
    assert unassigned(run(alone)).keys() == {"v1"}
    rota = hand_rota(inst, {"v1": ("09:00", ["w1"])})
    report = check(inst, rota)
    assert "lone_working" in broken(report)
    assert any("always gets two workers" in str(v) for v in report.violations if v.rule == "lone_working")


def test_validator_catches_new_starters_alone_or_together():
    inst = instance(
        [worker("w1", new_starter=True), worker("w2", new_starter=True), worker("w3")],
        [client("p1")],
        [visit("v1", "p1", "09:00"), visit("v2", "p1", "11:00", workers_required=2)],
    )
    bad = hand_rota(inst, {"v1": ("09:00", ["w1"]), "v2": ("11:00", ["w1", "w2"])})
    report = check(inst, bad)
    assert broken(report) == {"lone_working"} and len(report.violations) == 2
    good = hand_rota(inst, {"v1": ("09:00", ["w3"]), "v2": ("11:00", ["w1", "w3"])})
    assert check(inst, good).ok
    assert check(inst, bad, "lone_working.new_starters_alone=true").ok


def test_validator_catches_late_lone_visits():
    inst = late("20:00", "21:45", buddy_until="20:30")
    at_2000 = hand_rota(inst, {"v1": ("20:00", ["w1"])})  # ends 20:30: buddy still available
    assert check(inst, at_2000).ok
    at_2001 = hand_rota(inst, {"v1": ("20:01", ["w1"])})  # ends 20:31: buddy gone
    report = check(inst, at_2001)
    assert broken(report) == {"lone_working"} and "no buddy (w2) is working then" in str(report.violations[0])
    at_2145 = hand_rota(inst, {"v1": ("21:45", ["w1"])})  # ends 22:15
    report = check(inst, at_2145)
    assert broken(report) == {"lone_working"} and "after 22:00" in str(report.violations[0])
    assert check(inst, at_2145, "lone_working.enabled=false").ok


def test_complete_rota_names_the_buddy():
    inst = late(buddy_until="20:30")
    rota = complete_rota(inst, hand_rota(inst, {"v1": ("20:00", ["w1"])}))
    assert [(c.visit, c.worker, c.buddy) for c in rota.check_ins] == [("v1", "w1", "w2")]
    early = complete_rota(inst, hand_rota(inst, {"v1": ("19:30", ["w1"])}))  # ends 20:00: no check-in
    assert early.check_ins == []


def test_validator_accepts_a_buddy_who_is_on_a_visit():
    # w2's availability ends 20:00, but the rota has w2 on v2 until 20:45, covering v1's 20:30
    # end. The availability rule is switched off so the rota is otherwise acceptable.
    inst = instance(
        [worker("w1", (DAY0, "14:00", "23:30")), worker("w2", (DAY0, "14:00", "20:00"))],
        [client("p1"), client("p2", "B")],
        [visit("v1", "p1", "20:00"), visit("v2", "p2", "19:45", duration=60)],
        buddies=[["w1", "w2"]],
    )
    with_visit = hand_rota(inst, {"v1": ("20:00", ["w1"]), "v2": ("19:45", ["w2"])})
    assert check(inst, with_visit, "availability.enabled=false").ok
    # v2 (w2 alone until 20:45) is late too; w1's availability covers it.
    pairs = {(c.visit, c.worker, c.buddy) for c in complete_rota(inst, with_visit).check_ins}
    assert pairs == {("v1", "w1", "w2"), ("v2", "w2", "w1")}
    without = hand_rota(inst, {"v1": ("20:00", ["w1"])})
    assert broken(check(inst, without, "availability.enabled=false")) == {"lone_working"}
