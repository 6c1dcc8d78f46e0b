"""九江市数字化项目建设管理办法(试行) 第三十一条: 开展竣工验收前 the 数据共享 (市数据管理部门) and the
安全可靠、密码应用 (市委保密机要局) of a system are confirmed; 确认不通过的，不组织竣工验收，不安排运维经费 —
whether the yearly request is started by the August schedule or filed by the owner by hand."""
import pytest

from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_acceptance import APPLY, SMALL, _accepted, _applying
from tests.test_jiujiang_walk import OK
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
