"""What the benchmarks share: a scratch database (a temporary SQLite file, or a PostgreSQL database
created beside the one a URL names and dropped afterwards), a Context on it, and the figures' format."""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.config import Settings  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.services.context import Context  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def backend_url(name: str) -> str | None:
    """None for SQLite (a temporary file), else the PostgreSQL URL to create the scratch database beside."""
    if name == "sqlite":
        return None
    return os.environ.get("GOVFLOW_BENCH_PG_URL", PG_DEFAULT)


@contextmanager
def scratch_database(pg_url: str | None):
    """Yields a database URL nobody else uses; dropped afterwards (PostgreSQL), or a file in a
    temporary folder removed afterwards (SQLite)."""
    if pg_url is None:
        folder = tempfile.mkdtemp(prefix="govflow_bench_")
        try:
            yield f"sqlite:///{folder}/bench.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"govflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def context(url: str, *, migrate: bool = True) -> Context:
    """A Context on `url` with an instance folder of its own (uploads); the schema created unless
    `migrate` is off (a worker process on a database its parent prepared)."""
    instance = Path(tempfile.mkdtemp(prefix="govflow_bench_instance_"))
    os.environ["GOVFLOW_INSTANCE_DIR"] = str(instance)
    os.environ["GOVFLOW_DATABASE_URL"] = url
    settings = Settings.from_env()
    ctx = Context.from_settings(settings)
    if migrate:
        upgrade(ctx.db)
    return ctx


class StatementCounter:
    """Counts the SQL statements sent on an engine while `counting` is on."""

    def __init__(self, engine):
        self.count = 0
        self.counting = False
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        # BEGIN is transaction control (SQLite's BEGIN IMMEDIATE is sent as a statement, PostgreSQL's
        # BEGIN by the driver unseen): not counted, so the two backends count alike
        if self.counting and not statement.startswith("BEGIN"):
            self.count += 1
            self.statements.append(statement.split("\n", 1)[0][:120])

    @contextmanager
    def measure(self):
        self.count, self.statements, self.counting = 0, [], True
        try:
            yield self
        finally:
            self.counting = False


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p90_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * .9)] * 1000


def p95_ms(samples: list[float]) -> float:
    return sorted(samples)[min(len(samples) - 1, int(len(samples) * .95))] * 1000


def ms(samples: list[float]) -> str:
    return f"median {median_ms(samples):.2f} ms, p90 {p90_ms(samples):.2f} ms"


def record(result: dict, figure: str, times: list[float], sent: int) -> None:
    """A timed call's figures under `figure`: median and p95 in ms, the SQL statements it sent."""
    result[f"{figure}_median_ms"] = round(median_ms(times), 2)
    result[f"{figure}_p95_ms"] = round(p95_ms(times), 2)
    result[f"{figure}_statements"] = sent


@contextmanager
def bench_database(backend: str, url: str | None):
    """The database a benchmark measures on: `url` as it is (prepared by `benchmarks/dataset.py --url`;
    never one that matters), else a scratch one (scratch_database)."""
    if url:
        yield url
        return
    with scratch_database(backend_url(backend)) as scratch:
        yield scratch


def list_main(description: str, run, backend: str = "sqlite") -> None:
    """The command line of a list-page benchmark: --backend, --projects, --runs, --json, and --url to
    measure on a database already holding the data set (seeding 100,000 projects takes minutes)."""
    import argparse
    import json
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default=backend)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--url", help="a database filled by `benchmarks/dataset.py --url` (projects added "
                                      "only up to --projects); its schema is upgraded first")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    args = parser.parse_args()
    say = (lambda line: None) if args.json else (lambda line: print(line, flush=True))
    result = run(args.backend, args.projects, args.runs, say, url=args.url)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
