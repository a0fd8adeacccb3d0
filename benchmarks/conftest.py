"""Shared inputs of the benchmark suites: the realistic week and generated teams.

Generated instances come from :func:`selforg_scheduler.datasets.generate.generate_instance` with fixed
arguments, so every run (and every machine) benchmarks the same weeks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_from_dict, load_instance
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.datasets.generate import generate_instance

ROOT = Path(__file__).resolve().parent.parent
WEEK = ROOT / "instances" / "week.json"

SIZES = {
    # name: (workers, visits, days, seed)
    "small": (6, 60, 2, 1),
    "medium": (10, 180, 4, 2),
}


@pytest.fixture(scope="session")
def week() -> Instance:
    return load_instance(WEEK)


@pytest.fixture(scope="session")
def week_plan() -> Solution:
    return Solution.model_validate_json((ROOT / "instances" / "week.plan.json").read_text())


@pytest.fixture(scope="session", params=sorted(SIZES), ids=sorted(SIZES))
def generated(request: pytest.FixtureRequest) -> tuple[str, Instance]:
    workers, visits, days, seed = SIZES[request.param]
    made = generate_instance(workers=workers, visits=visits, days=days, seed=seed)
    return request.param, instance_from_dict(made.instance)
