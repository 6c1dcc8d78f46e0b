"""`govflow init-db`: run the Alembic migrations (idempotent) on SQLite or PostgreSQL."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(database) -> None:
    """Migrate the database behind a `Database` to the newest revision."""
    cfg = alembic_config(database.url)
    if database.is_sqlite:
        # Our BEGIN IMMEDIATE hook would nest inside Alembic's own transaction handling.
        from sqlalchemy import create_engine
        engine = create_engine(database.url)
    else:
        engine = database.engine
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    if engine is not database.engine:
        engine.dispose()
