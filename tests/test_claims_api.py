"""签收 / 退签 / 转办 / 委托 / 暂存 / 确认 and comments over /api/v1: each answer in the shape the OpenAPI
document declares, the errors in the contract's order (404/403, then 409, then 422)."""
from __future__ import annotations

import io

import pytest

from tests.support import Personas
from tests.test_openapi_shapes import Api
from tests.test_task_claims import PEOPLE
from tests.web.helpers import PDF
from tests.yeji_walk import in_review

TASK = "/api/v1/tasks/{id}"


@pytest.fixture
def staff(ctx) -> Personas:
    people = Personas(ctx, table=PEOPLE)
    for name in ("dan", "lin", "fay", "mona"):
        getattr(people, name)
    return people


@pytest.fixture
def api(client, staff):
    return Api(client, staff)


def test_claim_reassign_and_release_over_the_api(api, staff, ctx):
    iid = in_review(staff, ctx)
    task = staff.task("dora", iid, "ReviewDataBureau")["id"]
    unclaimed = api.call("get", "/api/v1/tasks", "dan", query={"view": "unclaimed"}).get_json()
    assert task in [t["id"] for t in unclaimed]
    api.call("get", "/api/v1/tasks", "dan", query={"view": "whatever"}, expect=422)
    claimed = api.call("post", TASK + "/claim", "dora", id=task).get_json()
    assert (claimed["assignee"], claimed["delegated_to"], claimed["draft"]) == ("dora", None, None)
    refused = api.call("post", TASK + "/claim", "dan", id=task, expect=409).get_json()
    assert "已由dora签收" in refused["detail"]
    api.call("post", TASK + "/complete", "dan", id=task, json={"data": {"decision": "approve"}}, expect=409)
    api.call("post", TASK + "/claim", "fay", id=task, expect=403)
    api.call("post", TASK + "/claim", "dora", id=task + 1000, expect=404)
    api.call("post", TASK + "/assign", "dora", id=task, json={"username": "fay"}, expect=422)
    api.call("post", TASK + "/assign", "fay", id=task, json={"username": "dan"}, expect=403)   # 403 before 422
    moved = api.call("post", TASK + "/assign", "dora", id=task, json={"username": "dan"}).get_json()
    assert moved["assignee"] == "dan"
    mine = api.call("get", "/api/v1/tasks", "dan", query={"view": "claimed"}).get_json()
    assert [t["assignee"] for t in mine] == ["dan"]
    released = api.call("post", TASK + "/unclaim", "mona", id=task).get_json()
    assert released["assignee"] is None
    api.call("post", TASK + "/unclaim", "dan", id=task, expect=409)


def test_delegate_submit_and_confirm_over_the_api(api, staff, ctx):
    iid = in_review(staff, ctx)
    task = staff.task("dora", iid, "ReviewDataBureau")["id"]
    api.call("post", TASK + "/delegate", "dora", id=task, json={"username": "fay"}, expect=422)
    out = api.call("post", TASK + "/delegate", "dora", id=task, json={"username": "lin"}).get_json()
    assert (out["assignee"], out["delegated_to"], out["delegation"]) == ("dora", "lin", "out")
    assert out["actions"] == ["recall"]
    api.call("post", TASK + "/complete", "dora", id=task, json={"data": {"decision": "approve"}}, expect=409)
    api.call("post", TASK + "/confirm", "dora", id=task, json={}, expect=409)
    seen = api.call("get", TASK, "lin", id=task).get_json()
    assert seen["actions"] == ["save_draft", "submit"]
    assert [t["id"] for t in api.call("get", "/api/v1/tasks", "lin", query={"view": "delegated"}).get_json()] == [task]
    api.call("put", TASK + "/draft", "lin", id=task, json={"data": {"comment": "草稿"}})
    api.call("post", TASK + "/submit", "lin", id=task, json={"data": {"decision": "reject"}}, expect=422)
    back = api.call("post", TASK + "/submit", "lin", id=task,
                    json={"data": {"decision": "approve", "comment": "同意"}}).get_json()
    assert (back["delegation"], back["draft"], back["actions"]) == ("back", None, [])   # out of lin's hands
    held = api.call("get", TASK, "dora", id=task).get_json()
    assert (held["draft"]["decision"], "confirm" in held["actions"]) == ("approve", True)
    api.call("post", TASK + "/submit", "lin", id=task, json={"data": {"decision": "approve"}}, expect=409)
    done = api.call("post", TASK + "/confirm", "dora", id=task, json={}).get_json()
    assert done["instance"]["id"] == iid
    assert "ReviewDataBureau" not in staff.ready(iid)


def test_drafts_and_comments_over_the_api(api, staff, ctx):
    iid = in_review(staff, ctx)
    task = staff.task("dora", iid, "ReviewDataBureau")["id"]
    api.call("put", TASK + "/draft", "dora", id=task, json={"data": "不是对象"}, expect=422)
    saved = api.call("put", TASK + "/draft", "dora", id=task, json={"data": {"decision": "return"}}).get_json()
    assert (saved["assignee"], saved["draft"], saved["has_draft"]) == ("dora", {"decision": "return"}, True)
    api.call("put", TASK + "/draft", "dan", id=task, json={"data": {}}, expect=409)
    api.call("post", TASK + "/comments", "dora", id=task, json={"text": ""}, expect=422)
    added = api.call("post", TASK + "/comments", "dora", id=task, expect=201,
                     data={"text": "附上等保要求", "file": (io.BytesIO(PDF), "等保要求.pdf")}).get_json()
    assert added["attachment"]["name"] == "等保要求.pdf"
    api.call("post", "/api/v1/instances/{id}/comments", "alice", id=iid, json={"text": "收到"}, expect=201)
    api.call("post", "/api/v1/instances/{id}/comments", "bob", id=iid, json={"text": "看看"}, expect=403)
    listed = api.call("get", "/api/v1/instances/{id}/comments", "alice", id=iid).get_json()
    assert [c["text"] for c in listed] == ["附上等保要求", "收到"]
    assert [c["text"] for c in api.call("get", TASK + "/comments", "dan", id=task).get_json()] == ["附上等保要求"]
    instance = api.call("get", "/api/v1/instances/{id}", "alice", id=iid).get_json()
    assert [c["author"] for c in instance["comments"]] == ["dora", "alice"]
