"""九江市数字化项目建设管理办法(试行) 第二十五条 — the approval chain and its working-day clocks, each
checked against chinese_calendar across 国庆 2026 (10月1日–7日 off, 9月25日 中秋, 10月10日 a 调休 Saturday);
the reviewer's clock pauses while the text is back with the owner (不含…业主单位编修文本时间);
第二十六条 国资企业; the 5000万元 / 200万元 shortcuts; 第二十七条 delays of 30 working days."""
from datetime import date, timedelta

import pytest

from engine.calendars import Calendars
from engine.errors import ValidationFailed
from engine.services import orders, runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_walk import (
    BUDGET,
    BUDGET_OK,
    CONFIRM,
    DOCUMENT,
    FEASIBILITY,
    OK,
    due_of,
    launched,
    local_day,
    plan_and_budget,
    workdays_after,
)
from tests.test_jiujiang_walk import people as jiujiang_people
from tests.test_suqian_support import workflow_data

people = jiujiang_people  # the personas fixture

NOTICE_AT = "2026-09-24 10:00"          # the eve of 中秋 and 国庆
BIG = {"total_investment": 6000, "province_assessed": True}   # full chain, no merge choice


def _notice(people, ctx, facts=None) -> int:
    return launched(people, ctx, {**BIG, **(facts or {})}, notice_at=NOTICE_AT)


def _due(people, iid, element) -> date:
    return local_day(due_of(people, iid, element))


def _chain_to_feasibility(people, ctx, facts=None) -> int:
    iid = _notice(people, ctx, facts)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-09 10:00"))
    people.do("nick", iid, "ApproveProposal", OK, now=at("2026-10-12 10:00"))
    return iid


# (一) 自接到启动通知之日起10个工作日内编制项目建议书，市发改委于5个工作日内批复

def test_the_proposal_is_due_10_working_days_after_the_start_notice_across_the_national_day(people, ctx):
    iid = _notice(people, ctx)
    assert _due(people, iid, "PrepareProposal") == workdays_after(date(2026, 9, 24), 10) == date(2026, 10, 15)


def test_the_ndrc_approves_the_proposal_within_5_working_days(people, ctx):
    iid = _notice(people, ctx)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-09-30 16:00"))
    assert _due(people, iid, "ApproveProposal") == workdays_after(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_a_refused_proposal_ends_the_project_and_cancels_the_plan_and_budget(people, ctx):
    iid = _notice(people, ctx)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-09 10:00"))
    people.do("nick", iid, "ApproveProposal", {"decision": "reject", "comment": "不符合投资方向"},
              now=at("2026-10-12 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_approved")
    assert people.ready(iid) == []


# (二) 建议书获批后20个工作日内完成可研；技术评审15个工作日（不含需求确认及业主编修文本时间）；发改委6个工作日

def test_the_feasibility_study_is_due_20_working_days_after_the_proposal_was_approved(people, ctx):
    iid = _chain_to_feasibility(people, ctx)
    assert _due(people, iid, "PrepareFeasibility") == workdays_after(date(2026, 10, 12), 20)


def test_the_technical_review_clock_pauses_while_the_owner_edits_the_text(people, ctx):
    iid = _chain_to_feasibility(people, ctx)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    assert _due(people, iid, "TechReview") == workdays_after(date(2026, 10, 19), 15)
    people.do("dora", iid, "TechReview", {"decision": "return", "comment": "请确认数据需求"},
              now=at("2026-10-23 10:00"))              # 4 working days used: 20, 21, 22, 23
    assert people.ready(iid)[-1] == "ReviseForTechReview"
    assert due_of(people, iid, "ReviseForTechReview") is None
    people.do("alice", iid, "ReviseForTechReview", {"revision_note": "已确认"}, now=at("2026-11-06 10:00"))
    assert _due(people, iid, "TechReview") == workdays_after(date(2026, 11, 6), 11)
    people.do("dora", iid, "TechReview", OK, now=at("2026-11-10 10:00"))
    assert _due(people, iid, "ApproveFeasibility") == workdays_after(date(2026, 11, 10), 6)


def test_the_ndrc_clock_on_the_feasibility_study_pauses_while_the_owner_edits_it(people, ctx):
    iid = _chain_to_feasibility(people, ctx)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-22 10:00"))
    people.do("nick", iid, "ApproveFeasibility", {"decision": "return", "comment": "请修改投资估算"},
              now=at("2026-10-26 10:00"))              # 2 working days used: 23, 26
    people.do("alice", iid, "ReviseFeasibility", {"revision_note": "已修改"}, now=at("2026-11-02 10:00"))
    assert "ApproveFeasibility" in people.ready(iid)
    assert _due(people, iid, "ApproveFeasibility") == workdays_after(date(2026, 11, 2), 4)


def _feasibility_approved(people, ctx, facts=None) -> int:
    iid = _chain_to_feasibility(people, ctx, facts)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-22 10:00"))
    people.do("nick", iid, "ApproveFeasibility", OK, now=at("2026-10-26 10:00"))
    return iid


# (三) 初步设计30个工作日内（不含设计单位遴选时间）；发改委15个工作日（不含编修文本时间）；编修不超过20个工作日

def test_the_preliminary_design_clock_starts_after_the_design_unit_is_selected(people, ctx):
    iid = _feasibility_approved(people, ctx)
    assert "SelectDesignUnit" in people.ready(iid) and due_of(people, iid, "SelectDesignUnit") is None
    people.do("alice", iid, "SelectDesignUnit", {"design_unit": "甲设计院", "selection_method": "比选"},
              now=at("2026-11-09 10:00"))
    assert _due(people, iid, "PrepareDesign") == workdays_after(date(2026, 11, 9), 30)


def test_the_ndrc_design_clock_pauses_for_the_owners_revision_of_at_most_20_working_days(people, ctx):
    iid = _feasibility_approved(people, ctx)
    people.do("alice", iid, "SelectDesignUnit", {"design_unit": "甲设计院", "selection_method": "比选"},
              now=at("2026-11-02 10:00"))
    people.do("alice", iid, "PrepareDesign", {"document": "初设.pdf"}, now=at("2026-11-16 10:00"))
    assert _due(people, iid, "ApproveDesign") == workdays_after(date(2026, 11, 16), 15)
    people.do("nick", iid, "ApproveDesign", {"decision": "return", "comment": "按专家意见修改"},
              now=at("2026-11-23 10:00"))              # 5 working days used
    assert _due(people, iid, "ReviseDesign") == workdays_after(date(2026, 11, 23), 20)
    people.do("alice", iid, "ReviseDesign", {"revision_note": "已修改"}, now=at("2026-12-04 10:00"))
    assert _due(people, iid, "ApproveDesign") == workdays_after(date(2026, 12, 4), 10)


# (四) 初设获批后15个工作日内编制预算；财政局20个工作日（不含补充资料、核对、反馈）确定招标控制价；反馈5个工作日

def _design_approved(people, ctx, facts=None) -> int:
    iid = _feasibility_approved(people, ctx, facts)
    people.do("alice", iid, "SelectDesignUnit", {"design_unit": "甲设计院", "selection_method": "比选"},
              now=at("2026-11-02 10:00"))
    people.do("alice", iid, "PrepareDesign", {"document": "初设.pdf"}, now=at("2026-11-16 10:00"))
    people.do("nick", iid, "ApproveDesign", OK, now=at("2026-11-23 10:00"))
    return iid


def test_the_budget_clocks_pause_while_the_owner_supplements_and_gives_feedback(people, ctx):
    iid = _design_approved(people, ctx)
    assert _due(people, iid, "PrepareBudget") == workdays_after(date(2026, 11, 23), 15)
    people.do("alice", iid, "PrepareBudget", BUDGET, now=at("2026-11-30 10:00"))
    assert _due(people, iid, "ApproveBudget") == workdays_after(date(2026, 11, 30), 20)
    people.do("fay", iid, "ApproveBudget", {"decision": "return", "comment": "请补充软件定价依据"},
              now=at("2026-12-07 10:00"))              # 5 working days used
    assert _due(people, iid, "BudgetFeedback") == workdays_after(date(2026, 12, 7), 5)
    people.do("alice", iid, "BudgetFeedback", {"feedback": "已补充"}, now=at("2026-12-10 10:00"))
    assert _due(people, iid, "ApproveBudget") == workdays_after(date(2026, 12, 10), 15)


def test_the_approved_budget_sets_the_tender_ceiling(people, ctx):
    iid = _design_approved(people, ctx)
    people.do("alice", iid, "PrepareBudget", BUDGET, now=at("2026-11-30 10:00"))
    task = people.task("fay", iid, "ApproveBudget")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fay, task["id"], {"decision": "approve"}, now=at("2026-12-01 10:00"))
    assert set(err.value.errors) == {"approved_amount", "tender_ceiling"}
    people.do("fay", iid, "ApproveBudget", BUDGET_OK, now=at("2026-12-01 10:00"))
    assert people.ready(iid) == ["ArrangeBudget", "InvestmentPlan"]     # the chain waits for plan and budget
    plan_and_budget(people, iid, when="2026-12-02 10:00")
    assert people.ready(iid) == ["Procurement"]                          # 限额以上: no filing, 省级已审核


# 投资额小于200万元的建设类项目，技术方案通过技术评审后直接编制项目预算; 限额以下立项后报省备案 (第二十三条)

def test_a_small_construction_project_goes_from_the_technical_review_to_the_budget_and_is_filed(people, ctx):
    iid = launched(people, ctx, {"total_investment": 150}, notice_at=NOTICE_AT)
    people.do("alice", iid, "SubmitTechPlan", {"document": "技术方案.pdf"}, now=at("2026-09-28 10:00"))
    assert _due(people, iid, "TechReview") == workdays_after(date(2026, 9, 28), 15)
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-09 10:00"))
    assert _due(people, iid, "PrepareBudget") == workdays_after(date(2026, 10, 9), 15)
    people.do("alice", iid, "PrepareBudget", BUDGET, now=at("2026-10-12 10:00"))
    people.do("fay", iid, "ApproveBudget", BUDGET_OK, now=at("2026-10-13 10:00"))
    plan_and_budget(people, iid, when="2026-10-14 10:00")
    assert people.ready(iid) == ["ProvincialFiling"]
    people.do("olga", iid, "ProvincialFiling", CONFIRM, now=at("2026-10-14 10:00"))
    assert people.ready(iid) == ["Procurement"]


# 投资额小于5000万元的项目可合并编制项目建议书、可行性研究报告，直接审批可研，不再审批初步设计

def test_a_merged_proposal_and_feasibility_study_skips_the_preliminary_design(people, ctx):
    iid = launched(people, ctx, {"total_investment": 4999.99, "province_assessed": True}, notice_at=NOTICE_AT)
    people.do("alice", iid, "ChooseMerge", {"merge_documents": True, "reason": "建设内容单一"},
              now=at("2026-09-25 10:00"))
    assert "PrepareProposal" not in people.ready(iid)
    assert _due(people, iid, "PrepareFeasibility") == workdays_after(date(2026, 9, 24), 30)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-22 10:00"))
    people.do("nick", iid, "ApproveFeasibility", OK, now=at("2026-10-26 10:00"))
    assert "PrepareBudget" in people.ready(iid) and "SelectDesignUnit" not in people.ready(iid)


def test_an_owner_below_5000_may_keep_the_separate_proposal(people, ctx):
    iid = launched(people, ctx, {"total_investment": 4999.99, "province_assessed": True}, notice_at=NOTICE_AT)
    people.do("alice", iid, "ChooseMerge", {"merge_documents": False}, now=at("2026-09-25 10:00"))
    assert "PrepareProposal" in people.ready(iid)
    assert _due(people, iid, "PrepareProposal") == date(2026, 10, 15)


# 第二十六条 — 业主为市属国资监管企业：可研、初设、预算报市国资委审批，流程、时序参照第二十五条

def test_a_state_owned_enterprise_is_approved_by_the_sasac_with_the_same_clocks(people, ctx):
    iid = _notice(people, ctx, {"owner_type": "soe"})
    assert _due(people, iid, "PrepareFeasibility") == workdays_after(date(2026, 9, 24), 20)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-22 10:00"))
    assert "ApproveFeasibilitySasac" in people.ready(iid) and "ApproveFeasibility" not in people.ready(iid)
    assert _due(people, iid, "ApproveFeasibilitySasac") == workdays_after(date(2026, 10, 22), 6)
    assert [t["name"] for t in people.inbox("sam") if t["instance_id"] == iid] == ["ApproveFeasibilitySasac"]
    people.do("sam", iid, "ApproveFeasibilitySasac", {"decision": "return", "comment": "补充"},
              now=at("2026-10-26 10:00"))
    people.do("alice", iid, "ReviseFeasibility", {"revision_note": "已补充"}, now=at("2026-10-30 10:00"))
    assert _due(people, iid, "ApproveFeasibilitySasac") == workdays_after(date(2026, 10, 30), 4)
    people.do("sam", iid, "ApproveFeasibilitySasac", OK, now=at("2026-11-02 10:00"))
    people.do("alice", iid, "SelectDesignUnit", {"design_unit": "乙设计院", "selection_method": "招标"},
              now=at("2026-11-02 10:00"))
    people.do("alice", iid, "PrepareDesign", {"document": "初设.pdf"}, now=at("2026-11-16 10:00"))
    assert _due(people, iid, "ApproveDesignSasac") == workdays_after(date(2026, 11, 16), 15)
    people.do("sam", iid, "ApproveDesignSasac", OK, now=at("2026-11-20 10:00"))
    people.do("alice", iid, "PrepareBudget", BUDGET, now=at("2026-11-23 10:00"))
    assert _due(people, iid, "ApproveBudgetSasac") == workdays_after(date(2026, 11, 23), 20)
    people.do("sam", iid, "ApproveBudgetSasac", BUDGET_OK, now=at("2026-11-24 10:00"))
    assert people.ready(iid) == ["ArrangeBudget", "InvestmentPlan"]


# 第二十七条 — 因业主原因前期工作进度延后30个工作日以上的，经数据管理部门审定后不予安排项目资金

def _after_workdays_late(n):
    """Just after the end of the n-th working day past the proposal's deadline (15 October)."""
    return at(f"{workdays_after(date(2026, 10, 15), n).isoformat()} 23:59:59") + timedelta(seconds=2)


def _on_workday_late(n, hour="09:00"):
    """During the n-th working day past the proposal's deadline (15 October): n working days late."""
    return at(f"{workdays_after(date(2026, 10, 15), n).isoformat()} {hour}")


# 以上 includes the number: an owner who is into the 30th working day past the deadline is 30 days late

@pytest.mark.parametrize("late_days, flagged", [(29, False), (30, True)])
def test_an_owner_30_working_days_late_goes_to_the_data_bureau(people, ctx, late_days, flagged):
    iid = _notice(people, ctx)
    tick(ctx, _on_workday_late(late_days))
    assert ("DelayDetermination" in people.ready(iid)) is flagged
    assert "PrepareProposal" in people.ready(iid)           # the owner can still hand it in


@pytest.mark.parametrize("late_days, flagged", [(29, False), (30, True)])
def test_an_owner_handing_in_exactly_30_working_days_late_is_still_determined(people, ctx, late_days, flagged):
    iid = _notice(people, ctx)
    tick(ctx, _on_workday_late(late_days))
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=_on_workday_late(late_days, "16:00"))
    tick(ctx, _on_workday_late(late_days + 5))
    assert ("DelayDetermination" in people.ready(iid)) is flagged


def test_the_data_bureau_withholds_funding_from_a_project_delayed_30_working_days(people, ctx):
    iid = _notice(people, ctx)
    tick(ctx, _after_workdays_late(30))
    people.do("dora", iid, "DelayDetermination", {"decision": "reject", "comment": "业主原因延后35个工作日",
                                                  "delayed_step": "项目建议书", "owner_caused": True},
              now=at("2026-12-01 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "delayed_no_funding")
    assert people.ready(iid) == []


def test_the_data_bureau_may_let_a_delayed_project_continue_with_a_reason(people, ctx):
    iid = _notice(people, ctx)
    tick(ctx, _after_workdays_late(30))
    people.do("dora", iid, "DelayDetermination", {"decision": "approve", "comment": "延后系上级政策调整所致",
                                                  "delayed_step": "项目建议书"}, now=at("2026-12-01 10:00"))
    assert people.instance(iid)["status"] == "running"
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-12-02 10:00"))
    assert "ApproveProposal" in people.ready(iid)


def test_the_delay_watch_ends_when_the_owner_hands_in_on_time(people, ctx):
    iid = _notice(people, ctx)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-09 10:00"))
    assert all(w["name"] != "DelayPrepareProposal" for w in people.instance(iid)["waiting"])


def test_a_technical_review_returned_before_the_national_day_resumes_with_the_days_left(people, ctx):
    iid = launched(people, ctx, {"total_investment": 150}, when="2026-09-18 10:00")
    people.do("alice", iid, "SubmitTechPlan", {"document": "技术方案.pdf"}, now=at("2026-09-21 10:00"))
    assert _due(people, iid, "TechReview") == workdays_after(date(2026, 9, 21), 15)
    people.do("dora", iid, "TechReview", {"decision": "return", "comment": "请确认需求"},
              now=at("2026-09-24 17:00"))               # used 22, 23, 24 (中秋 on the 25th)
    people.do("alice", iid, "ReviseForTechReview", {"revision_note": "需求已确认"}, now=at("2026-10-09 09:00"))
    assert _due(people, iid, "TechReview") == workdays_after(date(2026, 10, 9), 12) == date(2026, 10, 26)


# 第二十七条 — “前期工作进度延后30个工作日以上” is the project's preparatory work as a whole: the owner's
# delays add up across the preparatory steps (项目建议书 15 days late + 可研 15 days late = 30)

def _proposal_late_then_approved(people, ctx, late_days):
    """The owner hands the proposal in during the `late_days`-th working day past its deadline; the
    ndrc approves it that afternoon, so the feasibility study is due 20 working days later."""
    iid = _notice(people, ctx)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=_on_workday_late(late_days, "10:00"))
    people.do("nick", iid, "ApproveProposal", OK, now=_on_workday_late(late_days, "16:00"))
    return iid, workdays_after(workdays_after(date(2026, 10, 15), late_days), 20)


def _on_feasibility_late(due, n, hour="09:00"):
    return at(f"{workdays_after(due, n).isoformat()} {hour}")


@pytest.mark.parametrize("feasibility_late, flagged", [(14, False), (15, True)])
def test_delays_of_the_proposal_and_the_feasibility_study_add_up_to_30_working_days(
        people, ctx, feasibility_late, flagged):
    iid, due = _proposal_late_then_approved(people, ctx, 15)
    assert _due(people, iid, "PrepareFeasibility") == due
    tick(ctx, _on_feasibility_late(due, feasibility_late))
    assert ("DelayDetermination" in people.ready(iid)) is flagged   # 15 + 14 = 29 / 15 + 15 = 30
    assert "PrepareFeasibility" in people.ready(iid)


@pytest.mark.parametrize("feasibility_late, flagged", [(14, False), (15, True)])
def test_an_owner_handing_in_when_the_delays_total_30_working_days_is_determined(
        people, ctx, feasibility_late, flagged):
    iid, due = _proposal_late_then_approved(people, ctx, 15)
    tick(ctx, _on_feasibility_late(due, feasibility_late))
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=_on_feasibility_late(due, feasibility_late, "16:00"))
    tick(ctx, _on_feasibility_late(due, feasibility_late + 3))
    assert ("DelayDetermination" in people.ready(iid)) is flagged


def test_a_step_handed_in_on_time_adds_no_delay(people, ctx):
    iid = _notice(people, ctx)
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-15 16:00"))   # the deadline's own day
    people.do("nick", iid, "ApproveProposal", OK, now=at("2026-10-16 10:00"))
    due = workdays_after(date(2026, 10, 16), 20)
    tick(ctx, _on_feasibility_late(due, 29))
    assert "DelayDetermination" not in people.ready(iid)
    tick(ctx, _on_feasibility_late(due, 30))
    assert "DelayDetermination" in people.ready(iid)


def _fires_on(people, iid, element) -> str:
    [fires_at] = [w["fires_at"] for w in people.instance(iid)["waiting"] if w["name"] == element]
    return fires_at[:10]


def test_once_determined_the_delay_counts_anew_for_the_next_steps(people, ctx):
    iid = _notice(people, ctx)
    tick(ctx, _on_workday_late(30))
    people.do("dora", iid, "DelayDetermination", {"decision": "approve", "comment": "延后系上级政策调整所致",
                                                  "delayed_step": "项目建议书"}, now=_on_workday_late(30, "11:00"))
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=_on_workday_late(31, "10:00"))
    people.do("nick", iid, "ApproveProposal", OK, now=_on_workday_late(31, "16:00"))
    due = _due(people, iid, "PrepareFeasibility")
    # the 31 days already determined are not counted again: the feasibility study has its 29 days of grace
    assert _fires_on(people, iid, "DelayPrepareFeasibility") == \
        Calendars().calendar_for("jiujiang").add_workdays(due, 29).isoformat()


# Orders that act: a suspension (暂停) stops statutory clocks. A working-day clock loses only the working
# days the suspension took — a project held over 国庆 loses none — a calendar clock the time held.

def _held(people, ctx, iid, since, until):
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at(since))
    assert people.ready(iid) == []
    orders.resume_instance(ctx, people.mona, iid, "资金已落实", now=at(until))


def _delay_fires(people, iid) -> str:
    [timer] = [w for w in people.instance(iid)["waiting"] if w["name"] == "DelayPrepareProposal"]
    return timer["fires_at"]


def test_a_suspension_over_the_national_day_costs_the_working_day_clocks_nothing(people, ctx):
    iid = _notice(people, ctx)
    assert _due(people, iid, "PrepareProposal") == date(2026, 10, 15)
    assert _delay_fires(people, iid).startswith("2026-11-25T23:59:59")
    _held(people, ctx, iid, "2026-10-01 10:00", "2026-10-07 18:00")   # 国庆: no working day held
    assert _due(people, iid, "PrepareProposal") == date(2026, 10, 15)
    assert _delay_fires(people, iid).startswith("2026-11-25T23:59:59")
    [resumed] = [h for h in people.instance(iid)["history"] if h.get("event") == "instance_resumed"] or [None]
    assert resumed is None or resumed["data"]["paused_workdays"] == 0


def test_a_suspension_of_two_working_days_moves_the_working_day_clocks_two_working_days(people, ctx):
    iid = _notice(people, ctx)
    _held(people, ctx, iid, "2026-10-12 10:00", "2026-10-14 10:00")   # Monday → Wednesday: 13日, 14日
    assert _due(people, iid, "PrepareProposal") == workdays_after(date(2026, 10, 15), 2) == date(2026, 10, 19)
    assert _delay_fires(people, iid).startswith("2026-11-27T23:59:59")   # Wednesday 25日 → Friday 27日
    tick(ctx, at("2026-11-26 10:00"))
    assert "PrepareProposal" in people.ready(iid)


def test_the_working_days_a_project_was_suspended_do_not_count_as_the_owners_delay(people, ctx):
    """第二十七条 measures the owner's delay; days the project was held by an order are not the owner's."""
    iid = _notice(people, ctx)
    _held(people, ctx, iid, "2026-10-12 10:00", "2026-10-14 10:00")   # the proposal now due 10月19日
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-19 15:00"))
    assert workflow_data(ctx, iid)["prep_late"] == 0


def test_an_owner_late_after_a_suspension_is_late_by_the_working_days_past_the_moved_deadline(people, ctx):
    iid = _notice(people, ctx)
    _held(people, ctx, iid, "2026-10-12 10:00", "2026-10-14 10:00")
    people.do("alice", iid, "PrepareProposal", DOCUMENT, now=at("2026-10-21 15:00"))   # 20日, 21日 late
    assert workflow_data(ctx, iid)["prep_late"] == 2


# 第二十七条 with 第二十五条（二）、（三） — the owner's revision of the feasibility study has no time limit in the
# text ("不含…业主单位编修文本时间"), so it is never late; the revision of the design has one ("原则上不得超过20个
# 工作日") and its lateness adds to the preparatory delay

def test_revising_the_feasibility_study_has_no_deadline_and_adds_no_delay(people, ctx):
    iid = _chain_to_feasibility(people, ctx)
    people.do("alice", iid, "PrepareFeasibility", FEASIBILITY, now=at("2026-10-19 10:00"))
    people.do("dora", iid, "TechReview", OK, now=at("2026-10-22 10:00"))
    people.do("nick", iid, "ApproveFeasibility", {"decision": "return", "comment": "请修改投资估算"},
              now=at("2026-10-26 10:00"))
    assert due_of(people, iid, "ReviseFeasibility") is None
    tick(ctx, at("2027-01-15 10:00"))                  # some 55 working days later
    assert "DelayDetermination" not in people.ready(iid)
    people.do("alice", iid, "ReviseFeasibility", {"revision_note": "已修改"}, now=at("2027-01-15 10:00"))
    assert workflow_data(ctx, iid)["prep_late"] == 0


@pytest.mark.parametrize("extra, late", [(0, 0), (1, 1)])
def test_revising_the_design_past_its_20_working_days_adds_to_the_delay(people, ctx, extra, late):
    iid = _feasibility_approved(people, ctx)
    people.do("alice", iid, "SelectDesignUnit", {"design_unit": "甲设计院", "selection_method": "比选"},
              now=at("2026-11-02 10:00"))
    people.do("alice", iid, "PrepareDesign", {"document": "初设.pdf"}, now=at("2026-11-16 10:00"))
    people.do("nick", iid, "ApproveDesign", {"decision": "return", "comment": "按专家意见修改"},
              now=at("2026-11-23 10:00"))
    handed_in = workdays_after(date(2026, 11, 23), 20 + extra)
    people.do("alice", iid, "ReviseDesign", {"revision_note": "已修改"}, now=at(f"{handed_in.isoformat()} 10:00"))
    assert workflow_data(ctx, iid)["prep_late"] == late
