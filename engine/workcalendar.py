"""Business calendar for Chinese working-day (工作日) deadlines.

Period rule: a period counted in days starts the day after its starting event
(期间开始之日不计算在内), and the deadline is the end of the last day (see
``end_of_day``).  ``add_workdays(start, n)`` therefore never counts ``start``.

Each year's arrangement (国务院办公厅 holiday notice) is a ``YearArrangement``.
Years 2004-2026 come from chinese-calendar; later years are loaded explicitly
(``parse_notice`` / database rows).  For a year with no arrangement the calendar
never raises: it answers with a provisional rule (Mon-Fri minus the fixed-date
statutory holidays) and ``is_provisional`` says so.

Pure Python: no Flask, no database access.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
# Fixed-date statutory holidays (2025 rules): 元旦 1/1; 劳动节 5/1-5/2; 国庆节 10/1-10/3.
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LINE_RE = re.compile(r"([A-Za-z]+)\s*[:：]\s*(\S.*)")


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement: only the days that differ from plain Mon-Fri."""

    year: int
    holidays: frozenset[date]  # days off (weekday ones matter; weekend ones are harmless)
    workdays: frozenset[date]  # 调休 working weekend days
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        stray = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if stray:
            raise ValueError(f"{stray[0].isoformat()} 不在 {self.year} 年内")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()} 既是休息日又是工作日")


# The document numbers of the State Council General Office's yearly notices (国办发明电〔year before〕n号)
# whose arrangements chinese-calendar carries; a year whose number is not listed is cited by its title.
NOTICE_NUMBERS = {
    2010: "国办发明电〔2009〕27号", 2014: "国办发明电〔2013〕28号", 2015: "国办发明电〔2014〕28号",
    2016: "国办发明电〔2015〕18号", 2017: "国办发明电〔2016〕17号", 2018: "国办发明电〔2017〕12号",
    2019: "国办发明电〔2018〕15号", 2020: "国办发明电〔2019〕16号", 2021: "国办发明电〔2020〕27号",
    2022: "国办发明电〔2021〕11号", 2023: "国办发明电〔2022〕16号", 2024: "国办发明电〔2023〕7号",
    2025: "国办发明电〔2024〕12号", 2026: "国办发明电〔2025〕7号",
}
# Arrangements changed during the year by a later notice, which the built-in data already follows.
LATER_NOTICES = {
    2015: "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
    2020: "国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）",
}
LIBRARY_SOURCE = re.compile(r"^chinese-calendar\b")


def state_council_notice(year: int) -> str:
    """The official notice a built-in year follows: 国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）,
    with the later notice that changed it, if any."""
    title = f"国务院办公厅关于{year}年部分节假日安排的通知"
    if year in NOTICE_NUMBERS:
        title += f"（{NOTICE_NUMBERS[year]}）"
    if year in LATER_NOTICES:
        title += f"；{LATER_NOTICES[year]}"
    return title


@lru_cache(maxsize=None)
def builtin_arrangement(year: int) -> YearArrangement | None:
    """The arrangement chinese-calendar knows for ``year``, or None (outside 2004-2026 for 1.11.0).

    Stores exactly the dates whose status differs from the plain Mon-Fri rule.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    holidays, workdays = set(), set()
    d = date(year, 1, 1)
    while d.year == year:
        work = chinese_calendar.is_workday(d)
        if d.weekday() < 5 and not work:
            holidays.add(d)
        elif d.weekday() >= 5 and work:
            workdays.add(d)
        d += ONE_DAY
    return YearArrangement(year, frozenset(holidays), frozenset(workdays), state_council_notice(year))


def end_of_day(d: date, tz: ZoneInfo = SHANGHAI) -> datetime:
    """23:59:59 of ``d`` in ``tz`` (a deadline is the end of its last day)."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=tz)


class BusinessCalendar:
    """Working-day arithmetic over per-year arrangements; immutable once built."""

    def __init__(self, arrangements: Iterable[YearArrangement] = (), *, builtin: bool = True) -> None:
        years: dict[int, YearArrangement] = {}
        if builtin:
            first, last = min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year
            years.update((y, builtin_arrangement(y)) for y in range(first, last + 1))
        for arr in arrangements:  # explicit arrangements override builtin ones (last one wins)
            years[arr.year] = arr
        self._years = years

    def with_arrangement(self, arrangement: YearArrangement) -> BusinessCalendar:
        """A new calendar with ``arrangement`` replacing whatever covered its year."""
        new = BusinessCalendar(builtin=False)
        new._years = {**self._years, arrangement.year: arrangement}
        return new

    def known_years(self) -> set[int]:
        return set(self._years)

    def arrangement(self, year: int) -> YearArrangement | None:
        return self._years.get(year)

    def is_provisional(self, d: date) -> bool:
        """True when ``d``'s year has no arrangement loaded (answers use the provisional rule)."""
        return d.year not in self._years

    def is_workday(self, d: date) -> bool:
        """Working day per the year's arrangement, or per the provisional rule; never raises."""
        arr = self._years.get(d.year)
        if arr is None:
            return d.weekday() < 5 and (d.month, d.day) not in FIXED_HOLIDAYS
        return d in arr.workdays or (d.weekday() < 5 and d not in arr.holidays)

    def add_workdays_provisional(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after ``start`` (期间开始之日不计算在内: ``start`` is not counted),
        and whether any day examined on the way fell in a provisional year."""
        if n < 0:
            raise ValueError(f"工作日数不能为负数：{n}")
        d, provisional = start, False
        while n > 0:
            d += ONE_DAY
            provisional = provisional or d.year not in self._years
            if self.is_workday(d):
                n -= 1
        return d, provisional

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself is not counted
        (期间开始之日不计算在内).  ``n == 0`` returns ``start``."""
        return self.add_workdays_provisional(start, n)[0]

    def workdays_between(self, start: date, end: date) -> int:
        """Number of working days in (start, end]; 0 if ``end <= start``."""
        count, d = 0, start
        while d < end:
            d += ONE_DAY
            count += self.is_workday(d)
        return count

    def add_days(self, start: date, n: int) -> date:
        """``n`` calendar days after ``start`` (the starting day is not counted)."""
        return start + timedelta(days=n)

    def add_months(self, start: date, n: int) -> date:
        """Same day ``n`` months later, clipped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
        months = start.year * 12 + start.month - 1 + n
        year, month = divmod(months, 12)
        month += 1
        return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))

    def quarter_start(self, d: date) -> date:
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)

    def next_quarter_start(self, d: date) -> date:
        return self.add_months(self.quarter_start(d), 3)

    def nth_workday_of_quarter(self, d: date, n: int) -> date:
        """The n-th working day of the quarter containing ``d``, its first day counting as day 1."""
        if n < 1:
            raise ValueError(f"n 应不小于 1：{n}")
        first = self.quarter_start(d)
        result = self.add_workdays(first - ONE_DAY, n)
        if result >= self.next_quarter_start(d):
            raise ValueError(f"{first.isoformat()} 所在季度没有第 {n} 个工作日")
        return result


def _parse_dates(value: str, year: int, where: str) -> list[date]:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive), all within ``year``."""
    parts = value.split("..")
    if len(parts) > 2 or not all(_DATE_RE.fullmatch(p.strip()) for p in parts):
        raise ValueError(f"{where}：日期格式应为 YYYY-MM-DD")
    try:
        first, last = (date.fromisoformat(p.strip()) for p in (parts[0], parts[-1]))
    except ValueError:
        raise ValueError(f"{where}：无效日期 {value}") from None
    if last < first:
        raise ValueError(f"{where}：日期范围的结束日早于开始日 {value}")
    for d in (first, last):
        if d.year != year:
            raise ValueError(f"{where}：日期 {d.isoformat()} 不在 {year} 年内")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _build(year: int, source: str | None, holidays: set[date], workdays: set[date]) -> YearArrangement:
    if not source or not source.strip():
        raise ValueError("缺少 source（通知名称）")
    if not holidays:
        raise ValueError(f"{year} 年没有列出任何 holiday")
    return YearArrangement(year, frozenset(holidays), frozenset(workdays), source.strip())


def _parse_json(text: str, year: int) -> YearArrangement:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"第{exc.lineno}行：JSON 格式错误（{exc.msg}）") from None
    if not isinstance(data, dict):
        raise ValueError("JSON：顶层应为对象")
    if data.get("year", year) != year:
        raise ValueError(f"JSON：year 为 {data.get('year')!r}，应为 {year}")
    found: dict[str, set[date]] = {"holidays": set(), "workdays": set()}
    for key, days in found.items():
        items = data.get(key, [])
        if not isinstance(items, list):
            raise ValueError(f"JSON：{key} 应为列表")
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ValueError(f"JSON：{key}[{i}]：日期格式应为 YYYY-MM-DD")
            days.update(_parse_dates(item, year, f"JSON：{key}[{i}]"))
    return _build(year, data.get("source"), found["holidays"], found["workdays"])


def parse_notice(text: str, year: int) -> YearArrangement:
    """Parse an import file (line format or JSON, detected by a leading ``{``) for ``year``.

    Line format: ``year: 2027``, ``source: …``, ``holiday: 2027-02-06..2027-02-13 春节``,
    ``workday: 2027-02-14 春节调休``; ``#`` starts a comment.  Errors are ``ValueError``
    with a Chinese message naming the line (``第3行：…``).
    """
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("{"):
        return _parse_json(text, year)
    fields: dict = {"holiday": set(), "workday": set()}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _LINE_RE.fullmatch(line)
        if m is None:
            raise ValueError(f"第{lineno}行：应为“键: 值”格式，如 holiday: {year}-01-01 元旦")
        _apply_line(fields, m.group(1).lower(), m.group(2), year, f"第{lineno}行")
    return _build(year, fields.get("source"), fields["holiday"], fields["workday"])


def _apply_line(fields: dict, key: str, value: str, year: int, where: str) -> None:
    if key == "year":
        if value != str(year):
            raise ValueError(f"{where}：年份 {value} 与导入年份 {year} 不符")
    elif key == "source":
        if "source" in fields:
            raise ValueError(f"{where}：source 重复")
        fields["source"] = value
    elif key in ("holiday", "workday"):
        value = re.sub(r"\s*\.\.\s*", "..", value)  # "a .. b" is still one range
        found = _parse_dates(value.split()[0], year, where)  # the rest of the line is the holiday's name
        clash = sorted(fields["workday" if key == "holiday" else "holiday"].intersection(found))
        if clash:
            raise ValueError(f"{where}：{clash[0].isoformat()} 同时列为 holiday 和 workday")
        fields[key].update(found)
    else:
        raise ValueError(f"{where}：未知的键 {key}（应为 year、source、holiday 或 workday）")
