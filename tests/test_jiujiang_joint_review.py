"""九江市数字化项目建设管理办法(试行) 第二十条 (联合会审: 数据管理部门 ∥ 发改委 ∥ 财政局 ∥ 国资委),
第二十三条 (领导小组审定; 限额以上省级审核) and 第二十四条 (启动通知 → 投资计划 ∥ 预算)."""
import pytest

from tests.conftest import at
from tests.test_jiujiang_walk import (
    JOINT,
    JOINT_OPINION,
    NOTICE,
    OK,
    consulted,
)
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

WHEN = at("2026-09-15 10:00")
JOINT_ELEMENTS = sorted(element for _, element in JOINT)


def test_the_four_joint_reviews_are_ready_at_once_each_in_its_bureau(people, ctx):
    iid = consulted(people, ctx)
    assert people.ready(iid) == JOINT_ELEMENTS
    for who, element in JOINT:
        assert [t["name"] for t in people.inbox(who) if t["instance_id"] == iid] == [element]
    assert people.inbox("alice") == []


@pytest.mark.parametrize("rejecter", JOINT, ids=[e for _, e in JOINT])
def test_any_joint_reviewer_rejecting_ends_the_project(people, ctx, rejecter):
    iid = consulted(people, ctx)
    for who, element in JOINT:
        answer = {"decision": "reject", "comment": "资金来源不落实"} if (who, element) == rejecter else OK
        people.do(who, iid, element, answer, now=WHEN)
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_reason"]) == ("terminated", "rejected", "资金来源不落实")


def test_a_return_sends_the_project_back_and_every_bureau_reviews_it_again(people, ctx):
    iid = consulted(people, ctx)
    for who, element in JOINT:
        answer = {"decision": "return", "comment": "请明确建设时序"} if who == "sam" else OK
        people.do(who, iid, element, answer, now=WHEN)
    assert people.ready(iid) == ["ReviseForJointReview"]
    people.do("alice", iid, "ReviseForJointReview", {"revision_note": "已明确"}, now=WHEN)
    assert people.ready(iid) == JOINT_ELEMENTS
    for who, element in JOINT:      # the stale return of the first round must not survive the join
        people.do(who, iid, element, OK, now=WHEN)
    assert people.ready(iid) == ["JointOpinion"]


def _reviewed(people, ctx, facts=None) -> int:
    iid = consulted(people, ctx, facts)
    for who, element in JOINT:
        people.do(who, iid, element, OK, now=WHEN)
    people.do("dora", iid, "JointOpinion", JOINT_OPINION, now=WHEN)
    return iid


def test_the_leading_group_decides_on_the_joint_opinion(people, ctx):
    iid = _reviewed(people, ctx)
    assert people.ready(iid) == ["LeadingGroupDecision"]
    people.do("leo", iid, "LeadingGroupDecision", {"decision": "reject", "comment": "暂缓建设"}, now=WHEN)
    assert people.instance(iid)["outcome"] == "not_approved"


def test_below_the_limit_the_start_notice_follows_the_leading_groups_decision(people, ctx):
    iid = _reviewed(people, ctx)
    people.do("leo", iid, "LeadingGroupDecision", OK, now=WHEN)
    assert people.ready(iid) == ["StartNotice"]


def test_above_the_limit_the_provincial_leading_group_reviews_before_approval(people, ctx):
    iid = _reviewed(people, ctx, {"total_investment": 1500, "province_assessed": True})
    people.do("leo", iid, "LeadingGroupDecision", OK, now=WHEN)
    assert people.ready(iid) == ["ProvincialReview"]
    people.do("pia", iid, "ProvincialReview", {"decision": "reject", "comment": "省级统建"}, now=WHEN)
    assert people.instance(iid)["outcome"] == "province_rejected"


def test_the_start_notice_opens_the_investment_plan_and_the_budget_alongside_the_approvals(people, ctx):
    iid = _reviewed(people, ctx, {"total_investment": 6000, "province_assessed": True})
    people.do("leo", iid, "LeadingGroupDecision", OK, now=WHEN)
    people.do("pia", iid, "ProvincialReview", OK, now=WHEN)
    people.do("olga", iid, "StartNotice", NOTICE, now=WHEN)
    assert people.ready(iid) == ["ArrangeBudget", "InvestmentPlan", "PrepareProposal"]
    assert [t["name"] for t in people.inbox("nick") if t["instance_id"] == iid] == ["InvestmentPlan"]
    assert [t["name"] for t in people.inbox("fay") if t["instance_id"] == iid] == ["ArrangeBudget"]


def test_the_data_bureau_forming_the_joint_opinion_sees_each_bureaus_review_side_by_side(people, ctx):
    """第二十条 并联会审: the one who writes the joint opinion sees every bureau's opinion, unit and time."""
    from engine.services import views
    iid = consulted(people, ctx)
    for who, element in JOINT:
        people.do(who, iid, element, {"decision": "approve", "comment": f"{element}同意"}, now=WHEN)
    task = people.task("dora", iid, "JointOpinion")
    rows = views.task_detail(people.ctx, people.dora, task["id"], now=WHEN)["opinions"]
    assert [r["element"] for r in rows] == ["JointReviewData", "JointReviewNdrc", "JointReviewFinance",
                                            "JointReviewSasac"]
    assert all(r["state"] == "completed" and not r["negative"] and r["by"] and r["unit"] for r in rows)
    assert [r["comment"] for r in rows] == [f"{r['element']}同意" for r in rows]
