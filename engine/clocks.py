"""Due dates of user tasks, from the `dueIn` / `dueAt` properties a designer writes on the task.
`10wd` = the end of the 10th statutory working day after the task became ready (the starting day
not counted, 期间开始之日不计算在内), `30d` calendar days, `1m` calendar months."""
from __future__ import annotations

import re
from datetime import datetime

from engine import clock
from engine.calendars import calendar_for
from engine.workcalendar import end_of_day

_DUE_IN = re.compile(r"^\s*(\d+)\s*(wd|d|m)\s*$")


def parse_due_in(text: str) -> tuple[int, str]:
    match = _DUE_IN.match(text or "")
    if not match:
        raise ValueError(f"dueIn 应写作 10wd（工作日）、30d（自然日）或 1m（月），当前为 {text!r}")
    return int(match.group(1)), match.group(2)


def due_in(text: str, start: datetime, jurisdiction: str | None) -> tuple[datetime, bool]:
    """(deadline, provisional): provisional when a counted year's holiday notice is not loaded."""
    amount, unit = parse_due_in(text)
    cal = calendar_for(jurisdiction)
    day = start.astimezone(clock.SHANGHAI).date()
    if unit == "wd":
        end, provisional = cal.add_workdays_provisional(day, amount)
        return end_of_day(end), provisional
    end = cal.add_days(day, amount) if unit == "d" else cal.add_months(day, amount)
    return end_of_day(end), False


def due_at_value(value, jurisdiction: str | None) -> tuple[datetime | None, bool]:
    """A `dueAt` expression's result (ISO string, date or datetime) as an aware deadline; None (e.g.
    `None if urgent else date_of(...)`) means no deadline."""
    if value is None or value == "":
        return None, False
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=clock.SHANGHAI)
    else:
        moment = clock.parse_instant(str(value))
        if len(str(value)) == 10:  # a bare date: the end of that day
            moment = end_of_day(moment.date())
    day = moment.astimezone(clock.SHANGHAI).date()
    return moment, calendar_for(jurisdiction).is_provisional(day)


def due_for(workflow, task, properties: dict, jurisdiction: str | None,
            start: datetime) -> tuple[datetime | None, bool]:
    """A user task's deadline as it is computed when the task becomes ready at `start` (used again
    when a year's holiday arrangement is loaded, to replace a provisional deadline)."""
    if properties.get("dueAt"):
        with clock.frozen_at(start):
            value = workflow.script_engine.evaluate(task, properties["dueAt"])
        return due_at_value(value, jurisdiction)
    if properties.get("dueIn"):
        return due_in(properties["dueIn"], start, jurisdiction)
    return None, False
