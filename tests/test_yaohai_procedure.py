"""瑶海区“四域四化”意见 二（一）–二（五）: every path of the 瑶海 diagram from 谋划 to 终止应用."""
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from tests.conftest import at
from tests.test_yaohai_walk import (
    ACCEPTED,
    CONCLUSION,
    DESIGN,
    FINAL_OK,
    OK,
    REVISED,
    STEPS,
    advance,
    started,
)
from tests.test_yaohai_walk import people as yaohai_people

people = yaohai_people  # the personas fixture

WHEN = at("2026-03-10 10:00")


def _errors(people, who, iid, element, answers) -> dict:
    task = people.task(who, iid, element)
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, getattr(people, who), task["id"], answers, now=WHEN)
    return err.value.errors


# 二（一）2 — 项目谋划应提前征得市直业务主管部门同意

def test_a_plan_the_industry_authority_refuses_ends(people):
    iid = started(people)
    people.do("amy", iid, "PlanProject", STEPS["PlanProject"][1], now=WHEN)
    assert people.ready(iid) == ["AuthorityConsent"]
    people.do("ian", iid, "AuthorityConsent", {"decision": "reject", "comment": "与市级平台重复"}, now=WHEN)
    assert people.instance(iid)["outcome"] == "authority_refused"


def test_without_a_mobile_app_the_plan_goes_straight_to_drafting(people):
    iid = started(people)
    advance(people, iid, "DraftDesign")
    assert people.ready(iid) == ["DraftDesign"]


# 二（一）2 — 新建政务移动APP：领导班子集体研究后，向网信部门、数据资源部门报备同意

def _app_filings(people) -> int:
    iid = started(people, {"new_mobile_app": True})
    advance(people, iid, "CacAppFiling")
    return iid


def test_a_new_mobile_app_is_filed_with_the_cac_and_the_data_bureau_at_once(people):
    iid = _app_filings(people)
    assert people.ready(iid) == ["CacAppFiling", "DataAppFiling"]


@pytest.mark.parametrize("refuser", [None, "cathy", "dora"])
def test_the_app_joins_the_project_only_if_both_agree_and_the_project_goes_on_either_way(people, refuser):
    iid = _app_filings(people)
    for who, element in (("cathy", "CacAppFiling"), ("dora", "DataAppFiling")):
        people.do(who, iid, element, {"decision": "reject", "comment": "不同意开设"} if who == refuser else OK,
                  now=WHEN)
    assert people.ready(iid) == ["DraftDesign"]
    detail = people.instance(iid)
    assert detail["status"] == "running"


# 二（一）3、4 — 咨询多家供应商；3家及以上品牌响应，或上级指定/厂商证明

def _drafting(people) -> int:
    iid = started(people)
    advance(people, iid, "DraftDesign")
    return iid


def test_a_parameter_fewer_than_three_brands_can_meet_needs_a_stated_basis(people):
    iid = _drafting(people)
    two = [{"item": "加密机", "parameter": "SM4", "brands": ["甲", "乙"]}]
    errors = _errors(people, "amy", iid, "DraftDesign", {**DESIGN, "parameters": two})
    assert set(errors) == {"parameters.0.exception_basis", "parameters.0.exception_document"}
    people.do("amy", iid, "DraftDesign", {**DESIGN, "parameters": [{**two[0], "exception_basis": "vendor_certificate",
                                                                    "exception_document": "厂商证明.pdf"}]},
              now=WHEN)
    assert people.ready(iid) == ["UnitReview"]


def test_self_drafting_consults_more_than_one_supplier(people):
    iid = _drafting(people)
    one = {**DESIGN, "drafting_mode": "self", "suppliers_consulted": [{"name": "甲公司"}]}
    assert set(_errors(people, "amy", iid, "DraftDesign", one)) == {"suppliers_consulted"}
    people.do("amy", iid, "DraftDesign", {**one, "suppliers_consulted": [{"name": "甲公司"}, {"name": "乙公司"}]},
              now=WHEN)
    assert people.ready(iid) == ["UnitReview"]


def test_one_suppliers_plan_wholesale_needs_a_superiors_designation(people):
    iid = _drafting(people)
    errors = _errors(people, "amy", iid, "DraftDesign", {**DESIGN, "single_supplier_plan": True})
    assert set(errors) == {"superior_designation_document"}


def test_the_it_office_sends_weak_drafts_back(people):
    iid = _drafting(people)
    people.do("amy", iid, "DraftDesign", DESIGN, now=WHEN)
    people.do("ivan", iid, "UnitReview", {"decision": "return", "comment": "未统筹全局需求"}, now=WHEN)
    assert people.ready(iid) == ["DraftDesign"]


# 二（二）6 — 区数据资源局受理审查; 三（二） 暂缓

def _submitted(people) -> int:
    iid = started(people)
    advance(people, iid, "AcceptanceCheck")
    return iid


@pytest.mark.parametrize("decision, outcome", [("reject", "not_accepted"), ("defer", "deferred")])
def test_the_data_bureau_does_not_accept_or_defers(people, decision, outcome):
    iid = _submitted(people)
    people.do("dora", iid, "AcceptanceCheck", {"decision": decision, "comment": "内容存在重大缺失"}, now=WHEN)
    assert people.instance(iid)["outcome"] == outcome


def test_a_submission_is_accepted_only_in_the_required_format(people):
    iid = _submitted(people)
    errors = _errors(people, "dora", iid, "AcceptanceCheck", {"decision": "approve"})
    assert set(errors) == {"format_compliant", "no_major_omission"}
    people.do("dora", iid, "AcceptanceCheck", ACCEPTED, now=WHEN)
    assert people.ready(iid) == ["PriorPerformance"]   # 二（二）7 事前绩效评估, the 必备要件


# 二（二）8、9 — 区数据资源局会同区发改委、区财政局组织专家评审；项目负责人汇报

def _in_expert_review(people) -> int:
    iid = _submitted(people)
    advance(people, iid, "ExpertOpinion")
    return iid


def test_experts_ndrc_and_finance_give_their_opinions_at_once(people):
    iid = _in_expert_review(people)
    assert people.ready(iid) == ["ExpertOpinion", "FinanceOpinion", "NdrcOpinion"]


def test_a_service_provider_may_not_present_and_an_absent_it_head_needs_a_reason(people):
    iid = _in_expert_review(people)
    advance(people, iid, "ExpertConclusion")
    errors = _errors(people, "dora", iid, "ExpertConclusion",
                     {**CONCLUSION, "presenter": "service_provider", "it_head_attended": False})
    assert set(errors) == {"presenter", "absence_reason"}


def test_a_failed_expert_review_ends_the_project(people):
    iid = _in_expert_review(people)
    advance(people, iid, "ExpertConclusion")
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "decision": "reject", "comment": "需求不明确"}, now=WHEN)
    assert people.instance(iid)["outcome"] == "review_failed"


def test_opinions_not_adopted_need_reasons_and_the_experts_recheck(people):
    iid = _in_expert_review(people)
    advance(people, iid, "ReviseDesignDocs")
    unadopted = {**REVISED, "unadopted_opinions": [{"opinion": "改用国产数据库", "reason": "上级平台指定"}]}
    people.do("amy", iid, "ReviseDesignDocs", unadopted, now=WHEN)
    assert people.ready(iid) == ["ExpertRecheck"]
    people.do("erin", iid, "ExpertRecheck", {"decision": "return", "comment": "理由不充分"}, now=WHEN)
    assert people.ready(iid) == ["ReviseDesignDocs"]
    people.do("amy", iid, "ReviseDesignDocs", REVISED, now=WHEN)
    assert people.ready(iid) == ["ApproveDesign"]


# 二（三）10–14 — 采购需求预审；重大项目需求调查；整体招标；监理、等保测评、第三方测评独立采购

@pytest.mark.parametrize("key_project, survey", [(True, True), (False, False)])
def test_a_major_project_surveys_its_procurement_needs(people, key_project, survey):
    iid = started(people, {"is_key_project": key_project})
    advance(people, iid, "RefineRequirements")
    people.do("amy", iid, "RefineRequirements", STEPS["RefineRequirements"][1], now=WHEN)
    assert people.ready(iid) == (["RequirementSurvey"] if survey else ["FinancePrereview", "RequirementPrereview"])


@pytest.mark.parametrize("returning", ["pete", "fay"])
def test_procurement_needs_are_prereviewed_by_finance_and_the_exchange_and_sent_back_when_wanting(people, returning):
    # 二（三）11 按照财政、公管等部门的要求严格履行采购需求预审: both pre-review, either sends it back
    iid = started(people)
    advance(people, iid, "RequirementPrereview")
    assert people.ready(iid) == ["FinancePrereview", "RequirementPrereview"]
    for who, element in (("pete", "RequirementPrereview"), ("fay", "FinancePrereview")):
        people.do(who, iid, element, {"decision": "return", "comment": "预算与需求不匹配"} if who == returning else OK,
                  now=WHEN)
    assert people.ready(iid) == ["RefineRequirements"]
    people.do("amy", iid, "RefineRequirements", STEPS["RefineRequirements"][1], now=WHEN)
    people.do("pete", iid, "RequirementPrereview", OK, now=WHEN)
    people.do("fay", iid, "FinancePrereview", OK, now=WHEN)     # the earlier return does not come back
    assert people.ready(iid) == ["DraftTenderDocs"]


def test_splitting_the_main_tender_needs_a_reason_and_services_are_never_merged(people):
    iid = started(people)
    advance(people, iid, "DraftTenderDocs")
    answers = {**STEPS["DraftTenderDocs"][1], "whole_tender": False}
    del answers["services_separate"]
    assert set(_errors(people, "amy", iid, "DraftTenderDocs", answers)) == {"split_reason", "services_separate"}


def test_supervision_and_both_assessments_are_procured_separately_from_the_main_contract(people):
    iid = started(people)
    advance(people, iid, "MainProcurement")
    assert people.ready(iid) == ["GradedTestProcurement", "MainProcurement", "SupervisionProcurement",
                                 "ThirdPartyTestProcurement"]


# 二（四）15 — 合同签署前经单位法律顾问或法制部门审核

def test_contracts_are_signed_only_after_the_legal_review(people):
    iid = started(people)
    advance(people, iid, "LegalReview")
    assert [t["name"] for t in people.inbox("lara") if t["instance_id"] == iid] == ["LegalReview"]
    people.do("lara", iid, "LegalReview", {"decision": "return", "comment": "违约条款不完整"}, now=WHEN)
    assert people.ready(iid) == ["ReviseContracts"]
    people.do("amy", iid, "ReviseContracts", {"revision_note": "已补充"}, now=WHEN)
    people.do("lara", iid, "LegalReview", OK, now=WHEN)
    assert people.ready(iid) == ["SignContracts"]


# 二（四）16、19 — 实施中定期监督检查；驻场监理，严禁后补监理材料

def test_implementation_runs_under_resident_supervision(people):
    iid = started(people)
    advance(people, iid, "Implementation")
    assert people.ready(iid) == ["Implementation", "ResidentSupervision"]
    errors = _errors(people, "sue", iid, "ResidentSupervision",
                     {"supervisor_name": "李监理", "reports": [{"period": "7月", "report": "月报.pdf"}]})
    assert set(errors) == {"contemporaneous"}


# 二（五）20、21 — 验收资料、集体研究验收情况、逐一核对初设/招标/合同/变更

def test_the_final_acceptance_checks_every_document_item_by_item(people):
    iid = started(people)
    advance(people, iid, "FinalAcceptance")
    errors = _errors(people, "dora", iid, "FinalAcceptance", {**FINAL_OK, "matches_contract": False})
    assert set(errors) == {"matches_contract"}
    people.do("dora", iid, "FinalAcceptance", {"decision": "return", "comment": "设备数量与合同不一致",
                                               "matches_contract": False}, now=WHEN)
    assert people.ready(iid) == ["PreliminaryAcceptance"]


# 二（五）22–24 — 竣工财务决算、绩效自评、运维；终止应用：停止运维预算并报备区数据资源局和区财政局

def test_a_retired_system_stops_its_om_budget_and_is_filed_with_both_bureaus(people):
    iid = started(people)
    advance(people, iid, "RetireFilingData")
    assert people.ready(iid) == ["RetireFilingData", "RetireFilingFinance"]
    people.do("dora", iid, "RetireFilingData", {"confirmed": True}, now=WHEN)
    people.do("fay", iid, "RetireFilingFinance", {"confirmed": True}, now=WHEN)
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")
    assert len([h for h in inst["history"] if h["element"] == "LeadershipMeeting"]) == 3
