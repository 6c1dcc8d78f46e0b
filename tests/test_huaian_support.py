"""Walk a 淮安 project through the real services (shared by the test_huaian_*.py files; no tests here)."""
from __future__ import annotations

from tests.conftest import at
from tests.support import Personas
from tests.test_suqian_support import walk

HUAIAN_PEOPLE = {  # username: (unit, roles)
    "amy": ("市政务服务管理办公室", ["applicant"]),
    "abe": ("市市场监督管理局", ["applicant"]),
    "gina": ("市数据集团", ["data_group"]),
    "dan": ("市数据局", ["data_bureau"]),
    "carl": ("市委网信办", ["cac"]),
    "cory": ("市密码管理局", ["crypto"]),
    "ada": ("市档案局", ["archives"]),
    "fred": ("市财政局", ["finance"]),
    "gov": ("市人民政府", ["government"]),
    "sara": ("市国资委", ["sasac"]),
    "tom": ("市交通控股集团（市交投集团）", ["transport_group"]),
    "mona": ("市数据局", ["manager"]),
}
FACTS = {"project_name": "12345热线智能分析系统", "project_type": "construction", "total_investment": 380,
         "is_software": True}
OK = {"decision": "approve"}
RETURN = {"decision": "return", "comment": "请补充完善"}
REJECT = {"decision": "reject", "comment": "不具备建设必要性"}
PLAN = {"plan": "建设方案.pdf", "one_department_one_system": True, "data_sharing": "共享12类数据",
        "network_data_security": "等保三级", "crypto_application": "商用密码", "electronic_records": "按规定归档",
        "intensive_saving": "复用统一身份认证"}
JOINT_REVIEWS = [("carl", "ReviewCac"), ("cory", "ReviewCrypto"), ("ada", "ReviewArchives")]
ANSWERS = {  # element: (who, answers) of the ordinary path
    "Planning": ("amy", {"needs": "工单量大需智能分派", "business_analysis": "复用现有热线系统"}),
    "TopLevelDesign": ("gina", {"goals": "智能分派", "approach": "依托公共数据平台", "content": "分派、分析、驾驶舱"}),
    "ApplyLibrary": ("amy", {"materials": "入库材料.pdf", "estimated_investment": 380}),
    "LibraryReview": ("dan", {"decision": "approve", "plan_years": "2027—2029"}),
    "PreparePlan": ("amy", PLAN),
    "ReviewCac": ("carl", OK),
    "ReviewCrypto": ("cory", OK),
    "ReviewArchives": ("ada", OK),
    "ReviewConclusion": ("dan", OK),
    "EstimateWorkload": ("gina", {"workload": "36人月", "estimate": 360}),
    "ConfirmWorkload": ("dan", OK),
    "BudgetReview": ("fred", {"approved_estimate": 342}),
    "OperationDeclare": ("amy", {"operation_year": 2027, "systems": "热线系统", "operation_budget": 60}),
    "OperationReview": ("dan", OK),
    "OperationRecheck": ("fred", OK),
    "PlanConsult": ("fred", {"annual_fund_scale": 342, "comment": "纳入年度资金规模"}),
    "AnnualPlanProposal": ("dan", {"plan_year": 2027, "priority": "urgent", "plan_amount": 342}),
    "GovernmentApproval": ("gov", OK),
    "AnnualConstructionPlan": ("gina", {"decision_meeting": "集团党委会", "within_confirmed_funds": True}),
    "ImplementationPlan": ("gina", {"leadership_meeting": "领导班子会议", "mode": "self", "project_manager": "王经理"}),
    "Implement": ("gina", {"finished": True}),
    "ContentCheck": ("gina", OK),
    "TrialStart": ("amy", {"departments": "政务办各处室"}),
    "Acceptance": ("amy", {"decision": "approve", "acceptance_opinion": "验收意见.pdf"}),
    "SelfEvaluation": ("gina", {"report": "自评价报告.pdf", "summary": "达到预期", "copied_to_finance": True}),
    "EvaluationCac": ("carl", {"opinion": "安全状况良好", "rating": "good"}),
    "EvaluationApplicant": ("amy", {"opinion": "应用效果好", "rating": "good"}),
    "SupervisionEvaluation": ("dan", {"efficiency": "运行高效", "security": "安全良好",
                                      "application_effect": "应用效果好", "rating": "good"}),
    "OperationService": ("gina", {"mode": "self", "team": "运维一部"}),
}


def personas(ctx) -> Personas:
    return Personas(ctx, "huaian", HUAIAN_PEOPLE)


def advance(people, iid, until: str, now: str, **answers) -> list[str]:
    """Walk a 淮安 project with the ordinary answers, overridden by `answers`."""
    return walk(people, iid, until, now, {**ANSWERS, **answers})


def started(people, until: str, now="2026-12-01 10:00", who="amy", **facts) -> int:
    iid = people.start(who, "huaian", {**FACTS, **facts}, now=at("2026-11-01 10:00"))
    advance(people, iid, until, now)
    return iid
