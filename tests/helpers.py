"""Small, deterministic builders of valid raw (JSON-shaped) instances for input and CLI tests.

Every call of :func:`tiny_instance` returns a fresh dict, so a test may mutate it freely to make
one thing wrong. Geometry is euclidean at 1 unit per minute, so travel minutes are distances.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DAY = "2026-11-30"


def at(hhmm: str, day: str = DAY) -> str:
    """``at("07:30")`` -> ``"2026-11-30T07:30"``."""
    return f"{day}T{hhmm}"


def tiny_instance() -> dict[str, Any]:
    """A valid one-day instance: 2 workers (07:00-15:00), 3 clients, visits v1..v4, one dependency."""
    return {
        "schema_version": 1,
        "team": {"id": "tiny", "name": "Tiny team", "timezone": "Europe/London"},
        "horizon": {"start": DAY, "days": 1},
        "travel": {"method": "euclidean", "speed": 1.0, "count_home_legs": False},
        "locations": [
            {"id": "L-home1", "x": 0, "y": 0},
            {"id": "L-home2", "x": 5, "y": 5},
            {"id": "L-c1", "x": 10, "y": 0},
            {"id": "L-c2", "x": 0, "y": 10},
            {"id": "L-c3", "x": 10, "y": 10},
        ],
        "workers": [
            {
                "id": "w1",
                "name": "Asha",
                "home": "L-home1",
                "skills": ["medication"],
                "contract_minutes": 480,
                "availability": [{"start": at("07:00"), "end": at("15:00")}],
            },
            {
                "id": "w2",
                "name": "Ben",
                "home": "L-home2",
                "skills": [],
                "contract_minutes": 480,
                "availability": [{"start": at("07:00"), "end": at("15:00")}],
            },
        ],
        "clients": [
            {"id": "c1", "name": "Mrs K", "location": "L-c1", "link_workers": ["w1"]},
            {"id": "c2", "name": "Mr J", "location": "L-c2"},
            {"id": "c3", "name": "Ms L", "location": "L-c3", "excluded_workers": ["w2"]},
        ],
        "visits": [
            {
                "id": "v1",
                "client": "c1",
                "earliest_start": at("08:00"),
                "latest_start": at("09:00"),
                "duration_min": 30,
                "skills": ["medication"],
            },
            {
                "id": "v2",
                "client": "c2",
                "earliest_start": at("09:00"),
                "latest_start": at("10:00"),
                "duration_min": 45,
            },
            {
                "id": "v3",
                "client": "c3",
                "earliest_start": at("10:00"),
                "latest_start": at("11:00"),
                "duration_min": 30,
            },
            {
                "id": "v4",
                "client": "c1",
                "earliest_start": at("12:00"),
                "latest_start": at("13:00"),
                "duration_min": 30,
            },
        ],
        "dependencies": [{"first": "v1", "second": "v4", "min_gap_min": 180, "max_gap_min": 300}],
    }


def visit_by_id(raw: dict[str, Any], vid: str) -> dict[str, Any]:
    """The raw visit dict with this id (to mutate in a test)."""
    return next(v for v in raw["visits"] if v["id"] == vid)


def write_json(tmp_path: Path, name: str, data: Any) -> Path:
    """Write ``data`` as JSON to ``tmp_path / name`` and return the path."""
    path = Path(tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
