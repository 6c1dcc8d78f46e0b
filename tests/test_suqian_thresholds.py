"""宿迁: the thresholds of 第十九、二十、二十五条 (decided in the suqian_*.dmn tables), 分散建设 (第二十一条) and
no procurement before 清单 + 方案审核 + 概算 + 立项 (第二十四条)."""
from decimal import Decimal

import pytest

from engine.config import ROOT
from engine.errors import ValidationFailed
from engine.services.deploy import deploy
from tests.conftest import at
from tests.test_suqian_support import (
    ANSWERS,
    DECLARE,
    OK,
    REJECT,
    RETURN,
    advance,
    declared,
    personas,
    started,
    workflow_data,
)

DIAGRAMS_DIR = ROOT / "bpmn_diagrams"

LIST_DONE = "2026-12-20 10:00"


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _listed(people, **facts):
    """A project just put on the annual list (the next step depends on its facts)."""
    iid = declared(people, **facts)
    advance(people, iid, "AnnualList", "2026-11-20 10:00")
    people.do("dora", iid, "AnnualList", {"list_year": 2027, "list_no": "宿数清〔2027〕1号"}, now=at(LIST_DONE))
    return iid


def _route(people, iid, route, **extra):
    people.do("nick", iid, "ApprovalRoute", {"route": route, **extra}, now=at("2027-01-05 10:00"))


# 第十九条 — 投资额在政府采购限额标准以上（含限额标准）的建设类项目，项目方案报市大数据中心审核

def test_it_sends_a_construction_project_at_the_procurement_limit_to_the_big_data_center(people):
    iid = _listed(people, total_investment=100)
    assert people.ready(iid) == ["SchemeReview"]
    assert people.task("ben", iid, "SchemeReview")["role"] == "big_data_center"
    assert workflow_data(people.ctx, iid)["procurement_limit"] == 100


def test_it_lets_a_construction_project_below_the_procurement_limit_go_to_procurement(people):
    iid = _listed(people, total_investment=99.99)
    assert people.ready(iid) == ["Procurement"]


@pytest.mark.parametrize("project_type", ["operation", "service", "equipment"])
def test_it_reviews_schemes_and_asks_for_approval_only_for_construction_projects(people, project_type):
    iid = _listed(people, project_type=project_type, total_investment=2000)
    assert people.ready(iid) == ["Procurement"]


def test_it_reads_the_procurement_limit_from_its_decision_table(people):
    table = (DIAGRAMS_DIR / "suqian" / "suqian_procurement_limit.dmn").read_bytes()
    edited = table.replace(b"<text>100</text>", b"<text>200</text>")
    assert edited != table
    people.deploy("suqian")
    with people.ctx.db.transaction() as session:
        deploy(people.ctx.runtime, session, "suqian", extra={"suqian_procurement_limit.dmn": edited})
    iid = _listed(people, total_investment=150)
    assert people.ready(iid) == ["Procurement"]
    assert workflow_data(people.ctx, iid)["procurement_limit"] == 200


def test_it_loops_the_scheme_back_to_the_applicant_until_the_big_data_center_approves(people):
    iid = _listed(people, total_investment=300)
    people.do("ben", iid, "SchemeReview", RETURN, now=at("2027-01-02 10:00"))
    assert people.ready(iid) == ["ReviseScheme"]
    people.do("ann", iid, "ReviseScheme", {"revision_note": "已按意见修改", "construction_plan": "方案v2.pdf"},
              now=at("2027-01-05 10:00"))
    assert people.ready(iid) == ["SchemeReview"]
    people.do("ben", iid, "SchemeReview", OK, now=at("2027-01-06 10:00"))
    assert people.ready(iid) == ["Procurement"]


def test_it_has_finance_fix_the_tender_control_price_of_a_key_project_and_takes_back_the_excess(people):
    iid = _listed(people, total_investment=300, is_key_project=True)
    people.do("ben", iid, "SchemeReview", OK, now=at("2027-01-02 10:00"))
    assert people.ready(iid) == ["ControlPrice"]
    people.do("fay", iid, "ControlPrice", {"control_price": 262.5}, now=at("2027-01-03 10:00"))
    assert people.ready(iid) == ["Procurement"]
    assert workflow_data(people.ctx, iid)["budget_reclaimed"] == Decimal("37.5")


def test_it_skips_the_control_price_for_an_ordinary_project(people):
    iid = _listed(people, total_investment=300)
    people.do("ben", iid, "SchemeReview", OK, now=at("2027-01-02 10:00"))
    assert people.ready(iid) == ["Procurement"]


# 第二十条 — 总投资超过400万元的使用预算安排资金的建设类项目，提交市发展改革委立项

def test_it_does_not_send_a_construction_project_of_exactly_400_wan_to_the_ndrc(people):
    iid = started(people, until="Procurement", total_investment=400)
    assert "ApprovalRoute" not in [e["element"] for e in people.instance(iid)["history"]]


def test_it_sends_suqian_construction_projects_over_400_wan_to_the_ndrc(people):
    iid = started(people, until="ApprovalRoute", total_investment=400.01)
    assert people.ready(iid) == ["ApprovalRoute"]
    assert people.task("nick", iid, "ApprovalRoute")["role"] == "ndrc"


def test_it_does_not_send_a_project_without_budget_funds_to_the_ndrc(people):
    iid = started(people, until="Procurement", total_investment=800, budget_funded=False)
    assert people.ready(iid) == ["Procurement"]


def test_it_walks_the_full_approval_with_the_data_bureaus_industry_opinion_at_the_feasibility_stage(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500)
    _route(people, iid, "standard")
    steps = []
    while "Procurement" not in people.ready(iid):
        [row] = people.ready_rows(iid)
        steps.append((row.element_id, row.role_key))
        who, data = ANSWERS[row.element_id]
        people.do(who, iid, row.element_id, data, now=at("2027-01-10 10:00"))
    assert steps == [("ProjectProposal", "applicant"), ("ApproveProposal", "ndrc"),
                     ("FeasibilityStudy", "applicant"), ("IndustryOpinion", "data_bureau"),
                     ("ApproveFeasibility", "ndrc"), ("PreliminaryDesign", "applicant"), ("ApproveDesign", "ndrc")]


def test_it_returns_a_filing_to_the_applicant_and_ends_a_project_the_ndrc_refuses(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500)
    _route(people, iid, "standard")
    advance(people, iid, "ApproveProposal", "2027-01-10 10:00")
    people.do("nick", iid, "ApproveProposal", RETURN, now=at("2027-01-11 10:00"))
    assert people.ready(iid) == ["ProjectProposal"]
    advance(people, iid, "ApproveFeasibility", "2027-01-12 10:00")
    people.do("nick", iid, "ApproveFeasibility", REJECT, now=at("2027-01-20 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_label"]) == (
        "terminated", "not_approved", "市发展改革委不予立项")


def test_it_lets_a_project_already_in_a_plan_start_at_the_feasibility_study(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500, in_plan=True)
    _route(people, iid, "from_fsr", reason="已列入《数字宿迁建设规划》")
    assert people.ready(iid) == ["FeasibilityStudy"]


def test_it_refuses_the_feasibility_shortcut_to_a_project_in_no_plan(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500)
    _route(people, iid, "from_fsr", reason="拟直接编报可研")
    assert people.ready(iid) == ["ApprovalRoute"]
    assert workflow_data(people.ctx, iid)["allowed_routes"] == ["standard"]


def test_it_lets_an_urgent_project_with_enough_preparation_file_the_study_design_and_estimate_directly(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500, urgent=True)
    _route(people, iid, "direct", depth_ok=True, reason="省定任务，前期工作深度达标")
    assert people.ready(iid) == ["CombinedFiling"]
    advance(people, iid, "Procurement", "2027-01-10 10:00")
    elements = [e["element"] for e in people.instance(iid)["history"]]
    assert "CombinedIndustryOpinion" in elements and "ProjectProposal" not in elements


def test_it_refuses_direct_filing_when_the_preparation_falls_short(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500, urgent=True)
    _route(people, iid, "direct", depth_ok=False, reason="紧急")
    assert people.ready(iid) == ["ApprovalRoute"]


def test_it_forgets_an_earlier_judgement_when_the_ndrc_chooses_again(people):
    iid = started(people, until="ApprovalRoute", total_investment=1500, urgent=True)
    _route(people, iid, "merged", depth_ok=True, reason="拟合并编报")      # over 1000: refused
    assert people.ready(iid) == ["ApprovalRoute"]
    _route(people, iid, "direct", depth_ok=False, reason="紧急")            # depth now short: refused too
    assert people.ready(iid) == ["ApprovalRoute"]
    assert workflow_data(people.ctx, iid)["allowed_routes"] == ["standard"]


def test_it_may_merge_all_four_documents_of_a_project_of_exactly_1000_wan(people):
    iid = started(people, until="ApprovalRoute", total_investment=1000)
    _route(people, iid, "merged", reason="1000万元以下，经会商合并编报")
    assert people.ready(iid) == ["CombinedFiling"]


def test_it_does_not_merge_the_documents_of_a_project_of_1000_01_wan(people):
    iid = started(people, until="ApprovalRoute", total_investment=1000.01)
    _route(people, iid, "merged", reason="拟合并编报")
    assert people.ready(iid) == ["ApprovalRoute"]
    _route(people, iid, "standard")
    assert people.ready(iid) == ["ProjectProposal"]


def test_it_asks_the_ndrc_for_the_reason_of_a_simplified_procedure(people):
    iid = started(people, until="ApprovalRoute", total_investment=800)
    with pytest.raises(ValidationFailed) as err:
        _route(people, iid, "merged")
    assert "reason" in err.value.errors


# 第二十四条 — 未纳入清单、未通过技术方案审核和概算审核、未获立项批复的，不得组织采购

def test_it_does_not_open_procurement_before_the_project_approval(people):
    iid = started(people, until="ApprovalRoute", total_investment=600)
    assert people.inbox("ann") == []
    _route(people, iid, "merged", reason="合并编报")
    advance(people, iid, "ApproveCombined", "2027-01-10 10:00")
    assert "Procurement" not in people.ready(iid)
    people.do("nick", iid, "ApproveCombined", {"decision": "approve", "approval_no": "宿发改审〔2027〕3号"},
              now=at("2027-01-20 10:00"))
    assert people.ready(iid) == ["Procurement"]
    assert workflow_data(people.ctx, iid)["procurement_prerequisites"] == [
        "已纳入年度清单（宿数清〔2027〕1号）", "已通过资金（概算）审核", "已通过市大数据中心技术方案审核",
        "已获市发展改革委立项批复"]


# 第二十五条 — 投资预算超过100万元的建设类项目应实行工程监理制

def test_it_does_not_require_a_supervisor_for_a_project_of_exactly_100_wan(people):
    iid = started(people, until="Procurement", total_investment=100)
    advance(people, iid, "Implement", "2027-02-01 10:00")
    assert people.ready(iid) == ["Implement"]
    advance(people, iid, "GoLive", "2027-03-01 10:00")
    assert "SupervisionReport" not in [e["element"] for e in people.instance(iid)["history"]]


def test_it_requires_a_supervisor_for_a_project_of_100_01_wan(people):
    iid = started(people, until="Procurement", total_investment=100.01)
    advance(people, iid, "CommissionSupervisor", "2027-02-01 10:00")
    assert people.ready(iid) == ["CommissionSupervisor"]
    advance(people, iid, "SupervisionReport", "2027-03-01 10:00")
    assert people.task("sam", iid, "SupervisionReport")["role"] == "supervisor"


# 第二十一条 — 原则上集中实施；分散建设须会商机制审核同意并报市政府批准

def _decentralized(people, consult, approval=None):
    iid = people.start("ann", "suqian", {"project_name": "涉密指挥系统", "project_type": "construction",
                                         "total_investment": 90, "is_classified": True, "plan_year": 2027},
                       now=at("2026-08-01 10:00"))
    people.do("ann", iid, "Declare", {**DECLARE, "decentralized_request": True, "uses_government_cloud": False,
                                      "decentralized_reason": "涉密项目，须独立部署"}, now=at("2026-08-02 10:00"))
    advance(people, iid, "DecentralizeConsult", "2026-11-01 10:00")
    people.do("dora", iid, "DecentralizeConsult", consult, now=at("2026-12-21 10:00"))
    if approval:
        people.do("gus", iid, "DecentralizeApproval", approval, now=at("2026-12-22 10:00"))
    advance(people, iid, "Procurement", "2026-12-23 10:00")
    people.do("ann", iid, "Procurement", {"procurement_method": "other", "implementer": "某涉密资质单位",
                                          "contract_amount": 90, "contract_date": "2027-01-10"},
              now=at("2027-01-10 10:00"))
    return iid


def test_it_lets_the_applicant_build_a_decentralized_project_the_government_approves(people):
    iid = _decentralized(people, OK, OK)
    assert people.ready(iid) == ["ImplementDecentralized"]
    assert people.task("ann", iid, "ImplementDecentralized")["role"] == "applicant"


def test_it_keeps_a_project_centralized_when_the_consultation_disagrees(people):
    iid = _decentralized(people, REJECT)
    assert people.ready(iid) == ["Implement"]
    assert people.task("gail", iid, "Implement")["role"] == "data_group"


def test_it_keeps_a_project_centralized_when_the_government_does_not_approve(people):
    iid = _decentralized(people, OK, REJECT)
    assert people.ready(iid) == ["Implement"]
