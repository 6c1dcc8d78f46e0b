"""Date helpers offered to diagram expressions (timers, `dueAt`, scripts), and working-day timer
durations. The helpers answer in ISO-8601 strings with an offset, because SpiffWorkflow's timers take
strings, and they read the injectable clock, so moving time in a test moves them too. Working days
follow the jurisdiction's calendar, the starting day not counted (期间开始之日不计算在内).

A timer's expression may also answer `"P10WD"` (10 working days; `WD` is ours, ISO 8601 has no
working days): the deadline is then the end of the 10th working day after the timer is reached. When a
timer is first reached we note when (`govflow_armed_at`) and whether its deadline rests on a year
whose holiday arrangement is not loaded yet (`govflow_provisional`), so `rearm` can compute it again
once that year is loaded."""
from __future__ import annotations

import re
from datetime import date, datetime, time

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine import clock
from engine.calendars import calendar_for
from engine.workcalendar import end_of_day

WORKDAY_DURATION = re.compile(r"^\s*P(\d+)WD\s*$", re.IGNORECASE)
ARMED_AT, PROVISIONAL = "govflow_armed_at", "govflow_provisional"


def _today() -> date:
    return clock.now().astimezone(clock.SHANGHAI).date()


def _as_date(value) -> date:
    if value is None:
        return _today()
    if isinstance(value, datetime):
        return value.astimezone(clock.SHANGHAI).date()
    if isinstance(value, date):
        return value
    return _as_date(clock.parse_instant(str(value)))


def helpers_for(jurisdiction: str | None) -> dict:
    """The functions a diagram expression may call, bound to the jurisdiction's calendar."""

    def cal():
        return calendar_for(jurisdiction)

    def add_workdays(n, start=None):
        return end_of_day(cal().add_workdays(_as_date(start), int(n))).isoformat()

    def add_days(n, start=None):
        return end_of_day(cal().add_days(_as_date(start), int(n))).isoformat()

    def add_months(n, start=None):
        return end_of_day(cal().add_months(_as_date(start), int(n))).isoformat()

    def date_of(year, month, day):
        return end_of_day(date(int(year), int(month), int(day))).isoformat()

    def start_of(year, month, day):
        return datetime.combine(date(int(year), int(month), int(day)), time(0, 0),
                                clock.SHANGHAI).isoformat()

    def quarter_workday(n, start=None):
        return end_of_day(cal().nth_workday_of_quarter(_as_date(start), int(n))).isoformat()

    def next_quarter_start(start=None):
        first = cal().next_quarter_start(_as_date(start))
        return datetime.combine(first, time(0, 0), clock.SHANGHAI).isoformat()

    def today():
        return _today().isoformat()

    def current_year():
        return _today().year

    def is_workday(value=None):
        return cal().is_workday(_as_date(value))

    def provisional(value=None, since=None):
        """True when a day from `since` (default today) to `value` lies in a year whose holiday
        arrangement is not loaded yet (the answer uses the provisional rule, 暂定)."""
        first, last = sorted((_as_date(since), _as_date(value)))
        return any(cal().is_provisional(date(year, 1, 1)) for year in range(first.year, last.year + 1))

    return {
        "add_workdays": add_workdays, "add_days": add_days, "add_months": add_months,
        "date_of": date_of, "start_of": start_of, "quarter_workday": quarter_workday,
        "next_quarter_start": next_quarter_start, "today": today, "current_year": current_year,
        "is_workday": is_workday, "provisional": provisional,
    }


# --- working-day timer durations ------------------------------------------------------------------

def _helpers_of(task) -> dict:
    """The helpers bound into the task's script engine (so the jurisdiction's calendar is used)."""
    environment = getattr(task.workflow.script_engine, "environment", None)
    helpers = getattr(environment, "globals", None) or {}
    return helpers if "add_workdays" in helpers else helpers_for(None)


def _deadline(definition, task, value) -> str:
    """The ISO deadline of a timer whose expression answered `value`."""
    match = WORKDAY_DURATION.match(value) if isinstance(value, str) else None
    if match:
        return _helpers_of(task)["add_workdays"](int(match.group(1)))
    if isinstance(definition, DurationTimerEventDefinition):
        start = clock.now()
        parsed = TimerEventDefinition.parse_iso_duration(value)
        return (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
    return value


def arm(definition, task) -> None:
    """Fix the deadline of a timer reached now, noting when and whether it is provisional."""
    value = task.workflow.script_engine.evaluate(task, definition.expression)
    deadline = _deadline(definition, task, value)
    provisional = False
    if isinstance(deadline, str) and not deadline.upper().startswith("P"):
        provisional = bool(_helpers_of(task)["provisional"](deadline))
    task._set_internal_data(event_value=deadline, **{ARMED_AT: clock.now().isoformat(),
                                                     PROVISIONAL: provisional})


def rearm(task) -> str | None:
    """Compute a pending timer's deadline again as of the moment it was reached (after that year's
    holiday arrangement was loaded). Returns the new ISO deadline, or None if it cannot be redone."""
    definition = getattr(task.task_spec, "event_definition", None)
    armed_at = task._get_internal_data(ARMED_AT)
    if not isinstance(definition, (TimeDateEventDefinition, DurationTimerEventDefinition)) or not armed_at:
        return None
    with clock.frozen_at(datetime.fromisoformat(armed_at)):
        arm(definition, task)
    return task._get_internal_data("event_value")


def _with_arming(original):
    def has_fired(self, my_task):
        if my_task._get_internal_data("event_value") is None:
            arm(self, my_task)
        return original(self, my_task)

    has_fired.__wrapped__ = original
    return has_fired


for _cls in (TimeDateEventDefinition, DurationTimerEventDefinition):
    if not hasattr(_cls.has_fired, "__wrapped__"):
        _cls.has_fired = _with_arming(_cls.has_fired)
