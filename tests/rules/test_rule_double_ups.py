from factory import (
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
from selforg_scheduler import Solution


def week():
    return instance(
        [worker("w1"), worker("w2"), worker("w3", ("2026-11-30", "12:00", "15:00"))],
        [client("p1")],
        [visit("v1", "p1", "08:00", "08:30", duration=45, workers_required=2)],
    )


def test_double_up_gets_two_workers_starting_together():
    result = run(week())
    assert crew(result)["v1"] == ["w1", "w2"]
    assert len(result.solution.visits) == 1  # one start shared by both


def test_double_up_with_one_available_worker_is_unassigned_with_reason():
    inst = instance(
        [worker("w1"), worker("w2", ("2026-11-30", "12:00", "15:00"))],
        [client("p1")],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )
    result = run(inst)
    assert "2 workers" in unassigned(result)["v1"]
    assert "w2 is not available" in unassigned(result)["v1"]


def test_validator_catches_workers_starting_apart_and_rule_switch():
    inst = week()
    rota = hand_rota(inst, {"v1": ("08:00", ["w1"])})
    data = rota.model_dump(mode="json")
    data["visits"].append({"visit": "v1", "start": "2026-11-30T08:20", "workers": ["w2"]})
    rota = Solution.model_validate(data)
    assert "double_ups" in broken(check(inst, rota))
    assert "double_ups" not in broken(check(inst, rota, "double_ups.enabled=false"))
    assert starts(run(inst))["v1"] == "08:00"
