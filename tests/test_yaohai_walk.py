"""瑶海 personas and the usual answers the scenario tests share (no tests here). Two applying units:
区教育体育局 (amy and its inner roles) and 区卫生健康委员会 (hank, with its own 分管负责人 and 领导班子)."""
from __future__ import annotations

import pytest

from tests.conftest import at
from tests.support import Personas
from tests.test_jiujiang_walk import fast_personas

EDU, HEALTH = "区教育体育局", "区卫生健康委员会"
YAOHAI_PEOPLE = {  # username: (unit, roles)
    "amy": (EDU, ["applicant"]),
    "ivan": (EDU, ["it_office"]),
    "dean": (EDU, ["deputy_head"]),
    "lily": (EDU, ["leadership"]),
    "lara": (EDU, ["legal"]),
    "hank": (HEALTH, ["applicant"]),
    "hope": (HEALTH, ["it_office"]),
    "hedy": (HEALTH, ["deputy_head"]),
    "hugo": (HEALTH, ["leadership"]),
    "ian": ("合肥市教育局（市直业务主管部门）", ["industry_authority"]),
    "cathy": ("中共合肥市瑶海区委网络安全和信息化委员会办公室", ["cac"]),
    "dora": ("合肥市瑶海区数据资源局", ["data_bureau"]),
    "erin": ("瑶海区信息化项目评审专家组", ["experts"]),
    "nick": ("合肥市瑶海区发展和改革委员会", ["ndrc"]),
    "fay": ("合肥市瑶海区财政局", ["finance"]),
    "pete": ("合肥市瑶海区公共资源交易监督管理局", ["procurement_office"]),
    "sue": ("瑶海区信息化项目驻场监理单位", ["supervisor"]),
    "mona": ("合肥市瑶海区数据资源局", ["manager"]),
}

FACTS = {"project_name": "瑶海区智慧校园平台", "project_type": "construction", "total_investment": 280}
OK = {"decision": "approve"}
MEETING = {"decision": "approve", "meeting_date": "2026-03-02", "minutes": "会议纪要.pdf"}
PLAN = {"scenario": "“一件事一次办”入学报名场景", "aligned_with_functions": True,
        "platform_capabilities": "复用省一体化数据基础平台身份认证、电子证照组件"}
PARAMETERS = [{"item": "服务器", "parameter": "2路64核", "brands": ["甲", "乙", "丙"]}]
DESIGN = {"drafting_mode": "consultancy", "consultancy_name": "某咨询公司", "feasibility_report": "可研.pdf",
          "preliminary_design": "初设.pdf", "no_exclusive_content": True, "no_business_terms": True,
          "parameters": PARAMETERS, "mobile_app": "none"}
ACCEPTED = {"decision": "approve", "format_compliant": True, "no_major_omission": True}
CONCLUSION = {"decision": "approve", "presenter": "project_leader", "presenter_name": "王主任",
              "it_head_attended": True, "opinions": "同意，按意见修改"}
REVISED = {"revised_documents": "修改稿.pdf", "revision_note": "已按意见修改"}
PROCUREMENT = {"procurement_method": "public_tender", "supplier": "某科技公司", "amount": 260,
               "contract_draft": "合同草案.pdf"}
PRELIMINARY = {"items": [{"name": "服务器", "quantity": 2, "consistent": True}], "opinion": "初验意见.pdf"}
FINAL_OK = {"decision": "approve", "matches_design": True, "matches_tender": True, "matches_contract": True,
            "matches_changes": True}
STEPS = {
    "PlanProject": ("amy", PLAN), "AuthorityConsent": ("ian", OK),
    "CacAppFiling": ("cathy", OK), "DataAppFiling": ("dora", OK),
    "DeputyHeadReview": ("dean", OK), "LeadershipMeeting": ("lily", MEETING),
    "DraftDesign": ("amy", DESIGN), "UnitReview": ("ivan", OK), "AcceptanceCheck": ("dora", ACCEPTED),
    "PriorPerformance": ("amy", {"assessment_report": "事前绩效评估.pdf", "conclusion": "建议立项"}),
    "ExpertOpinion": ("erin", OK), "NdrcOpinion": ("nick", OK), "FinanceOpinion": ("fay", OK),
    "ExpertConclusion": ("dora", CONCLUSION), "ReviseDesignDocs": ("amy", REVISED),
    "ExpertRecheck": ("erin", OK),
    "ApproveDesign": ("dora", {"approval_document": "批复.pdf", "approved_investment": 270,
                               "approved_scope": "建设规模、内容、指标"}),
    "RefineRequirements": ("amy", {"requirements": "采购需求.pdf", "consistent_with_design": True}),
    "RequirementSurvey": ("amy", {"survey_report": "需求调查.pdf"}),
    "RequirementPrereview": ("pete", OK), "FinancePrereview": ("fay", OK),
    "DraftTenderDocs": ("amy", {"tender_document": "招标文件.pdf", "evaluation_method": "综合评分法",
                                "no_exclusive_clauses": True, "services_separate": True,
                                "whole_tender": True}),
    "MainProcurement": ("amy", PROCUREMENT), "SupervisionProcurement": ("amy", {**PROCUREMENT, "amount": 8}),
    "GradedTestProcurement": ("amy", {**PROCUREMENT, "amount": 5}),
    "ThirdPartyTestProcurement": ("amy", {**PROCUREMENT, "amount": 4}),
    "LegalReview": ("lara", OK),
    "SignContracts": ("amy", {"contracts": [{"name": "主体合同", "counterparty": "某科技公司",
                                            "signed_on": "2026-06-01"}]}),
    "Implementation": ("amy", {"responsible_person": "王主任", "completed": True,
                               "checks": [{"date": "2026-07-01", "progress": "50%"}]}),
    "ResidentSupervision": ("sue", {"supervisor_name": "李监理", "contemporaneous": True,
                                    "reports": [{"period": "2026年7月", "report": "监理月报.pdf"}]}),
    "PreliminaryAcceptance": ("amy", PRELIMINARY),
    "AcceptanceDossier": ("amy", {"application": "申请.pdf", "preliminary_opinion": "初验意见.pdf",
                                  "acceptance_report": "验收报告.pdf"}),
    "FinalAcceptance": ("dora", FINAL_OK),
    "FinalAccounts": ("amy", {"report": "决算.pdf", "final_amount": 268}), "FinalAccountsReview": ("fay", OK),
    "SelfEvaluation": ("amy", {"report": "自评.pdf", "conclusion": "良好", "om_requested_amount": 20}),
    "PerformanceEvaluation": ("dora", {"decision": "approve", "findings": "系统运行平稳，使用率高"}),
    "OmFunding": ("fay", {"decision": "full"}),
    "Operation": ("amy", {"reason": "superior_unified", "retired_on": "2030-12-31", "om_budget_stopped": True}),
    "RetireFilingData": ("dora", {"confirmed": True}), "RetireFilingFinance": ("fay", {"confirmed": True}),
}


@pytest.fixture
def people(ctx, monkeypatch) -> Personas:
    return fast_personas(ctx, monkeypatch, "yaohai", YAOHAI_PEOPLE)


def advance(people, iid, until: str, when: str = "2026-03-10 10:00", answers: dict | None = None) -> None:
    """Complete ready steps with their usual answers (or `answers`) until `until` is ready."""
    steps = {**STEPS, **(answers or {})}
    while until not in (ready := people.ready(iid)):
        doable = [element for element in ready if element in steps]
        assert doable, f"stuck before {until}: {ready}"
        who, data = steps[doable[0]]
        people.do(who, iid, doable[0], data, now=at(when))


def started(people, facts=None, who="amy", when="2026-03-01 10:00") -> int:
    return people.start(who, "yaohai", {**FACTS, **(facts or {})}, now=at(when))


def title_of(people, who, iid, element) -> str:
    return people.task(who, iid, element)["title"]
