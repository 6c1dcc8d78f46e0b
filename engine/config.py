"""Settings read from the environment, with safe defaults for the embedded demo."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

# The procedures shipped with govflow: processes/, bpmn_diagrams/ and forms/ beside engine/ (in the
# checkout and in the installed wheel alike). GOVFLOW_DATA_DIR points at another folder of that shape.
ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    path = Path(os.environ.get("GOVFLOW_INSTANCE_DIR", Path.cwd() / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance_dir: Path) -> str:
    if os.environ.get("GOVFLOW_SECRET_KEY"):
        return os.environ["GOVFLOW_SECRET_KEY"]
    key_file = instance_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"环境变量 {name} 应为整数，当前为 {raw!r}") from exc


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    database_url: str
    secret_key: str
    timezone: ZoneInfo
    instance_dir: Path
    upload_dir: Path
    max_upload_mb: int = 20
    token_hours: int = 12
    smtp_host: str | None = None
    data_dir: Path = ROOT
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Settings":
        instance_dir = _instance_dir()
        url = os.environ.get("GOVFLOW_DATABASE_URL") or f"sqlite:///{instance_dir / 'govflow.sqlite3'}"
        upload_dir = Path(os.environ.get("GOVFLOW_UPLOAD_DIR", instance_dir / "uploads"))
        return cls(
            database_url=url,
            secret_key=_secret_key(instance_dir),
            timezone=ZoneInfo(os.environ.get("GOVFLOW_TIMEZONE", "Asia/Shanghai")),
            instance_dir=instance_dir,
            upload_dir=upload_dir,
            max_upload_mb=env_int("GOVFLOW_MAX_UPLOAD_MB", 20),
            token_hours=env_int("GOVFLOW_TOKEN_HOURS", 12),
            smtp_host=os.environ.get("GOVFLOW_SMTP_HOST") or None,
            data_dir=Path(os.environ.get("GOVFLOW_DATA_DIR") or ROOT).resolve(),
        )
