"""Where independent solves run: a local process pool, or Ray (a local runtime or a cluster).

Used by ``solve-many`` (one task per team file) and by the organisation path (one task per part).
Ray is optional (``pip install '.[ray]'``; the test extra has it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from selforg_scheduler.contract.errors import InputError

__all__ = ["EXECUTORS", "check_executor", "ray_runtime"]

EXECUTORS = ("local", "ray")


def check_executor(executor: str) -> None:
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}", field="--executor")


@contextmanager
def ray_runtime(address: str | None, cpus: int) -> Iterator[Any]:
    """The ``ray`` module, connected: to the cluster at ``address``, else to a local runtime of
    ``cpus`` CPUs started here (and shut down after). An already connected Ray is used as it is."""
    try:
        import ray
    except ImportError:
        raise InputError("the ray executor needs Ray: pip install '.[ray]'", field="--executor") from None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, cpus), include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()
