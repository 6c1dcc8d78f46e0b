"""Which business calendar applies to a jurisdiction, in memory.

The national calendar is chinese-calendar's years plus every year arrangement loaded into the
database (`calendar_years`, jurisdiction ''); a jurisdiction with a local rule gets its own calendar,
where a local arrangement replaces the national one for that year (the imported file is the whole
arrangement of that year in that place). One `Calendars` belongs to each runtime
(`engine.runtime_env.Runtime`); `engine.services.calendar_admin` fills it from the database at start-up
and refreshes it whenever the rows changed (another process imported a year). Nothing here touches
the database."""
from __future__ import annotations

import threading
from collections.abc import Iterable

from engine.workcalendar import BusinessCalendar, YearArrangement


def _build(years: dict[int, YearArrangement]) -> BusinessCalendar:
    return BusinessCalendar(sorted(years.values(), key=lambda a: a.year))


class Calendars:
    """The national calendar and the local ones, rebuilt whenever an arrangement is installed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._national_years: dict[int, YearArrangement] = {}
        self._local_years: dict[str, dict[int, YearArrangement]] = {}
        self._calendars: dict[str, BusinessCalendar] = {}
        self._signature: object = None

    def _rebuild(self) -> None:
        """Recompute every calendar from the arrangements (caller holds the lock)."""
        calendars = {"": _build(self._national_years)}
        for key, years in self._local_years.items():
            calendars[key] = _build({**self._national_years, **years})
        self._calendars = calendars

    def calendar_for(self, jurisdiction: str | None) -> BusinessCalendar:
        with self._lock:
            if not self._calendars:
                self._rebuild()
            return self._calendars.get(jurisdiction or "", self._calendars[""])

    def install_arrangement(self, arrangement: YearArrangement, jurisdiction: str | None = None) -> None:
        """Load one year's official notice (national, or a local rule for one jurisdiction)."""
        with self._lock:
            if jurisdiction:
                self._local_years.setdefault(jurisdiction, {})[arrangement.year] = arrangement
            else:
                self._national_years[arrangement.year] = arrangement
            self._rebuild()

    def install_all(self, arrangements: Iterable[tuple[str, YearArrangement]], signature: object = None) -> None:
        """Replace everything loaded so far by these (jurisdiction or '', arrangement) pairs."""
        national: dict[int, YearArrangement] = {}
        local: dict[str, dict[int, YearArrangement]] = {}
        for jurisdiction, arrangement in arrangements:
            if jurisdiction:
                local.setdefault(jurisdiction, {})[arrangement.year] = arrangement
            else:
                national[arrangement.year] = arrangement
        with self._lock:
            self._national_years, self._local_years, self._signature = national, local, signature
            self._rebuild()

    def installed_signature(self) -> object:
        """What `install_all` was last told about the database rows it came from (to skip reloads)."""
        with self._lock:
            return self._signature

    def local_jurisdictions(self) -> set[str]:
        """Jurisdictions with a local rule for at least one year."""
        with self._lock:
            return set(self._local_years)

    def has_local_year(self, jurisdiction: str, year: int) -> bool:
        with self._lock:
            return year in self._local_years.get(jurisdiction, {})

    def reset(self) -> None:
        """Back to chinese-calendar's years only (a database with no arrangements)."""
        self.install_all(())
