"""Source of the 九江市 diagrams — 九江市数字化项目建设管理办法(试行) (2024-05-24):

* bpmn_diagrams/jiujiang.bpmn — a project from 储备库 to 绩效评价: 限额 (第十三条、第四十二条, table
  jiujiang_limit), 储备库 (第十一、十二条), 年度申报 (第十七、十八条), 咨询论证 (第十九条) with the
  第二十二条 checklist, 联合会审 (第二十条) in parallel, 审定 and 省级审核/备案 (第二十三条), 启动通知
  (第二十四条), the approval chain with its working-day clocks (第二十五、二十六条, table
  jiujiang_approval) and the 30-working-day delay rule (第二十七条), 实施, 试运行, the checks before
  acceptance in parallel, 竣工验收 (第三十一、三十二条, table jiujiang_acceptance) and 绩效评价
  (第三十九、四十条);
* bpmn_diagrams/jiujiang.om_funding.bpmn — the yearly 运维经费 request (第三十五、三十七条).

Reviewer clocks that "不含" the owner's time carry a `clock` property (docs/modelling.md, paused
clocks): the days a matter spends back with the owner do not count against the reviewer.
Run `python -m tools.diagrams.jiujiang` to regenerate both files (and
`python -m tools.diagrams.jiujiang_tables` for the tables). After that the files are the truth."""
from __future__ import annotations

from tools.diagram_builder import Diagram

DOCUMENT = "九江市数字化项目建设管理办法（试行）（2024年5月24日）"
REVIEW = "common/review"
APPROVE_REJECT = "common/review_approve_reject"
CONFIRM = "common/confirm"
NOTICE = "StartNotice['completed_at']"

LANES = [
    ("county", "县（市、区）"), ("leading_group_office", "市数字政府领导小组办公室"),
    ("leading_group", "市数字政府领导小组"), ("province", "省数字政府领导小组（办公室）"), ("consultancy", "咨询机构"),
    ("experts", "保密科技领域专家"), ("applicant", "项目应用单位/业主单位"), ("data_bureau", "市数据管理部门"),
    ("ndrc", "市发改委"), ("finance", "市财政局"), ("sasac", "市国资委"), ("crypto", "市委保密机要局"),
]


def _task(d: Diagram, element, lane, col, name, form, basis, row=0, **extra):
    d.user_task(element, lane=lane, col=col, row=row, name=name,
                properties={"form": form, "legalBasis": basis, **extra})


def _delay_timer(d: Diagram, host: str, deadline: str) -> None:
    """第二十七条: a non-interrupting timer 30 working days after the owner's deadline."""
    d.boundary_timer(f"Delay{host}", attached_to=host, name="延后30个工作日", interrupting=False,
                     date=f"add_workdays(30, {deadline})",
                     documentation="第二十七条：因项目应用单位、业主单位原因导致前期工作进度延后30个工作日以上的，"
                                   "经市数据管理部门审定后，按规定不予安排项目资金。")
    d.flow(f"Delay{host}", "MergeDelay")


def build() -> Diagram:
    d = Diagram(process_id="jiujiang", process_name="九江市数字化项目建设管理流程", lanes=LANES,
                documentation=DOCUMENT)
    _scope(d)
    _reserve(d)
    _declaration(d)
    _consultation(d)
    _joint_review(d)
    _approval_chain(d)
    _delay(d)
    _implementation(d)
    _acceptance(d)
    return d


def _scope(d: Diagram) -> None:
    d.start("StartProject", lane="applicant", col=0, name="提出数字化项目")
    d.business_rule_task("DecideLimit", lane="leading_group_office", col=1, name="判定是否限额以上",
                         decision_id="jiujiang_limit", documentation="第十三条、第四十二条（决策表 jiujiang_limit）")
    d.business_rule_task("DecideRoute", lane="leading_group_office", col=2, name="判定办理层级",
                         decision_id="jiujiang_route",
                         documentation="第十二条、第二十一条、第三十五条（决策表 jiujiang_route）")
    d.exclusive("GwRoute", lane="leading_group_office", col=3, name="办理层级？",
                documentation="第二十一条：200万元以下的县级项目由县（市、区）批复立项后备案；第三十五条：运维经费另行申请。")
    d.end("EndOperation", lane="leading_group_office", col=5, row=1, name="运维项目按年度申请运维经费",
          properties={"outcome": "operation_separate"})
    _task(d, "CountyApproval", "county", 5, "县（市、区）统筹把关和批复立项", APPROVE_REJECT, "第二十一条,第九条")
    d.exclusive("GwCountyApproval", lane="county", col=6, name="批复立项？")
    d.end("EndCountyNotApproved", lane="county", col=8, row=1, name="县级未批复立项",
          properties={"outcome": "rejected"})
    _task(d, "CountyFiling", "leading_group_office", 8, "县级项目备案", CONFIRM, "第二十一条", row=1)
    d.end("EndCountyFiled", lane="leading_group_office", col=9, row=1, name="县级批复立项并备案",
          properties={"outcome": "county_filed"})
    d.flow("StartProject", "DecideLimit")
    d.flow("DecideLimit", "DecideRoute")
    d.flow("DecideRoute", "GwRoute")
    d.flow("GwRoute", "EndOperation", name="市级运维项目", condition="route == 'operation'")
    d.flow("GwRoute", "CountyApproval", name="县级200万元以下", condition="route == 'county_local'")
    d.flow("CountyApproval", "GwCountyApproval")
    d.flow("GwCountyApproval", "EndCountyNotApproved", name="不予批复", condition="decision == 'reject'")
    d.flow("GwCountyApproval", "CountyFiling", name="批复立项", default=True)
    d.flow("CountyFiling", "EndCountyFiled")


def _reserve(d: Diagram) -> None:
    d.exclusive("GwInReserve", lane="applicant", col=4, row=2, name="已纳入储备库或重大部署？",
                documentation="第十七条：除国家、省级和市委、市政府重大部署外，原则上不再受理未纳入项目储备库的项目申报。")
    d.flow("GwRoute", "GwInReserve", name="市级审批", default=True)
    _task(d, "SubmitNeed", "applicant", 5, "报送数字化项目建设需求（每年5月底前）", "jiujiang/need",
          "第十一条,第十二条", dueAt="next_date(5, 31)")
    d.exclusive("GwCountyNeed", lane="applicant", col=6, name="县级项目？")
    _task(d, "CountyScreenNeed", "county", 7, "县（市、区）统筹把关后报送", APPROVE_REJECT, "第十二条",
          dueAt="next_date(5, 31)")
    d.exclusive("GwCountyScreenNeed", lane="county", col=8, name="统筹把关通过？")
    d.end("EndCountyScreenRejected", lane="county", col=9, row=1, name="县级统筹把关未通过",
          properties={"outcome": "rejected"})
    d.exclusive("MergeNeed", lane="leading_group_office", col=10)
    _task(d, "ReserveAssessment", "leading_group_office", 11, "储备库论证评估", APPROVE_REJECT, "第十一条,第十二条")
    d.exclusive("GwReserveAssessment", lane="leading_group_office", col=12, name="论证评估通过？")
    _task(d, "ReserveDecision", "leading_group", 13, "审定纳入市数字化项目储备库", APPROVE_REJECT, "第十一条,第四条")
    d.exclusive("GwReserveDecision", lane="leading_group", col=14, name="审定纳入储备库？")
    d.exclusive("MergeNotInReserve", lane="leading_group", col=15, row=1)
    d.end("EndNotInReserve", lane="leading_group", col=16, row=1, name="未纳入储备库",
          properties={"outcome": "not_in_reserve"})
    d.script_task("RecordReserve", lane="leading_group", col=15, name="登记入库（两年有效）",
                  script="reserve_entered_on = ReserveDecision['completed_at'][:10]\nin_reserve = True")
    d.exclusive("MergeReserved", lane="leading_group_office", col=16)
    d.exclusive("GwProvinceAssessment", lane="leading_group_office", col=17, name="限额以上、未经省级论证评估？",
                documentation="第十三条：限额以上项目纳入储备库后报送省数字政府领导小组办公室，通过省级论证评估后方可申报年度建设计划。")
    _task(d, "ProvincialAssessment", "province", 18, "省级论证评估", APPROVE_REJECT, "第十三条")
    d.exclusive("GwProvincialAssessment", lane="province", col=19, name="省级论证评估通过？")
    d.end("EndProvinceAssessmentFailed", lane="province", col=20, row=1, name="未通过省级论证评估",
          properties={"outcome": "province_rejected"})
    d.exclusive("MergeProvinceAssessed", lane="leading_group_office", col=20)
    d.flow("GwInReserve", "SubmitNeed", name="否", default=True)
    d.flow("GwInReserve", "MergeReserved", name="是", condition="in_reserve or major_deployment")
    d.flow("SubmitNeed", "GwCountyNeed")
    d.flow("GwCountyNeed", "CountyScreenNeed", name="是", condition="level == 'county'")
    d.flow("GwCountyNeed", "MergeNeed", name="否", default=True)
    d.flow("CountyScreenNeed", "GwCountyScreenNeed")
    d.flow("GwCountyScreenNeed", "EndCountyScreenRejected", name="未通过", condition="decision == 'reject'")
    d.flow("GwCountyScreenNeed", "MergeNeed", name="报市级", default=True)
    d.flow("MergeNeed", "ReserveAssessment")
    d.flow("ReserveAssessment", "GwReserveAssessment")
    d.flow("GwReserveAssessment", "MergeNotInReserve", name="未通过", condition="decision == 'reject'")
    d.flow("GwReserveAssessment", "ReserveDecision", name="通过", default=True)
    d.flow("ReserveDecision", "GwReserveDecision")
    d.flow("GwReserveDecision", "MergeNotInReserve", name="不予纳入", condition="decision == 'reject'")
    d.flow("GwReserveDecision", "RecordReserve", name="纳入", default=True)
    d.flow("MergeNotInReserve", "EndNotInReserve")
    d.flow("RecordReserve", "MergeReserved")
    d.flow("MergeReserved", "GwProvinceAssessment")
    d.flow("GwProvinceAssessment", "ProvincialAssessment", name="是",
           condition="above_limit and not province_assessed and not major_deployment")
    d.flow("GwProvinceAssessment", "MergeProvinceAssessed", name="否", default=True)
    d.flow("ProvincialAssessment", "GwProvincialAssessment")
    d.flow("GwProvincialAssessment", "EndProvinceAssessmentFailed", name="未通过", condition="decision == 'reject'")
    d.flow("GwProvincialAssessment", "MergeProvinceAssessed", name="通过", default=True)


def _declaration(d: Diagram) -> None:
    d.exclusive("GwWindowOpen", lane="leading_group_office", col=21, name="年度申报已开始？",
                documentation="第十七条：市数字政府领导小组办公室于每年8月底前组织下一年度项目申报（申报期以当年通知为准）；"
                              "紧急增列项目即时申报。")
    d.timer_catch("WaitCall", lane="leading_group_office", col=22, row=1, name="等待年度申报通知",
                  date="declaration_opens(plan_year)")
    d.exclusive("MergeCallOpen", lane="leading_group_office", col=23)
    d.script_task("CheckReserve", lane="leading_group_office", col=24, name="核对储备库有效期", script=(
        "reserve_valid = bool(major_deployment) or "
        "(in_reserve and today() <= add_months(24, reserve_entered_on)[:10])"))
    d.exclusive("GwReserveValid", lane="leading_group_office", col=25, name="储备库两年有效期内？",
                documentation="第十一条：纳入市数字化项目储备库（两年有效）；第十七条：原则上不受理未纳入储备库的项目申报。")
    d.end("EndReserveExpired", lane="leading_group_office", col=26, row=1, name="储备库入库已满两年",
          properties={"outcome": "reserve_expired"})
    _task(d, "DeclareAnnual", "applicant", 26, "年度项目申报", "jiujiang/declare",
          "第十七条,第十八条,第十四条,第十六条",
          dueAt="None if urgent else declaration_closes(plan_year)")
    d.exclusive("GwCountyDeclare", lane="applicant", col=27, name="县级项目？")
    _task(d, "CountyScreenDeclaration", "county", 28, "县（市、区）统筹把关后报市级联合会审", APPROVE_REJECT,
          "第二十一条,第十七条")
    d.exclusive("GwCountyScreenDeclaration", lane="county", col=29, name="统筹把关通过？")
    d.end("EndCountyDeclarationRejected", lane="county", col=30, row=1, name="县级统筹把关未通过",
          properties={"outcome": "rejected"})
    d.flow("MergeProvinceAssessed", "GwWindowOpen")
    d.flow("GwWindowOpen", "MergeCallOpen", name="是",
           condition="urgent or today() >= declaration_opens(plan_year)[:10]")
    d.flow("GwWindowOpen", "WaitCall", name="否", default=True)
    d.flow("WaitCall", "MergeCallOpen")
    d.flow("MergeCallOpen", "CheckReserve")
    d.flow("CheckReserve", "GwReserveValid")
    d.flow("GwReserveValid", "EndReserveExpired", name="已满两年", condition="not reserve_valid")
    d.flow("GwReserveValid", "DeclareAnnual", name="有效", default=True)
    d.flow("DeclareAnnual", "GwCountyDeclare")
    d.flow("GwCountyDeclare", "CountyScreenDeclaration", name="是", condition="level == 'county'")
    d.flow("CountyScreenDeclaration", "GwCountyScreenDeclaration")
    d.flow("GwCountyScreenDeclaration", "EndCountyDeclarationRejected", name="未通过", condition="decision == 'reject'")


ART22_TALLY = """declared = DeclareAnnual
review = PreliminaryReview
accepted_on = declared.get('original_accepted_on')
upgrade = declared.get('build_kind') in ('rebuild', 'expand')
too_soon = bool(accepted_on) and add_months(12, accepted_on)[:10] > today()
art22_hits = [str(n) for n in range(1, 8) if review.get('art22_' + str(n))]
if upgrade and (too_soon or declared.get('original_evaluation_failed')) and '7' not in art22_hits:
    art22_hits.append('7')
art22_stop = len(art22_hits) > 0 and not review.get('art22_overruled')
if art22_stop:
    outcome_reason = '属于第二十二条第' + '、'.join('（' + '一二三四五六七'[int(h) - 1] + '）' for h in art22_hits) \
        + '项情形，原则上不予支持'"""


def _consultation(d: Diagram) -> None:
    d.exclusive("MergePreliminary", lane="leading_group_office", col=30)
    _task(d, "PreliminaryReview", "leading_group_office", 31, "初步审核（必要性、急迫性）",
          "jiujiang/preliminary_review",
          "第十九条,第二十二条,第十七条,第十四条")
    d.script_task("TallyArticle22", lane="leading_group_office", col=32, name="核对第二十二条情形", script=ART22_TALLY)
    d.exclusive("GwPreliminary", lane="leading_group_office", col=33, name="初审结论？",
                documentation="第十九条：对项目建设必要性、急迫性进行初步审核；第二十二条：有所列情形之一的，原则上不予支持。")
    d.end("EndNotSupported", lane="leading_group_office", col=35, row=1, name="第二十二条情形，不予支持",
          properties={"outcome": "not_supported"})
    d.end("EndPreliminaryRejected", lane="leading_group_office", col=35, row=2, name="初审未通过",
          properties={"outcome": "rejected"})
    _task(d, "ReviseDeclaration", "applicant", 33, "修改申报材料", "jiujiang/revise", "第十八条,第十九条")
    _task(d, "ConsultancySolutions", "consultancy", 35, "编制解决方案（原则上三种以上备选方案）", "jiujiang/solutions",
          "第十九条")
    d.exclusive("GwClassified", lane="consultancy", col=36, name="涉密项目？",
                documentation="第十九条：涉密数字化项目应从省保密行政管理部门组建的保密科技领域专家库中选取专家参与论证。")
    _task(d, "ClassifiedExpertReview", "experts", 37, "保密科技领域专家参与论证", "jiujiang/classified_experts",
          "第十九条,第七条")
    d.exclusive("MergeClassified", lane="data_bureau", col=38)
    _task(d, "PreliminaryAssessment", "data_bureau", 39, "初步论证", APPROVE_REJECT, "第十九条,第五条,第三十四条")
    d.exclusive("GwAssessment", lane="data_bureau", col=40, name="初步论证通过？",
                documentation="第十九条：未通过初步论证的项目不得提交联合会审，不予审批，不安排项目资金。")
    d.end("EndAssessmentFailed", lane="data_bureau", col=41, row=1, name="未通过初步论证",
          properties={"outcome": "assessment_failed"})
    d.flow("GwCountyDeclare", "MergePreliminary", name="否", default=True)
    d.flow("GwCountyScreenDeclaration", "MergePreliminary", name="报市级", default=True)
    d.flow("MergePreliminary", "PreliminaryReview")
    d.flow("PreliminaryReview", "TallyArticle22")
    d.flow("TallyArticle22", "GwPreliminary")
    d.flow("GwPreliminary", "EndNotSupported", name="第二十二条情形", condition="art22_stop")
    d.flow("GwPreliminary", "EndPreliminaryRejected", name="不通过", condition="decision == 'reject'")
    d.flow("GwPreliminary", "ReviseDeclaration", name="退回修改", condition="decision == 'return'")
    d.flow("GwPreliminary", "ConsultancySolutions", name="通过初审", default=True)
    d.flow("ReviseDeclaration", "MergePreliminary")
    d.flow("ConsultancySolutions", "GwClassified")
    d.flow("GwClassified", "ClassifiedExpertReview", name="是", condition="is_classified")
    d.flow("GwClassified", "MergeClassified", name="否", default=True)
    d.flow("ClassifiedExpertReview", "MergeClassified")
    d.flow("MergeClassified", "PreliminaryAssessment")
    d.flow("PreliminaryAssessment", "GwAssessment")
    d.flow("GwAssessment", "EndAssessmentFailed", name="未通过", condition="decision == 'reject'")


JOINT = [("JointReviewData", "data_bureau", "市数据管理部门会审"), ("JointReviewNdrc", "ndrc", "市发改委会审"),
         ("JointReviewFinance", "finance", "市财政局会审"), ("JointReviewSasac", "sasac", "市国资委会审")]


def _joint_review(d: Diagram) -> None:
    d.exclusive("MergeJoint", lane="data_bureau", col=41)
    d.script_task("PrepareJointReview", lane="data_bureau", col=42, name="组织联合会审",
                  script="\n".join(f"{element} = {{}}" for element, *_ in JOINT))
    d.parallel("ForkJoint", lane="data_bureau", col=43)
    for element, lane, title in JOINT:
        _task(d, element, lane, 44, title, REVIEW, "第二十条")
        d.flow("ForkJoint", element)
        d.flow(element, "JoinJoint")
    d.parallel("JoinJoint", lane="data_bureau", col=45)
    names = ", ".join(element for element, *_ in JOINT)
    d.script_task("TallyJoint", lane="data_bureau", col=46, name="汇总会审意见", script=(
        f"reviews = [{names}]\n"
        "decisions = [r['decision'] for r in reviews]\n"
        "joint_review = 'reject' if 'reject' in decisions else ('return' if 'return' in decisions else 'approve')\n"
        "outcome_reason = '；'.join(r['comment'] for r in reviews if r['decision'] != 'approve' and r.get('comment'))"))
    d.exclusive("GwJoint", lane="data_bureau", col=47, name="联合会审结论？")
    d.end("EndJointRejected", lane="data_bureau", col=48, row=1, name="联合会审不通过",
          properties={"outcome": "rejected"})
    _task(d, "ReviseForJointReview", "applicant", 47, "按会审意见修改", "jiujiang/revise", "第二十条")
    _task(d, "JointOpinion", "data_bureau", 48, "形成联合会审意见", "jiujiang/joint_opinion", "第二十条")
    _task(d, "LeadingGroupDecision", "leading_group", 49, "审定年度项目", APPROVE_REJECT, "第二十条,第二十三条,第四条")
    d.exclusive("GwGroupDecision", lane="leading_group", col=50, name="审定通过？")
    d.end("EndGroupRejected", lane="leading_group", col=51, row=1, name="未获审定",
          properties={"outcome": "not_approved"})
    d.exclusive("GwProvincialReview", lane="leading_group", col=51, name="限额以上？",
                documentation="第二十三条：限额以上的需按程序报省级审核，经省数字政府领导小组审核后方可立项审批。")
    _task(d, "ProvincialReview", "province", 52, "省数字政府领导小组审核", APPROVE_REJECT, "第二十三条")
    d.exclusive("GwProvincialReviewResult", lane="province", col=53, name="省级审核通过？")
    d.end("EndProvinceRejected", lane="province", col=54, row=1, name="未通过省级审核",
          properties={"outcome": "province_rejected"})
    d.exclusive("MergeProvincialReview", lane="leading_group_office", col=54)
    d.flow("GwAssessment", "MergeJoint", name="通过", default=True)
    d.flow("MergeJoint", "PrepareJointReview")
    d.flow("PrepareJointReview", "ForkJoint")
    d.flow("JoinJoint", "TallyJoint")
    d.flow("TallyJoint", "GwJoint")
    d.flow("GwJoint", "EndJointRejected", name="不通过", condition="joint_review == 'reject'")
    d.flow("GwJoint", "ReviseForJointReview", name="退回修改", condition="joint_review == 'return'")
    d.flow("GwJoint", "JointOpinion", name="通过", default=True)
    d.flow("ReviseForJointReview", "MergeJoint")
    d.flow("JointOpinion", "LeadingGroupDecision")
    d.flow("LeadingGroupDecision", "GwGroupDecision")
    d.flow("GwGroupDecision", "EndGroupRejected", name="不予审定", condition="decision == 'reject'")
    d.flow("GwGroupDecision", "GwProvincialReview", name="审定", default=True)
    d.flow("GwProvincialReview", "ProvincialReview", name="是", condition="above_limit")
    d.flow("GwProvincialReview", "MergeProvincialReview", name="否", default=True)
    d.flow("ProvincialReview", "GwProvincialReviewResult")
    d.flow("GwProvincialReviewResult", "EndProvinceRejected", name="未通过", condition="decision == 'reject'")
    d.flow("GwProvincialReviewResult", "MergeProvincialReview", name="通过", default=True)


def _approval_chain(d: Diagram) -> None:
    _task(d, "StartNotice", "leading_group_office", 55, "下发项目启动通知", "jiujiang/start_notice", "第二十四条")
    d.business_rule_task("DecideApproval", lane="leading_group_office", col=56, name="确定审批路径",
                         decision_id="jiujiang_approval",
                         documentation="第二十五条、第二十六条（决策表 jiujiang_approval）")
    d.script_task("InitApproval", lane="leading_group_office", col=57, name="开始审批",
                  script="merge_documents = False")
    d.parallel("ForkLaunch", lane="leading_group_office", col=58)
    _task(d, "InvestmentPlan", "ndrc", 59, "纳入市政府投资年度计划", "jiujiang/investment_plan", "第二十四条", row=1)
    _task(d, "ArrangeBudget", "finance", 59, "按程序安排项目预算", "jiujiang/budget_arrangement",
          "第二十四条,第三十四条",
          row=1)
    d.exclusive("GwApprovalPath", lane="applicant", col=59, name="审批路径？",
                documentation="第二十五条：服务类、设备采购类项目按照政府采购相关规定执行；投资额小于200万元的建设类项目，"
                              "技术方案通过市数据管理部门技术评审后直接编制项目预算。")
    _task(d, "SubmitTechPlan", "applicant", 60, "提交技术方案", "jiujiang/tech_plan", "第二十五条", row=2)
    d.exclusive("GwMayMerge", lane="applicant", col=60, name="投资额小于5000万元？")
    _task(d, "ChooseMerge", "applicant", 61, "确定是否合并编制建议书、可研", "jiujiang/merge_choice", "第二十五条",
          row=1)
    d.exclusive("MergeChoice", lane="applicant", col=62)
    d.exclusive("GwProposal", lane="applicant", col=63, name="编制项目建议书？")
    _task(d, "PrepareProposal", "applicant", 64, "编制项目建议书（10个工作日）", "jiujiang/proposal", "第二十五条",
          row=1, dueAt=f"add_workdays(10, {NOTICE})")
    _delay_timer(d, "PrepareProposal", f"add_workdays(10, {NOTICE})")
    _task(d, "ApproveProposal", "ndrc", 65, "批复项目建议书（5个工作日）", APPROVE_REJECT, "第二十五条", dueIn="5wd")
    d.exclusive("GwProposalApproved", lane="ndrc", col=66, name="批复？")
    d.exclusive("MergeFeasibility", lane="applicant", col=67)
    feasibility_due = f"add_workdays(30, {NOTICE}) if merge_documents else add_workdays(20)"
    _task(d, "PrepareFeasibility", "applicant", 68, "编制并报审可行性研究报告（20个工作日）", "jiujiang/feasibility",
          "第二十五条,第二十六条", dueAt=feasibility_due)
    _delay_timer(d, "PrepareFeasibility", f"({feasibility_due})")
    d.exclusive("MergeTechReview", lane="data_bureau", col=69)
    _task(d, "TechReview", "data_bureau", 70, "技术评审（15个工作日，不含需求确认及业主编修文本时间）", REVIEW,
          "第二十五条,第五条,第三十四条", dueIn="15wd", clock="tech_review")
    d.exclusive("GwTechReview", lane="data_bureau", col=71, name="技术评审意见？")
    _task(d, "ReviseForTechReview", "applicant", 71, "需求确认、编修文本", "jiujiang/revise", "第二十五条", row=1)
    d.exclusive("GwTechOnly", lane="data_bureau", col=72, name="建设类200万元以下？")
    d.exclusive("GwFeasibilityApprover", lane="data_bureau", col=73, name="审批部门？",
                documentation="第二十六条：项目业主单位为市属国资监管企业的，可研、初设、预算报市国资委审批，流程、时序参照第二十五条。")
    d.exclusive("MergeFeasibilityNdrc", lane="ndrc", col=74)
    d.exclusive("MergeFeasibilitySasac", lane="sasac", col=74)
    _task(d, "ApproveFeasibility", "ndrc", 75, "批复可行性研究报告（6个工作日）", REVIEW, "第二十五条", dueIn="6wd",
          clock="feasibility_approval_ndrc")
    _task(d, "ApproveFeasibilitySasac", "sasac", 75, "批复可行性研究报告（6个工作日）", REVIEW, "第二十六条,第二十五条",
          dueIn="6wd", clock="feasibility_approval_sasac")
    d.exclusive("GwFeasibilityNdrc", lane="ndrc", col=76, name="批复意见？")
    d.exclusive("GwFeasibilitySasac", lane="sasac", col=76, name="批复意见？")
    d.exclusive("MergeReviseFeasibility", lane="applicant", col=76, row=1)
    _task(d, "ReviseFeasibility", "applicant", 77, "编修可行性研究报告", "jiujiang/revise", "第二十五条", row=1)
    d.exclusive("GwReviseFeasibilityBack", lane="applicant", col=78, row=1, name="报回审批部门")
    d.exclusive("MergeFeasibilityApproved", lane="applicant", col=78)
    d.flow("MergeProvincialReview", "StartNotice")
    d.flow("StartNotice", "DecideApproval")
    d.flow("DecideApproval", "InitApproval")
    d.flow("InitApproval", "ForkLaunch")
    d.flow("ForkLaunch", "InvestmentPlan")
    d.flow("ForkLaunch", "ArrangeBudget")
    d.flow("ForkLaunch", "GwApprovalPath")
    d.flow("GwApprovalPath", "SubmitTechPlan", name="建设类200万元以下", condition="approval_path == 'tech_review'")
    d.flow("GwApprovalPath", "GwMayMerge", name="审批", condition="approval_path == 'chain'")
    d.flow("GwMayMerge", "ChooseMerge", name="是（可合并编制）", condition="may_merge")
    d.flow("GwMayMerge", "MergeChoice", name="否", default=True)
    d.flow("ChooseMerge", "MergeChoice")
    d.flow("MergeChoice", "GwProposal")
    d.flow("GwProposal", "PrepareProposal", name="是", condition="needs_proposal and not merge_documents")
    d.flow("GwProposal", "MergeFeasibility", name="否", default=True)
    d.flow("PrepareProposal", "ApproveProposal")
    d.flow("ApproveProposal", "GwProposalApproved")
    d.flow("GwProposalApproved", "MergeFeasibility", name="批复", default=True)
    d.flow("MergeFeasibility", "PrepareFeasibility")
    d.flow("PrepareFeasibility", "MergeTechReview")
    d.flow("SubmitTechPlan", "MergeTechReview")
    d.flow("MergeTechReview", "TechReview")
    d.flow("TechReview", "GwTechReview")
    d.flow("GwTechReview", "ReviseForTechReview", name="需求确认/编修", condition="decision == 'return'")
    d.flow("ReviseForTechReview", "MergeTechReview")
    d.flow("GwTechReview", "GwTechOnly", name="通过", default=True)
    d.flow("GwTechOnly", "GwFeasibilityApprover", name="否", default=True)
    d.flow("GwFeasibilityApprover", "MergeFeasibilitySasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwFeasibilityApprover", "MergeFeasibilityNdrc", name="市发改委", default=True)
    d.flow("MergeFeasibilityNdrc", "ApproveFeasibility")
    d.flow("MergeFeasibilitySasac", "ApproveFeasibilitySasac")
    d.flow("ApproveFeasibility", "GwFeasibilityNdrc")
    d.flow("ApproveFeasibilitySasac", "GwFeasibilitySasac")
    for gateway in ("GwFeasibilityNdrc", "GwFeasibilitySasac"):
        d.flow(gateway, "MergeReviseFeasibility", name="编修文本", condition="decision == 'return'")
        d.flow(gateway, "MergeFeasibilityApproved", name="批复", default=True)
    d.flow("MergeReviseFeasibility", "ReviseFeasibility")
    d.flow("ReviseFeasibility", "GwReviseFeasibilityBack")
    d.flow("GwReviseFeasibilityBack", "MergeFeasibilitySasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwReviseFeasibilityBack", "MergeFeasibilityNdrc", name="市发改委", default=True)
    _design(d)
    _budget(d)
    d.exclusive("MergeChainRejected", lane="crypto", col=98)
    d.end("EndChainRejected", lane="crypto", col=99, name="未获批复，不予安排资金", terminate=True,
          properties={"outcome": "not_approved"})
    for gateway in ("GwProposalApproved", "GwTechReview", "GwFeasibilityNdrc", "GwFeasibilitySasac",
                    "GwDesignNdrc", "GwDesignSasac", "GwBudgetFinance", "GwBudgetSasac"):
        d.flow(gateway, "MergeChainRejected", name="不予批复", condition="decision == 'reject'")
    d.flow("MergeChainRejected", "EndChainRejected")


def _design(d: Diagram) -> None:
    d.exclusive("GwDesign", lane="applicant", col=79, name="合并编制（不再审批初步设计）？")
    _task(d, "SelectDesignUnit", "applicant", 80, "委托工程设计单位（遴选）", "jiujiang/design_unit", "第二十五条")
    _task(d, "PrepareDesign", "applicant", 81, "编制初步设计（30个工作日，不含设计单位遴选时间）", "jiujiang/design",
          "第二十五条,第二十六条", dueIn="30wd")
    _delay_timer(d, "PrepareDesign", "add_workdays(30)")
    d.exclusive("GwDesignApprover", lane="applicant", col=82, name="审批部门？")
    d.exclusive("MergeDesignNdrc", lane="ndrc", col=83)
    d.exclusive("MergeDesignSasac", lane="sasac", col=83)
    _task(d, "ApproveDesign", "ndrc", 84, "批复初步设计（15个工作日，不含编修文本时间）", REVIEW, "第二十五条",
          dueIn="15wd",
          clock="design_approval_ndrc")
    _task(d, "ApproveDesignSasac", "sasac", 84, "批复初步设计（15个工作日，不含编修文本时间）", REVIEW,
          "第二十六条,第二十五条", dueIn="15wd", clock="design_approval_sasac")
    d.exclusive("GwDesignNdrc", lane="ndrc", col=85, name="批复意见？")
    d.exclusive("GwDesignSasac", lane="sasac", col=85, name="批复意见？")
    d.exclusive("MergeReviseDesign", lane="applicant", col=85, row=1)
    _task(d, "ReviseDesign", "applicant", 86, "根据专家评审意见编修初步设计（不超过20个工作日）", "jiujiang/revise",
          "第二十五条", row=1, dueIn="20wd")
    _delay_timer(d, "ReviseDesign", "add_workdays(20)")
    d.exclusive("GwReviseDesignBack", lane="applicant", col=87, row=1, name="报回审批部门")
    d.exclusive("MergeBudget", lane="applicant", col=88)
    d.flow("MergeFeasibilityApproved", "GwDesign")
    d.flow("GwDesign", "MergeBudget", name="是", condition="merge_documents")
    d.flow("GwDesign", "SelectDesignUnit", name="否", default=True)
    d.flow("GwTechOnly", "MergeBudget", name="是（直接编制预算）", condition="approval_path == 'tech_review'")
    d.flow("SelectDesignUnit", "PrepareDesign")
    d.flow("PrepareDesign", "GwDesignApprover")
    d.flow("GwDesignApprover", "MergeDesignSasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwDesignApprover", "MergeDesignNdrc", name="市发改委", default=True)
    d.flow("MergeDesignNdrc", "ApproveDesign")
    d.flow("MergeDesignSasac", "ApproveDesignSasac")
    d.flow("ApproveDesign", "GwDesignNdrc")
    d.flow("ApproveDesignSasac", "GwDesignSasac")
    for gateway in ("GwDesignNdrc", "GwDesignSasac"):
        d.flow(gateway, "MergeReviseDesign", name="编修文本", condition="decision == 'return'")
        d.flow(gateway, "MergeBudget", name="批复", default=True)
    d.flow("MergeReviseDesign", "ReviseDesign")
    d.flow("ReviseDesign", "GwReviseDesignBack")
    d.flow("GwReviseDesignBack", "MergeDesignSasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwReviseDesignBack", "MergeDesignNdrc", name="市发改委", default=True)


def _budget(d: Diagram) -> None:
    _task(d, "PrepareBudget", "applicant", 89, "编制项目预算（15个工作日）", "jiujiang/budget", "第二十五条,第二十六条",
          dueIn="15wd")
    _delay_timer(d, "PrepareBudget", "add_workdays(15)")
    d.exclusive("GwBudgetApprover", lane="applicant", col=90, name="审批部门？")
    d.exclusive("MergeBudgetFinance", lane="finance", col=91)
    d.exclusive("MergeBudgetSasac", lane="sasac", col=91)
    _task(d, "ApproveBudget", "finance", 92, "批复项目预算、确定招标控制价（20个工作日）", "jiujiang/budget_approval",
          "第二十五条", dueIn="20wd", clock="budget_approval_finance")
    _task(d, "ApproveBudgetSasac", "sasac", 92, "批复项目预算（20个工作日）", "jiujiang/budget_approval",
          "第二十六条,第二十五条", dueIn="20wd", clock="budget_approval_sasac")
    d.exclusive("GwBudgetFinance", lane="finance", col=93, name="批复意见？")
    d.exclusive("GwBudgetSasac", lane="sasac", col=93, name="批复意见？")
    d.exclusive("MergeFeedback", lane="applicant", col=93, row=1)
    _task(d, "BudgetFeedback", "applicant", 94, "补充资料、参加核对、反馈意见（5个工作日）", "jiujiang/feedback",
          "第二十五条", row=1, dueIn="5wd")
    _delay_timer(d, "BudgetFeedback", "add_workdays(5)")
    d.exclusive("GwFeedbackBack", lane="applicant", col=95, row=1, name="报回审批部门")
    d.exclusive("MergeChainDone", lane="applicant", col=96)
    d.flow("MergeBudget", "PrepareBudget")
    d.flow("PrepareBudget", "GwBudgetApprover")
    d.flow("GwBudgetApprover", "MergeBudgetSasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwBudgetApprover", "MergeBudgetFinance", name="市财政局", default=True)
    d.flow("MergeBudgetFinance", "ApproveBudget")
    d.flow("MergeBudgetSasac", "ApproveBudgetSasac")
    d.flow("ApproveBudget", "GwBudgetFinance")
    d.flow("ApproveBudgetSasac", "GwBudgetSasac")
    for gateway in ("GwBudgetFinance", "GwBudgetSasac"):
        d.flow(gateway, "MergeFeedback", name="补充资料/反馈", condition="decision == 'return'")
        d.flow(gateway, "MergeChainDone", name="批复", default=True)
    d.flow("MergeFeedback", "BudgetFeedback")
    d.flow("BudgetFeedback", "GwFeedbackBack")
    d.flow("GwFeedbackBack", "MergeBudgetSasac", name="市国资委", condition="approver == 'sasac'")
    d.flow("GwFeedbackBack", "MergeBudgetFinance", name="市财政局", default=True)
    d.flow("GwApprovalPath", "MergeChainDone", name="服务类、设备采购类（政府采购）", default=True)


def _delay(d: Diagram) -> None:
    d.exclusive("MergeDelay", lane="data_bureau", col=96, row=2)
    _task(d, "DelayDetermination", "data_bureau", 97, "审定前期工作延后情况", "jiujiang/delay_determination",
          "第二十七条", row=2)
    d.exclusive("GwDelay", lane="data_bureau", col=98, row=2, name="审定结论？")
    d.end("EndDelayNoFunding", lane="data_bureau", col=99, row=3, name="延后30个工作日以上，不予安排资金",
          terminate=True, properties={"outcome": "delayed_no_funding"})
    d.end("EndDelayContinue", lane="data_bureau", col=99, row=2, name="继续推进", properties={"outcome": "continued"})
    d.flow("MergeDelay", "DelayDetermination")
    d.flow("DelayDetermination", "GwDelay")
    d.flow("GwDelay", "EndDelayNoFunding", name="不予安排资金", condition="decision == 'reject'")
    d.flow("GwDelay", "EndDelayContinue", name="继续安排", default=True)


def _implementation(d: Diagram) -> None:
    d.parallel("JoinLaunch", lane="leading_group_office", col=97)
    d.exclusive("GwFiling", lane="leading_group_office", col=98, name="限额以下？",
                documentation="第二十三条：限额以下项目立项后需报省数字政府领导小组办公室备案。")
    _task(d, "ProvincialFiling", "leading_group_office", 99, "立项后报省数字政府领导小组办公室备案", CONFIRM,
          "第二十三条", row=1)
    d.exclusive("MergeFiling", lane="leading_group_office", col=100)
    _task(d, "Procurement", "applicant", 101, "招标采购、监理、签订合同", "jiujiang/procurement",
          "第二十八条,第二十七条,第三十三条")
    _task(d, "Implementation", "applicant", 102, "项目实施", "jiujiang/implementation",
          "第二十八条,第二十九条,第三十条")
    d.business_rule_task("DecideAcceptanceClocks", lane="applicant", col=103, name="确定试运行和验收申请期限",
                         decision_id="jiujiang_acceptance", documentation="第三十一条（决策表 jiujiang_acceptance）")
    d.exclusive("GwTrial", lane="applicant", col=104, name="建设类项目？",
                documentation="第三十一条：项目建成后需试运行。原则上，限额以下建设类项目3个月，限额以上6个月。")
    d.timer_catch("TrialRun", lane="applicant", col=105, row=1, name="试运行（3或6个月）",
                  date="add_months(trial_months)")
    _task(d, "FinalInspection", "applicant", 106, "组织终验（试运行结束后20个工作日内）", "jiujiang/final_inspection",
          "第三十一条", row=1, dueIn="20wd")
    d.exclusive("MergeTrial", lane="applicant", col=107)
    d.script_task("SetAcceptanceDue", lane="applicant", col=108, name="计算竣工验收申请期限", script=(
        "acceptance_due = add_workdays(application_workdays, FinalInspection['completed_at'] "
        "if project_type == 'construction' else Implementation['completed_at'])"))
    d.flow("MergeChainDone", "JoinLaunch")
    d.flow("InvestmentPlan", "JoinLaunch")
    d.flow("ArrangeBudget", "JoinLaunch")
    d.flow("JoinLaunch", "GwFiling")
    d.flow("GwFiling", "ProvincialFiling", name="是", condition="not above_limit")
    d.flow("GwFiling", "MergeFiling", name="否", default=True)
    d.flow("ProvincialFiling", "MergeFiling")
    d.flow("MergeFiling", "Procurement")
    d.flow("Procurement", "Implementation")
    d.flow("Implementation", "DecideAcceptanceClocks")
    d.flow("DecideAcceptanceClocks", "GwTrial")
    d.flow("GwTrial", "TrialRun", name="是", condition="project_type == 'construction'")
    d.flow("GwTrial", "MergeTrial", name="否", default=True)
    d.flow("TrialRun", "FinalInspection")
    d.flow("FinalInspection", "MergeTrial")
    d.flow("MergeTrial", "SetAcceptanceDue")


def _acceptance(d: Diagram) -> None:
    d.exclusive("MergeAcceptanceApplication", lane="applicant", col=109)
    _task(d, "AcceptanceApplication", "applicant", 110, "申请竣工验收（或书面提出延期申请）",
          "jiujiang/acceptance_application", "第三十一条", dueAt="acceptance_due")
    d.exclusive("GwApplicationMode", lane="applicant", col=111, name="申请竣工验收？")
    _task(d, "ExtensionReview", "data_bureau", 111, "审核竣工验收延期申请", "jiujiang/extension_review", "第三十一条",
          row=1)
    d.script_task("ApplyExtension", lane="data_bureau", col=112, row=1, name="登记延期", script=(
        "if ExtensionReview['decision'] == 'approve':\n"
        "    acceptance_due = ExtensionReview['extended_until']"))
    d.parallel("ForkPreChecks", lane="data_bureau", col=113)
    _task(d, "DataSharingCheck", "data_bureau", 114, "确认数据共享情况", APPROVE_REJECT, "第三十一条,第三十条")
    _task(d, "SecureReliableCheck", "crypto", 114, "确认软硬件安全可靠、密码应用及安全性评估情况", APPROVE_REJECT,
          "第三十一条,第五条")
    d.parallel("JoinPreChecks", lane="data_bureau", col=115)
    d.exclusive("GwPreChecks", lane="data_bureau", col=116, name="确认均通过？",
                documentation="第三十一条：确认不通过的，不组织竣工验收，不安排运维经费。")
    # Ends after the launch are terminate ends: a pending 延后审定 (第二十七条) has nothing left to decide.
    d.end("EndPreCheckFailed", lane="data_bureau", col=117, row=1, name="确认不通过，不组织竣工验收",
          terminate=True, properties={"outcome": "precheck_failed"})
    _task(d, "AcceptanceInspection", "data_bureau", 117, "组织竣工验收，出具验收意见", "jiujiang/acceptance_inspection",
          "第三十二条,第五条")
    d.exclusive("GwAcceptance", lane="data_bureau", col=118, name="验收通过？")
    d.end("EndAcceptanceFailed", lane="data_bureau", col=119, row=1, name="竣工验收不通过", terminate=True,
          properties={"outcome": "acceptance_failed"})
    d.exclusive("GwAcceptanceFiling", lane="data_bureau", col=119, name="限额以上？")
    _task(d, "AcceptanceFiling", "data_bureau", 120, "竣工验收情况报省数字政府领导小组办公室备案", CONFIRM,
          "第三十二条",
          row=1)
    d.exclusive("MergeAcceptanceFiling", lane="data_bureau", col=121)
    d.timer_catch("WaitOperation", lane="applicant", col=122, name="投入运行满6个月",
                  date="add_months(6, AcceptanceInspection['completed_at'])")
    _task(d, "SelfEvaluation", "applicant", 123, "绩效自评（投入运行后6至12个月内）", "jiujiang/self_evaluation",
          "第三十九条,第三十八条", dueAt="add_months(12, AcceptanceInspection['completed_at'])")
    _task(d, "KeyEvaluation", "data_bureau", 124, "重点绩效评价（会同市财政局等）", "jiujiang/key_evaluation",
          "第四十条")
    d.exclusive("GwRectification", lane="data_bureau", col=125, name="需整改？")
    _task(d, "Rectification", "applicant", 126, "按整改意见整改", "jiujiang/rectify", "第四十条", row=1)
    d.exclusive("MergeEnd", lane="applicant", col=127)
    d.end("EndCompleted", lane="applicant", col=128, name="项目完成绩效评价", terminate=True,
          properties={"outcome": "completed"})
    d.flow("SetAcceptanceDue", "MergeAcceptanceApplication")
    d.flow("MergeAcceptanceApplication", "AcceptanceApplication")
    d.flow("AcceptanceApplication", "GwApplicationMode")
    d.flow("GwApplicationMode", "ExtensionReview", name="延期申请", condition="mode == 'extension'")
    d.flow("ExtensionReview", "ApplyExtension")
    d.flow("ApplyExtension", "MergeAcceptanceApplication")
    d.flow("GwApplicationMode", "ForkPreChecks", name="申请竣工验收", default=True)
    d.flow("ForkPreChecks", "DataSharingCheck")
    d.flow("ForkPreChecks", "SecureReliableCheck")
    d.flow("DataSharingCheck", "JoinPreChecks")
    d.flow("SecureReliableCheck", "JoinPreChecks")
    d.flow("JoinPreChecks", "GwPreChecks")
    d.flow("GwPreChecks", "EndPreCheckFailed", name="不通过",
           condition="DataSharingCheck['decision'] != 'approve' or SecureReliableCheck['decision'] != 'approve'")
    d.flow("GwPreChecks", "AcceptanceInspection", name="均通过", default=True)
    d.flow("AcceptanceInspection", "GwAcceptance")
    d.flow("GwAcceptance", "EndAcceptanceFailed", name="不通过", condition="decision == 'reject'")
    d.flow("GwAcceptance", "GwAcceptanceFiling", name="通过", default=True)
    d.flow("GwAcceptanceFiling", "AcceptanceFiling", name="是", condition="above_limit")
    d.flow("GwAcceptanceFiling", "MergeAcceptanceFiling", name="否", default=True)
    d.flow("AcceptanceFiling", "MergeAcceptanceFiling")
    d.flow("MergeAcceptanceFiling", "WaitOperation")
    d.flow("WaitOperation", "SelfEvaluation")
    d.flow("SelfEvaluation", "KeyEvaluation")
    d.flow("KeyEvaluation", "GwRectification")
    d.flow("GwRectification", "Rectification", name="是", condition="rectification_required")
    d.flow("GwRectification", "MergeEnd", name="否", default=True)
    d.flow("Rectification", "MergeEnd")
    d.flow("MergeEnd", "EndCompleted")


# ---------------------------------------------------------------------------------------------
# jiujiang.om_funding
# ---------------------------------------------------------------------------------------------
ART37_TALLY = """review = OmReviewData
art37_hits = [str(n) for n in range(1, 5) if review.get('art37_' + str(n))]
art37_stop = len(art37_hits) > 0 and not review.get('art37_overruled')
decisions = [OmReviewData['decision'], OmReviewFinance['decision']]
om_review = 'reject' if art37_stop or 'reject' in decisions else ('return' if 'return' in decisions else 'approve')
comments = [r['comment'] for r in (OmReviewData, OmReviewFinance) if r['decision'] != 'approve' and r.get('comment')]
if art37_stop:
    comments.insert(0, '属于第三十七条第' + '、'.join('（' + '一二三四'[int(h) - 1] + '）' for h in art37_hits)
                    + '项情形，原则上不安排运维经费')
outcome_reason = '；'.join(comments)"""


def build_om_funding() -> Diagram:
    d = Diagram(process_id="jiujiang.om_funding", process_name="九江市数字化项目年度运维经费申请",
                lanes=[("applicant", "项目业主单位"), ("data_bureau", "市数据管理部门"), ("finance", "市财政局"),
                       ("government", "市政府")],
                documentation=DOCUMENT + "：第三十五条、第三十七条")
    d.start("StartOmRequest", lane="applicant", col=0, name="申请运维经费")
    d.exclusive("MergeOmPlan", lane="applicant", col=1)
    _task(d, "SubmitOmPlan", "applicant", 2, "编制项目运维实施方案（每年8月底前）", "jiujiang/om_plan", "第三十五条",
          dueAt="None if urgent else date_of(plan_year - 1, 8, 31)")
    d.script_task("PrepareOmReview", lane="data_bureau", col=3, name="会同市财政局审核",
                  script="OmReviewData = {}\nOmReviewFinance = {}")
    d.parallel("ForkOmReview", lane="data_bureau", col=4)
    _task(d, "OmReviewData", "data_bureau", 5, "审核运维需求（第三十七条情形）", "jiujiang/om_review",
          "第三十五条,第三十七条")
    _task(d, "OmReviewFinance", "finance", 5, "审核运维经费（工作量、上年度绩效评价结果）", REVIEW,
          "第三十五条,第三十七条")
    d.parallel("JoinOmReview", lane="data_bureau", col=6)
    d.script_task("TallyOmReview", lane="data_bureau", col=7, name="汇总审核意见", script=ART37_TALLY)
    d.exclusive("GwOmReview", lane="data_bureau", col=8, name="审核结论？")
    _task(d, "ReviseOmPlan", "applicant", 8, "修改运维实施方案", "jiujiang/revise", "第三十五条")
    d.exclusive("MergeOmRefused", lane="data_bureau", col=9, row=1)
    _task(d, "OmBudgetProposal", "data_bureau", 9, "形成下一年度运维项目预算建议", "jiujiang/om_budget_proposal",
          "第三十五条,第四十条")
    _task(d, "GovernmentOmApproval", "government", 10, "市政府同意安排运维经费", APPROVE_REJECT, "第三十五条")
    d.exclusive("GwGovernmentOm", lane="government", col=11, name="同意？")
    d.end("EndOmRefused", lane="data_bureau", col=12, row=1, name="不安排运维经费",
          properties={"outcome": "om_refused"})
    d.end("EndOmFunded", lane="government", col=12, name="安排运维经费", properties={"outcome": "completed"})
    d.flow("StartOmRequest", "MergeOmPlan")
    d.flow("MergeOmPlan", "SubmitOmPlan")
    d.flow("SubmitOmPlan", "PrepareOmReview")
    d.flow("PrepareOmReview", "ForkOmReview")
    d.flow("ForkOmReview", "OmReviewData")
    d.flow("ForkOmReview", "OmReviewFinance")
    d.flow("OmReviewData", "JoinOmReview")
    d.flow("OmReviewFinance", "JoinOmReview")
    d.flow("JoinOmReview", "TallyOmReview")
    d.flow("TallyOmReview", "GwOmReview")
    d.flow("GwOmReview", "ReviseOmPlan", name="退回修改", condition="om_review == 'return'")
    d.flow("ReviseOmPlan", "MergeOmPlan")
    d.flow("GwOmReview", "MergeOmRefused", name="不安排", condition="om_review == 'reject'")
    d.flow("GwOmReview", "OmBudgetProposal", name="同意", default=True)
    d.flow("OmBudgetProposal", "GovernmentOmApproval")
    d.flow("GovernmentOmApproval", "GwGovernmentOm")
    d.flow("GwGovernmentOm", "MergeOmRefused", name="不同意", condition="decision == 'reject'")
    d.flow("GwGovernmentOm", "EndOmFunded", name="同意", default=True)
    d.flow("MergeOmRefused", "EndOmRefused")
    return d


if __name__ == "__main__":
    print(f"wrote {build().write('bpmn_diagrams/jiujiang.bpmn')}")
    print(f"wrote {build_om_funding().write('bpmn_diagrams/jiujiang.om_funding.bpmn')}")
