"""Rules of ``domain.md`` that are listed in YAML and docs but not built yet.

They load, validate their parameters and appear in ``constraints/default.yaml`` so rule sets
written today stay valid; neither the model nor the validator applies them yet. Each moves to a
module of its own when it is built (working time, lone working, flexible working and fairness:
issue #3; roles: issue #4).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from selforg_scheduler.rules.base import Rule, RuleParams, register

ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, quoted in YAML")]


class DailyLimitParams(RuleParams):
    max_minutes: int = Field(default=600, ge=0, description="working minutes a day (visits + travel)")


class WeeklyLimitParams(RuleParams):
    max_minutes: int = Field(default=2880, ge=0, description="working minutes a week (48 h)")
    contract_plus_overtime: bool = Field(default=True, description="also cap at contract + overtime")


class DailyRestParams(RuleParams):
    min_minutes: int = Field(default=660, ge=0, description="rest between working days (11 h)")


class WeeklyRestParams(RuleParams):
    min_days_off: int = Field(default=1, ge=0, le=7, description="whole days off in the week")


class BreaksParams(RuleParams):
    after_minutes: int = Field(default=360, ge=0, description="a day longer than this needs a break")
    break_minutes: int = Field(default=20, ge=0)
    window_start: ClockTime = "11:00"
    window_end: ClockTime = "15:00"


class LoneWorkingParams(RuleParams):
    new_starters_alone: bool = Field(default=False, description="may new starters visit alone")
    latest_lone_end: ClockTime = "22:00"
    buddy_check_after: ClockTime = "20:00"


class FlexibleWorkingParams(RuleParams):
    wish_weight: int = Field(default=30, ge=0, description="cost per breached wish")
    agreed_hard: bool = Field(default=True, description="agreed arrangements are hard")


class ContractHoursParams(RuleParams):
    weight_per_minute: int = Field(default=1, ge=0, description="cost per minute under or over contract")


class FairnessParams(RuleParams):
    weight: int = Field(default=10, ge=0, description="cost per unit of the largest deviation")
    early_before: ClockTime = "08:00"
    late_after: ClockTime = "20:00"
    weekends: bool = True


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


_planned(110, "daily_limit", "at most 600 working minutes a day", DailyLimitParams)
_planned(120, "weekly_limit", "at most 2880 working minutes a week and contract + overtime", WeeklyLimitParams)
_planned(130, "daily_rest", "660 minutes between working days", DailyRestParams)
_planned(140, "weekly_rest", "at least one whole day off in the week", WeeklyRestParams)
_planned(150, "breaks", "a day over 360 minutes has a 20-minute break", BreaksParams)
_planned(160, "lone_working", "new starters never alone; late lone visits need a working buddy", LoneWorkingParams)
_planned(170, "flexible_working", "agreed arrangements hard, wishes cost per breach", FlexibleWorkingParams)
_planned(180, "contract_hours", "each minute under or over contract costs", ContractHoursParams)
_planned(190, "fairness", "unsociable visits spread in proportion to contract hours", FairnessParams)
_planned(200, "roles", "team roles filled and rotated fairly", RolesParams)
