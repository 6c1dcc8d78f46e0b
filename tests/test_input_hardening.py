"""Bad input gets a clear error, never a 500, never lost data: each protection attacked. Ids beyond 64
bits and malformed query parameters, JSON bombs, texts without a limit, file names with bidi
overrides, attachment fields that name no file of the task, uploads stored twice or left behind,
and the error pages and problems of Flask and werkzeug in Chinese."""
from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import abort
from sqlalchemy import select
from werkzeug.exceptions import default_exceptions

from engine import clock
from engine.config import ROOT
from engine.models import Attachment, Notification
from engine.services import attachments, timers
from engine.services.context import Context
from tests.conftest import at
from tests.support import PASSWORD
from tests.web.helpers import PDF, form_token
from tests.yeji_walk import DECLARE, FACTS

HUGE = 2 ** 64            # beyond BIGINT: SQLite raises OverflowError, PostgreSQL NumericValueOutOfRange
CJK = re.compile(r"[\u4e00-\u9fff]")


def token(client, people, who="alice") -> dict:
    getattr(people, who)
    answer = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def browser(app, people, who="alice"):
    getattr(people, who)
    client = app.test_client()
    csrf = form_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": csrf}).status_code == 303
    return client


def chinese_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert CJK.search(body["title"]) and CJK.search(body["detail"]), body
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{4,} [A-Za-z]{4,}", body["detail"]), body  # no English sentence
    return body


def chinese_page(response, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "You don't have the permission" not in page and "The requested URL" not in page
    assert "The browser (or proxy)" not in page and "Internal Server Error" not in page
    return page


def declare_task(people) -> tuple[int, int]:
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    return iid, people.task("alice", iid, "Declare")["id"]


def upload(client, headers, task_id, content=PDF, name="方案.pdf", **form):
    return client.post(f"/api/v1/tasks/{task_id}/attachments", headers=headers,
                       data={"file": (io.BytesIO(content), name), **form}, content_type="multipart/form-data")


# --- 1. ids and query parameters -------------------------------------------------------------------

INT_PART = re.compile(r"<int(?:\([^)]*\))?:\w+>")


def test_every_int_route_answers_404_for_ids_beyond_the_database_range(app, client, people):
    from web.params import IdConverter
    assert app.url_map.converters["int"] is IdConverter
    api, page = token(client, people), browser(app, people)
    csrf = form_token(page.get("/").get_data(as_text=True))
    routes = [rule for rule in app.url_map.iter_rules() if INT_PART.search(rule.rule)]
    assert len(routes) >= 8, [r.rule for r in routes]  # API, admin and browser routes all use it
    for rule in routes:
        for value in (HUGE, 2 ** 63, "-1", "１２", "٣"):
            path = re.sub(r"<(?:[a-z]+:)?\w+>", "yeji", INT_PART.sub(str(value), rule.rule))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                caller = client if path.startswith("/api/") else page
                response = caller.open(path, method=method, headers={**api, "X-CSRF-Token": csrf})
                assert response.status_code == 404, (method, path, response.status_code)
                if path.startswith("/api/"):
                    chinese_problem(response, 404)
                else:
                    chinese_page(response, 404)
    # the largest id the database holds is an ordinary "not found"
    chinese_problem(client.get(f"/api/v1/instances/{2 ** 63 - 1}", headers=api), 404)


@pytest.mark.parametrize("url, param", [
    ("/api/v1/tasks?page=abc", "page"), ("/api/v1/tasks?per_page=1e3", "per_page"),
    ("/api/v1/tasks?page=" + "9" * 40, "page"), ("/api/v1/tasks?overdue=maybe", "overdue"),
    ("/api/v1/tasks?sort=oldest", "sort"), ("/api/v1/instances?status=deleted", "status"),
    ("/api/v1/tasks/completed?page=x", "page"), ("/api/v1/notifications?unread=2", "unread"),
    ("/api/v1/processes/yeji/diagram?version=v1", "version"), ("/api/v1/tasks?q=%00", "q"),
    ("/api/v1/admin/timers/incidents?all=sure", "all"),
])
def test_malformed_query_parameters_answer_422_naming_the_parameter(client, people, url, param):
    people.deploy("yeji")
    body = chinese_problem(client.get(url, headers=token(client, people, "mona")), 422)
    assert param in body["errors"], body


def test_a_version_beyond_its_column_is_not_found(client, people):
    """Version numbers are INTEGER columns: 2^31 is out of range on PostgreSQL."""
    people.deploy("yeji")
    for version in (HUGE, 2 ** 31):
        chinese_problem(client.get(f"/api/v1/processes/yeji/diagram?version={version}",
                                   headers=token(client, people)), 404)


def test_a_number_the_database_cannot_hold_is_never_a_500(client, people):
    """The net under the edge's checks: a route whose <int:version> the converter allows up to 2^63−1."""
    people.deploy("yeji")
    answer = client.get(f"/api/v1/processes/yeji/versions/{2 ** 40}/files", headers=token(client, people, "desi"))
    chinese_problem(answer, answer.status_code)
    assert answer.status_code in (404, 422)


def test_search_strings_are_capped_on_every_list(app, client, people):
    """SQLite refuses LIKE patterns over 50,000 bytes ('LIKE or GLOB pattern too complex')."""
    declare_task(people)
    huge = "项" * 100_000
    response = client.get("/api/v1/tasks", query_string={"q": huge}, headers=token(client, people))
    assert response.status_code == 200 and response.get_json() == []
    assert client.get("/api/v1/tasks", query_string={"q": "  叶集区智慧  "},
                      headers=token(client, people)).headers["X-Total-Count"] == "1"
    assert browser(app, people).get("/", query_string={"q": huge}).status_code == 200


@pytest.mark.parametrize("url, status", [
    ("/?page=abc", 422), ("/?sort=x", 422), ("/?overdue=perhaps", 422), ("/?tab=archive", 422),
    ("/instances?status=x", 422), ("/instances?page=-", 422), ("/notifications?page=zz", 422),
    (f"/projects/new?parent={HUGE}", 404), ("/projects/new?parent=abc", 422), ("/?q=%00", 422),
])
def test_malformed_parameters_of_the_pages_answer_a_chinese_page(app, people, url, status):
    page = chinese_page(browser(app, people).get(url), status)
    assert CJK.search(page)


def test_a_nul_in_the_path_or_a_form_is_refused(app, client, people):
    people.deploy("yeji")
    body = chinese_problem(client.get("/api/v1/processes/ye%00ji/diagram", headers=token(client, people)), 404)
    assert body["detail"] == "您访问的地址不存在。"          # refused before any query ran
    page = browser(app, people)
    csrf = form_token(page.get("/projects/new").get_data(as_text=True))
    refused = chinese_page(page.post("/projects/new", data={"csrf_token": csrf, "process": "yeji",
                                                            **{k: str(v) for k, v in FACTS.items()},
                                                            "project_name": "智慧\x00平台"}), 422)
    assert "不能包含空字符" in refused


def test_a_forged_non_ascii_csrf_token_is_refused_not_a_500(client, people):
    """hmac.compare_digest raises TypeError for str with non-ASCII characters."""
    client.get("/login")
    chinese_page(client.post("/login", data={"username": "alice", "password": "x", "csrf_token": "令牌"}), 400)


# --- 2. bodies --------------------------------------------------------------------------------------

def _post_json(client, headers, text: str, url="/api/v1/instances"):
    return client.post(url, data=text, headers={**headers, "Content-Type": "application/json"})


def test_json_nested_100000_deep_is_refused_without_a_recursion_error(client, people):
    headers = token(client, people)
    body = chinese_problem(_post_json(client, headers, "[" * 100_000 + "]" * 100_000), 422)
    assert "嵌套" in body["detail"]
    chinese_problem(_post_json(client, headers, '{"process": "yeji", "data": ' + '{"a": ' * 80 + "1"
                               + "}" * 80 + "}"), 422)


@pytest.mark.parametrize("text, where", [
    ('{"process": "yeji", "data": {"total_investment": NaN}}', "_body"),
    ('{"process": "yeji", "data": {"total_investment": 1e400}}', "data.total_investment"),
    ('{"process": "yeji", "data": {}, "parent_instance_id": %d}' % HUGE, "parent_instance_id"),
    ('{"process": "yeji", "data": {"project_name": "a\\u0000b"}}', "data.project_name"),
    ('{"process": "yeji", "data": {"project_name": "\\ud800"}}', "data.project_name"),
])
def test_json_values_no_database_can_store_are_refused(client, people, text, where):
    people.deploy("yeji")
    body = chinese_problem(_post_json(client, token(client, people), text), 422)
    assert where in body["errors"]


def test_a_json_body_over_the_limit_is_413(client, people):
    from web.params import JSON_MAX_BYTES
    text = json.dumps({"process": "yeji", "data": {"project_name": "x" * JSON_MAX_BYTES}})
    chinese_problem(_post_json(client, token(client, people), text), 413)


def test_malformed_json_is_a_chinese_error_and_marks_nothing_read(client, people, ctx):
    headers = token(client, people)
    with ctx.db.transaction() as session:
        session.add(Notification(user_id=people.alice, kind="overdue", title="逾期", body="逾期提醒",
                                 created_at=clock.now()))
    chinese_problem(_post_json(client, headers, "{broken", "/api/v1/notifications/read"), 422)
    assert client.get("/api/v1/notifications", headers=headers).headers["X-Unread-Count"] == "1"
    chinese_problem(_post_json(client, headers, "{broken"), 422)


def test_a_request_over_max_content_length_is_413_on_the_api_and_a_chinese_page_in_the_browser(app, client, people):
    iid, task_id = declare_task(people)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    chinese_problem(upload(client, token(client, people), task_id, PDF + b"0" * 8192), 413)
    page = browser(app, people)
    chinese_page(page.post(f"/tasks/{task_id}", data={"x": "0" * 8192}), 413)


# --- 3. text limits ---------------------------------------------------------------------------------

def _string_fields(node, path=""):
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" or (isinstance(node.get("type"), list) and "string" in node["type"]):
        yield path, node
    for key, prop in (node.get("properties") or {}).items():
        yield from _string_fields(prop, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        yield from _string_fields(node["items"], f"{path}[]")
    for keyword in ("allOf", "anyOf", "oneOf"):
        for index, sub in enumerate(node.get(keyword) or []):
            yield from _string_fields(sub, f"{path}/{keyword}{index}")
    for keyword in ("if", "then", "else", "not"):
        yield from _string_fields(node.get(keyword), f"{path}/{keyword}")
    for name, sub in (node.get("$defs") or {}).items():
        yield from _string_fields(sub, f"{path}$defs.{name}")


def test_every_string_field_of_every_form_has_a_max_length():
    files = sorted((ROOT / "forms").glob("**/*.schema.json"))
    assert len(files) > 100
    missing = [f"{file.relative_to(ROOT)}: {path}" for file in files
               for path, prop in _string_fields(json.loads(file.read_text(encoding="utf-8")))
               if "maxLength" not in prop and "enum" not in prop and "const" not in prop]
    assert missing == []


def test_a_200000_character_description_is_refused_naming_the_field(client, people):
    people.deploy("yeji")
    headers = token(client, people)
    body = chinese_problem(client.post("/api/v1/instances", headers=headers, json={
        "process": "yeji", "data": {**FACTS, "description": "长" * 200_000}}), 422)
    assert set(body["errors"]) == {"description"} and "不得超过" in body["errors"]["description"]
    iid, task_id = declare_task(people)
    body = chinese_problem(client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                                       json={"data": {**DECLARE, "resource_sharing": "长" * 200_000}}), 422)
    assert "resource_sharing" in body["errors"] and "不得超过 4000 个字" in body["errors"]["resource_sharing"]
    terminate = client.post(f"/api/v1/instances/{iid}/terminate", headers=token(client, people, "mona"),
                            json={"reason": "长" * 200_000})
    assert "reason" in chinese_problem(terminate, 422)["errors"]


def test_the_form_shows_each_limit_and_counts_line_breaks_as_the_browser_does(app, people):
    from web.ui import formkit
    iid, task_id = declare_task(people)
    page = browser(app, people).get(f"/tasks/{task_id}").get_data(as_text=True)
    area = re.search(r'<textarea id="f-resource_sharing"[^>]*>', page).group(0)
    assert 'maxlength="4000"' in area and 'aria-describedby="f-resource_sharing-limit"' in area
    assert '<p class="help limit" id="f-resource_sharing-limit">最多 4000 字</p>' in page
    assert re.search(r'<input id="f-leader"[^>]*maxlength="40"', page)
    schema = {"properties": {"note": {"type": "string", "x-widget": "textarea", "maxLength": 5}}}
    from werkzeug.datastructures import MultiDict
    assert formkit.parse(schema, MultiDict({"note": "a\r\nb\r\nc"}))[0] == {"note": "a\nb\nc"}


# --- 4. file names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, clean", [
    ("evil\u202efdp.exe", "evilfdp.exe"),
    ("\u2066报告\u2069.pdf", "报告.pdf"),
    ("a\u200eb\u200f.pdf", "ab.pdf"),
    ("e\u0301.pdf", "\u00e9.pdf"),
    ("方案.pdf. . ", "方案.pdf"),
    ("../..\\x\x00y\x1b.pdf", "xy.pdf"),
])
def test_file_names_lose_control_and_bidi_characters_and_are_nfc(raw, clean):
    assert attachments.clean_filename(raw) == clean


def test_the_rtl_trick_does_not_pass_an_exe_as_a_pdf(client, people, ctx):
    iid, task_id = declare_task(people)
    headers = token(client, people)
    body = chinese_problem(upload(client, headers, task_id, b"MZ\x90\x00", "evil\u202efdp.exe"), 422)
    assert "evilfdp.exe" in body["detail"] and "\u202e" not in body["detail"]
    answer = upload(client, headers, task_id, PDF, "\u202e方案\u202c.pdf")
    assert answer.status_code == 201 and answer.get_json()["name"] == "方案.pdf"


# --- 5. attachment fields checked by the service --------------------------------------------------

def test_an_api_client_uploads_and_completes_with_the_ids(client, people, ctx):
    iid, task_id = declare_task(people)
    headers = token(client, people)
    plan = upload(client, headers, task_id, PDF, "建设方案.pdf")
    assert plan.status_code == 201
    assert set(plan.get_json()) == {"id", "name", "size", "sha256"}
    study = upload(client, headers, task_id, PDF + b"%study", "可研.pdf", field="feasibility_study").get_json()
    data = {**DECLARE, "construction_plan": str(plan.get_json()["id"]), "feasibility_study": str(study["id"])}
    done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={"data": data})
    assert done.status_code == 200, done.get_data(as_text=True)


@pytest.mark.parametrize("value", ["建设方案.pdf", "999999", "0", "-1", " ", "9" * 19])
def test_a_required_document_cannot_be_skipped_through_the_api(client, people, value):
    iid, task_id = declare_task(people)
    headers = token(client, people)
    study = upload(client, headers, task_id).get_json()["id"]
    body = chinese_problem(client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={
        "data": {**DECLARE, "construction_plan": value, "feasibility_study": str(study)}}), 422)
    assert set(body["errors"]) == {"construction_plan"} if value.strip() else "construction_plan" in body["errors"]
    assert people.ready(iid) == ["Declare"]


def test_a_file_of_another_project_is_refused(client, people, ctx):
    other, other_task = declare_task(people)
    headers = token(client, people)
    foreign = str(upload(client, headers, other_task).get_json()["id"])
    iid, task_id = declare_task(people)
    body = chinese_problem(client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={
        "data": {**DECLARE, "construction_plan": foreign, "feasibility_study": foreign}}), 422)
    assert set(body["errors"]) == {"construction_plan", "feasibility_study"}


def test_a_file_uploaded_by_someone_who_could_not_act_or_lost_on_disk_is_refused(client, people, ctx, settings):
    iid, task_id = declare_task(people)
    headers = token(client, people)
    plan = upload(client, headers, task_id).get_json()["id"]
    study = upload(client, headers, task_id, PDF + b"2").get_json()["id"]
    with ctx.db.transaction() as session:
        session.get(Attachment, plan).uploaded_by_id = people.bob      # another applicant unit
        stored = Path(settings.upload_dir) / session.get(Attachment, study).stored_name
    stored.unlink()
    body = chinese_problem(client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers, json={
        "data": {**DECLARE, "construction_plan": str(plan), "feasibility_study": str(study)}}), 422)
    assert set(body["errors"]) == {"construction_plan", "feasibility_study"}


def test_uploads_answer_403_404_409_and_422_in_order(client, people):
    iid, task_id = declare_task(people)
    alice = token(client, people)
    chinese_problem(upload(client, token(client, people, "bob"), task_id), 403)
    chinese_problem(upload(client, alice, 2 ** 63 - 1), 404)
    assert "file" in chinese_problem(client.post(f"/api/v1/tasks/{task_id}/attachments", headers=alice,
                                                 data={}, content_type="multipart/form-data"), 422)["errors"]
    assert "leader" in chinese_problem(upload(client, alice, task_id, field="leader"), 422)["errors"]
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-03 10:00"))
    chinese_problem(upload(client, alice, task_id), 409)


def test_a_file_over_the_upload_limit_is_413(people, ctx):
    iid, task_id = declare_task(people)
    small = Context(settings=dataclasses.replace(ctx.settings, max_upload_mb=1), db=ctx.db, runtime=ctx.runtime)
    with pytest.raises(attachments.AttachmentTooLarge) as refused:
        attachments.store(small, people.alice, task_id, None, "大.pdf", io.BytesIO(b"%PDF-" + b"0" * (1 << 20)))
    assert refused.value.status == 413


def _rows(ctx, iid):
    with ctx.db.transaction() as session:
        return len(list(session.scalars(select(Attachment).where(Attachment.instance_id == iid))))


def test_the_retry_of_a_refused_submission_stores_nothing_twice(app, people, ctx):
    iid, task_id = declare_task(people)
    page = browser(app, people)

    def submit(**extra):
        csrf = form_token(page.get(f"/tasks/{task_id}").get_data(as_text=True))
        return page.post(f"/tasks/{task_id}", content_type="multipart/form-data", data={
            **{k: v for k, v in DECLARE.items() if k not in ("construction_plan", "feasibility_study")},
            "csrf_token": csrf, "construction_plan__file": (io.BytesIO(PDF), "建设方案.pdf"),
            "feasibility_study__file": (io.BytesIO(PDF + b"%2"), "可研.pdf"), **extra})
    refused = submit(phone="x")
    assert refused.status_code == 422 and "建设方案.pdf" in refused.get_data(as_text=True)
    assert _rows(ctx, iid) == 2
    assert submit().status_code == 303               # the same files chosen again
    assert _rows(ctx, iid) == 2 and people.ready(iid) != ["Declare"]


def test_orphans_are_cleaned_a_day_after_by_the_tick(client, people, ctx, settings):
    iid, task_id = declare_task(people)
    start = clock.now()
    with clock.frozen_at(start):
        replaced = attachments.store(ctx, people.alice, task_id, "construction_plan", "旧.pdf", io.BytesIO(PDF))
        kept = attachments.store(ctx, people.alice, task_id, "construction_plan", "新.pdf", io.BytesIO(PDF + b"n"))
        study = attachments.store(ctx, people.alice, task_id, "feasibility_study", "可研.pdf", io.BytesIO(PDF + b"s"))
    with ctx.db.transaction() as session:
        replaced_file = Path(settings.upload_dir) / session.get(Attachment, replaced["id"]).stored_name
    timers.tick(ctx, start + timedelta(days=3))
    assert _rows(ctx, iid) == 3                      # the task still waits: kept for the retry
    from engine.services import runtime
    runtime.complete_task(ctx, people.alice, task_id, {**DECLARE, "construction_plan": str(kept["id"]),
                                                       "feasibility_study": str(study["id"])}, now=start)
    timers.tick(ctx, start + timedelta(hours=23))
    assert _rows(ctx, iid) == 3                      # not yet a day old
    timers.tick(ctx, start + timedelta(days=3))
    with ctx.db.transaction() as session:
        left = set(session.scalars(select(Attachment.id).where(Attachment.instance_id == iid)))
    assert left == {kept["id"], study["id"]} and not replaced_file.exists()


# --- 6. every error page and problem in Chinese ----------------------------------------------------

def test_every_werkzeug_error_is_chinese_on_the_api_and_in_the_browser(app, people):
    @app.route("/api/v1/_raise/<int:code>")
    @app.route("/_raise/<int:code>")
    def _raise(code):
        abort(code)
    page = browser(app, people)
    for code in sorted(c for c in default_exceptions if c >= 400):
        chinese_problem(page.get(f"/api/v1/_raise/{code}"), code)
        assert CJK.search(chinese_page(page.get(f"/_raise/{code}"), code).split("<main", 1)[-1])


def test_403_404_and_405_are_chinese(app, client, people):
    page = browser(app, people)
    forbidden = chinese_page(page.get("/manage"), 403)
    assert "您没有访问该页面或办理该事项的权限" in forbidden
    chinese_page(page.get("/no/such/page"), 404)
    chinese_problem(client.get("/api/v1/nothing"), 404)
    wrong = client.delete("/api/v1/tasks", headers=token(client, people))
    chinese_problem(wrong, 405)
    assert "GET" in wrong.headers["Allow"]
