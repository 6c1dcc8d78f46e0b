"""Every JSON answer of the main routes has the shape the OpenAPI document (/api/v1/openapi.json)
declares for its route and status. Bodies are validated with jsonschema against the document's own
components, closed for the check (additionalProperties false on every object schema with
properties): a field the document does not declare fails, and so does a declared required field
that is missing."""
from __future__ import annotations

import io

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import update

from engine.models import Timer
from engine.services import runtime, schedules
from engine.services.timers import tick
from tests.conftest import at
from tests.support import PASSWORD
from tests.test_timers_support import fresh_calendars  # noqa: F401
from tests.web.helpers import PDF
from tests.yeji_walk import DECLARE, FACTS, REVIEWERS

NOTICE_2027 = """\
year: 2027
source: 叶集区2027年地方节假日安排（测试）
holiday: 2027-01-01..2027-01-04 元旦
workday: 2027-02-14 春节调休
"""
RECTIFICATION = {"issue": "材料不全", "deadline_days": 10}
YEARLY = {"name": "年度申报提醒（测试）", "process": "yeji", "rule": "yearly 09-01 09:00", "for_each": "unit"}


def closed(node):
    """A copy of a schema in which every object schema with properties allows no others."""
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: closed(value) for key, value in node.items()}
    if isinstance(node.get("properties"), dict):
        copy["additionalProperties"] = False
    return copy


class Api:
    """Calls the API as a persona and checks each JSON answer against the OpenAPI document."""

    def __init__(self, client, people):
        self.client, self.people = client, people
        self.spec = client.get("/api/v1/openapi.json").get_json()
        self.components = closed(self.spec["components"])
        self.tokens: dict[str, str] = {}
        self.checked: set[tuple[str, str, int]] = set()

    def auth(self, who: str | None) -> dict:
        if who is None:
            return {}
        if who not in self.tokens:
            getattr(self.people, who)  # creates the persona
            self.tokens[who] = self.call("post", "/api/v1/auth/token", None,
                                         json={"username": who, "password": PASSWORD}).get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, method: str, template: str, who: str | None, *, expect: int = 200, query=None, json=None,
             data=None, **path):
        upload = {"data": data, "content_type": "multipart/form-data"} if data is not None else {"json": json}
        response = getattr(self.client, method)(template.format(**path), headers=self.auth(who),
                                                query_string=query, **upload)
        assert response.status_code == expect, (method, template, response.get_data(as_text=True))
        problems = self.problems(method, template, response)
        assert not problems, f"{method.upper()} {template} → {response.status_code}:\n" + "\n".join(problems)
        self.checked.add((method, template, response.status_code))
        return response

    def problems(self, method: str, template: str, response) -> list[str]:
        """Why the answer does not match the document (empty when it does)."""
        operation = self.spec["paths"].get(template, {}).get(method)
        if operation is None:
            return [f"{method.upper()} {template} is not in the OpenAPI document"]
        declared = operation["responses"].get(str(response.status_code))
        if declared is None:
            return [f"status {response.status_code} is not documented"]
        media = declared.get("content", {}).get(response.mimetype)
        if media is None or "schema" not in media:
            return [f"no schema documented for {response.mimetype}"]
        return self.mismatches(media["schema"], response.get_json())

    def mismatches(self, schema: dict, body) -> list[str]:
        validator = Draft202012Validator({**closed(schema), "components": self.components})
        return [f"  at /{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
                for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))]


@pytest.fixture
def api(client, people):
    people.deploy("yeji")
    return Api(client, people)


def test_the_document_is_valid_json_schema_throughout(api):
    for schema in api.spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_the_check_refuses_an_undocumented_field_and_a_missing_required_one(api):
    task = {"$ref": "#/components/schemas/Task"}
    good = {"id": 1, "instance_id": 1, "name": "Declare", "title": "项目申报", "role": "applicant", "lane": "申报单位",
            "process": "yeji", "jurisdiction": "yeji", "project_name": "项目", "state": "ready",
            "created_at": "2026-08-01T10:00:00+08:00", "due_at": None, "due_provisional": False, "overdue": False,
            "completed_at": None, "completed_by": None}
    assert api.mismatches(task, good) == []
    assert any("'surprise' was unexpected" in p for p in api.mismatches(task, {**good, "surprise": 1}))
    missing = {k: v for k, v in good.items() if k != "title"}
    assert any("'title' is a required property" in p for p in api.mismatches(task, missing))
    nested = {"$ref": "#/components/schemas/CompleteResponse"}
    assert any("unexpected" in p for p in api.mismatches(nested, {"instance": {"extra": True}}))


def test_instances_and_tasks_answer_the_documented_shapes(api):
    api.call("post", "/api/v1/auth/token", None, json={"username": "alice", "password": "wrong"}, expect=401)
    api.call("post", "/api/v1/auth/token", None, json={}, expect=422)
    processes = api.call("get", "/api/v1/processes", "alice").get_json()
    assert [p["key"] for p in processes] == ["yeji"]

    created = api.call("post", "/api/v1/instances", "alice", json={"process": "yeji",
                                                                   "data": {**FACTS, "plan_year": None}}, expect=201)
    iid = created.get_json()["id"]
    api.call("post", "/api/v1/instances", "alice", json={"process": "yeji", "data": {"total_investment": -1}},
             expect=422)
    api.call("post", "/api/v1/instances", "dora", json={"process": "yeji", "data": FACTS}, expect=403)
    api.call("get", "/api/v1/instances", "alice")
    api.call("get", "/api/v1/instances/{id}", "mona", id=999999, expect=404)
    api.call("get", "/api/v1/instances/{id}", "bob", id=iid, expect=403)

    [task] = api.call("get", "/api/v1/tasks", "alice").get_json()
    detail = api.call("get", "/api/v1/tasks/{id}", "alice", id=task["id"]).get_json()
    assert detail["form"]["schema"] and detail["legal_basis"]
    url = "/api/v1/tasks/{id}/complete"
    api.call("post", url, "bob", id=task["id"], json={"data": DECLARE}, expect=403)
    api.call("post", url, "alice", id=task["id"], json={"data": {**DECLARE, "phone": "x"}}, expect=422)
    upload = "/api/v1/tasks/{id}/attachments"
    api.call("post", upload, "bob", id=task["id"], data={"file": (io.BytesIO(PDF), "方案.pdf")}, expect=403)
    api.call("post", upload, "alice", id=task["id"], data={"file": (io.BytesIO(b"MZ"), "方案.exe")}, expect=422)
    files = {key: api.call("post", upload, "alice", id=task["id"], data={"file": (io.BytesIO(PDF), DECLARE[key])},
                           expect=201).get_json()["id"] for key in ("construction_plan", "feasibility_study")}
    declared = {**DECLARE, **{key: str(value) for key, value in files.items()}}
    done = api.call("post", url, "alice", id=task["id"], json={"data": declared}).get_json()
    detail = api.call("get", "/api/v1/instances/{id}", "alice", id=done["instance"]["id"]).get_json()
    assert detail["history"] and "Declare" in detail["completed_elements"]
    # the small answer says what the full detail says of the instance's state
    for key in ("status", "outcome", "active_tasks", "waiting"):
        assert done["instance"][key] == detail[key], key
    api.call("post", url, "alice", id=task["id"], json={"data": DECLARE}, expect=409)
    [finished] = api.call("get", "/api/v1/tasks/completed", "alice").get_json()
    assert finished["completed_by"] and finished["completed_at"]
    api.call("get", "/api/v1/tasks/{id}", "alice", id=task["id"])          # a completed task, with its answers


    terminate = "/api/v1/instances/{id}/terminate"
    api.call("post", terminate, "alice", id=iid, json={"reason": "不做了"}, expect=403)
    api.call("post", terminate, "mona", id=iid, json={}, expect=422)
    assert api.call("post", terminate, "mona", id=iid, json={"reason": "年度资金取消"}).get_json()["status"] == \
        "terminated"
    api.call("post", terminate, "mona", id=iid, json={"reason": "再次"}, expect=409)
    api.call("get", "/api/v1/tasks", None, expect=401)


def test_reviews_returns_and_waiting_timers_answer_the_documented_shapes(api):
    people = api.people
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-03 10:00"))
    waiting = api.call("get", "/api/v1/instances/{id}", "alice", id=iid).get_json()["waiting"]
    assert [w["name"] for w in waiting] == ["WaitReviewWindow"]
    tick(people.ctx, at("2026-10-01 08:00"))
    review = next(t for t in api.call("get", "/api/v1/tasks", "dora").get_json() if t["instance_id"] == iid)
    detail = api.call("get", "/api/v1/tasks/{id}", "dora", id=review["id"]).get_json()
    assert detail["earlier_steps"] and detail["facts"]["project_name"] == FACTS["project_name"]
    people.deploy("yeji.rectification")       # a side process on the project (its own applicant's task)
    child = runtime.start_instance(people.ctx, people.dora, "yeji.rectification", RECTIFICATION,
                                   now=at("2026-10-02 10:00"), parent_instance_id=iid)
    assert api.call("get", "/api/v1/instances/{id}", "mona", id=child).get_json()["parent_instance_id"] == iid
    parent = api.call("get", "/api/v1/instances/{id}", "mona", id=iid).get_json()
    assert [c["id"] for c in parent["children"]] == [child] and parent["completed_elements"] == ["Declare"]
    api.call("post", "/api/v1/tasks/{id}/complete", "dora", id=review["id"],
             json={"data": {"decision": "return", "comment": "补充可研报告"}})
    for who, element in REVIEWERS[1:]:
        people.do(who, iid, element, {"decision": "approve"}, now=at("2026-10-20 10:00"))
    [returned] = [t for t in api.call("get", "/api/v1/tasks", "alice").get_json() if t["instance_id"] == iid]
    again = api.call("get", "/api/v1/tasks/{id}", "alice", id=returned["id"]).get_json()
    assert again["returns"][0]["comment"] == "补充可研报告"
    api.call("get", "/api/v1/instances/{id}", "mona", id=iid)


def test_notifications_answer_the_documented_shapes(api):
    people = api.people
    people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.mona  # noqa: B018 - a manager exists when the deadline passes
    tick(people.ctx, at("2026-10-08 09:00"))                # 项目申报 ran past 30 September
    notices = api.call("get", "/api/v1/notifications", "alice").get_json()
    assert "task_overdue" in [n["kind"] for n in notices]
    api.call("get", "/api/v1/notifications", "alice", query={"unread": "1", "per_page": "x"}, expect=422)
    read = api.call("post", "/api/v1/notifications/read", "alice", json={"ids": [notices[0]["id"]]}).get_json()
    assert read == {"updated": 1}
    api.call("post", "/api/v1/notifications/read", "alice", json={"ids": "all"}, expect=422)
    assert api.call("get", "/api/v1/notifications", "alice").get_json()[0]["read"] is True


@pytest.mark.usefixtures("fresh_calendars")
def test_admin_routes_answer_the_documented_shapes(api, monkeypatch):
    people, ctx = api.people, api.people.ctx
    calendar = "/api/v1/admin/calendar/years"
    api.call("get", calendar, "dora", expect=403)
    assert api.call("get", calendar, "mona").get_json()["years"]
    loaded = api.call("post", calendar, "mona", json={"text": NOTICE_2027}, expect=201).get_json()
    assert (loaded["jurisdiction"], loaded["year"]) == ("yeji", 2027)
    api.call("post", calendar, "mona", json={"text": "year: 2027\nholiday: 2027-01-01\n"}, expect=422)

    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-03 10:00"))
    with ctx.db.transaction() as session:      # the review-window timer gave up: an incident
        session.execute(update(Timer).where(Timer.instance_id == iid).values(
            state="failed", attempts=5, last_error="RuntimeError: 测试"))
    incidents = "/api/v1/admin/timers/incidents"
    api.call("get", incidents, "dora", expect=403)
    [incident] = api.call("get", incidents, "mona").get_json()
    retry = "/api/v1/admin/timers/{id}/retry"
    retried = api.call("post", retry, "mona", id=incident["id"]).get_json()
    assert retried["fired"] is True and retried["result"][0]["element"] == "WaitReviewWindow"
    api.call("post", retry, "mona", id=incident["id"], expect=409)
    api.call("post", retry, "mona", id=999999, expect=404)

    monkeypatch.setattr(ctx, "schedule_config", {"yeji": [YEARLY]})
    schedules.sync(ctx, at("2026-08-01 10:00"))
    [schedule] = api.call("get", "/api/v1/admin/schedules", "mona").get_json()
    assert schedule["name"] == YEARLY["name"] and schedule["last_run_at"] is None
    api.call("get", "/api/v1/admin/schedules", "dora", expect=403)


def test_every_documented_success_declares_its_body(api):
    for path, operations in api.spec["paths"].items():
        for method, operation in operations.items():
            success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            assert success, (method, path)
            for code, response in success.items():
                media = response.get("content") or {}
                if code == "204":   # No Content (DELETE /auth/token …): no body to declare
                    assert not media, (method, path, code)
                    continue
                assert media and all("schema" in m for m in media.values()), (method, path, code)
