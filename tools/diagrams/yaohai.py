"""Source of the 合肥市瑶海区 diagrams — 关于开展"四域四化"专项整治加强政务信息化工作的意见 (2023-11-21):

* bpmn_diagrams/yaohai.bpmn — the project from 谋划 to 运维 and 终止应用 (意见 二（一）–二（五）, 三（二）);
* bpmn_diagrams/yaohai.collective_decision.bpmn — the unit's "三重一大" collective decision
  (分管负责人审核 → 领导班子集体研究), one call activity reused at its five places: 新建政务移动APP,
  项目谋划（可研、初设）, 招标文件, 变更, 验收;
* bpmn_diagrams/yaohai.change_request.bpmn — a change (变更, 二（四）17) or extension (延期, 二（四）18)
  started from a running project.

The inner roles (信息化主管科室, 分管负责人, 领导班子, 法律顾问) are resolved inside the applying unit.
Run `python -m tools.diagrams.yaohai` to regenerate the three files. After that the .bpmn files are
the truth: designers edit them in the modeler."""
from __future__ import annotations

from tools.diagram_builder import Diagram

COLLECTIVE = "yaohai.collective_decision"
DOCUMENT = "合肥市瑶海区数据资源局《关于开展“四域四化”专项整治加强政务信息化工作的意见》（2023年11月21日）"
COLLECTIVE_PLACES = "二（一）2,二（一）5,二（三）13,二（四）17,二（五）20"
APPROVE_REJECT = "common/review_approve_reject"
APPROVE_RETURN = "common/review_approve_return"


def _task(d: Diagram, element, lane, col, name, form, basis, row=0, **extra):
    properties = {"form": form, "legalBasis": basis, **extra}
    d.user_task(element, lane=lane, col=col, row=row, name=name, properties=properties)


def _collective(d: Diagram, place: str, matter: str, col: int, lane: str = "leadership") -> str:
    """Script naming the matter + the reused call activity; returns the id of the gateway after it."""
    d.script_task(f"Matter{place}", lane=lane, col=col, name="提请“三重一大”集体研究",
                  script=f"collective_matter = '{matter}'\ncollective_decision = None")
    d.call_activity(f"Collective{place}", lane=lane, col=col + 1, name=f"“三重一大”集体研究：{matter}",
                    called_element=COLLECTIVE,
                    documentation="本单位“三重一大”事项：分管负责人审核后，领导班子集体研究。")
    d.flow(f"Matter{place}", f"Collective{place}")
    return f"Collective{place}"


# ---------------------------------------------------------------------------------------------
# yaohai.collective_decision
# ---------------------------------------------------------------------------------------------
def build_collective() -> Diagram:
    d = Diagram(process_id=COLLECTIVE, process_name="瑶海区项目单位“三重一大”集体研究",
                lanes=[("deputy_head", "分管负责人"), ("leadership", "领导班子")],
                documentation=DOCUMENT + "：二（一）2、二（一）5、二（三）13、二（四）17、二（五）20 "
                              "按照本单位“三重一大”事项有关要求集体研究。")
    d.start("StartCollective", lane="deputy_head", col=0, name="提请集体研究")
    _task(d, "DeputyHeadReview", "deputy_head", 1, "分管负责人审核", APPROVE_RETURN, COLLECTIVE_PLACES,
          subject="collective_matter")
    d.exclusive("GwDeputyHead", lane="deputy_head", col=2, name="分管负责人审核通过？",
                documentation="二（一）5：项目申报前经单位分管负责人认真审核把关；二（三）13：招标文件经单位分管负责人审核。")
    d.script_task("MarkReturned", lane="deputy_head", col=4, row=1, name="记录退回意见",
                  script="collective_decision = 'return'\ncollective_comment = comment")
    d.end("EndCollectiveReturned", lane="deputy_head", col=5, row=1, name="退回修改",
          properties={"outcome": "completed"})
    _task(d, "LeadershipMeeting", "leadership", 4, "领导班子“三重一大”集体研究", "yaohai/collective_meeting",
          COLLECTIVE_PLACES, subject="collective_matter")
    d.script_task("RecordDecision", lane="leadership", col=5, name="记录集体研究结论",
                  script="collective_decision = decision\n"
                         "collective_comment = comment if decision != 'approve' else ''")
    d.end("EndCollectiveDecided", lane="leadership", col=6, name="集体研究完成", properties={"outcome": "completed"})
    d.flow("StartCollective", "DeputyHeadReview")
    d.flow("DeputyHeadReview", "GwDeputyHead")
    d.flow("GwDeputyHead", "MarkReturned", name="退回修改", condition="decision == 'return'")
    d.flow("GwDeputyHead", "LeadershipMeeting", name="审核通过", default=True)
    d.flow("MarkReturned", "EndCollectiveReturned")
    d.flow("LeadershipMeeting", "RecordDecision")
    d.flow("RecordDecision", "EndCollectiveDecided")
    return d


# ---------------------------------------------------------------------------------------------
# yaohai (main)
# ---------------------------------------------------------------------------------------------
LANES = [
    ("applicant", "项目单位"), ("it_office", "信息化主管科室"), ("leadership", "单位领导班子（“三重一大”）"),
    ("legal", "法律顾问/法制部门"), ("industry_authority", "市直业务主管部门"), ("cac", "区网信部门"),
    ("data_bureau", "区数据资源局"), ("experts", "评审专家"), ("ndrc", "区发改委"), ("finance", "区财政局"),
    ("procurement_office", "公管部门"), ("supervisor", "驻场监理"),
]


def build_main() -> Diagram:
    d = Diagram(process_id="yaohai", process_name="合肥市瑶海区政府投资信息化项目建设管理流程", lanes=LANES,
                documentation=DOCUMENT + "；《瑶海区信息化项目管理办法》（瑶政办〔2022〕3号）")
    _planning(d)
    _design(d)
    _review(d)
    _procurement(d)
    _implementation(d)
    _acceptance(d)
    return d


def _planning(d: Diagram) -> None:
    d.start("StartProject", lane="applicant", col=0, name="项目谋划")
    d.exclusive("MergePlan", lane="applicant", col=1)
    _task(d, "PlanProject", "applicant", 2, "项目谋划（场景驱动、统筹集约）", "yaohai/plan", "二（一）1,二（一）2")
    _task(d, "AuthorityConsent", "industry_authority", 3, "市直业务主管部门同意项目谋划", APPROVE_REJECT, "二（一）2")
    d.exclusive("GwAuthority", lane="industry_authority", col=4, name="业务主管部门同意？",
                documentation="二（一）2：项目谋划应提前征得市直业务主管部门同意。")
    d.end("EndAuthorityRefused", lane="industry_authority", col=5, row=1, name="业务主管部门不同意",
          properties={"outcome": "authority_refused"})
    d.exclusive("GwApp", lane="leadership", col=5, name="新建政务移动APP？",
                documentation="二（一）2：确需新建政务移动APP的，按照“先备案、后开设”原则，经本单位领导班子集体研究后，"
                              "向网信部门、数据资源部门报备同意后方可纳入项目建设内容。")
    _collective(d, "App", "新建政务移动APP", col=6)
    d.exclusive("GwCollectiveApp", lane="leadership", col=8, name="集体研究结论？")
    d.script_task("PrepareAppFiling", lane="cac", col=9, name="报备网信、数据资源部门",
                  script="CacAppFiling = {}\nDataAppFiling = {}")
    d.parallel("ForkAppFiling", lane="cac", col=10)
    _task(d, "CacAppFiling", "cac", 11, "网信部门：政务移动APP报备同意", APPROVE_REJECT, "二（一）2")
    _task(d, "DataAppFiling", "data_bureau", 11, "数据资源部门：政务移动APP报备同意", APPROVE_REJECT, "二（一）2")
    d.parallel("JoinAppFiling", lane="cac", col=12)
    d.script_task("RecordAppFiling", lane="cac", col=13, name="记录APP报备结论", script=(
        "app_included = CacAppFiling['decision'] == 'approve' and DataAppFiling['decision'] == 'approve'"))
    d.exclusive("MergeApp", lane="applicant", col=14)
    d.flow("StartProject", "MergePlan")
    d.flow("MergePlan", "PlanProject")
    d.flow("PlanProject", "AuthorityConsent")
    d.flow("AuthorityConsent", "GwAuthority")
    d.flow("GwAuthority", "EndAuthorityRefused", name="不同意", condition="decision == 'reject'")
    d.flow("GwAuthority", "GwApp", name="同意", default=True)
    d.flow("GwApp", "MatterApp", name="是", condition="new_mobile_app")
    d.flow("GwApp", "MergeApp", name="否", default=True)
    d.flow("CollectiveApp", "GwCollectiveApp")
    d.flow("GwCollectiveApp", "PrepareAppFiling", name="同意新建", condition="collective_decision == 'approve'")
    d.flow("GwCollectiveApp", "MergePlan", name="退回修改谋划", condition="collective_decision == 'return'")
    d.flow("GwCollectiveApp", "MergeApp", name="不同意（不纳入APP）", default=True)
    d.flow("PrepareAppFiling", "ForkAppFiling")
    d.flow("ForkAppFiling", "CacAppFiling")
    d.flow("ForkAppFiling", "DataAppFiling")
    d.flow("CacAppFiling", "JoinAppFiling")
    d.flow("DataAppFiling", "JoinAppFiling")
    d.flow("JoinAppFiling", "RecordAppFiling")
    d.flow("RecordAppFiling", "MergeApp")


def _design(d: Diagram) -> None:
    d.exclusive("MergeDraft", lane="applicant", col=15)
    _task(d, "DraftDesign", "applicant", 16, "编制可研报告、初设方案", "yaohai/design_docs", "二（一）3,二（一）4")
    _task(d, "UnitReview", "it_office", 17, "信息化主管科室统筹审核把关", APPROVE_RETURN, "二（一）5")
    d.exclusive("GwUnitReview", lane="it_office", col=18, name="统筹审核通过？")
    _collective(d, "Plan", "项目谋划与可研报告、初设方案", col=19)
    d.exclusive("GwCollectivePlan", lane="leadership", col=21, name="集体研究结论？",
                documentation="二（一）5：按照本单位“三重一大”事项有关要求集体研究项目谋划情况，通过后提交区数据资源局。")
    d.end("EndInternalRejected", lane="leadership", col=22, row=1, name="集体研究不同意申报",
          properties={"outcome": "internal_rejected"})
    d.flow("MergeApp", "MergeDraft")
    d.flow("MergeDraft", "DraftDesign")
    d.flow("DraftDesign", "UnitReview")
    d.flow("UnitReview", "GwUnitReview")
    d.flow("GwUnitReview", "MergeDraft", name="退回修改", condition="decision == 'return'")
    d.flow("GwUnitReview", "MatterPlan", name="通过", default=True)
    d.flow("CollectivePlan", "GwCollectivePlan")
    d.flow("GwCollectivePlan", "MergeDraft", name="退回修改", condition="collective_decision == 'return'")
    d.flow("GwCollectivePlan", "EndInternalRejected", name="不同意", condition="collective_decision == 'reject'")


def _review(d: Diagram) -> None:
    _task(d, "AcceptanceCheck", "data_bureau", 22, "受理审查", "yaohai/acceptance_check", "二（二）6,三（二）")
    d.exclusive("GwAcceptanceCheck", lane="data_bureau", col=23, name="是否受理？",
                documentation="二（二）6：不符合基本格式要求或内容存在明显重大缺失、错误的，不予受理；"
                              "三（二）：因建设管理不规范导致项目建设迟缓或应用成效不高的，原则上暂缓该单位新增项目的申报审核。")
    d.end("EndNotAccepted", lane="data_bureau", col=24, row=1, name="不予受理", properties={"outcome": "not_accepted"})
    d.end("EndDeferred", lane="data_bureau", col=24, row=2, name="暂缓申报审核", properties={"outcome": "deferred"})
    _task(d, "PriorPerformance", "applicant", 24, "事前绩效评估", "yaohai/prior_performance", "二（二）7")
    d.script_task("PrepareExpertReview", lane="data_bureau", col=25, name="组织专家评审（会同区发改委、区财政局）",
                  script="ExpertOpinion = {}\nNdrcOpinion = {}\nFinanceOpinion = {}")
    d.parallel("ForkExpertReview", lane="data_bureau", col=26)
    _task(d, "ExpertOpinion", "experts", 27, "专家评审论证意见", APPROVE_REJECT, "二（二）8")
    _task(d, "NdrcOpinion", "ndrc", 27, "区发改委评审意见", APPROVE_REJECT, "二（二）8")
    _task(d, "FinanceOpinion", "finance", 27, "区财政局评审意见", APPROVE_REJECT, "二（二）8")
    d.parallel("JoinExpertReview", lane="data_bureau", col=28)
    _task(d, "ExpertConclusion", "data_bureau", 29, "形成专家评审结论（核对汇报人）", "yaohai/expert_conclusion",
          "二（二）8,二（二）9")
    d.exclusive("GwExpertReview", lane="data_bureau", col=30, name="专家评审通过？")
    d.end("EndReviewFailed", lane="data_bureau", col=31, row=1, name="专家评审未通过",
          properties={"outcome": "review_failed"})
    d.exclusive("MergeRevise", lane="applicant", col=31)
    _task(d, "ReviseDesignDocs", "applicant", 32, "按专家意见修改完善（无法修改的说明理由）",
          "yaohai/revise_per_experts", "二（二）8")
    d.exclusive("GwUnadopted", lane="applicant", col=33, name="有无法按专家意见修改之处？")
    _task(d, "ExpertRecheck", "experts", 34, "专家复核", APPROVE_RETURN, "二（二）8")
    d.exclusive("GwRecheck", lane="experts", col=35, name="专家复核同意？")
    d.exclusive("MergeRecheck", lane="data_bureau", col=36)
    _task(d, "ApproveDesign", "data_bureau", 37, "可研报告、初设方案批复", "yaohai/design_approval",
          "二（三）11,二（二）7")
    d.flow("GwCollectivePlan", "AcceptanceCheck", name="同意申报", condition="collective_decision == 'approve'")
    d.flow("AcceptanceCheck", "GwAcceptanceCheck")
    d.flow("GwAcceptanceCheck", "EndNotAccepted", name="不予受理", condition="decision == 'reject'")
    d.flow("GwAcceptanceCheck", "EndDeferred", name="暂缓", condition="decision == 'defer'")
    d.flow("GwAcceptanceCheck", "PriorPerformance", name="受理", default=True)
    d.flow("PriorPerformance", "PrepareExpertReview")
    d.flow("PrepareExpertReview", "ForkExpertReview")
    for element in ("ExpertOpinion", "NdrcOpinion", "FinanceOpinion"):
        d.flow("ForkExpertReview", element)
        d.flow(element, "JoinExpertReview")
    d.flow("JoinExpertReview", "ExpertConclusion")
    d.flow("ExpertConclusion", "GwExpertReview")
    d.flow("GwExpertReview", "EndReviewFailed", name="未通过", condition="decision == 'reject'")
    d.flow("GwExpertReview", "MergeRevise", name="通过", default=True)
    d.flow("MergeRevise", "ReviseDesignDocs")
    d.flow("ReviseDesignDocs", "GwUnadopted")
    d.flow("GwUnadopted", "ExpertRecheck", name="有（提供理由）", condition="len(unadopted_opinions) > 0")
    d.flow("GwUnadopted", "MergeRecheck", name="已全部修改", default=True)
    d.flow("ExpertRecheck", "GwRecheck")
    d.flow("GwRecheck", "MergeRevise", name="不同意", condition="decision == 'return'")
    d.flow("GwRecheck", "MergeRecheck", name="同意", default=True)
    d.flow("MergeRecheck", "ApproveDesign")


def _procurement(d: Diagram) -> None:
    d.exclusive("MergeRefine", lane="applicant", col=38)
    _task(d, "RefineRequirements", "applicant", 39, "按初设批复细化采购需求", "yaohai/procurement_requirements",
          "二（三）10,二（三）11")
    d.exclusive("GwMajor", lane="applicant", col=40, name="重大项目？",
                documentation="二（三）11：重大项目还需开展采购需求调查。")
    _task(d, "RequirementSurvey", "applicant", 41, "采购需求调查", "yaohai/requirement_survey", "二（三）11", row=1)
    d.exclusive("MergeSurvey", lane="applicant", col=42)
    _task(d, "RequirementPrereview", "procurement_office", 43, "采购需求预审（财政、公管部门）", APPROVE_RETURN,
          "二（三）11")
    d.exclusive("GwPrereview", lane="procurement_office", col=44, name="预审通过？")
    d.exclusive("MergeTender", lane="applicant", col=45)
    _task(d, "DraftTenderDocs", "applicant", 46, "独立自主编制招标文件", "yaohai/tender_docs", "二（三）12,二（三）13")
    _collective(d, "Tender", "招标文件", col=47)
    d.exclusive("GwCollectiveTender", lane="leadership", col=49, name="集体研究同意招标文件？")
    d.parallel("ForkProcurement", lane="applicant", col=50)
    procurements = [("MainProcurement", "主体建设内容整体招标采购"), ("SupervisionProcurement", "独立采购项目监理"),
                    ("GradedTestProcurement", "独立采购等保（分保）测评"),
                    ("ThirdPartyTestProcurement", "独立采购第三方测评（检测）")]
    for row, (element, title) in enumerate(procurements):
        _task(d, element, "applicant", 51, title, "yaohai/procurement", "二（三）10,二（三）12,二（三）14", row=row)
    d.parallel("JoinProcurement", lane="applicant", col=52)
    d.flow("ApproveDesign", "MergeRefine")
    d.flow("MergeRefine", "RefineRequirements")
    d.flow("RefineRequirements", "GwMajor")
    d.flow("GwMajor", "RequirementSurvey", name="是", condition="is_key_project")
    d.flow("GwMajor", "MergeSurvey", name="否", default=True)
    d.flow("RequirementSurvey", "MergeSurvey")
    d.flow("MergeSurvey", "RequirementPrereview")
    d.flow("RequirementPrereview", "GwPrereview")
    d.flow("GwPrereview", "MergeRefine", name="退回修改", condition="decision == 'return'")
    d.flow("GwPrereview", "MergeTender", name="通过", default=True)
    d.flow("MergeTender", "DraftTenderDocs")
    d.flow("DraftTenderDocs", "MatterTender")
    d.flow("CollectiveTender", "GwCollectiveTender")
    d.flow("GwCollectiveTender", "ForkProcurement", name="同意", condition="collective_decision == 'approve'")
    d.flow("GwCollectiveTender", "MergeTender", name="修改招标文件", default=True)
    for element, _title in procurements:
        d.flow("ForkProcurement", element)
        d.flow(element, "JoinProcurement")


def _implementation(d: Diagram) -> None:
    d.exclusive("MergeContract", lane="applicant", col=53)
    _task(d, "LegalReview", "legal", 54, "合同法审", APPROVE_RETURN, "二（四）15")
    d.exclusive("GwLegal", lane="legal", col=55, name="法审通过？")
    _task(d, "ReviseContracts", "applicant", 55, "按法审意见修改合同", "yaohai/contract_revision", "二（四）15", row=1)
    _task(d, "SignContracts", "applicant", 56, "签署合同", "yaohai/sign_contracts", "二（四）15")
    d.parallel("ForkImplementation", lane="applicant", col=57)
    _task(d, "Implementation", "applicant", 58, "项目实施（定期监督检查进度、质量、资金）", "yaohai/implementation",
          "二（四）16,二（四）17,二（四）18")
    _task(d, "ResidentSupervision", "supervisor", 58, "驻场监理", "yaohai/supervision", "二（四）19")
    d.parallel("JoinImplementation", lane="applicant", col=59)
    d.flow("JoinProcurement", "MergeContract")
    d.flow("MergeContract", "LegalReview")
    d.flow("LegalReview", "GwLegal")
    d.flow("GwLegal", "ReviseContracts", name="退回修改", condition="decision == 'return'")
    d.flow("GwLegal", "SignContracts", name="法审通过", default=True)
    d.flow("ReviseContracts", "MergeContract")
    d.flow("SignContracts", "ForkImplementation")
    d.flow("ForkImplementation", "Implementation")
    d.flow("ForkImplementation", "ResidentSupervision")
    d.flow("Implementation", "JoinImplementation")
    d.flow("ResidentSupervision", "JoinImplementation")


def _acceptance(d: Diagram) -> None:
    d.exclusive("MergeAcceptance", lane="applicant", col=60)
    _task(d, "PreliminaryAcceptance", "applicant", 61, "组织初验（逐一核对数量、参数、性能）",
          "yaohai/preliminary_acceptance", "二（五）21")
    _task(d, "AcceptanceDossier", "applicant", 62, "完善竣工验收资料", "yaohai/acceptance_dossier", "二（五）20")
    _collective(d, "Acceptance", "项目验收情况", col=63)
    d.exclusive("GwCollectiveAcceptance", lane="leadership", col=65, name="集体研究同意验收？")
    _task(d, "FinalAcceptance", "data_bureau", 66, "竣工验收（对照初设、招标、合同、变更逐一核对）",
          "yaohai/final_acceptance", "二（五）21")
    d.exclusive("GwFinalAcceptance", lane="data_bureau", col=67, name="竣工验收通过？")
    d.exclusive("MergeAccounts", lane="applicant", col=68)
    _task(d, "FinalAccounts", "applicant", 69, "竣工财务决算", "yaohai/final_accounts", "二（五）22")
    _task(d, "FinalAccountsReview", "finance", 70, "竣工财务决算审核批复", APPROVE_RETURN, "二（五）22")
    d.exclusive("GwFinalAccounts", lane="finance", col=71, name="决算审核通过？")
    _task(d, "SelfEvaluation", "applicant", 72, "项目绩效自评", "yaohai/self_evaluation", "二（五）23")
    _task(d, "Operation", "applicant", 73, "系统运维（终止应用时办理）", "yaohai/retirement", "二（五）24")
    d.parallel("ForkRetirement", lane="applicant", col=74)
    _task(d, "RetireFilingData", "data_bureau", 75, "系统终止应用报备（区数据资源局）", "common/confirm", "二（五）24")
    _task(d, "RetireFilingFinance", "finance", 75, "系统终止应用报备、停止运维预算（区财政局）", "common/confirm",
          "二（五）24")
    d.parallel("JoinRetirement", lane="applicant", col=76)
    d.end("EndCompleted", lane="applicant", col=77, name="项目全周期结束", properties={"outcome": "completed"})
    d.flow("JoinImplementation", "MergeAcceptance")
    d.flow("MergeAcceptance", "PreliminaryAcceptance")
    d.flow("PreliminaryAcceptance", "AcceptanceDossier")
    d.flow("AcceptanceDossier", "MatterAcceptance")
    d.flow("CollectiveAcceptance", "GwCollectiveAcceptance")
    d.flow("GwCollectiveAcceptance", "FinalAcceptance", name="同意", condition="collective_decision == 'approve'")
    d.flow("GwCollectiveAcceptance", "MergeAcceptance", name="整改后重新验收", default=True)
    d.flow("FinalAcceptance", "GwFinalAcceptance")
    d.flow("GwFinalAcceptance", "MergeAcceptance", name="不一致，整改", condition="decision == 'return'")
    d.flow("GwFinalAcceptance", "MergeAccounts", name="通过", default=True)
    d.flow("MergeAccounts", "FinalAccounts")
    d.flow("FinalAccounts", "FinalAccountsReview")
    d.flow("FinalAccountsReview", "GwFinalAccounts")
    d.flow("GwFinalAccounts", "MergeAccounts", name="退回修改", condition="decision == 'return'")
    d.flow("GwFinalAccounts", "SelfEvaluation", name="批复", default=True)
    d.flow("SelfEvaluation", "Operation")
    d.flow("Operation", "ForkRetirement")
    for element in ("RetireFilingData", "RetireFilingFinance"):
        d.flow("ForkRetirement", element)
        d.flow(element, "JoinRetirement")
    d.flow("JoinRetirement", "EndCompleted")


# ---------------------------------------------------------------------------------------------
# yaohai.change_request
# ---------------------------------------------------------------------------------------------
def build_change_request() -> Diagram:
    d = Diagram(process_id="yaohai.change_request", process_name="瑶海区信息化项目变更、延期申请",
                lanes=[("applicant", "项目单位"), ("deputy_head", "分管负责人"),
                       ("leadership", "单位领导班子（“三重一大”）"), ("data_bureau", "区数据资源局")],
                documentation=DOCUMENT + "：二（四）17 严格项目变更；二（四）18 规范项目实施周期。")
    d.start("StartRequest", lane="applicant", col=0, name="提出变更或延期")
    d.exclusive("MergeRequest", lane="applicant", col=1)
    _task(d, "DraftRequest", "applicant", 2, "填写变更/延期申请", "yaohai/change_request", "二（四）17,二（四）18")
    d.exclusive("GwKind", lane="applicant", col=3, name="变更还是延期？")
    _collective(d, "Change", "项目变更", col=4)
    d.exclusive("GwCollectiveChange", lane="leadership", col=6, name="集体研究结论？")
    d.end("EndChangeRefusedInternally", lane="leadership", col=7, row=1, name="集体研究不同意变更",
          properties={"outcome": "internal_rejected"})
    _task(d, "ChangeApproval", "data_bureau", 7, "变更审批（瑶海区信息化项目管理办法）", APPROVE_REJECT, "二（四）17")
    d.exclusive("GwChangeApproval", lane="data_bureau", col=8, name="批准变更？")
    d.end("EndChangeApproved", lane="data_bureau", col=9, name="变更已批准", properties={"outcome": "completed"})
    d.end("EndChangeRejected", lane="data_bureau", col=9, row=1, name="变更未获批准",
          properties={"outcome": "change_rejected"})
    _task(d, "ExtensionReview", "deputy_head", 4, "单位内部审核延期申请", APPROVE_REJECT, "二（四）18")
    d.exclusive("GwExtension", lane="deputy_head", col=5, name="内部审核通过？")
    d.end("EndExtensionRefused", lane="deputy_head", col=6, row=1, name="不予延期",
          properties={"outcome": "extension_refused"})
    _task(d, "ExtensionFiling", "data_bureau", 6, "延期备案", "common/confirm", "二（四）18", row=1)
    d.end("EndExtensionFiled", lane="data_bureau", col=7, row=1, name="延期已备案", properties={"outcome": "completed"})
    d.flow("StartRequest", "MergeRequest")
    d.flow("MergeRequest", "DraftRequest")
    d.flow("DraftRequest", "GwKind")
    d.flow("GwKind", "MatterChange", name="变更", condition="request_kind == 'change'")
    d.flow("GwKind", "ExtensionReview", name="延期", default=True)
    d.flow("CollectiveChange", "GwCollectiveChange")
    d.flow("GwCollectiveChange", "ChangeApproval", name="同意", condition="collective_decision == 'approve'")
    d.flow("GwCollectiveChange", "MergeRequest", name="退回修改", condition="collective_decision == 'return'")
    d.flow("GwCollectiveChange", "EndChangeRefusedInternally", name="不同意", default=True)
    d.flow("ChangeApproval", "GwChangeApproval")
    d.flow("GwChangeApproval", "EndChangeRejected", name="不予批准", condition="decision == 'reject'")
    d.flow("GwChangeApproval", "EndChangeApproved", name="批准", default=True)
    d.flow("ExtensionReview", "GwExtension")
    d.flow("GwExtension", "EndExtensionRefused", name="不同意", condition="decision == 'reject'")
    d.flow("GwExtension", "ExtensionFiling", name="同意", default=True)
    d.flow("ExtensionFiling", "EndExtensionFiled")
    return d


if __name__ == "__main__":
    for builder, name in ((build_main, "yaohai"), (build_collective, COLLECTIVE),
                          (build_change_request, "yaohai.change_request")):
        print(f"wrote {builder().write(f'bpmn_diagrams/{name}.bpmn')}")
