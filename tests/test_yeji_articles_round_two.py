"""叶集 rules found wrong or missing (issue 12), each on both sides of its boundary: 第二条 (only projects
列入部门预算 of 10万元 or less are out of scope), 第十九条 (a project not carried out in its year: written
reasons, funds may be reclaimed), 第二十三条 (the self-evaluation opens at acceptance), 第二十四条 (no
运维经费 for a system failing 汇聚/共享/密码/安全, read by the next 运维 project's 分配方案), 第二十七条
(整改 or 暂停 and next year's declarations cut)."""
from datetime import date
from decimal import Decimal

import pytest

from engine import workflow as wfx
from engine.clock import SHANGHAI
from engine.errors import ValidationFailed
from engine.models import ProcessInstance
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.yeji_walk import DECLARE, FACTS, OK, REVIEWERS, contracted, planned

ACCEPTANCE_MATERIALS = {"application_report": "验收申请报告.pdf", "construction_summary": "建设总结.pdf",
                        "security_assessment": "等保测评报告.pdf", "crypto_assessment": "密评报告.pdf"}
COMPLIANT = {"data_aggregated": True, "interconnected": True, "crypto_compliant": True, "security_compliant": True}


def _due_day(people, iid, element) -> date:
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at.astimezone(SHANGHAI).date()


# 第二条 — 对列入部门预算的10万元以下项目，可通过分散采购方式实施，不适用本办法

BUDGET_HOLDS = {"in_department_budget_holds": "yes", "comment": "已列入2027年部门预算（办公设备购置）"}
BUDGET_FAILS = {"in_department_budget_holds": "no", "comment": "2027年部门预算未安排该项目"}


def test_it_leaves_a_department_budget_project_of_exactly_10_wan_out_of_scope(people):
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 10, "in_department_budget": True},
                       now=at("2026-08-01 10:00"))
    assert people.ready(iid) == ["ConfirmDepartmentBudget"]
    assert people.task("fay", iid, "ConfirmDepartmentBudget")["role"] == "finance"
    people.do("fay", iid, "ConfirmDepartmentBudget", BUDGET_HOLDS, now=at("2026-08-03 10:00"))
    assert people.instance(iid)["outcome"] == "out_of_scope"


def test_the_finance_bureau_not_the_applicant_says_the_project_is_in_the_department_budget(people):
    """第二条: the exemption rests on the 部门预算, which 区财政局 keeps — a claim it finds untrue brings the
    project into the procedure."""
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 8, "in_department_budget": True},
                       now=at("2026-08-01 10:00"))
    people.do("fay", iid, "ConfirmDepartmentBudget", BUDGET_FAILS, now=at("2026-08-03 10:00"))
    assert people.ready(iid) == ["Declare"]
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "in_department_budget"]
    assert (fact["claimed"], fact["confirmed"], fact["holds"]) == (True, False, False)


def test_it_takes_a_project_of_10_wan_outside_the_department_budget_into_the_procedure(people):
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 10}, now=at("2026-08-01 10:00"))
    assert people.ready(iid) == ["Declare"]


def test_it_takes_a_department_budget_project_of_10_01_wan_into_the_procedure(people):
    iid = people.start("alice", "yeji", {**FACTS, "total_investment": 10.01, "in_department_budget": True},
                       now=at("2026-08-01 10:00"))
    assert people.ready(iid) == ["Declare"]


# 第十九条 — 项目当年度未按计划实施的，建设单位需书面向区数管局说明原因，项目资金视情收回

def test_it_asks_for_written_reasons_when_the_project_is_not_carried_out_in_its_year(people, ctx):
    iid = contracted(people, ctx)          # plan_year 2027, 4 months, implementation open
    tick(ctx, at("2027-12-31 23:00"))
    assert people.ready(iid) == ["Implement"]
    tick(ctx, at("2028-01-01 00:00:01"))
    assert people.ready(iid) == ["ExplainNotImplemented", "Implement"]
    people.do("alice", iid, "ExplainNotImplemented", {"reasons": "供应商延期交付", "progress": "预计2028年3月完成"},
              now=at("2028-01-05 10:00"))
    assert people.ready(iid) == ["FundRecovery", "Implement"]
    assert people.task("fay", iid, "FundRecovery")["role"] == "finance"


def test_it_asks_nothing_of_a_project_carried_out_in_its_year(people, ctx):
    iid = contracted(people, ctx)
    people.do("alice", iid, "Implement", {"finished": True}, now=at("2027-12-31 10:00"))
    tick(ctx, at("2028-01-02 10:00"))
    assert "ExplainNotImplemented" not in people.ready(iid)


# …also a project still before 实施 at the end of its year (启动、服务单位、采购、合同 not done)

BEFORE_IMPLEMENTATION = [
    ("alice", "ProjectStart", {"project_leader": "张主任", "start_date": "2027-01-05"}),
    ("dora", "ServiceUnits", {"supervisor_unit": "安徽某监理公司", "level_protection_unit": "某测评中心",
                              "third_party_test_unit": "某软件评测中心"}),
    ("pam", "Procurement", {"procurement_method": "public_tender", "winning_bidder": "某科技公司",
                            "contract_amount": 280, "secure_products": True}),
    ("alice", "Contract", {"contract_no": "YJ-2027-001", "contract_amount": 280, "signed_on": "2027-12-20",
                           "acceptance_date": "2028-06-30"}),
]


@pytest.mark.parametrize("waiting", [0, 1, 2, 3])
def test_it_asks_for_written_reasons_when_the_project_is_still_before_implementation_at_year_end(
        people, ctx, waiting):
    iid = planned(people, ctx)                     # plan_year 2027, approved 2026-12-01
    for who, element, answers in BEFORE_IMPLEMENTATION[:waiting]:
        people.do(who, iid, element, answers, now=at("2027-06-01 10:00"))
    step = BEFORE_IMPLEMENTATION[waiting][1]
    tick(ctx, at("2027-12-31 23:00"))
    assert people.ready(iid) == [step]
    tick(ctx, at("2028-01-01 00:00:01"))
    assert people.ready(iid) == sorted(["ExplainNotImplemented", step])
    people.do("alice", iid, "ExplainNotImplemented",
              {"reasons": "采购流标，重新组织招标", "progress": "预计2028年6月完成"}, now=at("2028-01-05 10:00"))
    assert people.ready(iid) == sorted(["FundRecovery", step])     # the preparation goes on meanwhile


def test_it_asks_nothing_at_year_end_of_a_project_that_reached_implementation_in_its_year(people, ctx):
    iid = planned(people, ctx)
    for who, element, answers in BEFORE_IMPLEMENTATION:
        people.do(who, iid, element, answers, now=at("2027-12-20 10:00"))
    people.do("alice", iid, "Implement", {"finished": True}, now=at("2027-12-30 10:00"))
    tick(ctx, at("2028-01-02 10:00"))
    assert "ExplainNotImplemented" not in people.ready(iid)


# …and a cross-year or longer project (第十五条 进度情况表) behind its plan at the end of its year. 附件2's
# 进度情况表 states the 预计完成时间; the plan is the 启动日期 (2027-01-05) plus the 预计建设周期.

QUARTERS_2027 = ["2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01"]


def _reported_through_2027(people, ctx, duration_months, cross_year, expected_finish):
    iid = contracted(people, ctx, duration_months=duration_months, cross_year=cross_year)
    for first_day in QUARTERS_2027:
        tick(ctx, at(f"{first_day} 00:00:01"))
        people.do("alice", iid, "ProgressReport", {"progress": "按计划推进", "invested": 60,
                                                   "expected_finish": expected_finish},
                  now=at(f"{first_day[:8]}06 10:00"))
        assert people.ready(iid) == ["ImplementReporting"]
    tick(ctx, at("2028-01-01 00:00:01"))
    return iid


def _q4_report(people, iid, expected_finish):
    people.do("alice", iid, "ProgressReport", {"progress": "第四季度完成系统联调", "invested": 200,
                                               "expected_finish": expected_finish}, now=at("2028-01-06 10:00"))
    return people.ready(iid)


@pytest.mark.parametrize("expected_finish, behind", [("2028-04-05", False), ("2028-04-06", True)])
def test_it_asks_a_cross_year_project_whose_year_end_report_falls_behind_its_plan_for_written_reasons(
        people, ctx, expected_finish, behind):
    iid = _reported_through_2027(people, ctx, 15, True, "2028-04-05")     # planned to finish 2028-04-05
    ready = _q4_report(people, iid, expected_finish)
    assert ready == (["ExplainNotImplemented", "ImplementReporting"] if behind else ["ImplementReporting"])


def test_a_cross_year_project_behind_its_plan_explains_while_it_goes_on_and_finance_may_reclaim(people, ctx):
    iid = _reported_through_2027(people, ctx, 15, True, "2028-04-05")
    _q4_report(people, iid, "2028-09-30")
    people.do("alice", iid, "ExplainNotImplemented",
              {"reasons": "需求变更导致工期顺延", "progress": "预计2028年9月完成"}, now=at("2028-01-10 10:00"))
    assert people.ready(iid) == ["FundRecovery", "ImplementReporting"]
    people.do("fay", iid, "FundRecovery",
              {"recovery": "partial", "recovered_amount": 40, "comment": "收回当年未支出部分"},
              now=at("2028-01-15 10:00"))
    assert people.ready(iid) == ["ImplementReporting"]
    tick(ctx, at("2028-04-01 00:00:01"))                # a later slip is no longer the plan year's
    assert _q4_report(people, iid, "2028-12-31") == ["ImplementReporting"]


def test_a_long_project_planned_to_finish_in_its_year_and_still_reporting_at_year_end_is_behind(people, ctx):
    """8 months from 2027-01-05: due 2027-09-05; still being implemented at the year-end report."""
    iid = _reported_through_2027(people, ctx, 8, False, "2027-09-05")
    assert _q4_report(people, iid, "2027-12-31") == ["ExplainNotImplemented", "ImplementReporting"]


def _explained(people, ctx):
    iid = contracted(people, ctx)
    tick(ctx, at("2028-01-01 00:00:01"))
    people.do("alice", iid, "ExplainNotImplemented", {"reasons": "需求调整", "progress": "尚未开工"},
              now=at("2028-01-05 10:00"))
    return iid


def test_it_ends_the_project_when_the_finance_bureau_reclaims_all_its_funds(people, ctx):
    iid = _explained(people, ctx)
    people.do("fay", iid, "FundRecovery", {"recovery": "all", "comment": "当年度未实施，资金全部收回"},
              now=at("2028-01-10 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "funds_reclaimed")
    assert inst["outcome_reason"] == "当年度未实施，资金全部收回" and inst["active_tasks"] == []


def test_it_lets_the_project_go_on_when_funds_are_partly_reclaimed(people, ctx):
    iid = _explained(people, ctx)
    people.do("fay", iid, "FundRecovery", {"recovery": "partial", "recovered_amount": 50, "comment": "收回部分资金"},
              now=at("2028-01-10 10:00"))
    assert people.ready(iid) == ["Implement"] and people.instance(iid)["status"] == "running"


# 第二十三条 — 项目通过验收并投入运行后6个月内开展绩效自评价

def _accepted(people, ctx):
    iid = contracted(people, ctx)
    people.do("alice", iid, "Implement", {"finished": True}, now=at("2027-03-01 10:00"))
    people.do("cathy", iid, "SecurityCheck", OK, now=at("2027-03-05 10:00"))
    people.do("cris", iid, "CryptoCheck", OK, now=at("2027-03-05 11:00"))
    people.do("alice", iid, "PreliminaryAcceptance", {"passed": True, "accepted_on": "2027-03-15"},
              now=at("2027-03-15 10:00"))
    people.do("alice", iid, "AcceptanceApplication", ACCEPTANCE_MATERIALS, now=at("2027-04-01 10:00"))
    people.do("erin", iid, "ExpertAcceptance", OK, now=at("2027-04-10 10:00"))
    people.do("pam", iid, "PublicResourcesAcceptance", OK, now=at("2027-04-10 11:00"))   # 第二十二条
    people.do("dora", iid, "AcceptanceOpinion", OK, now=at("2027-04-12 10:00"))
    return iid


def test_it_opens_the_self_evaluation_at_acceptance_beside_the_payment(people, ctx):
    iid = _accepted(people, ctx)
    assert people.ready(iid) == ["Payment", "SelfEvaluation"]
    assert _due_day(people, iid, "SelfEvaluation") == date(2027, 10, 12)


def test_it_waits_for_both_payment_and_self_evaluation_before_the_post_evaluation(people, ctx):
    iid = _accepted(people, ctx)
    people.do("alice", iid, "SelfEvaluation", {"report": "自评报告.pdf", "operation_effect": "运行平稳"},
              now=at("2027-05-01 10:00"))
    assert people.ready(iid) == ["Payment"]
    people.do("fay", iid, "Payment", {"paid_amount": 280, "paid_on": "2027-06-20"}, now=at("2027-06-20 10:00"))
    assert people.ready(iid) == ["PostEvaluation"]


# 第二十四条 — 不能汇聚数据、互联互通共享、国产密码应用和网络安全要求的系统，不安排运维经费

def _evaluated(people, ctx, answers):
    iid = _accepted(people, ctx)
    people.do("fay", iid, "Payment", {"paid_amount": 280, "paid_on": "2027-04-20"}, now=at("2027-04-20 10:00"))
    people.do("alice", iid, "SelfEvaluation", {"report": "自评报告.pdf", "operation_effect": "运行平稳"},
              now=at("2027-09-01 10:00"))
    people.do("dora", iid, "PostEvaluation", {"rating": "good", "conclusion": "运行效率良好", **answers},
              now=at("2027-12-01 10:00"))
    return people.instance(iid)


def test_it_arranges_operation_funds_for_a_system_meeting_every_article_24_requirement(people, ctx):
    inst = _evaluated(people, ctx, COMPLIANT)
    assert (inst["status"], inst["outcome"], inst["outcome_reason"]) == ("completed", "completed", None)
    assert "MarkNoOmFunding" not in [h["element"] for h in inst["history"]]


def test_it_refuses_operation_funds_to_a_system_failing_the_crypto_requirement(people, ctx):
    inst = _evaluated(people, ctx, {**COMPLIANT, "crypto_compliant": False})
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")
    assert inst["outcome_reason"] == "系统未达到国产密码应用要求，不安排运维经费（第二十四条）"


def test_it_refuses_operation_funds_when_the_bureau_attests_nothing(people, ctx):
    inst = _evaluated(people, ctx, {})
    assert "汇聚相关数据" in inst["outcome_reason"] and "网络安全要求" in inst["outcome_reason"]


# …and the next year's 运维经费 (第二十九条: 后评价结果作为下一年度安排…运行维护经费的重要依据) reads it: 区财政局
# cannot put the 运维 project of a system that failed into the 专项资金安排计划.

def _om_declared(people, ctx, who, system_id=None, system_name="叶集区智慧教育平台"):
    """A 运维类 project of the system built by project `system_id` (None: a system not built on the platform,
    named only), declared in 2028 for 2029 and brought to 区财政局's 分配方案."""
    iid = people.start(who, "yeji", {**FACTS, "project_name": f"{system_name}2029年度运维", "project_type": "operation",
                                     "total_investment": 30, "plan_year": 2029}, now=at("2028-08-01 10:00"))
    maintained = {"maintained_project_id": system_id} if system_id is not None else {"maintained_project": system_name}
    people.do(who, iid, "Declare", {**DECLARE, "budget_estimate": 30, **maintained}, now=at("2028-08-03 10:00"))
    tick(ctx, at("2028-10-01 08:00"))
    for reviewer, element in REVIEWERS:
        people.do(reviewer, iid, element, OK, now=at("2028-10-20 10:00"))
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 30}, now=at("2028-11-03 10:00"))
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 30}, now=at("2028-11-10 10:00"))
    assert people.ready(iid) == ["FundAllocation"]
    return iid


FUND = {"decision": "approve", "allocated_amount": 30}


def test_finance_cannot_fund_the_operation_of_a_system_its_post_evaluation_failed(people, ctx):
    system = _evaluated(people, ctx, {**COMPLIANT, "crypto_compliant": False})["id"]    # 叶集区智慧教育平台, 2027-12-01
    iid = _om_declared(people, ctx, "alice", system)
    task = people.task("fay", iid, "FundAllocation")
    assert task["title"] == ("提出专项资金年度分配方案（第二十四条：叶集区智慧教育平台后评价未达到国产密码应用要求，"
                             "不安排运维经费）")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fay, task["id"], FUND, now=at("2028-11-12 10:00"))
    assert set(err.value.errors) == {"decision"} and "不安排运维经费" in err.value.errors["decision"]
    people.do("fay", iid, "FundAllocation", {"decision": "reject", "allocated_amount": 0,
                                             "comment": "第二十四条：密码应用不达标"}, now=at("2028-11-12 10:00"))
    assert people.ready(iid) == ["GovernmentApproval"]      # 原则上: 区政府 may still approve, with a reason


def test_finance_funds_the_operation_of_a_system_that_passed_its_post_evaluation(people, ctx):
    system = _evaluated(people, ctx, COMPLIANT)["id"]
    iid = _om_declared(people, ctx, "alice", system)
    assert people.task("fay", iid, "FundAllocation")["title"] == "提出专项资金年度分配方案"
    people.do("fay", iid, "FundAllocation", FUND, now=at("2028-11-12 10:00"))
    assert people.ready(iid) == ["GovernmentApproval"]


def test_a_failed_post_evaluation_bars_only_that_systems_operation_funds(people, ctx):
    _evaluated(people, ctx, {**COMPLIANT, "security_compliant": False})
    other_system = _om_declared(people, ctx, "alice", system_name="叶集区政务OA系统")   # not built on the platform
    people.do("fay", other_system, "FundAllocation", FUND, now=at("2028-11-12 10:00"))
    assert people.ready(other_system) == ["GovernmentApproval"]


def test_a_system_of_the_same_name_is_not_taken_for_the_one_that_failed(people, ctx):
    failed = _evaluated(people, ctx, {**COMPLIANT, "security_compliant": False})
    passed = _evaluated(people, ctx, COMPLIANT)          # another project of the unit, with the same name
    assert failed["project_name"] == passed["project_name"] and failed["id"] != passed["id"]
    iid = _om_declared(people, ctx, "alice", passed["id"])
    people.do("fay", iid, "FundAllocation", FUND, now=at("2028-11-12 10:00"))
    barred = _om_declared(people, ctx, "alice", failed["id"])
    assert "网络安全要求" in people.task("fay", barred, "FundAllocation")["title"]


def test_the_operation_project_chooses_its_system_among_the_units_own_projects(people, ctx):
    system = _evaluated(people, ctx, COMPLIANT)
    iid = people.start("alice", "yeji", {**FACTS, "project_name": "运维项目", "project_type": "operation",
                                         "total_investment": 30, "plan_year": 2029}, now=at("2028-08-01 10:00"))
    from engine.services import views
    field = views.task_detail(ctx, people.alice, people.task("alice", iid, "Declare")["id"])[
        "form"]["schema"]["properties"]["maintained_project_id"]
    assert field["enum"] == [system["id"]]
    assert field["x-enumNames"] == [f"叶集区智慧教育平台（编号 {system['id']}，已完成后评价）"]


def test_another_units_system_cannot_be_named_for_an_operation_project(people, ctx):
    system = _evaluated(people, ctx, COMPLIANT)["id"]           # alice's unit's system
    iid = people.start("bob", "yeji", {**FACTS, "project_name": "运维项目", "project_type": "operation",
                                       "total_investment": 30, "plan_year": 2029}, now=at("2028-08-01 10:00"))
    task = people.task("bob", iid, "Declare")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.bob, task["id"],
                              {**DECLARE, "budget_estimate": 30, "maintained_project_id": system},
                              now=at("2028-08-03 10:00"))
    assert set(err.value.errors) == {"maintained_project_id"}
    assert "请从列出的项目中选择" in err.value.errors["maintained_project_id"]


# 第二十七条 — 严重逾期、随意变更、重大损失：要求整改或者暂停项目建设，下一年度相应压缩其申报项目支出预算规模

def _order(people, iid, ground, suspend_now=False, now="2027-02-01 10:00"):
    people.deploy("yeji.rectification")
    return runtime.start_instance(people.ctx, people.dora, "yeji.rectification",
                                  {"ground": ground, "issue": "项目严重逾期", "deadline_days": 30,
                                   "suspend_now": suspend_now}, now=at(now), parent_instance_id=iid)


CUT = {"cut_year": 2028, "cut_percent": 20, "comment": "项目严重逾期，压缩下一年度申报预算规模"}


def test_it_lets_the_bureau_halt_construction_at_once_for_a_serious_delay(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid, "serious_delay", suspend_now=True)
    assert people.ready(rid) == ["BudgetCut"]
    people.do("dora", rid, "BudgetCut", CUT, now=at("2027-02-02 10:00"))
    assert people.instance(iid)["suspension"]["order"] == "暂停项目建设（第二十七条）"
    assert people.ready(rid) == ["RectifySuspended"] and people.ready(iid) == []


def test_it_asks_only_for_rectification_when_the_bureau_does_not_halt_construction(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid, "arbitrary_change")
    people.do("dora", rid, "BudgetCut", CUT, now=at("2027-02-02 10:00"))
    assert people.ready(rid) == ["Rectify"]
    assert people.instance(iid)["suspension"] is None and people.ready(iid) == ["Implement"]


def test_it_decides_no_budget_cut_for_an_article_26_finding(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid, "article_26", suspend_now=True)
    assert people.ready(rid) == ["Rectify"] and people.instance(iid)["suspension"] is None


def _to_annual_plan(people, ctx, who, plan_year):
    declared_in = plan_year - 1
    iid = people.start(who, "yeji", {**FACTS, "project_name": f"{who}的{plan_year}年度项目", "plan_year": plan_year},
                       now=at(f"{declared_in}-08-01 10:00"))
    people.do(who, iid, "Declare", DECLARE, now=at(f"{declared_in}-08-03 10:00"))
    tick(ctx, at(f"{declared_in}-10-01 08:00"))
    for reviewer, element in REVIEWERS:
        people.do(reviewer, iid, element, OK, now=at(f"{declared_in}-10-20 10:00"))
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 300},
              now=at(f"{declared_in}-11-03 10:00"))
    return iid


def _plan_amount(ctx, iid):
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
    [task] = [t for t in workflow.get_tasks() if t.task_spec.name == "FundAllocation" and t.state & wfx.TaskState.READY]
    return task.data["plan_amount"], task.data.get("budget_cut_percent")


def _cut_recorded(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid, "serious_delay")
    people.do("dora", rid, "BudgetCut", CUT, now=at("2027-02-02 10:00"))


def test_it_cuts_the_budget_of_the_units_declarations_in_the_next_year(people, ctx):
    _cut_recorded(people, ctx)
    iid = _to_annual_plan(people, ctx, "alice", 2029)        # declared in 2028, the year after the decision
    title = people.task("dora", iid, "AnnualPlan")["title"]
    assert title == "编制年度政务信息化项目建设计划（按第二十七条压缩申报预算规模20%）"
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 300}, now=at("2028-11-10 10:00"))
    assert _plan_amount(ctx, iid) == (Decimal("240.00"), 20)


def test_it_leaves_other_units_and_other_years_uncut(people, ctx):
    _cut_recorded(people, ctx)
    other_unit = _to_annual_plan(people, ctx, "bob", 2029)
    assert people.task("dora", other_unit, "AnnualPlan")["title"] == "编制年度政务信息化项目建设计划"
    people.do("dora", other_unit, "AnnualPlan", {"plan_amount": 300}, now=at("2028-11-10 10:00"))
    assert _plan_amount(ctx, other_unit) == (Decimal("300"), 0)
    later = _to_annual_plan(people, ctx, "alice", 2030)     # declared two years after the decision
    assert people.task("dora", later, "AnnualPlan")["title"] == "编制年度政务信息化项目建设计划"


def test_a_project_moved_from_a_version_that_kept_no_year_end_mark_is_still_asked_at_year_end(people, ctx):
    """A project contracted on an earlier yeji.bpmn has no `year_end_reviewed` (Contract's postScript set none
    then): moved onto this version, its year-end report is judged all the same."""
    iid = _reported_through_2027(people, ctx, 15, True, "2028-04-05")
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
        for task in workflow.get_tasks():
            task.data.pop("year_end_reviewed", None)
        inst.state = wfx.dumps(workflow)
    assert _q4_report(people, iid, "2028-04-06") == ["ExplainNotImplemented", "ImplementReporting"]
