"""Phases: collapsed sub-processes with lanes of their own (`<SubProcessId>_lane_<role>`), routed like
top-level lanes, and shown on the project page — the 阶段 list, the phase marked from what happens
inside it, the page opening on the plane of the phase where the project waits (tests/fixtures/phases.bpmn:
项目申报 → 联合审查阶段 [区数管局审查 → 区财政局审查] → 归档)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.errors import DiagramInvalid
from tests.conftest import at
from tests.diagrams import Diagram
from tests.test_timers_support import CONFIRM, install_process

KEY = "yeji.test_phases"
XML = (Path(__file__).resolve().parents[1] / "fixtures" / "phases.bpmn").read_bytes()
FACTS = {"project_name": "分阶段审查测试项目", "project_type": "construction", "total_investment": 100}
DONE = {"confirmed": True}


@pytest.fixture
def phased(monkeypatch, people):
    install_process(monkeypatch, people, KEY, XML, name="分阶段测试流程")


def roles_ready(people, iid: int) -> list[tuple[str, str, str]]:
    return [(t.element_id, t.role_key, t.lane) for t in people.ready_rows(iid)]


def test_lanes_inside_a_phase_route_its_tasks_to_their_roles(people, phased):
    iid = people.start("alice", KEY, FACTS, now=at("2026-08-03 10:00"))
    people.do("alice", iid, "Declare", DONE, now=at("2026-08-03 10:00"))
    assert roles_ready(people, iid) == [("BureauReview", "data_bureau", "区数管局")]
    people.do("dora", iid, "BureauReview", DONE, now=at("2026-08-04 10:00"))
    assert roles_ready(people, iid) == [("FinanceReview", "finance", "区财政局")]
    people.do("fay", iid, "FinanceReview", DONE, now=at("2026-08-05 10:00"))
    assert roles_ready(people, iid) == [("Archive", "applicant", "建设单位")]


def test_a_lane_inside_a_phase_named_otherwise_is_refused(monkeypatch, people):
    bad = XML.replace(b"PhaseReview_lane_finance", b"PhaseReview_finance")
    with pytest.raises(DiagramInvalid) as refused:
        install_process(monkeypatch, people, KEY, bad, name="分阶段测试流程")
    problems = {element: reason for _file, element, reason in refused.value.problems}
    assert "lane_<角色> 或 <子流程id>_lane_<角色>" in problems["FinanceReview"]
    assert "BureauReview" not in problems


def element(page, element_id: str):
    return page.locator(f"#diagram .djs-element[data-element-id='{element_id}']")


def test_the_project_page_opens_the_phase_where_the_project_waits(browsing, people, phased):
    iid = people.start("alice", KEY, FACTS, now=at("2026-08-03 10:00"))
    people.do("alice", iid, "Declare", DONE, now=at("2026-08-03 10:00"))

    page = browsing.sign_in("dora")
    page.goto(f"/instances/{iid}")
    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    phases = page.get_by_role("navigation", name="阶段")
    expect(phases).to_be_visible()
    expect(phases).to_contain_text("阶段：")
    phase = phases.get_by_role("button", name=re.compile("联合审查阶段"))
    expect(phase).to_contain_text("办理中")

    # it opens inside the phase, on the review the project waits for
    expect(diagram).to_have_attribute("data-plane", "PhaseReview")
    expect(phase).to_have_attribute("aria-current", "true")
    expect(element(page, "BureauReview")).to_be_visible()
    expect(element(page, "BureauReview")).to_have_class(re.compile(r"\bgf-active\b"))
    expect(element(page, "FinanceReview")).not_to_have_class(re.compile(r"\bgf-(active|done)\b"))
    expect(page.locator("#diagram .gf-badge:visible")).to_have_text(["办理中"])
    expect(element(page, "Declare")).to_be_hidden()  # the top plane is not shown

    # 返回总图: the phase is marked active on the top plane, where the project came from is done
    phases.get_by_role("link", name="返回总图").click()
    expect(diagram).to_have_attribute("data-plane", "")
    expect(phase).not_to_have_attribute("aria-current", "true")
    expect(phases.get_by_role("link", name="返回总图")).to_be_hidden()
    expect(element(page, "PhaseReview")).to_be_visible()
    expect(element(page, "PhaseReview")).to_have_class(re.compile(r"\bgf-active\b"))
    expect(element(page, "Declare")).to_have_class(re.compile(r"\bgf-done\b"))
    expect(element(page, "Flow_Declare_PhaseReview")).to_have_class(re.compile(r"\bgf-path\b"))
    expect(element(page, "BureauReview")).to_be_hidden()

    # bpmn-js's own drill-down opens the phase too, and the list follows
    page.locator("#diagram .bjs-drilldown").click()
    expect(diagram).to_have_attribute("data-plane", "PhaseReview")
    expect(phase).to_have_attribute("aria-current", "true")
    phases.get_by_role("link", name="返回总图").click()
    phase.click()
    expect(diagram).to_have_attribute("data-plane", "PhaseReview")

    # once the phase is through, the page opens on the top plane, the phase done, 归档 active
    people.do("dora", iid, "BureauReview", DONE, now=at("2026-08-04 10:00"))
    people.do("fay", iid, "FinanceReview", DONE, now=at("2026-08-05 10:00"))
    page.reload()
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(diagram).to_have_attribute("data-plane", "")
    expect(phase).to_contain_text("已办结")
    expect(element(page, "PhaseReview")).to_have_class(re.compile(r"\bgf-done\b"))
    expect(element(page, "Archive")).to_have_class(re.compile(r"\bgf-active\b"))
    expect(element(page, "Flow_PhaseReview_Archive")).to_have_class(re.compile(r"\bgf-path\b"))
    phase.click()
    expect(element(page, "FinanceReview")).to_have_class(re.compile(r"\bgf-done\b"))
    expect(element(page, "Flow_BureauReview_FinanceReview")).to_have_class(re.compile(r"\bgf-path\b"))
    assert browsing.script_errors == []


def flat_diagram(key: str) -> bytes:
    """申报 → 审查 (区数管局) → 结束, all on one plane."""
    d = Diagram(key, "无阶段测试流程", [("applicant", "建设单位"), ("data_bureau", "区数管局")])
    d.start("StartEvent", lane="applicant", col=0, name="申报")
    d.user_task("Review", lane="data_bureau", col=1, name="审查", properties=CONFIRM)
    d.end("EndEvent", lane="data_bureau", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("StartEvent", "Review")
    d.flow("Review", "EndEvent")
    return d.to_xml()


def test_a_diagram_without_phases_shows_no_phase_list(browsing, people, monkeypatch):
    install_process(monkeypatch, people, "yeji.test_no_phases", flat_diagram("yeji.test_no_phases"),
                    name="无阶段测试流程")
    iid = people.start("alice", "yeji.test_no_phases", FACTS, now=at("2026-08-03 10:00"))
    page = browsing.sign_in("dora")
    page.goto(f"/instances/{iid}")
    expect(page.locator("#diagram")).to_have_attribute("data-ready", "true")
    expect(page.locator("#diagram-phases")).to_be_hidden()
    expect(element(page, "Review")).to_have_class(re.compile(r"\bgf-active\b"))
    expect(element(page, "Review")).to_be_visible()
    assert browsing.script_errors == []
