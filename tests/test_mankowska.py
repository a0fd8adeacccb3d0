"""The Mankowska et al. (2014) importer: parsing, conversion, the benchmark's objective, bad files."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from selforg_scheduler.cli import app
from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.io import instance_from_dict, load_instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.datasets.mankowska import (
    OBJECTIVE_SCALE,
    ORIGIN,
    MankowskaData,
    benchmark_objective,
    read_mankowska,
    to_instance,
)
from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed
from selforg_scheduler.rules.config import load_rules
from selforg_scheduler.rules.validator import validate

PROVE = SolveParams(time_limit_s=120, workers=1, seed=0, deterministic_time=20)
"""One CP-SAT worker within 20 deterministic seconds: proves set A's optima on any machine."""

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks" / "data" / "mankowska2014" / "instances"  # vendored: never skipped
A1 = BENCH / "InstanzCPLEX_HCSRP_10_1.txt"
A1_BEST = 218.19855  # proven optimal (bks.csv)
RULES = ROOT / "constraints" / "mankowska.yaml"


@pytest.fixture(scope="module")
def a1() -> MankowskaData:
    return read_mankowska(A1)


def test_a1_is_parsed(a1):
    assert (a1.nodes, a1.carers, a1.services) == (12, 3, 6)
    assert a1.double == [10, 9, 8]  # the file's 1-based ids 11 10 9
    assert [i for i in a1.patients if len(a1.services_of(i)) == 2] == [8, 9, 10]
    assert a1.qualified[1] == [0, 0, 0, 0, 1, 1]
    assert a1.distance[0][4] == pytest.approx(7.28011)
    assert a1.duration[9][2][3] == 14.0  # node-major rows: node 9, carer 2, service 3
    assert (a1.min_lag[9], a1.max_lag[9], a1.min_lag[8], a1.max_lag[8]) == (51, 102, 0, 0)


def test_a1_converts_to_the_contract(a1):
    inst = instance_from_dict(to_instance(a1))
    assert len(inst.visits) == 13 and len(inst.workers) == 3 and len(inst.clients) == 10
    assert {v.id for v in inst.visits} >= {"n8s4", "n8s5", "n9s0", "n9s3", "n10s2", "n10s5", "n1s3"}
    assert [w.id for w in inst.workers] == ["c0", "c1", "c2"]
    assert inst.travel.method == "matrix" and inst.travel.count_home_legs
    assert inst.travel.lookup("L0", "L4") == pytest.approx(7.28011)
    deps = {(d.first, d.second): (d.min_gap_min, d.max_gap_min) for d in inst.dependencies}
    assert deps == {("n8s4", "n8s5"): (0, 0), ("n9s0", "n9s3"): (51, 102), ("n10s2", "n10s5"): (8, 16)}
    n1 = next(v for v in inst.visits if v.id == "n1s3")
    assert n1.skills == ["s3"] and n1.duration_min == a1.duration[1][0][3]
    assert n1.earliest_start == datetime.combine(ORIGIN, datetime.min.time()) + timedelta(minutes=a1.earliest[1])


def formula(data: MankowskaData, rota: Solution) -> float:
    """The benchmark's objective written out here, apart from the project's code."""
    t0 = datetime.combine(ORIGIN, datetime.min.time())
    node = {f"n{i}s{s}": i for i in data.patients for s in range(data.services)}
    tardiness, routes = [], {}
    for a in rota.visits:
        start = (a.start - t0).total_seconds() / 60
        tardiness.append(max(0.0, start - data.latest[node[a.visit]]))
        for w in a.workers:
            routes.setdefault(w, []).append((start, node[a.visit]))
    travel = 0.0
    for stops in routes.values():
        path = [0] + [i for _, i in sorted(stops)] + [data.nodes - 1]
        travel += sum(data.distance[a][b] for a, b in zip(path, path[1:], strict=False))
    return (travel + sum(tardiness) + max(tardiness)) / 3


def test_objective_of_a_hand_made_rota_equals_the_benchmark_formula(a1):
    """Every service by its first qualified carer, each starting late by a different amount: the
    validator's objective / 30000 is the formula's value (hard-rule breaks do not matter here)."""
    inst = instance_from_dict(to_instance(a1))
    visits = []
    for k, v in enumerate(sorted(inst.visits, key=lambda v: v.id)):
        skill = int(v.skills[0][1:])
        carer = next(c for c in range(a1.carers) if a1.qualified[c][skill])
        visits.append(
            {
                "visit": v.id,
                "start": (v.latest_start + timedelta(minutes=3 + 7 * k)).isoformat(),
                "workers": [f"c{carer}"],
            }
        )
    rota = Solution.model_validate(
        {"instance": {"team": inst.team.id, "sha256": ""}, "status": "FEASIBLE", "visits": visits}
    )
    report = validate(inst, rota, load_rules(RULES))
    expected = formula(a1, rota)
    assert report.objective / OBJECTIVE_SCALE == pytest.approx(expected, rel=1e-4)
    assert benchmark_objective(a1, inst, rota).objective == pytest.approx(expected, rel=1e-12)
    assert {rule for rule, cost in report.penalties.items() if cost} == {"travel", "time_windows"}


def test_solved_a1_is_valid_and_at_the_proven_optimum(a1):
    inst = instance_from_dict(to_instance(a1))
    rules = load_rules(RULES)
    result = solve_detailed(inst, rules, PROVE)
    sol = result.solution
    assert sol.status == "OPTIMAL" and not sol.unassigned
    report = validate(inst, sol, rules)
    assert report.ok, [str(v) for v in report.violations]
    assert report.objective == sol.objective
    exact = formula(a1, sol)
    assert sol.objective / OBJECTIVE_SCALE == pytest.approx(exact, rel=1e-4)
    assert exact == pytest.approx(A1_BEST, rel=1e-6)


def test_import_command_writes_a_contract_instance(tmp_path):
    out = tmp_path / "a1.json"
    result = CliRunner().invoke(app, ["import-mankowska", str(A1), "--out", str(out)])
    assert result.exit_code == 0, result.output
    inst = load_instance(out)
    assert len(inst.visits) == 13 and inst.team.id == "mankowska-InstanzCPLEX_HCSRP_10_1"


def _broken(tmp_path: Path, edit) -> Path:
    lines = A1.read_text().splitlines()
    path = tmp_path / "broken.txt"
    path.write_text("\n".join(edit(lines)) + "\n")
    return path


def _drop_keyword(key):
    def edit(lines):
        i = lines.index(key)
        j = i + 1
        while j < len(lines) and not lines[j][:1].isalpha():
            j += 1
        return lines[:i] + lines[j:]

    return edit


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (_drop_keyword("mind"), ["mind", "missing keyword"]),
        (lambda ls: [line for k, line in enumerate(ls) if k != ls.index("d") + 3], ["d:", "expected 12 rows", "line"]),
        (
            lambda ls: [("0 1 x 0 0 0" if k == ls.index("a") + 2 else line) for k, line in enumerate(ls)],
            ["a:", "'x'", "line"],
        ),
        (lambda ls: [*ls, "zz", "1 2"], ["zz", "unknown keyword", "line"]),
        (lambda ls: [("5" if k == ls.index("DS") + 1 else line) for k, line in enumerate(ls)], ["DS", "listed in DS"]),
    ],
)
def test_a_malformed_file_is_refused_naming_keyword_and_line(tmp_path, edit, needles):
    path = _broken(tmp_path, edit)
    with pytest.raises(InputError) as info:
        read_mankowska(path)
    message = str(info.value)
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    result = CliRunner().invoke(app, ["import-mankowska", str(path), "--out", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    said = result.output if result.stderr in result.output else result.output + result.stderr
    lines = [line for line in said.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in lines[0]
    assert not (tmp_path / "x.json").exists()


def test_instances_of_every_set_convert(tmp_path):
    for name in ("InstanzCPLEX_HCSRP_25_2.txt", "InstanzCPLEX_HCSRP_75_3.txt", "InstanzVNS_HCSRP_300_5.txt"):
        data = read_mankowska(BENCH / name)
        raw = to_instance(data)
        inst = instance_from_dict(json.loads(json.dumps(raw)))
        assert len(inst.visits) == sum(len(data.services_of(i)) for i in data.patients)
        assert len(inst.dependencies) == len(data.double)


def test_a3_needs_fractional_starts_and_reaches_its_proven_optimum():
    """A3's optimum starts services at fractional times: in whole minutes the best rota is 1.6 %
    above it; in the rule set's ticks of 1/1000 minute it is within 1e-4."""
    data = read_mankowska(BENCH / "InstanzCPLEX_HCSRP_10_3.txt")
    inst = instance_from_dict(to_instance(data))
    rules = load_rules(RULES)
    assert rules.resolution == 1000
    result = solve_detailed(inst, rules, PROVE)
    assert result.solution.status == "OPTIMAL" and result.report.ok
    assert formula(data, result.solution) == pytest.approx(305.85957, rel=1e-4)
    assert any(a.start.second or a.start.microsecond for a in result.solution.visits)


def test_independent_check_passes_the_solver_rota_and_catches_planted_breaks(a1):
    from selforg_scheduler.datasets.mankowska import benchmark_violations

    inst = instance_from_dict(to_instance(a1))
    sol = solve_detailed(inst, load_rules(RULES), PROVE).solution
    assert benchmark_violations(a1, sol) == []

    def planted(change):
        bad = sol.model_copy(deep=True)
        change({a.visit: a for a in bad.visits})
        return benchmark_violations(a1, bad)

    def unqualified(by):  # n1s3 needs s3, which c1 lacks
        by["n1s3"].workers = ["c1"]

    def unsynced(by):
        by["n8s5"].start = by["n8s4"].start + timedelta(minutes=1)

    def too_early(by):
        by["n9s0"].start = datetime.combine(ORIGIN, datetime.min.time())

    assert any("not qualified" in p for p in planted(unqualified))
    assert any("patient 8" in p for p in planted(unsynced))
    assert any("n9s0" in p and ("before its window" in p or "cannot be reached" in p) for p in planted(too_early))
    missing = sol.model_copy(deep=True)
    missing.visits = [a for a in missing.visits if a.visit != "n2s4"]
    assert benchmark_violations(a1, missing) == ["n2s4: not done"]
