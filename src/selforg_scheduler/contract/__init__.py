"""Pydantic v2 models of the JSON contract (``shared/spec/formats.md``)."""

from selforg_scheduler.contract.instance import Instance
from selforg_scheduler.contract.solution import Solution

__all__ = ["Instance", "Solution"]
