"""What every service needs: settings, the database and the runtime (registry, calendars, parsed
versions, forms, clock). Built once by `create_app` and by the CLI; tests build their own."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import workflow as wfx
from engine.config import Settings
from engine.db import Database
from engine.errors import NotFound
from engine.models import ProcessVersion
from engine.runtime_env import Runtime


@dataclass
class Context:
    settings: Settings
    db: Database
    runtime: Runtime = field(default=None)
    # The yearly cycles to run: None reads the "schedules" of every jurisdiction.json (a deployment
    # or a test may hand its own, {jurisdiction: [entries]}).
    schedule_config: dict | None = None

    def __post_init__(self):
        if self.runtime is None:
            self.runtime = Runtime.from_data_dir(self.settings.data_dir)

    @classmethod
    def from_settings(cls, settings: Settings, runtime: Runtime | None = None) -> "Context":
        return cls(settings=settings, db=Database(settings.database_url), runtime=runtime)

    @property
    def registry(self):
        return self.runtime.registry

    @property
    def forms(self):
        return self.runtime.forms

    @property
    def versions(self) -> wfx.VersionCache:
        return self.runtime.versions

    def helpers(self, jurisdiction: str | None) -> dict:
        return self.runtime.helpers(jurisdiction)

    def calendar(self, jurisdiction: str | None):
        return self.runtime.calendar(jurisdiction)

    def version_row(self, session: Session, version_id: int) -> tuple:
        """(process key, checksum, deployed at) of a deployed version — read once per runtime (a
        version's row never changes once deployed)."""
        found = self.runtime.version_rows.get(version_id)
        if found is None:
            found = session.execute(select(ProcessVersion.process_key, ProcessVersion.checksum,
                                           ProcessVersion.deployed_at).where(ProcessVersion.id == version_id)).first()
            if found is None:
                raise NotFound(f"流程版本不存在：{version_id}")
            found = self.runtime.version_rows[version_id] = tuple(found)
        return found

    def loaded_version(self, session: Session, version_id: int) -> wfx.LoadedVersion:
        """The parsed version, cached by the checksum of its files (parsing is the costly part)."""
        process_key, checksum, _deployed_at = self.version_row(session, version_id)

        def loader():
            files = session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == version_id))
            return wfx.load_version(process_key, {name: content.encode("utf-8") for name, content in files.items()})

        return self.versions.get(f"{process_key}:{checksum}", loader)

    def forms_for(self, session: Session, version_id: int):
        """The forms of a deployed version (its snapshot, or forms/ for a version deployed before
        snapshots): an object with FormLibrary's `exists/load/validate`."""
        _process_key, checksum, deployed_at = self.version_row(session, version_id)
        return self.runtime.forms_of_version(
            f"{version_id}:{checksum}:{deployed_at.isoformat()}",
            lambda: session.scalar(select(ProcessVersion.forms).where(ProcessVersion.id == version_id)))
