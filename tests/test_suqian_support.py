"""Walk a 宿迁 project through the real services (shared by the test_suqian_*.py files; no tests here).

`walk` completes whatever ready task it has an answer for, in the order the diagram offers them, until
the wanted task is ready: a test states only the answers that differ from the ordinary path."""
from __future__ import annotations

from engine import workflow as wfx
from engine.models import HumanTask, ProcessInstance
from engine.services import runtime
from tests.conftest import at
from tests.support import Personas

SUQIAN_PEOPLE = {  # username: (unit, roles)
    "ann": ("市公安局", ["applicant"]),
    "hugh": ("市第一人民医院", ["applicant"]),
    "ian": ("市卫生健康委员会（行业主管部门）", ["industry_authority"]),
    "dora": ("市数据局", ["data_bureau"]),
    "pete": ("市级信息化项目预审小组", ["prereview_group"]),
    "fay": ("市财政局", ["finance"]),
    "gus": ("市人民政府", ["government"]),
    "ben": ("市大数据中心", ["big_data_center"]),
    "nick": ("市发展改革委", ["ndrc"]),
    "gail": ("市数据集团", ["data_group"]),
    "sam": ("江苏某信息系统工程监理有限公司", ["supervisor"]),
    "arch": ("市档案局", ["archives"]),
    "mona": ("市数据局", ["manager"]),
    "cathy": ("市委网信办", ["cac"]),
    "audrey": ("市审计局", ["audit"]),
}
FACTS = {"project_name": "宿迁市智慧警务平台", "project_type": "construction", "total_investment": 300,
         "plan_year": 2027}
DECLARE = {"declaration_form": "申报表.pdf", "construction_plan": "建设方案.pdf", "basis": "建设依据.pdf",
           "collective_decision": "局党委会议纪要.pdf", "budget_breakdown": "开发费、实施费、维护费、监理费",
           "data_sharing_analysis": "共享8类数据", "security_analysis": "按等保三级建设",
           "secure_reliable_products": True, "outsourcing_compliant": True}
OK = {"decision": "approve"}
# what 市数据局 attests at registration (第八、九、十四条): ticked by the reviewer, never by default
ATTESTED = {"materials_complete": True, "plan_requirements_met": True, "access_ready": True,
            "data_sharing_ready": True}
# 市数据局 answers whether a system in operation meets the security rules (第三十二条): never by default
OPS_OK = {"decision": "approve", "security_compliant": True}
RETURN = {"decision": "return", "comment": "请补充完善"}
REJECT = {"decision": "reject", "comment": "不符合要求"}
ANSWERS = {  # element: (who, answers) of the ordinary path
    "Declare": ("ann", DECLARE),
    "IndustryReview": ("ian", OK),
    "RegisterReview": ("dora", {"decision": "approve", "registration_no": "SQ-2027-001", **ATTESTED}),
    "PreReview": ("pete", OK),
    "BudgetDeclaration": ("ann", {"budget_year": 2027, "requested_amount": 300}),
    "FundReview": ("fay", {"audited_amount": 300, "comment": "审核通过"}),
    "BudgetConsult": ("dora", {"opinion": "同意安排", "priority": "normal"}),
    "BudgetProposal": ("fay", {"arranged": True, "arranged_amount": 300}),
    "GovernmentApproval": ("gus", OK),
    "AnnualList": ("dora", {"list_year": 2027, "list_no": "宿数清〔2027〕1号"}),
    "DecentralizeConsult": ("dora", OK),
    "DecentralizeApproval": ("gus", OK),
    "SchemeReview": ("ben", OK),
    "ControlPrice": ("fay", {"control_price": 280}),
    "ApprovalRoute": ("nick", {"route": "standard"}),
    "ProjectProposal": ("ann", {"proposal": "项目建议书.pdf"}),
    "ApproveProposal": ("nick", OK),
    "FeasibilityStudy": ("ann", {"report": "可研.pdf", "sharing_chapter": True, "security_chapter": True}),
    "IndustryOpinion": ("dora", {"decision": "approve", "opinion": "同意"}),
    "ApproveFeasibility": ("nick", OK),
    "PreliminaryDesign": ("ann", {"design": "初设.pdf", "budget_estimate": 500, "sharing_chapter": True,
                                  "security_chapter": True}),
    "ApproveDesign": ("nick", OK),
    "CombinedFiling": ("ann", {"report": "可研.pdf", "design": "初设.pdf", "budget_estimate": 500,
                               "sharing_chapter": True, "security_chapter": True}),
    "CombinedIndustryOpinion": ("dora", {"decision": "approve", "opinion": "同意"}),
    "ApproveCombined": ("nick", OK),
    "Procurement": ("ann", {"procurement_method": "open", "implementer": "市数据集团", "contract_amount": 280,
                            "contract_date": "2027-03-01"}),
    "CommissionSupervisor": ("ann", {"supervisor_unit": "某监理公司", "qualification": "甲级"}),
    "Implement": ("gail", {"finished": True}),
    "ImplementDecentralized": ("ann", {"finished": True}),
    "SupervisionReport": ("sam", {"report": "监理报告.pdf", "conclusion": "合格"}),
    "GoLive": ("ann", {"system_online": True}),
    "AcceptanceMaterials": ("ann", {"materials": "竣工验收资料.zip"}),
    "MaterialsReview": ("dora", OK),
    "ArchivesAcceptance": ("arch", OK),
    "FinalAcceptance": ("ann", {"decision": "approve", "acceptance_report": "验收报告.pdf"}),
    "Payment": ("fay", {"paid_amount": 280, "paid_on": "2027-09-10"}),
    "AcceptanceFiling": ("ann", {"acceptance_report": "验收报告.pdf"}),
    "AssetTransfer": ("gail", {"assets": "服务器软件许可清单", "warranty_years": 3}),
    "AssetRegistration": ("ann", {"registration_no": "ZC-2027-9", "ops_cycle": "calendar"}),
    "OpsReport": ("ann", {"system_operation": "稳定", "security_management": "无事件", "user_usage": "日活500",
                          "expense_payment": "按合同支付", "operation_results": "办件提速"}),
    "OpsReview": ("dora", OPS_OK),
    "ArrangeOpsFunds": ("fay", {"ops_funds_amount": 30}),
    "OperationService": ("gail", {"service_months": 12, "service_content": "机房运维"}),
    "ServiceAcceptance": ("ann", {"decision": "approve", "acceptance_report": "运维验收报告.pdf"}),
}





def personas(ctx) -> Personas:
    return Personas(ctx, "suqian", SUQIAN_PEOPLE)


def declared(people, when="2026-08-03 10:00", **facts) -> int:
    iid = people.start("ann", "suqian", {**FACTS, **facts}, now=at("2026-08-01 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at(when))
    return iid


def walk(people, iid, until: str, now: str, plan: dict) -> list[str]:
    """Complete the ready tasks `plan` answers (element: (who, answers)), in the order the diagram
    offers them, until `until` is ready; return the ready tasks then."""
    for _ in range(60):
        ready = people.ready(iid)
        if until in ready:
            return ready
        doable = [element for element in ready if element in plan]
        assert doable, f"stuck before {until}: ready {ready}"
        who, data = plan[doable[0]]
        people.do(who, iid, doable[0], data, now=at(now))
    raise AssertionError(f"{until} never became ready")


def advance(people, iid, until: str, now: str, **answers) -> list[str]:
    """Walk a 宿迁 project with the ordinary answers, overridden by `answers`."""
    return walk(people, iid, until, now, {**ANSWERS, **answers})


def started(people, until="Procurement", now="2026-12-20 10:00", **facts) -> int:
    """A project declared in time and walked to `until`."""
    iid = declared(people, **facts)
    advance(people, iid, until, now)
    return iid


# 第六条 — a system found 运行不正常 is shut down (淘汰退出); the unit's later projects name the one they continue
FINDING_IDLE = {"result": "abnormal", "abnormal_reasons": ["idle"], "comment": "连续三个月无人访问"}
SHUTDOWN = {"cloud_reclaimed": True, "comment": "已收回云资源并关停"}


def monitor(people, parent, now="2028-03-25 09:00") -> int:
    """市大数据中心's monitoring of the month `now` falls in, for a project in 运维."""
    people.deploy("suqian.monitoring")
    return runtime.start_instance(people.ctx, people.ben, "suqian.monitoring",
                                  {"project_name": "宿迁市智慧警务平台", "month": now[:7]},
                                  now=at(now), parent_instance_id=parent)


def eliminate(people, parent, now="2028-03-25 09:00") -> None:
    """The month's monitoring finds the system idle; it is shut down (淘汰退出) within that month."""
    iid = monitor(people, parent, now)
    month = now[:8]
    people.do("ben", iid, "MonitoringFinding", FINDING_IDLE, now=at(month + "28 10:00"))
    people.do("ben", iid, "Shutdown", {**SHUTDOWN, "shutdown_date": month + "28"}, now=at(month + "28 11:00"))
    assert people.instance(parent)["outcome"] == "eliminated"


def follow_up(people, plan_year=2029, **facts) -> int:
    """市公安局's project for `plan_year` (by default 宿迁市智慧警务平台's 运维服务), declared in time."""
    iid = people.start("ann", "suqian", {**FACTS, "plan_year": plan_year, "project_type": "operation",
                                         "project_name": "宿迁市智慧警务平台运维服务", **facts},
                       now=at(f"{plan_year - 1}-08-01 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at(f"{plan_year - 1}-08-03 10:00"))
    return iid


def continues(project_id: int | None, holds="yes") -> tuple:
    """市数据局's answer to CheckFollowUp: the project continues the unit's system numbered `project_id`."""
    answers = {"follows_system_holds": holds, "comment": "核查申报所延续的系统"}
    return ("dora", answers if project_id is None else {**answers, "follows_project_id": project_id})


def workflow_data(ctx, iid) -> dict:
    """The data of the workflow's newest task (what the next step sees)."""
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, inst.jurisdiction)
    tasks = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id]
    return max(tasks, key=lambda t: t.last_state_change).data


def fund(people, iid, now="2028-01-25 10:00", amount=30) -> None:
    """市财政局 arranges the next 运维周期's funds (第三十六条), which it does beside any 限期整改."""
    people.do("fay", iid, "ArrangeOpsFunds", {"ops_funds_amount": amount}, now=at(now))


def task_data(ctx, iid, element) -> dict:
    """The data of the instance's newest task of `element` (what that step saw or left)."""
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, inst.jurisdiction)
    tasks = [t for t in workflow.get_tasks() if t.task_spec.name == element]
    return max(tasks, key=lambda t: t.last_state_change).data


# 第三十六条 建设期限期整改 (suqian.rectification, a side process of a project under construction)

def building(people) -> int:
    """A project in 建设实施: 市数据集团's 项目建设实施 is ready."""
    iid = started(people)
    advance(people, iid, "Implement", "2027-03-01 10:00")
    return iid


def order_rectification(people, iid, who="dora", days=30, now="2027-04-01 10:00") -> int:
    """The department `who` orders the project to rectify within `days` days."""
    people.deploy("suqian.rectification")
    return runtime.start_instance(people.ctx, getattr(people, who), "suqian.rectification",
                                  {"issue": "未按批复实现数据共享建设目标", "deadline_days": days},
                                  now=at(now), parent_instance_id=iid)


def decide_sanction(people, rid, who="dora", now="2027-05-10 10:00", rectified="2027-04-20 10:00",
                    checked="2027-04-25 10:00", **decision) -> None:
    """Rectified but found still wanting; the ordering department decides (`measures`, `terminate` …)."""
    people.do("ann", rid, "Rectify", {"rectification": "已部分整改"}, now=at(rectified))
    people.do(who, rid, "RectificationCheck", {"decision": "reject", "comment": "仍未实现数据共享"},
              now=at(checked))
    people.do(who, rid, "SanctionDecision", {"comment": "整改后仍不符合要求", **decision}, now=at(now))


def task_row(ctx, iid, element) -> HumanTask | None:
    """The instance's newest task row of `element`."""
    with ctx.db.transaction() as session:
        return session.query(HumanTask).filter(HumanTask.instance_id == iid, HumanTask.element_id == element) \
            .order_by(HumanTask.id.desc()).first()
