"""How govflow writes a date for a reader: 2026年12月1日 and 2026年12月1日 09:30, in Beijing time — on
pages, in flash messages, in refusals, in notices and documents alike. Pure Python (the web app
registers these as the Jinja filters `cn_date` / `cn_datetime`; engine code calls them directly)."""
from __future__ import annotations

from datetime import date, datetime

from engine import clock


def _as_local(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(clock.SHANGHAI)


def cn_date(value) -> str:
    """2026年11月23日 (an ISO string, a datetime or a date); "" for nothing."""
    if value in (None, ""):
        return ""
    if isinstance(value, str) and len(value) == 10:
        year, month, day = (int(p) for p in value.split("-"))
        return f"{year}年{month}月{day}日"
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    local = _as_local(value)
    return f"{local.year}年{local.month}月{local.day}日"


def cn_datetime(value, seconds: bool = False) -> str:
    """2026年11月23日 09:30 (with `seconds`: 09:30:05), in Beijing time; "" for nothing."""
    local = _as_local(value)
    if local is None:
        return ""
    return f"{cn_date(local)} {local:%H:%M:%S}" if seconds else f"{cn_date(local)} {local:%H:%M}"
