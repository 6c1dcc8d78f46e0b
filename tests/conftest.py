"""Fixtures: a real database per test run (SQLite file, or a PostgreSQL database created for the run
and dropped after it, chosen by GOVFLOW_TEST_DB), the services' context, the Flask app and personas."""
from __future__ import annotations

import os
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from engine.config import Settings
from engine.migrate import upgrade
from engine.runtime_env import Runtime
from engine.services.context import Context
from tests.support import Personas

PG_ADMIN_URL = os.environ.get("GOVFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KEEP_TABLES = {"alembic_version"}


def _backend() -> str:
    return os.environ.get("GOVFLOW_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if _backend() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'govflow.sqlite3'}"
        return
    name = f"govflow_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    instance = tmp_path_factory.mktemp("instance")
    os.environ["GOVFLOW_INSTANCE_DIR"] = str(instance)
    os.environ["GOVFLOW_DATABASE_URL"] = database_url
    return Settings(database_url=database_url, secret_key="test-secret", timezone=Settings.from_env().timezone,
                    instance_dir=instance, upload_dir=instance / "uploads")


@pytest.fixture(scope="session")
def session_ctx(settings) -> Context:
    context = Context.from_settings(settings)
    upgrade(context.db)
    yield context
    context.db.dispose()


@pytest.fixture
def ctx(session_ctx):
    """The session's database with a runtime of the test's own (registry, calendars), so nothing a
    test registers or loads outlives it; parsed versions are shared (they depend only on the files)."""
    shared = session_ctx.runtime
    session_ctx.runtime = Runtime.from_data_dir(session_ctx.settings.data_dir, versions=shared.versions)
    yield session_ctx
    session_ctx.runtime = shared
    _clean(session_ctx)


def _clean(context: Context) -> None:
    from engine.models import Base
    # ids start again after the truncation: what a runtime remembers by row id goes with the rows
    context.runtime.version_rows.clear()
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with context.db.engine.begin() as conn:
        # DELETE, children first: on a test's few rows it costs a few milliseconds where PostgreSQL's
        # TRUNCATE (new files for every table) costs 70
        for table in tables:
            conn.execute(table.delete())
        if not context.db.is_sqlite:
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


@pytest.fixture
def people(ctx) -> Personas:
    return Personas(ctx)


@pytest.fixture
def app(ctx, settings):
    from web.app import create_app
    application = create_app(settings, context=ctx)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app):
    return app.test_client()


def at(text_: str) -> datetime:
    """A Beijing-time instant: at('2026-10-08 09:00')."""
    from engine.clock import parse_instant
    return parse_instant(text_.replace(" ", "T"))


# --- what the PostgreSQL pass runs -------------------------------------------------------------------
# scripts/test runs the suite twice, on SQLite and on PostgreSQL. A test that opens no database
# (diagrams, forms, calendars, the sandbox) would only run the same code a second time, and a
# browser test checks pages whose SQL the request tests already run on both: on PostgreSQL both are
# left to the SQLite pass (GOVFLOW_TEST_ALL_ON_POSTGRESQL=1 runs them anyway).

def _needs_postgresql(item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("postgresql") is not None or ("database_url" in names and "browser" not in names)


def pytest_collection_modifyitems(config, items):
    if _backend() != "postgresql" or os.environ.get("GOVFLOW_TEST_ALL_ON_POSTGRESQL") == "1":
        return
    kept = [item for item in items if _needs_postgresql(item)]
    left = [item for item in items if not _needs_postgresql(item)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_report_header(config):
    if _backend() == "postgresql" and os.environ.get("GOVFLOW_TEST_ALL_ON_POSTGRESQL") != "1":
        return ("PostgreSQL pass: tests that open no database and browser tests run in the SQLite pass "
                "only (GOVFLOW_TEST_ALL_ON_POSTGRESQL=1 runs them here too)")
    return None
