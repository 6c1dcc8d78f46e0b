"""Injectable time. Everything that asks "what time is it" asks here, so tests and `govflow tick
--now` can move the clock instead of sleeping. SpiffWorkflow's timers ask the workflow's script
engine (`engine.sandbox.SandboxScriptEngine.now()`, read by the timer definitions of engine.spiff_ext),
which answers from here unless it was given a clock of its own."""
from __future__ import annotations

import contextlib
import contextvars
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("govflow_now", default=None)


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    value = _frozen.get()
    return value if value is not None else datetime.now(timezone.utc)


@contextlib.contextmanager
def frozen_at(instant: datetime | None):
    """Within the block, `now()` (and so SpiffWorkflow's timers, unless their script engine has a
    clock of its own) answer `instant`."""
    if instant is None:
        yield
        return
    if instant.tzinfo is None:
        raise ValueError("时间必须带时区，例如 2026-10-01T09:00:00+08:00")
    token = _frozen.set(instant.astimezone(timezone.utc))
    try:
        yield
    finally:
        _frozen.reset(token)


def parse_instant(text: str) -> datetime:
    """ISO-8601 with an offset; a bare date or time without offset is read in Asia/Shanghai."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value

