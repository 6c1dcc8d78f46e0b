"""宿迁: what an office finds is its own answer, never a default, and what it finds has a consequence.

- 第二十条: 市数据局's 行业审查意见 at the feasibility stage is an opinion 市发展改革委 consolidates: its
  不同意建设 cannot vanish — approving over it needs a stated reason, recorded as an override.
- 第十七条: 市财政局 says whether the project is budgeted (no pre-ticked 安排).
- 第三十二条: 市数据局 says whether a system in operation meets the security, 密码 and 等保 rules."""
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime, views
from tests.conftest import at
from tests.test_suqian_support import ANSWERS, OK, advance, declared, personas, started, workflow_data

WHEN = at("2027-01-10 10:00")
AGAINST = {"decision": "reject", "opinion": "与市政务云平台重复建设，不同意建设"}


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _at_feasibility_approval(people, industry_answers) -> int:
    iid = started(people, until="ApprovalRoute", total_investment=1500)
    people.do("nick", iid, "ApprovalRoute", {"route": "standard"}, now=at("2027-01-05 10:00"))
    advance(people, iid, "IndustryOpinion", "2027-01-08 10:00")
    people.do("dora", iid, "IndustryOpinion", industry_answers, now=WHEN)
    assert people.ready(iid) == ["ApproveFeasibility"]
    return iid


def _refused(people, who, iid, element, answers) -> dict:
    task = people.task(who, iid, element)
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, getattr(people, who), task["id"], answers, now=WHEN)
    return err.value.errors


def test_the_data_bureau_must_say_whether_it_agrees_to_the_construction(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500)
    people.do("nick", iid, "ApprovalRoute", {"route": "standard"}, now=at("2027-01-05 10:00"))
    advance(people, iid, "IndustryOpinion", "2027-01-08 10:00")
    errors = _refused(people, "dora", iid, "IndustryOpinion", {"opinion": "同意"})
    assert set(errors) == {"decision"}
    assert people.ready(iid) == ["IndustryOpinion"]


def test_the_ndrc_cannot_approve_over_a_negative_industry_opinion_without_a_reason(people):
    iid = _at_feasibility_approval(people, AGAINST)
    errors = _refused(people, "nick", iid, "ApproveFeasibility", OK)
    assert set(errors) == {"override_reason"} and "行业审查意见" in errors["override_reason"]
    assert people.ready(iid) == ["ApproveFeasibility"]
    assert people.instance(iid)["overrides"] == []


def test_the_ndrc_approving_over_a_negative_industry_opinion_records_who_and_why(people):
    iid = _at_feasibility_approval(people, AGAINST)
    people.do("nick", iid, "ApproveFeasibility", {**OK, "override_reason": "市政府专题会议确定单独建设"}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryDesign"]
    [override] = people.instance(iid)["overrides"]
    assert override["element"] == "ApproveFeasibility" and override["reason"] == "市政府专题会议确定单独建设"
    [overruled] = override["overruled"]
    assert overruled["element"] == "IndustryOpinion" and overruled["role"] == "data_bureau"
    assert overruled["comment"] == AGAINST["opinion"]


def test_the_ndrc_following_a_negative_industry_opinion_needs_no_reason(people):
    iid = _at_feasibility_approval(people, AGAINST)
    people.do("nick", iid, "ApproveFeasibility", {"decision": "reject", "comment": "同意行业审查意见，不予立项"},
              now=WHEN)
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["overrides"]) == ("terminated", "not_approved", [])


def test_an_agreeing_industry_opinion_needs_no_reason_and_records_no_override(people):
    iid = _at_feasibility_approval(people, ANSWERS["IndustryOpinion"][1])
    people.do("nick", iid, "ApproveFeasibility", OK, now=WHEN)
    assert people.ready(iid) == ["PreliminaryDesign"] and people.instance(iid)["overrides"] == []


def test_the_ndrc_sees_the_industry_opinion_beside_its_decision(people):
    iid = _at_feasibility_approval(people, AGAINST)
    task = people.task("nick", iid, "ApproveFeasibility")
    [opinion] = views.task_detail(people.ctx, people.nick, task["id"], now=WHEN)["opinions"]
    assert (opinion["element"], opinion["negative"], opinion["effect"]) == ("IndustryOpinion", True, "overridable")
    assert opinion["decision_label"] == "不同意建设" and opinion["comment"] == AGAINST["opinion"]


def test_the_combined_filing_consolidates_its_industry_opinion_the_same_way(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500, urgent=True)
    people.do("nick", iid, "ApprovalRoute",
              {"route": "direct", "depth_ok": True, "reason": "省定任务，前期工作深度达标"}, now=at("2027-01-05 10:00"))
    advance(people, iid, "CombinedIndustryOpinion", "2027-01-08 10:00")
    people.do("dora", iid, "CombinedIndustryOpinion", AGAINST, now=WHEN)
    errors = _refused(people, "nick", iid, "ApproveCombined", OK)
    assert set(errors) == {"override_reason"}


# 第十七条 — 市财政局会同市数据局提出预算安排建议

def test_finance_must_say_whether_it_budgets_the_project(people):
    iid = declared(people)
    advance(people, iid, "BudgetProposal", "2026-11-01 10:00")
    errors = _refused(people, "fay", iid, "BudgetProposal", {"arranged_amount": 300})
    assert set(errors) == {"arranged"}
    people.do("fay", iid, "BudgetProposal", {"arranged": True, "arranged_amount": 300}, now=at("2026-11-10 10:00"))
    assert people.ready(iid) == ["GovernmentApproval"]


# 第三十二条 — 运维项目的网络和数据安全、密码应用及等级（分级）保护

def test_the_data_bureau_must_answer_whether_a_system_meets_the_security_rules(people, ctx):
    from tests.test_suqian_supervision import _reported
    iid = _reported(people, ctx)
    errors = _refused(people, "dora", iid, "OpsReview", OK)
    assert set(errors) == {"security_compliant"}
    assert workflow_data(ctx, iid).get("funds_withheld") is not True
