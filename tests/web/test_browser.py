"""In a real browser (Debian's Chromium through Playwright): an applicant declares a 叶集 project, the
six reviewing bureaus each find it in their inbox and see it on the diagram, one returns it with a
comment, the applicant revises, and the second joint review lets it through. Screenshots of the
inbox, a task form and the instance page go to artifacts/screenshots/."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from engine import clock
from engine.models import ProcessInstance
from engine.services.timers import tick
from tests.conftest import at
from tests.web.helpers import PDF, docx_bytes, screenshot

REVIEWS = [("dora", "ReviewDataBureau"), ("erin", "ReviewExperts"), ("fay", "ReviewFinance"),
           ("nick", "ReviewNdrc"), ("cris", "ReviewCrypto"), ("cathy", "ReviewCac")]
PROJECT = "叶集区智慧教育云平台"


def this_year() -> int:
    return clock.now().astimezone(clock.SHANGHAI).year


def submit(page, name: str = "提交办理"):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def active_on_diagram(page) -> set[str]:
    expect(page.locator("#diagram")).to_have_attribute("data-ready", "true")
    return set(page.locator(".djs-element.gf-active").evaluate_all(
        "els => els.map(e => e.getAttribute('data-element-id'))"))


def declare_project(alice) -> None:
    """Start the project (one wrong value, then the past deadline, then right) and declare it."""
    alice.get_by_role("navigation", name="主导航").get_by_role("link", name="发起项目").click()
    if alice.get_by_role("button", name="下一步").count():
        alice.get_by_role("radio", name="叶集区政务信息化项目管理流程").check()
        alice.get_by_role("button", name="下一步").click()
    alice.get_by_label("项目名称").fill(PROJECT)
    alice.get_by_role("radio", name="建设类").check()
    alice.get_by_label("总投资").fill("-5")
    alice.get_by_label("计划年度").fill(str(this_year()))
    alice.get_by_label("项目简要说明及建设依据").fill("全区中小学教育资源与管理一体化平台")
    submit(alice, "提交并发起")
    expect(alice.locator("#f-total_investment-error")).to_have_text(re.compile("“总投资”不得小于 0"))
    expect(alice.get_by_label("项目名称")).to_have_value(PROJECT)
    expect(alice.get_by_label("项目简要说明及建设依据")).to_have_value("全区中小学教育资源与管理一体化平台")
    expect(alice.get_by_role("radio", name="建设类")).to_be_checked()

    alice.get_by_label("总投资").fill("320")
    submit(alice, "提交并发起")
    expect(alice.locator("[data-error-summary] h2")).to_contain_text(f"{this_year()}年度的申报截止日期为")
    expect(alice.locator("#f-plan_year-error")).to_contain_text("已过申报截止日期")

    alice.get_by_label("国家/省/市明确要求且情况紧急").check()
    submit(alice, "提交并发起")
    expect(alice.get_by_role("heading", name="项目申报", level=1)).to_be_visible()
    expect(alice.get_by_role("status")).to_contain_text(f"已发起“叶集区政务信息化项目管理流程”：{PROJECT}")

    alice.get_by_label("项目建设依据").fill("《叶集区“十四五”数字政府建设规划》")
    alice.get_by_label("项目建设方案").set_input_files(
        {"name": "建设方案.pdf", "mimeType": "application/pdf", "buffer": PDF})
    alice.get_by_label("项目可行性研究报告").set_input_files(
        {"name": "可行性研究报告.docx", "mimeType": "application/octet-stream", "buffer": docx_bytes()})
    alice.get_by_label("项目概算").fill("320")
    alice.get_by_label("负责人").fill("王主任")
    alice.get_by_label("联系人").fill("陈科长")
    alice.get_by_label("联系电话").fill("0564-6100000")
    screenshot(alice, "task-form")
    submit(alice)
    expect(alice.get_by_role("status")).to_contain_text(f"已提交“项目申报”（{PROJECT}）")


def review(browsing, who: str, element: str, expected_active: set[str], decision: str = "通过",
           comment: str | None = None, shots: bool = False) -> None:
    page = browsing.sign_in(who)
    link = page.get_by_role("link", name=PROJECT, exact=True)
    expect(link).to_be_visible()
    if shots:
        expect(page.locator("tr.is-overdue")).to_contain_text("叶集区全民健康信息平台二期")
        expect(page.locator("tr.is-overdue")).to_contain_text("2025年12月31日")
        expect(page.locator("tr.is-overdue .tag-overdue")).to_have_text("已逾期")
        screenshot(page, "inbox")
    link.click()
    task_url = page.url
    page.get_by_role("link", name="查看流程图与办理记录").click()
    assert active_on_diagram(page) == expected_active
    if shots:
        screenshot(page, "instance")
    page.goto(task_url)
    page.get_by_role("radio", name=decision, exact=True).check()
    if comment is None and decision == "退回修改":
        submit(page)  # a return needs a comment: the form comes back with the message
        expect(page.locator("#f-comment-error")).to_have_text(re.compile("退回或不通过时必须填写意见"))
        expect(page.get_by_role("radio", name="退回修改", exact=True)).to_be_checked()
        comment = "请在可研报告中补充信息资源共享分析（第九条）"
    if comment:
        page.get_by_label("审查意见").fill(comment)
    submit(page)
    expect(page.get_by_role("status")).to_contain_text("已提交")
    expect(page.get_by_role("link", name=PROJECT, exact=True)).to_have_count(0)
    page.context.close()


def seed_other_projects(people, ctx) -> None:
    """Two more projects in the joint review, so the reviewers' inboxes look like a working day:
    one past its 12月31日 deadline (declared for 2026 in 2025), one still within it."""
    declaration = {"construction_basis": "依据", "construction_plan": "方案.pdf", "budget_estimate": 180,
                   "feasibility_study": "可研.pdf", "leader": "张三", "contact": "李四", "phone": "0564-1234567"}
    facts = {"project_type": "construction", "total_investment": 180}
    old = people.start("bob", "yeji", dict(facts, project_name="叶集区全民健康信息平台二期"),
                       now=at("2025-08-01 10:00"))
    people.do("bob", old, "Declare", declaration, now=at("2025-08-02 10:00"))
    tick(ctx, at("2025-10-01 00:00:01"))
    recent = people.start("alice", "yeji", dict(facts, project_name="叶集区校园安全视频联网系统"),
                          now=at("2026-08-01 10:00"))
    people.do("alice", recent, "Declare", declaration, now=at("2026-08-02 10:00"))
    tick(ctx, at("2026-10-01 00:00:01"))


def test_it_walks_a_yeji_project_through_the_joint_review_in_the_browser(browsing, people, ctx):
    people.deploy("yeji")
    seed_other_projects(people, ctx)
    alice = browsing.sign_in("alice")
    declare_project(alice)
    iid = _only_instance(people)
    tick(ctx, clock.now())  # 紧急增列: the review window of last October is already due
    assert people.ready(iid) == sorted(e for _, e in REVIEWS)

    waiting = {e for _, e in REVIEWS}
    for index, (who, element) in enumerate(REVIEWS):
        review(browsing, who, element, waiting, decision="退回修改" if who == "dora" else "通过",
               shots=index == 0)
        waiting.discard(element)
    assert people.ready(iid) == ["Revise"]

    alice.goto("/")
    alice.get_by_role("link", name=PROJECT, exact=True).click()
    expect(alice.get_by_role("heading", name="修改申报材料", level=1)).to_be_visible()
    expect(alice.locator(".returns")).to_contain_text("请在可研报告中补充信息资源共享分析（第九条）")
    expect(alice.locator(".returns")).to_contain_text("区数据资源管理局")
    alice.get_by_label("修改说明").fill("已在可研报告第五章补充信息资源共享分析。")
    submit(alice)
    assert people.ready(iid) == sorted(e for _, e in REVIEWS)

    waiting = {e for _, e in REVIEWS}
    for who, element in REVIEWS:
        review(browsing, who, element, waiting)
        waiting.discard(element)
    assert people.ready(iid) == ["InvestmentPlan"]

    alice.goto(f"/instances/{iid}")
    assert active_on_diagram(alice) == {"InvestmentPlan"}
    expect(alice.locator(".djs-element.gf-done[data-element-id='ReviewCac']")).to_have_count(1)
    expect(alice.locator(".djs-connection.gf-path").first).to_be_attached()
    expect(alice.locator(".timeline")).to_contain_text("请在可研报告中补充信息资源共享分析（第九条）")
    with alice.expect_download() as download:
        alice.get_by_role("link", name="建设方案.pdf").first.click()
    assert download.value.suggested_filename == "建设方案.pdf"
    assert Path(download.value.path()).read_bytes() == PDF
    expect(alice.locator(".tl-files").first).to_contain_text("建设方案.pdf")
    assert browsing.script_errors == []


def _only_instance(people) -> int:
    with people.ctx.db.transaction() as session:
        return session.scalar(select(ProcessInstance.id).where(ProcessInstance.project_name == PROJECT))


def test_it_refuses_another_units_download_and_csrf_less_posts(browsing, people, ctx):
    import io

    from engine.services import attachments
    iid = people.start("alice", "yeji", {"project_name": PROJECT, "project_type": "construction",
                                         "total_investment": 320, "urgent": True, "plan_year": this_year()})
    task = people.task("alice", iid, "Declare")
    info = attachments.store(ctx, people.alice, task["id"], "construction_plan", "建设方案.pdf", io.BytesIO(PDF))

    bob = browsing.sign_in("bob")
    response = bob.goto(f"/attachments/{info['id']}")
    assert response.status == 403
    expect(bob.get_by_role("heading", name="无权操作")).to_be_visible()
    expect(bob.locator("body")).to_contain_text("您无权下载该附件")

    alice = browsing.sign_in("alice")
    forged = alice.request.post(f"/tasks/{task['id']}", form={"construction_basis": "伪造的提交"})
    assert forged.status == 400 and "请求校验未通过" in forged.text()
    api = alice.request.post("/api/v1/instances", data={"process": "yeji", "data": {"project_name": "伪造"}})
    assert api.status == 400 and api.json()["code"] == "csrf_failed"
    assert people.ready(iid) == ["Declare"]


def test_it_works_at_phone_width_and_by_keyboard(browsing, people):
    people.start("alice", "yeji", {"project_name": PROJECT, "project_type": "construction",
                                   "total_investment": 320})  # the next open year: its 9月30日 may be 暂定
    page = browsing.browser.new_context(base_url=browsing.server.url, locale="zh-CN",
                                        viewport={"width": 390, "height": 844}).new_page()
    browsing.contexts.append(page.context)
    browsing.watch(page)
    page.goto("/login")
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    page.keyboard.type("secret-pass-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=PROJECT, exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "inbox-phone")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    with page.expect_navigation():
        page.get_by_role("link", name=PROJECT, exact=True).click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "task-form-phone")
    assert browsing.script_errors == []


def test_it_marks_a_waiting_timer_and_the_path_taken_on_the_diagram(browsing, people):
    iid = people.start("alice", "yeji", {"project_name": PROJECT, "project_type": "construction",
                                         "total_investment": 320}, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", {"construction_basis": "依据", "construction_plan": "方案.pdf",
                                        "budget_estimate": 320, "feasibility_study": "可研.pdf", "leader": "张三",
                                        "contact": "李四", "phone": "0564-1234567"}, now=at("2026-08-02 10:00"))
    page = browsing.sign_in("alice")
    page.goto(f"/instances/{iid}")
    assert active_on_diagram(page) == set()
    expect(page.locator(".djs-element.gf-waiting[data-element-id='WaitReviewWindow']")).to_have_count(1)
    expect(page.locator(".djs-element.gf-done[data-element-id='Declare']")).to_have_count(1)
    expect(page.locator(".djs-connection.gf-path[data-element-id='Flow_Declare_WaitReviewWindow']")).to_have_count(1)
    expect(page.locator(".djs-connection.gf-path[data-element-id='Flow_GwScope_EndOutOfScope']")).to_have_count(0)
    page.get_by_role("button", name="适应窗口（全流程）").click()
    assert browsing.script_errors == []
