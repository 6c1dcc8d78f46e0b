"""Source of bpmn_diagrams/suqian.bpmn and its decision tables — 宿迁市市级信息化项目管理办法 (宿政办发〔2024〕45号).

Run `python -m tools.diagrams.suqian` to regenerate the laid-out BPMN file and the DMN tables
(bpmn_diagrams/suqian_*.dmn). After that the files are the truth: designers edit the diagram in the
modeler and the thresholds in the decision tables (the 政府采购限额标准 is a configured number there)."""
from __future__ import annotations

from tools.diagram_builder import Diagram
from tools.diagrams import suqian_tables

DECLARATION_DUE = "None if urgent else date_of(plan_year - 1, 9, 30)"
ACCEPT_BY = "acceptance_deadline"      # set when the trial run starts: 第二十九条, at most one year
RECTIFY_BY = "date_of(int(rectify_by[:4]), int(rectify_by[5:7]), int(rectify_by[8:10]))"
NDRC = "suqian/ndrc_approval"
LANES = [("applicant", "申报单位"), ("industry_authority", "行业主管部门"), ("data_bureau", "市数据局"),
         ("prereview_group", "预审小组"), ("finance", "市财政局"), ("government", "市政府"),
         ("big_data_center", "市大数据中心"), ("ndrc", "市发展改革委"), ("data_group", "实施单位（市数据集团）"),
         ("supervisor", "监理单位"), ("archives", "市档案局")]

REGISTRATION_CHECK = """\
problems = []
if not materials_complete:
    problems.append('申报材料不齐全（第十四条）')
if not plan_requirements_met:
    problems.append('建设方案不符合第十四条要求')
labels = {'no_government_cloud': '未按要求使用政务云平台', 'machine_room': '新建或扩建机房',
          'video_conference': '采购视频会议系统', 'mobile_app': '新建APP、小程序、快应用等移动互联网应用'}
banned = [key for key in prohibited_content]
if new_mobile_app and 'mobile_app' not in banned:
    banned.append('mobile_app')
if not uses_government_cloud and not is_classified and 'no_government_cloud' not in banned:
    banned.append('no_government_cloud')
if banned:
    problems.append('不得申报' + '、'.join(labels[key] for key in banned) + '的项目（第十四条（四））')
if not access_ready:
    problems.append('不具备接入条件，不予审批（第八条）')
if not data_sharing_ready:
    problems.append('未落实数据共享开放要求，不予批准（第九条）')
if follows_failed_system:
    problems.append('前期系统经监测运行不正常，后续建设或运维项目不予审批（第六条）')
exception = RegisterReview.get('multiple_projects_reason')
if other_construction_projects and project_type == 'construction' and not exception:
    problems.append('原则上同一部门不得同时申报多个建设类项目，未写明例外理由（第十四条（四））')
if RegisterReview['decision'] == 'reject':
    problems.append(RegisterReview.get('comment') or '初审不予登记')
registered = len(problems) == 0
outcome_reason = '；'.join(problems)
registration_problems = problems
del problems, labels, banned, exception"""


def build() -> Diagram:
    d = Diagram(process_id="suqian", process_name="宿迁市市级信息化项目管理流程", lanes=LANES,
                documentation="宿迁市市级信息化项目管理办法（宿政办发〔2024〕45号）")
    _declaration(d)
    _review_and_budget(d)
    _decentralized(d)
    _scheme_review(d)
    _project_approval(d)
    _procurement(d)
    _service_projects(d)
    _construction(d)
    _acceptance(d)
    _after_acceptance(d)
    _operations(d)
    return d


def _declaration(d: Diagram) -> None:
    d.start("StartDeclaration", lane="applicant", col=0, name="申报单位提出项目")
    d.exclusive("MergeDeclare", lane="applicant", col=1)
    d.user_task("Declare", lane="applicant", col=2, name="提交申报材料",
                properties={"form": "suqian/declare", "legalBasis": "第十二条,第十三条,第十四条",
                            "dueAt": DECLARATION_DUE},
                documentation="第十二条：每年9月底前提交下一年度项目建设计划；国家、省明确要求且必须当年实施的除外。")
    d.exclusive("GwIndustry", lane="applicant", col=3, name="行业主管部门归口管理？",
                documentation="第十三条：市属学校、医院等公共事业单位的项目，由行业主管部门审核把关后统一申报。")
    d.user_task("IndustryReview", lane="industry_authority", col=4, name="行业主管部门审核把关",
                properties={"form": "common/review", "legalBasis": "第十三条", "dueAt": DECLARATION_DUE})
    d.exclusive("GwIndustryReview", lane="industry_authority", col=5, name="审核把关结论？",
                documentation="第十三条：行业主管部门归口管理，审核把关后统一申报。")
    d.end("EndNotDeclared", lane="industry_authority", col=6, row=1, name="未予统一申报",
          properties={"outcome": "not_declared"})
    d.exclusive("MergeIndustry", lane="data_bureau", col=6)
    d.flow("StartDeclaration", "MergeDeclare")
    d.flow("MergeDeclare", "Declare")
    d.flow("Declare", "GwIndustry")
    d.flow("GwIndustry", "IndustryReview", name="是", condition="industry_managed")
    d.flow("GwIndustry", "MergeIndustry", name="否", default=True)
    d.flow("IndustryReview", "GwIndustryReview")
    d.flow("GwIndustryReview", "MergeDeclare", name="退回修改", condition="decision == 'return'")
    d.flow("GwIndustryReview", "EndNotDeclared", name="不通过", condition="decision == 'reject'")
    d.flow("GwIndustryReview", "MergeIndustry", name="通过", default=True)
    d.script_task("RecordDeclaration", lane="data_bureau", col=7, name="登记申报时间", script=(
        "declaration_deadline = date_of(plan_year - 1, 9, 30)\n"
        "declared_in_time = urgent or today() <= declaration_deadline[:10]\n"
        "outcome_reason = '' if declared_in_time else "
        "'未在申报期内（' + declaration_deadline[:10] + '前）申报，不列入年度清单（第十二条）'\n"
        "construction_mode = 'centralized'\n"
        "needs_scheme_review = False\nneeds_ndrc = False\nneeds_supervision = False\n"
        "last_self_eval_year = 0"),
        documentation="第十二条：记录是否在申报期（计划年度前一年9月30日）内申报；紧急增列项目不受限。")
    d.exclusive("GwInTime", lane="data_bureau", col=8, name="在申报期内申报？",
                documentation="第十二条：除国家、省有明确建设要求且必须在当年实施的项目外，未在申报期内申报的项目，不列入年度清单。")
    d.end("EndLate", lane="data_bureau", col=9, row=1, name="不列入年度清单", properties={"outcome": "not_listed"})
    d.flow("MergeIndustry", "RecordDeclaration")
    d.flow("RecordDeclaration", "GwInTime")
    d.flow("GwInTime", "EndLate", name="逾期申报", condition="not declared_in_time")


def _review_and_budget(d: Diagram) -> None:
    d.user_task("RegisterReview", lane="data_bureau", col=9, name="接收、登记、初审",
                properties={"form": "suqian/register_review",
                            "legalBasis": "第十五条,第十四条,第六条,第八条,第九条,第七条"})
    d.script_task("CheckRegistration", lane="data_bureau", col=10, name="核对申报要求", script=REGISTRATION_CHECK,
        documentation="第十五条：核对第六、八、九、十四条的申报要求，列出不予登记的理由。")
    d.exclusive("GwRegistered", lane="data_bureau", col=11, name="符合申报要求？",
                documentation="第十五条：不符合项目申报要求的不予登记；第六、八、九条不予审批的情形及第十四条（四）的禁止性要求在此核对。")
    d.end("EndNotRegistered", lane="data_bureau", col=12, row=1, name="不予登记",
          properties={"outcome": "not_registered"})
    d.user_task("PreReview", lane="prereview_group", col=12, name="项目预审，出具审核意见",
                properties={"form": "common/review_approve_reject", "legalBasis": "第十六条,第十七条"})
    d.exclusive("GwPreReview", lane="prereview_group", col=13, name="预审通过？",
                documentation="第十七条：预审未通过的项目，市财政局不予安排项目预算。")
    d.end("EndPreReviewFailed", lane="prereview_group", col=14, row=1, name="不予安排项目预算",
          properties={"outcome": "prereview_failed"})
    d.flow("GwInTime", "RegisterReview", name="按期申报", default=True)
    d.flow("RegisterReview", "CheckRegistration")
    d.flow("CheckRegistration", "GwRegistered")
    d.flow("GwRegistered", "EndNotRegistered", name="否", condition="not registered")
    d.flow("GwRegistered", "PreReview", name="登记", default=True)
    d.flow("PreReview", "GwPreReview")
    d.flow("GwPreReview", "EndPreReviewFailed", name="未通过", condition="decision == 'reject'")
    d.user_task("BudgetDeclaration", lane="applicant", col=14, name="申报部门预算",
                properties={"form": "suqian/budget_declaration", "legalBasis": "第十七条"})
    d.user_task("FundReview", lane="finance", col=15, name="资金审核",
                properties={"form": "suqian/fund_review", "legalBasis": "第十七条,第三条"})
    d.user_task("BudgetConsult", lane="data_bureau", col=16, name="会同提出预算安排建议（数据局意见）",
                properties={"form": "suqian/budget_consult", "legalBasis": "第十七条"})
    d.user_task("BudgetProposal", lane="finance", col=17, name="提出预算安排建议",
                properties={"form": "suqian/budget_proposal", "legalBasis": "第十七条,第十八条"})
    d.exclusive("GwBudget", lane="finance", col=18, name="落实财政预算？",
                documentation="第十八条：对于已落实财政预算的项目，报经市政府同意后纳入年度清单。")
    d.end("EndNotBudgeted", lane="finance", col=19, row=1, name="未落实财政预算",
          properties={"outcome": "not_budgeted"})
    d.user_task("GovernmentApproval", lane="government", col=19, name="市政府同意",
                properties={"form": "common/review_approve_reject", "legalBasis": "第十八条"})
    d.exclusive("GwGovernment", lane="government", col=20, name="市政府同意？",
                documentation="第十八条：报经市政府同意后，市数据局纳入年度市级信息化项目清单。")
    d.end("EndNotInList", lane="government", col=21, row=1, name="未纳入年度清单",
          properties={"outcome": "not_in_plan"})
    d.user_task("AnnualList", lane="data_bureau", col=21, name="纳入年度市级信息化项目清单",
                properties={"form": "suqian/annual_list", "legalBasis": "第十八条,第十二条"})
    d.flow("GwPreReview", "BudgetDeclaration", name="通过", default=True)
    d.flow("BudgetDeclaration", "FundReview")
    d.flow("FundReview", "BudgetConsult")
    d.flow("BudgetConsult", "BudgetProposal")
    d.flow("BudgetProposal", "GwBudget")
    d.flow("GwBudget", "EndNotBudgeted", name="不予安排", condition="not arranged")
    d.flow("GwBudget", "GovernmentApproval", name="安排", default=True)
    d.flow("GovernmentApproval", "GwGovernment")
    d.flow("GwGovernment", "EndNotInList", name="不同意", condition="decision == 'reject'")
    d.flow("GwGovernment", "AnnualList", name="同意", default=True)


def _decentralized(d: Diagram) -> None:
    d.exclusive("GwDecentralize", lane="data_bureau", col=22, name="申请分散建设？",
                documentation="第二十一条：原则上采取集中实施；涉密项目及上级部门统一开发部署等特殊情况确需分散建设的，"
                              "经会商机制审核同意后报市政府批准。")
    d.user_task("DecentralizeConsult", lane="data_bureau", col=23, row=1, name="会商机制审核分散建设",
                properties={"form": "common/review_approve_reject", "legalBasis": "第二十一条,第三条"})
    d.exclusive("GwConsult", lane="data_bureau", col=24, row=1, name="会商机制同意？",
                documentation="第二十一条：应经市级信息化项目管理工作会商机制审核同意。")
    d.user_task("DecentralizeApproval", lane="government", col=25, name="市政府批准分散建设",
                properties={"form": "common/review_approve_reject", "legalBasis": "第二十一条"})
    d.exclusive("GwDecentralizeApproval", lane="government", col=26, name="市政府批准？",
                documentation="第二十一条：由申报单位报经市政府批准后组织实施。")
    d.script_task("SetDecentralized", lane="government", col=27, name="由申报单位组织分散建设",
                  script="construction_mode = 'decentralized'",
        documentation="第二十一条：经会商机制同意、市政府批准的，由申报单位组织分散建设。")
    d.exclusive("MergeMode", lane="data_bureau", col=28)
    d.flow("AnnualList", "GwDecentralize")
    d.flow("GwDecentralize", "DecentralizeConsult", name="是", condition="decentralized_request")
    d.flow("GwDecentralize", "MergeMode", name="否（集中实施）", default=True)
    d.flow("DecentralizeConsult", "GwConsult")
    d.flow("GwConsult", "DecentralizeApproval", name="同意", condition="decision == 'approve'")
    d.flow("GwConsult", "MergeMode", name="不同意（集中实施）", default=True)
    d.flow("DecentralizeApproval", "GwDecentralizeApproval")
    d.flow("GwDecentralizeApproval", "SetDecentralized", name="批准", condition="decision == 'approve'")
    d.flow("GwDecentralizeApproval", "MergeMode", name="不批准（集中实施）", default=True)
    d.flow("SetDecentralized", "MergeMode")


def _scheme_review(d: Diagram) -> None:
    d.exclusive("GwConstruction", lane="data_bureau", col=29, name="建设类项目？",
                documentation="第十九、二十、二十五条的方案审核、立项审批和工程监理适用于建设类项目。")
    d.business_rule_task("LoadProcurementLimit", lane="big_data_center", col=30, name="读取政府采购限额标准",
                         decision_id="suqian_procurement_limit",
        documentation="第十九条：政府采购限额标准为配置值（决策表 suqian_procurement_limit）。")
    d.business_rule_task("DecideSchemeReview", lane="big_data_center", col=31, name="判定方案审核",
                         decision_id="suqian_scheme_review",
        documentation="第十九条：决策表 suqian_scheme_review。")
    d.exclusive("GwScheme", lane="big_data_center", col=32, name="投资额在政府采购限额标准以上？",
                documentation="第十九条：纳入年度清单且投资额在政府采购限额标准以上（含限额标准）的建设类项目，"
                              "实施前须将项目方案报市大数据中心审核（决策表 suqian_scheme_review）。")
    d.exclusive("MergeScheme", lane="big_data_center", col=33)
    d.user_task("SchemeReview", lane="big_data_center", col=34, name="审核项目方案",
                properties={"form": "common/review_approve_return", "legalBasis": "第十九条,第三条"})
    d.exclusive("GwSchemeResult", lane="big_data_center", col=35, name="方案审核通过？",
                documentation="第十九条：项目方案经市大数据中心审核通过后方可实施。")
    d.user_task("ReviseScheme", lane="applicant", col=35, name="修改项目方案",
                properties={"form": "suqian/revise_scheme", "legalBasis": "第十九条,第二十三条"})
    d.exclusive("GwKey", lane="finance", col=36, name="重点项目？",
                documentation="第十九条：重点项目审核通过后还应经市财政局审核确定招标控制价。")
    d.user_task("ControlPrice", lane="finance", col=37, name="审核确定招标控制价",
                properties={"form": "suqian/control_price", "legalBasis": "第十九条"})
    d.script_task("ReclaimBudget", lane="finance", col=38, name="收回超出招标控制价的预算",
                  script="budget_reclaimed = max(0, BudgetProposal['arranged_amount'] - control_price)",
        documentation="第十九条：预算超过审核确定的招标控制价部分，市财政予以收回。")
    d.exclusive("MergeSchemeDone", lane="big_data_center", col=39, row=1)
    d.flow("MergeMode", "GwConstruction")
    d.flow("GwConstruction", "LoadProcurementLimit", name="是", condition="project_type == 'construction'")
    d.flow("LoadProcurementLimit", "DecideSchemeReview")
    d.flow("DecideSchemeReview", "GwScheme")
    d.flow("GwScheme", "MergeScheme", name="是", condition="needs_scheme_review")
    d.flow("GwScheme", "MergeSchemeDone", name="否", default=True)
    d.flow("MergeScheme", "SchemeReview")
    d.flow("SchemeReview", "GwSchemeResult")
    d.flow("GwSchemeResult", "ReviseScheme", name="退回修改", condition="decision == 'return'")
    d.flow("ReviseScheme", "MergeScheme")
    d.flow("GwSchemeResult", "GwKey", name="通过", default=True)
    d.flow("GwKey", "ControlPrice", name="是", condition="is_key_project")
    d.flow("GwKey", "MergeSchemeDone", name="否", default=True)
    d.flow("ControlPrice", "ReclaimBudget")
    d.flow("ReclaimBudget", "MergeSchemeDone")


def _project_approval(d: Diagram) -> None:
    d.business_rule_task("DecideNdrc", lane="ndrc", col=40, name="判定立项审批", decision_id="suqian_ndrc_approval",
        documentation="第二十条：决策表 suqian_ndrc_approval。")
    d.exclusive("GwNdrc", lane="ndrc", col=41, name="总投资超过400万元？",
                documentation="第二十条：总投资超过400万元的使用预算安排资金的建设类项目，提交市发展改革委履行立项审批手续"
                              "（决策表 suqian_ndrc_approval；恰为400万元的不需立项）。")
    d.exclusive("MergeRoute", lane="ndrc", col=42)
    d.user_task("ApprovalRoute", lane="ndrc", col=43, name="确定立项编报审批程序",
                properties={"form": "suqian/approval_route", "legalBasis": "第二十条"})
    d.script_task("PrepareRouteCheck", lane="ndrc", col=44, name="清空上次判定", script="allowed_routes = []",
        documentation="第二十条：每次重新确定编报方式前清空上次的判定结果。")
    d.business_rule_task("DecideRoute", lane="ndrc", col=45, name="判定可适用的简化程序",
                         decision_id="suqian_approval_route",
        documentation="第二十条（一）至（三）：决策表 suqian_approval_route。")
    d.exclusive("GwRouteAllowed", lane="ndrc", col=46, name="所选程序可适用？",
                documentation="第二十条（一）至（三）：简化程序仅在所列条件下“可以”适用"
                              "（决策表 suqian_approval_route）。")
    d.exclusive("GwRoute", lane="ndrc", col=47, name="编报方式？",
                documentation="第二十条：项目建议书 → 可行性研究报告 → 初步设计方案；（一）已列入规划的直接编报可研；"
                              "（二）紧急且前期工作深度达标的直接编报可研、初设和概算；（三）1000万元以下的可合并编报审批。")
    d.exclusive("MergeNotApproved", lane="ndrc", col=61, row=2)
    d.end("EndNotApproved", lane="ndrc", col=62, row=2, name="不予立项", properties={"outcome": "not_approved"})
    d.exclusive("MergeApproved", lane="ndrc", col=61, row=3)
    d.flow("MergeSchemeDone", "DecideNdrc")
    d.flow("DecideNdrc", "GwNdrc")
    d.flow("GwNdrc", "MergeRoute", name="是", condition="needs_ndrc")
    d.flow("GwNdrc", "MergeApproved", name="否", default=True)
    d.flow("MergeRoute", "ApprovalRoute")
    d.flow("ApprovalRoute", "PrepareRouteCheck")
    d.flow("PrepareRouteCheck", "DecideRoute")
    d.flow("DecideRoute", "GwRouteAllowed")
    d.flow("GwRouteAllowed", "MergeRoute", name="不适用，重新确定", condition="route not in allowed_routes")
    d.flow("GwRouteAllowed", "GwRoute", name="可适用", default=True)
    d.flow("MergeNotApproved", "EndNotApproved")
    _standard_route(d)
    _combined_route(d)


def _approval_step(d: Diagram, *, merge, filing, filing_title, filing_form, col, approve, approve_title,
                   gateway, row=0, opinion=None, next_step):
    """A filing by the applicant, (the data bureau's 行业审查意见,) the NDRC's decision with its loop."""
    d.exclusive(merge, lane="applicant", col=col, row=row)
    d.user_task(filing, lane="applicant", col=col + 1, row=row, name=filing_title,
                properties={"form": filing_form, "legalBasis": "第二十条"})
    step = col + 2
    if opinion:
        d.user_task(opinion, lane="data_bureau", col=step, row=row, name="出具信息化项目行业审查意见",
                    properties={"form": "suqian/industry_opinion", "legalBasis": "第二十条,第三条"})
        step += 1
    d.user_task(approve, lane="ndrc", col=step, row=row, name=approve_title,
                properties={"form": NDRC, "legalBasis": "第二十条,第三条"})
    d.exclusive(gateway, lane="ndrc", col=step + 1, row=row, name="批复？",
                documentation="第二十条：市发展改革委履行立项审批手续。")
    d.flow(merge, filing)
    if opinion:
        d.flow(filing, opinion)
        d.flow(opinion, approve)
    else:
        d.flow(filing, approve)
    d.flow(approve, gateway)
    d.flow(gateway, merge, name="退回修改", condition="decision == 'return'")
    d.flow(gateway, "MergeNotApproved", name="不予批复", condition="decision == 'reject'")
    d.flow(gateway, next_step, name="批复", default=True)


def _standard_route(d: Diagram) -> None:
    d.flow("GwRoute", "MergeProposal", name="完整程序", default=True)
    d.flow("GwRoute", "MergeFeasibility", name="直接编报可研", condition="route == 'from_fsr'")
    _approval_step(d, merge="MergeProposal", filing="ProjectProposal", filing_title="编报项目建议书",
                   filing_form="suqian/project_proposal", col=48, approve="ApproveProposal",
                   approve_title="审批项目建议书", gateway="GwProposal", next_step="MergeFeasibility")
    _approval_step(d, merge="MergeFeasibility", filing="FeasibilityStudy", filing_title="编报可行性研究报告",
                   filing_form="suqian/feasibility_study", col=52, opinion="IndustryOpinion",
                   approve="ApproveFeasibility", approve_title="审批可行性研究报告", gateway="GwFeasibility",
                   next_step="MergeDesign")
    _approval_step(d, merge="MergeDesign", filing="PreliminaryDesign", filing_title="编报初步设计方案和投资概算",
                   filing_form="suqian/preliminary_design", col=57, approve="ApproveDesign",
                   approve_title="审批初步设计方案和投资概算", gateway="GwDesign", next_step="MergeApproved")


def _combined_route(d: Diagram) -> None:
    d.flow("GwRoute", "MergeCombined", name="直接或合并编报", condition="route in ('direct', 'merged')")
    _approval_step(d, merge="MergeCombined", filing="CombinedFiling", filing_title="合并（直接）编报立项材料",
                   filing_form="suqian/combined_filing", col=49, row=1, opinion="CombinedIndustryOpinion",
                   approve="ApproveCombined", approve_title="合并审批立项", gateway="GwCombined",
                   next_step="MergeApproved")


def _procurement(d: Diagram) -> None:
    d.exclusive("MergeProcurement", lane="data_bureau", col=62, row=2)
    d.script_task("ProcurementGate", lane="data_bureau", col=63, name="核验采购前置条件", script=(
        "procurement_prerequisites = ['已纳入年度清单（' + AnnualList['list_no'] + '）', '已通过资金（概算）审核']\n"
        "if needs_scheme_review:\n"
        "    procurement_prerequisites.append('已通过市大数据中心技术方案审核')\n"
        "if needs_ndrc:\n"
        "    procurement_prerequisites.append('已获市发展改革委立项批复')"),
        documentation="第二十四条：未纳入年度清单、未通过技术方案审核和概算审核、未获得立项批复的项目，不得组织采购和建设。"
                      "流程仅在上述环节完成后到达此处，本步骤记录已满足的前置条件。")
    d.user_task("Procurement", lane="applicant", col=64, name="组织采购，签订合同",
                properties={"form": "suqian/procurement", "legalBasis": "第二十四条,第二十二条"})
    d.business_rule_task("DecideSupervision", lane="supervisor", col=65, name="判定工程监理",
                         decision_id="suqian_supervision",
        documentation="第二十五条：决策表 suqian_supervision。")
    d.exclusive("GwSupervision", lane="supervisor", col=66, name="投资预算超过100万元？",
                documentation="第二十五条：投资预算超过100万元的建设类项目应实行工程监理制（决策表 suqian_supervision；"
                              "恰为100万元的不强制）。")
    d.user_task("CommissionSupervisor", lane="applicant", col=67, name="委托信息系统工程监理单位",
                properties={"form": "suqian/commission_supervisor", "legalBasis": "第二十五条,第二十二条"})
    d.exclusive("MergeSupervision", lane="supervisor", col=68)
    d.flow("MergeApproved", "MergeProcurement")
    d.flow("GwConstruction", "MergeProcurement", name="否", default=True)
    d.flow("MergeProcurement", "ProcurementGate")
    d.flow("ProcurementGate", "Procurement")
    d.flow("Procurement", "DecideSupervision")
    d.flow("DecideSupervision", "GwSupervision")
    d.flow("GwSupervision", "CommissionSupervisor", name="是", condition="needs_supervision")
    d.flow("GwSupervision", "MergeSupervision", name="否", default=True)
    d.flow("CommissionSupervisor", "MergeSupervision")


def _service_projects(d: Diagram) -> None:
    d.exclusive("GwDelivery", lane="data_group", col=69, name="运维类或购买服务类？",
                documentation="第二十八条：运维类项目应在运维服务期满后组织项目验收，并出具验收报告"
                              "（购买服务类按服务期满验收为建模假设）。")
    d.user_task("OperationService", lane="data_group", col=70, row=2, name="提供运维（购买）服务",
                properties={"form": "suqian/operation_service", "legalBasis": "第二十八条,第三十三条"})
    d.timer_catch("ServicePeriodEnds", lane="data_group", col=71, row=2, name="服务期满",
                  date="add_months(service_months)")
    d.exclusive("MergeServiceAcceptance", lane="applicant", col=74, row=2)
    d.user_task("ServiceAcceptance", lane="applicant", col=75, row=2, name="服务期满验收，出具验收报告",
                properties={"form": "suqian/operation_acceptance", "legalBasis": "第二十八条"})
    d.exclusive("GwServiceAcceptance", lane="applicant", col=76, row=2, name="验收合格？",
                documentation="第二十八条：运维类项目应在运维服务期满后组织项目验收，并出具验收报告。")
    d.user_task("ServiceRectify", lane="data_group", col=76, row=2, name="服务问题整改",
                properties={"form": "suqian/rectify", "legalBasis": "第二十八条,第三十六条"})
    d.end("EndServiceAccepted", lane="applicant", col=77, row=2, name="服务期满验收合格",
          properties={"outcome": "completed"})
    d.flow("MergeSupervision", "GwDelivery")
    d.flow("GwDelivery", "OperationService", name="是", condition="project_type in ('operation', 'service')")
    d.flow("OperationService", "ServicePeriodEnds")
    d.flow("ServicePeriodEnds", "MergeServiceAcceptance")
    d.flow("MergeServiceAcceptance", "ServiceAcceptance")
    d.flow("ServiceAcceptance", "GwServiceAcceptance")
    d.flow("GwServiceAcceptance", "ServiceRectify", name="不合格", condition="decision == 'return'")
    d.flow("ServiceRectify", "MergeServiceAcceptance")
    d.flow("GwServiceAcceptance", "EndServiceAccepted", name="合格", default=True)


def _implementation_loop(d: Diagram, *, lane, suffix, title, evaluation_title):
    """Build, with the yearly self-evaluation due before each year-end while construction lasts."""
    merge, implement, timer = f"MergeImplement{suffix}", f"Implement{suffix}", f"YearEndEvaluation{suffix}"
    evaluation, record = f"ConstructionSelfEvaluation{suffix}", f"RecordSelfEvaluation{suffix}"
    d.exclusive(merge, lane=lane, col=71)
    d.user_task(implement, lane=lane, col=72, name=title,
                properties={"form": "suqian/implement", "legalBasis": "第二十二条,第二十三条,第二十六条,第二十七条"},
                documentation="第二十三条：严格按照审核后的技术方案建设；主要建设内容确需调整的，从本项目发起"
                              "“建设内容调整备案”（suqian.change_request）。")
    d.boundary_timer(timer, attached_to=implement, name="年底前自评价",
                     date="start_of(current_year() + (1 if last_self_eval_year == current_year() else 0), 12, 1)",
                     documentation="第三十六条：建设期内每年年底前提交项目绩效评价报告（每年12月1日起提示，当年12月31日前提交）。")
    d.user_task(evaluation, lane=lane, col=72, row=1, name=evaluation_title,
                properties={"form": "suqian/construction_self_evaluation", "legalBasis": "第三十六条",
                            "dueAt": "date_of(current_year(), 12, 31)"})
    d.script_task(record, lane=lane, col=71, row=1, name="记录本年度已自评价",
                  script="last_self_eval_year = current_year()",
        documentation="第三十六条：记录本年度已提交绩效评价报告。")
    d.flow(merge, implement)
    d.flow(timer, evaluation)
    d.flow(evaluation, record)
    d.flow(record, merge)
    d.flow(implement, "MergeImplemented")
    return merge


def _construction(d: Diagram) -> None:
    d.exclusive("GwCentralized", lane="data_group", col=70, name="获批分散建设？",
                documentation="第二十一条：原则上集中实施；经批准分散建设的，由申报单位组织实施。")
    d.flow("GwDelivery", "GwCentralized", name="否", default=True)
    central = _implementation_loop(d, lane="data_group", suffix="", title="项目建设实施",
                                   evaluation_title="建设期年度绩效自评价（报数据局备案）")
    decentral = _implementation_loop(d, lane="applicant", suffix="Decentralized", title="组织分散建设实施",
                                     evaluation_title="建设期年度绩效自评价（报数据局备案）")
    d.flow("GwCentralized", central, name="否（集中实施）", default=True)
    d.flow("GwCentralized", decentral, name="是", condition="construction_mode == 'decentralized'")
    d.text_annotation("NoteChangeRequest", "调整建设内容另行备案", attached_to="Implement")
    d.exclusive("MergeImplemented", lane="data_group", col=73)
    d.exclusive("GwSupervised", lane="supervisor", col=74, name="实行工程监理？",
                documentation="第二十五条：监理单位依据监理合同对项目建设进行监督管理（监理报告为建模假设）。")
    d.user_task("SupervisionReport", lane="supervisor", col=75, row=1, name="出具监理报告",
                properties={"form": "suqian/supervision_report", "legalBasis": "第二十五条"})
    d.exclusive("MergeSupervisionReport", lane="supervisor", col=76)
    d.flow("MergeImplemented", "GwSupervised")
    d.flow("GwSupervised", "SupervisionReport", name="是", condition="needs_supervision")
    d.flow("GwSupervised", "MergeSupervisionReport", name="否", default=True)
    d.flow("SupervisionReport", "MergeSupervisionReport")


def _acceptance(d: Diagram) -> None:
    d.user_task("GoLive", lane="applicant", col=77, name="系统上线试运行",
                properties={"form": "suqian/go_live", "legalBasis": "第二十九条,第二十八条"})
    d.script_task("StartTrial", lane="applicant", col=78, name="起算试运行期", script=(
        "trial_days = 90 if is_software else 30\n"
        "acceptance_deadline = add_months(12, GoLive['completed_at'])\n"
        "in_formal_use = False"),
        documentation="第二十九条：试运行天数（软件开发90天，其他30天）及竣工验收最迟期限（上线试运行后一年）；第二十八条：试运行期间不投入使用。")
    d.timer_catch("TrialMinimum", lane="applicant", col=79, name="试运行满30天（软件开发满90天）",
                  date="add_days(trial_days)",
                  documentation="第二十九条：竣工验收应在系统上线试运行30天后进行，软件开发项目在上线试运行90天后进行。")
    d.text_annotation("NoteTrialUse", "试运行期间不得以延长试运行期等方式变相投入使用（第二十八条）",
                      attached_to="TrialMinimum")
    d.flow("MergeSupervisionReport", "GoLive")
    d.flow("GoLive", "StartTrial")
    d.flow("StartTrial", "TrialMinimum")
    d.exclusive("MergeMaterials", lane="applicant", col=80)
    d.user_task("AcceptanceMaterials", lane="applicant", col=81, name="提交竣工验收资料",
                properties={"form": "suqian/acceptance_materials", "legalBasis": "第三十条,第二十九条",
                            "dueAt": ACCEPT_BY})
    d.user_task("MaterialsReview", lane="data_bureau", col=82, name="审核竣工验收资料",
                properties={"form": "common/review_approve_return", "legalBasis": "第三十条,第二十九条",
                            "dueAt": ACCEPT_BY})
    d.exclusive("GwMaterials", lane="data_bureau", col=83, name="资料审核通过？",
                documentation="第三十条：竣工验收资料经市数据局审核通过后，由项目申报单位组织竣工验收。")
    d.exclusive("MergeArchives", lane="archives", col=84)
    d.user_task("ArchivesAcceptance", lane="archives", col=85, name="项目档案验收",
                properties={"form": "common/review_approve_return", "legalBasis": "第三十一条,第二十二条",
                            "dueAt": ACCEPT_BY})
    d.exclusive("GwArchives", lane="archives", col=86, name="档案验收合格？",
                documentation="第三十一条：未经档案验收或档案验收不合格的，不得通过项目验收。")
    d.user_task("ArchivesRectify", lane="applicant", col=86, name="档案整改",
                properties={"form": "suqian/rectify", "legalBasis": "第三十一条", "dueAt": ACCEPT_BY})
    d.exclusive("MergeFinal", lane="applicant", col=87)
    d.user_task("FinalAcceptance", lane="applicant", col=88, name="组织竣工验收",
                properties={"form": "suqian/final_acceptance", "legalBasis": "第二十八条,第二十九条,第三十条",
                            "dueAt": ACCEPT_BY})
    d.exclusive("GwFinal", lane="applicant", col=89, name="竣工验收合格？",
                documentation="第二十八条：建设类项目必须进行竣工验收；未经验收或验收不合格的项目不得投入使用。")
    d.user_task("AcceptanceRectify", lane="data_group", col=89, name="验收问题整改",
                properties={"form": "suqian/rectify", "legalBasis": "第二十八条", "dueAt": ACCEPT_BY})
    d.flow("TrialMinimum", "MergeMaterials")
    d.flow("MergeMaterials", "AcceptanceMaterials")
    d.flow("AcceptanceMaterials", "MaterialsReview")
    d.flow("MaterialsReview", "GwMaterials")
    d.flow("GwMaterials", "MergeMaterials", name="退回补正", condition="decision == 'return'")
    d.flow("GwMaterials", "MergeArchives", name="通过", default=True)
    d.flow("MergeArchives", "ArchivesAcceptance")
    d.flow("ArchivesAcceptance", "GwArchives")
    d.flow("GwArchives", "ArchivesRectify", name="不合格", condition="decision == 'return'")
    d.flow("ArchivesRectify", "MergeArchives")
    d.flow("GwArchives", "MergeFinal", name="合格", default=True)
    d.flow("MergeFinal", "FinalAcceptance")
    d.flow("FinalAcceptance", "GwFinal")
    d.flow("GwFinal", "AcceptanceRectify", name="不合格", condition="decision == 'return'")
    d.flow("AcceptanceRectify", "MergeFinal")


def _after_acceptance(d: Diagram) -> None:
    d.script_task("PutIntoUse", lane="applicant", col=90, name="验收合格，投入使用",
                  script="in_formal_use = True", documentation="第二十八条：验收合格后方可投入使用。")
    d.parallel("ForkAfterAcceptance", lane="applicant", col=91)
    d.user_task("Payment", lane="finance", col=92, name="拨付相应资金",
                properties={"form": "suqian/payment", "legalBasis": "第三十条,第三条"})
    d.user_task("AcceptanceFiling", lane="applicant", col=92, name="竣工验收报告报市数据局备案",
                properties={"form": "suqian/acceptance_filing", "legalBasis": "第三十一条",
                            "dueAt": "add_days(30, FinalAcceptance['completed_at'])"})
    d.user_task("AssetTransfer", lane="data_group", col=92, name="移交资产，提供不少于三年质保",
                properties={"form": "suqian/asset_transfer", "legalBasis": "第三十二条,第三十三条"})
    d.user_task("AssetRegistration", lane="applicant", col=93, row=1, name="接收资产并登记管理",
                properties={"form": "suqian/asset_registration", "legalBasis": "第三十二条,第三十三条"})
    d.parallel("JoinAfterAcceptance", lane="applicant", col=94)
    d.script_task("StartOperations", lane="applicant", col=95, name="登记质保期，转入运维期", script=(
        "warranty_until = add_months(12 * warranty_years, FinalAcceptance['completed_at'])\n"
        "ops_start_year = current_year()\n"
        "ops_cycles = 0"),
        documentation="第三十三条：质保期自竣工验收通过之日起算；第三十六条：转入运维期。")
    d.flow("GwFinal", "PutIntoUse", name="合格", default=True)
    d.flow("PutIntoUse", "ForkAfterAcceptance")
    for element in ("Payment", "AcceptanceFiling", "AssetTransfer"):
        d.flow("ForkAfterAcceptance", element)
    d.flow("AssetTransfer", "AssetRegistration")
    for element in ("Payment", "AcceptanceFiling", "AssetRegistration"):
        d.flow(element, "JoinAfterAcceptance")
    d.flow("JoinAfterAcceptance", "StartOperations")


def _operations(d: Diagram) -> None:
    d.exclusive("MergeOperations", lane="applicant", col=96)
    d.script_task("NextOpsPeriod", lane="applicant", col=97, name="计算本运维周期", script=(
        "ops_cycles = ops_cycles + 1\n"
        "ops_period_end = date_of(ops_start_year + ops_cycles - 1, 12, 31) if ops_cycle == 'calendar' "
        "else add_days(-1, add_months(12 * ops_cycles, ops_contract_date))"),
        documentation="第三十六条：一般一个自然年或合同签订之日起至次年签订之日前一天为一个运维周期。")
    d.timer_catch("OpsPeriodEnds", lane="applicant", col=98, name="运维周期结束", date="ops_period_end",
                  documentation="第三十六条：一般一个自然年或合同签订之日起至次年签订之日前一天为一个运维周期。")
    d.user_task("OpsReport", lane="applicant", col=99, name="提交年度运维服务情况报表",
                properties={"form": "suqian/ops_report", "legalBasis": "第三十六条,第三十三条,第三十五条"})
    d.user_task("OpsReview", lane="data_bureau", col=100, name="抽查复核与绩效评价",
                properties={"form": "suqian/ops_review", "legalBasis": "第三十六条,第五条"})
    d.exclusive("GwKeyEvaluation", lane="data_bureau", col=101, name="重点项目？",
                documentation="第三十六条：市数据局委托第三方机构对重点信息化项目开展专项绩效评估。")
    d.user_task("ThirdPartyEvaluation", lane="data_bureau", col=102, row=1, name="委托第三方开展专项绩效评估",
                properties={"form": "suqian/third_party_evaluation", "legalBasis": "第三十六条"})
    d.exclusive("MergeKeyEvaluation", lane="data_bureau", col=103)
    d.exclusive("GwEffective", lane="data_bureau", col=104, name="实现建设目标、达到预期效果？",
                documentation="第三十六条：未实现批复的建设目标或未达到预期效果的，申报单位应会同实施单位限期整改。")
    d.flow("StartOperations", "MergeOperations")
    d.flow("MergeOperations", "NextOpsPeriod")
    d.flow("NextOpsPeriod", "OpsPeriodEnds")
    d.flow("OpsPeriodEnds", "OpsReport")
    d.flow("OpsReport", "OpsReview")
    d.flow("OpsReview", "GwKeyEvaluation")
    d.flow("GwKeyEvaluation", "ThirdPartyEvaluation", name="是", condition="is_key_project")
    d.flow("GwKeyEvaluation", "MergeKeyEvaluation", name="否", default=True)
    d.flow("ThirdPartyEvaluation", "MergeKeyEvaluation")
    d.flow("MergeKeyEvaluation", "GwEffective")
    _sanctions(d)
    d.exclusive("MergeEffective", lane="applicant", col=109)
    d.exclusive("GwContinue", lane="applicant", col=110, name="系统继续使用？",
                documentation="第三十四条：已完成阶段性工作任务不再继续使用或经论证确无使用价值的项目，应及时做好数据移交、"
                              "系统停用、备案注销。")
    d.user_task("Retire", lane="applicant", col=111, name="数据移交、系统停用",
                properties={"form": "suqian/retirement", "legalBasis": "第三十四条"})
    d.user_task("RetireFiling", lane="data_bureau", col=112, name="备案注销",
                properties={"form": "common/confirm", "legalBasis": "第三十四条"})
    d.end("EndRetired", lane="data_bureau", col=113, name="停用注销", properties={"outcome": "completed"})
    d.flow("GwEffective", "MergeEffective", name="是", default=True)
    d.flow("MergeEffective", "GwContinue")
    d.flow("GwContinue", "MergeOperations", name="继续使用", condition="continue_use")
    d.flow("GwContinue", "Retire", name="不再使用", default=True)
    d.flow("Retire", "RetireFiling")
    d.flow("RetireFiling", "EndRetired")


def _sanctions(d: Diagram) -> None:
    d.exclusive("MergeRectify", lane="applicant", col=105, row=1)
    d.user_task("Rectify", lane="applicant", col=106, row=1, name="会同实施单位限期整改",
                properties={"form": "suqian/rectify", "legalBasis": "第三十六条", "dueAt": RECTIFY_BY})
    d.boundary_timer("RectifyOverdue", attached_to="Rectify", name="逾期未整改", date=RECTIFY_BY,
                     documentation="第三十六条：拒不整改的，依第三十六条处理。")
    d.user_task("RectifyCheck", lane="data_bureau", col=107, row=1, name="整改复核",
                properties={"form": "suqian/rectify_check", "legalBasis": "第三十六条"})
    d.exclusive("GwRectified", lane="data_bureau", col=108, row=1, name="整改后符合要求？",
                documentation="第三十六条：整改后仍不符合要求的，通报批评、暂缓拨付、暂停项目建设，直至项目终止。")
    d.exclusive("MergeSanction", lane="data_bureau", col=109, row=1)
    d.user_task("Sanction", lane="data_bureau", col=110, row=1, name="通报批评、暂缓拨付、暂停建设",
                properties={"form": "suqian/sanction", "legalBasis": "第三十六条"})
    d.exclusive("GwTerminate", lane="data_bureau", col=111, row=1, name="终止项目？",
                documentation="第三十六条：对拒不整改或整改后仍不符合要求的……直至项目终止。")
    d.end("EndTerminated", lane="data_bureau", col=112, row=2, name="项目终止", properties={"outcome": "terminated"})
    d.flow("GwEffective", "MergeRectify", name="否", condition="decision == 'return'")
    d.flow("MergeRectify", "Rectify")
    d.flow("Rectify", "RectifyCheck")
    d.flow("RectifyCheck", "GwRectified")
    d.flow("GwRectified", "MergeEffective", name="符合", condition="decision == 'approve'")
    d.flow("GwRectified", "MergeSanction", name="仍不符合", default=True)
    d.flow("RectifyOverdue", "MergeSanction")
    d.flow("MergeSanction", "Sanction")
    d.flow("Sanction", "GwTerminate")
    d.flow("GwTerminate", "EndTerminated", name="终止", condition="terminate")
    d.flow("GwTerminate", "MergeRectify", name="再限期整改", default=True)


if __name__ == "__main__":
    print(f"wrote {build().write('bpmn_diagrams/suqian.bpmn')}")
    for table in suqian_tables.tables():
        print(f"wrote {table.write(f'bpmn_diagrams/{table.decision_id}.dmn')}")
