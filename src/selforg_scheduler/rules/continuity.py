"""continuity: each person sees the same few workers, ideally their link workers.

Hard cap on distinct workers per client in the week; each distinct worker beyond the first costs;
a visit by one of the client's link workers earns a reward (a negative cost).
"""

from __future__ import annotations

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
    register,
)


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

    def floor(self, m: ModelContext) -> int:
        """At best every visit with an eligible link worker earns the reward."""
        p = m.problem
        return -self.params.link_worker_reward * sum(
            1 for vd in p.visits if any(w in p.clients[vd.client].link_workers for w in m.eligible[vd.index])
        )

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
