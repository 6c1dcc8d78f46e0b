"""The longer fuzzing run of the REST API (tests/fuzzing.py; the suite runs a short one in
tests/test_fuzz_api.py): `govflow demo` into a scratch database (a fresh SQLite file in a temp dir),
then every operation of /api/v1/openapi.json with generated valid and invalid requests, as several
demo users. Prints the counts per user and every failure (a 5xx, or an error that is not
problem+json with a Chinese title); exits 1 when there was one.

    python scripts/fuzz_api.py [--examples 50] [--users yeji_applicant1,yeji_manager,…] [--positive-only]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

USERS = "yeji_applicant1,yeji_data_bureau,yeji_manager,yeji_designer,suqian_applicant1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50, help="generated requests per operation and mode")
    parser.add_argument("--users", default=USERS, help="demo users to fuzz as (comma-separated)")
    parser.add_argument("--positive-only", action="store_true", help="only requests that fit the document")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="govflow-fuzz-"))
    os.environ["GOVFLOW_INSTANCE_DIR"] = str(folder)
    os.environ["GOVFLOW_DATABASE_URL"] = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    os.environ.setdefault("GOVFLOW_SECRET_KEY", "fuzz")

    from sqlalchemy import select

    from engine import queries
    from engine.config import Settings
    from engine.models import ProcessInstance, User
    from engine.services import users, views
    from engine.services.context import Context
    from tests.fuzzing import fuzz
    from web.app import create_app
    from web.demo import run_demo

    settings = Settings.from_env()
    ctx = Context.from_settings(settings)
    started = time.perf_counter()
    for _line in run_demo(ctx):
        pass
    print(f"demo data ready in {time.perf_counter() - started:.1f} s ({folder})")
    app = create_app(settings, context=ctx)
    failures = 0
    for username in [u.strip() for u in args.users.split(",") if u.strip()]:
        with ctx.db.transaction() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            print(f"{username}: no such demo user, skipped")
            continue

        def token(user_id=user_id) -> str:
            with ctx.db.transaction() as session:
                return users.issue_token(session, session.get(User, user_id), 1)[0]

        tasks, _total = views.inbox(ctx, user_id, queries.InboxFilter(per_page=3))
        with ctx.db.transaction() as session:
            instances = list(session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id).limit(2)))
        known = {"id": [t["id"] for t in tasks] + instances, "key": ["yeji", "suqian"], "version": [1]}
        started = time.perf_counter()
        report = fuzz(app, token, max_examples=args.examples, negative=not args.positive_only, path_values=known)
        print(f"{username}: {report.summary()} in {time.perf_counter() - started:.1f} s")
        for operation, count in sorted(report.by_operation.items()):
            answers = ", ".join(f"{status}: {n}" for (op, status), n in sorted(report.by_answer.items())
                                if op == operation)
            print(f"  {count:5d}  {operation}  ({answers})")
        for failure in report.failures:
            print(f"  FAIL {failure['operation']} [{failure['mode']}]: {failure['problem']}\n"
                  f"       {failure['request']}\n       → {failure['answer']}")
        failures += len(report.failures)
    ctx.db.dispose()
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
