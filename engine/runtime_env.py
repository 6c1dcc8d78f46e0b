"""The runtime: everything a govflow process holds in memory besides the database connection — the
jurisdiction registry, the business calendars, the cache of parsed process versions, the form
library and the clock. `create_app` and the CLI build one (from the settings) and the service
context carries it; nothing of this lives in module globals, so two runtimes in one process (tests,
a second data folder) never see each other's state."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine import clock as clock_module
from engine.calendars import Calendars
from engine.forms import FormLibrary
from engine.registry import Registry


@dataclass
class Runtime:
    registry: Registry
    forms: FormLibrary
    calendars: Calendars = field(default_factory=Calendars)
    versions: object = None          # engine.workflow.VersionCache (set in __post_init__)
    clock: object = clock_module     # anything with now(); tests move it with clock.frozen_at

    def __post_init__(self):
        if self.versions is None:
            from engine.workflow import VersionCache
            self.versions = VersionCache()

    @classmethod
    def from_data_dir(cls, data_dir: Path, **kwargs) -> "Runtime":
        """The procedures of a data folder holding processes/, bpmn_diagrams/ and forms/."""
        data_dir = Path(data_dir)
        return cls(registry=Registry(data_dir / "processes", data_dir / "bpmn_diagrams"),
                   forms=FormLibrary(data_dir / "forms"), **kwargs)

    def helpers(self, jurisdiction: str | None) -> dict:
        """The functions diagram expressions may call, bound to this runtime's calendar of the
        jurisdiction and its declaration rules."""
        from engine.script_helpers import helpers_for
        return helpers_for(jurisdiction, self.calendars, self.registry, self.clock)

    def calendar(self, jurisdiction: str | None):
        return self.calendars.calendar_for(jurisdiction)
