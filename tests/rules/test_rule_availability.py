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


def test_visit_goes_to_the_worker_who_is_available():
    inst = instance(
        [worker("w1", (DAY0, "07:00", "08:00")), worker("w2", (DAY0, "08:00", "12:00"))],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "09:00")],
    )
    assert crew(run(inst))["v1"] == ["w2"]
    assert crew(run(inst, "availability.enabled=false"))["v1"] == ["w1"]


def test_a_commitment_blocks_time():
    meeting = [{"start": f"{DAY0}T08:45", "end": f"{DAY0}T10:00", "what": "team meeting"}]
    inst = instance(
        [worker("w1", commitments=meeting)],
        [client("p1")],
        [visit("v1", "p1", "08:30", "09:00")],
    )
    result = run(inst)
    assert "v1" in unassigned(result)
    assert "commitment" in unassigned(result)["v1"]
    assert crew(run(inst, "availability.enabled=false"))["v1"] == ["w1"]


def test_travel_from_home_must_fit_in_availability():
    # Home legs count; C is 20 minutes from home and the day starts at 07:00.
    inst = instance([worker("w1")], [client("p1", "C")], [visit("v1", "p1", "07:00", "07:40")], home_legs=True)
    assert starts(run(inst))["v1"] == "07:20"


def test_validator_catches_visit_outside_availability_and_during_commitment():
    meeting = [{"start": f"{DAY0}T10:00", "end": f"{DAY0}T11:00", "what": "supervision"}]
    inst = instance(
        [worker("w1", commitments=meeting)],
        [client("p1")],
        [visit("v1", "p1", "06:00", "06:30"), visit("v2", "p1", "10:15")],
    )
    report = check(inst, hand_rota(inst, {"v1": ("06:00", ["w1"]), "v2": ("10:15", ["w1"])}))
    assert broken(report) == {"availability"}
    messages = " | ".join(v.message for v in report.violations)
    assert "outside their availability" in messages and "during a commitment" in messages


def test_validator_catches_travel_from_home_outside_availability():
    inst = instance([worker("w1")], [client("p1", "C")], [visit("v1", "p1", "07:00", "07:40")], home_legs=True)
    report = check(inst, hand_rota(inst, {"v1": ("07:05", ["w1"])}))
    assert broken(report) == {"availability"}
    assert "travel" in report.violations[0].message
