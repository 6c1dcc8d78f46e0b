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
from engine.calendars import Calendars
from engine.workcalendar import end_of_day

WORKDAY_DURATION = re.compile(r"^\s*P(\d+)WD\s*$", re.IGNORECASE)
ARMED_AT, PROVISIONAL = "govflow_armed_at", "govflow_provisional"


def _local_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(clock.SHANGHAI).date()
    if isinstance(value, date):
        return value
    return _local_date(clock.parse_instant(str(value)))


class _Helpers:
    """The helpers of one jurisdiction; `helpers_for` hands out its public methods by name."""

    NAMES = ("add_workdays", "add_days", "add_months", "date_of", "start_of", "quarter_workday",
             "next_quarter_start", "today", "current_year", "is_workday", "provisional", "next_date",
             "declaration_opens", "declaration_closes", "workdays_late")

    def __init__(self, jurisdiction: str | None, calendars: Calendars, registry=None, time_source=None):
        self.jurisdiction = jurisdiction
        self.calendars = calendars
        self.registry = registry
        self.time_source = time_source or clock     # the runtime's clock: anything with now()

    def _today(self) -> date:
        return self.time_source.now().astimezone(clock.SHANGHAI).date()

    def _as_date(self, value) -> date:
        return self._today() if value is None else _local_date(value)

    def cal(self):
        return self.calendars.calendar_for(self.jurisdiction)

    def add_workdays(self, n, start=None):
        return end_of_day(self.cal().add_workdays(self._as_date(start), int(n))).isoformat()

    def workdays_late(self, due, done=None):
        """Working days after the day of `due` up to the day of `done` (default today): 0 when on time;
        handing in during the n-th working day past the deadline is n working days late."""
        return self.cal().workdays_between(_local_date(due), self._as_date(done))

    def add_days(self, n, start=None):
        return end_of_day(self.cal().add_days(self._as_date(start), int(n))).isoformat()

    def add_months(self, n, start=None):
        return end_of_day(self.cal().add_months(self._as_date(start), int(n))).isoformat()

    def date_of(self, year, month, day):
        return end_of_day(date(int(year), int(month), int(day))).isoformat()

    def start_of(self, year, month, day):
        return datetime.combine(date(int(year), int(month), int(day)), time(0, 0),
                                clock.SHANGHAI).isoformat()

    def quarter_workday(self, n, start=None):
        return end_of_day(self.cal().nth_workday_of_quarter(self._as_date(start), int(n))).isoformat()

    def next_quarter_start(self, start=None):
        first = self.cal().next_quarter_start(self._as_date(start))
        return datetime.combine(first, time(0, 0), clock.SHANGHAI).isoformat()

    def next_date(self, month, day, start=None):
        """The end of the next (month, day) on or after `start` (default today): 每年5月底前 → next_date(5, 31)."""
        base = self._as_date(start)
        found = date(base.year, int(month), int(day))
        if found < base:
            found = date(base.year + 1, int(month), int(day))
        return end_of_day(found).isoformat()

    def _window(self, plan_year):
        if self.registry is None:
            raise ValueError("此处无法读取辖区的申报规则")
        jurisdiction = self.registry.get(self.jurisdiction)
        return jurisdiction.declaration_opens(int(plan_year)), jurisdiction.declaration_deadline(int(plan_year))

    def declaration_opens(self, plan_year):
        """00:00 of the first day of the yearly declaration for `plan_year` (the call's opening day)."""
        opens = self._window(plan_year)[0]
        if opens is None:
            raise ValueError(f"{self.jurisdiction} 未配置申报开始日期")
        return datetime.combine(opens, time(0, 0), clock.SHANGHAI).isoformat()

    def declaration_closes(self, plan_year):
        """The end of the last day of the yearly declaration for `plan_year`."""
        closes = self._window(plan_year)[1]
        if closes is None:
            raise ValueError(f"{self.jurisdiction} 未配置申报截止日期")
        return end_of_day(closes).isoformat()

    def today(self):
        return self._today().isoformat()

    def current_year(self):
        return self._today().year

    def is_workday(self, value=None):
        return self.cal().is_workday(self._as_date(value))

    def provisional(self, value=None, since=None):
        """True when a day from `since` (default today) to `value` lies in a year whose holiday
        arrangement is not loaded yet (the answer uses the provisional rule, 暂定)."""
        first, last = sorted((self._as_date(since), self._as_date(value)))
        return any(self.cal().is_provisional(date(year, 1, 1)) for year in range(first.year, last.year + 1))


def helpers_for(jurisdiction: str | None, calendars: Calendars | None = None, registry=None,
                time_source=None) -> dict:
    """The functions a diagram expression may call, bound to the jurisdiction's calendar (of the
    runtime's `calendars`; without one, chinese-calendar's years only) and declaration rules."""
    helpers = _Helpers(jurisdiction, calendars or Calendars(), registry, time_source)
    return {name: getattr(helpers, name) for name in _Helpers.NAMES}


# --- working-day timer durations ------------------------------------------------------------------
# Called by the timer event definitions of engine.spiff_ext when a timer is first reached.

def now_of(task) -> datetime:
    """The current instant as the task's workflow sees it: its script engine's `now()` (see
    engine.sandbox), engine.clock.now() for an engine without one."""
    now = getattr(task.workflow.script_engine, "now", None)
    return now() if callable(now) else clock.now()


def _helpers_of(task) -> dict:
    """The helpers bound into the task's script engine (so the jurisdiction's calendar is used)."""
    environment = getattr(task.workflow.script_engine, "environment", None)
    helpers = getattr(environment, "globals", None) or {}
    return helpers if "add_workdays" in helpers else helpers_for(None)


def _deadline(definition, task, value, start: datetime) -> tuple[str, bool]:
    """The ISO deadline of a timer reached at `start` whose expression answered `value`, and whether
    the calendar may have decided it (working days, or a date an expression computed; not a plain
    ISO duration)."""
    match = WORKDAY_DURATION.match(value) if isinstance(value, str) else None
    if match:
        return _helpers_of(task)["add_workdays"](int(match.group(1))), True
    if isinstance(definition, DurationTimerEventDefinition):
        parsed = TimerEventDefinition.parse_iso_duration(value)
        return (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat(), False
    return value, isinstance(value, str) and not value.upper().startswith("P")


def arm(definition, task, now: datetime | None = None) -> None:
    """Fix the deadline of a timer reached now (default: the workflow's now), noting when and
    whether it is provisional."""
    now = now or now_of(task)
    value = task.workflow.script_engine.evaluate(task, definition.expression)
    deadline, by_calendar = _deadline(definition, task, value, now)
    provisional = by_calendar and bool(_helpers_of(task)["provisional"](deadline))
    task.internal_data.update({"event_value": deadline, ARMED_AT: now.isoformat(), PROVISIONAL: provisional})


def rearm(task) -> datetime | None:
    """Compute a pending timer's provisional deadline again as of the moment it was reached (after
    that year's holiday arrangement was loaded). Returns the new deadline, or None when the timer's
    deadline was not provisional (or was reached before govflow noted when)."""
    definition = getattr(task.task_spec, "event_definition", None)
    armed_at = task.internal_data.get(ARMED_AT)
    if not isinstance(definition, (TimeDateEventDefinition, DurationTimerEventDefinition)) or not armed_at \
            or not task.internal_data.get(PROVISIONAL):
        return None
    armed_at = datetime.fromisoformat(armed_at)
    with clock.frozen_at(armed_at):                 # the helpers count from the day it was reached
        arm(definition, task, armed_at)
    return TimerEventDefinition.get_datetime(task.internal_data["event_value"])
