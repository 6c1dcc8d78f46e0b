"""Date helpers offered to diagram expressions (timers, `dueAt`, scripts). They answer in ISO-8601
strings with an offset, because SpiffWorkflow's timers take strings, and they read the injectable
clock, so moving time in a test moves them too. Working days follow the statutory calendar, the
starting day not counted (期间开始之日不计算在内)."""
from __future__ import annotations

from datetime import date, datetime, time

from engine import clock
from engine.calendars import calendar_for
from engine.workcalendar import end_of_day


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

    return {
        "add_workdays": add_workdays, "add_days": add_days, "add_months": add_months,
        "date_of": date_of, "start_of": start_of, "quarter_workday": quarter_workday,
        "next_quarter_start": next_quarter_start, "today": today, "current_year": current_year,
    }
