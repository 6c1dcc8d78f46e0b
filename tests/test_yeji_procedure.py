"""六安市叶集区政务信息化项目管理办法（叶政办〔2020〕19号）: every path of the 叶集 diagram."""
from datetime import date, datetime

import chinese_calendar
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.yeji_walk import (
    DECLARE,
    FACTS,
    OK,
    REVIEW_ELEMENTS,
    REVIEWERS,
    contracted,
    declared,
    in_review,
    planned,
    reviewed,
)


def _due(people, iid, element) -> datetime:
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at


def _local(value: datetime) -> tuple:
    from engine.clock import SHANGHAI
    local = value.astimezone(SHANGHAI)
    return local.date(), local.strftime("%H:%M:%S")


# 第二条 — 列入部门预算的10万元以下项目不适用本办法 (以下 includes 10; see also test_yeji_articles_round_two.py)

def test_it_leaves_projects_of_exactly_10_wan_out_of_scope(people):
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 10, "in_department_budget": True},
                       now=at("2026-08-01 10:00"))
    people.do("fay", iid, "ConfirmDepartmentBudget", {"in_department_budget_holds": "yes", "comment": "已列入部门预算"},
              now=at("2026-08-03 10:00"))   # 区财政局 confirms the 部门预算 (第二条)
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "out_of_scope")
    assert "不适用本办法" in inst["outcome_label"]
    assert people.ready(iid) == []


def test_it_takes_projects_of_10_01_wan_into_the_procedure(people):
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 10.01}, now=at("2026-08-01 10:00"))
    assert people.ready(iid) == ["Declare"]
    assert people.instance(iid)["status"] == "running"


# 第六条 — 每年10月份前申报下一年度项目

def test_it_defaults_the_plan_year_to_the_next_open_year(people):
    before = people.start("alice", "yeji", {**FACTS, "plan_year": None}, now=at("2026-09-30 23:00"))
    after = people.start("alice", "yeji", {**FACTS, "plan_year": None}, now=at("2026-10-01 09:00"))
    assert people.instance(before)["data"]["plan_year"] == 2027
    assert people.instance(after)["data"]["plan_year"] == 2028


def test_it_refuses_a_late_declaration_naming_the_deadline_and_the_next_open_year(people):
    with pytest.raises(ValidationFailed) as err:
        people.start("alice", "yeji", {**FACTS, "plan_year": 2027}, now=at("2026-10-01 09:00"))
    assert "2026年9月30日" in err.value.detail and "2028" in err.value.detail
    assert err.value.extra["next_open_year"] == 2028
    assert "plan_year" in err.value.errors


def test_it_accepts_a_late_urgent_project_for_the_current_list(people):
    iid = people.start("alice", "yeji", {**FACTS, "plan_year": 2027, "urgent": True}, now=at("2026-10-01 09:00"))
    assert people.ready(iid) == ["Declare"]
    assert _due(people, iid, "Declare") is None  # 增列 has no 9月30日 deadline


def test_it_gives_the_declaration_the_30_september_deadline(people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    assert _local(_due(people, iid, "Declare")) == (date(2026, 9, 30), "23:59:59")


# 第七条 — 每年10-12月份, 数管局会同财政、发改、机要(密码)、网信组织专家集中审查论证

def test_it_waits_for_the_october_review_window(people, ctx):
    iid = declared(people)
    inst = people.instance(iid)
    assert inst["active_tasks"] == []
    assert [w["name"] for w in inst["waiting"]] == ["WaitReviewWindow"]
    assert inst["waiting"][0]["fires_at"].startswith("2026-10-01T00:00:00+08:00")
    assert tick(ctx, at("2026-09-30 23:59")) == []
    assert people.ready(iid) == []


def test_it_opens_all_six_joint_reviews_at_once_in_october(people, ctx):
    iid = declared(people)
    fired = tick(ctx, at("2026-10-01 00:00:01"))
    assert [(f.kind, f.element_id) for f in fired] == [("timer", "WaitReviewWindow")]
    assert people.ready(iid) == REVIEW_ELEMENTS
    for who, element in REVIEWERS:
        assert [t["name"] for t in people.inbox(who) if t["instance_id"] == iid] == [element]
        assert _local(_due(people, iid, element)) == (date(2026, 12, 31), "23:59:59")


def test_it_routes_each_review_only_to_its_bureau(people, ctx):
    iid = in_review(people, ctx)
    assert [(t["instance_id"], t["name"]) for t in people.inbox("fay")] == [(iid, "ReviewFinance")]
    assert people.inbox("alice") == []
    assert people.inbox("bob") == []
    assert people.inbox("gary") == []


@pytest.mark.parametrize("rejecter", REVIEWERS, ids=[e for _, e in REVIEWERS])
def test_it_ends_the_project_rejected_when_any_joint_reviewer_rejects(people, ctx, rejecter):
    iid = in_review(people, ctx)
    for who, element in REVIEWERS:
        answer = {"decision": "reject", "comment": "资源共享性论证不足"} if (who, element) == rejecter else OK
        people.do(who, iid, element, answer, now=at("2026-10-20 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "rejected")
    assert inst["outcome_reason"] == "资源共享性论证不足"
    assert inst["outcome_label"] == "联合审查论证不通过"
    assert people.ready(iid) == []


def test_it_returns_the_declaration_to_the_applicant_and_redoes_every_review(people, ctx):
    iid = in_review(people, ctx)
    for who, element in REVIEWERS:
        answer = {"decision": "return", "comment": "请补充密码应用方案"} if who == "cris" else OK
        people.do(who, iid, element, answer, now=at("2026-10-20 10:00"))
    assert people.ready(iid) == ["Revise"]
    task = people.task("alice", iid, "Revise")
    from engine.services import views
    detail = views.task_detail(people.ctx, people.alice, task["id"])
    assert detail["returns"][0]["comment"] == "请补充密码应用方案"
    assert detail["returns"][0]["step"] == "区委机要局：密码应用安全性审查"
    people.do("alice", iid, "Revise", {"revision_note": "已补充密码应用方案"}, now=at("2026-10-25 10:00"))
    assert people.ready(iid) == REVIEW_ELEMENTS
    for who, element in REVIEWERS:
        people.do(who, iid, element, OK, now=at("2026-11-01 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]


def test_it_does_not_let_a_stale_return_survive_the_second_round(people, ctx):
    iid = in_review(people, ctx)
    for who, element in REVIEWERS:
        people.do(who, iid, element, {"decision": "return", "comment": "补充"} if who == "dora" else OK,
                  now=at("2026-10-20 10:00"))
    people.do("alice", iid, "Revise", {"revision_note": "已补充"}, now=at("2026-10-25 10:00"))
    # dora approves first this time, the others after her: her old "return" must not come back
    for who, element in REVIEWERS:
        people.do(who, iid, element, OK, now=at("2026-11-01 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]


# 附件3 — 区发改委：重点项目单独立项；列入区本级政府性投资计划

def test_it_sends_key_projects_to_the_ndrc_for_separate_approval(people, ctx):
    iid = reviewed(people, ctx, is_key_project=True)
    assert people.ready(iid) == ["KeyProjectApproval"]
    assert [t["name"] for t in people.inbox("nick")] == ["KeyProjectApproval"]


def test_it_sends_ordinary_projects_straight_to_the_investment_plan(people, ctx):
    iid = reviewed(people, ctx)
    assert people.ready(iid) == ["InvestmentPlan"]


def test_it_ends_a_key_project_the_ndrc_does_not_approve(people, ctx):
    iid = reviewed(people, ctx, is_key_project=True)
    people.do("nick", iid, "KeyProjectApproval", {"is_key_project_holds": "yes", "decision": "reject",
                                                  "comment": "不符合立项条件"}, now=at("2026-11-02 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_reason"]) == ("terminated", "not_approved", "不符合立项条件")


def test_the_ndrc_not_the_applicant_says_whether_a_project_is_a_key_project(people, ctx):
    """附件3 重点项目单独立项: the applicant's tick is a claim; 区发改委 (第五条 立项审批) finds it untrue and the
    project goes on as an ordinary one, to the investment plan, without a separate approval."""
    iid = reviewed(people, ctx, is_key_project=True)
    people.do("nick", iid, "KeyProjectApproval", {"is_key_project_holds": "no", "comment": "属一般应用系统升级"},
              now=at("2026-11-02 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "is_key_project"]
    assert (fact["claimed"], fact["confirmed"], fact["holds"]) == (True, False, False)


def test_a_key_project_the_ndrc_confirms_needs_its_decision_on_the_separate_approval(people, ctx):
    iid = reviewed(people, ctx, is_key_project=True)
    task = people.task("nick", iid, "KeyProjectApproval")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.nick, task["id"], {"is_key_project_holds": "yes"},
                              now=at("2026-11-02 10:00"))
    assert set(err.value.errors) == {"decision"}
    people.do("nick", iid, "KeyProjectApproval", {"is_key_project_holds": "yes", "decision": "approve",
                                                  "approval_no": "叶发改〔2026〕8号"}, now=at("2026-11-02 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "is_key_project"]
    assert (fact["claimed"], fact["confirmed"], fact["holds"]) == (True, True, True)


def test_it_does_not_end_a_project_left_out_of_the_investment_plan_on_the_spot(people, ctx):
    # 第二十一条 原则上: the 区政府 decides (tests/test_yeji_binding_opinions.py), not the listing itself
    iid = reviewed(people, ctx)
    people.do("nick", iid, "InvestmentPlan", {"decision": "reject", "comment": "年度投资规模已满"},
              now=at("2026-11-03 10:00"))
    assert people.ready(iid) == ["AnnualPlan"]


# 第八条 — 年度建设计划报区政府批准；未纳入专项资金安排计划的，原则上不安排财政资金

def test_it_ends_a_project_the_district_government_leaves_out_of_the_plan(people, ctx):
    iid = reviewed(people, ctx)
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 300}, now=at("2026-11-03 10:00"))
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 300}, now=at("2026-11-10 10:00"))
    people.do("fay", iid, "FundAllocation", {"decision": "approve", "allocated_amount": 300},
              now=at("2026-11-12 10:00"))
    people.do("gary", iid, "GovernmentApproval", {"decision": "reject", "comment": "资金不足"},
              now=at("2026-12-01 10:00"))
    inst = people.instance(iid)
    assert (inst["outcome"], inst["outcome_label"]) == ("not_in_plan", "未列入年度计划，原则上不安排财政资金")


def test_it_starts_construction_after_the_government_approves_the_plan(people, ctx):
    iid = planned(people, ctx)
    assert people.ready(iid) == ["ProjectStart"]


# 第十五条 — 建设时间超过6个月或跨年度：每季度第一个月前5个工作日报送进度情况表

@pytest.mark.parametrize("facts, reporting", [
    ({"duration_months": 6}, False),
    ({"duration_months": 7}, True),
    ({"duration_months": 3, "cross_year": True}, True),
])
def test_it_asks_for_quarterly_reports_only_over_6_months_or_across_years(people, ctx, facts, reporting):
    iid = contracted(people, ctx, **facts)
    assert people.ready(iid) == (["ImplementReporting"] if reporting else ["Implement"])
    waiting = [w["name"] for w in people.instance(iid)["waiting"]]
    # without quarterly reports the only clock is 第十九条's end of the plan year
    assert waiting == (["QuarterStart"] if reporting else ["YearEndNotImplemented"])


def test_it_asks_for_the_progress_report_in_the_first_5_working_days_of_the_quarter(people, ctx):
    iid = people.start("alice", "yeji", {**FACTS, "plan_year": 2026, "urgent": True, "duration_months": 9},
                       now=at("2026-01-05 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-01-06 10:00"))
    assert people.ready(iid) == REVIEW_ELEMENTS  # 增列: the 2025 window is already open
    for who, element in REVIEWERS:
        people.do(who, iid, element, OK, now=at("2026-01-20 10:00"))
    for who, element, data in [
        ("nick", "InvestmentPlan", {"decision": "approve", "plan_amount": 300}),
        ("dora", "AnnualPlan", {"plan_amount": 300}),
        ("fay", "FundAllocation", {"decision": "approve", "allocated_amount": 300}), ("gary", "GovernmentApproval", OK),
        ("alice", "ProjectStart", {"project_leader": "张主任", "start_date": "2026-02-02"}),
        ("dora", "ServiceUnits", {"supervisor_unit": "监理公司", "level_protection_unit": "测评中心",
                                  "third_party_test_unit": "评测中心"}),
        ("pam", "Procurement", {"procurement_method": "public_tender", "winning_bidder": "某公司",
                                "contract_amount": 280}),
        ("alice", "Contract", {"contract_no": "YJ-1", "contract_amount": 280, "signed_on": "2026-03-02",
                               "acceptance_date": "2026-12-31"}),
    ]:
        people.do(who, iid, element, data, now=at("2026-03-02 10:00"))
    assert people.ready(iid) == ["ImplementReporting"]
    assert tick(people.ctx, at("2026-03-31 23:59")) == []
    tick(people.ctx, at("2026-04-01 00:00:01"))
    assert people.ready(iid) == ["ProgressReport"]
    expected = date(2026, 4, 1)
    count = 1 if chinese_calendar.is_workday(expected) else 0
    while count < 5:
        expected = date.fromordinal(expected.toordinal() + 1)
        count += chinese_calendar.is_workday(expected)
    assert expected == date(2026, 4, 8)  # 清明 2026: 4月4日–6日
    row = people.ready_rows(iid)[0]
    assert _local(row.due_at) == (expected, "23:59:59") and not row.due_provisional
    people.do("alice", iid, "ProgressReport", {"progress": "完成需求分析", "invested": 80,
                                                "expected_finish": "2026-11-30"}, now=at("2026-04-03 10:00"))
    assert people.ready(iid) == ["ImplementReporting"]
    assert people.instance(iid)["waiting"][0]["fires_at"].startswith("2026-07-01T00:00:00+08:00")


def test_it_marks_a_progress_report_due_in_a_year_without_a_loaded_calendar_as_provisional(people, ctx):
    iid = contracted(people, ctx, duration_months=7)
    tick(ctx, at("2027-01-01 00:00:01"))
    [row] = people.ready_rows(iid)
    assert row.element_id == "ProgressReport"
    assert _local(row.due_at) == (date(2027, 1, 8), "23:59:59")  # 1月1日 off, then Mon 4 … Fri 8
    assert row.due_provisional is True


# 附件3 — 区委网信办：网络安全检查 ∥ 区委机要局：密码应用审查

def _implemented(people, ctx):
    iid = contracted(people, ctx)
    people.do("alice", iid, "Implement", {"finished": True}, now=at("2027-03-01 10:00"))
    return iid


def test_it_runs_the_security_and_crypto_checks_in_parallel(people, ctx):
    iid = _implemented(people, ctx)
    assert people.ready(iid) == ["CryptoCheck", "SecurityCheck"]


def test_it_sends_a_failed_security_check_back_for_rectification_and_checks_again(people, ctx):
    iid = _implemented(people, ctx)
    people.do("cathy", iid, "SecurityCheck", {"decision": "return", "comment": "等保整改"}, now=at("2027-03-05 10:00"))
    people.do("cris", iid, "CryptoCheck", OK, now=at("2027-03-05 11:00"))
    assert people.ready(iid) == ["RectifySecurity"]
    people.do("alice", iid, "RectifySecurity", {"rectification": "已整改"}, now=at("2027-03-10 10:00"))
    assert people.ready(iid) == ["CryptoCheck", "SecurityCheck"]


# 第二十二条 — 初步验收合格后1个月内提出竣工验收申请; 第二十三条 — 验收并投入运行后6个月内绩效自评价

def _accepting(people, ctx):
    iid = _implemented(people, ctx)
    people.do("cathy", iid, "SecurityCheck", OK, now=at("2027-03-05 10:00"))
    people.do("cris", iid, "CryptoCheck", OK, now=at("2027-03-05 11:00"))
    people.do("alice", iid, "PreliminaryAcceptance", {"passed": True, "accepted_on": "2027-03-15"},
              now=at("2027-03-15 10:00"))
    return iid


def test_it_gives_the_acceptance_application_one_month_after_preliminary_acceptance(people, ctx):
    iid = _accepting(people, ctx)
    assert people.ready(iid) == ["AcceptanceApplication"]
    assert _local(_due(people, iid, "AcceptanceApplication")) == (date(2027, 4, 15), "23:59:59")


ACCEPTANCE_MATERIALS = {"application_report": "验收申请报告.pdf", "construction_summary": "建设总结.pdf",
                        "security_assessment": "等保测评报告.pdf", "crypto_assessment": "密评报告.pdf"}


def test_it_returns_a_failed_acceptance_for_rectification(people, ctx):
    iid = _accepting(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-01 10:00"))
    people.do("erin", iid, "ExpertAcceptance", OK, now=at("2027-04-10 10:00"))
    people.do("pam", iid, "PublicResourcesAcceptance", OK, now=at("2027-04-10 11:00"))
    people.do("dora", iid, "AcceptanceOpinion", {"decision": "return", "comment": "缺少密评报告原件"},
              now=at("2027-04-12 10:00"))
    assert people.ready(iid) == ["RectifyAcceptance"]
    people.do("alice", iid, "RectifyAcceptance", {"rectification": "已补交"}, now=at("2027-04-15 10:00"))
    assert people.ready(iid) == ["AcceptanceApplication"]


def test_it_completes_the_whole_procedure_through_post_evaluation(people, ctx):
    iid = _accepting(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-01 10:00"))
    people.do("erin", iid, "ExpertAcceptance", OK, now=at("2027-04-10 10:00"))
    people.do("pam", iid, "PublicResourcesAcceptance", OK, now=at("2027-04-10 11:00"))
    people.do("dora", iid, "AcceptanceOpinion", OK, now=at("2027-04-12 10:00"))
    people.do("fay", iid, "Payment", {"paid_amount": 280, "paid_on": "2027-04-20"}, now=at("2027-04-20 10:00"))
    assert _local(_due(people, iid, "SelfEvaluation")) == (date(2027, 10, 12), "23:59:59")
    people.do("alice", iid, "SelfEvaluation", {"report": "自评报告.pdf", "operation_effect": "运行平稳"},
              now=at("2027-09-01 10:00"))
    people.do("dora", iid, "PostEvaluation", {"rating": "good", "conclusion": "运行效率良好"},
              now=at("2027-12-01 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_label"]) == ("completed", "completed", "已完成后评价")
    assert inst["ended_at"].startswith("2027-12-01T10:00")
    titles = [h["title"] for h in inst["history"] if h["event"] == "task_completed"]
    assert titles[0] == "项目申报" and titles[-1] == "项目后评价" and len(titles) == 26


def test_it_shows_each_persona_exactly_their_tasks(people, ctx):
    mine = in_review(people, ctx)
    theirs = people.start("bob", "yeji", {**FACTS, "project_name": "医保系统"}, now=at("2026-08-01 11:00"))
    expected = {"alice": [], "bob": [(theirs, "Declare")], "gary": [], "pam": [], "mona": []}
    expected.update({who: [(mine, element)] for who, element in REVIEWERS})
    for who, tasks in expected.items():
        assert [(t["instance_id"], t["name"]) for t in people.inbox(who)] == tasks, who


def test_it_waits_for_every_reviewer_of_the_new_round_after_a_return(people, ctx):
    """SpiffWorkflow would let the join count the previous round's arrivals (engine/joins.py)."""
    iid = in_review(people, ctx)
    for who, element in REVIEWERS:
        people.do(who, iid, element, {"decision": "return", "comment": "补充"} if who == "cathy" else OK,
                  now=at("2026-10-20 10:00"))
    people.do("alice", iid, "Revise", {"revision_note": "已补充"}, now=at("2026-10-25 10:00"))
    for who, element in REVIEWERS[:-1]:
        people.do(who, iid, element, OK, now=at("2026-11-01 10:00"))
        assert "ReviewCac" in people.ready(iid)
    assert people.ready(iid) == ["ReviewCac"]
    people.do("cathy", iid, "ReviewCac", OK, now=at("2026-11-02 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]
