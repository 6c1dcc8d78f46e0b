"""The inbox reads at a glance on an office screen (1280 and 1440 px wide): 送达 and 办理期限 on one line
each (date, then how long it waited / is left), the step's title on at most two, the project name no
more than its share of the width — measured in Chromium on the rendered rows."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.services.timers import tick
from tests.conftest import at
from tests.web.test_pages import DECLARE, FACTS

NAMES = ("叶集区智慧教育云平台暨中小学教育资源公共服务与教育管理一体化平台建设项目"
         "（一期：数据中台、统一身份认证与移动端）",
         "叶集区全民健康信息平台二期（区域医疗数据共享、家庭医生签约服务、基层医疗卫生机构信息系统一体化改造）",
         "叶集区市场监管智慧执法系统", "叶集区12345政务服务便民热线智能分析系统升级改造项目")
IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "inbox-layout.png"
MEASURE = """() => [...document.querySelectorAll('table.grid tbody tr')].map(tr => {
  const cell = label => tr.querySelector(`td[data-label="${label}"]`);
  // the lines a cell's text is laid out on: the distinct tops of its text's line boxes
  const lines = el => { const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top / 4))).size; };
  const table = tr.closest('table').getBoundingClientRect().width;
  return {row: tr.getBoundingClientRect().height, name: cell('项目名称').getBoundingClientRect().width / table,
          step: lines(cell('办理环节')), arrived: lines(cell('送达')), due: lines(cell('办理期限')),
          named: lines(cell('项目名称')), line: parseFloat(getComputedStyle(cell('项目名称')).lineHeight)};
})"""


@pytest.fixture
def busy_reviewer(people, ctx):
    for name in NAMES:
        iid = people.start("alice", "yeji", dict(FACTS, project_name=name), now=at("2026-08-01 10:00"))
        people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    tick(ctx, at("2026-10-01 00:00:01"))
    return "dora"


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_inbox_columns_do_not_wrap_at_office_widths(browsing, busy_reviewer, width):
    page = browsing.sign_in(busy_reviewer, width=width, height=900)
    page.goto("/")
    rows = page.evaluate(MEASURE)
    assert len(rows) == len(NAMES)
    for row in rows:
        assert row["arrived"] <= 2 and row["due"] <= 2, row    # the date and its hint: two short lines
        assert row["step"] <= 2, row                           # 区数管局：规划科学性、资源共享性审查
        assert row["name"] <= 0.34, row                        # the name column takes no more than a third
        # a row is as tall as its name (and 编号) needs, never taller for the dates or the step
        assert row["row"] <= max(row["named"], 2) * row["line"] * 1.15 + 24, row
    if width == 1280:
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMAGE), full_page=False)
