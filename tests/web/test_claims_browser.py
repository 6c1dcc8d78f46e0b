"""签收, 转办, 委托 and 暂存 in Chromium: the task page's buttons, the inbox's 全部 / 待签收 / 我已签收 /
委托我的 filters and its 签收人 column, over the real server and database."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.services import claims
from tests.support import Personas
from tests.test_task_claims import PEOPLE
from tests.web.conftest import Browsing
from tests.web.helpers import screenshot
from tests.yeji_walk import FACTS, in_review

PROJECT = FACTS["project_name"]


@pytest.fixture
def staff(ctx) -> Personas:
    people = Personas(ctx, table=PEOPLE)
    for name in ("dan", "lin", "mona"):
        getattr(people, name)
    return people


@pytest.fixture
def office(browser, live_server, staff):
    session = Browsing(browser, live_server, staff)
    yield session
    session.close()


def open_review(page):
    page.goto("/")
    page.get_by_role("link", name=PROJECT, exact=True).click()
    expect(page.get_by_role("heading", name="区数据资源管理局审查", level=1).or_(
        page.locator("h1"))).to_be_visible()


def press(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_reviewer_claims_a_task_and_a_colleague_sees_who_holds_it(office, staff, ctx):
    iid = in_review(staff, ctx)
    dora = office.sign_in("dora")
    dora.get_by_role("link", name="待签收").click()
    expect(dora.locator("tr", has_text=PROJECT).first.locator("[data-holder]")).to_contain_text("待签收")
    open_review(dora)
    press(dora, "签收")
    expect(dora.get_by_role("status")).to_contain_text("已签收")
    expect(dora.locator("[data-claim-state]")).to_contain_text("签收人：dora（我）")
    dora.goto("/?view=claimed")
    expect(dora.locator("tr", has_text=PROJECT)).to_have_count(1)

    # a working day's inbox: one project held by dora, one dan delegated to lin, one waiting to be claimed
    held = in_review(staff, ctx, project_name="叶集区数字城管平台升级")
    claims.delegate(ctx, staff.dan, staff.task("dan", held, "ReviewDataBureau")["id"], "lin")
    in_review(staff, ctx, project_name="叶集区政务外网安全加固")
    dan = office.sign_in("dan")
    expect(dan.locator("tr", has_text=PROJECT).first.locator("[data-holder]")).to_contain_text("dora")
    expect(dan.locator("tr", has_text="叶集区数字城管平台升级").locator("[data-holder]")).to_contain_text("已委托lin")
    expect(dan.locator("tr", has_text="叶集区政务外网安全加固").locator("[data-holder]")).to_contain_text("待签收")
    screenshot(dan, "inbox-claims")
    dan.goto("/?view=unclaimed")
    expect(dan.locator("tr", has_text=PROJECT)).to_have_count(0)
    expect(dan.locator("tr", has_text="叶集区政务外网安全加固")).to_have_count(1)
    dan.goto("/")
    open_review(dan)
    expect(dan.locator("[data-refusal]")).to_contain_text("已由dora签收，只有签收人可以办理")
    expect(dan.get_by_role("button", name="提交办理")).to_have_count(0)
    assert "ReviewDataBureau" in staff.ready(iid)


def test_the_holder_reassigns_a_task_to_a_colleague_of_the_same_role(office, staff, ctx):
    iid = in_review(staff, ctx)
    dora = office.sign_in("dora")
    open_review(dora)
    press(dora, "签收")
    form = dora.locator("[data-assign-form]")
    form.get_by_role("combobox").select_option("dan")
    with dora.expect_navigation():
        form.get_by_role("button", name="转办").click()
    expect(dora.get_by_role("status")).to_contain_text("已将“")
    expect(dora.locator("[data-claim-state]")).to_contain_text("签收人：dan")
    dan = office.sign_in("dan")
    dan.goto("/?view=claimed")
    dan.get_by_role("link", name=PROJECT, exact=True).click()
    dan.get_by_role("radio", name="通过", exact=True).check()
    press(dan, "提交办理")
    expect(dan.get_by_role("status")).to_contain_text("已提交")
    assert "ReviewDataBureau" not in staff.ready(iid)


def test_a_delegate_fills_a_task_in_and_the_holder_confirms_it(office, staff, ctx):
    iid = in_review(staff, ctx)
    dora = office.sign_in("dora")
    open_review(dora)
    form = dora.locator("[data-delegate-form]")
    form.get_by_role("combobox").select_option("lin")
    with dora.expect_navigation():
        form.get_by_role("button", name="委托").click()
    expect(dora.locator("[data-claim-state]")).to_contain_text("已委托 lin 填报")
    expect(dora.get_by_role("button", name="收回委托")).to_be_visible()
    expect(dora.get_by_role("button", name="提交办理")).to_have_count(0)
    screenshot(dora, "task-delegated")

    lin = office.sign_in("lin")
    lin.get_by_role("link", name="委托我的").click()
    lin.get_by_role("link", name=PROJECT, exact=True).click()
    expect(lin.locator("[data-delegated-to-me]")).to_contain_text("dora委托您填报")
    lin.get_by_role("radio", name="退回修改", exact=True).check()
    press(lin, "提交签收人确认")          # a return without a comment: refused, nothing lost
    expect(lin.locator("#f-comment-error")).to_have_text(re.compile("退回或不通过时必须填写意见"))
    lin.get_by_label("审查意见").fill("请补充等保测评方案")
    press(lin, "提交签收人确认")
    expect(lin.get_by_role("status")).to_contain_text("提交dora确认")
    assert "ReviewDataBureau" in staff.ready(iid)

    dora.goto("/?view=claimed")
    dora.get_by_role("link", name=PROJECT, exact=True).click()
    expect(dora.locator("[data-claim-state]")).to_contain_text("lin 已提交填报结果，待签收人确认")
    expect(dora.get_by_label("审查意见")).to_have_value("请补充等保测评方案")
    press(dora, "确认并提交")
    expect(dora.get_by_role("status")).to_contain_text("已确认并提交")
    assert "ReviewDataBureau" not in staff.ready(iid)
    dora.goto(f"/instances/{iid}")
    timeline = dora.locator(".timeline")
    expect(timeline).to_contain_text("委托")
    expect(timeline).to_contain_text("受托人提交填报结果")


def test_a_draft_is_saved_unvalidated_and_resumed_later(office, staff, ctx):
    iid = in_review(staff, ctx)
    dora = office.sign_in("dora")
    open_review(dora)
    expect(dora.locator("[data-draft-hint]")).to_contain_text("并由您签收本任务")
    dora.get_by_role("radio", name="退回修改", exact=True).check()
    dora.get_by_label("审查意见").fill("初稿：材料基本齐全")
    press(dora, "暂存")
    expect(dora.get_by_role("status")).to_contain_text("已暂存")
    expect(dora.locator("[data-claim-state]")).to_contain_text("签收人：dora（我）")
    dora.context.close()

    again = office.sign_in("dora")
    again.goto("/?view=claimed")
    again.get_by_role("link", name=PROJECT, exact=True).click()
    expect(again.get_by_label("审查意见")).to_have_value("初稿：材料基本齐全")
    expect(again.get_by_role("radio", name="退回修改", exact=True)).to_be_checked()
    again.get_by_role("radio", name="通过", exact=True).check()
    press(again, "提交办理")
    expect(again.get_by_role("status")).to_contain_text("已提交")
    assert "ReviewDataBureau" not in staff.ready(iid)
