"""continuity: each person sees the same few workers, ideally their link workers.

Hard cap on distinct workers per client in the week; each distinct worker beyond the first costs;
a visit by one of the client's link workers earns a reward (a negative cost).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

from pydantic import Field

from selforg_scheduler.core.problem import Problem
from selforg_scheduler.core.rota import Rota
from selforg_scheduler.core.variables import ModelContext
from selforg_scheduler.rules.base import (
    Penalty,
    Prices,
    Rule,
    RuleCheck,
    RuleParams,
    coverable,
    register,
)

FLOOR_SETS = 5000
"""Most sets of workers the bound tries for one person (beyond, it uses a looser bound)."""


class ContinuityParams(RuleParams):
    max_distinct_workers: int | None = Field(
        default=4, ge=1, description="hard cap on distinct workers per client a week; null: no cap"
    )
    weight_per_extra_worker: int = Field(default=50, ge=0, description="cost per distinct worker beyond the first")
    link_worker_reward: int = Field(default=10, ge=0, description="earned per visit done by a link worker")


@register
class Continuity(Rule[ContinuityParams]):
    name = "continuity"
    order = 90
    any_resolution = True
    summary = "at most N distinct workers per client; each beyond the first costs; link-worker visits earn"
    Params = ContinuityParams

    def prices(self, problem: Problem) -> Prices:
        prm = self.params
        return Prices(
            new_face=prm.weight_per_extra_worker,
            link_reward=prm.link_worker_reward,
            client_cap=prm.max_distinct_workers,
            exact=True,
        )

    def build(self, m: ModelContext) -> list[Penalty]:
        p, model, prm = m.problem, m.model, self.params
        out: list[Penalty] = []
        for client in p.clients:
            by_worker: dict[int, list[int]] = defaultdict(list)
            for v in client.visits:
                for w in m.eligible[v]:
                    by_worker[w].append(v)
            if not by_worker:
                continue
            seen = []
            for w, visits in sorted(by_worker.items()):
                xs = [m.x[(v, w)] for v in visits]
                if len(xs) == 1:
                    seen.append(xs[0])
                    continue
                y = model.new_bool_var(f"sees_{client.id}_{p.workers[w].id}")
                model.add_max_equality(y, xs)
                seen.append(y)
            if prm.max_distinct_workers is not None and len(seen) > prm.max_distinct_workers:
                model.add(sum(seen) <= prm.max_distinct_workers)
            if prm.weight_per_extra_worker and len(seen) > 1:
                extra = model.new_int_var(0, len(seen) - 1, f"extra_workers_{client.id}")
                model.add_max_equality(extra, [0, sum(seen) - 1])
                out.append(self.penalty(prm.weight_per_extra_worker, extra, client.id))
            if prm.link_worker_reward:
                for v in client.visits:
                    links = [m.x[(v, w)] for w in m.eligible[v] if w in client.link_workers]
                    if not links:
                        continue
                    if p.visits[v].required == 1 or len(links) == 1:
                        by_link = sum(links)
                    else:
                        by_link = model.new_bool_var(f"by_link_{p.visits[v].id}")
                        model.add_max_equality(by_link, links)
                    out.append(self.penalty(-prm.link_worker_reward, by_link, client.id))
        return out

    def floor(self, m: ModelContext, covered: bool) -> float:
        """At best every visit with an eligible link worker earns the reward; in a rota covering
        every coverable visit, each person sees at least the fewest workers who can do all their
        visits (a small search per person over sets of workers, up to the cap)."""
        total = 0.0
        for client in m.problem.clients:
            total += self._client_floor(m, client.index, covered)
        return total

    def _client_floor(self, m: ModelContext, c: int, covered: bool) -> float:
        p, prm = m.problem, self.params
        client = p.clients[c]
        visits = [v for v in client.visits if coverable(m, v)]
        linked = sum(1 for v in visits if any(w in client.link_workers for w in m.eligible[v]))
        loose = -prm.link_worker_reward * linked
        if not covered or not visits:
            return loose
        candidates = sorted({w for v in visits for w in m.eligible[v]})
        bit = {w: 1 << i for i, w in enumerate(candidates)}
        needs = [(sum(bit[w] for w in m.eligible[v]), p.visits[v].required) for v in visits]
        links = [sum(bit[w] for w in m.eligible[v] if w in client.link_workers) for v in visits]
        most = len(candidates) if prm.max_distinct_workers is None else min(len(candidates), prm.max_distinct_workers)
        least = max(r for _, r in needs)
        if sum(math.comb(len(candidates), k) for k in range(least, most + 1)) > FLOOR_SETS:
            return prm.weight_per_extra_worker * (least - 1) + loose  # too many sets to try
        best = math.inf
        for k in range(least, most + 1):
            if prm.weight_per_extra_worker * (k - 1) + loose >= best:
                break  # larger sets cost more than the best, whatever they earn
            for combo in itertools.combinations(candidates, k):
                chosen = sum(bit[w] for w in combo)
                if any((mask & chosen).bit_count() < r for mask, r in needs):
                    continue
                earned = sum(1 for mask in links if mask & chosen)
                best = min(best, prm.weight_per_extra_worker * (k - 1) - prm.link_worker_reward * earned)
        return best  # inf: no set within the cap can do all the person's visits

    def check(self, rota: Rota) -> RuleCheck:
        out = RuleCheck()
        p, prm = rota.problem, self.params
        for client in p.clients:
            distinct: set[int] = set()
            link_visits = 0
            for v in client.visits:
                crew = rota.crew.get(v, ())
                distinct.update(crew)
                if any(w in client.link_workers for w in crew):
                    link_visits += 1
            cap = prm.max_distinct_workers
            if cap is not None and len(distinct) > cap:
                names = ", ".join(sorted(p.workers[w].id for w in distinct))
                out.violations.append(
                    self.violation(f"{client.id} sees {len(distinct)} distinct workers ({names}); the cap is {cap}")
                )
            out.charge(client.id, prm.weight_per_extra_worker * max(0, len(distinct) - 1))
            out.charge(client.id, -prm.link_worker_reward * link_visits)
        return out
