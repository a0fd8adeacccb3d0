from factory import (
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


def linked(min_gap=0, max_gap=0, workers=1):
    return instance(
        [worker(f"w{i + 1}") for i in range(workers)],
        [client("p1", "A"), client("p2", "A")],
        [visit("v1", "p1", "08:00"), visit("v2", "p2", "08:00", "09:00")],
        dependencies=[{"first": "v1", "second": "v2", "min_gap_min": min_gap, "max_gap_min": max_gap}],
    )


def test_together_needs_two_workers():
    assert len(unassigned(run(linked()))) == 1  # one worker cannot do both at 08:00
    result = run(linked(workers=2))
    assert unassigned(result) == {}
    assert starts(result)["v1"] == starts(result)["v2"] == "08:00"


def test_switching_dependencies_off_lets_one_worker_do_both():
    assert unassigned(run(linked(), "dependencies.enabled=false")) == {}


def test_gap_window_is_kept():
    result = run(linked(45, 50))
    assert unassigned(result) == {}
    assert starts(result)["v2"] in {"08:45", "08:46", "08:47", "08:48", "08:49", "08:50"}


def test_validator_catches_a_broken_gap():
    inst = linked(45, 50, workers=2)
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"]), "v2": ("08:30", ["w2"])}))
    assert broken(report) == {"dependencies"}
