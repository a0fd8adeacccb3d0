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


def week():
    # w1 is the link worker (preferred) but only w2 has the medication skill.
    return instance(
        [worker("w1"), worker("w2", skills=["medication"])],
        [client("p1", link_workers=["w1"])],
        [visit("v1", "p1", "08:00", skills=["medication"])],
    )


def test_only_a_skilled_worker_does_the_visit():
    assert crew(run(week()))["v1"] == ["w2"]


def test_switching_skills_off_lets_the_link_worker_do_it():
    assert crew(run(week(), "skills.enabled=false"))["v1"] == ["w1"]


def test_nobody_skilled_gives_a_specific_reason():
    inst = instance([worker("w1")], [client("p1")], [visit("v1", "p1", "08:00", skills=["peg_feeding"])])
    assert "peg_feeding" in unassigned(run(inst))["v1"]


def test_validator_names_the_missing_skill():
    inst = week()
    report = check(inst, hand_rota(inst, {"v1": ("08:00", ["w1"])}))
    assert broken(report) == {"skills"}
    assert "medication" in report.violations[0].message
