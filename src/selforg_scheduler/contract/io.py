"""Reading and writing instances and solutions, with errors that name file, object and field.

Input is read strictly: a value of the wrong JSON type is an error (``"30"`` is not a number,
``true`` is not 1), NaN and Infinity are refused, and so is JSON nested deeper than any contract
object ever is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from selforg_scheduler.contract.errors import InputError, check_json, validation_error
from selforg_scheduler.contract.instance import WEEK_MINUTES, WEEKDAYS, Client, Instance, MatrixTravel
from selforg_scheduler.contract.solution import Solution, local_time

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


LEGAL_WEEK_MINUTES = 2880
"""48 hours: the Working Time Regulations 1998 weekly limit; no contract may exceed it."""


def read_text(path: str | Path, hint: str = "") -> str:
    """A UTF-8 text file's contents; every failure an :class:`InputError` naming the file
    (``hint`` is added to the message for text that is not UTF-8)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=str(path)) from None
    except PermissionError:
        raise InputError("cannot read: permission denied", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}){hint}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning every failure into an :class:`InputError` naming the file.

    NaN, Infinity and JSON nested deeper than :data:`MAX_JSON_DEPTH` are refused here, naming
    the object and field (:func:`check_json`)."""
    text = read_text(path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=str(path)) from None
    except RecursionError:
        raise InputError("not valid JSON: nested too deeply", file=str(path)) from None
    except ValueError as exc:  # an integer of more digits than Python converts
        why = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise InputError(f"not valid JSON: {why}", file=str(path)) from None
    check_json(raw, str(path))
    return raw


def parse_model(model: type[M], raw: Any, file: str | None) -> M:
    """Validate parsed JSON against a contract model in pydantic's strict JSON mode: a value of
    the wrong JSON type is an error (``"30"`` for a number, ``true`` for an integer, ``"yes"`` for
    a boolean), while dates and times are read from their strings and integers serve as floats."""
    check_json(raw, file)
    text = json.dumps(raw, default=_jsonable, allow_nan=False, ensure_ascii=False)
    try:
        return model.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise validation_error(exc, raw, file) from None


def _jsonable(value: Any) -> Any:
    """JSON for what Python callers may put in a raw instance: dates and times, numpy scalars."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def instance_from_dict(raw: Any, file: str | None = None) -> Instance:
    """Validate a parsed JSON document as an instance, including cross-references."""
    instance = parse_model(Instance, raw, file)
    problems = list(reference_problems(instance))
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        raise InputError(
            first.message + (more if len(problems) > 1 else ""),
            file=file,
            obj=first.obj,
            field=first.field,
        )
    for warning in reference_warnings(instance):
        log.warning("%s: %s", file or "instance", warning)
    return instance


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance JSON file."""
    return instance_from_dict(read_json(path), file=str(path))


def load_solution(path: str | Path) -> Solution:
    """Load a solution JSON file (the rota may come from the solver or be made by hand)."""
    return parse_model(Solution, read_json(path), str(path))


def write_solution(solution: Solution, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(solution_json(solution), encoding="utf-8")
    return p


def solution_json(solution: Solution) -> str:
    data = solution.model_dump(mode="json", exclude_none=True)
    for visit in data["visits"]:
        if not visit.get("pinned"):
            visit.pop("pinned", None)
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


OMITTED_WHEN_UNSET = (("workers", "team"), ("clients", "team"), ("roles", "team"), ("visits", "package"))
"""Fields added after solutions were first hashed: left out of the hash while unset (None), so
an instance that does not use them keeps the hash it always had."""
OMITTED_WHEN_EMPTY = ("care_packages", "cancellations", "history")
"""Sections added after solutions were first hashed: left out of the hash while absent or empty
(no packages, no cancellations, no history or a history of no weeks), for the same reason."""


def instance_sha256(instance: Instance) -> str:
    """sha256 of the instance's canonical JSON: all fields, defaults filled in, keys sorted
    (fields of OMITTED_WHEN_UNSET left out while None, sections of OMITTED_WHEN_EMPTY while empty)."""
    data = instance.model_dump(mode="json")
    for collection, key in OMITTED_WHEN_UNSET:
        for item in data[collection]:
            if item.get(key) is None:
                item.pop(key, None)
    for section in OMITTED_WHEN_EMPTY:
        value = data.get(section)
        if not value or (isinstance(value, dict) and not any(value.values())):
            data.pop(section, None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- cross-reference checks -------------------------------------------------------------------


def _duplicates(kind: str, ids: Iterable[str]) -> Iterator[InputError]:
    for dup, count in Counter(ids).items():
        if count > 1:
            yield InputError(f"duplicate id ({count} objects share it)", obj=f"{kind}[{dup}]", field="id")


def reference_problems(inst: Instance) -> Iterator[InputError]:
    """Every cross-reference problem of an instance, in document order of the objects."""
    locations = {loc.id: loc for loc in inst.locations}
    workers = {w.id for w in inst.workers}
    clients = {c.id for c in inst.clients}
    visits = {v.id for v in inst.visits}
    roles = {r.id for r in inst.roles}
    yield from _duplicates("locations", (x.id for x in inst.locations))
    yield from _duplicates("workers", (x.id for x in inst.workers))
    yield from _duplicates("clients", (x.id for x in inst.clients))
    yield from _duplicates("visits", (x.id for x in inst.visits))
    yield from _duplicates("roles", (x.id for x in inst.roles))
    yield from _duplicates("care_packages", (x.id for x in inst.care_packages))

    h0 = datetime.combine(inst.horizon.start, datetime.min.time())
    h1 = h0 + timedelta(days=inst.horizon.days)
    late_end = h1 + timedelta(days=1)

    def outside(when: datetime, lo: datetime, hi: datetime) -> bool:
        return not (lo <= when <= hi)

    horizon_text = f"outside the horizon {h0:%Y-%m-%d}..{(h1 - timedelta(days=1)):%Y-%m-%d}"
    zone = ZoneInfo(inst.team.timezone)

    def skipped(when: datetime, obj: str, field: str) -> Iterator[InputError]:
        if not exists_locally(when, zone):
            yield InputError(
                f"{local_time(when)} does not exist in {inst.team.timezone} (clocks go forward)", obj=obj, field=field
            )

    for w in inst.workers:
        obj = f"workers[{w.id}]"
        if w.home is not None and w.home not in locations:
            yield InputError(f"unknown location {w.home!r}", obj=obj, field="home")
        for kind, periods in (("availability", w.availability), ("commitments", w.commitments)):
            for i, p in enumerate(periods):
                yield from skipped(p.start, obj, f"{kind}[{i}].start")
                yield from skipped(p.end, obj, f"{kind}[{i}].end")
                if outside(p.start, h0, h1) or outside(p.end, h0, late_end):
                    yield InputError(
                        f"{p.start.isoformat()}..{p.end.isoformat()} is {horizon_text}",
                        obj=obj,
                        field=f"{kind}[{i}]",
                    )
        for field in ("buddy_preferences", "buddy_avoid"):
            for wid in getattr(w, field):
                if wid not in workers:
                    yield InputError(f"unknown worker {wid!r}", obj=obj, field=field)
                elif wid == w.id:
                    what = "avoid" if field == "buddy_avoid" else "prefer"
                    yield InputError(f"a worker cannot {what} themself as a buddy", obj=obj, field=field)
        both = set(w.buddy_preferences) & set(w.buddy_avoid)
        if both:
            yield InputError(f"worker {sorted(both)[0]!r} is both preferred and avoided", obj=obj, field="buddy_avoid")
        if w.contract_minutes > LEGAL_WEEK_MINUTES:
            yield InputError(
                f"{w.contract_minutes:g} is above the legal weekly limit of {LEGAL_WEEK_MINUTES} (48 h)",
                obj=obj,
                field="contract_minutes",
            )
    for c in inst.clients:
        obj = f"clients[{c.id}]"
        if c.location not in locations:
            yield InputError(f"unknown location {c.location!r}", obj=obj, field="location")
        for field in ("link_workers", "excluded_workers"):
            for wid in getattr(c, field):
                if wid not in workers:
                    yield InputError(f"unknown worker {wid!r}", obj=obj, field=field)
        both = set(c.link_workers) & set(c.excluded_workers)
        if both:
            yield InputError(
                f"worker {sorted(both)[0]!r} is both a link worker and excluded",
                obj=obj,
                field="excluded_workers",
            )
    for v in inst.visits:
        obj = f"visits[{v.id}]"
        if v.client not in clients:
            yield InputError(f"unknown client {v.client!r}", obj=obj, field="client")
        yield from skipped(v.earliest_start, obj, "earliest_start")
        yield from skipped(v.latest_start, obj, "latest_start")
        if outside(v.earliest_start, h0, h1 - timedelta(minutes=1)):
            yield InputError(f"{v.earliest_start.isoformat()} is {horizon_text}", obj=obj, field="earliest_start")
        elif outside(v.latest_start, h0, late_end):
            yield InputError(f"{v.latest_start.isoformat()} is {horizon_text}", obj=obj, field="latest_start")
    for i, d in enumerate(inst.dependencies):
        obj = f"dependencies[{i}]"
        for field in ("first", "second"):
            vid = getattr(d, field)
            if vid not in visits:
                yield InputError(f"unknown visit {vid!r}", obj=obj, field=field)
        if d.first == d.second:
            yield InputError("a visit cannot depend on itself", obj=obj, field="second")
    seen: dict[str, int] = {}
    for i, group in enumerate(inst.buddies):
        obj = f"buddies[{i}]"
        if not 2 <= len(group) <= 3:
            yield InputError(f"a buddy group has 2 or 3 workers, not {len(group)}", obj=obj, field=None)
        if len(set(group)) != len(group):
            yield InputError("a worker is named twice in one group", obj=obj, field=None)
        for wid in group:
            if wid not in workers:
                yield InputError(f"unknown worker {wid!r}", obj=obj, field=None)
            elif wid in seen and seen[wid] != i:
                yield InputError(f"worker {wid!r} is already in buddies[{seen[wid]}]", obj=obj, field=None)
            seen.setdefault(wid, i)
    for i, entry in enumerate(inst.role_history):
        obj = f"role_history[{i}]"
        if entry.role not in roles:
            yield InputError(f"unknown role {entry.role!r}", obj=obj, field="role")
        if entry.worker not in workers:
            yield InputError(f"unknown worker {entry.worker!r}", obj=obj, field="worker")
    for i, past in enumerate(inst.buddy_history):
        obj = f"buddy_history[{i}]"
        for wid in past.members:
            if wid not in workers:
                yield InputError(f"unknown worker {wid!r}", obj=obj, field="members")
        if len(set(past.members)) != len(past.members):
            yield InputError("a worker is named twice in one group", obj=obj, field="members")
    yield from _package_problems(inst, clients)
    if inst.history is not None:
        yield from inst.history.problems(inst.horizon.start)
    yield from _travel_problems(inst)
    yield from _team_problems(inst)


def _package_problems(inst: Instance, clients: set[str]) -> Iterator[InputError]:
    """Care packages of known clients; links to another package of the same client sharing a
    weekday; visits of a package of their client; cancellations of a day the package visits, once."""
    packages = {p.id: p for p in inst.care_packages}

    def package_of(pid: str, client: str | None, obj: str, field: str) -> Iterator[InputError]:
        other = packages.get(pid)
        if other is None:
            yield InputError(f"unknown care package {pid!r}", obj=obj, field=field)
        elif client is not None and other.client != client:
            yield InputError(
                f"care package {pid!r} is for client {other.client!r}, not {client!r}", obj=obj, field=field
            )

    for p in inst.care_packages:
        obj = f"care_packages[{p.id}]"
        if p.client not in clients:
            yield InputError(f"unknown client {p.client!r}", obj=obj, field="client")
        for i, link in enumerate(p.linked):
            field = f"linked[{i}].package"
            wrong = list(package_of(link.package, p.client, obj, field))
            if link.package == p.id:
                yield InputError("a package cannot be linked to itself", obj=obj, field=field)
            elif wrong or not set(p.weekdays) & set(packages[link.package].weekdays):
                why = f"care package {link.package!r} shares no weekday with this one (links join visits of one day)"
                yield from wrong or [InputError(why, obj=obj, field=field)]
    for v in inst.visits:
        if v.package is not None:
            yield from package_of(v.package, v.client, f"visits[{v.id}]", "package")
    first: dict[tuple[str, date], int] = {}
    for i, c in enumerate(inst.cancellations):
        obj, day = f"cancellations[{i}]", c.date
        if c.package not in packages:
            yield from package_of(c.package, None, obj, "package")
        elif not packages[c.package].visits_on(day):
            why = f"care package {c.package!r} has no visit on {day.isoformat()} ({WEEKDAYS[day.weekday()]})"
            yield InputError(why, obj=obj, field="date")
        elif (c.package, day) in first:
            yield InputError(f"already cancelled by cancellations[{first[(c.package, day)]}]", obj=obj, field="date")
        first.setdefault((c.package, day), i)


def exists_locally(when: datetime, zone: ZoneInfo) -> bool:
    """Whether a naive local time is one the clocks show (not skipped when they go forward). A
    time the clocks show twice (when they go back) exists: its first occurrence applies."""
    return when.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == when


def client_team(client: Client, worker_team: dict[str, str | None]) -> str | None:
    """The client's own ``team``, else its first link worker's (organisations of teams)."""
    if client.team is not None:
        return client.team
    return next((t for t in (worker_team.get(w) for w in client.link_workers) if t is not None), None)


def _team_problems(inst: Instance) -> Iterator[InputError]:
    """Teams within an organisation: once any worker names a team, every worker does, and each
    client and role names a team that has workers (a client may instead rely on its link workers)."""
    teams = {w.team for w in inst.workers if w.team is not None}
    if not teams:
        for kind, items in (("clients", inst.clients), ("roles", inst.roles)):
            for item in items:
                if item.team is not None:
                    yield InputError(
                        f"team {item.team!r} has no workers (no worker names a team)",
                        obj=f"{kind}[{item.id}]",
                        field="team",
                    )
        return
    for w in inst.workers:
        if w.team is None:
            yield InputError("other workers name their team; this one does not", obj=f"workers[{w.id}]", field="team")
    worker_team = {w.id: w.team for w in inst.workers}
    for c in inst.clients:
        if c.team is None:
            if client_team(c, worker_team) is None:
                yield InputError(
                    "workers belong to teams: give the client's team or a link worker",
                    obj=f"clients[{c.id}]",
                    field="team",
                )
        elif c.team not in teams:
            yield InputError(f"team {c.team!r} has no workers", obj=f"clients[{c.id}]", field="team")
    for r in inst.roles:
        if r.team is not None and r.team not in teams:
            yield InputError(f"team {r.team!r} has no workers", obj=f"roles[{r.id}]", field="team")


def _travel_problems(inst: Instance) -> Iterator[InputError]:
    travel = inst.travel
    if travel.method == "haversine":
        for loc in inst.locations:
            if loc.lat is None or loc.lon is None:
                missing = "lat" if loc.lat is None else "lon"
                yield InputError("needed by haversine travel", obj=f"locations[{loc.id}]", field=missing)
    elif travel.method == "euclidean":
        for loc in inst.locations:
            if loc.x is None or loc.y is None:
                missing = "x" if loc.x is None else "y"
                yield InputError("needed by euclidean travel", obj=f"locations[{loc.id}]", field=missing)
    else:
        yield from _matrix_problems(inst, travel)
        return
    yield from _far_apart(inst)


def _far_apart(inst: Instance) -> Iterator[InputError]:
    """Two locations more than a week's travel apart (a wrong coordinate, or a speed far too low):
    the solver's numbers would overflow. Checked pair by pair only when the locations' bounding
    box is that wide; the first pair found is named."""
    travel = inst.travel
    if travel.method == "euclidean":
        points = [(loc.id, loc.x, loc.y) for loc in inst.locations if loc.x is not None and loc.y is not None]
        speed, field, what = travel.speed, "x", f"speed {travel.speed:g} units a minute"

        def minutes(a: tuple[str, float, float], b: tuple[str, float, float]) -> float:
            return math.hypot(b[1] - a[1], b[2] - a[2]) / speed

    elif travel.method == "haversine":
        points = [(loc.id, loc.lat, loc.lon) for loc in inst.locations if loc.lat is not None and loc.lon is not None]
        per_km = travel.detour_factor / travel.speed_kmh * 60.0
        field, what = "lat", f"{travel.speed_kmh:g} km/h, detour factor {travel.detour_factor:g}"

        def minutes(a: tuple[str, float, float], b: tuple[str, float, float]) -> float:
            return _great_circle_km(a[1], a[2], b[1], b[2]) * per_km

    else:
        return
    if len(points) < 2:
        return
    lo = (min(p[1] for p in points), min(p[2] for p in points))
    hi = (max(p[1] for p in points), max(p[2] for p in points))
    if travel.method == "euclidean":
        widest = math.hypot(hi[0] - lo[0], hi[1] - lo[1]) / speed
    else:  # along a meridian, then a parallel: never shorter than the great circle
        widest = EARTH_RADIUS_KM * (math.radians(hi[0] - lo[0]) + math.radians(min(180.0, hi[1] - lo[1]))) * per_km
    if widest <= WEEK_MINUTES:
        return
    for i, a in enumerate(points):
        for b in points[i + 1 :]:
            far = minutes(a, b)
            if not far <= WEEK_MINUTES:
                shown = f"{far:,.0f}" if far < 1e9 else f"{far:.3g}"
                yield InputError(
                    f"more than a week's travel from {a[0]!r} ({shown} minutes at {what}); "
                    "check the coordinates and the travel speed",
                    obj=f"locations[{b[0]}]",
                    field=field,
                )
                return


EARTH_RADIUS_KM = 6371.0088
"""The contract's earth radius for haversine travel."""


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The contract's haversine distance (``core.travel`` computes the matrix the same way)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _matrix_problems(inst: Instance, travel: MatrixTravel) -> Iterator[InputError]:
    used = [c.location for c in inst.clients]
    if travel.count_home_legs:
        used += [w.home for w in inst.workers if w.home is not None]
    used = list(dict.fromkeys(used))
    for a in used:
        for b in used:
            try:
                travel.lookup(a, b)
            except KeyError:
                yield InputError(f"no travel time from {a!r} to {b!r}", obj="travel", field="minutes")
                return


def reference_warnings(inst: Instance) -> Iterator[str]:
    """Suspicious but legal content: reported, not refused."""
    two = {c.id for c in inst.clients if c.two_workers}
    for v in inst.visits:
        if v.client in two and v.workers_required < 2:
            yield f"visits[{v.id}].workers_required: {v.client} is flagged two_workers; planned for 2"
    skills = {s for w in inst.workers for s in w.skills}
    for v in inst.visits:
        for s in v.skills:
            if s not in skills:
                yield f"visits[{v.id}].skills: no worker has skill {s!r}; the visit cannot be covered"
