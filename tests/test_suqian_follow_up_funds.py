"""宿迁 第六条: "…运行不正常的系统实行淘汰退出机制…市数据局对后续建设或运维服务项目不予审批，市财政局不予安排
预算资金"; 第三十六条: "未经验收的项目，不符合网络和数据安全及密码应用要求，未按等级（分级）保护标准要求等建设的
项目，市财政局不予安排后续建设资金和运维经费".

A follow-up names the system it continues by the earlier project's number (市数据局's CheckFollowUp). 市财政局's
资金审核 and 提出预算安排建议, 市数据局's 预算安排意见 (only 暂缓安排 then) and its 行业审查意见, read the unit's
systems when they are done: a system
eliminated, with funds withheld or never accepted bars the funds (and the approval) even when that came
about after the follow-up's registration."""
import pytest
from sqlalchemy import null, update

from engine.errors import ValidationFailed
from engine.models import ProcessInstance
from engine.services import runtime, systems, views
from engine.services.timers import tick
from tests.conftest import at
from tests.test_suqian_acceptance import _accepted, _operating, _reported
from tests.test_suqian_supervision import SELF_EVALUATION
from tests.test_suqian_support import ANSWERS, OK, advance, continues, eliminate, follow_up, personas, started

AUDITED = ANSWERS["FundReview"][1]
ARRANGED = ANSWERS["BudgetProposal"][1]
NOT_ARRANGED = {"arranged": False, "arranged_amount": 0, "comment": "所延续的系统不予安排后续资金"}
INSECURE = {**OK, "security_compliant": False, "rectify_by": "2028-03-31", "comment": "未通过密码应用安全性评估"}


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _at_finance(people, system, plan_year=2029, **facts) -> int:
    """A follow-up of `system` (市数据局 confirms its number), walked to 市财政局's 资金审核."""
    iid = follow_up(people, plan_year=plan_year, follows_system="宿迁市智慧警务平台", **facts)
    advance(people, iid, "FundReview", f"{plan_year - 1}-08-10 10:00", CheckFollowUp=continues(system))
    return iid


def _refused(people, who, iid, element, answers, now="2028-09-05 10:00") -> dict:
    task = people.task(who, iid, element)
    with pytest.raises(ValidationFailed) as refused:
        runtime.complete_task(people.ctx, getattr(people, who), task["id"], answers, now=at(now))
    assert people.ready(iid) == [element]
    return refused.value.errors


def _no_funds(people, iid, system, reason, now="2028-09-05 10:00") -> None:
    """Finance cannot arrange funds for the follow-up: 资金审核 only at 0, 预算安排 only 不予安排, with `reason`
    beside the field; the project ends 未落实财政预算 with finance's stated reason."""
    errors = _refused(people, "fay", iid, "FundReview", AUDITED, now)
    assert set(errors) == {"audited_amount"} and f"（项目编号{system}）" in errors["audited_amount"]
    assert reason in errors["audited_amount"]
    people.do("fay", iid, "FundReview", {**AUDITED, "audited_amount": 0}, now=at(now))
    errors = _refused(people, "dora", iid, "BudgetConsult", ANSWERS["BudgetConsult"][1], now)   # 正常安排
    assert set(errors) == {"priority"} and reason in errors["priority"]
    assert "只能提出暂缓安排的意见" in errors["priority"]
    people.do("dora", iid, "BudgetConsult", {"opinion": "所延续的系统不予安排", "priority": "defer"}, now=at(now))
    errors = _refused(people, "fay", iid, "BudgetProposal", ARRANGED, now)
    assert set(errors) == {"arranged"} and reason in errors["arranged"]
    people.do("fay", iid, "BudgetProposal", NOT_ARRANGED, now=at(now))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_budgeted")
    assert inst["outcome_reason"] == NOT_ARRANGED["comment"]


def _funded(people, iid, now="2028-09-05 10:00") -> None:
    advance(people, iid, "GovernmentApproval", now)
    assert people.ready(iid) == ["GovernmentApproval"]


# 第六条 — a system eliminated after the follow-up's registration: 市财政局 still arranges nothing

def test_finance_cannot_fund_the_follow_up_of_a_system_eliminated_after_its_registration(people, ctx):
    system = _operating(people, ctx)
    iid = _at_finance(people, system)                                    # registered while the system ran
    eliminate(people, system, now="2028-08-25 09:00")
    detail = views.task_detail(ctx, people.fay, people.task("fay", iid, "FundReview")["id"])
    [systems] = detail["records"]
    assert systems["element"] == "unit_systems"
    [row] = [r for r in systems["rows"] if r["instance_id"] == system]
    assert "已淘汰退出" in row["values"][-1]["value"]
    _no_funds(people, iid, system, "已淘汰退出，市数据局对后续建设或运维服务项目不予审批，市财政局不予安排预算资金")


def test_finance_funds_the_follow_up_of_an_accepted_system_meeting_the_security_rules(people, ctx):
    system = _operating(people, ctx)
    iid = _at_finance(people, system)
    _funded(people, iid)


def test_the_data_bureau_cannot_approve_a_follow_up_whose_system_was_eliminated_after_the_budget(people, ctx):
    system = _operating(people, ctx)
    iid = _at_finance(people, system, project_type="construction", total_investment=1500)
    advance(people, iid, "ApprovalRoute", "2028-09-05 10:00")
    people.do("nick", iid, "ApprovalRoute", {"route": "standard"}, now=at("2028-09-06 10:00"))
    advance(people, iid, "IndustryOpinion", "2028-09-08 10:00")
    eliminate(people, system, now="2028-09-25 09:00")
    errors = _refused(people, "dora", iid, "IndustryOpinion", {"decision": "approve", "opinion": "同意"},
                      now="2028-09-30 10:00")
    assert set(errors) == {"decision"} and "市数据局对后续建设或运维服务项目不予审批（第六条）" in errors["decision"]
    people.do("dora", iid, "IndustryOpinion", {"decision": "reject", "opinion": "原系统已淘汰退出"},
              now=at("2028-09-30 10:00"))
    overruled = {"decision": "approve", "override_reason": "确需建设", "comment": "同意"}   # not over 第六条
    errors = _refused(people, "nick", iid, "ApproveFeasibility", overruled, now="2028-10-08 10:00")
    assert set(errors) == {"decision"} and "不能说明理由后予以批复" in errors["decision"]


# 第三十六条 — 不符合网络和数据安全及密码应用要求: no 后续建设资金 until its 整改 passed

def _insecure(people, ctx) -> int:
    system = _reported(people, ctx)
    people.do("dora", system, "OpsReview", INSECURE, now=at("2028-01-20 10:00"))
    return system


def test_finance_cannot_fund_the_follow_up_of_a_system_whose_funds_are_withheld(people, ctx):
    system = _insecure(people, ctx)
    iid = follow_up(people, project_name="宿迁市智慧警务平台二期", project_type="construction")
    assert people.ready(iid) == ["CheckFollowUp"]                        # asked though the applicant names none
    advance(people, iid, "FundReview", "2028-08-10 10:00", CheckFollowUp=continues(system, holds="no"))
    _no_funds(people, iid, system, "不符合网络和数据安全及密码应用要求，市财政局不予安排后续建设资金和运维经费")


def test_finance_funds_the_follow_up_once_the_systems_rectification_passed(people, ctx):
    system = _insecure(people, ctx)
    people.do("ann", system, "Rectify", {"rectification": "已完成密码应用整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", system, "RectifyCheck", OK, now=at("2028-03-05 10:00"))     # funds_withheld lifted
    iid = _at_finance(people, system, project_name="宿迁市智慧警务平台二期", project_type="construction")
    _funded(people, iid)


def test_a_project_of_the_unit_continuing_none_of_its_systems_is_funded(people, ctx):
    _insecure(people, ctx)
    iid = follow_up(people, project_name="宿迁市交通执法平台", project_type="construction")
    advance(people, iid, "FundReview", "2028-08-10 10:00", CheckFollowUp=continues(None))
    _funded(people, iid)


# 第三十六条 — 未经验收的项目: a system still being built, or ended before its 竣工验收, gets no follow-up funds

def test_finance_cannot_fund_the_follow_up_of_a_system_still_being_built(people, ctx):
    system = started(people)                                             # 采购 under way, not accepted
    iid = _at_finance(people, system, plan_year=2028)
    _no_funds(people, iid, system, "尚未通过竣工验收，未经验收的项目，市财政局不予安排后续建设资金",
              now="2027-09-05 10:00")


def test_finance_cannot_fund_the_follow_up_of_a_system_terminated_before_its_acceptance(people, ctx):
    system = started(people)
    runtime.terminate_instance(ctx, people.mona, system, "建设单位撤回", now=at("2027-06-01 10:00"))
    iid = follow_up(people, plan_year=2028, project_name="宿迁市智慧警务平台（重建）", project_type="construction")
    assert people.ready(iid) == ["CheckFollowUp"]
    advance(people, iid, "FundReview", "2027-08-10 10:00", CheckFollowUp=continues(system, holds="no"))
    _no_funds(people, iid, system, "已终止，未经验收的项目", now="2027-09-05 10:00")


def _standing(people, iid) -> dict:
    return people.instance(iid)["standing"]


def test_a_project_publishes_whether_it_was_accepted_and_a_later_trial_year_end_does_not_undo_it(people, ctx):
    system = started(people)
    assert _standing(people, system) == {"accepted": False, "funds_withheld": False, "funds_withheld_reason": ""}
    system = _accepted(people, ctx, project_name="宿迁市健康档案系统")
    assert _standing(people, system)["accepted"] is True
    tick(ctx, at("2027-12-01 08:00"))                # the trial run's year-end, armed before the acceptance
    people.do("gail", system, "TrialSelfEvaluation", SELF_EVALUATION, now=at("2027-12-10 10:00"))
    assert _standing(people, system)["accepted"] is True


def test_init_db_publishes_the_standing_of_a_system_that_has_not_stepped_since_the_column_came(people, ctx, capsys):
    """A system whose funds were withheld before its project published a standing (a database of before
    migration 0016): until `govflow init-db` reads it from the workflow, nothing bars its follow-up."""
    from web.cli import main
    system = _insecure(people, ctx)
    published = _standing(people, system)
    assert published["funds_withheld"] is True
    with ctx.db.transaction() as session:
        session.execute(update(ProcessInstance).where(ProcessInstance.id == system).values(standing=null()))
    with ctx.db.transaction() as session:
        unit = session.get(ProcessInstance, system).applicant_unit_id
        listed = systems.unit_systems(session, ctx.registry.get("suqian"), unit)
    [row] = [s for s in listed if s["instance_id"] == system]
    assert row["adverse"] == []                                    # unread, nothing bars it
    assert main(["init-db"]) == 0
    assert "已补记 1 个项目的系统状态" in capsys.readouterr().out
    assert _standing(people, system) == published
    assert main(["init-db"]) == 0 and "已补记" not in capsys.readouterr().out        # once
    iid = follow_up(people, project_name="宿迁市智慧警务平台二期", project_type="construction")
    advance(people, iid, "FundReview", "2028-08-10 10:00", CheckFollowUp=continues(system, holds="no"))
    _no_funds(people, iid, system, "不符合网络和数据安全及密码应用要求，市财政局不予安排后续建设资金和运维经费")
