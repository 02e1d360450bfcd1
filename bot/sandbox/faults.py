"""Faults the emulator injects on demand.

* HTTP faults (:class:`Fault`): latency, error statuses (429/500/503...), dropped connections,
  and a late answer (``late``: the request is carried out, its answer sent ``seconds`` later -
  a client that gives up or dies meanwhile never learns that it happened), and an unreadable
  answer (``garbled``: the request is carried out and answered 200 with ``body`` - not JSON,
  JSON of the wrong shape, or empty - so the client cannot read what happened).
  Each matches a method and a path fragment and fires ``times`` times (None: until cleared).
* ECS power faults (:class:`PowerFault`, applied by the world when it creates an ECS job):
  ``stop_fails`` (the next batch stop's job FAILs, with a failed sub-job per affected server,
  which stays ACTIVE), ``start_fails`` (the next batch start's job FAILs for the affected
  servers, which stay SHUTOFF), ``start_to_error`` (the next batch start's job ends SUCCESS but
  the affected servers go to ERROR instead of ACTIVE: a server that does not come back). A fault
  names one server (``server_id``) or, without one, affects every server of that job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["latency", "status", "drop", "late", "garbled"]
TIMING = ("latency", "late")  # faults that fire together with others
PowerFaultKind = Literal["stop_fails", "start_fails", "start_to_error"]
POWER_FAULT_KINDS: tuple[str, ...] = ("stop_fails", "start_fails", "start_to_error")


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
    body: str = "<html><body>Service Unavailable</body></html>"  # garbled: the 200's body

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path_any and not any(fragment in path for fragment in self.path_any):
            return False
        return not self.path_contains or self.path_contains in path

    def describe(self) -> str:
        """One line for people (the playground's fault list)."""
        what = {
            "latency": f"{self.seconds:g} s late",
            "drop": "connection dropped",
            "status": f"HTTP {self.status}",
            "late": f"carried out, answered {self.seconds:g} s later",
            "garbled": "carried out, answered 200 with an unreadable body",
        }[self.kind]
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
        or late fault, then at most one status or drop fault (the first that matches). Each one that
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
                if fault.kind not in TIMING:
                    break
        return fired


@dataclass
class PowerFault:
    """One ECS power fault, used up by the next batch job of its action (stop or start) that
    includes its server (any batch job of that action when ``server_id`` is None)."""

    kind: PowerFaultKind
    server_id: str | None = None
    error_code: str = "Ecs.0000"  # the ECS error-code table's generic "Request error"
    fail_reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in POWER_FAULT_KINDS:
            raise ValueError(f"kind: one of {', '.join(POWER_FAULT_KINDS)}")

    @property
    def action(self) -> str:
        return "stop" if self.kind == "stop_fails" else "start"

    def applies_to(self, action: str, server_ids: list[str]) -> bool:
        return action == self.action and (self.server_id is None or self.server_id in server_ids)

    def reason(self) -> str:
        if self.fail_reason:
            return self.fail_reason
        verb = "stopping" if self.action == "stop" else "starting"
        return f"injected fault: {verb} the server failed"

    def describe(self) -> str:
        who = self.server_id or "every server"
        return f"{self.kind.replace('_', ' ')} ({who}), next {self.action} job"
