"""The managers' portfolio pages in a real browser: the counts on the 九江 diagram (bpmn-js overlays on
the tasks and on the phases' shapes, inside a phase's plane too), a count opening the list of its
projects, and 比对各地流程 with the five procedures side by side. Screenshots for the docs:
docs/images/overlay.png and docs/images/compare.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.test_jiujiang_walk import launched
from tests.test_jiujiang_walk import people as jiujiang_people  # noqa: F401 - the fixture

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
BIG = {"total_investment": 6000, "province_assessed": True}


@pytest.fixture
def people(jiujiang_people):  # noqa: F811 - 九江's personas under the name the browsing fixture uses
    return jiujiang_people


def test_a_manager_sees_the_projects_on_the_diagram_and_opens_those_at_a_step(ctx, people, browsing):
    ids = [launched(people, ctx, {**BIG, "project_name": f"九江市城市大脑{n}期"}, notice_at="2026-09-24 10:00")
           for n in "一二"]
    page = browsing.sign_in("mona", width=1500, height=1000)
    page.goto("/manage")
    page.get_by_role("link", name="流程图在办统计：九江市数字化项目建设管理流程").click()
    diagram = page.locator("#overlay-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    phase = page.locator('.gf-count[data-element="PhaseApproval"]')
    expect(phase).to_be_visible()
    expect(phase.locator("span").first).to_have_text("2")
    expect(phase.locator("span.late")).to_have_text("2")      # 10 working days from 24 September are long past
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "overlay.png"))           # the top plane: the phases with their counts
    page.get_by_role("button", name="立项审批（第二十五至二十七条）（2）").click()
    expect(diagram).to_have_attribute("data-plane", "PhaseApproval")
    task = page.locator('.gf-count[data-element="PrepareProposal"]')
    expect(task).to_be_visible()
    expect(task).to_have_attribute("aria-label", "编制项目建议书（10个工作日）：在办 2 个项目，其中逾期 2 个")
    page.screenshot(path=str(IMAGES / "overlay-phase.png"))     # inside the phase: the steps
    task.click()
    expect(page.get_by_role("heading", name="在“编制项目建议书（10个工作日）”等待的项目")).to_be_visible()
    for n in "一二":
        expect(page.get_by_role("link", name=f"九江市城市大脑{n}期")).to_be_visible()
    page.get_by_role("link", name="九江市城市大脑一期").click()
    page.wait_for_url(f"**/instances/{ids[0]}")
    assert browsing.script_errors == []


def test_a_manager_compares_the_five_cities_on_one_project(ctx, people, browsing):
    for key in ("huaian", "suqian", "jiujiang", "yeji", "yaohai"):
        people.deploy(key)
    page = browsing.sign_in("mona", width=1600, height=1100)
    page.goto("/manage")
    page.get_by_role("link", name="比对各地流程").click()
    page.get_by_label("项目名称").fill("全市一网统管平台")
    page.get_by_label("总投资（万元）").fill("450")
    page.get_by_label("项目类型").select_option("construction")
    page.get_by_label("软件开发类").check()
    page.get_by_role("button", name="比对").click()
    suqian = page.locator('.compare-column[data-jurisdiction="suqian"]')
    expect(suqian.get_by_role("heading", name="宿迁市 suqian")).to_be_visible()
    expect(suqian.locator(".compare-list").first).to_contain_text("审批项目建议书")
    expect(suqian).to_contain_text("市发展改革委")
    expect(suqian).to_contain_text("监理单位")
    jiujiang = page.locator('.compare-column[data-jurisdiction="jiujiang"]')
    expect(jiujiang).to_contain_text("最短法定用时")
    expect(jiujiang.locator(".compare-summary")).not_to_contain_text("省数字政府领导小组（办公室）")
    expect(page.locator(".compare-column")).to_have_count(5)
    page.locator(".compare-results").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -20)")
    page.screenshot(path=str(IMAGES / "compare.png"), full_page=False)
    assert browsing.script_errors == []


def test_a_wrong_number_is_refused_in_chinese_and_others_may_not_compare(ctx, people, browsing):
    people.deploy("jiujiang")
    page = browsing.sign_in("mona")
    response = page.goto("/manage/compare?run=1&total_investment=abc")
    assert response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("总投资应为数字")
    other = browsing.sign_in("alice")
    assert other.goto("/manage/compare").status == 403
    assert other.goto("/manage/processes/jiujiang/diagram").status == 403
