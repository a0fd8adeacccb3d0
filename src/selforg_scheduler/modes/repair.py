"""Sick cover: re-plan a rota when someone cannot work, changing as little as possible.

:func:`repair` takes the instance, the rota being repaired and the absences. The absent workers'
availability is cut from the start of their absence (or from ``now``, whichever is later: what
has happened has happened) to its end; visits that start before ``now`` and visits marked
``"pinned": true`` keep their workers and start; every other visit may move, but each change
costs (rule ``stability``), and the search starts from the old rota. The result is the new rota
(contract format, for the original instance) and a diff of the visits that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from selforg_scheduler.contract.errors import InputError
from selforg_scheduler.contract.instance import Instance, Period
from selforg_scheduler.contract.io import instance_sha256
from selforg_scheduler.contract.solution import Solution
from selforg_scheduler.core.problem import Reference
from selforg_scheduler.pipeline.solve import SolveParams, solve_detailed
from selforg_scheduler.rules.config import RuleSet, default_rules
from selforg_scheduler.rules.validator import ValidationReport, validate

__all__ = ["Absence", "RepairResult", "absent_instance", "diff_rotas", "repair"]


@dataclass(frozen=True)
class Absence:
    """``worker`` cannot work from ``start`` to ``end`` (None: to the end of the horizon)."""

    worker: str
    start: datetime
    end: datetime | None = None


@dataclass
class RepairResult:
    solution: Solution
    report: ValidationReport
    diff: pl.DataFrame
    fixed: int
    """Visits that could not move (pinned, or before ``now``)."""


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


def repair(
    instance: Instance,
    solution: Solution,
    absences: list[Absence],
    now: datetime | None = None,
    rules: RuleSet | None = None,
    params: SolveParams | None = None,
) -> RepairResult:
    """Re-plan ``solution`` for ``absences``; see the module docstring. Bad input raises InputError."""
    rules = rules or default_rules()
    _check(instance, solution, rules, absences)
    reference = Reference.of(solution, now)
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
    result = solve_detailed(changed, rules, params, reference=reference)
    new = result.solution
    new.instance.sha256 = instance_sha256(instance)  # the rota is for the team's own instance
    report = validate(instance, new, rules, reference)
    return RepairResult(new, report, diff_rotas(instance, solution, new), len(reference.fixed))
