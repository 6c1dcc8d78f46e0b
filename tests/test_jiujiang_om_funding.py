"""九江市数字化项目建设管理办法(试行) 第三十五条 (每年8月底前申请运维费用，数据管理部门会同财政局形成预算建议，
报市政府同意) and 第三十七条 (原则上不安排运维经费的四种情形) — the `jiujiang.om_funding` process."""
from datetime import date

import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from tests.conftest import at
from tests.test_jiujiang_walk import OK, due_of, local_day, om_requested
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

REQUEST = {"project_name": "九江市智慧教育平台2027年度运维", "system_name": "九江市智慧教育平台", "amount": 45}
PLAN = {"plan": "运维实施方案.pdf", "workload": "7×24小时运维", "amount": 45, "on_government_cloud": True,
        "data_shared": True}


def _requested(people, when="2026-07-01 10:00") -> int:
    iid = om_requested(people, REQUEST, now=at(when))
    people.do("alice", iid, "SubmitOmPlan", PLAN, now=at(when))
    return iid


def test_the_om_request_for_next_year_is_due_by_the_end_of_august(people):
    iid = om_requested(people, REQUEST, now=at("2026-07-01 10:00"))
    assert people.instance(iid)["data"]["plan_year"] == 2027
    assert local_day(due_of(people, iid, "SubmitOmPlan")) == date(2026, 8, 31)


def test_a_request_after_31_august_is_for_the_year_after(people):
    iid = om_requested(people, REQUEST, now=at("2026-09-01 10:00"))
    assert people.instance(iid)["data"]["plan_year"] == 2028
    with pytest.raises(ValidationFailed) as err:
        om_requested(people, {**REQUEST, "plan_year": 2027}, now=at("2026-09-01 10:00"))
    assert "2026年8月31日" in err.value.detail


def test_the_data_bureau_and_the_finance_bureau_review_together(people):
    iid = _requested(people)
    assert people.ready(iid) == ["OmReviewData", "OmReviewFinance"]


@pytest.mark.parametrize("n", range(1, 5))
def test_each_condition_of_article_37_refuses_the_om_funds(people, n):
    iid = _requested(people)
    people.do("dora", iid, "OmReviewData", {"decision": "approve", f"art37_{n}": True}, now=at("2026-09-10 10:00"))
    people.do("fay", iid, "OmReviewFinance", OK, now=at("2026-09-10 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "om_refused")
    assert "第三十七条第（" + "一二三四"[n - 1] + "）项" in inst["outcome_reason"]


def test_an_overrule_needs_a_recorded_reason(people):
    iid = _requested(people)
    task = people.task("dora", iid, "OmReviewData")
    with pytest.raises(ValidationFailed):
        runtime.complete_task(people.ctx, people.dora, task["id"],
                              {"decision": "approve", "art37_4": True, "art37_overruled": True}, now=at("2026-09-10"))
    people.do("dora", iid, "OmReviewData", {"decision": "approve", "art37_4": True, "art37_overruled": True,
                                            "art37_overrule_reason": "系统为应急备份，平时使用频率低"},
              now=at("2026-09-10 10:00"))
    people.do("fay", iid, "OmReviewFinance", OK, now=at("2026-09-10 10:00"))
    assert people.ready(iid) == ["OmBudgetProposal"]


def test_a_returned_plan_is_revised_and_reviewed_again_by_both(people):
    iid = _requested(people)
    people.do("dora", iid, "OmReviewData", OK, now=at("2026-09-10 10:00"))
    people.do("fay", iid, "OmReviewFinance", {"decision": "return", "comment": "工作量测算偏高"},
              now=at("2026-09-10 10:00"))
    assert people.ready(iid) == ["ReviseOmPlan"]
    people.do("alice", iid, "ReviseOmPlan", {"revision_note": "已调整"}, now=at("2026-09-12 10:00"))
    people.do("alice", iid, "SubmitOmPlan", {**PLAN, "amount": 40}, now=at("2026-09-12 10:00"))
    assert people.ready(iid) == ["OmReviewData", "OmReviewFinance"]


@pytest.mark.parametrize("agreed, outcome", [(True, "completed"), (False, "om_refused")])
def test_the_city_government_agrees_to_the_om_budget_proposal(people, agreed, outcome):
    iid = _requested(people)
    people.do("dora", iid, "OmReviewData", OK, now=at("2026-09-10 10:00"))
    people.do("fay", iid, "OmReviewFinance", OK, now=at("2026-09-10 10:00"))
    people.do("dora", iid, "OmBudgetProposal", {"proposed_amount": 40, "proposal": "按工作量核定"},
              now=at("2026-10-10 10:00"))
    people.do("gus", iid, "GovernmentOmApproval", OK if agreed else {"decision": "reject", "comment": "财力不足"},
              now=at("2026-11-10 10:00"))
    assert people.instance(iid)["outcome"] == outcome


def test_each_completed_system_is_asked_for_next_years_om_request_every_august(people, ctx):
    """第三十五条: every year, each system built under this 办法 files its 运维经费 request by 8月31日;
    the configured schedule starts one request per completed project on 1 August."""
    from engine.services.timers import tick
    from tests.test_jiujiang_acceptance import SMALL, _accepted
    project = _accepted(people, ctx, SMALL)
    tick(ctx, at("2027-04-27 09:00"))
    people.do("alice", project, "SelfEvaluation", {"report": "自评报告.pdf", "sent_to": True},
              now=at("2027-05-10 10:00"))
    assert people.instance(project)["status"] == "completed"
    people.deploy("jiujiang.om_funding")
    tick(ctx, at("2027-07-01 10:00"))
    started = [f for f in tick(ctx, at("2027-08-01 09:00:05")) if f.kind == "schedule"]
    assert len(started) == 1
    request = people.instance(started[0].instance_id)
    assert request["parent_instance_id"] == project and request["data"]["plan_year"] == 2028
    assert [t["name"] for t in request["active_tasks"]] == ["SubmitOmPlan"]
    assert local_day(due_of(people, request["id"], "SubmitOmPlan")) == date(2027, 8, 31)
    assert [f for f in tick(ctx, at("2027-08-02 09:00")) if f.kind.startswith("schedule")] == []


def test_an_om_request_can_still_be_filed_by_hand(people):
    iid = om_requested(people, {k: v for k, v in REQUEST.items() if k != "amount"},
                       now=at("2026-07-01 10:00"))
    assert people.ready(iid) == ["SubmitOmPlan"]
