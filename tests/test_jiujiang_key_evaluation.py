"""九江市数字化项目建设管理办法(试行) 第四十条: 市数据管理部门会同市财政局等 *适时* 开展重点绩效评价, proposes
整改意见, and the result weighs on next year's 建设和运维经费. It is a side process the data bureau starts
when it chooses (`jiujiang.key_evaluation`): it holds up neither the project's completion (第三十九条's
self-evaluation ends it) nor the August 运维经费 request (第三十五条)."""
import pytest

from engine.errors import PermissionDenied
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_acceptance import SMALL, _accepted
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

SCOPE = {"scope": "数据共享和应用成效", "partners": "市财政局"}


def _completed(people, ctx) -> int:
    iid = _accepted(people, ctx, SMALL)
    tick(ctx, at("2027-04-27 09:00"))
    people.do("alice", iid, "SelfEvaluation", {"report": "自评报告.pdf", "sent_to": True}, now=at("2027-05-10 10:00"))
    assert people.instance(iid)["status"] == "completed"
    return iid


def _evaluation(people, project, who="dora", when="2027-07-01 10:00") -> int:
    people.deploy("jiujiang.key_evaluation")
    return runtime.start_instance(people.ctx, getattr(people, who), "jiujiang.key_evaluation", SCOPE,
                                  now=at(when), parent_instance_id=project)


@pytest.mark.parametrize("rectify", [False, True])
def test_the_data_bureau_evaluates_a_completed_project_when_it_chooses_and_asks_for_rectification(
        people, ctx, rectify):
    evaluation = _evaluation(people, _completed(people, ctx))
    assert people.ready(evaluation) == ["KeyEvaluation"]
    people.do("dora", evaluation, "KeyEvaluation", {"result": "良", "rectification_required": rectify,
                                                    "rectification_opinion": "完善数据共享" if rectify else ""},
              now=at("2027-07-10 10:00"))
    if rectify:
        assert people.ready(evaluation) == ["Rectification"]
        assert [t["name"] for t in people.inbox("alice") if t["instance_id"] == evaluation] == ["Rectification"]
        people.do("alice", evaluation, "Rectification", {"rectification": "已完善"}, now=at("2027-07-20 10:00"))
    inst = people.instance(evaluation)
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")


def test_a_key_evaluation_under_way_does_not_hold_up_the_august_om_request(people, ctx):
    project = _completed(people, ctx)
    evaluation = _evaluation(people, project)
    people.deploy("jiujiang.om_funding")
    tick(ctx, at("2027-07-02 10:00"))
    started = [f for f in tick(ctx, at("2027-08-01 09:00:05")) if f.kind == "schedule"]
    assert len(started) == 1 and people.instance(started[0].instance_id)["parent_instance_id"] == project
    assert people.ready(evaluation) == ["KeyEvaluation"]          # still open


def test_a_project_still_in_operation_before_its_self_evaluation_can_be_evaluated(people, ctx):
    project = _accepted(people, ctx, SMALL)
    evaluation = _evaluation(people, project, when="2027-01-10 10:00")
    assert people.ready(evaluation) == ["KeyEvaluation"]
    assert people.ready(project) == []                          # waiting for 投入运行满6个月, untouched


def test_only_the_data_bureau_starts_a_key_evaluation(people, ctx):
    project = _accepted(people, ctx, SMALL)
    with pytest.raises(PermissionDenied):
        _evaluation(people, project, who="alice")
