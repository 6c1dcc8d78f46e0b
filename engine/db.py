"""Engine and session factory. One place decides how we talk to SQLite and PostgreSQL."""
from __future__ import annotations

import contextlib

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def dialect_insert(session: Session, table):
    """INSERT for the session's database, with its ON CONFLICT clauses (SQLite or PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: no corruption, fsync per checkpoint
            cursor.close()
            # Let us emit BEGIN ourselves (pysqlite would only begin before the first write).
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Every transaction takes the write lock up front, so a read-then-write (load a
            # workflow, advance it, save it) never races another writer on SQLite.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Holds the engine and hands out sessions whose transaction the caller owns."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def transaction(self):
        """A session inside one transaction: committed on success, rolled back on any error."""
        with self.sessionmaker() as session:
            with session.begin():
                yield session

    def session(self) -> Session:
        return self.sessionmaker()

    def dispose(self):
        self.engine.dispose()
