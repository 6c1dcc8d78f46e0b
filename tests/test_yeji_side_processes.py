"""叶集's side processes: 第二十条 项目调整 and 第二十六条 限期整改 → 终止."""
import pytest

from engine.errors import Conflict, PermissionDenied, ValidationFailed
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.yeji_walk import contracted, declared

QUALIFYING = {"reason": "optimization", "within_budget": True, "goal_unchanged": True,
              "description": "优化数据接口方案", "adjusted_amount": 20}


def _change(people, iid, facts, who="alice", now="2027-02-01 10:00"):
    people.deploy("yeji.change_request")
    return runtime.start_instance(people.ctx, getattr(people, who), "yeji.change_request", facts,
                                  now=at(now), parent_instance_id=iid)


def test_it_sends_a_qualifying_change_to_the_government_then_files_it_with_the_data_bureau(people, ctx):
    iid = contracted(people, ctx)
    cid = _change(people, iid, QUALIFYING)
    child = people.instance(cid)
    assert child["parent_instance_id"] == iid and child["project_name"] == "叶集区智慧教育平台"
    assert people.ready(cid) == ["GovernmentDecision"]
    people.do("gary", cid, "GovernmentDecision", {"decision": "approve"}, now=at("2027-02-05 10:00"))
    people.do("dora", cid, "ChangeFiling", {"filing_no": "叶数备〔2027〕3号"}, now=at("2027-02-06 10:00"))
    assert people.instance(cid)["outcome"] == "completed"
    assert people.instance(iid)["status"] == "running"
    assert "child_started" in [h["event"] for h in people.instance(iid)["history"]]


@pytest.mark.parametrize("change", [
    {"within_budget": False}, {"goal_unchanged": False}, {"reason": "other"},
])
def test_it_tells_the_applicant_to_go_through_the_full_procedure_when_a_change_does_not_qualify(people, ctx, change):
    iid = contracted(people, ctx)
    cid = _change(people, iid, {**QUALIFYING, **change})
    inst = people.instance(cid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "redeclare")
    assert "重新履行" in inst["outcome_label"]


def test_it_records_a_change_the_government_refuses(people, ctx):
    iid = contracted(people, ctx)
    cid = _change(people, iid, QUALIFYING)
    people.do("gary", cid, "GovernmentDecision", {"decision": "reject", "comment": "超出规划框架"},
              now=at("2027-02-05 10:00"))
    assert people.instance(cid)["outcome"] == "change_rejected"


def test_it_lets_only_the_projects_own_unit_request_a_change(people, ctx):
    iid = contracted(people, ctx)
    with pytest.raises(PermissionDenied):
        _change(people, iid, QUALIFYING, who="bob")


def test_it_requires_a_project_for_a_change_request(people):
    people.deploy("yeji.change_request")
    with pytest.raises(ValidationFailed):
        runtime.start_instance(people.ctx, people.alice, "yeji.change_request", QUALIFYING, now=at("2027-02-01 10:00"))


def _order(people, iid, days=30, now="2027-02-01 10:00"):
    people.deploy("yeji.rectification")
    return runtime.start_instance(people.ctx, people.dora, "yeji.rectification",
                                  {"issue": "未按要求开展等保测评", "deadline_days": days},
                                  now=at(now), parent_instance_id=iid)


def test_it_routes_a_rectification_order_to_the_projects_own_unit(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    assert [t["name"] for t in people.inbox("alice") if t["instance_id"] == rid] == ["Rectify"]
    assert [t for t in people.inbox("bob") if t["instance_id"] == rid] == []


def test_it_closes_a_rectification_that_passes_the_check(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    people.do("alice", rid, "Rectify", {"rectification": "已完成等保测评"}, now=at("2027-02-20 10:00"))
    people.do("dora", rid, "RectificationCheck", {"decision": "approve"}, now=at("2027-02-22 10:00"))
    assert people.instance(rid)["outcome"] == "completed"
    assert people.instance(iid)["status"] == "running"


def test_it_terminates_the_project_when_the_deadline_passes_and_the_bureau_decides_so(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid, days=30)
    assert tick(ctx, at("2027-03-03 10:00")) == [] or people.ready(rid) == ["Rectify"]
    tick(ctx, at("2027-03-04 00:00:01"))
    assert people.ready(rid) == ["SanctionDecision"]
    people.do("dora", rid, "SanctionDecision", {"sanction": "terminate", "comment": "逾期未整改"},
              now=at("2027-03-05 10:00"))
    parent = people.instance(iid)
    assert (parent["status"], parent["outcome"]) == ("terminated", "terminated")
    assert parent["outcome_reason"] == "逾期未整改"
    assert parent["active_tasks"] == [] and parent["waiting"] == []
    with pytest.raises(Conflict):
        _order(people, iid, now="2027-03-06 10:00")


def test_it_lets_a_manager_terminate_a_project_with_a_reason(people, ctx):
    iid = declared(people)
    with pytest.raises(PermissionDenied):
        runtime.terminate_instance(ctx, people.dora, iid, "资金取消")
    with pytest.raises(ValidationFailed):
        runtime.terminate_instance(ctx, people.mona, iid, " ")
    runtime.terminate_instance(ctx, people.mona, iid, "年度资金取消", now=at("2026-09-01 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_reason"]) == ("terminated", "terminated", "年度资金取消")
    assert inst["waiting"] == []
    assert tick(ctx, at("2026-10-02 10:00")) == []
