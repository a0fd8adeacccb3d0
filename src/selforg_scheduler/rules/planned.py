"""Rules of ``domain.md`` that are listed in YAML and docs but not built yet.

They load, validate their parameters and appear in ``constraints/default.yaml`` so rule sets
written today stay valid; neither the model nor the validator applies them yet. Each moves to a
module of its own when it is built (roles: issue #4).
"""

from __future__ import annotations

from pydantic import Field

from selforg_scheduler.rules.base import Rule, RuleParams, register


class RolesParams(RuleParams):
    repeat_weight: int = Field(default=100, ge=0, description="cost of holding last week's role again")
    never_held_reward: int = Field(default=50, ge=0, description="earned when a role goes to someone new to it")


def _planned(order: int, name: str, summary: str, params: type[RuleParams]) -> None:
    cls = type(
        "".join(part.title() for part in name.split("_")),
        (Rule,),
        {"name": name, "summary": summary, "Params": params, "planned": True, "order": order, "__module__": __name__},
    )
    register(cls)


_planned(200, "roles", "team roles filled and rotated fairly", RolesParams)
