"""Due dates of user tasks, from the `dueIn` / `dueAt` properties a designer writes on the task.
`10wd` = the end of the 10th statutory working day after the task became ready (the starting day
not counted, 期间开始之日不计算在内), `30d` calendar days, `1m` calendar months."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from engine import clock
from engine.workcalendar import BusinessCalendar, end_of_day

_DUE_IN = re.compile(r"^\s*(\d+)\s*(wd|d|m)\s*$")


def local_iso(value: datetime | None) -> str | None:
    """An instant as ISO-8601 in Beijing time (how answers show it), or None."""
    return value.astimezone(clock.SHANGHAI).isoformat() if value else None


def parse_due_in(text: str) -> tuple[int, str]:
    match = _DUE_IN.match(text or "")
    if not match:
        raise ValueError(f"dueIn 应写作 10wd（工作日）、30d（自然日）或 1m（月），当前为 {text!r}")
    return int(match.group(1)), match.group(2)


def due_in(text: str, start: datetime, cal: BusinessCalendar) -> tuple[datetime, bool]:
    """(deadline, provisional) on the calendar `cal`: provisional when a counted year's holiday notice
    is not loaded."""
    amount, unit = parse_due_in(text)
    day = start.astimezone(clock.SHANGHAI).date()
    if unit == "wd":
        end, provisional = cal.add_workdays_provisional(day, amount)
        return end_of_day(end), provisional
    end = cal.add_days(day, amount) if unit == "d" else cal.add_months(day, amount)
    return end_of_day(end), False


def due_at_value(value, cal: BusinessCalendar) -> tuple[datetime | None, bool]:
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
    return moment, cal.is_provisional(day)


def paused_clock_due(text: str, start: datetime, cal: BusinessCalendar,
                     earlier: list[tuple[datetime, datetime, str | None]]) -> tuple[datetime, bool]:
    """The deadline of a task on a paused clock (`clock` property, docs/modelling.md).

    `earlier` lists the (ready, completed, decision) of the instance's completed tasks on the same
    clock, newest first. The rounds that ended with `decision == "return"` — the matter went back to
    its owner — since the clock last stopped used part of the budget: the working (or calendar)
    days from each round's ready day (not counted) to its completion day. The rest of the budget
    counts from `start`; the days the matter spent with the owner are not counted."""
    amount, unit = parse_due_in(text)
    if unit == "m":
        raise ValueError("暂停计时（clock）只支持工作日（wd）或自然日（d）")
    used = 0
    for ready, completed, decision in earlier:
        if decision != "return":
            break
        first, last = (moment.astimezone(clock.SHANGHAI).date() for moment in (ready, completed))
        used += cal.workdays_between(first, last) if unit == "wd" else max((last - first).days, 0)
    return due_in(f"{max(amount - used, 0)}{unit}", start, cal)


def held_workdays(held_from: datetime, held_until: datetime, cal: BusinessCalendar) -> int:
    """The statutory working days a suspension took: those in (the day it began, the day it ended]."""
    first, last = (moment.astimezone(clock.SHANGHAI).date() for moment in (held_from, held_until))
    return cal.workdays_between(first, last)


def extended(deadline: datetime, unit: str, held_from: datetime, held_until: datetime,
             cal: BusinessCalendar) -> datetime:
    """A deadline moved past a suspension (暂停 … 恢复): a working-day clock (`unit` "wd") by the
    working days the suspension took — a weekend or a 国庆 holiday held costs it nothing — any other
    clock (calendar days, months, a fixed date) by the time held. The time of day is kept."""
    if unit != "wd":
        return deadline + max(held_until - held_from, timedelta(0))
    local = deadline.astimezone(clock.SHANGHAI)
    moved = cal.add_workdays(local.date(), held_workdays(held_from, held_until, cal))
    return datetime.combine(moved, local.timetz()).astimezone(deadline.tzinfo)


def unit_of(properties: dict) -> str:
    """The unit of a user task's clock: "wd", "d" or "m" from `dueIn`; for a `dueAt` expression "wd"
    when it counts working days (add_workdays …), else "date" (a fixed day)."""
    if properties.get("dueIn"):
        try:
            return parse_due_in(properties["dueIn"])[1]
        except ValueError:
            return "d"
    return timer_unit(properties.get("dueAt")) if properties.get("dueAt") else "date"


def timer_unit(expression: str | None) -> str:
    """A timer's (or a `dueAt`'s) clock: working days when its expression counts them (add_workdays …),
    else calendar time."""
    return "wd" if expression and "add_workdays" in expression else "d"


def warn_instant(cal: BusinessCalendar, start: datetime, due: datetime, percent: int) -> datetime:
    """The instant at which `percent` % of the working time between `start` and `due` is used: the
    hours of working days count, those of weekends and holidays do not (calendar time when the whole
    span lies in non-working days)."""
    if due <= start:
        return due
    segments = []
    day = start.astimezone(clock.SHANGHAI).date()
    last = due.astimezone(clock.SHANGHAI).date()
    while day <= last:
        if cal.is_workday(day):
            begin = datetime(day.year, day.month, day.day, tzinfo=clock.SHANGHAI)
            lo, hi = max(begin, start), min(begin + timedelta(days=1), due)
            if hi > lo:
                segments.append((lo, hi))
        day += timedelta(days=1)
    total = sum(((hi - lo) for lo, hi in segments), timedelta())
    if not total:
        return start + (due - start) * percent / 100
    left = total * percent / 100
    for lo, hi in segments:
        if hi - lo >= left:
            return lo + left
        left -= hi - lo
    return due
