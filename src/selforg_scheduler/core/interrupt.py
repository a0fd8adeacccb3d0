"""Stopping a solve early on SIGINT (Ctrl-C) or SIGTERM, keeping the best rota found so far.

CP-SAT's own SIGINT handling is switched off everywhere (:func:`quiet_solver`: when it is on,
OR-Tools leaves SIGINT at the system default after each solve, so a later Ctrl-C killed the
process without a word or a rota). Instead :func:`on_signals` (the CLI wraps its long commands in
it) turns the first SIGINT or SIGTERM into a *stop request*: every budget reads as spent
(:class:`~selforg_scheduler.core.budget.WallClock`), the CP-SAT searches running now are told to
stop (:func:`watching`), and each stage hands on the best rota it has, as when time runs out. A
thread reads the signal from a wake-up pipe, so a search in C++ stops at once, not when it next
returns to Python. A second signal aborts (``KeyboardInterrupt``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

__all__ = ["Stoppable", "on_signals", "quiet_solver", "request_stop", "requested", "watching"]


class Stoppable(Protocol):
    def stop_search(self) -> None: ...


S = TypeVar("S")
_lock = threading.Lock()
_requested: list[str] = []
_running: set[Stoppable] = set()


def requested() -> str | None:
    """The signal's name (``SIGINT``, ``SIGTERM``) once a stop is requested, else None."""
    return _requested[0] if _requested else None


def request_stop(why: str = "stop") -> None:
    """Ask every stage to stop and hand on its best rota (what a signal does)."""
    with _lock:
        if not _requested:
            _requested.append(why)
        running = list(_running)
    for solver in running:
        solver.stop_search()


def _reset() -> None:
    with _lock:
        _requested.clear()


@contextmanager
def watching(solver: Stoppable) -> Iterator[None]:
    """Register a running search so a stop request stops it (at once, if one came already)."""
    with _lock:
        _running.add(solver)
        already = bool(_requested)
    if already:
        solver.stop_search()
    try:
        yield
    finally:
        with _lock:
            _running.discard(solver)


def quiet_solver(solver: S) -> S:
    """A CP-SAT solver that leaves the process's signal handlers alone."""
    solver.parameters.catch_sigint_signal = False  # type: ignore[attr-defined]
    return solver


@contextmanager
def on_signals(signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Within the block, the first of ``signals`` requests a stop (see the module); a second
    raises ``KeyboardInterrupt``. Outside the main thread it does nothing (signals go there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    seen = [0]

    def handler(signum: int, frame: object) -> None:  # runs in the main thread, between bytecodes
        seen[0] += 1
        request_stop(signal.Signals(signum).name)
        if seen[0] > 1:
            raise KeyboardInterrupt

    def wake() -> None:  # runs at once, even while the main thread is inside CP-SAT
        while True:
            try:
                data = os.read(read_fd, 16)
            except OSError:
                return
            if not data:
                return
            for signum in data:
                if signum in (s.value for s in signals):
                    request_stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in signals}
    old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    thread = threading.Thread(target=wake, name="stop-on-signal", daemon=True)
    thread.start()
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, h in previous.items():
            signal.signal(s, h)
        os.close(write_fd)
        thread.join(timeout=1.0)
        os.close(read_fd)
        _reset()
