"""Faults the emulator injects on demand: latency, error statuses (429/500/503...), dropped
connections. Each fault matches a method and a path fragment and fires ``times`` times (None:
until cleared)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["latency", "status", "drop"]


@dataclass
class Fault:
    kind: FaultKind
    method: str | None = None  # None: any method
    path_contains: str | None = None  # None: any path
    path_any: tuple[str, ...] = ()  # or: any of these fragments (e.g. one service's paths)
    times: int | None = 1  # None: forever
    seconds: float = 0.0  # latency
    status: int = 503
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path_any and not any(fragment in path for fragment in self.path_any):
            return False
        return not self.path_contains or self.path_contains in path

    def describe(self) -> str:
        """One line for people (the playground's fault list)."""
        what = {"latency": f"{self.seconds:g} s late", "drop": "connection dropped",
                "status": f"HTTP {self.status}"}[self.kind]  # fmt: skip
        if self.kind == "status" and self.retry_after:
            what += f" (Retry-After {self.retry_after:g})"
        times = "until cleared" if self.times is None else f"next {self.times} call(s)"
        return f"{what}, {times}"


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request, in the order added: every matching latency
        fault, then at most one status or drop fault (the first that matches). Each one that
        fires is used up once; the others wait for later requests."""
        fired: list[Fault] = []
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(method, path):
                    continue
                fired.append(fault)
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                if fault.kind != "latency":
                    break
        return fired
