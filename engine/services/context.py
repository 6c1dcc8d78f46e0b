"""What every service needs: settings, the database and the cache of parsed process versions."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import workflow as wfx
from engine.config import Settings
from engine.db import Database
from engine.errors import NotFound
from engine.models import ProcessVersion


@dataclass
class Context:
    settings: Settings
    db: Database
    versions: wfx.VersionCache = field(default_factory=lambda: SHARED_VERSIONS)
    # The yearly cycles to run: None reads the "schedules" of every jurisdiction.json (a deployment
    # or a test may hand its own, {jurisdiction: [entries]}).
    schedule_config: dict | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Context":
        return cls(settings=settings, db=Database(settings.database_url))

    def loaded_version(self, session: Session, version_id: int) -> wfx.LoadedVersion:
        return load_version(session, version_id, self.versions)


SHARED_VERSIONS = wfx.VersionCache()


def load_version(session: Session, version_id: int, cache: wfx.VersionCache = SHARED_VERSIONS) -> wfx.LoadedVersion:
    """The parsed version, cached by the checksum of its files (parsing is the costly part)."""
    found = session.execute(select(ProcessVersion.checksum, ProcessVersion.process_key)
                            .where(ProcessVersion.id == version_id)).first()
    if found is None:
        raise NotFound(f"流程版本不存在：{version_id}")
    checksum, process_key = found

    def loader():
        files = session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == version_id))
        return wfx.load_version(process_key, {name: content.encode("utf-8") for name, content in files.items()})

    return cache.get(f"{process_key}:{checksum}", loader)
