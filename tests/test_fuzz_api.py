"""The API fuzzed from its OpenAPI document (tests/fuzzing.py): a bounded number of generated
requests per operation, valid and invalid ones, as a signed-in manager and as an applicant with a
project under way. No answer may be a 5xx, and every error is problem+json with a Chinese title.
The longer run is scripts/fuzz_api.py."""
from __future__ import annotations

import pytest

from engine.models import User
from engine.services import users
from tests.conftest import at
from tests.fuzzing import fuzz, problem_of
from tests.yeji_walk import FACTS

pytest.importorskip("schemathesis")


def _tokens(ctx, people, who: str):
    user_id = getattr(people, who)

    def token() -> str:
        with ctx.db.transaction() as session:
            return users.issue_token(session, session.get(User, user_id), 1)[0]
    return token


@pytest.mark.parametrize("who, examples", [("mona", 8), ("alice", 5)])
def test_no_generated_request_gets_a_5xx_or_an_error_that_is_not_a_chinese_problem(app, ctx, people, who, examples):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    task_id = people.task("alice", iid, "Declare")["id"]
    report = fuzz(app, _tokens(ctx, people, who), max_examples=examples,
                  path_values={"id": [task_id if who == "alice" else iid], "key": ["yeji"]})
    print(report.summary())
    assert report.requests > 10 * len(report.by_operation) // 2
    assert len(report.by_operation) >= 15
    assert report.failures == [], "\n".join(f"{f['operation']} [{f['mode']}]: {f['problem']}\n  {f['request']}\n"
                                            f"  → {f['answer']}" for f in report.failures[:20])


def test_the_check_itself_catches_a_5xx_and_an_english_error():
    assert problem_of(500, {"content-type": ["application/problem+json"]}, b'{"title": "x"}')
    assert problem_of(404, {"content-type": ["text/html"]}, b"<h1>Not Found</h1>")
    assert problem_of(405, {"content-type": ["application/problem+json"]}, b'{"title": "Method Not Allowed"}')
    chinese = '{"title": "数据校验未通过"}'.encode()
    assert problem_of(422, {"content-type": ["application/problem+json"]}, chinese) is None
    assert problem_of(200, {"content-type": ["application/json"]}, b"[]") is None
