"""The Mankowska, Meisel & Bierwirth (2014) home health care benchmark: read, convert, score.

A benchmark file (format in ``benchmarks/data/mankowska2014/README.md``) becomes a contract instance:

* one client per patient (node i, location ``L{i}``), one visit ``n{i}s{s}`` per service s it needs,
  needing skill ``s{s}``, window ``[e_i, l_i]`` in minutes from midnight, duration ``p[i][s]``;
* one worker ``c{v}`` per carer, skills from ``a``, home at the depot ``L0``, available all day;
* travel is the distance matrix outright (``matrix``, fractional minutes) with home legs counted;
* a two-service patient's services are a dependency: ``0/0`` = together (two carers, at once),
  otherwise the higher service starts ``mind..maxd`` after the lower one.

With ``constraints/mankowska.yaml`` (travel and lateness weighted 10000 per minute, the largest
lateness too), a rota's objective is ``10000 x (travel + total tardiness + largest tardiness)``,
so the benchmark's objective is ``objective / 30000``: see :data:`OBJECTIVE_SCALE`. Travel is priced
on the exact distances (to 1/10000 of a unit per leg); starts are whole minutes, as the solver
works in minutes, and time uses distances rounded up.

:func:`benchmark_objective` scores any rota by the benchmark's own formula on the file's float data,
independently of the rule modules: the tests and ``benchmarks/mankowska.py`` compare the two.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution

ORIGIN = date(2026, 1, 5)
"""The (arbitrary) day the benchmark's time 0 is placed at, as midnight."""
WEIGHT = 10_000
"""Weight per minute of travel, of tardiness and of the largest tardiness in mankowska.yaml."""
OBJECTIVE_SCALE = 3 * WEIGHT
"""Benchmark objective = solution objective / OBJECTIVE_SCALE (the formula's thirds, the weight)."""

KEYWORDS = ("nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l")


@dataclass(frozen=True)
class MankowskaData:
    """One benchmark file, as numbers. Nodes 0 and n-1 are the depot; 1..n-2 are patients."""

    name: str
    nodes: int
    carers: int
    services: int
    needs: list[list[int]]  # r[i][s]
    double: list[int]  # DS: patients (0-based node index; the file's ids are 1-based) needing two services
    qualified: list[list[int]]  # a[v][s]
    x: list[float]
    y: list[float]
    distance: list[list[float]]  # d[i][j], also travel time
    duration: list[list[list[float]]]  # p[i][v][s]
    min_lag: list[float]
    max_lag: list[float]
    earliest: list[float]
    latest: list[float]

    @property
    def patients(self) -> range:
        return range(1, self.nodes - 1)

    def services_of(self, i: int) -> list[int]:
        return [s for s in range(self.services) if self.needs[i][s]]


@dataclass
class _Section:
    keyword: str
    line: int
    rows: list[tuple[int, list[str]]]  # (line number, tokens)

    def values(self) -> list[tuple[int, str]]:
        return [(n, tok) for n, toks in self.rows for tok in toks]


def read_mankowska(path: str | Path) -> MankowskaData:
    """Parse a benchmark file; a missing keyword, a wrong row count or a bad number is an
    :class:`InputError` naming the file, the keyword and the line."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        tokens = raw.split()
        if not tokens:
            continue
        if re.fullmatch(r"[A-Za-z]\w*", tokens[0]):
            if tokens[0] not in KEYWORDS:
                raise InputError(f"unknown keyword {tokens[0]!r} (line {lineno})", file=file, obj=tokens[0])
            if tokens[0] in sections:
                raise InputError(
                    f"keyword given twice (lines {sections[tokens[0]].line} and {lineno})", file=file, obj=tokens[0]
                )
            current = sections[tokens[0]] = _Section(tokens[0], lineno, [])
            if len(tokens) > 1:
                current.rows.append((lineno, tokens[1:]))
        elif current is None:
            raise InputError(f"numbers before the first keyword (line {lineno})", file=file)
        else:
            current.rows.append((lineno, tokens))
    for key in KEYWORDS:
        if key not in sections:
            raise InputError(f"missing keyword {key!r}", file=file, obj=key)

    def number(sec: _Section, line: int, token: str) -> float:
        try:
            value = float(token)
        except ValueError:
            raise InputError(f"not a number: {token!r} (line {line})", file=file, obj=sec.keyword) from None
        if not math.isfinite(value):
            raise InputError(f"not a finite number: {token!r} (line {line})", file=file, obj=sec.keyword)
        return value

    def scalar(key: str) -> int:
        sec = sections[key]
        vals = sec.values()
        if len(vals) != 1:
            raise InputError(f"expected one number after line {sec.line}, found {len(vals)}", file=file, obj=key)
        value = number(sec, *vals[0])
        if value != int(value) or value < 1:
            raise InputError(f"expected a positive whole number (line {vals[0][0]})", file=file, obj=key)
        return int(value)

    def flat(key: str, count: int) -> list[float]:
        sec = sections[key]
        vals = sec.values()
        if len(vals) != count:
            last = sec.rows[-1][0] if sec.rows else sec.line
            raise InputError(
                f"expected {count} numbers after line {sec.line}, found {len(vals)} (up to line {last})",
                file=file,
                obj=key,
            )
        return [number(sec, n, t) for n, t in vals]

    def table(key: str, rows: int, cols: int) -> list[list[float]]:
        sec = sections[key]
        if len(sec.rows) != rows:
            raise InputError(f"expected {rows} rows after line {sec.line}, found {len(sec.rows)}", file=file, obj=key)
        out = []
        for n, toks in sec.rows:
            if len(toks) != cols:
                raise InputError(f"expected {cols} numbers on line {n}, found {len(toks)}", file=file, obj=key)
            out.append([number(sec, n, t) for t in toks])
        return out

    def zero_one(key: str, rows: list[list[float]]) -> list[list[int]]:
        sec = sections[key]
        for (n, _), row in zip(sec.rows, rows, strict=True):
            if any(v not in (0.0, 1.0) for v in row):
                raise InputError(f"expected 0 or 1 on line {n}", file=file, obj=key)
        return [[int(v) for v in row] for row in rows]

    n, v, s = scalar("nbNodes"), scalar("nbVehi"), scalar("nbServi")
    if n < 3:
        raise InputError(f"need at least 3 nodes (two depots and a patient), not {n}", file=file, obj="nbNodes")
    needs = zero_one("r", table("r", n, s))
    qualified = zero_one("a", table("a", v, s))
    ds_sec = sections["DS"]
    double = []
    for line, token in ds_sec.values():
        value = number(ds_sec, line, token)  # 1-based node ids
        if value != int(value) or not 2 <= value <= n - 1:
            raise InputError(
                f"{token} is not a patient node id (2..{n - 1}, 1-based) (line {line})", file=file, obj="DS"
            )
        double.append(int(value) - 1)
    p_rows = table("p", n * v, s)
    duration = [[p_rows[i * v + k] for k in range(v)] for i in range(n)]
    data = MankowskaData(
        name=Path(path).stem,
        nodes=n,
        carers=v,
        services=s,
        needs=needs,
        double=double,
        qualified=qualified,
        x=flat("x", n),
        y=flat("y", n),
        distance=table("d", n, n),
        duration=duration,
        min_lag=flat("mind", n),
        max_lag=flat("maxd", n),
        earliest=flat("e", n),
        latest=flat("l", n),
    )
    _check(data, file, sections)
    return data


def _check(data: MankowskaData, file: str, sections: dict[str, _Section]) -> None:
    """Cross-checks the converter relies on; each names the keyword and the line."""
    r_lines = [n for n, _ in sections["r"].rows]
    for i in data.patients:
        k = len(data.services_of(i))
        if k not in (1, 2):
            raise InputError(f"patient {i} needs {k} services, not 1 or 2 (line {r_lines[i]})", file=file, obj="r")
        if (k == 2) != (i in data.double):
            raise InputError(
                f"patient {i} needs {k} services but is {'not ' if k == 2 else ''}listed in DS "
                f"(line {sections['DS'].line})",
                file=file,
                obj="DS",
            )
        for sv in data.services_of(i):
            durations = {data.duration[i][c][sv] for c in range(data.carers)}
            if len(durations) != 1:
                raise InputError(
                    f"patient {i} service {sv}: durations differ between carers, which the contract cannot "
                    f"express (line {sections['p'].rows[i * data.carers][0]})",
                    file=file,
                    obj="p",
                )
            if not any(data.qualified[c][sv] for c in range(data.carers)):
                raise InputError(f"no carer is qualified for service {sv} of patient {i}", file=file, obj="a")
        if data.latest[i] < data.earliest[i]:
            raise InputError(f"window of node {i} ends before it starts", file=file, obj="l")
        if data.min_lag[i] > data.max_lag[i]:
            raise InputError(f"node {i}: mind above maxd", file=file, obj="maxd")


def visit_id(i: int, s: int) -> str:
    return f"n{i}s{s}"


def worker_id(v: int) -> str:
    return f"c{v}"


def _iso(minutes: float) -> str:
    when = datetime.combine(ORIGIN, datetime.min.time()) + timedelta(minutes=minutes)
    return when.isoformat(timespec="seconds")


def to_instance(data: MankowskaData) -> dict[str, Any]:
    """The contract instance (a JSON-ready dict) of a benchmark file."""
    depot = "L0"
    locations = [{"id": f"L{i}", "x": data.x[i], "y": data.y[i]} for i in range(data.nodes - 1)]
    matrix = {
        f"L{i}": {f"L{j}": data.distance[i][j] for j in range(data.nodes - 1) if j != i} for i in range(data.nodes - 1)
    }
    day_end = _iso(24 * 60)
    workers = [
        {
            "id": worker_id(v),
            "name": f"carer {v}",
            "home": depot,
            "skills": [f"s{s}" for s in range(data.services) if data.qualified[v][s]],
            "availability": [{"start": _iso(0), "end": day_end}],
        }
        for v in range(data.carers)
    ]
    clients, visits, dependencies = [], [], []
    for i in data.patients:
        clients.append({"id": f"n{i}", "name": f"patient {i}", "location": f"L{i}"})
        services = data.services_of(i)
        for s in services:
            visits.append(
                {
                    "id": visit_id(i, s),
                    "client": f"n{i}",
                    "earliest_start": _iso(data.earliest[i]),
                    "latest_start": _iso(data.latest[i]),
                    "duration_min": data.duration[i][0][s],
                    "workers_required": 1,
                    "skills": [f"s{s}"],
                }
            )
        if len(services) == 2:
            first, second = services
            dependencies.append(
                {
                    "first": visit_id(i, first),
                    "second": visit_id(i, second),
                    "min_gap_min": data.min_lag[i],
                    "max_gap_min": data.max_lag[i],
                }
            )
    return {
        "schema_version": 1,
        "team": {"id": f"mankowska-{data.name}", "name": f"Mankowska et al. (2014) {data.name}", "timezone": "UTC"},
        "horizon": {"start": ORIGIN.isoformat(), "days": 1},
        "travel": {"method": "matrix", "minutes": matrix, "count_home_legs": True},
        "locations": locations,
        "workers": workers,
        "clients": clients,
        "visits": visits,
        "dependencies": dependencies,
    }


@dataclass(frozen=True)
class BenchmarkScore:
    """A rota scored by the benchmark's formula: (travel + total + largest tardiness) / 3."""

    travel: float
    total_tardiness: float
    largest_tardiness: float
    uncovered: int

    @property
    def objective(self) -> float:
        return (self.travel + self.total_tardiness + self.largest_tardiness) / 3


def benchmark_objective(data: MankowskaData, instance: Instance, solution: Solution) -> BenchmarkScore:
    """Score a rota with the file's own float data, independently of the rule modules.

    Each carer's route is their visits in start order, from and back to the depot.
    """
    origin = datetime.combine(ORIGIN, datetime.min.time())
    node_of = {visit_id(i, s): i for i in data.patients for s in data.services_of(i)}
    latest = {vid: data.latest[i] for vid, i in node_of.items()}
    routes: dict[str, list[tuple[float, int]]] = {}
    total = largest = 0.0
    for a in solution.visits:
        start = (a.start - origin).total_seconds() / 60
        late = max(0.0, start - latest[a.visit])
        total += late
        largest = max(largest, late)
        for w in a.workers:
            routes.setdefault(w, []).append((start, node_of[a.visit]))
    travel = 0.0
    for stops in routes.values():
        path = [0, *(i for _, i in sorted(stops)), 0]
        travel += sum(data.distance[a][b] for a, b in zip(path, path[1:], strict=False))
    covered = {a.visit for a in solution.visits}
    return BenchmarkScore(travel, total, largest, sum(1 for v in instance.visits if v.id not in covered))


def benchmark_violations(data: MankowskaData, solution: Solution, tolerance: float = 1e-6) -> list[str]:
    """Check a rota against the benchmark's own rules on the file's float data, apart from the
    project's validator: every service once, by one qualified carer, not before its window opens;
    a carer's services in start order leave the service time and the exact distance between
    them (from and back to the depot); synchronised services start together; a precedence keeps
    its lag. Returns the problems found (empty when the rota is feasible for the benchmark)."""
    origin = datetime.combine(ORIGIN, datetime.min.time())
    problems: list[str] = []
    wanted = {visit_id(i, s): (i, s) for i in data.patients for s in data.services_of(i)}
    start: dict[str, float] = {}
    routes: dict[int, list[tuple[float, str]]] = {}
    for a in solution.visits:
        if a.visit not in wanted or a.visit in start:
            problems.append(f"{a.visit}: not a service of the file, or listed twice")
            continue
        i, s = wanted[a.visit]
        t = (a.start - origin).total_seconds() / 60
        start[a.visit] = t
        if len(a.workers) != 1:
            problems.append(f"{a.visit}: done by {len(a.workers)} carers, not 1")
        for w in a.workers:
            v = int(w.removeprefix("c"))
            if not data.qualified[v][s]:
                problems.append(f"{a.visit}: carer {w} is not qualified for service {s}")
            routes.setdefault(v, []).append((t, a.visit))
        if t < data.earliest[i] - tolerance:
            problems.append(f"{a.visit}: starts {t:.4f} before its window opens at {data.earliest[i]:g}")
    problems += [f"{vid}: not done" for vid in wanted if vid not in start]
    for v, stops in routes.items():
        at, where = 0.0, 0  # leaves the depot at time 0
        for t, vid in sorted(stops):
            i, s = wanted[vid]
            if t < at + data.distance[where][i] - tolerance:
                problems.append(
                    f"carer c{v}: {vid} starts {t:.4f}, cannot be reached before {at + data.distance[where][i]:.4f}"
                )
            at, where = t + data.duration[i][v][s], i
    for i in data.patients:
        services = data.services_of(i)
        if len(services) != 2 or any(visit_id(i, s) not in start for s in services):
            continue
        first, second = (start[visit_id(i, s)] for s in services)
        lag = second - first
        if not data.min_lag[i] - tolerance <= lag <= data.max_lag[i] + tolerance:
            problems.append(
                f"patient {i}: services {lag:.4f} apart, the file asks {data.min_lag[i]:g}..{data.max_lag[i]:g}"
            )
    return problems
