"""淮安市市级政务信息化项目统筹集约建设机制: 项目生成 — scope (机制一), 规划 with 市数据集团, 储备库 (附件2流程.2),
建设方案, 联合评估论证 with 网信 ∥ 密码 ∥ 档案 (机制四.4), 工作量 and 概算评审 (附件3流程.2), 年度计划 and 市政府
(机制四.5), and the 运维 variant."""
import pytest

from engine.errors import ValidationFailed
from engine.services import views
from tests.conftest import at
from tests.test_huaian_support import (
    ANSWERS,
    FACTS,
    JOINT_REVIEWS,
    OK,
    PLAN,
    REJECT,
    RETURN,
    advance,
    personas,
    started,
)

REVIEW_ELEMENTS = sorted(element for _, element in JOINT_REVIEWS)


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _ended(people, iid):
    inst = people.instance(iid)
    return inst["status"], inst["outcome"], inst["outcome_label"], inst["outcome_reason"]


def _in_review(people):
    return started(people, until="ReviewCac")


# 机制一 — 不含学校、医院

def test_it_leaves_school_and_hospital_projects_out_of_scope(people):
    iid = people.start("amy", "huaian", {**FACTS, "school_or_hospital": True}, now=at("2026-11-01 10:00"))
    assert _ended(people, iid)[:3] == ("terminated", "out_of_scope", "学校、医院项目，不在本机制范围")


def test_it_has_no_yearly_declaration_deadline(people):
    iid = people.start("amy", "huaian", FACTS, now=at("2026-12-30 10:00"))
    assert people.ready(iid) == ["Planning"]
    assert people.ready_rows(iid)[0].due_at is None


# 机制四.1 — 需求单位会同市数据集团开展顶层设计；机制四.2 — 申请入库，市数据局审核

def test_it_plans_the_project_with_the_data_group_and_applies_for_the_library(people):
    iid = people.start("amy", "huaian", FACTS, now=at("2026-11-01 10:00"))
    roles = []
    for element in ("Planning", "TopLevelDesign", "ApplyLibrary", "LibraryReview"):
        [row] = people.ready_rows(iid)
        roles.append((row.element_id, row.role_key))
        who, data = ANSWERS[element]
        people.do(who, iid, element, data, now=at("2026-11-02 10:00"))
    assert roles == [("Planning", "applicant"), ("TopLevelDesign", "data_group"), ("ApplyLibrary", "applicant"),
                     ("LibraryReview", "data_bureau")]
    assert people.ready(iid) == ["PreparePlan"]


def test_it_does_not_fund_a_project_the_data_bureau_keeps_out_of_the_library(people):
    iid = started(people, until="LibraryReview")
    people.do("dan", iid, "LibraryReview", {"decision": "reject", "comment": "与已建系统重复"},
              now=at("2026-11-20 10:00"))
    assert _ended(people, iid) == ("terminated", "not_in_library", "未入库，原则上不予安排资金", "与已建系统重复")


def test_it_lets_the_data_bureau_fund_a_project_outside_the_library_with_a_recorded_reason(people):
    iid = started(people, until="LibraryReview")
    with pytest.raises(ValidationFailed) as err:
        people.do("dan", iid, "LibraryReview", {"decision": "reject", "comment": "未入库", "funding_exception": True},
                  now=at("2026-11-20 10:00"))
    assert "exception_reason" in err.value.errors
    people.do("dan", iid, "LibraryReview", {"decision": "reject", "comment": "未入库", "funding_exception": True,
                                            "exception_reason": "省定紧急任务"}, now=at("2026-11-20 10:00"))
    assert people.ready(iid) == ["PreparePlan"]


# 机制四.4 — 市数据局牵头会同市委网信办、市密码管理局、市档案局联合评估论证

def test_it_opens_the_three_joint_reviews_at_the_same_time(people):
    iid = _in_review(people)
    assert people.ready(iid) == REVIEW_ELEMENTS
    for who, element in JOINT_REVIEWS:
        assert [t["name"] for t in people.inbox(who)] == [element]
    assert people.inbox("dan") == []


@pytest.mark.parametrize("returning", [element for _, element in JOINT_REVIEWS])
def test_each_joint_reviewer_can_return_the_plan_and_every_review_is_redone(people, returning):
    iid = _in_review(people)
    for who, element in JOINT_REVIEWS:
        people.do(who, iid, element, RETURN if element == returning else OK, now=at("2026-12-05 10:00"))
    assert people.ready(iid) == ["PreparePlan"]
    detail = views.task_detail(people.ctx, people.amy, people.task("amy", iid, "PreparePlan")["id"])
    assert [r["comment"] for r in detail["returns"]] == ["请补充完善"]
    people.do("amy", iid, "PreparePlan", {**PLAN, "revision_note": "已补充"}, now=at("2026-12-08 10:00"))
    assert people.ready(iid) == REVIEW_ELEMENTS
    for who, element in JOINT_REVIEWS:          # the earlier approvals do not count again
        if element != returning:
            people.do(who, iid, element, OK, now=at("2026-12-09 10:00"))
    assert people.ready(iid) == [returning]
    people.do(dict((e, w) for w, e in JOINT_REVIEWS)[returning], iid, returning, OK, now=at("2026-12-10 10:00"))
    assert people.ready(iid) == ["ReviewConclusion"]


def test_a_return_in_the_second_round_still_counts_after_approvals_in_the_first(people):
    iid = _in_review(people)
    for who, element in JOINT_REVIEWS:
        people.do(who, iid, element, RETURN if element == "ReviewCac" else OK, now=at("2026-12-05 10:00"))
    people.do("amy", iid, "PreparePlan", PLAN, now=at("2026-12-08 10:00"))
    for who, element in JOINT_REVIEWS:
        people.do(who, iid, element, RETURN if element == "ReviewArchives" else OK, now=at("2026-12-09 10:00"))
    assert people.ready(iid) == ["PreparePlan"]


def test_the_data_bureau_concludes_on_necessity_and_feasibility_after_the_three_reviews(people):
    iid = _in_review(people)
    for who, element in JOINT_REVIEWS:
        people.do(who, iid, element, OK, now=at("2026-12-05 10:00"))
    assert people.ready(iid) == ["ReviewConclusion"]
    people.do("dan", iid, "ReviewConclusion", RETURN, now=at("2026-12-06 10:00"))
    assert people.ready(iid) == ["PreparePlan"]
    advance(people, iid, "ReviewConclusion", "2026-12-07 10:00")
    people.do("dan", iid, "ReviewConclusion", REJECT, now=at("2026-12-10 10:00"))
    assert _ended(people, iid) == ("terminated", "rejected", "联合评估论证未通过", "不具备建设必要性")


# 附件3流程.2 — 市数据集团评估工作量，市数据局确认，市财政预算评审中心概算评审

def test_the_data_group_estimates_the_workload_for_the_data_bureau_and_finance_reviews_the_estimate(people):
    iid = started(people, until="EstimateWorkload")
    people.do("gina", iid, "EstimateWorkload", ANSWERS["EstimateWorkload"][1], now=at("2026-12-15 10:00"))
    people.do("dan", iid, "ConfirmWorkload", RETURN, now=at("2026-12-16 10:00"))
    assert people.ready(iid) == ["EstimateWorkload"]
    people.do("gina", iid, "EstimateWorkload", ANSWERS["EstimateWorkload"][1], now=at("2026-12-17 10:00"))
    people.do("dan", iid, "ConfirmWorkload", OK, now=at("2026-12-18 10:00"))
    assert people.ready(iid) == ["BudgetReview"]
    assert people.task("fred", iid, "BudgetReview")["role"] == "finance"


# 机制四.5 — 会同市财政局会商年度计划，报市政府同意；未列入年度建设计划的原则上不予建设

def test_it_ends_a_project_left_out_of_the_annual_plan(people):
    iid = started(people, until="GovernmentApproval")
    people.do("gov", iid, "GovernmentApproval", {"decision": "reject", "comment": "财力有限，暂缓"},
              now=at("2027-01-10 10:00"))
    assert _ended(people, iid) == ("terminated", "not_in_plan", "未列入年度建设计划，原则上不予建设", "财力有限，暂缓")


def test_it_builds_a_project_outside_the_plan_only_with_a_recorded_reason(people):
    iid = started(people, until="GovernmentApproval")
    people.do("gov", iid, "GovernmentApproval", {"decision": "reject", "comment": "未列入", "build_anyway": True,
                                                 "exception_reason": "市委专题会议确定当年建设"},
              now=at("2027-01-10 10:00"))
    assert people.ready(iid) == ["AnnualConstructionPlan"]


def test_it_routes_the_annual_plan_through_finance_the_data_bureau_and_the_government(people):
    iid = started(people, until="PlanConsult")
    steps = []
    while "AnnualConstructionPlan" not in people.ready(iid):
        [row] = people.ready_rows(iid)
        steps.append((row.element_id, row.role_key))
        who, data = ANSWERS[row.element_id]
        people.do(who, iid, row.element_id, data, now=at("2027-01-05 10:00"))
    assert steps == [("PlanConsult", "finance"), ("AnnualPlanProposal", "data_bureau"),
                     ("GovernmentApproval", "government")]


# 机制四.5第二段 — 运维由需求单位按年度报市数据局审核，市财政局复核后一并纳入年度计划

def test_it_sends_operation_projects_through_the_yearly_review_and_the_finance_recheck(people):
    iid = people.start("amy", "huaian", {**FACTS, "project_type": "operation", "total_investment": 60},
                       now=at("2026-11-01 10:00"))
    assert people.ready(iid) == ["OperationDeclare"]
    advance(people, iid, "PlanConsult", "2026-11-05 10:00")
    elements = [e["element"] for e in people.instance(iid)["history"] if e["event"] == "task_completed"]
    assert elements == ["OperationDeclare", "OperationReview", "OperationRecheck"]
    advance(people, iid, "OperationService", "2026-12-01 10:00")
    people.do("gina", iid, "OperationService", {"mode": "cooperative", "mode_reason": "需原厂支持", "team": "联合团队"},
              now=at("2027-01-10 10:00"))
    assert _ended(people, iid)[:2] == ("completed", "completed")


@pytest.mark.parametrize("element, who", [("OperationReview", "dan"), ("OperationRecheck", "fred")])
def test_it_ends_an_operation_request_the_data_bureau_or_finance_refuses(people, element, who):
    iid = people.start("amy", "huaian", {**FACTS, "project_type": "operation"}, now=at("2026-11-01 10:00"))
    advance(people, iid, element, "2026-11-05 10:00")
    people.do(who, iid, element, {"decision": "reject", "comment": "运维内容与已有合同重复"},
              now=at("2026-11-10 10:00"))
    assert _ended(people, iid)[:3] == ("terminated", "not_approved", "运维需求审核（复核）未通过")


def test_the_data_bureau_concluding_sees_the_three_technical_reviews_side_by_side(people):
    """机制四.4: 市数据局 concludes after 网信 ∥ 密码 ∥ 档案 and sees each opinion with who gave it."""
    iid = _in_review(people)
    for who, element in JOINT_REVIEWS:
        people.do(who, iid, element, OK, now=at("2026-12-05 10:00"))
    task = people.task("dan", iid, "ReviewConclusion")
    rows = views.task_detail(people.ctx, people.dan, task["id"])["opinions"]
    assert [r["element"] for r in rows] == ["ReviewCac", "ReviewCrypto", "ReviewArchives"]
    assert all(r["given"] and not r["negative"] and r["role"] for r in rows)
