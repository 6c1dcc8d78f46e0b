"""The managers' dashboard and project search in the browser: the charts drawn by ECharts, the
tables, the exports downloaded, the search filtered and sorted; screenshots for the documentation
(docs/images/dashboard.png, dashboard-search.png)."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from engine.services import portfolio
from tests import portfolio_support as ps
from tests.support import Personas
from tests.web.helpers import screenshot
from tests.web.test_pages import text


@pytest.fixture
def phased(monkeypatch, people):
    ps.install_phased(monkeypatch, people)


def test_a_manager_reads_the_dashboard_with_its_charts_and_downloads_a_table(browsing, ctx, people, phased):
    built = ps.build(people, ctx)
    portfolio.refresh_all(ctx)
    page = browsing.sign_in("mona", width=1440, height=1000)
    page.get_by_role("link", name="项目监控").first.click()
    page.wait_for_url("**/manage")
    expect(page.locator("body[data-charts-ready='true']")).to_have_count(1)
    charts = page.locator("[data-chart][data-drawn='true']")
    expect(charts).to_have_count(6)
    assert page.locator("[data-chart] canvas").count() == 6          # drawn by ECharts, not hand-made SVG
    expect(page.locator("#table-bureaus")).to_contain_text("区财政局")
    expect(page.locator("#overdue-total")).to_have_text(str(len(built.in_review) + len(built.finance_left)))
    expect(page.locator("#table-phase-durations")).to_contain_text(ps.REVIEW_PHASE)
    expect(page.get_by_role("link", name="项目监控（在办项目明细）")).to_be_visible()
    expect(page.get_by_role("link", name="流程故障").first).to_be_visible()
    with page.expect_download() as download:
        page.locator("#h-bureaus").get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["部门", "待办", "逾期"] and ["区财政局", str(len(built.finance_left))] == rows[
        [r[0] for r in rows].index("区财政局")][:2]
    screenshot(page, "dashboard")
    page.get_by_role("link", name="项目监控（在办项目明细）").click()
    page.wait_for_url("**/manage/running")
    expect(page.locator("h1")).to_contain_text("项目监控")
    assert browsing.script_errors == []


def test_a_manager_searches_sorts_and_exports_projects(browsing, ctx, people, phased):
    built = ps.build(people, ctx)
    page = browsing.sign_in("mona", width=1440, height=1000)
    page.goto("/manage/search")
    page.get_by_label("在某部门待办").select_option("finance")
    page.get_by_label("总投资下限").fill("100")
    page.get_by_role("button", name="查询").click()
    expected = [i for i in built.finance_left if built.investments[i] >= 100]
    expect(page.locator("#search-total")).to_have_text(str(len(expected)))
    page.locator("#search-results").get_by_role("link", name="总投资（万元）").click()
    first = max(expected, key=lambda i: (built.investments[i], i))
    expect(page.locator("#search-results tbody tr").first).to_contain_text(built.names[first])
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert sorted(row[0] for row in list(sheet.values)[1:]) == sorted(expected)
    screenshot(page, "dashboard-search")
    assert browsing.script_errors == []


def test_the_province_wide_viewer_picks_a_city_and_bureau_staff_are_kept_out(sign_in, ctx, people, phased):
    built = ps.build(people, ctx)
    Personas(ctx, "suqian", ps.PROVINCE).vera    # noqa: B018 - creates the province-wide viewer
    viewer = sign_in("vera")
    page = text(viewer.get("/manage"))
    assert "全部辖区" in page and "宿迁市" in page and "九江市" in page
    page = text(viewer.get("/manage?jurisdiction=jiujiang"))
    assert "九江" in page and "组合测试项目" not in page
    found = text(viewer.get("/manage/search?q=九江组合项目"))
    assert f'id="search-total">{len(built.jiujiang)}<' in found
    assert text(viewer.get("/")).count("项目总览") >= 1 and "流程故障" not in text(viewer.get("/"))
    suqian = sign_in("sq_mona")
    assert 'id="search-total">0<' in text(suqian.get("/manage/search?q=九江组合项目"))
    assert suqian.get("/manage?jurisdiction=jiujiang").status_code == 403
    assert sign_in("dora").get("/manage").status_code == 403
    assert sign_in("dora").get("/manage/search").status_code == 403
    bad = sign_in("mona").get("/manage/search?min_investment=很多")
    assert bad.status_code == 200 and "应为 0 至 1000000000 之间的金额（万元）" in text(bad)
