"""Source of bpmn_diagrams/huaian.bpmn — 淮安市市级政务信息化项目统筹集约建设机制 (with 附件1 扎口管理机制,
附件2 生成机制, 附件3 集约建设机制): the city data group (市数据集团) builds every project.

Run `python -m tools.diagrams.huaian` to regenerate the laid-out BPMN file. After that the .bpmn file is
the truth: designers edit it in the modeler. Article keys (机制四.4, 附件3流程.5 …) are those of
processes/huaian/jurisdiction.json."""
from __future__ import annotations

from tools.diagram_builder import Diagram

JOINT_REVIEWERS = [  # (element, lane, title, articles) — 机制四.4: 网信 ∥ 密码 ∥ 档案, led by 市数据局
    ("ReviewCac", "cac", "市委网信办：网络安全审核", "机制四.4,机制二"),
    ("ReviewCrypto", "crypto", "市密码管理局：安全可靠、密码应用、电子文件审核", "机制四.4,机制二"),
    ("ReviewArchives", "archives", "市档案局：电子档案审核", "机制四.4,机制二"),
]
ACCEPTED_AT = "Acceptance['completed_at']"


def build() -> Diagram:
    d = Diagram(
        process_id="huaian", process_name="淮安市市级政务信息化项目统筹集约建设流程",
        lanes=[("applicant", "需求单位（项目责任主体）"), ("data_group", "市数据集团（项目开发主体）"),
               ("data_bureau", "市数据局"), ("cac", "市委网信办"), ("crypto", "市密码管理局"),
               ("archives", "市档案局"), ("finance", "市财政局（预算评审中心）"), ("government", "市政府")],
        documentation="淮安市市级政务信息化项目统筹集约建设机制及附件1扎口管理机制、附件2生成机制、附件3集约建设机制")
    _scope(d)
    _generation(d)
    _joint_review(d)
    _estimate_and_plan(d)
    _operation_variant(d)
    _implementation(d)
    _trial_and_acceptance(d)
    _evaluation(d)
    return d


def _scope(d: Diagram) -> None:
    d.start("StartProject", lane="applicant", col=0, name="提出项目需求")
    d.exclusive("GwScope", lane="applicant", col=1, name="学校、医院的项目？",
                documentation="机制一、附件2一：项目范围为市级各党政机关、事业单位和团体组织的政务信息化项目，不含学校、医院。")
    d.end("EndOutOfScope", lane="applicant", col=2, row=1, name="不在本机制范围",
          properties={"outcome": "out_of_scope"})
    d.exclusive("GwType", lane="applicant", col=2, name="运维类项目？",
                documentation="机制四.5第二段、附件2流程.5第二段：运维项目由需求单位按年度报市数据局审核、市财政局复核后一并纳入年度计划。")
    d.flow("StartProject", "GwScope")
    d.flow("GwScope", "EndOutOfScope", name="是", condition="school_or_hospital")
    d.flow("GwScope", "GwType", name="否", default=True)


def _generation(d: Diagram) -> None:
    d.user_task("Planning", lane="applicant", col=3, name="需求梳理、项目规划",
                properties={"form": "huaian/planning", "legalBasis": "机制四.1,附件2流程.1"})
    d.user_task("TopLevelDesign", lane="data_group", col=4, name="会同需求单位开展顶层设计",
                properties={"form": "huaian/top_level_design", "legalBasis": "机制四.1,附件2流程.1,附件2二"})
    d.user_task("ApplyLibrary", lane="applicant", col=5, name="提交项目建设材料申请入库",
                properties={"form": "huaian/library_application", "legalBasis": "机制四.2,附件2流程.2"})
    d.user_task("LibraryReview", lane="data_bureau", col=6, name="储备库审核",
                properties={"form": "huaian/library_review", "legalBasis": "附件2流程.2,机制四.2,机制二"})
    d.exclusive("GwLibrary", lane="data_bureau", col=7, name="准予入库？",
                documentation="附件2流程.2：未入库的项目原则上不予安排资金（原则上：经写明理由可例外）。")
    d.end("EndNotInLibrary", lane="data_bureau", col=8, row=1, name="未入库，不予安排资金",
          properties={"outcome": "not_in_library"})
    d.flow("GwType", "Planning", name="否", default=True)
    d.flow("Planning", "TopLevelDesign")
    d.flow("TopLevelDesign", "ApplyLibrary")
    d.flow("ApplyLibrary", "LibraryReview")
    d.flow("LibraryReview", "GwLibrary")
    d.flow("GwLibrary", "EndNotInLibrary", name="不予入库",
           condition="decision == 'reject' and not funding_exception")


def _joint_review(d: Diagram) -> None:
    d.exclusive("MergePlan", lane="applicant", col=8)
    d.user_task("PreparePlan", lane="applicant", col=9, name="编制项目建设方案",
                properties={"form": "huaian/construction_plan", "legalBasis": "机制四.3,附件2流程.3,附件3流程.1"})
    d.flow("GwLibrary", "MergePlan", name="入库", default=True)
    d.flow("MergePlan", "PreparePlan")
    d.script_task("PrepareReview", lane="data_bureau", col=10, name="组织联合评估论证",
                  script="\n".join(f"{el} = {{}}" for el, *_ in JOINT_REVIEWERS),
        documentation="机制四.4：组织联合评估论证；每轮论证前清空上一轮各部门意见。")
    d.parallel("ForkReview", lane="data_bureau", col=11)
    d.flow("PreparePlan", "PrepareReview")
    d.flow("PrepareReview", "ForkReview")
    for element, lane, title, articles in JOINT_REVIEWERS:
        d.user_task(element, lane=lane, col=12, name=title,
                    properties={"form": "common/review_approve_return", "legalBasis": articles})
        d.flow("ForkReview", element)
    d.parallel("JoinReview", lane="data_bureau", col=13)
    for element, *_ in JOINT_REVIEWERS:
        d.flow(element, "JoinReview")
    names = ", ".join(el for el, *_ in JOINT_REVIEWERS)
    d.script_task("TallyReview", lane="data_bureau", col=14, name="汇总职能部门审核意见", script=(
        f"joint_returns = [r for r in [{names}] if r['decision'] == 'return']\n"
        "joint_returned = len(joint_returns) > 0"),
        documentation="机制四.4：汇总市委网信办、市密码管理局、市档案局的审核意见。")
    d.exclusive("GwJointReturned", lane="data_bureau", col=15, name="职能部门退回修改？",
                documentation="机制四.4：市数据局牵头会同市委网信办、市密码管理局、市档案局开展技术审核；"
                              "任一部门退回的，修改建设方案后重新联合论证（建模假设：原文未写退回环节）。")
    d.user_task("ReviewConclusion", lane="data_bureau", col=16, name="论证必要性、可行性（数据共享、集约节约）",
                properties={"form": "common/review", "legalBasis": "机制四.4,附件2流程.4,附件3流程.1"})
    d.exclusive("GwConclusion", lane="data_bureau", col=17, name="联合评估论证结论？",
                documentation="机制四.4、附件3流程.1：市数据局对必要性、可行性、数据共享、集约节约作出结论"
                              "（退回与不通过为建模假设）。")
    d.end("EndRejected", lane="data_bureau", col=18, row=1, name="评估论证未通过", properties={"outcome": "rejected"})
    d.flow("JoinReview", "TallyReview")
    d.flow("TallyReview", "GwJointReturned")
    d.flow("GwJointReturned", "MergePlan", name="退回修改", condition="joint_returned")
    d.flow("GwJointReturned", "ReviewConclusion", name="均通过", default=True)
    d.flow("ReviewConclusion", "GwConclusion")
    d.flow("GwConclusion", "MergePlan", name="退回修改", condition="decision == 'return'")
    d.flow("GwConclusion", "EndRejected", name="不通过", condition="decision == 'reject'")


def _estimate_and_plan(d: Diagram) -> None:
    d.exclusive("MergeEstimate", lane="data_group", col=18)
    d.user_task("EstimateWorkload", lane="data_group", col=19, name="评估项目建设工作量",
                properties={"form": "huaian/workload_estimate", "legalBasis": "附件3流程.2"})
    d.user_task("ConfirmWorkload", lane="data_bureau", col=20, name="确认工作量并报送概算评审",
                properties={"form": "common/review_approve_return", "legalBasis": "附件3流程.2,机制三.2"})
    d.exclusive("GwWorkload", lane="data_bureau", col=21, name="工作量确认？",
                documentation="附件3流程.2：市数据集团评估建设工作量，由市数据局确认并报送市财政预算评审中心。")
    d.user_task("BudgetReview", lane="finance", col=22, name="概算评审",
                properties={"form": "huaian/budget_review", "legalBasis": "附件3流程.2,机制三.2,附件1三.1"})
    d.flow("GwConclusion", "MergeEstimate", name="通过", default=True)
    d.flow("MergeEstimate", "EstimateWorkload")
    d.flow("EstimateWorkload", "ConfirmWorkload")
    d.flow("ConfirmWorkload", "GwWorkload")
    d.flow("GwWorkload", "MergeEstimate", name="退回重新评估", condition="decision == 'return'")
    d.flow("GwWorkload", "BudgetReview", name="确认", default=True)
    d.exclusive("MergeAnnualPlan", lane="finance", col=23)
    d.user_task("PlanConsult", lane="finance", col=24, name="会商年度计划（资金规模）",
                properties={"form": "huaian/plan_consult", "legalBasis": "机制四.5,机制三.2"})
    d.user_task("AnnualPlanProposal", lane="data_bureau", col=25, name="形成年度计划建议方案",
                properties={"form": "huaian/annual_plan_proposal", "legalBasis": "机制四.5,附件2流程.5,机制三.2"})
    d.user_task("GovernmentApproval", lane="government", col=26, name="市政府审定年度建设计划",
                properties={"form": "huaian/government_approval", "legalBasis": "机制四.5,附件2流程.5"})
    d.exclusive("GwInPlan", lane="government", col=27, name="列入年度建设计划？",
                documentation="机制四.5：未列入年度建设计划的项目原则上不予建设（原则上：经写明理由可例外）。")
    d.end("EndNotInPlan", lane="government", col=28, row=1, name="未列入年度建设计划",
          properties={"outcome": "not_in_plan"})
    d.flow("BudgetReview", "MergeAnnualPlan")
    d.flow("MergeAnnualPlan", "PlanConsult")
    d.flow("PlanConsult", "AnnualPlanProposal")
    d.flow("AnnualPlanProposal", "GovernmentApproval")
    d.flow("GovernmentApproval", "GwInPlan")
    d.flow("GwInPlan", "EndNotInPlan", name="未列入", condition="decision == 'reject' and not build_anyway")


def _operation_variant(d: Diagram) -> None:
    d.user_task("OperationDeclare", lane="applicant", col=3, row=1, name="按年度报送运维需求",
                properties={"form": "huaian/operation_declaration", "legalBasis": "机制四.5,附件2流程.5"})
    d.user_task("OperationReview", lane="data_bureau", col=4, row=1, name="审核年度运维需求",
                properties={"form": "common/review_approve_reject", "legalBasis": "机制四.5,附件2流程.5"})
    d.exclusive("GwOperationReview", lane="data_bureau", col=5, row=1, name="运维需求审核通过？",
                documentation="机制四.5第二段：运维由需求单位按年度报市数据局审核。")
    d.end("EndOperationRejected", lane="data_bureau", col=6, row=2, name="运维需求审核未通过",
          properties={"outcome": "not_approved"})
    d.user_task("OperationRecheck", lane="finance", col=6, row=1, name="复核年度运维需求",
                properties={"form": "common/review_approve_reject", "legalBasis": "机制四.5,附件2流程.5,机制三.2"})
    d.exclusive("GwOperationRecheck", lane="finance", col=7, row=1, name="财政复核通过？",
                documentation="机制四.5第二段：由市财政局复核后一并纳入年度项目建设计划。")
    d.end("EndOperationRecheckFailed", lane="finance", col=8, row=2, name="运维需求复核未通过",
          properties={"outcome": "not_approved"})
    d.flow("GwType", "OperationDeclare", name="是", condition="project_type == 'operation'")
    d.flow("OperationDeclare", "OperationReview")
    d.flow("OperationReview", "GwOperationReview")
    d.flow("GwOperationReview", "EndOperationRejected", name="不通过", condition="decision == 'reject'")
    d.flow("GwOperationReview", "OperationRecheck", name="通过", default=True)
    d.flow("OperationRecheck", "GwOperationRecheck")
    d.flow("GwOperationRecheck", "EndOperationRecheckFailed", name="不通过", condition="decision == 'reject'")
    d.flow("GwOperationRecheck", "MergeAnnualPlan", name="通过", default=True)


def _implementation(d: Diagram) -> None:
    d.exclusive("GwBuildOrOperate", lane="data_group", col=28, name="运维项目？",
                documentation="附件3流程.9：市数据集团按照自主承接为主、合作运维为辅的方式统一运维管理。")
    d.flow("GwInPlan", "GwBuildOrOperate", name="列入", default=True)
    d.user_task("OperationService", lane="data_group", col=29, row=1, name="统筹运行维护服务",
                properties={"form": "huaian/operation_service", "legalBasis": "附件3流程.9,机制六.3"})
    d.end("EndOperationArranged", lane="data_group", col=30, row=1, name="运维服务已落实",
          properties={"outcome": "completed"})
    d.flow("GwBuildOrOperate", "OperationService", name="是", condition="project_type == 'operation'")
    d.flow("OperationService", "EndOperationArranged")
    d.user_task("AnnualConstructionPlan", lane="data_group", col=29, name="合规决策确认年度建设计划",
                properties={"form": "huaian/annual_construction_plan", "legalBasis": "附件3流程.4,机制四.5"})
    d.user_task("ImplementationPlan", lane="data_group", col=30, name="领导班子会议确认实施方案及方式",
                properties={"form": "huaian/implementation_plan", "legalBasis": "附件3流程.5,机制五.1"})
    d.exclusive("GwMode", lane="data_group", col=31, name="实施方式？",
                documentation="附件3流程.5、机制五.1：具备自主开发能力的以自主建设为主；不具备完整建设条件的可合作或分包建设；"
                              "对外采购须在招标前完成《招标文件》合规性审查，执行国有企业投资及招投标管理规定。")
    d.flow("GwBuildOrOperate", "AnnualConstructionPlan", name="否", default=True)
    d.flow("AnnualConstructionPlan", "ImplementationPlan")
    d.flow("ImplementationPlan", "GwMode")
    d.user_task("SelectPartner", lane="data_group", col=33, row=1, name="遴选合作（分包）建设单位",
                properties={"form": "huaian/partner_selection", "legalBasis": "附件3流程.5,机制五.1"})
    d.exclusive("MergeTender", lane="data_group", col=32, row=2)
    d.user_task("TenderDocuments", lane="data_group", col=33, row=2, name="编制《招标文件》",
                properties={"form": "huaian/tender_documents", "legalBasis": "机制五.1,附件3流程.5"})
    d.user_task("TenderCompliance", lane="data_group", col=34, row=2, name="《招标文件》合规性审查",
                properties={"form": "common/review_approve_return", "legalBasis": "机制五.1"})
    d.exclusive("GwTenderCompliance", lane="data_group", col=35, row=2, name="合规？",
                documentation="机制五.1：招标前完成《招标文件》合规性审查。")
    d.user_task("Tender", lane="data_group", col=36, row=2, name="对外采购（招投标）",
                properties={"form": "huaian/tender", "legalBasis": "附件3流程.5,机制五.1"})
    d.exclusive("MergeMode", lane="data_group", col=37)
    d.flow("GwMode", "MergeMode", name="自主建设", default=True)
    d.flow("GwMode", "SelectPartner", name="合作或分包建设",
           condition="mode in ('cooperative', 'subcontract')")
    d.flow("GwMode", "MergeTender", name="对外采购", condition="mode == 'external'")
    d.flow("SelectPartner", "MergeMode")
    d.flow("MergeTender", "TenderDocuments")
    d.flow("TenderDocuments", "TenderCompliance")
    d.flow("TenderCompliance", "GwTenderCompliance")
    d.flow("GwTenderCompliance", "MergeTender", name="退回修改", condition="decision == 'return'")
    d.flow("GwTenderCompliance", "Tender", name="合规", default=True)
    d.flow("Tender", "MergeMode")
    d.exclusive("MergeImplement", lane="data_group", col=38)
    d.user_task("Implement", lane="data_group", col=39, name="项目实施（项目经理负责）",
                properties={"form": "huaian/implement", "legalBasis": "机制五.2,附件3流程.6,附件1三.3"})
    d.boundary_timer("ReportDue", attached_to="Implement", name="定期报送",
                     date="add_months(report_interval_months)",
                     documentation="机制五.2：市数据集团按要求定期向市数据局、需求单位报送项目实施情况"
                                   "（周期在实施方案中确定，默认每月）。")
    d.user_task("ProgressReport", lane="data_group", col=39, row=1, name="向市数据局、需求单位报送实施情况",
                properties={"form": "huaian/progress_report", "legalBasis": "机制五.2,附件1三.3"})
    d.user_task("ContentCheck", lane="data_group", col=40, name="建设内容核查",
                properties={"form": "huaian/content_check", "legalBasis": "机制五.3"})
    d.exclusive("GwContentCheck", lane="data_group", col=41, name="建设内容完整？",
                documentation="机制五.3：重点核查功能模块、数据共享、场景应用的完整性。")
    d.flow("MergeMode", "MergeImplement")
    d.flow("MergeImplement", "Implement")
    d.flow("ReportDue", "ProgressReport")
    d.flow("ProgressReport", "MergeImplement")
    d.flow("Implement", "ContentCheck")
    d.flow("ContentCheck", "GwContentCheck")
    d.flow("GwContentCheck", "MergeImplement", name="继续实施", condition="decision == 'return'")


def _trial_and_acceptance(d: Diagram) -> None:
    d.user_task("TrialStart", lane="applicant", col=42, name="开展试运行",
                properties={"form": "huaian/trial_start", "legalBasis": "机制五.3,附件1三.5,附件3流程.7"})
    d.flow("GwContentCheck", "TrialStart", name="完整", default=True)
    d.exclusive("MergeTrial", lane="applicant", col=43)
    d.user_task("TrialFeedback", lane="applicant", col=44, name="试运行期间反馈问题",
                properties={"form": "huaian/trial_feedback", "legalBasis": "机制五.3"})
    d.boundary_timer("TrialEnds", attached_to="TrialFeedback", name="试运行满6个月",
                     date="add_months(6, TrialStart['completed_at'])",
                     documentation="机制五.3、附件1三.5：试运行6个月；期满后开展竣工验收。")
    d.user_task("TrialRectify", lane="data_group", col=44, name="根据反馈意见完成系统整改",
                properties={"form": "huaian/rectify", "legalBasis": "机制五.3"})
    d.flow("TrialStart", "MergeTrial")
    d.flow("MergeTrial", "TrialFeedback")
    d.flow("TrialFeedback", "TrialRectify")
    d.flow("TrialRectify", "MergeTrial")
    d.exclusive("MergeAcceptance", lane="applicant", col=45)
    d.user_task("Acceptance", lane="applicant", col=46, name="会同市数据集团竣工验收",
                properties={"form": "huaian/acceptance", "legalBasis": "机制五.4,附件1三.5,附件3流程.7"})
    d.exclusive("GwAcceptance", lane="applicant", col=47, name="验收通过？",
                documentation="机制五.4：试运行结束后由需求单位会同市数据集团开展竣工验收，形成《验收意见》；"
                              "涉密项目按有关规定执行（附件1三.5）。")
    d.user_task("AcceptanceRectify", lane="data_group", col=47, name="验收问题整改",
                properties={"form": "huaian/rectify", "legalBasis": "机制五.4"})
    d.flow("TrialEnds", "MergeAcceptance")
    d.flow("MergeAcceptance", "Acceptance")
    d.flow("Acceptance", "GwAcceptance")
    d.flow("GwAcceptance", "AcceptanceRectify", name="不通过，整改", condition="decision == 'return'")
    d.flow("AcceptanceRectify", "MergeAcceptance")


def _evaluation(d: Diagram) -> None:
    d.user_task("SelfEvaluation", lane="data_group", col=48, name="绩效自评价（报数据局、抄送财政局）",
                properties={"form": "huaian/self_evaluation", "legalBasis": "机制六.2,附件1三.6",
                            "dueAt": f"add_months(12, {ACCEPTED_AT})"})
    d.flow("GwAcceptance", "SelfEvaluation", name="通过", default=True)
    d.parallel("ForkEvaluation", lane="data_bureau", col=49)
    d.user_task("EvaluationCac", lane="cac", col=50, name="网络和数据安全评价意见",
                properties={"form": "huaian/evaluation_opinion", "legalBasis": "机制六.2,附件1三.6"})
    d.user_task("EvaluationApplicant", lane="applicant", col=50, name="应用效果评价意见",
                properties={"form": "huaian/evaluation_opinion", "legalBasis": "机制六.2,附件1三.6"})
    d.parallel("JoinEvaluation", lane="data_bureau", col=51)
    d.user_task("SupervisionEvaluation", lane="data_bureau", col=52, name="监督评价",
                properties={"form": "huaian/supervision_evaluation", "legalBasis": "机制六.2,附件1三.6,机制六.1"})
    d.end("EndCompleted", lane="data_bureau", col=53, name="监督评价完成", properties={"outcome": "completed"})
    d.flow("SelfEvaluation", "ForkEvaluation")
    d.flow("ForkEvaluation", "EvaluationCac")
    d.flow("ForkEvaluation", "EvaluationApplicant")
    d.flow("EvaluationCac", "JoinEvaluation")
    d.flow("EvaluationApplicant", "JoinEvaluation")
    d.flow("JoinEvaluation", "SupervisionEvaluation")
    d.flow("SupervisionEvaluation", "EndCompleted")


if __name__ == "__main__":
    path = build().write("bpmn_diagrams/huaian.bpmn")
    print(f"wrote {path}")
