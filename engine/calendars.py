"""Which business calendar applies to a jurisdiction. Today every jurisdiction shares the national
statutory calendar; year arrangements loaded into the database are layered on top."""
from __future__ import annotations

import threading

from engine.workcalendar import BusinessCalendar, YearArrangement

_lock = threading.Lock()
_national = BusinessCalendar()
_local: dict[str, BusinessCalendar] = {}


def calendar_for(jurisdiction: str | None) -> BusinessCalendar:
    with _lock:
        return _local.get(jurisdiction or "", _national)


def install_arrangement(arrangement: YearArrangement, jurisdiction: str | None = None) -> None:
    """Load one year's official notice (national, or a local rule for one jurisdiction)."""
    global _national
    with _lock:
        if jurisdiction:
            base = _local.get(jurisdiction, _national)
            _local[jurisdiction] = base.with_arrangement(arrangement)
        else:
            _national = _national.with_arrangement(arrangement)
            for key, local in list(_local.items()):
                _local[key] = local.with_arrangement(arrangement)
