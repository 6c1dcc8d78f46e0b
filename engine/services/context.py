"""What every service needs: settings, the database and the cache of parsed process versions."""
from __future__ import annotations

from dataclasses import dataclass, field

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
    versions: wfx.VersionCache = field(default_factory=wfx.VersionCache)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Context":
        return cls(settings=settings, db=Database(settings.database_url))

    def loaded_version(self, session: Session, version_id: int) -> wfx.LoadedVersion:
        def loader():
            row = session.get(ProcessVersion, version_id)
            if row is None:
                raise NotFound(f"流程版本不存在：{version_id}")
            files = {name: content.encode("utf-8") for name, content in row.files.items()}
            return wfx.load_version(row.process_key, files)

        return self.versions.get(version_id, loader)
