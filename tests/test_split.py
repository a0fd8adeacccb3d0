"""Splitting a large pool without team labels into parts (modes/split.py).

The invariants are checked on random pools (hypothesis): every worker, client and visit in exactly
one part; buddy groups, linked visits and double-ups never cut; parts of about a team's size. A
generated organisation with its labels removed must be split back into its teams.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factory import DAY0, at

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.io import instance_from_dict
from selforg_scheduler.datasets.generate import generate_instance
from selforg_scheduler.modes.split import PART_MAX, PART_MIN, needs_split, pool_parts, solved_in_parts, split_pool


def _strip_teams(raw: dict[str, Any]) -> dict[str, Any]:
    raw = json.loads(json.dumps(raw))
    for key in ("workers", "clients", "roles"):
        for item in raw.get(key, []):
            item.pop("team", None)
    return raw


@pytest.fixture(scope="module")
def three_teams() -> dict[str, Any]:
    return generate_instance(workers=36, visits=540, days=7, seed=3, teams=3).instance


def test_a_generated_organisation_without_labels_splits_back_into_its_teams(three_teams: dict[str, Any]) -> None:
    team_of = {w["id"]: w["team"] for w in three_teams["workers"]}
    client_team = {c["id"]: c["team"] for c in three_teams["clients"]}
    role_team = {r["id"]: r["team"] for r in three_teams["roles"]}
    pool = instance_from_dict(_strip_teams(three_teams))
    assert not any(w.team for w in pool.workers)

    split = split_pool(pool)

    by_part: dict[str, set[str]] = {}
    for w, p in split.worker_part.items():
        by_part.setdefault(p, set()).add(team_of[w])
    assert sorted(len(teams) for teams in by_part.values()) == [1, 1, 1]  # no part mixes teams
    assert len(by_part) == 3
    part_team = {p: next(iter(teams)) for p, teams in by_part.items()}
    assert all(part_team[p] == client_team[c] for c, p in split.client_part.items())
    assert all(part_team[p] == role_team[r] for r, p in split.role_part.items())  # by role history


def test_the_split_is_the_same_every_run(three_teams: dict[str, Any]) -> None:
    pool = instance_from_dict(_strip_teams(three_teams))
    assert split_pool(pool) == split_pool(pool)


def test_only_large_unlabelled_pools_are_split(three_teams: dict[str, Any]) -> None:
    assert not needs_split(instance_from_dict(three_teams))  # labelled: the teams are the parts
    pool = instance_from_dict(_strip_teams(three_teams))
    assert needs_split(pool)  # 36 workers
    small = instance_from_dict(generate_instance(workers=12, visits=300, days=7, seed=1).instance)
    assert not needs_split(small)
    # what `solve` and `solve-many` take in parts: the labelled teams, or the large pool's split
    assert solved_in_parts(instance_from_dict(three_teams)) and solved_in_parts(pool)
    assert not solved_in_parts(small)


# --- random pools ----------------------------------------------------------------------------


@st.composite
def pools(draw: st.DrawFn) -> Instance:
    """Pools of 12-50 workers around a few towns; some clients with link workers (maybe from two
    towns), some double-ups, linked visits between clients, buddy pairs and trios, skills."""
    n_workers = draw(st.integers(12, 50))
    towns = draw(st.integers(1, 6))
    town = [draw(st.integers(0, towns - 1)) for _ in range(n_workers)]
    locations = [{"id": f"L{k}", "x": 100.0 * (k % 3) + k, "y": 100.0 * (k // 3)} for k in range(towns)]
    workers = [
        {
            "id": f"w{k:02d}",
            "home": f"L{town[k]}",
            "skills": ["hoist"] if k % 5 == 0 else [],
            "contract_minutes": 1800,
            "availability": [{"start": at("07:00"), "end": at("15:00")}],
        }
        for k in range(n_workers)
    ]
    ids = [w["id"] for w in workers]
    n_clients = draw(st.integers(5, 40))
    clients, visits = [], []
    for c in range(n_clients):
        links = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
        clients.append({"id": f"c{c:02d}", "location": f"L{draw(st.integers(0, towns - 1))}", "link_workers": links})
        for k in range(draw(st.integers(1, 3))):
            visits.append(
                {
                    "id": f"v{c:02d}-{k}",
                    "client": f"c{c:02d}",
                    "earliest_start": at(f"{8 + 2 * k:02d}:00"),
                    "latest_start": at(f"{8 + 2 * k:02d}:30"),
                    "duration_min": 30,
                    "workers_required": draw(st.sampled_from([1, 1, 1, 2])),
                    "skills": ["hoist"] if draw(st.integers(0, 9)) == 0 else [],
                }
            )
    visit_ids = [v["id"] for v in visits]
    deps = [
        {"first": a, "second": b, "min_gap_min": -600, "max_gap_min": 600}
        for a, b in draw(st.lists(st.tuples(st.sampled_from(visit_ids), st.sampled_from(visit_ids)), max_size=4))
        if a != b
    ]
    shuffled = draw(st.permutations(ids))
    buddies, k = [], 0
    while k + 1 < len(shuffled):
        size = 3 if draw(st.integers(0, 4)) == 0 and k + 2 < len(shuffled) else 2
        buddies.append(list(shuffled[k : k + size]))
        k += size
    roles = [{"id": f"r{k}", "minutes_per_week": 60, "holders": 1} for k in range(draw(st.integers(0, 6)))]
    raw = {
        "schema_version": 1,
        "team": {"id": "pool", "name": "Pool", "timezone": "Europe/London"},
        "horizon": {"start": DAY0, "days": 1},
        "travel": {"method": "euclidean", "speed": 1.0},
        "locations": locations,
        "workers": workers,
        "clients": clients,
        "visits": visits,
        "dependencies": deps,
        "buddies": buddies,
        "roles": roles,
    }
    return instance_from_dict(raw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_every_worker_client_visit_and_role_is_in_exactly_one_part(pool: Instance) -> None:
    parts = pool_parts(pool)
    for kind, everything in (
        ("workers", [w.id for w in pool.workers]),
        ("clients", [c.id for c in pool.clients]),
        ("visits", [v.id for v in pool.visits]),
        ("roles", [r.id for r in pool.roles]),
    ):
        listed = [x.id for p in parts for x in getattr(p.instance, kind)]
        assert sorted(listed) == sorted(everything), kind
    for part in parts:
        sub = part.instance
        instance_from_dict(sub.model_dump(mode="json"))  # each part is a valid instance in its own right
        ids = {w.id for w in sub.workers}
        assert all(set(c.link_workers) <= ids for c in sub.clients)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_buddy_groups_linked_visits_and_double_ups_are_never_cut(pool: Instance) -> None:
    split = split_pool(pool)
    for group in pool.buddies:
        assert len({split.worker_part[w] for w in group}) == 1
    client_of = {v.id: v.client for v in pool.visits}
    for d in pool.dependencies:
        assert split.client_part[client_of[d.first]] == split.client_part[client_of[d.second]]
    # a double-up is one visit: its part has the workers to crew it
    size = Counter(split.worker_part.values())
    for v in pool.visits:
        assert v.workers_required <= size[split.client_part[v.client]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_parts_are_about_a_team(pool: Instance) -> None:
    sizes = Counter(split_pool(pool).worker_part.values())
    # a buddy trio can push a part past the maximum by at most two; only a pool of fewer than
    # PART_MIN workers, never drawn here, has a part below the minimum
    assert all(PART_MIN <= n <= PART_MAX + 2 for n in sizes.values()), sizes


def test_a_client_without_link_workers_goes_to_the_nearest_part_able_to_serve_it() -> None:
    def w(k: int, town: str, skills: list[str]) -> dict[str, Any]:
        return {
            "id": f"{town}{k}",
            "home": town,
            "skills": skills,
            "availability": [{"start": at("07:00"), "end": at("15:00")}],
        }

    east = [w(k, "E", []) for k in range(8)]
    west = [w(k, "W", ["hoist"] if k == 0 else []) for k in range(8)]
    raw = {
        "schema_version": 1,
        "team": {"id": "pool", "name": "Pool", "timezone": "Europe/London"},
        "horizon": {"start": DAY0, "days": 1},
        "travel": {"method": "euclidean", "speed": 1.0},
        "locations": [{"id": "E", "x": 0, "y": 0}, {"id": "W", "x": 500, "y": 0}, {"id": "N", "x": 10, "y": 0}],
        "workers": east + west,
        "clients": [{"id": "near", "location": "N"}, {"id": "hoist", "location": "N"}],
        "visits": [
            {
                "id": "v1",
                "client": "near",
                "earliest_start": at("08:00"),
                "latest_start": at("09:00"),
                "duration_min": 30,
            },
            {
                "id": "v2",
                "client": "hoist",
                "earliest_start": at("08:00"),
                "latest_start": at("09:00"),
                "duration_min": 30,
                "skills": ["hoist"],
            },
        ],
    }
    split = split_pool(instance_from_dict(raw))
    east_part, west_part = split.worker_part["E0"], split.worker_part["W0"]
    assert east_part != west_part
    assert split.client_part["near"] == east_part  # nearest
    assert split.client_part["hoist"] == west_part  # the only part with the skill


def test_the_split_does_not_depend_on_the_process_hash_seed(three_teams: dict[str, Any], tmp_path: Path) -> None:
    """Louvain is seeded, but the graph's order must not follow set iteration (string hashes
    differ from process to process)."""
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(_strip_teams(three_teams)), encoding="utf-8")
    code = (
        "import json, sys; from selforg_scheduler.contract.io import load_instance; "
        "from selforg_scheduler.modes.split import split_pool; "
        "print(json.dumps(split_pool(load_instance(sys.argv[1])).worker_part, sort_keys=True))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(runs) == 1
