"""What one tick did: the result type shared by timers.tick and schedules.run_due (a module of its
own, so that schedules need not import timers, which runs it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Fired:
    kind: str          # "timer" | "overdue" | "failed" | "schedule" | "schedule_failed"
    instance_id: int | None
    element_id: str
    title: str
    detail: str = ""
