"""九江市数字化项目建设管理办法(试行): the money thresholds, read from the DMN tables a designer edits —
限额 (第十三条、第四十二条), 县级 200万元 (第十二条、第二十一条), 5000万元 and 200万元 shortcuts
(第二十五条), 国资企业 (第二十六条) — each tested on both sides of its boundary."""
import pytest

from tests.conftest import at
from tests.test_jiujiang_walk import FACTS, launched, started
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

IN_WINDOW = "2026-09-01 10:00"   # the 2027 call is open (8月31日 – 9月30日)


def _first_steps(people, **facts) -> list[str]:
    iid = started(people, {**FACTS, **facts}, now=at(IN_WINDOW))
    return people.ready(iid)


# 第十三条 / 第四十二条 — 限额: 基础设施类、跨部门跨层级集成类 1000万元, 其他类别（不含运维）500万元;
# 以上 includes the number

@pytest.mark.parametrize("investment, infrastructure, cross_department, above", [
    (499.99, False, False, False),
    (500, False, False, True),
    (999.99, True, False, False),
    (500, True, False, False),
    (1000, True, False, True),
    (999.99, False, True, False),
    (1000, False, True, True),
])
def test_projects_at_or_above_the_limit_go_to_the_provincial_assessment_after_the_reserve(
        people, investment, infrastructure, cross_department, above):
    ready = _first_steps(people, total_investment=investment, is_infrastructure=infrastructure,
                         is_cross_department=cross_department)
    assert ready == (["ProvincialAssessment"] if above else ["DeclareAnnual"])


def test_a_project_that_passed_the_provincial_assessment_declares_directly(people):
    assert _first_steps(people, total_investment=800, province_assessed=True) == ["DeclareAnnual"]


def test_operation_projects_are_outside_the_limit_and_ask_for_om_funds_each_year(people):
    iid = started(people, {**FACTS, "project_type": "operation", "total_investment": 5000},
                       now=at(IN_WINDOW))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "operation_separate")
    assert "第三十五条" in inst["outcome_label"]


# 第十二条 / 第二十一条 — 县（市、区）200万元以上报市级; 200万元以下县级批复立项后备案

def test_a_county_project_below_200_is_approved_by_the_county_and_filed_with_the_office(people):
    iid = started(people, {**FACTS, "level": "county", "county": "修水县", "total_investment": 199.99},
                       now=at(IN_WINDOW))
    assert people.ready(iid) == ["CountyApproval"]
    people.do("cody", iid, "CountyApproval", {"decision": "approve"}, now=at(IN_WINDOW))
    people.do("olga", iid, "CountyFiling", {"confirmed": True}, now=at(IN_WINDOW))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "county_filed")


def test_a_county_project_the_county_refuses_ends_unapproved(people):
    iid = started(people, {**FACTS, "level": "county", "county": "修水县", "total_investment": 50}, now=at(IN_WINDOW))
    people.do("cody", iid, "CountyApproval", {"decision": "reject", "comment": "重复建设"}, now=at(IN_WINDOW))
    inst = people.instance(iid)
    assert (inst["outcome"], inst["outcome_reason"]) == ("rejected", "重复建设")


def test_a_county_project_of_exactly_200_comes_to_the_city(people):
    iid = started(people, {**FACTS, "level": "county", "county": "修水县", "total_investment": 200,
                                             "in_reserve": False}, now=at(IN_WINDOW))
    assert people.ready(iid) == ["SubmitNeed"]
    people.do("alice", iid, "SubmitNeed", {"goals": "目标", "main_content": "内容", "technical_route": "路线",
                                           "estimate": 200, "not_split": True}, now=at(IN_WINDOW))
    assert people.ready(iid) == ["CountyScreenNeed"]


def test_county_operation_projects_stay_with_the_county(people):
    assert _first_steps(people, level="county", county="修水县", project_type="operation",
                        total_investment=300) == ["CountyApproval"]


# 第二十五条 / 第二十六条 — the approval path chosen after the 启动通知

def _after_notice(people, ctx, **facts) -> list[str]:
    iid = launched(people, ctx, {"urgent": True, **facts})
    return [e for e in people.ready(iid) if e not in ("InvestmentPlan", "ArrangeBudget")]


@pytest.mark.parametrize("investment, path", [(4999.99, ["ChooseMerge"]), (5000, ["PrepareProposal"])])
def test_below_5000_the_owner_may_merge_the_proposal_and_the_feasibility_study(people, ctx, investment, path):
    assert _after_notice(people, ctx, total_investment=investment, province_assessed=True) == path


@pytest.mark.parametrize("investment, path", [(199.99, ["SubmitTechPlan"]), (200, ["ChooseMerge"])])
def test_construction_below_200_goes_from_the_technical_review_straight_to_the_budget(people, ctx, investment, path):
    assert _after_notice(people, ctx, total_investment=investment) == path


@pytest.mark.parametrize("kind", ["service", "equipment"])
def test_service_and_equipment_projects_follow_government_procurement_rules(people, ctx, kind):
    assert _after_notice(people, ctx, project_type=kind, total_investment=300) == []


@pytest.mark.parametrize("investment, path", [(4999.99, ["ChooseMerge"]), (5000, ["PrepareFeasibility"])])
def test_a_state_owned_enterprise_writes_no_proposal(people, ctx, investment, path):
    assert _after_notice(people, ctx, owner_type="soe", total_investment=investment, province_assessed=True) == path
