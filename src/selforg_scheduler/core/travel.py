"""Travel times between locations, computed once into an integer minute matrix.

The contract (``formats.md``) defines three methods:

* ``haversine``: great-circle km (earth radius 6371.0088 km) x detour_factor / speed_kmh x 60,
  rounded up to a whole minute;
* ``euclidean``: distance between the ``x``, ``y`` of two locations / ``speed`` (units per minute);
* ``matrix``: minutes given outright.

The solver works in whole minutes, so euclidean and matrix times are rounded up as well (a
conservative choice: a rota that leaves room for the rounded-up travel leaves room for the exact one).
Their exact (fractional) minutes are kept too: travel *cost* is priced per leg from them with
:func:`leg_cost`, so a large ``weight_per_minute`` prices fractional travel exactly (benchmarks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from selforg_scheduler.contract.instance import Location, Travel

EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def ceil_minutes(value: float) -> int:
    """Round a non-negative number of minutes up to a whole minute, ignoring float noise."""
    return int(math.ceil(round(value, 9)))


def leg_cost(weight: int, minutes: float) -> int:
    """Cost of one travel leg: weight x exact minutes, rounded up (exact for whole minutes)."""
    return int(math.ceil(round(weight * minutes, 6)))


def haversine_minutes(
    lat1: float, lon1: float, lat2: float, lon2: float, speed_kmh: float, detour_factor: float
) -> int:
    """Travel minutes by the contract's haversine method."""
    km = great_circle_km(lat1, lon1, lat2, lon2)
    return ceil_minutes(km * detour_factor / speed_kmh * 60.0)


def euclidean_minutes(x1: float, y1: float, x2: float, y2: float, speed: float) -> float:
    """Exact travel minutes by the contract's euclidean method (speed in units per minute)."""
    return math.hypot(x2 - x1, y2 - y1) / speed


class TravelMatrix:
    """Travel times between every pair of locations, indexed by location id: ``minutes`` rounded
    up to whole minutes (for time), ``exact`` as the method gives them (for cost)."""

    def __init__(self, ids: Sequence[str], minutes: list[list[int]], exact: list[list[float]] | None = None) -> None:
        self.ids = list(ids)
        self.index = {loc: i for i, loc in enumerate(self.ids)}
        self.minutes = minutes
        self.exact: list[list[float]] = exact if exact is not None else [[float(t) for t in row] for row in minutes]

    def __call__(self, a: str, b: str) -> int:
        return self.minutes[self.index[a]][self.index[b]]

    def by_index(self, i: int, j: int) -> int:
        return self.minutes[i][j]

    def exact_by_index(self, i: int, j: int) -> float:
        return self.exact[i][j]


def build_matrix(travel: Travel, locations: Sequence[Location], unit: int = 1) -> TravelMatrix:
    """Compute the travel matrix for all locations of an instance, once: ``minutes`` in ticks of
    1/unit minute (rounded up), ``exact`` in minutes."""
    ids = [loc.id for loc in locations]
    n = len(locations)
    if travel.method == "haversine":
        whole = _haversine_matrix(locations, travel.speed_kmh, travel.detour_factor)
        # The contract defines haversine travel as rounded up: whole minutes are its exact value.
        return TravelMatrix(ids, (whole * unit).tolist(), whole.tolist())
    exact = [[0.0] * n for _ in range(n)]
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i == j:
                continue
            if travel.method == "euclidean":
                assert a.x is not None and a.y is not None and b.x is not None and b.y is not None
                exact[i][j] = euclidean_minutes(a.x, a.y, b.x, b.y, travel.speed)
            else:
                exact[i][j] = travel.lookup(a.id, b.id)
    minutes = [[ceil_minutes(t * unit) for t in row] for row in exact]
    return TravelMatrix(ids, minutes, exact)


def _haversine_matrix(locations: Sequence[Location], speed_kmh: float, detour_factor: float) -> np.ndarray:
    """Whole minutes between every two locations, as :func:`haversine_minutes` gives them.

    Vectorised (an organisation has ~1,400 locations: 2 million pairs); any value within float
    noise of a whole minute is recomputed by :func:`haversine_minutes`, so rounding up agrees
    with the scalar function exactly."""
    lat = np.array([loc.lat for loc in locations], dtype=float)
    lon = np.array([loc.lon for loc in locations], dtype=float)
    p = np.radians(lat)
    dp = p[None, :] - p[:, None]
    dl = np.radians(lon[None, :] - lon[:, None])
    a = np.sin(dp / 2) ** 2 + np.cos(p)[:, None] * np.cos(p)[None, :] * np.sin(dl / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    raw = km * detour_factor / speed_kmh * 60.0
    whole = np.ceil(np.round(raw, 9)).astype(np.int64)
    np.fill_diagonal(whole, 0)
    near = np.argwhere(np.abs(raw - np.rint(raw)) < 1e-6)
    for i, j in near:
        if i != j:
            a_, b_ = locations[i], locations[j]
            whole[i, j] = haversine_minutes(a_.lat, a_.lon, b_.lat, b_.lon, speed_kmh, detour_factor)
    return whole
