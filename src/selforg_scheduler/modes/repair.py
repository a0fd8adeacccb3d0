"""Sick cover: re-plan a rota when someone cannot work, changing as little as possible.

:func:`repair` takes the instance, the rota being repaired and the absences. The absent workers'
availability is cut from the start of their absence (or from ``now``, whichever is later: what
has happened has happened) to its end; visits that start before ``now`` and visits marked
``"pinned": true`` keep their workers and start; every other visit may move, but each change
costs (rule ``stability``), and the search starts from the old rota. The result is the new rota
(contract format, for the original instance) and a diff of the visits that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance, Period
from selforg_scheduler.contract.io import instance_sha256
from selforg_scheduler.contract.solution import AssignedVisit, Solution
from selforg_scheduler.core import interrupt
from selforg_scheduler.core.problem import Interval, Problem, Reference, compile_problem
from selforg_scheduler.pipeline.reasons import builder_from_rota
from selforg_scheduler.pipeline.solve import SolveParams, SolveResult, solve_detailed
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.frame import eligibility
from selforg_scheduler.rules.validator import ValidationReport, evaluate, validate

__all__ = [
    "Absence",
    "Candidate",
    "RepairResult",
    "absent_instance",
    "candidates_for",
    "diff_rotas",
    "forced_visits",
    "repair",
    "tell_workers",
]


@dataclass(frozen=True)
class Absence:
    """``worker`` cannot work from ``start`` to ``end`` (None: to the end of the horizon)."""

    worker: str
    start: datetime
    end: datetime | None = None


def _check(instance: Instance, solution: Solution, rules: RuleSet, absences: list[Absence]) -> None:
    workers = {w.id for w in instance.workers}
    h0 = datetime.combine(instance.horizon.start, datetime.min.time())
    h1 = h0 + timedelta(days=instance.horizon.days)
    for a in absences:
        if a.worker not in workers:
            raise InputError(f"unknown worker {a.worker!r}", field="--absent")
        if a.end is not None and a.end <= a.start:
            raise InputError(
                f"--from {a.start:%Y-%m-%dT%H:%M} is not before --to {a.end:%Y-%m-%dT%H:%M}", field="--from"
            )
        if a.start >= h1 or (a.end is not None and a.end <= h0):
            raise InputError(
                f"the absence is outside the week {h0:%Y-%m-%d}..{h1 - timedelta(days=1):%Y-%m-%d}", field="--from"
            )
    if solution.instance.sha256 and solution.instance.sha256 != instance_sha256(instance):
        raise InputError("the solution does not belong to this instance (sha256 differs)", field="instance.sha256")
    report = validate(instance, solution, rules)
    hard = [v for v in report.violations if v.severity == "hard"]
    if hard:
        more = f" (and {len(hard) - 1} more)" if len(hard) > 1 else ""
        raise InputError(f"the rota to repair breaks a hard rule: {hard[0]}{more}", field=None)


def absent_instance(instance: Instance, absences: list[Absence], now: datetime | None = None) -> Instance:
    """The instance with each absent worker's availability cut over their absence (from ``now``
    at the earliest)."""
    h1 = datetime.combine(instance.horizon.start, datetime.min.time()) + timedelta(days=instance.horizon.days + 1)
    cuts: dict[str, list[tuple[datetime, datetime]]] = {}
    for a in absences:
        start = max(a.start, now) if now is not None else a.start
        cuts.setdefault(a.worker, []).append((start, a.end or h1))
    workers = []
    for w in instance.workers:
        periods = list(w.availability)
        for c0, c1 in cuts.get(w.id, []):
            kept: list[Period] = []
            for p in periods:
                if p.end <= c0 or p.start >= c1:
                    kept.append(p)
                    continue
                if p.start < c0:
                    kept.append(Period(start=p.start, end=c0))
                if p.end > c1:
                    kept.append(Period(start=c1, end=p.end))
            periods = kept
        workers.append(w.model_copy(update={"availability": periods}) if w.id in cuts else w)
    return instance.model_copy(update={"workers": workers})


def diff_rotas(instance: Instance, old: Solution, new: Solution) -> pl.DataFrame:
    """One row per visit whose workers or start changed (or that became covered or uncovered)."""
    before = {a.visit: a for a in old.visits}
    after = {a.visit: a for a in new.visits}
    rows = []
    for v in instance.visits:
        a, b = before.get(v.id), after.get(v.id)
        if a is not None and b is not None and a.start == b.start and sorted(a.workers) == sorted(b.workers):
            continue
        if a is None and b is None:
            continue
        rows.append(
            {
                "visit": v.id,
                "client": v.client,
                "old_start": a.start.isoformat(timespec="minutes") if a else None,
                "old_workers": " + ".join(a.workers) if a else None,
                "new_start": b.start.isoformat(timespec="minutes") if b else None,
                "new_workers": " + ".join(b.workers) if b else None,
            }
        )
    schema = dict.fromkeys(("visit", "client", "old_start", "old_workers", "new_start", "new_workers"), pl.String)
    return pl.DataFrame(rows, schema=schema)


FORCED_FACTOR = 2.0
"""A repair changes at most this many times the visits the absence forces to move, unless
covering a visit needs more (then the extra changes are said)."""
CANDIDATES_PRICED = 5
"""Workers whose cost change the validator prices for each forced visit (the rest are ranked by
the heuristics' price, or listed with why they cannot take it)."""


@dataclass(frozen=True)
class Candidate:
    """Who could take a forced visit: ``cost_change`` is the objective change (validator) against
    the repaired rota if they do, at ``start``; None with the ``reason`` they cannot."""

    worker: str
    start: datetime | None
    cost_change: float | None
    reason: str


@dataclass
class RepairResult:
    solution: Solution
    report: ValidationReport
    diff: pl.DataFrame
    fixed: int
    """Visits that could not move (pinned, before the absence starts, or before ``now``)."""
    forced: list[str] = field(default_factory=list)
    """Visits the absence forces to move (an absent worker does them in the old rota)."""
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)
    """Per forced visit, who could take it, best first."""
    stages: list[str] = field(default_factory=list)
    """What each stage of the repair did, in words."""

    @property
    def changed(self) -> int:
        return self.diff.height

    @property
    def cap(self) -> int:
        return int(FORCED_FACTOR * len(self.forced))

    def tell(self) -> pl.DataFrame:
        """The diff by the worker who must be told: one row per (worker, visit) change."""
        return tell_workers(self.diff)


def forced_visits(instance: Instance, changed: Instance, solution: Solution, rules: RuleSet) -> list[str]:
    """Visits of the old rota that the absence makes impossible as they are: a worker on them can
    no longer start them then (their free time, with travel, no longer holds them)."""
    problem = compile_problem(changed, rules.resolution)
    _eligible, domains = eligibility(problem, rules)
    out = []
    for a in solution.visits:
        v = problem.visit_index.get(a.visit)
        if v is None:
            continue
        s = problem.minute_of(a.start)
        for wid in a.workers:
            w = problem.worker_index.get(wid)
            dom = domains.get((v, w)) if w is not None else None
            if dom is None or not any(lo <= s <= hi for lo, hi in dom):
                out.append(a.visit)
                break
    return out


def repair(
    instance: Instance,
    solution: Solution,
    absences: list[Absence],
    now: datetime | None = None,
    rules: RuleSet | None = None,
    params: SolveParams | None = None,
    keep_before_absence: bool = True,
) -> RepairResult:
    """Re-plan ``solution`` for ``absences``, calling as few people as possible.

    Nothing before the absence starts changes (``keep_before_absence``; or before ``now``, when
    later). Then, in stages within the time limit: (1) only the forced visits move; (2) if some
    stay uncovered, up to as many other visits as were forced may move too (the visits in the way
    of the uncovered ones), so at most twice the forced visits change; (3) if some still stay
    uncovered, any visit after the absence starts may move (the extra changes are said). A stage
    is kept only if it covers more. Bad input raises InputError."""
    rules = rules or default_rules()
    params = params or SolveParams()
    _check(instance, solution, rules, absences)
    freeze = now
    if keep_before_absence and absences:
        first = min(a.start for a in absences)
        freeze = first if now is None else max(first, now)
    reference = Reference.of(solution, freeze)
    changed = absent_instance(instance, absences, now)
    for a in solution.visits:  # a pinned visit of an absent worker inside the absence cannot be kept
        if not a.pinned or (now is not None and a.start < now):  # only pinned visits still to come
            continue
        for absence in absences:
            cut_from = max(absence.start, now) if now is not None else absence.start
            if absence.worker in a.workers and cut_from <= a.start and (absence.end is None or a.start < absence.end):
                raise InputError(
                    f"pinned to {absence.worker}, who is absent then", obj=f"visits[{a.visit}]", field="pinned"
                )
    forced = forced_visits(instance, changed, solution, rules)
    # a visit under way when the absence starts must move too, whenever it began
    reference = Reference(reference.visits, reference.fixed - set(forced))
    movable = {a.visit for a in solution.visits} - reference.fixed
    stages: list[str] = []
    shares = (0.3, 0.3, 0.4)

    def stage(share: float, free: set[str]) -> SolveResult:
        det = None if params.deterministic_time is None else share * params.deterministic_time
        sub = params.model_copy(
            update={"time_limit_s": max(0.5, share * params.time_limit_s), "deterministic_time": det}
        )
        ref = Reference(reference.visits, frozenset(reference.visits) - frozenset(free))
        return solve_detailed(changed, rules, sub, reference=ref)

    # the visits to cover: the forced ones, and any the old rota left uncovered
    targets = forced + [u.visit for u in solution.unassigned]
    best = stage(shares[0], set(forced))
    stages.append(f"moved only the {len(forced)} forced visits: {_uncovered_of(best, targets)} left uncovered")
    if _uncovered_of(best, targets) and not interrupt.requested():
        room = _in_the_way(best, changed, rules, targets, movable, len(targets))
        if room:
            second = stage(shares[1], set(forced) | room)
            stages.append(
                f"let {len(room)} visits in the way move too: {_uncovered_of(second, targets)} left uncovered"
            )
            if _covered(second) > _covered(best):
                best = second
    if _uncovered_of(best, targets) and not interrupt.requested():
        third = stage(shares[2], movable)
        stages.append(f"let every visit after the absence starts move: {_uncovered_of(third, targets)} left uncovered")
        if _covered(third) > _covered(best):
            best = third
    new = best.solution
    new.instance.sha256 = instance_sha256(instance)  # the rota is for the team's own instance
    report = validate(instance, new, rules, reference)
    diff = diff_rotas(instance, solution, new)
    result = RepairResult(new, report, diff, len(reference.fixed), forced, stages=stages)
    if diff.height > result.cap:
        stages.append(f"changed {diff.height} visits, more than {result.cap} (twice the forced), to cover more")
    result.candidates = candidates_for(changed, new, rules, forced, absences)
    return result


def _covered(result: SolveResult) -> int:
    return len(result.solution.visits)


def _uncovered_of(result: SolveResult, visits: list[str]) -> int:
    missing = {u.visit for u in result.solution.unassigned}
    return sum(1 for v in visits if v in missing)


def _in_the_way(
    result: SolveResult, changed: Instance, rules: RuleSet, targets: list[str], movable: set[str], room: int
) -> set[str]:
    """Up to ``room`` movable visits in the way of the visits to cover left uncovered: those of
    workers who could do one, overlapping its window (with an hour either side), nearest first."""
    if room <= 0:
        return set()
    p = result.problem
    eligible, _domains = eligibility(p, rules, [p.visit_index[v] for v in targets])
    placed = {a.visit: a for a in result.solution.visits}
    missing = {u.visit for u in result.solution.unassigned}
    scored: list[tuple[float, str]] = []
    for vid in targets:
        if vid not in missing:
            continue
        v = p.visit_index[vid]
        vd = p.visits[v]
        lo, hi = vd.earliest - 60 * p.unit, vd.latest + vd.duration + 60 * p.unit
        mid = (vd.earliest + vd.latest) / 2
        workers = {p.workers[w].id for w in eligible[v]}
        for uid, a in placed.items():
            if uid not in movable or uid in targets or not workers & set(a.workers):
                continue
            s = p.minute_of(a.start)
            e = s + p.visits[p.visit_index[uid]].duration
            if s < hi and e > lo:
                scored.append((abs(s - mid), uid))
    out: set[str] = set()
    for _, uid in sorted(scored):
        if len(out) >= room:
            break
        out.add(uid)
    return out


def candidates_for(
    changed: Instance, new: Solution, rules: RuleSet, forced: list[str], absences: list[Absence]
) -> dict[str, list[Candidate]]:
    """Who could take each forced visit instead, best first: each worker who is not absent, with
    the objective change (validator, on the absence's instance) if they took it at the start
    nearest its old one, or why they cannot."""
    problem = compile_problem(changed, rules.resolution)
    eligible, domains = eligibility(problem, rules)
    base = evaluate(problem, rules, new).objective
    absent = {a.worker for a in absences}
    return {vid: _candidates(problem, rules, eligible, domains, new, base, vid, absent) for vid in forced}


def _candidates(
    problem: Problem,
    rules: RuleSet,
    eligible: list[list[int]],
    domains: dict[tuple[int, int], tuple[Interval, ...]],
    new: Solution,
    base: float,
    vid: str,
    absent: set[str],
) -> list[Candidate]:
    v = problem.visit_index[vid]
    vd = problem.visits[v]
    current = next((a for a in new.visits if a.visit == vid), None)
    start = {problem.visit_index[a.visit]: problem.minute_of(a.start) for a in new.visits if a.visit != vid}
    crew = {
        problem.visit_index[a.visit]: tuple(problem.worker_index[w] for w in a.workers)
        for a in new.visits
        if a.visit != vid
    }
    builder = builder_from_rota(problem, rules, eligible, domains, start, crew)  # type: ignore[arg-type]
    keep = [w for w in (current.workers if current else []) if w not in absent]
    priced: list[tuple[float, int, datetime, Solution]] = []
    out: list[Candidate] = []
    for wd in problem.workers:
        w = wd.index
        if wd.id in absent:
            continue
        if current is not None and wd.id in current.workers:
            out.append(Candidate(wd.id, current.start, 0, "does it in the repaired rota"))
            continue
        if (v, w) not in domains:
            kept = rules.kept_off(problem, v, w)
            out.append(Candidate(wd.id, None, None, kept[1] if kept else "no start fits every rule"))
            continue
        mates = keep[: vd.required - 1] if current is not None else []
        option = builder.option(v, w)
        if option is None:
            out.append(Candidate(wd.id, None, None, "is busy then (with travel)"))
            continue
        wanted = problem.minute_of(current.start) if current is not None else vd.earliest
        t = min((min(max(wanted, a), b) for a, b in option.starts), key=lambda x: abs(x - wanted))
        if len(mates) + 1 < vd.required:
            out.append(Candidate(wd.id, problem.time_of(t), None, f"needs {vd.required} workers; no partner free"))
            continue
        week = builder.week_problem(v, int(t), w)
        if week is not None:
            out.append(Candidate(wd.id, problem.time_of(t), None, f"would break {week[0]} ({week[1]})"))
            continue
        priced.append((option.cost, w, problem.time_of(t), _with(new, vid, problem.time_of(t), [*mates, wd.id])))
    priced.sort(key=lambda x: (x[0], x[1]))
    for k, (_cost, w, when, variant) in enumerate(priced):
        wid = problem.workers[w].id
        if k < CANDIDATES_PRICED:
            report = evaluate(problem, rules, variant)
            if report.ok:
                out.append(Candidate(wid, when, report.objective - base, _why(problem, v, w)))
            else:
                out.append(Candidate(wid, when, None, f"would break {report.violations[0]}"))
        else:
            out.append(Candidate(wid, when, None, f"free then ({_why(problem, v, w)}); not priced"))
    out.sort(key=lambda c: (c.cost_change is None, c.cost_change if c.cost_change is not None else 0, c.worker))
    return out


def _with(solution: Solution, vid: str, start: datetime, workers: list[str]) -> Solution:
    """The rota with ``vid`` done by ``workers`` at ``start`` (covered if it was not)."""
    variant = solution.model_copy(deep=True)
    variant.visits = [a for a in variant.visits if a.visit != vid]
    variant.unassigned = [u for u in variant.unassigned if u.visit != vid]
    variant.visits.append(AssignedVisit(visit=vid, start=start, workers=workers))
    return variant


def _why(problem: Problem, v: int, w: int) -> str:
    client = problem.clients[problem.visits[v].client]
    if w in client.link_workers:
        return f"free then; a link worker of {client.id}"
    return "free then"


def tell_workers(diff: pl.DataFrame) -> pl.DataFrame:
    """One row per worker and changed visit: ``change`` is gains, loses or moves (their start)."""
    rows = []
    for r in diff.iter_rows(named=True):
        old = set((r["old_workers"] or "").split(" + ")) - {""}
        new = set((r["new_workers"] or "").split(" + ")) - {""}
        for w in sorted(old | new):
            if w in old and w in new:
                change = "moves"
            elif w in new:
                change = "gains"
            else:
                change = "loses"
            rows.append(
                {
                    "worker": w,
                    "change": change,
                    "visit": r["visit"],
                    "client": r["client"],
                    "old_start": r["old_start"] if w in old else None,
                    "new_start": r["new_start"] if w in new else None,
                }
            )
    schema = dict.fromkeys(("worker", "change", "visit", "client", "old_start", "new_start"), pl.String)
    return pl.DataFrame(rows, schema=schema).sort("worker", "new_start", "old_start", nulls_last=True)
