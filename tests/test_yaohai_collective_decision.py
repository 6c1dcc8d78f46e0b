"""瑶海区“四域四化”意见: the unit's “三重一大” collective decision (分管负责人审核 → 领导班子集体研究) is one
reusable call activity, used at its five places — 新建政务移动APP (二（一）2), 项目谋划 (二（一）5), 招标文件
(二（三）13), 变更 (二（四）17), 验收 (二（五）20) — and always resolved inside the applying unit."""
from pathlib import Path

import pytest
from lxml import etree

from engine.config import ROOT
from engine.errors import PermissionDenied
from engine.services import runtime
from tests.conftest import at
from tests.test_yaohai_walk import (
    MEETING,
    OK,
    STEPS,
    advance,
    started,
    title_of,
)
from tests.test_yaohai_walk import people as yaohai_people

DIAGRAMS_DIR = ROOT / "bpmn_diagrams"

people = yaohai_people  # the personas fixture

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
PLACES = {  # call activity: (the matter shown with the inner tasks, the element preparing it)
    "CollectiveApp": ("新建政务移动APP", "PlanProject"),
    "CollectivePlan": ("项目谋划与可研报告、初设方案", "DraftDesign"),
    "CollectiveTender": ("招标文件", "DraftTenderDocs"),
    "CollectiveAcceptance": ("项目验收情况", "PreliminaryAcceptance"),
}


def _call_activities(file: str) -> dict[str, str]:
    root = etree.parse(str(Path(DIAGRAMS_DIR) / "yaohai" / file))
    return {el.get("id"): el.get("calledElement") for el in root.iter(f"{BPMN}callActivity")}


def test_one_collective_decision_process_is_called_at_all_five_places():
    calls = {**_call_activities("yaohai.bpmn"), **_call_activities("yaohai.change_request.bpmn")}
    assert calls == {"CollectiveApp": "yaohai.collective_decision", "CollectivePlan": "yaohai.collective_decision",
                     "CollectiveTender": "yaohai.collective_decision",
                     "CollectiveAcceptance": "yaohai.collective_decision",
                     "CollectiveChange": "yaohai.collective_decision"}
    lanes = etree.parse(str(Path(DIAGRAMS_DIR) / "yaohai" / "yaohai.collective_decision.bpmn")).iter(f"{BPMN}lane")
    assert sorted(lane.get("id") for lane in lanes) == ["lane_deputy_head", "lane_leadership"]


def _reach(people, place: str) -> int:
    """The project at the place's 分管负责人审核."""
    iid = started(people, {"new_mobile_app": place == "CollectiveApp"})
    before = {"CollectiveApp": "PlanProject", "CollectivePlan": "UnitReview", "CollectiveTender": "DraftTenderDocs",
              "CollectiveAcceptance": "AcceptanceDossier"}[place]
    advance(people, iid, before)
    who, data = STEPS[before]
    people.do(who, iid, before, data, now=at("2026-03-10 10:00"))
    if place == "CollectiveApp":
        people.do("ian", iid, "AuthorityConsent", OK, now=at("2026-03-10 10:00"))
    assert people.ready(iid) == ["DeputyHeadReview"]
    return iid


@pytest.mark.parametrize("place", list(PLACES))
def test_the_deputy_head_and_the_leadership_of_the_applying_unit_decide_each_matter(people, place):
    iid = _reach(people, place)
    matter = PLACES[place][0]
    assert people.ready(iid) == ["DeputyHeadReview"]
    assert title_of(people, "dean", iid, "DeputyHeadReview") == f"分管负责人审核（{matter}）"
    assert [t["name"] for t in people.inbox("hedy")] == []          # another unit's 分管负责人
    people.do("dean", iid, "DeputyHeadReview", OK, now=at("2026-03-11 10:00"))
    assert people.ready(iid) == ["LeadershipMeeting"]
    assert title_of(people, "lily", iid, "LeadershipMeeting") == f"领导班子“三重一大”集体研究（{matter}）"
    assert people.inbox("hugo") == []                               # another unit's 领导班子 sees nothing
    people.do("lily", iid, "LeadershipMeeting", MEETING, now=at("2026-03-12 10:00"))
    assert "LeadershipMeeting" not in people.ready(iid)


def test_a_leader_of_another_unit_cannot_decide_for_the_applying_unit(people):
    iid = _reach(people, "CollectivePlan")
    people.do("dean", iid, "DeputyHeadReview", OK, now=at("2026-03-11 10:00"))
    [row] = people.ready_rows(iid)
    with pytest.raises(PermissionDenied):
        runtime.complete_task(people.ctx, people.hugo, row.id, MEETING, now=at("2026-03-12 10:00"))


def test_the_other_units_own_leadership_decides_its_own_project(people):
    iid = started(people, who="hank")
    own = {"PlanProject": ("hank", STEPS["PlanProject"][1]), "DraftDesign": ("hank", STEPS["DraftDesign"][1]),
           "UnitReview": ("hope", OK), "DeputyHeadReview": ("hedy", OK), "LeadershipMeeting": ("hugo", MEETING)}
    advance(people, iid, "AcceptanceCheck", answers=own)
    assert people.inbox("lily") == [] and people.inbox("dean") == []


@pytest.mark.parametrize("place", list(PLACES))
def test_a_matter_the_deputy_head_returns_goes_back_to_its_preparation(people, place):
    iid = _reach(people, place)
    people.do("dean", iid, "DeputyHeadReview", {"decision": "return", "comment": "请完善"}, now=at("2026-03-11 10:00"))
    assert people.ready(iid) == [PLACES[place][1]]


def test_a_project_plan_the_leadership_rejects_is_not_declared(people):
    iid = _reach(people, "CollectivePlan")
    people.do("dean", iid, "DeputyHeadReview", OK, now=at("2026-03-11 10:00"))
    people.do("lily", iid, "LeadershipMeeting", {**MEETING, "decision": "reject", "comment": "不符合急用先建原则"},
              now=at("2026-03-12 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_reason"]) == \
        ("terminated", "internal_rejected", "不符合急用先建原则")


def test_tender_documents_the_leadership_wants_reconsidered_are_redrafted(people):
    iid = _reach(people, "CollectiveTender")
    people.do("dean", iid, "DeputyHeadReview", OK, now=at("2026-03-11 10:00"))
    people.do("lily", iid, "LeadershipMeeting", {**MEETING, "decision": "return", "comment": "评分标准需调整"},
              now=at("2026-03-12 10:00"))
    assert people.ready(iid) == ["DraftTenderDocs"]


def test_the_meeting_needs_its_date_and_minutes(people):
    from engine.errors import ValidationFailed
    iid = _reach(people, "CollectivePlan")
    people.do("dean", iid, "DeputyHeadReview", OK, now=at("2026-03-11 10:00"))
    task = people.task("lily", iid, "LeadershipMeeting")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.lily, task["id"], {"decision": "approve"}, now=at("2026-03-12"))
    assert set(err.value.errors) == {"meeting_date", "minutes"}
