"""The CP-SAT model of a role plan (``rotate-roles``): its variables, the rules of a plan as
constraints, and the terms of the staged objective (see ``rotation.py`` for the rules in words).

``h[(worker, role, k)]`` is true when the worker holds the role in week k; it exists only where
the worker is eligible. History weeks (k < 0), ineligible weeks and weeks beyond the plan are the
constants 0/1 (:meth:`RoleModel.held`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from selforg_scheduler.contract.instance import Role, Worker
from selforg_scheduler.modes.rotation_facts import PlanFacts


class RoleModel:
    """The plan's CP-SAT model, built from its facts; the objective terms are attributes
    (``short_total``, ``spread``, ``wait``, ``change_total``), solved in stages by the caller."""

    def __init__(self, f: PlanFacts) -> None:
        self.f = f
        self.model = cp_model.CpModel()
        model, n = self.model, f.n
        self.h = {
            (w.id, r.id, k): model.new_bool_var(f"h_{w.id}_{r.id}_{k}")
            for w in f.workers
            for r in f.roles
            for k in range(n)
            if f.eligible(w.id, r.id, k)
        }
        self.shortfalls = self._places()
        self.changes: dict[int, list[cp_model.IntVar]] = {k: [] for k in range(n)}
        """Per week, a variable per role that may get a new holder then (true when it does)."""
        self.change_of: dict[tuple[str, int], cp_model.IntVar] = {}
        for r in f.roles:
            self._stints(r)
            for w in f.workers:
                self._longest_stint(w, r)
                self._no_repeat(w, r)
        self._staggered()
        self._change_cuts()

        # objective terms
        self.short_total = model.new_int_var(0, sum(r.holders for r in f.roles) * n, "unfilled")
        model.add(self.short_total == sum(self.shortfalls.values()))
        planned = {w: sum(v for (ww, _r, _k), v in self.h.items() if ww == w) for w in f.counted}
        top = n + max(f.past_weeks.values(), default=0)
        self.totals = [planned[w] + f.past_weeks[w] for w in f.counted]
        """Role-weeks per counted worker, planned plus the history window."""
        self.spread = _spread_var(model, self.totals, top, "total")
        self.wait = self._newcomer_wait()
        all_changes = [x for row in self.changes.values() for x in row]
        self.change_total = model.new_int_var(0, len(all_changes), "changes")
        model.add(self.change_total == sum(all_changes))

    def held(self, w: str, r: str, k: int) -> cp_model.IntVar | int:
        """Week k's hold variable, or 0/1 when fixed (history, ineligible, beyond the plan)."""
        if k < 0:
            return int(self.f.held_before(w, r, k))
        return self.h.get((w, r, k), 0)

    def _places(self) -> dict[tuple[str, int], cp_model.IntVar]:
        """Nobody holds two roles in a week; at most ``holders`` per role: the shortfall per role
        and week (minimised in stage 1)."""
        f, model, h = self.f, self.model, self.h
        shortfalls: dict[tuple[str, int], cp_model.IntVar] = {}
        for k in range(f.n):
            for w in f.workers:
                mine = [h[(w.id, r.id, k)] for r in f.roles if (w.id, r.id, k) in h]
                if len(mine) > 1:
                    model.add_at_most_one(mine)
            for r in f.roles:
                short = model.new_int_var(0, r.holders, f"short_{r.id}_{k}")
                model.add(short == r.holders - sum(self.held(w.id, r.id, k) for w in f.workers))
                shortfalls[(r.id, k)] = short
        return shortfalls

    def _stints(self, r: Role) -> None:
        """Stint starts of role ``r`` and the term they commit to; a change variable per week."""
        f, model, held, t = self.f, self.model, self.held, self.f.params.term
        for k in range(f.n):
            starts = []
            for w in f.workers:
                here = held(w.id, r.id, k)
                if isinstance(here, int):
                    continue  # not eligible: no stint starts
                before = held(w.id, r.id, k - 1)
                start = model.new_bool_var(f"start_{w.id}_{r.id}_{k}")
                if isinstance(before, int):
                    model.add(start == (0 if before else here))
                else:  # start <=> here and not before
                    model.add_bool_and([here, ~before]).only_enforce_if(start)
                    model.add_bool_or([~here, before, start])
                starts.append(start)
                # term: a stint that starts here lasts `term` weeks, unless the plan ends or the holder
                # may not hold the role (leave) first; a role's first stint at week 0, with no holder in
                # the history's last week, may be shorter (it staggers the roles' changes)
                opening = k == 0 and not f.has_history_holder(r.id, -1)
                for j in range(1, 1 if opening else t):
                    nxt = held(w.id, r.id, k + j) if k + j < f.n else 0
                    if isinstance(nxt, int):
                        break
                    model.add_implication(start, nxt)
            if starts and (k > 0 or f.has_history_holder(r.id, -1)):
                change = model.new_bool_var(f"change_{r.id}_{k}")
                model.add_max_equality(change, starts)
                self.changes[k].append(change)
                self.change_of[(r.id, k)] = change

    def _longest_stint(self, w: Worker, r: Role) -> None:
        """Term: no stint longer than `term` weeks (history included): any term+1 weeks in a row
        hold at most `term`."""
        held, t = self.held, self.f.params.term
        for k in range(self.f.n):
            window = [held(w.id, r.id, j) for j in range(k - t, k + 1)]
            if any(not isinstance(x, int) for x in window):
                self.model.add(sum(window) <= t)

    def _no_repeat(self, w: Worker, r: Role) -> None:
        """No repeat: when a stint ends at week k (held k-1, not k), not the same role until k+term."""
        model, held, n, t = self.model, self.held, self.f.n, self.f.params.term
        for k in range(-t, n):
            before, here = held(w.id, r.id, k - 1), held(w.id, r.id, k)
            later = [held(w.id, r.id, j) for j in range(max(k, 0), min(n, k + t))]
            later_vars = [x for x in later if not isinstance(x, int)]
            if not later_vars or (isinstance(before, int) and not before) or (isinstance(here, int) and here):
                continue
            conds = [c for c in (before, here) if not isinstance(c, int)]
            if not conds:  # the history alone says the stint ended at week k (k <= 0)
                for x in later_vars:
                    model.add(x == 0)
                continue
            lits = [before if c is before else ~c for c in conds]
            end = model.new_bool_var(f"end_{w.id}_{r.id}_{k}")
            model.add_bool_and(lits).only_enforce_if(end)
            model.add_bool_or([~lit for lit in lits] + [end])
            for x in later_vars:
                model.add_implication(end, ~x)

    def _staggered(self) -> None:
        """At most ``max_changes_per_week`` roles get a new holder in one week."""
        most = self.f.params.max_changes_per_week
        for row in self.changes.values():
            if len(row) > most:
                self.model.add(sum(row) <= most)

    def _change_cuts(self) -> None:
        """Redundant cuts that let the solver prove the fewest changes: a role full in each of term+1
        weeks in a row gets a new holder in one of the last term of them (nobody holds it term+1
        weeks, and without a new holder the holders of the last week would have held it all along)."""
        f, t = self.f, self.f.params.term
        for r in f.roles:
            for k in range(f.n):
                constant = 0
                terms: list[cp_model.IntVar] = []
                for j in range(k - t, k + 1):
                    if j >= 0:
                        terms.append(self.shortfalls[(r.id, j)])
                    else:
                        constant += max(0, r.holders - len(f.history_holders(r.id, j)))
                    if j == k - t:
                        continue
                    if (r.id, j) in self.change_of:
                        terms.append(self.change_of[(r.id, j)])
                    elif j < 0:
                        constant += int(bool(f.history_holders(r.id, j) - f.history_holders(r.id, j - 1)))
                if constant < 1:
                    self.model.add(sum(terms) >= 1 - constant)

    def _newcomer_wait(self) -> cp_model.IntVar:
        """The sum over newcomers of the weeks before their first role."""
        f, model, h = self.f, self.model, self.h
        waits = []
        for w in f.newcomers:
            reached_prev: cp_model.IntVar | int = 0
            for k in range(f.n):
                # reached[k]: the newcomer has held some role by week k (it can only be true when so)
                reached = model.new_bool_var(f"reached_{w}_{k}")
                mine = [h[(w, r.id, k)] for r in f.roles if (w, r.id, k) in h]
                model.add(reached <= reached_prev + sum(mine))
                waits.append(1 - reached)
                reached_prev = reached
        wait = model.new_int_var(0, len(waits), "newcomer_wait")
        model.add(wait == sum(waits))
        return wait


def _spread_var(
    model: cp_model.CpModel, counts: Sequence[cp_model.LinearExprT], top: int, name: str
) -> cp_model.IntVar | int:
    """A variable equal to max(counts) - min(counts) (0 when fewer than two counts)."""
    if len(counts) < 2:
        return 0
    most, fewest = model.new_int_var(0, top, f"{name}_most"), model.new_int_var(0, top, f"{name}_fewest")
    model.add_max_equality(most, counts)
    model.add_min_equality(fewest, counts)
    spread = model.new_int_var(0, top, f"{name}_spread")
    model.add(spread == most - fewest)
    return spread
