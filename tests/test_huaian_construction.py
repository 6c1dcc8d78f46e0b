"""淮安: 集约建设 by 市数据集团 — 年度建设计划 and 实施方案 with its four modes (附件3流程.4–5, 机制五.1), 实施 with
periodic 实施情况 reports (机制五.2), 建设内容核查 and the 6-month 试运行 with feedback and 整改 (机制五.3), 竣工验收
(机制五.4), 绩效自评价 within 12 months and 监督评价 (机制六.2)."""
from datetime import date

import pytest

from engine.clock import SHANGHAI
from engine.errors import ValidationFailed
from engine.services.timers import tick
from tests.conftest import at
from tests.test_huaian_support import ANSWERS, OK, RETURN, advance, personas, started

TRIAL_START = "2027-03-10 10:00"


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _due(people, iid, element):
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at.astimezone(SHANGHAI) if row.due_at else None


def _planned(people, mode="self", **plan):
    iid = started(people, until="ImplementationPlan")
    people.do("gina", iid, "ImplementationPlan", {**ANSWERS["ImplementationPlan"][1], "mode": mode, **plan},
              now=at("2027-01-20 10:00"))
    return iid


def _in_trial(people):
    iid = _planned(people)
    advance(people, iid, "TrialStart", "2027-02-20 10:00")
    people.do("amy", iid, "TrialStart", ANSWERS["TrialStart"][1], now=at(TRIAL_START))
    return iid


def _accepted(people, ctx):
    iid = _in_trial(people)
    tick(ctx, at("2027-09-11 00:00"))
    people.do("amy", iid, "Acceptance", ANSWERS["Acceptance"][1], now=at("2027-09-20 10:00"))
    return iid


# 附件3流程.4–5 — 合规决策确认年度建设计划；领导班子会议确认实施方案及方式

def test_the_data_group_confirms_the_annual_plan_and_the_implementation_mode(people):
    iid = started(people, until="AnnualConstructionPlan")
    assert people.task("gina", iid, "AnnualConstructionPlan")["role"] == "data_group"
    with pytest.raises(ValidationFailed):
        people.do("gina", iid, "AnnualConstructionPlan", {"decision_meeting": "集团党委会"}, now=at("2027-01-15 10:00"))
    people.do("gina", iid, "AnnualConstructionPlan", ANSWERS["AnnualConstructionPlan"][1], now=at("2027-01-15 10:00"))
    assert people.ready(iid) == ["ImplementationPlan"]


def test_it_builds_in_house_by_default(people):
    assert people.ready(_planned(people)) == ["Implement"]


@pytest.mark.parametrize("mode", ["cooperative", "subcontract"])
def test_it_asks_why_the_data_group_does_not_build_in_house(people, mode):
    iid = started(people, until="ImplementationPlan")
    with pytest.raises(ValidationFailed) as err:
        people.do("gina", iid, "ImplementationPlan", {**ANSWERS["ImplementationPlan"][1], "mode": mode},
                  now=at("2027-01-20 10:00"))
    assert "mode_reason" in err.value.errors
    people.do("gina", iid, "ImplementationPlan", {**ANSWERS["ImplementationPlan"][1], "mode": mode,
                                                  "mode_reason": "不具备完整建设条件"}, now=at("2027-01-20 10:00"))
    assert people.ready(iid) == ["TenderDocuments"]


# 机制五.1 — 遴选具备政务信息化建设经验的建设单位（合作、分包），招标前完成《招标文件》合规性审查

@pytest.mark.parametrize("mode", ["cooperative", "subcontract"])
def test_a_partner_or_subcontractor_is_selected_only_after_the_tender_documents_pass_compliance(people, mode):
    iid = _planned(people, mode=mode, mode_reason="不具备完整建设条件")
    assert people.ready(iid) == ["TenderDocuments"]
    people.do("gina", iid, "TenderDocuments", {"tender_documents": "遴选文件.pdf"}, now=at("2027-01-25 10:00"))
    assert people.ready(iid) == ["TenderCompliance"]
    people.do("gina", iid, "TenderCompliance", OK, now=at("2027-01-26 10:00"))
    assert people.ready(iid) == ["SelectPartner"]
    people.do("gina", iid, "SelectPartner", {"partner": "某信息技术公司", "selection_method": "比选，借鉴政府采购流程",
                                             "contract_amount": 120}, now=at("2027-02-10 10:00"))
    assert people.ready(iid) == ["Implement"]


@pytest.mark.parametrize("mode", ["cooperative", "subcontract"])
def test_a_partner_cannot_be_selected_on_tender_documents_that_fail_compliance(people, mode):
    iid = _planned(people, mode=mode, mode_reason="不具备完整建设条件")
    people.do("gina", iid, "TenderDocuments", {"tender_documents": "遴选文件.pdf"}, now=at("2027-01-25 10:00"))
    people.do("gina", iid, "TenderCompliance", RETURN, now=at("2027-01-26 10:00"))
    assert people.ready(iid) == ["TenderDocuments"]
    assert "SelectPartner" not in people.ready(iid)
    people.do("gina", iid, "TenderDocuments", {"tender_documents": "遴选文件v2.pdf", "revision_note": "删除排他性条款"},
              now=at("2027-01-27 10:00"))
    assert people.ready(iid) == ["TenderCompliance"]
    people.do("gina", iid, "TenderCompliance", OK, now=at("2027-01-28 10:00"))
    assert people.ready(iid) == ["SelectPartner"]


def test_it_reviews_the_tender_documents_for_compliance_before_an_external_purchase(people):
    iid = _planned(people, mode="external", mode_reason="需采购专用设备")
    assert people.ready(iid) == ["TenderDocuments"]
    people.do("gina", iid, "TenderDocuments", {"tender_documents": "招标文件.pdf"}, now=at("2027-01-25 10:00"))
    people.do("gina", iid, "TenderCompliance", RETURN, now=at("2027-01-26 10:00"))
    assert people.ready(iid) == ["TenderDocuments"]
    people.do("gina", iid, "TenderDocuments", {"tender_documents": "招标文件v2.pdf"}, now=at("2027-01-27 10:00"))
    people.do("gina", iid, "TenderCompliance", OK, now=at("2027-01-28 10:00"))
    assert people.ready(iid) == ["Tender"]
    people.do("gina", iid, "Tender", {"procurement_method": "open", "winner": "某科技公司", "contract_amount": 300},
              now=at("2027-02-20 10:00"))
    assert people.ready(iid) == ["Implement"]


# 机制五.2 — 市数据集团按要求定期向市数据局、需求单位报送实施情况

def test_it_asks_the_data_group_for_a_progress_report_every_period(people, ctx):
    iid = _planned(people)
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2027-02-20T23:59:59+08:00"]
    assert tick(ctx, at("2027-02-20 12:00")) == []
    tick(ctx, at("2027-02-21 00:00"))
    assert people.ready(iid) == ["ProgressReport"]
    people.do("gina", iid, "ProgressReport", {"progress": "完成需求分析", "invested": 50}, now=at("2027-02-22 10:00"))
    assert people.ready(iid) == ["Implement"]
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2027-03-22T23:59:59+08:00"]


def test_it_follows_the_reporting_period_set_in_the_implementation_plan(people):
    iid = _planned(people, report_interval_months=3)
    assert [w["fires_at"][:10] for w in people.instance(iid)["waiting"]] == ["2027-04-20"]


# 机制五.3 — 建设内容核查；试运行6个月内实时反馈，市数据集团整改

def test_it_sends_an_incomplete_build_back_to_implementation(people):
    iid = _planned(people)
    people.do("gina", iid, "Implement", {"finished": True}, now=at("2027-02-10 10:00"))
    people.do("gina", iid, "ContentCheck", {"decision": "return", "comment": "数据共享接口未完成",
                                            "data_sharing_complete": False}, now=at("2027-02-11 10:00"))
    assert people.ready(iid) == ["Implement"]


def test_it_runs_the_trial_for_six_months_before_acceptance(people, ctx):
    iid = _in_trial(people)
    assert people.ready(iid) == ["TrialFeedback"]
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2027-09-10T23:59:59+08:00"]
    assert tick(ctx, at("2027-09-10 12:00")) == []
    tick(ctx, at("2027-09-11 00:00"))
    assert people.ready(iid) == ["Acceptance"]


def test_it_has_the_data_group_fix_what_users_report_during_the_trial(people, ctx):
    iid = _in_trial(people)
    people.do("amy", iid, "TrialFeedback", {"feedback": "工单分派偶有延迟", "department": "热线处"},
              now=at("2027-04-01 10:00"))
    assert people.task("gina", iid, "TrialRectify")["role"] == "data_group"
    people.do("gina", iid, "TrialRectify", {"rectification": "优化分派队列"}, now=at("2027-04-10 10:00"))
    assert people.ready(iid) == ["TrialFeedback"]
    assert [w["fires_at"][:10] for w in people.instance(iid)["waiting"]] == ["2027-09-10"]


def test_it_goes_to_acceptance_once_a_rectification_outlasting_the_trial_is_done(people, ctx):
    iid = _in_trial(people)
    people.do("amy", iid, "TrialFeedback", {"feedback": "报表数据不准", "department": "督办处"},
              now=at("2027-09-01 10:00"))
    tick(ctx, at("2027-09-15 00:00"))
    assert people.ready(iid) == ["TrialRectify"]
    people.do("gina", iid, "TrialRectify", {"rectification": "修正统计口径"}, now=at("2027-09-20 10:00"))
    assert people.ready(iid) == ["Acceptance"]


# 机制五.4 — 试运行结束后需求单位会同市数据集团竣工验收，形成《验收意见》

def test_it_has_the_data_group_rectify_a_failed_acceptance(people, ctx):
    iid = _in_trial(people)
    tick(ctx, at("2027-09-11 00:00"))
    people.do("amy", iid, "Acceptance",
              {"decision": "return", "comment": "性能未达标", "acceptance_opinion": "意见.pdf"},
              now=at("2027-09-20 10:00"))
    assert people.ready(iid) == ["AcceptanceRectify"]
    people.do("gina", iid, "AcceptanceRectify", {"rectification": "扩容"}, now=at("2027-09-30 10:00"))
    assert people.ready(iid) == ["Acceptance"]


# 机制六.2 — 通过验收并投入运行后12个月内自评价；市数据局会同市委网信办、需求单位监督评价

def test_it_gives_the_self_evaluation_twelve_months_from_acceptance(people, ctx):
    iid = _accepted(people, ctx)
    assert people.ready(iid) == ["SelfEvaluation"]
    assert _due(people, iid, "SelfEvaluation").date() == date(2028, 9, 20)


def test_it_evaluates_with_the_cac_and_the_applicant_in_parallel_then_the_data_bureau_concludes(people, ctx):
    iid = _accepted(people, ctx)
    people.do("gina", iid, "SelfEvaluation", ANSWERS["SelfEvaluation"][1], now=at("2028-06-01 10:00"))
    assert people.ready(iid) == ["EvaluationApplicant", "EvaluationCac"]
    for element in ("EvaluationCac", "EvaluationApplicant"):
        who, data = ANSWERS[element]
        people.do(who, iid, element, data, now=at("2028-06-10 10:00"))
    assert people.ready(iid) == ["SupervisionEvaluation"]
    people.do("dan", iid, "SupervisionEvaluation", ANSWERS["SupervisionEvaluation"][1], now=at("2028-06-20 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_label"]) == ("completed", "completed", "已完成")
