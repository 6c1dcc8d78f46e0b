"""九江市数字化项目建设管理办法(试行) 第十一条至第十八条: the 储备库 (needs by 5月31日, 两年有效), the
provincial assessment above the 限额, and the yearly call the 办公室 opens by 8月底 with its materials."""
from datetime import date

import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_walk import DECLARE, FACTS, OK, due_of, local_day, started
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

NEED = {"goals": "建设目标", "main_content": "主要内容", "technical_route": "技术路线", "estimate": 300,
        "not_split": True}
NEW_PROJECT = {**FACTS, "in_reserve": False, "plan_year": None}
del NEW_PROJECT["reserve_entered_on"]


def _needs_submitted(people, facts=None, when="2026-03-10 10:00") -> int:
    iid = started(people, {**NEW_PROJECT, **(facts or {})}, now=at(when))
    people.do("alice", iid, "SubmitNeed", NEED, now=at("2026-05-20 10:00"))
    return iid


# 第十一条 — 每年5月底前征集需求，经论证评估并报领导小组审定后纳入储备库（两年有效）

def test_needs_are_collected_before_the_end_of_may(people):
    iid = started(people, NEW_PROJECT, now=at("2026-03-10 10:00"))
    assert people.ready(iid) == ["SubmitNeed"]
    assert local_day(due_of(people, iid, "SubmitNeed")) == date(2026, 5, 31)
    late = started(people, NEW_PROJECT, now=at("2026-06-01 10:00"))
    assert local_day(due_of(people, late, "SubmitNeed")) == date(2027, 5, 31)


def test_a_need_assessed_and_approved_by_the_leading_group_enters_the_reserve_and_waits_for_the_call(people, ctx):
    iid = _needs_submitted(people)
    assert people.ready(iid) == ["ReserveAssessment"]
    people.do("olga", iid, "ReserveAssessment", OK, now=at("2026-06-10 10:00"))
    people.do("leo", iid, "ReserveDecision", OK, now=at("2026-06-20 10:00"))
    inst = people.instance(iid)
    assert inst["data"]["plan_year"] == 2027
    assert [(w["name"], w["fires_at"]) for w in inst["waiting"]] == [("WaitCall", "2026-08-31T00:00:00+08:00")]
    assert tick(ctx, at("2026-08-30 23:59")) == []
    tick(ctx, at("2026-08-31 00:00:01"))
    assert people.ready(iid) == ["DeclareAnnual"]
    assert local_day(due_of(people, iid, "DeclareAnnual")) == date(2026, 9, 30)


@pytest.mark.parametrize("who, element", [("olga", "ReserveAssessment"), ("leo", "ReserveDecision")])
def test_a_need_refused_at_assessment_or_by_the_leading_group_stays_out_of_the_reserve(people, who, element):
    iid = _needs_submitted(people)
    if element == "ReserveDecision":
        people.do("olga", iid, "ReserveAssessment", OK, now=at("2026-06-10 10:00"))
    people.do(who, iid, element, {"decision": "reject", "comment": "与已建系统重复"}, now=at("2026-06-20 10:00"))
    inst = people.instance(iid)
    assert (inst["outcome"], inst["outcome_reason"]) == ("not_in_reserve", "与已建系统重复")
    assert inst["outcome_label"] == "未纳入市数字化项目储备库"


# 第十二条 — 县（市、区）200万元以上的需求由各地统筹把关后5月底前报送

def test_the_county_screens_its_needs_before_the_end_of_may(people):
    iid = _needs_submitted(people, {"level": "county", "county": "修水县", "total_investment": 300})
    assert people.ready(iid) == ["CountyScreenNeed"]
    assert local_day(due_of(people, iid, "CountyScreenNeed")) == date(2026, 5, 31)
    people.do("cody", iid, "CountyScreenNeed", {"decision": "reject", "comment": "县内统筹解决"},
              now=at("2026-05-25 10:00"))
    assert people.instance(iid)["outcome"] == "rejected"


# 第十三条 — 限额以上项目纳入储备库后须通过省级论证评估方可申报年度计划

def test_a_project_above_the_limit_needs_the_provincial_assessment_after_entering_the_reserve(people):
    iid = _needs_submitted(people, {"total_investment": 600})
    people.do("olga", iid, "ReserveAssessment", OK, now=at("2026-06-10 10:00"))
    people.do("leo", iid, "ReserveDecision", OK, now=at("2026-06-20 10:00"))
    assert people.ready(iid) == ["ProvincialAssessment"]
    people.do("pia", iid, "ProvincialAssessment", {"decision": "reject", "comment": "省级已建同类平台"},
              now=at("2026-07-01 10:00"))
    assert people.instance(iid)["outcome"] == "province_rejected"


# 第十一条 / 第十七条 — 储备库两年有效; 原则上不受理未纳入储备库的项目申报

@pytest.mark.parametrize("entered, valid", [("2024-08-31", True), ("2024-08-30", False)])
def test_a_reserve_entry_older_than_two_years_cannot_be_declared(people, ctx, entered, valid):
    iid = started(people, {**FACTS, "reserve_entered_on": entered}, now=at("2026-08-01 10:00"))
    tick(ctx, at("2026-08-31 00:00:01"))
    if valid:
        assert people.ready(iid) == ["DeclareAnnual"]
    else:
        inst = people.instance(iid)
        assert (inst["status"], inst["outcome"]) == ("terminated", "reserve_expired")


def test_a_major_deployment_declares_without_a_reserve_entry(people):
    iid = started(people, {**NEW_PROJECT, "major_deployment": True, "total_investment": 300},
                  now=at("2026-09-01 10:00"))
    assert people.ready(iid) == ["DeclareAnnual"]


# 第十七条 — 市数字政府领导小组办公室于每年8月底前组织下一年度项目申报

def test_the_plan_year_defaults_to_the_call_still_open(people):
    before = started(people, {**FACTS, "plan_year": None}, now=at("2026-09-30 20:00"))
    after = started(people, {**FACTS, "plan_year": None}, now=at("2026-10-01 09:00"))
    assert people.instance(before)["data"]["plan_year"] == 2027
    assert people.instance(after)["data"]["plan_year"] == 2028


def test_a_declaration_after_the_call_closed_is_refused_unless_urgent(people):
    with pytest.raises(ValidationFailed) as err:
        started(people, FACTS, now=at("2026-10-01 09:00"))
    assert "2026年9月30日" in err.value.detail and err.value.extra["next_open_year"] == 2028
    iid = started(people, {**FACTS, "urgent": True}, now=at("2026-10-01 09:00"))
    assert people.ready(iid) == ["DeclareAnnual"]
    assert due_of(people, iid, "DeclareAnnual") is None


def test_a_declaration_started_inside_the_call_is_due_when_the_call_closes(people):
    iid = started(people, FACTS, now=at("2026-09-10 09:00"))
    assert people.ready(iid) == ["DeclareAnnual"]
    assert due_of(people, iid, "DeclareAnnual").isoformat() == "2026-09-30T15:59:59+00:00"


# 第十八条 — 申报材料：三家以上厂商报价；第十七条 党委（党组）会议；第十四条 新建项目征求上级主管部门意见

def _declare_errors(people, answers) -> dict:
    iid = started(people, FACTS, now=at("2026-09-10 09:00"))
    task = people.task("alice", iid, "DeclareAnnual")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.alice, task["id"], answers, now=at("2026-09-11 09:00"))
    return err.value.errors


def test_the_funding_statement_needs_quotes_from_three_vendors(people):
    errors = _declare_errors(people, {**DECLARE, "vendor_quotes": DECLARE["vendor_quotes"][:2]})
    assert errors == {"vendor_quotes": "资金说明须提供三家以上厂商的项目报价"}


def test_the_declaration_needs_the_party_committee_meeting(people):
    answers = {k: v for k, v in DECLARE.items() if not k.startswith("meeting")}
    assert {"meeting_type", "meeting_date", "meeting_minutes"} <= set(_declare_errors(people, answers))


def test_a_new_project_needs_the_superior_departments_opinion(people):
    answers = {k: v for k, v in DECLARE.items() if k != "superior_opinion"}
    assert set(_declare_errors(people, answers)) == {"superior_opinion"}


def test_an_upgrade_states_when_the_original_project_was_accepted(people):
    assert set(_declare_errors(people, {**DECLARE, "build_kind": "rebuild"})) == {"original_accepted_on"}


# 第二十一条 — 县（市、区）200万元以上的项目统筹把关后报市级联合会审

def test_the_county_screens_its_declaration_before_the_city_reviews_it(people):
    iid = started(people, {**FACTS, "level": "county", "county": "修水县"}, now=at("2026-09-10 09:00"))
    people.do("alice", iid, "DeclareAnnual", {**DECLARE, "meeting_type": "county_government"},
              now=at("2026-09-11 09:00"))
    assert people.ready(iid) == ["CountyScreenDeclaration"]
    people.do("cody", iid, "CountyScreenDeclaration", OK, now=at("2026-09-12 09:00"))
    assert people.ready(iid) == ["PreliminaryReview"]
