"""The browser pages through Flask's test client: sign-in, CSRF, the inbox, starting a project, task
forms (422 keeps what was typed, 409 when someone else was quicker) and the friendly error pages."""
from __future__ import annotations

import re

from engine.services import users
from tests.conftest import at
from tests.support import PASSWORD
from tests.web.helpers import form_token

FACTS = {"project_name": "智慧教育平台", "project_type": "construction", "total_investment": 300,
         "duration_months": 4}
REVIEWERS = ["ReviewDataBureau", "ReviewExperts", "ReviewFinance", "ReviewNdrc", "ReviewCrypto", "ReviewCac"]
DECLARE = {"construction_basis": "依据", "construction_plan": "方案.pdf", "budget_estimate": 300,
           "feasibility_study": "可研.pdf", "leader": "张三", "contact": "李四", "phone": "0564-1234567"}


def text(response) -> str:
    return response.get_data(as_text=True)


def in_review(people, ctx) -> int:
    """A 叶集 project waiting on the six parallel reviews."""
    from engine.services.timers import tick
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    tick(ctx, at("2026-10-01 00:00:01"))
    assert people.ready(iid) == sorted(REVIEWERS)
    return iid


def test_it_sends_anonymous_browsers_to_the_sign_in_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_it_signs_in_and_shows_unit_jurisdiction_and_roles(sign_in):
    page = text(sign_in("alice").get("/"))
    assert "区教育局" in page and "六安市叶集区" in page and "项目建设单位" in page
    assert "待办事项" in page


def test_it_refuses_a_wrong_password_and_keeps_the_username(client, people):
    assert people.alice
    token = form_token(text(client.get("/login")))
    response = client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
    assert "用户名或密码错误" in text(response)
    assert 'value="alice"' in text(response)
    assert client.get("/").status_code == 302


def test_it_signs_out(sign_in):
    client = sign_in("alice")
    token = form_token(text(client.get("/")))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_it_refuses_a_sign_in_without_csrf_token(client, people):
    assert people.alice
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "请求校验未通过" in text(response) and "site-header" in text(response)


def test_it_refuses_a_task_post_without_csrf_token(sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    task = people.task("alice", iid, "Declare")
    client = sign_in("alice")
    response = client.post(f"/tasks/{task['id']}", data=DECLARE)
    assert response.status_code == 400
    response = client.post(f"/tasks/{task['id']}", data=dict(DECLARE, csrf_token="forged"))
    assert response.status_code == 400
    assert people.ready(iid) == ["Declare"]


def test_it_requires_the_csrf_header_for_api_posts_made_with_the_session_cookie(sign_in, people):
    people.deploy("yeji")
    client = sign_in("alice")
    body = {"process": "yeji", "data": dict(FACTS, urgent=True, plan_year=2026)}
    refused = client.post("/api/v1/instances", json=body)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "csrf_failed"
    token = form_token(text(client.get("/")))
    accepted = client.post("/api/v1/instances", json=body, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201, accepted.get_json()


def test_it_needs_no_csrf_token_for_bearer_api_calls(client, people):
    people.deploy("yeji")
    assert people.alice
    token = client.post("/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}).get_json()["token"]
    response = client.post("/api/v1/instances", json={"process": "yeji", "data": dict(FACTS, urgent=True)},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


def test_it_shows_friendly_404_and_403_pages_in_the_site_layout(sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    bob = sign_in("bob")
    missing = bob.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in text(missing) and "site-header" in text(missing)
    assert bob.get("/tasks/987654").status_code == 404
    forbidden = bob.get(f"/instances/{iid}")
    assert forbidden.status_code == 403
    assert "您无权查看该项目" in text(forbidden) and "返回待办事项" in text(forbidden)
    declare = people.task("alice", iid, "Declare")
    assert bob.get(f"/tasks/{declare['id']}").status_code == 403


def test_it_shows_a_friendly_500_page(app, people):
    def broken():
        raise RuntimeError("boom")
    app.add_url_rule("/broken-for-test", view_func=broken)
    response = app.test_client().get("/broken-for-test")
    assert response.status_code == 500
    assert "系统内部错误" in text(response) and "boom" not in text(response) and "Traceback" not in text(response)


def test_it_lists_the_inbox_with_chinese_dates_waited_time_and_overdue_marks(sign_in, people):
    people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))  # 项目申报 due 2026-09-30 (第六条)
    page = text(sign_in("alice").get("/"))
    assert "智慧教育平台" in page and "项目申报" in page and "项目建设单位" in page
    assert "2026年9月30日" in page and "已逾期" in page
    assert re.search(r"已等待\d+天", page)
    assert "六安市叶集区" in page and "共 <strong>1</strong> 项" in page


def test_it_filters_sorts_and_pages_the_inbox(sign_in, people):
    for n in range(1, 24):
        people.start("alice", "yeji", dict(FACTS, project_name=f"平台{n:02d}"), now=at(f"2026-08-{n:02d} 10:00"))
    people.start("alice", "yeji", dict(FACTS, project_name="紧急平台", urgent=True, plan_year=2026),
                 now=at("2026-08-24 10:00"))
    client = sign_in("alice")
    first = text(client.get("/"))
    assert "共 <strong>24</strong> 项，第 1 / 2 页" in first
    assert first.index("平台01") < first.index("平台02")  # soonest due first, then oldest
    assert "紧急平台" not in first  # no due date: after every dated task
    second = text(client.get("/?page=2"))
    assert "第 2 / 2 页" in second and "紧急平台" in second and second.count('class="task-link"') == 4
    newest = text(client.get("/?sort=new"))
    assert newest.index("紧急平台") < newest.index("平台23") < newest.index("平台22")
    found = text(client.get("/?q=平台07"))
    assert "共 <strong>1</strong> 项" in found and "平台07" in found
    overdue = text(client.get("/?overdue=1"))
    assert "共 <strong>23</strong> 项" in overdue
    assert "共 <strong>24</strong> 项" in text(client.get("/?process=yeji"))
    assert "共 <strong>24</strong> 项" in text(client.get("/?process=unknown"))
    malformed = client.get("/?page=abc")  # a page number that is none: said so (tests/test_input_hardening.py)
    assert malformed.status_code == 422 and "页码应为整数" in text(malformed)


def test_it_lists_completed_tasks_in_the_done_tab(sign_in, people, ctx):
    iid = in_review(people, ctx)
    people.do("dora", iid, "ReviewDataBureau", {"decision": "approve"})
    page = text(sign_in("dora").get("/?tab=done"))
    assert "区数管局：规划科学性、资源共享性审查" in page and "项目办理中" in page


def start_form(client):
    page = text(client.get("/projects/new"))
    return form_token(page)


def test_it_starts_a_project_and_goes_on_to_the_declaration(sign_in, people):
    people.deploy("yeji")
    client = sign_in("alice")
    token = start_form(client)
    response = client.post("/projects/new", data={
        "csrf_token": token, "process": "yeji", "project_name": "智慧教育平台", "project_type": "construction",
        "total_investment": "300", "urgent": "true", "plan_year": "2026", "duration_months": "4"})
    assert response.status_code == 303
    assert re.match(r"/tasks/\d+$", response.headers["Location"])
    page = text(client.get(response.headers["Location"]))
    assert "已发起“叶集区政务信息化项目管理流程”：智慧教育平台" in page and "项目申报" in page


def test_it_keeps_every_typed_value_when_one_is_wrong(sign_in, people):
    people.deploy("yeji")
    client = sign_in("alice")
    token = start_form(client)
    response = client.post("/projects/new", data={
        "csrf_token": token, "process": "yeji", "project_name": "保留我", "project_type": "service",
        "total_investment": "-5", "duration_months": "三个月", "is_software": "true",
        "description": "多行\n说明"})
    page = text(response)
    assert response.status_code == 422
    assert "“总投资”不得小于 0" in page and "“预计建设周期（月）”应为整数" in page
    assert 'value="保留我"' in page and 'value="-5"' in page and 'value="三个月"' in page
    assert re.search(r'value="service"\s+checked', page)
    assert re.search(r'name="is_software" type="checkbox" value="true" checked', page)
    assert "多行\n说明</textarea>" in page


def test_it_shows_the_past_deadline_refusal_in_chinese(sign_in, people):
    people.deploy("yeji")
    client = sign_in("alice")
    token = start_form(client)
    response = client.post("/projects/new", data={
        "csrf_token": token, "process": "yeji", "project_name": "过期申报", "project_type": "construction",
        "total_investment": "300", "plan_year": "2026"})
    page = text(response)
    assert response.status_code == 422
    assert "2026年度的申报截止日期为2025年9月30日，已过期" in page
    assert "已过申报截止日期" in page and 'value="过期申报"' in page


def review_page(client, people, who, iid, element):
    task = people.task(who, iid, element)
    return task, form_token(text(client.get(f"/tasks/{task['id']}")))


def test_it_returns_a_review_with_a_comment_and_flashes_a_confirmation(sign_in, people, ctx):
    iid = in_review(people, ctx)
    dora = sign_in("dora")
    task, token = review_page(dora, people, "dora", iid, "ReviewDataBureau")
    missing = dora.post(f"/tasks/{task['id']}", data={"csrf_token": token, "decision": "return"})
    assert missing.status_code == 422 and "退回或不通过时必须填写意见" in text(missing)
    assert re.search(r'value="return"\s+checked', text(missing))
    done = dora.post(f"/tasks/{task['id']}", data={"csrf_token": token, "decision": "return",
                                                   "comment": "请补充共享分析"}, follow_redirects=True)
    assert "已提交“区数管局：规划科学性、资源共享性审查”" in text(done)
    assert "ReviewDataBureau" not in people.ready(iid)


def test_it_tells_a_colleague_the_task_was_done_meanwhile(sign_in, people, ctx):
    iid = in_review(people, ctx)
    with ctx.db.transaction() as session:
        users.upsert_user(session, "dan", PASSWORD, ctx.registry.get("yeji"), "区数据资源管理局", ["data_bureau"],
                          "丁同事")
    dan = sign_in("dan")
    task, token = review_page(dan, people, "dora", iid, "ReviewDataBureau")
    people.do("dora", iid, "ReviewDataBureau", {"decision": "approve"})
    response = dan.post(f"/tasks/{task['id']}", data={"csrf_token": token, "decision": "approve"})
    page = text(response)
    assert response.status_code == 409
    assert "已由dora办理完毕" in page and "您的提交未被保存" in page and "site-header" in page
    assert "error-page" not in page


def test_it_shows_the_comments_of_whoever_returned_it(sign_in, people, ctx):
    iid = in_review(people, ctx)
    for element, who in zip(REVIEWERS, ["dora", "erin", "fay", "nick", "cris", "cathy"], strict=True):
        data = {"decision": "return", "comment": "密评方案需补充"} if who == "cris" else {"decision": "approve"}
        people.do(who, iid, element, data)
    revise = people.task("alice", iid, "Revise")
    page = text(sign_in("alice").get(f"/tasks/{revise['id']}"))
    assert "退回意见" in page and "密评方案需补充" in page and "区委机要局（密码管理局）" in page
    assert "第七条" in page and "每年10-12月份" in page  # legal basis: article and text


def test_it_draws_the_instance_page_with_its_timeline_and_active_steps(sign_in, people, ctx):
    iid = in_review(people, ctx)
    people.do("dora", iid, "ReviewDataBureau", {"decision": "approve", "comment": "同意"})
    page = text(sign_in("alice").get(f"/instances/{iid}"))
    assert "5 个环节并行办理" in page and 'id="diagram-state"' in page
    for element in REVIEWERS[1:]:
        assert f'data-active-task="{element}"' in page
    assert "发起项目" in page and "项目申报" in page and "同意" in page and "区数据资源管理局" in page
    assert "/api/v1/processes/yeji/diagram?version=" in page


def test_it_shows_the_outcome_when_the_project_ended(sign_in, people):
    iid = people.start("alice", "yeji", dict(FACTS, total_investment=5, in_department_budget=True),
                       now=at("2026-08-01 10:00"))
    people.do("fay", iid, "ConfirmDepartmentBudget", {"in_department_budget_holds": "yes", "comment": "已列入部门预算"},
              now=at("2026-08-03 10:00"))
    page = text(sign_in("alice").get(f"/instances/{iid}"))
    assert "办理结果：10万元以下，不适用本办法（分散采购）" in page and "已终止" in page


def test_it_lists_the_units_projects(sign_in, people):
    people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.start("bob", "yeji", dict(FACTS, project_name="卫健项目"), now=at("2026-08-01 10:00"))
    page = text(sign_in("alice").get("/instances"))
    assert "智慧教育平台" in page and "卫健项目" not in page
    manager = text(sign_in("mona").get("/instances"))
    assert "智慧教育平台" in manager and "卫健项目" in manager


def test_it_serves_only_the_bpmn_viewer_from_node_modules(client):
    from web.ui.vendor import bpmn_js_installed
    assert bpmn_js_installed(), "bpmn-js is missing: run `npm ci` in the project folder"
    for path in ("bpmn-navigated-viewer.production.min.js", "assets/bpmn-js.css"):
        with client.get(f"/vendor/bpmn-js/{path}") as response:
            assert response.status_code == 200
    assert client.get("/vendor/bpmn-js/bpmn-modeler.production.min.js").status_code == 404
    assert client.get("/vendor/bpmn-js/../package.json").status_code == 404


def test_it_sends_security_headers(sign_in):
    response = sign_in("alice").get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_it_starts_a_change_request_from_the_project_page(sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.deploy("yeji.change_request")
    alice = sign_in("alice")
    assert "发起项目调整申请（第二十条）" in text(alice.get(f"/instances/{iid}"))
    form = alice.get(f"/projects/new?parent={iid}&process=yeji.change_request")
    assert "所属项目" in text(form) and "调整情形" in text(form)
    response = alice.post("/projects/new", data={
        "csrf_token": form_token(text(form)), "process": "yeji.change_request", "parent_instance_id": str(iid),
        "reason": "optimization", "description": "优化技术方案", "within_budget": "true", "goal_unchanged": "true"})
    assert response.status_code == 303, text(response)
    assert "已发起“项目调整申请（第二十条）”：智慧教育平台" in text(alice.get(response.headers["Location"]))
    assert sign_in("bob").get(f"/projects/new?parent={iid}&process=yeji.change_request").status_code == 403


def test_it_lists_a_waiting_timer_among_the_current_steps(sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    page = text(sign_in("alice").get(f"/instances/{iid}"))
    assert 'data-waiting="WaitReviewWindow"' in page and "等待至 2026年10月1日 00:00" in page
    assert '"waiting": [{"fires_at": "2026-10-01T00:00:00+08:00", "name": "WaitReviewWindow"' in page
