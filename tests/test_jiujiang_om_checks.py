"""九江市数字化项目建设管理办法(试行) 第三十一条: 开展竣工验收前 the 数据共享 (市数据管理部门) and the
安全可靠、密码应用 (市委保密机要局) of a system are confirmed; 确认不通过的，不组织竣工验收，不安排运维经费 —
whether the yearly request is started by the August schedule or filed by the owner by hand."""
import pytest

from engine.errors import PermissionDenied, ValidationFailed
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_acceptance import APPLY, SMALL, _accepted, _applying
from tests.test_jiujiang_walk import OK, om_requested
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

REQUEST = {"project_name": "九江市智慧教育平台2027年度运维", "system_name": "九江市智慧教育平台"}


def _failed(people, ctx, failing: str) -> int:
    iid = _applying(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-20 10:00"))
    for who, element in (("dora", "DataSharingCheck"), ("cris", "SecureReliableCheck")):
        answer = {"decision": "reject", "comment": "确认不通过"} if element == failing else OK
        people.do(who, iid, element, answer, now=at("2026-10-22 10:00"))
    assert people.instance(iid)["outcome"] == "precheck_failed"
    return iid


def _filed_by_hand(people, project: int, when="2027-07-01 10:00") -> dict:
    people.deploy("jiujiang.om_funding")
    iid = runtime.start_instance(people.ctx, people.alice, "jiujiang.om_funding", REQUEST, now=at(when),
                                 parent_instance_id=project)
    return people.instance(iid)


@pytest.mark.parametrize("failing", ["DataSharingCheck", "SecureReliableCheck"])
def test_an_om_request_filed_by_hand_for_a_system_that_failed_its_checks_is_refused(people, ctx, failing):
    request = _filed_by_hand(people, _failed(people, ctx, failing))
    assert (request["status"], request["outcome"]) == ("terminated", "om_refused")
    assert "第三十一条" in request["outcome_reason"]
    assert request["active_tasks"] == []


def test_an_om_request_for_a_system_that_passed_its_checks_goes_to_the_om_plan(people, ctx):
    request = _filed_by_hand(people, _accepted(people, ctx, SMALL))
    assert [t["name"] for t in request["active_tasks"]] == ["SubmitOmPlan"]


def test_the_august_schedule_starts_no_om_request_for_a_system_that_failed_its_checks(people, ctx):
    _failed(people, ctx, "DataSharingCheck")
    people.deploy("jiujiang.om_funding")
    tick(ctx, at("2027-07-01 10:00"))
    assert [f for f in tick(ctx, at("2027-08-01 09:00:05")) if f.kind == "schedule"] == []


# 第三十一条 by hand — the request names its project, one of the unit's own systems past its 竣工验收, so the
# check above always applies

def test_an_om_request_filed_without_naming_its_project_is_refused(people):
    people.deploy("jiujiang.om_funding")
    with pytest.raises(ValidationFailed) as err:
        runtime.start_instance(people.ctx, people.alice, "jiujiang.om_funding", REQUEST, now=at("2027-07-01 10:00"))
    assert set(err.value.errors) == {"parent_instance_id"}


def test_an_om_request_for_a_project_not_yet_accepted_is_refused(people, ctx):
    project = _applying(people, ctx)                       # built, 竣工验收 not yet applied for
    with pytest.raises(ValidationFailed) as err:
        _filed_by_hand(people, project)
    assert "已竣工验收" in err.value.errors["parent_instance_id"]


def test_an_om_request_for_a_project_that_failed_its_acceptance_is_refused(people, ctx):
    project = _accepted(people, ctx, SMALL, {"decision": "reject", "comment": "功能未完成",
                                             "with_application_unit": True, "opinion_document": "验收意见.pdf"})
    assert people.instance(project)["outcome"] == "acceptance_failed"
    with pytest.raises(ValidationFailed):
        _filed_by_hand(people, project)


def test_an_om_request_for_another_units_system_is_refused(people, ctx):
    project = _accepted(people, ctx, SMALL)                # 九江市教育局's system
    people.deploy("jiujiang.om_funding")
    with pytest.raises(PermissionDenied):
        runtime.start_instance(people.ctx, people.bob, "jiujiang.om_funding", REQUEST, now=at("2027-07-01 10:00"),
                               parent_instance_id=project)


def test_an_om_request_for_a_system_in_operation_or_a_completed_one_is_taken(people, ctx):
    running = _accepted(people, ctx, SMALL)                # accepted, in operation before its 绩效自评
    assert people.instance(running)["status"] == "running"
    assert [t["name"] for t in _filed_by_hand(people, running)["active_tasks"]] == ["SubmitOmPlan"]
    operated = om_requested(people, REQUEST, now=at("2027-07-01 10:00"))   # a 运维类 project
    assert people.ready(operated) == ["SubmitOmPlan"]
