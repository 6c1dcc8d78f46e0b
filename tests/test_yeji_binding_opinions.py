"""叶集: opinions that bind and opinions the leading office may overrule with a stated reason.

第二十二条 区数据资源管理局会同区公共资源交易中心组织专家开展竣工验收，并出具验收意见 — the experts'
verdict binds the 验收意见 (returned by the experts → no 通过, no 经费支付); the 交易中心 takes part.
第八条 未纳入政务信息化专项资金安排计划的项目，原则上不安排财政资金; 第二十一条 未列入年度政府性投资计划前，
原则上不安排项目建设投资 — 原则上: the 区政府 may still approve, with a stated reason recorded as an override."""
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime, views
from tests.conftest import at
from tests.test_yeji_procedure import ACCEPTANCE_MATERIALS, _accepting
from tests.yeji_walk import OK, reviewed

RETURN = {"decision": "return", "comment": "系统性能未达合同指标"}


def _refused(people, who, iid, element, answers, now) -> dict:
    task = people.task(who, iid, element)
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, getattr(people, who), task["id"], answers, now=now)
    assert people.task(who, iid, element)      # still to do
    return err.value.errors


# 第二十二条 — 专家竣工验收 ∥ 区公共资源交易中心 → 区数管局 验收意见

def _acceptance_reviewed(people, ctx, experts: dict, centre: dict) -> int:
    iid = _accepting(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-01 10:00"))
    assert people.ready(iid) == ["ExpertAcceptance", "PublicResourcesAcceptance"]
    people.do("erin", iid, "ExpertAcceptance", experts, now=at("2027-04-10 10:00"))
    people.do("pam", iid, "PublicResourcesAcceptance", centre, now=at("2027-04-10 11:00"))
    assert people.ready(iid) == ["AcceptanceOpinion"]
    return iid


def test_it_has_the_public_resources_centre_take_part_in_the_acceptance(people, ctx):
    iid = _accepting(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-01 10:00"))
    assert [t["name"] for t in people.inbox("pam") if t["instance_id"] == iid] == ["PublicResourcesAcceptance"]
    assert [t["name"] for t in people.inbox("erin") if t["instance_id"] == iid] == ["ExpertAcceptance"]


def test_it_refuses_an_acceptance_opinion_that_passes_what_the_experts_returned(people, ctx):
    iid = _acceptance_reviewed(people, ctx, RETURN, OK)
    errors = _refused(people, "dora", iid, "AcceptanceOpinion", {"decision": "approve", "override_reason": "急用"},
                      at("2027-04-12 10:00"))
    assert set(errors) == {"decision"} and "专家竣工验收" in errors["decision"]
    people.do("dora", iid, "AcceptanceOpinion", {"decision": "return", "comment": "按专家意见整改"},
              now=at("2027-04-12 10:00"))
    assert people.ready(iid) == ["RectifyAcceptance"]           # not paid


def test_it_pays_once_the_experts_accept_and_the_bureau_passes_it(people, ctx):
    iid = _acceptance_reviewed(people, ctx, OK, OK)
    people.do("dora", iid, "AcceptanceOpinion", OK, now=at("2027-04-12 10:00"))
    assert people.ready(iid) == ["Payment", "SelfEvaluation"]   # 第二十三条: beside the payment
    assert people.instance(iid)["overrides"] == []


def test_overruling_the_public_resources_centre_needs_a_stated_reason(people, ctx):
    iid = _acceptance_reviewed(people, ctx, OK, {"decision": "return", "comment": "合同变更未备案"})
    errors = _refused(people, "dora", iid, "AcceptanceOpinion", OK, at("2027-04-12 10:00"))
    assert set(errors) == {"override_reason"}
    people.do("dora", iid, "AcceptanceOpinion", {**OK, "override_reason": "变更已于4月11日补办备案"},
              now=at("2027-04-12 10:00"))
    assert people.ready(iid) == ["Payment", "SelfEvaluation"]   # 第二十三条: beside the payment
    [override] = people.instance(iid)["overrides"]
    assert override["overruled"][0]["element"] == "PublicResourcesAcceptance"
    assert override["overruled"][0]["comment"] == "合同变更未备案"


def test_the_bureau_sees_the_experts_and_the_centre_side_by_side(people, ctx):
    iid = _acceptance_reviewed(people, ctx, RETURN, OK)
    detail = views.task_detail(people.ctx, people.dora, people.task("dora", iid, "AcceptanceOpinion")["id"])
    assert [(o["element"], o["decision"], o["effect"], o["negative"]) for o in detail["opinions"]] == [
        ("ExpertAcceptance", "return", "binding", True), ("PublicResourcesAcceptance", "approve", "overridable", False)]


def test_a_second_round_reads_the_new_expert_verdict_not_the_old_one(people, ctx):
    iid = _acceptance_reviewed(people, ctx, RETURN, OK)
    people.do("dora", iid, "AcceptanceOpinion", RETURN, now=at("2027-04-12 10:00"))
    people.do("alice", iid, "RectifyAcceptance", {"rectification": "已优化性能"}, now=at("2027-04-20 10:00"))
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-21 10:00"))
    people.do("erin", iid, "ExpertAcceptance", OK, now=at("2027-04-25 10:00"))
    people.do("pam", iid, "PublicResourcesAcceptance", OK, now=at("2027-04-25 11:00"))
    people.do("dora", iid, "AcceptanceOpinion", OK, now=at("2027-04-26 10:00"))
    assert people.ready(iid) == ["Payment", "SelfEvaluation"]   # 第二十三条: beside the payment


# 第八条、第二十一条 — 原则上: the 区政府 may overrule 发改's listing or 财政's allocation with a reason

def _before_government(people, ctx, listed: bool, funded: bool) -> int:
    iid = reviewed(people, ctx)
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 300} if listed else
              {"decision": "reject", "comment": "年度投资规模已满"}, now=at("2026-11-03 10:00"))
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 300}, now=at("2026-11-10 10:00"))
    allocation = {"decision": "approve", "allocated_amount": 300} if funded else \
        {"decision": "reject", "allocated_amount": 0, "comment": "专项资金已分配完毕"}
    people.do("fay", iid, "FundAllocation", allocation, now=at("2026-11-12 10:00"))
    assert people.ready(iid) == ["GovernmentApproval"]
    return iid


@pytest.mark.parametrize("listed, funded, overruled", [
    (False, True, {"InvestmentPlan"}), (True, False, {"FundAllocation"}),
    (False, False, {"InvestmentPlan", "FundAllocation"})])
def test_the_government_may_approve_a_project_left_out_only_with_a_stated_reason(people, ctx, listed, funded,
                                                                                   overruled):
    iid = _before_government(people, ctx, listed, funded)
    errors = _refused(people, "gary", iid, "GovernmentApproval", OK, at("2026-12-01 10:00"))
    assert set(errors) == {"override_reason"}
    people.do("gary", iid, "GovernmentApproval", {**OK, "override_reason": "区委常委会确定的年度重点民生项目"},
              now=at("2026-12-01 10:00"))
    assert people.ready(iid) == ["ProjectStart"]
    [override] = people.instance(iid)["overrides"]
    assert {o["element"] for o in override["overruled"]} == overruled
    assert override["reason"] == "区委常委会确定的年度重点民生项目"


def test_the_government_needs_no_reason_for_a_listed_and_funded_project(people, ctx):
    iid = _before_government(people, ctx, True, True)
    people.do("gary", iid, "GovernmentApproval", OK, now=at("2026-12-01 10:00"))
    assert people.ready(iid) == ["ProjectStart"] and people.instance(iid)["overrides"] == []


def test_the_government_may_follow_the_ndrc_and_leave_the_project_out(people, ctx):
    iid = _before_government(people, ctx, False, True)
    people.do("gary", iid, "GovernmentApproval", {"decision": "reject", "comment": "未列入投资计划"},
              now=at("2026-12-01 10:00"))
    assert people.instance(iid)["outcome"] == "not_in_plan"


def test_finance_must_say_why_a_project_is_left_out_of_the_fund(people, ctx):
    iid = reviewed(people, ctx)
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 300}, now=at("2026-11-03 10:00"))
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 300}, now=at("2026-11-10 10:00"))
    assert set(_refused(people, "fay", iid, "FundAllocation", {"decision": "reject", "allocated_amount": 0},
                        at("2026-11-12 10:00"))) == {"comment"}
    assert set(_refused(people, "fay", iid, "FundAllocation", {"decision": "approve"}, at("2026-11-12 10:00"))) \
        == {"allocated_amount"}


# 第二十二条第二款 — 不能按合同约定时间验收的，须提前向区数据资源管理局申请延期验收
# The contract's acceptance date is the one the 签订合同 step recorded (2027-03-31 in tests/yeji_walk.py),
# not one the applicant restates when asking for the extension.

EXTENSION = {"requested_date": "2027-06-30", "reason": "核心软件供应商延迟交付，需顺延三个月"}


def _extension(people, ctx, when: str, iid: int | None = None) -> int:
    from tests.yeji_walk import contracted
    iid = iid or contracted(people, ctx)
    people.deploy("yeji.acceptance_extension")
    return runtime.start_instance(people.ctx, people.alice, "yeji.acceptance_extension", EXTENSION, now=at(when),
                                  parent_instance_id=iid)


@pytest.mark.parametrize("when", ["2027-03-20 10:00", "2027-03-31 16:00"])
def test_it_sends_an_extension_requested_before_the_contract_date_to_the_data_bureau(people, ctx, when):
    rid = _extension(people, ctx, when)
    assert people.ready(rid) == ["ExtensionReview"]
    people.do("dora", rid, "ExtensionReview", OK, now=at("2027-03-31 17:00"))
    child = people.instance(rid)
    assert (child["status"], child["outcome"]) == ("completed", "completed")
    parent = people.instance(child["parent_instance_id"])
    assert [c["process"] for c in parent["children"]] == ["yeji.acceptance_extension"]


def test_it_does_not_accept_an_extension_requested_after_the_contract_date(people, ctx):
    rid = _extension(people, ctx, "2027-04-01 09:00")
    child = people.instance(rid)
    assert (child["status"], child["outcome"]) == ("terminated", "extension_late")
    assert "须提前申请" in child["outcome_label"]
    assert child["outcome_reason"] == "合同约定的验收时间为2027-03-31，延期验收须在此前申请"


def test_it_reads_the_acceptance_date_the_contract_step_recorded(people, ctx):
    """The same request on 2027-04-15 is in time for a contract that fixed 2027-04-30 and late for one
    that fixed 2027-04-10: the gateway reads the 合同 step, and the start form asks no date."""
    from tests.yeji_walk import planned
    assert "contract_acceptance_date" not in people.ctx.runtime.forms.load("yeji/acceptance_extension")[0][
        "properties"]
    outcomes = []
    for fixed in ("2027-04-30", "2027-04-10"):
        iid = planned(people, ctx)
        for who, element, answers in _to_contract(fixed):
            people.do(who, iid, element, answers, now=at("2026-12-10 10:00"))
        rid = _extension(people, ctx, "2027-04-15 10:00", iid=iid)
        outcomes.append(people.ready(rid) or people.instance(rid)["outcome"])
    assert outcomes == [["ExtensionReview"], "extension_late"]


def _to_contract(acceptance_date: str) -> list:
    return [("alice", "ProjectStart", {"project_leader": "张主任", "start_date": "2027-01-05"}),
            ("dora", "ServiceUnits", {"supervisor_unit": "安徽某监理公司", "level_protection_unit": "某测评中心",
                                      "third_party_test_unit": "某软件评测中心"}),
            ("pam", "Procurement", {"procurement_method": "public_tender", "winning_bidder": "某科技公司",
                                    "contract_amount": 280, "secure_products": True}),
            ("alice", "Contract", {"contract_no": "YJ-2026-009", "contract_amount": 280, "signed_on": "2026-12-10",
                                   "acceptance_date": acceptance_date})]


def test_it_does_not_accept_an_extension_before_a_contract_fixes_an_acceptance_date(people, ctx):
    from tests.yeji_walk import planned
    rid = _extension(people, ctx, "2026-12-05 10:00", iid=planned(people, ctx))
    child = people.instance(rid)
    assert child["outcome"] == "extension_late"
    assert child["outcome_reason"] == "项目尚未签订合同，没有约定的验收时间可以延期"


def test_the_data_bureau_may_refuse_an_extension(people, ctx):
    rid = _extension(people, ctx, "2027-03-20 10:00")
    people.do("dora", rid, "ExtensionReview", {"decision": "reject", "comment": "理由不充分，应按期验收"},
              now=at("2027-03-21 10:00"))
    assert people.instance(rid)["outcome"] == "extension_refused"
