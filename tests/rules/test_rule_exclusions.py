from factory import (
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


def week(**kw):
    return instance(
        [worker("w1"), worker("w2")],
        [client("p1", link_workers=["w2"], excluded_workers=["w1"], **kw)],
        [visit("v1", "p1", "08:00", workers_required=2)],
    )


def test_an_excluded_worker_never_visits():
    inst = instance([worker("w1"), worker("w2")], [client("p1", link_workers=["w1"])], [visit("v1", "p1", "08:00")])
    assert crew(run(inst))["v1"] == ["w1"]
    inst = instance(
        [worker("w1"), worker("w2")],
        [client("p1", excluded_workers=["w1"])],
        [visit("v1", "p1", "08:00")],
    )
    assert crew(run(inst))["v1"] == ["w2"]


def test_exclusion_binds_a_double_up_and_switching_off_changes_it():
    result = run(week())
    assert "v1" in unassigned(result)
    assert "w1 is excluded by p1" in unassigned(result)["v1"]
    assert crew(run(week(), "exclusions.enabled=false"))["v1"] == ["w1", "w2"]


def test_validator_catches_an_excluded_worker():
    inst = week()
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1", "w2"])}))
    assert broken(report) == {"exclusions"}
