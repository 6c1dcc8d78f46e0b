"""The runtime: everything a govflow process holds in memory besides the database connection — the
jurisdiction registry, the business calendars, the cache of parsed process versions, the form
library and the clock. `create_app` and the CLI build one (from the settings) and the service
context carries it; nothing of this lives in module globals, so two runtimes in one process (tests,
a second data folder) never see each other's state.

A deployed version keeps the forms it was deployed with (ProcessVersion.forms, {form name: schema JSON
text}, and `<form name>.uischema` for its layout when it has one): `forms_of_version` answers them as a
`FormSnapshot`, which offers the FormLibrary's `exists/load/validate`, so a running version's forms never
change under it. Versions deployed before forms were snapshotted (forms NULL) read forms/ as before."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jsonschema import Draft202012Validator

from engine import clock as clock_module
from engine.calendars import Calendars
from engine.errors import NotFound
from engine.forms import FormLibrary, validated
from engine.registry import Registry

UI_SUFFIX = ".uischema"


class FormSnapshot:
    """The forms a version was deployed with, answering like a FormLibrary. A name the snapshot lacks
    (none should: every form of the version's user tasks and start form is in it) is read from the
    fallback library."""

    def __init__(self, forms: dict, fallback: FormLibrary | None = None):
        self._schemas = {name: _as_object(text) for name, text in forms.items() if not name.endswith(UI_SUFFIX)}
        self._ui = {name[:-len(UI_SUFFIX)]: _as_object(text) for name, text in forms.items()
                    if name.endswith(UI_SUFFIX)}
        self.fallback = fallback
        self._lock = threading.Lock()
        self._validators: dict[str, Draft202012Validator] = {}

    def names(self) -> list[str]:
        return sorted(self._schemas)

    def exists(self, name: str) -> bool:
        return name in self._schemas or bool(self.fallback and self.fallback.exists(name))

    def load(self, name: str) -> tuple[dict, dict]:
        """(schema, ui_schema) of a form of the snapshot."""
        if name not in self._schemas:
            if self.fallback is None:
                raise NotFound(f"表单不存在：{name}")
            return self.fallback.load(name)
        return self._schemas[name], self._ui.get(name, {})

    def validate(self, name: str, data: object) -> dict:
        """The cleaned answers, or ValidationFailed with Chinese messages (as FormLibrary.validate)."""
        if name not in self._schemas:
            if self.fallback is None:
                raise NotFound(f"表单不存在：{name}")
            return self.fallback.validate(name, data)
        with self._lock:
            validator = self._validators.get(name)
        if validator is None:
            validator = Draft202012Validator(self._schemas[name], format_checker=Draft202012Validator.FORMAT_CHECKER)
            with self._lock:
                self._validators[name] = validator
        return validated(self._schemas[name], validator, data)


def _as_object(text) -> dict:
    return json.loads(text) if isinstance(text, str) else dict(text)


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
        self._version_forms: dict[str, FormLibrary | FormSnapshot] = {}
        self._version_forms_lock = threading.Lock()
        # version id → (process key, checksum, deployed at): a deployed version never changes, so a
        # step whose version is known reads no process_versions row (engine.services.context)
        self.version_rows: dict[int, tuple] = {}

    def forms_of_version(self, key: str, loader) -> FormLibrary | FormSnapshot:
        """The forms of a deployed version, cached under `key` (its id, checksum and deployment time):
        a FormSnapshot of what `loader()` answers (the version's ProcessVersion.forms), or this runtime's
        FormLibrary when that is None (a version deployed before forms were snapshotted)."""
        with self._version_forms_lock:
            found = self._version_forms.get(key)
        if found is None:
            forms = loader()
            found = self.forms if forms is None else FormSnapshot(forms, fallback=self.forms)
            with self._version_forms_lock:
                self._version_forms[key] = found
        return found

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
