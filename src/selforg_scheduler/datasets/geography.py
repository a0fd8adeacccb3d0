"""Where things are: the teams' towns in Devon, workers' and clients' homes, travel between homes.

Points are (lat, lon) rounded to 5 decimals; travel minutes come from
``core.travel.haversine_minutes`` at the instance's speed and detour factor.
"""

from __future__ import annotations

import math
import random

import numpy as np

from selforg_scheduler.core.travel import EARTH_RADIUS_KM, haversine_minutes
from selforg_scheduler.datasets.team import Team

SPEED_KMH = 30.0
DETOUR_FACTOR = 1.3

EXETER = ("Exeter North", 50.7184, -3.5339)
TOWNS = (
    ("Exmouth", 50.6198, -3.4137),
    ("Newton Abbot", 50.5290, -3.6080),
    ("Tiverton", 50.9027, -3.4911),
    ("Barnstaple", 51.0800, -4.0580),
    ("Torquay", 50.4619, -3.5253),
    ("Crediton", 50.7914, -3.6554),
    ("Honiton", 50.7999, -3.1887),
    ("Okehampton", 50.7390, -4.0040),
    ("Tavistock", 50.5500, -4.1440),
    ("Plymouth", 50.3755, -4.1427),
    ("Paignton", 50.4353, -3.5650),
    ("Totnes", 50.4318, -3.6845),
    ("Bideford", 51.0166, -4.2067),
    ("Sidmouth", 50.6800, -3.2390),
    ("Teignmouth", 50.5470, -3.4960),
    ("Cullompton", 50.8560, -3.3930),
    ("Ivybridge", 50.3896, -3.9211),
    ("Kingsbridge", 50.2830, -3.7770),
    ("Dawlish", 50.5810, -3.4660),
)


def team_towns(rng: random.Random, teams: int) -> list[tuple[str, float, float]]:
    """Each team's town: Exeter North first, then other Devon towns drawn at random."""
    towns = [EXETER, *rng.sample(TOWNS, min(teams - 1, len(TOWNS)))]
    while len(towns) < teams:  # more teams than towns: reuse towns with a suffix
        base = TOWNS[len(towns) % len(TOWNS)]
        towns.append((f"{base[0]} {len(towns) // len(TOWNS) + 1}", base[1], base[2]))
    return towns


def offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """The point ``north_km``, ``east_km`` away, rounded to 5 decimals (about a metre)."""
    dlat = north_km / 111.195
    dlon = east_km / (111.195 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Approximate km between two nearby points."""
    north = (a[0] - b[0]) * 111.195
    east = (a[1] - b[1]) * 111.195 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


def disc(rng: random.Random, radius: float) -> tuple[float, float]:
    """A random (north, east) km offset, uniform in a disc."""
    r = radius * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    return r * math.cos(a), r * math.sin(a)


def client_point(team: Team) -> tuple[float, float]:
    """A client's home: in one of a few neighbourhoods, within 5 km of the centre, distinct."""
    if not team.hoods:
        for _ in range(7):
            team.hoods.append(disc(team.rng, 3.6))
    for _ in range(100):
        hx, hy = team.rng.choice(team.hoods)
        x, y = hx + team.rng.gauss(0, 0.55), hy + team.rng.gauss(0, 0.55)
        if math.hypot(x, y) <= 4.9:
            p = offset(*team.centre, x, y)
            if _distinct(team, p):
                return p
    return offset(*team.centre, *disc(team.rng, 4.9))


def _distinct(team: Team, p: tuple[float, float]) -> bool:
    """Whether p is more than 30 m (by ``km``) from every client location: the locations near it
    are found with numpy, and those within float noise of the limit are measured again by ``km``."""
    n = len(team.points)
    if not n:
        return True
    lat, lon = team.coords[0, :n], team.coords[1, :n]
    north = (p[0] - lat) * 111.195
    east = (p[1] - lon) * (111.195 * math.cos(math.radians(p[0])))
    close = np.flatnonzero(np.hypot(north, east) <= 0.03 + 1e-9)
    return all(km(p, team.points[i]) > 0.03 for i in close)


def add_point(team: Team, p: tuple[float, float]) -> int:
    """Add a client location and its travel times; return its index.

    The new row is vectorised as ``core.travel``'s matrix is (a large team has thousands of
    locations), and a value within float noise of a whole minute is recomputed by
    ``haversine_minutes``, so every time equals the scalar function's. Rows have room for more
    locations than there are (``Team.coords``'s), so dropping a location is cheap."""
    idx = len(team.points)
    room = team.coords.shape[1]
    if room <= idx:
        grown = np.zeros((2, max(64, 2 * room)))
        grown[:, :idx] = team.coords[:, :idx]
        team.coords = grown
        for r in team.tt:
            r.extend([0] * (grown.shape[1] - room))
    team.coords[:, idx] = p
    team.points.append(p)
    team.point_index.setdefault(p, idx)
    lat, lon = team.coords[0, : idx + 1], team.coords[1, : idx + 1]
    p1, p2 = math.radians(p[0]), np.radians(lat)
    a = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(np.radians(lon - p[1]) / 2) ** 2
    raw = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))) * DETOUR_FACTOR / SPEED_KMH * 60.0
    minutes = np.zeros(team.coords.shape[1], dtype=np.int64)
    minutes[: idx + 1] = np.ceil(np.round(raw, 9))
    for i in np.flatnonzero(np.abs(raw - np.rint(raw)) < 1e-6):
        q = team.points[i]
        minutes[i] = haversine_minutes(p[0], p[1], q[0], q[1], SPEED_KMH, DETOUR_FACTOR)
    minutes[idx] = 0
    row = minutes.tolist()
    for r, t in zip(team.tt, row, strict=False):
        r[idx] = t
    team.tt.append(row)
    return idx


def drop_points(team: Team, n: int) -> None:
    """Forget the client locations from index n on (a dropped client's), and their travel times
    (the rows' entries for them are left, to be written over)."""
    for p in team.points[n:]:
        if team.point_index.get(p, -1) >= n:
            del team.point_index[p]
    del team.points[n:]
    del team.tt[n:]
