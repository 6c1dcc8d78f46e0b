"""Which business calendar applies to a jurisdiction, in memory.

The national calendar is chinese-calendar's years plus every year arrangement loaded into the
database (`calendar_years`, jurisdiction ''); a jurisdiction with a local rule gets its own calendar,
where a local arrangement replaces the national one for that year (the imported file is the whole
arrangement of that year in that place). `engine.services.calendar_admin` fills this registry from the
database at start-up and after every import; nothing here touches the database."""
from __future__ import annotations

import threading
from collections.abc import Iterable

from engine.workcalendar import BusinessCalendar, YearArrangement

_lock = threading.Lock()
_national_years: dict[int, YearArrangement] = {}
_local_years: dict[str, dict[int, YearArrangement]] = {}
_calendars: dict[str, BusinessCalendar] = {}
_signature: object = None


def _build(years: dict[int, YearArrangement]) -> BusinessCalendar:
    return BusinessCalendar(sorted(years.values(), key=lambda a: a.year))


def _rebuild() -> None:
    """Recompute every calendar from the arrangements (caller holds the lock)."""
    _calendars.clear()
    _calendars[""] = _build(_national_years)
    for key, years in _local_years.items():
        _calendars[key] = _build({**_national_years, **years})


def calendar_for(jurisdiction: str | None) -> BusinessCalendar:
    with _lock:
        if not _calendars:
            _rebuild()
        return _calendars.get(jurisdiction or "", _calendars[""])


def install_arrangement(arrangement: YearArrangement, jurisdiction: str | None = None) -> None:
    """Load one year's official notice (national, or a local rule for one jurisdiction)."""
    with _lock:
        if jurisdiction:
            _local_years.setdefault(jurisdiction, {})[arrangement.year] = arrangement
        else:
            _national_years[arrangement.year] = arrangement
        _rebuild()


def install_all(arrangements: Iterable[tuple[str, YearArrangement]], signature: object = None) -> None:
    """Replace everything loaded so far by these (jurisdiction or '', arrangement) pairs."""
    global _signature
    with _lock:
        _national_years.clear()
        _local_years.clear()
        for jurisdiction, arrangement in arrangements:
            if jurisdiction:
                _local_years.setdefault(jurisdiction, {})[arrangement.year] = arrangement
            else:
                _national_years[arrangement.year] = arrangement
        _signature = signature
        _rebuild()


def installed_signature() -> object:
    """What `install_all` was last told about the database rows it came from (to skip reloads)."""
    with _lock:
        return _signature


def local_jurisdictions() -> set[str]:
    """Jurisdictions with a local rule for at least one year."""
    with _lock:
        return set(_local_years)


def has_local_year(jurisdiction: str, year: int) -> bool:
    with _lock:
        return year in _local_years.get(jurisdiction, {})


def reset() -> None:
    """Back to chinese-calendar's years only (tests; a database with no arrangements)."""
    install_all(())
