"""The project page's 已走路径 and 办理记录 show what the engine did on its own between two people's
steps — the 10月 review window it waited for (from when, until when), 组织联合审查论证 (系统处理), the
scope check at the start (自动判断) — recorded with the step that moved the project, so neither the
page nor any list loads a workflow to know it."""
from __future__ import annotations

import json
import re

from engine.services import views
from engine.services.timers import tick
from tests.conftest import at
from tests.web.test_pages import DECLARE, FACTS, text

URGENT = dict(FACTS, urgent=True, plan_year=2026)   # 增列: the review window (1 Oct 2025) has passed


def _diagram(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="diagram-state">(.*?)</script>', page,
                                re.S).group(1))


def _item(detail: dict, event: str, element: str | None = None) -> dict:
    return next(ev for ev in detail["history"]
                if ev["event"] == event and (element is None or ev["element"] == element))


def test_a_timer_already_due_and_the_script_after_it_are_recorded_with_the_declaration(ctx, people):
    iid = people.start("alice", "yeji", URGENT, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    detail = views.instance_detail(ctx, people.alice, iid)
    started = _item(detail, "instance_started")
    assert started["passed"] == [{"element": "GwScope", "title": "列入部门预算且10万元以下？", "kind": "decision",
                                  "to": ["项目申报"]}]
    declared = _item(detail, "task_completed", "Declare")
    assert declared["passed"] == [
        {"element": "WaitReviewWindow", "title": "每年10月集中审查论证", "kind": "timer",
         "armed_at": "2026-08-02T10:00:00+08:00", "fires_at": "2025-10-01T00:00:00+08:00"},
        {"element": "PrepareReview", "title": "组织联合审查论证", "kind": "script"}]
    assert not [ev for ev in detail["history"] if ev["event"] == "timer_fired"]   # it never waited


def test_the_project_page_draws_and_lists_the_steps_the_engine_went_through(sign_in, people):
    iid = people.start("alice", "yeji", URGENT, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    page = text(sign_in("alice").get(f"/instances/{iid}"))
    visited = set(_diagram(page)["visited"])
    assert {"GwScope", "WaitReviewWindow", "PrepareReview", "Declare"} <= visited
    assert 'data-passed="WaitReviewWindow"' in page and 'data-passed="PrepareReview"' in page
    assert "时间节点" in page and "系统处理" in page and "自动判断" in page
    assert "组织联合审查论证" in page and "列入部门预算且10万元以下？ → 项目申报" in page
    assert "到达时已届满，随即通过" in page


def test_a_timer_the_project_waited_for_shows_from_when_to_when(ctx, sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    tick(ctx, at("2026-10-01 00:00:01"))
    fired = _item(views.instance_detail(ctx, people.alice, iid), "timer_fired", "WaitReviewWindow")
    assert [p["element"] for p in fired["passed"]] == ["WaitReviewWindow", "PrepareReview"]
    page = text(sign_in("alice").get(f"/instances/{iid}"))
    assert "自 2026年8月2日 10:00 起等待，至 2026年10月1日 00:00" in page
    assert 'data-passed="PrepareReview"' in page
    assert "PrepareReview" in _diagram(page)["visited"]
