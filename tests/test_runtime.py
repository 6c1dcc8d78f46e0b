"""One runtime per app or command, nothing in module globals: two runtimes in one process never see
each other's registry additions, loaded holiday years or clock."""
from __future__ import annotations

from datetime import date, datetime, timezone

from engine.config import ROOT
from engine.registry import ProcessDef
from engine.runtime_env import Runtime
from engine.workcalendar import YearArrangement


class FixedClock:
    def __init__(self, instant: datetime):
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


def test_two_runtimes_keep_their_registries_apart():
    first, second = Runtime.from_data_dir(ROOT), Runtime.from_data_dir(ROOT)
    first.registry.with_process("yeji", ProcessDef(key="yeji.extra", name="附加流程", file="x.bpmn"))
    assert "yeji.extra" in first.registry.get("yeji").processes
    assert "yeji.extra" not in second.registry.get("yeji").processes


def test_two_runtimes_keep_their_calendars_apart():
    first, second = Runtime.from_data_dir(ROOT), Runtime.from_data_dir(ROOT)
    year = YearArrangement(year=2027, holidays=frozenset({date(2027, 1, 4)}), workdays=frozenset(),
                           source="测试通知")
    first.calendars.install_arrangement(year)
    assert first.calendar("yeji").is_workday(date(2027, 1, 4)) is False
    assert first.calendar("yeji").is_provisional(date(2027, 1, 4)) is False
    assert second.calendar("yeji").is_provisional(date(2027, 1, 4)) is True


def test_the_date_helpers_read_the_runtimes_clock():
    runtime = Runtime.from_data_dir(ROOT, clock=FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)))
    helpers = runtime.helpers("yeji")
    assert helpers["today"]() == "2026-03-02"
    assert helpers["add_workdays"](5) == "2026-03-09T23:59:59+08:00"
