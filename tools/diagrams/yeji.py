"""Source of bpmn_diagrams/yeji.bpmn — 六安市叶集区政务信息化项目管理办法 (叶政办〔2020〕19号), 附件3 流程图.

Run `python -m tools.diagrams.yeji` to regenerate the laid-out BPMN file. After that the .bpmn file is
the truth: designers edit it in the modeler."""
from __future__ import annotations

from tools.diagram_builder import Diagram

REVIEW = "common/review"
REVIEWERS = [  # (element, lane, title, aspect, articles)
    ("ReviewDataBureau", "data_bureau", "区数管局：规划科学性、资源共享性审查", "第七条,第五条,第九条"),
    ("ReviewExperts", "experts", "专家论证", "第七条"),
    ("ReviewFinance", "finance", "区财政局：概算合理性审查", "第七条"),
    ("ReviewNdrc", "ndrc", "区发改委：建设可行性审查", "第七条"),
    ("ReviewCrypto", "crypto", "区委机要局：密码应用安全性审查", "第七条,第十三条"),
    ("ReviewCac", "cac", "区委网信办：网络安全审查", "第七条,第十二条"),
]
REVIEW_DUE = "None if urgent else date_of(plan_year - 1, 12, 31)"


def build() -> Diagram:
    d = Diagram(
        process_id="yeji", process_name="六安市叶集区政务信息化项目管理流程",
        lanes=[("applicant", "项目建设单位"), ("data_bureau", "区数据资源管理局"), ("experts", "专家"),
               ("finance", "区财政局"), ("ndrc", "区发改委"), ("crypto", "区委机要局（密码管理局）"),
               ("cac", "区委网信办"), ("government", "区政府"), ("public_resources", "区公共资源交易中心")],
        documentation="六安市叶集区政务信息化项目管理办法（叶政办〔2020〕19号）及附件3流程图")
    _generation(d)
    _joint_review(d)
    _planning(d)
    _construction(d)
    _acceptance(d)
    return d


def _generation(d: Diagram) -> None:
    d.start("StartProject", lane="applicant", col=0, name="提出项目")
    d.exclusive("GwScope", lane="applicant", col=1, name="部门预算10万元以下？",
                documentation="第二条：列入部门预算的10万元以下项目（以下含本数），可通过分散采购方式实施，不适用本办法。")
    d.end("EndOutOfScope", lane="applicant", col=2, row=1, name="不适用本办法（分散采购）",
          properties={"outcome": "out_of_scope"})
    d.user_task("Declare", lane="applicant", col=2, name="项目申报",
                properties={"form": "yeji/declare", "legalBasis": "第六条,第九条,第十条",
                            "dueAt": "None if urgent else date_of(plan_year - 1, 9, 30)"},
                documentation="第六条：每年10月份前向区数管局申报下一年度项目。")
    d.flow("StartProject", "GwScope")
    d.flow("GwScope", "EndOutOfScope", name="是（≤10万元）", condition="total_investment <= 10")
    d.flow("GwScope", "Declare", name="否", default=True)
    d.timer_catch("WaitReviewWindow", lane="data_bureau", col=3, name="每年10月集中审查论证",
                  date="start_of(plan_year - 1, 10, 1)",
                  documentation="第七条：每年10-12月份集中审查论证；紧急增列项目（第八条）到期即审。")
    d.flow("Declare", "WaitReviewWindow")


def _joint_review(d: Diagram) -> None:
    d.exclusive("MergeReview", lane="data_bureau", col=4)
    d.script_task("PrepareReview", lane="data_bureau", col=5, name="组织联合审查论证",
                  script="\n".join(f"{el} = {{}}" for el, *_ in REVIEWERS))
    d.parallel("ForkReview", lane="data_bureau", col=6)
    for element, lane, title, articles in REVIEWERS:
        d.user_task(element, lane=lane, col=7, row=1 if lane == "data_bureau" else 0, name=title,
                    properties={"form": REVIEW, "legalBasis": articles, "dueAt": REVIEW_DUE})
        d.flow("ForkReview", element)
    d.parallel("JoinReview", lane="data_bureau", col=8)
    for element, *_ in REVIEWERS:
        d.flow(element, "JoinReview")
    names = ", ".join(el for el, *_ in REVIEWERS)
    d.script_task("TallyReview", lane="data_bureau", col=9, name="汇总审查论证意见", script=(
        f"reviews = [{names}]\n"
        "decisions = [r['decision'] for r in reviews]\n"
        "joint_review = 'reject' if 'reject' in decisions else ('return' if 'return' in decisions else 'approve')\n"
        "outcome_reason = '；'.join(r['comment'] for r in reviews if r['decision'] != 'approve' and r.get('comment'))"))
    d.exclusive("GwReview", lane="data_bureau", col=10, name="联合审查论证结论？")
    d.end("EndRejected", lane="data_bureau", col=11, row=1, name="审查论证不通过",
          properties={"outcome": "rejected"})
    d.user_task("Revise", lane="applicant", col=10, name="修改申报材料",
                properties={"form": "yeji/revise", "legalBasis": "第七条,第九条"})
    d.flow("WaitReviewWindow", "MergeReview")
    d.flow("MergeReview", "PrepareReview")
    d.flow("PrepareReview", "ForkReview")
    d.flow("JoinReview", "TallyReview")
    d.flow("TallyReview", "GwReview")
    d.flow("GwReview", "EndRejected", name="不通过", condition="joint_review == 'reject'")
    d.flow("GwReview", "Revise", name="退回修改", condition="joint_review == 'return'")
    d.flow("Revise", "MergeReview")


def _planning(d: Diagram) -> None:
    d.exclusive("GwKey", lane="ndrc", col=11, name="重点项目？")
    d.flow("GwReview", "GwKey", name="通过", condition="joint_review == 'approve'")
    d.user_task("KeyProjectApproval", lane="ndrc", col=12, row=1, name="重点项目单独立项",
                properties={"form": "yeji/key_project", "legalBasis": "第五条,附件3"})
    d.exclusive("GwKeyApproved", lane="ndrc", col=13, row=1, name="立项批复？")
    d.end("EndNotApproved", lane="ndrc", col=14, row=2, name="未获立项", properties={"outcome": "not_approved"})
    d.exclusive("MergeKey", lane="ndrc", col=14)
    d.flow("GwKey", "KeyProjectApproval", name="是", condition="is_key_project")
    d.flow("GwKey", "MergeKey", name="否", default=True)
    d.flow("KeyProjectApproval", "GwKeyApproved")
    d.flow("GwKeyApproved", "EndNotApproved", name="不予立项", condition="decision == 'reject'")
    d.flow("GwKeyApproved", "MergeKey", name="准予立项", default=True)
    d.user_task("InvestmentPlan", lane="ndrc", col=15, name="列入区本级政府性投资计划",
                properties={"form": "yeji/investment_plan", "legalBasis": "第五条,第二十一条"})
    d.exclusive("GwInvestment", lane="ndrc", col=16, name="列入投资计划？")
    d.end("EndNotInInvestmentPlan", lane="ndrc", col=17, row=1, name="未列入政府性投资计划",
          properties={"outcome": "not_in_plan"})
    d.flow("MergeKey", "InvestmentPlan")
    d.flow("InvestmentPlan", "GwInvestment")
    d.flow("GwInvestment", "EndNotInInvestmentPlan", name="未列入", condition="decision == 'reject'")
    d.user_task("AnnualPlan", lane="data_bureau", col=17, name="编制年度政务信息化项目建设计划",
                properties={"form": "yeji/annual_plan", "legalBasis": "第八条"})
    d.flow("GwInvestment", "AnnualPlan", name="已列入", default=True)
    d.user_task("FundAllocation", lane="finance", col=18, name="提出专项资金年度分配方案",
                properties={"form": "yeji/fund_allocation", "legalBasis": "第五条,第八条"})
    d.user_task("GovernmentApproval", lane="government", col=19, name="区政府批准年度建设计划",
                properties={"form": "yeji/government_approval", "legalBasis": "第八条"})
    d.exclusive("GwGovernment", lane="government", col=20, name="纳入年度计划？")
    d.end("EndNotInPlan", lane="government", col=21, row=1, name="未纳入专项资金安排计划",
          properties={"outcome": "not_in_plan"})
    d.flow("AnnualPlan", "FundAllocation")
    d.flow("FundAllocation", "GovernmentApproval")
    d.flow("GovernmentApproval", "GwGovernment")
    d.flow("GwGovernment", "EndNotInPlan", name="不予批准", condition="decision == 'reject'")


def _construction(d: Diagram) -> None:
    d.user_task("ProjectStart", lane="applicant", col=21, name="项目启动",
                properties={"form": "yeji/project_start", "legalBasis": "第十一条,附件3"})
    d.flow("GwGovernment", "ProjectStart", name="批准", default=True)
    d.user_task("ServiceUnits", lane="data_bureau", col=22, name="明确监理、等保测评、第三方测评单位",
                properties={"form": "yeji/service_units", "legalBasis": "第十八条"})
    d.user_task("Procurement", lane="public_resources", col=23, name="政府采购（招标）",
                properties={"form": "yeji/procurement", "legalBasis": "第五条,第十四条"})
    d.user_task("Contract", lane="applicant", col=24, name="签订合同",
                properties={"form": "yeji/contract", "legalBasis": "第十一条"})
    d.flow("ProjectStart", "ServiceUnits")
    d.flow("ServiceUnits", "Procurement")
    d.flow("Procurement", "Contract")
    d.exclusive("GwReporting", lane="applicant", col=25, name="建设期超过6个月或跨年度？",
                documentation="第十五条：建设时间超过6个月的项目或跨年度项目按季度报送进度情况表。")
    d.exclusive("MergeReporting", lane="applicant", col=26)
    d.user_task("ImplementReporting", lane="applicant", col=27, name="项目实施（按季报送进度）",
                properties={"form": "yeji/implement", "legalBasis": "第十一条,第十五条,第十九条"})
    d.boundary_timer("QuarterStart", attached_to="ImplementReporting", name="每季度第一个月初",
                     date="next_quarter_start()", interrupting=True)
    d.user_task("ProgressReport", lane="applicant", col=27, row=1, name="报送上一季度进度情况表",
                properties={"form": "yeji/progress_report", "legalBasis": "第十五条,附件2",
                            "dueAt": "quarter_workday(5)"})
    d.user_task("Implement", lane="applicant", col=27, row=2, name="项目实施",
                properties={"form": "yeji/implement", "legalBasis": "第十一条,第十九条"})
    d.exclusive("MergeImplemented", lane="applicant", col=28)
    d.flow("Contract", "GwReporting")
    d.flow("GwReporting", "MergeReporting", name="是", condition="duration_months > 6 or cross_year")
    d.flow("GwReporting", "Implement", name="否", default=True)
    d.flow("MergeReporting", "ImplementReporting")
    d.flow("QuarterStart", "ProgressReport")
    d.flow("ProgressReport", "MergeReporting")
    d.flow("ImplementReporting", "MergeImplemented")
    d.flow("Implement", "MergeImplemented")
    d.exclusive("MergeSecurity", lane="cac", col=29)
    d.script_task("PrepareSecurity", lane="cac", col=30, name="提请安全与密码审查",
                  script="SecurityCheck = {}\nCryptoCheck = {}")
    d.parallel("ForkSecurity", lane="cac", col=31)
    d.user_task("SecurityCheck", lane="cac", col=32, name="网络安全检查",
                properties={"form": "common/review_approve_return", "legalBasis": "第五条,第十二条,第二十四条"})
    d.user_task("CryptoCheck", lane="crypto", col=32, name="密码应用审查",
                properties={"form": "common/review_approve_return", "legalBasis": "第五条,第十三条,第二十四条"})
    d.parallel("JoinSecurity", lane="cac", col=33)
    d.exclusive("GwSecurity", lane="cac", col=34, name="安全与密码审查均通过？")
    d.user_task("RectifySecurity", lane="applicant", col=34, name="安全与密码问题整改",
                properties={"form": "yeji/rectify", "legalBasis": "第十二条,第十三条,第二十六条"})
    d.flow("MergeImplemented", "MergeSecurity")
    d.flow("MergeSecurity", "PrepareSecurity")
    d.flow("PrepareSecurity", "ForkSecurity")
    d.flow("ForkSecurity", "SecurityCheck")
    d.flow("ForkSecurity", "CryptoCheck")
    d.flow("SecurityCheck", "JoinSecurity")
    d.flow("CryptoCheck", "JoinSecurity")
    d.flow("JoinSecurity", "GwSecurity")
    d.flow("GwSecurity", "RectifySecurity", name="需整改",
           condition="SecurityCheck['decision'] != 'approve' or CryptoCheck['decision'] != 'approve'")
    d.flow("RectifySecurity", "MergeSecurity")


def _acceptance(d: Diagram) -> None:
    d.user_task("PreliminaryAcceptance", lane="applicant", col=35, name="初步验收",
                properties={"form": "yeji/preliminary_acceptance", "legalBasis": "第二十二条"})
    d.flow("GwSecurity", "PreliminaryAcceptance", name="通过", default=True)
    d.exclusive("MergeAcceptance", lane="applicant", col=36)
    d.user_task("AcceptanceApplication", lane="applicant", col=37, name="提出竣工验收申请",
                properties={"form": "yeji/acceptance_application", "legalBasis": "第二十二条,第十四条",
                            "dueAt": "add_months(1, PreliminaryAcceptance['completed_at'])"})
    d.user_task("ExpertAcceptance", lane="experts", col=38, name="专家竣工验收",
                properties={"form": "common/review_approve_return", "legalBasis": "第二十二条,第十四条"})
    d.user_task("AcceptanceOpinion", lane="data_bureau", col=39, name="出具竣工验收意见",
                properties={"form": "common/review_approve_return", "legalBasis": "第二十二条,第五条"})
    d.exclusive("GwAcceptance", lane="data_bureau", col=40, name="验收通过？")
    d.user_task("RectifyAcceptance", lane="applicant", col=40, name="验收问题整改",
                properties={"form": "yeji/rectify", "legalBasis": "第二十二条,第二十六条"})
    d.flow("PreliminaryAcceptance", "MergeAcceptance")
    d.flow("MergeAcceptance", "AcceptanceApplication")
    d.flow("AcceptanceApplication", "ExpertAcceptance")
    d.flow("ExpertAcceptance", "AcceptanceOpinion")
    d.flow("AcceptanceOpinion", "GwAcceptance")
    d.flow("GwAcceptance", "RectifyAcceptance", name="需整改", condition="decision == 'return'")
    d.flow("RectifyAcceptance", "MergeAcceptance")
    d.user_task("Payment", lane="finance", col=41, name="经费支付",
                properties={"form": "yeji/payment", "legalBasis": "第五条,第十九条"})
    d.flow("GwAcceptance", "Payment", name="通过", default=True)
    d.user_task("SelfEvaluation", lane="applicant", col=42, name="绩效自评价",
                properties={"form": "yeji/self_evaluation", "legalBasis": "第二十三条",
                            "dueAt": "add_months(6, AcceptanceOpinion['completed_at'])"})
    d.user_task("PostEvaluation", lane="data_bureau", col=43, name="项目后评价",
                properties={"form": "yeji/post_evaluation", "legalBasis": "第二十九条"})
    d.end("EndCompleted", lane="data_bureau", col=44, name="项目后评价完成", properties={"outcome": "completed"})
    d.flow("Payment", "SelfEvaluation")
    d.flow("SelfEvaluation", "PostEvaluation")
    d.flow("PostEvaluation", "EndCompleted")


if __name__ == "__main__":
    path = build().write("bpmn_diagrams/yeji.bpmn")
    print(f"wrote {path}")
