"""Tests for engine.workcalendar, checked against chinese_calendar itself."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.workcalendar import (
    BusinessCalendar,
    YearArrangement,
    builtin_arrangement,
    end_of_day,
    parse_notice,
)

CAL = BusinessCalendar()
ONE_DAY = timedelta(days=1)

NOTICE_2027 = """\
# 2027 年部分节假日安排
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
holiday: 2027-01-01 元旦
holiday: 2027-02-06..2027-02-13 春节
workday: 2027-02-14 春节调休   # 星期日上班
"""


def step_with_chinese_calendar(start: date, n: int) -> date:
    """Reference: the n-th day after start on which chinese_calendar.is_workday is true."""
    d = start
    while n:
        d += ONE_DAY
        if chinese_calendar.is_workday(d):
            n -= 1
    return d


def days_of(year: int):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += ONE_DAY


def test_it_adds_ten_workdays_across_national_day_2025():
    start = date(2025, 9, 26)  # Friday
    result = CAL.add_workdays(start, 10)
    assert result == step_with_chinese_calendar(start, 10)
    # 9/28 Sun(1) 9/29(2) 9/30(3) [10/1-10/8 off] 10/9(4) 10/10(5) 10/11 Sat(6)
    # 10/13(7) 10/14(8) 10/15(9) 10/16(10)
    assert result == date(2025, 10, 16)
    assert CAL.workdays_between(start, result) == 10


def test_it_does_not_count_the_starting_day():
    monday = date(2025, 3, 3)
    assert CAL.is_workday(monday)
    assert CAL.add_workdays(monday, 1) == date(2025, 3, 4)
    assert CAL.add_workdays(date(2025, 3, 7), 1) == date(2025, 3, 10)  # Friday -> Monday
    assert CAL.add_workdays(monday, 0) == monday
    assert CAL.workdays_between(monday, monday) == 0
    assert CAL.workdays_between(monday, date(2025, 3, 1)) == 0
    with pytest.raises(ValueError):
        CAL.add_workdays(monday, -1)


def test_it_counts_a_tiaoxiu_saturday_as_a_workday():
    saturday = date(2025, 10, 11)
    assert saturday.weekday() == 5
    assert CAL.is_workday(saturday)
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday workday
    assert not CAL.is_workday(date(2025, 10, 8))  # Wednesday off
    assert CAL.add_workdays(date(2025, 10, 10), 1) == saturday
    assert CAL.add_workdays(date(2025, 10, 10), 1) == step_with_chinese_calendar(date(2025, 10, 10), 1)


def test_it_matches_chinese_calendar_for_every_day_of_2024_to_2026():
    for year in (2024, 2025, 2026):
        assert not CAL.is_provisional(date(year, 6, 1))
        for d in days_of(year):
            assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d


def test_it_matches_chinese_calendar_for_add_workdays_from_every_day_of_2025():
    for d in days_of(2025):
        for n in (1, 5, 20):
            assert CAL.add_workdays(d, n) == step_with_chinese_calendar(d, n), (d, n)


def test_it_builds_builtin_arrangements_from_the_differences_only():
    arr = builtin_arrangement(2025)
    assert arr is not None and arr.year == 2025
    assert arr.source == "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
    assert arr.workdays == {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27),
                            date(2025, 9, 28), date(2025, 10, 11)}
    assert date(2025, 10, 8) in arr.holidays
    assert date(2025, 10, 4) not in arr.holidays  # Saturday: off anyway, not a difference
    assert all(d.weekday() < 5 for d in arr.holidays)
    assert builtin_arrangement(2027) is None and builtin_arrangement(2003) is None
    assert BusinessCalendar().known_years() == set(range(2004, 2027))
    assert BusinessCalendar(builtin=False).known_years() == set()


def test_it_answers_2027_provisionally_without_raising():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 10, 4))
    for d in days_of(2027):
        CAL.is_workday(d)
        assert CAL.is_provisional(d)
    for day in (1, 2, 3):
        assert not CAL.is_workday(date(2027, 10, day))
    assert date(2027, 10, 4).weekday() == 0 and CAL.is_workday(date(2027, 10, 4))
    assert date(2027, 1, 1).weekday() == 4 and not CAL.is_workday(date(2027, 1, 1))
    # 5/1-5/2 fall on a weekend in 2027; the provisional rule adds no 补休, so Monday 5/3 is a workday.
    assert not CAL.is_workday(date(2027, 5, 1)) and CAL.is_workday(date(2027, 5, 3))
    assert CAL.is_workday(date(2027, 2, 10))  # Wednesday, 春节 unknown provisionally
    assert not CAL.is_workday(date(2027, 2, 14))  # Sunday
    assert CAL.is_workday(date(9999, 12, 31)) and CAL.is_workday(date(1, 1, 3))


def test_it_uses_a_loaded_2027_arrangement():
    arr = parse_notice(NOTICE_2027, 2027)
    cal = CAL.with_arrangement(arr)
    assert 2027 in cal.known_years() and 2027 not in CAL.known_years()  # original untouched
    d = date(2027, 2, 10)
    assert not cal.is_provisional(d) and CAL.is_provisional(d)
    assert not cal.is_workday(d)
    assert cal.is_workday(date(2027, 2, 14))
    assert CAL.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 8)
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 14)
    assert cal.add_workdays_provisional(date(2027, 2, 5), 3) == (date(2027, 2, 16), False)
    # Only the listed days differ: 2027-10-01 is a plain Friday in this (incomplete) notice.
    assert cal.is_workday(date(2027, 10, 1)) and not CAL.is_workday(date(2027, 10, 1))
    # Explicit arrangements override the builtin year too.
    override = YearArrangement(2025, frozenset({date(2025, 3, 3)}), frozenset(), "test")
    cal2 = BusinessCalendar([override])
    assert not cal2.is_workday(date(2025, 3, 3)) and cal2.is_workday(date(2025, 10, 8))


def test_it_crosses_from_2026_into_2027():
    start = date(2026, 12, 25)  # Friday
    # 12/28(1) 12/29(2) 12/30(3) 12/31(4), 2027-01-01 off provisionally, 2027-01-04 Monday (5)
    assert CAL.add_workdays(start, 5) == date(2027, 1, 4)
    assert CAL.add_workdays_provisional(start, 5) == (date(2027, 1, 4), True)
    assert CAL.add_workdays_provisional(start, 4) == (date(2026, 12, 31), False)
    assert CAL.workdays_between(start, date(2027, 1, 4)) == 5


def test_it_finds_the_nth_workday_of_a_quarter():
    # Q4 2025: 10/1-10/8 off; 10/9 Thu(1) 10/10 Fri(2) 10/11 Sat(3) 10/13 Mon(4) 10/14 Tue(5)
    assert CAL.nth_workday_of_quarter(date(2025, 11, 20), 5) == date(2025, 10, 14)
    assert CAL.nth_workday_of_quarter(date(2025, 12, 31), 1) == date(2025, 10, 9)
    # Q1 2026: 1/1-1/3 off, 1/4 Sunday is a workday -> 1/4(1) 1/5 1/6 1/7 1/8(5)
    assert CAL.nth_workday_of_quarter(date(2026, 2, 1), 5) == date(2026, 1, 8)
    assert CAL.nth_workday_of_quarter(date(2026, 3, 31), 1) == date(2026, 1, 4)
    for d, n in ((date(2025, 11, 1), 5), (date(2026, 2, 1), 5), (date(2025, 5, 1), 3)):
        first = CAL.quarter_start(d)
        assert CAL.nth_workday_of_quarter(d, n) == step_with_chinese_calendar(first - ONE_DAY, n)
    with pytest.raises(ValueError):
        CAL.nth_workday_of_quarter(date(2025, 1, 1), 0)
    with pytest.raises(ValueError):
        CAL.nth_workday_of_quarter(date(2025, 1, 1), 80)


def test_it_computes_quarter_boundaries():
    assert CAL.quarter_start(date(2025, 11, 20)) == date(2025, 10, 1)
    assert CAL.quarter_start(date(2025, 3, 31)) == date(2025, 1, 1)
    assert CAL.next_quarter_start(date(2025, 11, 20)) == date(2026, 1, 1)
    assert CAL.next_quarter_start(date(2025, 4, 1)) == date(2025, 7, 1)


def test_it_adds_days_and_clips_months():
    assert CAL.add_days(date(2025, 12, 25), 10) == date(2026, 1, 4)
    assert CAL.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert CAL.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert CAL.add_months(date(2025, 3, 31), 1) == date(2025, 4, 30)
    assert CAL.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert CAL.add_months(date(2025, 1, 31), -2) == date(2024, 11, 30)
    assert CAL.add_months(date(2025, 8, 31), 0) == date(2025, 8, 31)


def test_it_returns_end_of_day_in_shanghai():
    eod = end_of_day(date(2025, 10, 16))
    assert eod == datetime(2025, 10, 16, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert eod.utcoffset() == timedelta(hours=8)
    assert end_of_day(date(2025, 10, 16), ZoneInfo("UTC")).utcoffset() == timedelta(0)


def test_it_parses_the_line_format():
    arr = parse_notice("\ufeff" + NOTICE_2027.replace("workday: ", "workday：", 1), 2027)
    assert arr.year == 2027
    assert arr.source == "国务院办公厅关于2027年部分节假日安排的通知"
    assert arr.holidays == {date(2027, 1, 1)} | {date(2027, 2, d) for d in range(6, 14)}
    assert arr.workdays == {date(2027, 2, 14)}
    spaced = parse_notice("source: x\nholiday: 2027-02-06 .. 2027-02-08 春节\n", 2027)
    assert spaced.holidays == {date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)}


def test_it_parses_the_json_format():
    text = ('{"year": 2027, "source": "通知", "holidays": ["2027-01-01", "2027-02-06..2027-02-13"],'
            ' "workdays": ["2027-02-14"]}')
    arr = parse_notice("\n  " + text, 2027)
    line_form = parse_notice(NOTICE_2027, 2027)
    assert (arr.year, arr.source) == (2027, "通知")
    assert (arr.holidays, arr.workdays) == (line_form.holidays, line_form.workdays)


@pytest.mark.parametrize(("text", "message"), [
    ("year: 2027\nsource: x\nholiday: 2027/01/01 元旦\n", "第3行：日期格式应为 YYYY-MM-DD"),
    ("year: 2027\nsource: x\n\nholiday: 2026-12-31\n", "第4行：日期 2026-12-31 不在 2027 年内"),
    ("year: 2027\nsource: x\nholiday: 2027-02-30\n", "第3行：无效日期 2027-02-30"),
    ("year: 2027\nsource: x\nholiday: 2027-02-13..2027-02-06\n", "第3行：日期范围的结束日早于开始日"),
    ("year: 2027\nsource: x\nholiday: 2027-12-31..2028-01-02\n", "第3行：日期 2028-01-02 不在 2027 年内"),
    ("# c\nyear: 2026\n", "第2行：年份 2026 与导入年份 2027 不符"),
    ("source: x\nholiday 2027-01-01\n", "第2行：应为“键: 值”格式"),
    ("source: x\nholiday:\n", "第2行：应为“键: 值”格式"),
    ("source: x\nrest: 2027-01-01\n", "第2行：未知的键 rest"),
    ("source: x\nsource: y\n", "第2行：source 重复"),
    ("source: x\nholiday: 2027-02-13\nworkday: 2027-02-13\n", "第3行：2027-02-13 同时列为 holiday"),
    ("holiday: 2027-01-01\n", "缺少 source"),
    ("source: x\nworkday: 2027-02-14\n", "没有列出任何 holiday"),
    ('{"year": 2027,\n "holidays": [2027]}', "JSON：holidays[0]：日期格式应为 YYYY-MM-DD"),
    ('{"source": "x", "holidays": ["2027-01-01", "2026-01-01"]}', "JSON：holidays[1]：日期 2026-01-01 不在"),
    ('{"year": 2028, "source": "x", "holidays": ["2027-01-01"]}', "JSON：year 为 2028，应为 2027"),
    ('{"source": "x", "holidays": ["2027-02-14"], "workdays": ["2027-02-14"]}', "既是休息日又是工作日"),
    ('{"year": 2027,\n "source": "x",\n "holidays": [,]}', "第3行：JSON 格式错误"),
])
def test_it_rejects_malformed_notices_with_chinese_messages(text, message):
    with pytest.raises(ValueError) as exc:
        parse_notice(text, 2027)
    assert message in str(exc.value)


def test_it_rejects_inconsistent_arrangements():
    with pytest.raises(ValueError, match="不在 2027 年内"):
        YearArrangement(2027, frozenset({date(2026, 1, 1)}), frozenset(), "x")
    with pytest.raises(ValueError, match="既是休息日又是工作日"):
        YearArrangement(2027, frozenset({date(2027, 1, 2)}), frozenset({date(2027, 1, 2)}), "x")


def test_it_keeps_weekend_holidays_harmlessly():
    arr = parse_notice("source: x\nholiday: 2027-02-06..2027-02-07 周末\n", 2027)
    assert date(2027, 2, 6) in arr.holidays  # Saturday, stored
    cal = BusinessCalendar([arr], builtin=False)
    assert not cal.is_workday(date(2027, 2, 6)) and cal.is_workday(date(2027, 2, 8))
    assert cal.is_provisional(date(2026, 6, 1))
