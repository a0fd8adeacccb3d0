"""Where things are: the teams' towns in Devon, workers' and clients' homes, travel between homes.

Points are (lat, lon) rounded to 5 decimals; travel minutes come from
``core.travel.haversine_minutes`` at the instance's speed and detour factor.
"""

from __future__ import annotations

import math
import random

from selforg_scheduler.core.travel import haversine_minutes
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
            if all(km(p, q) > 0.03 for q in team.points):
                return p
    return offset(*team.centre, *disc(team.rng, 4.9))


def add_point(team: Team, p: tuple[float, float]) -> int:
    """Add a client location and its travel times; return its index."""
    idx = len(team.points)
    team.points.append(p)
    row = [haversine_minutes(p[0], p[1], q[0], q[1], SPEED_KMH, DETOUR_FACTOR) if q != p else 0 for q in team.points]
    for i, r in enumerate(team.tt):
        r.append(row[i])
    team.tt.append(row)
    return idx
