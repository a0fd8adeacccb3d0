"""A role plan read without the solver: its figures (role-weeks, spreads, newcomers, changes, the
unfilled places and why) and every rule it breaks, in words (see ``rotation.py`` for the rules).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from selforg_scheduler.modes.rotation_facts import PlanFacts

if TYPE_CHECKING:
    from selforg_scheduler.modes.rotation import RolePlan, RotationParams


def held_set(f: PlanFacts, plan: RolePlan) -> set[tuple[str, str, int]]:
    """(worker, role, week) of the history and of the plan."""
    held = set(f.history)
    for k, week in enumerate(plan.holders):
        held.update((w, r, k) for r, ws in week.items() for w in ws)
    return held


def changes(f: PlanFacts, plan: RolePlan, held: set[tuple[str, str, int]]) -> list[list[str]]:
    """Per week, the roles that get a new holder (week 0 counts only against a history holder)."""
    out: list[list[str]] = []
    for k in range(len(plan.holders)):
        changed = []
        for r in f.roles:
            now = set(plan.holders[k].get(r.id, []))
            before = {w.id for w in f.workers if (w.id, r.id, k - 1) in held}
            if now - before and (k > 0 or f.has_history_holder(r.id, -1)):
                changed.append(r.id)
        out.append(changed)
    return out


def summarise(plan: RolePlan, f: PlanFacts) -> None:
    """Fill in the plan's figures (role-weeks, spreads, newcomers, changes, unfilled) from its holders."""
    held = held_set(f, plan)
    counts = Counter(w for week in plan.holders for ws in week.values() for w in ws)
    plan.role_weeks = {w: counts.get(w, 0) for w in f.counted}
    plan.history_role_weeks = dict(f.past_weeks)
    values = list(plan.role_weeks.values())
    plan.planned_spread = max(values) - min(values) if values else 0
    totals = [plan.role_weeks[w] + f.past_weeks[w] for w in f.counted]
    plan.spread = max(totals) - min(totals) if totals else 0
    plan.newcomers = {}
    for w in f.newcomers:
        weeks = [k for k, week in enumerate(plan.holders) if any(w in ws for ws in week.values())]
        plan.newcomers[w] = weeks[0] if weeks else None
    plan.newcomer_wait = sum(f.n if k is None else k for k in plan.newcomers.values())
    plan.changes = sum(len(row) for row in changes(f, plan, held))
    plan.unfilled = []
    for k, week in enumerate(plan.holders):
        for r in f.roles:
            missing = r.holders - len(week[r.id])
            if missing > 0:
                plan.unfilled.append(
                    {
                        "week_start": plan.week(k).isoformat(),
                        "role": r.id,
                        "missing": missing,
                        "reason": _unfilled_reason(f, plan, held, r.id, k),
                    }
                )


def _unfilled_reason(f: PlanFacts, plan: RolePlan, held: set[tuple[str, str, int]], role: str, k: int) -> str:
    """One line: why a place of ``role`` is empty in week k."""
    r = next(x for x in f.roles if x.id == role)
    able = [w.id for w in f.workers if f.eligible(w.id, role, k)]
    barred = "; ".join(f.why_not[(w.id, role, k)] for w in f.workers if not f.eligible(w.id, role, k))
    if len(able) < r.holders:
        who = f"only {', '.join(able)} can" if able else "no one can"
        return f"needs {r.holders}; {who} hold it that week" + (f" ({barred})" if barred else "")
    notes = []
    for w in able:
        if w in plan.holders[k][role]:
            continue
        other = [x for x, ws in plan.holders[k].items() if w in ws]
        if other:
            notes.append(f"{w} holds {other[0]}")
        elif any((w, role, j) in held and (w, role, j + 1) not in held for j in range(k - f.params.term, k)):
            notes.append(f"{w} rests from it after a stint")
        else:
            notes.append(f"{w} could start only by breaking a term or the staggering")
    return "; ".join(notes)


def problems(f: PlanFacts, params: RotationParams, plan: RolePlan) -> list[str]:
    """Every rule ``plan`` breaks, in words."""
    t, n = params.term, params.weeks
    out: list[str] = []
    if len(plan.holders) != n:
        out.append(f"the plan has {len(plan.holders)} weeks, not {n}")
    roles = {r.id for r in f.roles}
    workers = {w.id for w in f.workers}
    for k, week in enumerate(plan.holders):
        seen: Counter[str] = Counter()
        out.extend(f"week {k}: unknown role {r}" for r in week if r not in roles)
        for r in f.roles:
            ws = week.get(r.id, [])
            if len(ws) > r.holders:
                out.append(f"week {k}: {r.id} has {len(ws)} holders, needs {r.holders}")
            for wid in ws:
                seen[wid] += 1
                if wid not in workers:
                    out.append(f"week {k}: unknown worker {wid} holds {r.id}")
                elif not f.eligible(wid, r.id, k):
                    out.append(f"week {k}: {wid} may not hold {r.id} ({f.why_not[(wid, r.id, k)]})")
        out.extend(f"week {k}: {w} holds {c} roles" for w, c in seen.items() if c > 1)
    held = held_set(f, plan)
    first = min((k for (_w, _r, k) in held), default=0)
    for r in f.roles:
        for w in f.workers:
            runs: list[tuple[int, int]] = []  # (first week, length)
            k = first
            while k < n:
                if (w.id, r.id, k) in held:
                    j = k
                    while (w.id, r.id, j) in held:
                        j += 1
                    runs.append((k, j - k))
                    k = j
                else:
                    k += 1
            for s, length in runs:
                end = s + length
                if end > 0 and length > t:
                    out.append(f"{w.id} holds {r.id} for {length} weeks in a row from week {s}; the term is {t}")
                opening = s == 0 and not f.has_history_holder(r.id, -1)
                if s >= 0 and not opening and length < t and end < n and f.eligible(w.id, r.id, end):
                    out.append(f"{w.id}'s stint of {r.id} from week {s} ends after {length} weeks, before its term")
                back = [x for x, _ in runs if end < x < end + t]
                if back and back[0] >= 0:
                    out.append(f"{w.id} holds {r.id} again at week {back[0]}, within a term of their last stint")
    for k, changed in enumerate(changes(f, plan, held)):
        if len(changed) > params.max_changes_per_week:
            out.append(
                f"week {k}: {len(changed)} roles change holder ({', '.join(changed)}); "
                f"at most {params.max_changes_per_week} may"
            )
    return out
