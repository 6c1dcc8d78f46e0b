"""瑶海区“四域四化”意见 二（四）17 (变更：合理理由 → “三重一大”集体研究 → 按《瑶海区信息化项目管理办法》审批) and
二（四）18 (延期：单位内部审核后报区数据资源局备案) — `yaohai.change_request`, started from a running project."""
import pytest

from engine.errors import ValidationFailed
from engine.services import runtime
from tests.conftest import at
from tests.test_yaohai_walk import MEETING, OK, advance, started
from tests.test_yaohai_walk import people as yaohai_people

people = yaohai_people  # the personas fixture

WHEN = at("2026-07-10 10:00")
CHANGE = {"request_kind": "change", "reason_type": "equipment_discontinued", "changed_content": "服务器型号更换",
          "change_plan": "变更方案.pdf"}
EXTENSION = {"request_kind": "extension", "new_completion_date": "2026-12-31", "extension_reason": "上级接口延期开放"}


def _request(people, who="amy") -> tuple[int, int]:
    project = started(people)
    advance(people, project, "Implementation")
    people.deploy("yaohai.change_request")
    iid = runtime.start_instance(people.ctx, getattr(people, who), "yaohai.change_request",
                                 {"project_name": "瑶海区智慧校园平台变更"}, now=WHEN, parent_instance_id=project)
    return project, iid


def test_a_change_request_hangs_off_its_running_project(people):
    project, iid = _request(people)
    detail = people.instance(iid)
    assert detail["parent_instance_id"] == project and detail["project_name"] == "瑶海区智慧校园平台"
    assert people.ready(iid) == ["DraftRequest"]


def test_a_change_request_cannot_be_started_on_its_own(people):
    people.deploy("yaohai.change_request")
    with pytest.raises(ValidationFailed):
        runtime.start_instance(people.ctx, people.amy, "yaohai.change_request", {"project_name": "变更"}, now=WHEN)


def test_a_change_for_another_reason_must_justify_itself(people):
    _, iid = _request(people)
    task = people.task("amy", iid, "DraftRequest")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.amy, task["id"], {**CHANGE, "reason_type": "other"}, now=WHEN)
    assert set(err.value.errors) == {"justification"}


def test_a_change_is_studied_collectively_then_approved_by_the_data_bureau(people):
    _, iid = _request(people)
    people.do("amy", iid, "DraftRequest", CHANGE, now=WHEN)
    assert people.ready(iid) == ["DeputyHeadReview"]
    assert people.task("dean", iid, "DeputyHeadReview")["title"] == "分管负责人审核（项目变更）"
    people.do("dean", iid, "DeputyHeadReview", OK, now=WHEN)
    people.do("lily", iid, "LeadershipMeeting", MEETING, now=WHEN)
    assert people.ready(iid) == ["ChangeApproval"]
    people.do("dora", iid, "ChangeApproval", OK, now=WHEN)
    assert people.instance(iid)["status"] == "completed"


@pytest.mark.parametrize("leadership, data_bureau, outcome", [
    ("reject", None, "internal_rejected"), ("approve", "reject", "change_rejected")])
def test_a_change_refused_internally_or_by_the_data_bureau_is_not_made(people, leadership, data_bureau, outcome):
    _, iid = _request(people)
    people.do("amy", iid, "DraftRequest", CHANGE, now=WHEN)
    people.do("dean", iid, "DeputyHeadReview", OK, now=WHEN)
    people.do("lily", iid, "LeadershipMeeting", {**MEETING, "decision": leadership, "comment": "不同意"}, now=WHEN)
    if data_bureau:
        people.do("dora", iid, "ChangeApproval", {"decision": data_bureau, "comment": "超出批复范围"}, now=WHEN)
    assert people.instance(iid)["outcome"] == outcome


def test_an_extension_is_reviewed_inside_the_unit_and_filed_with_the_data_bureau(people):
    _, iid = _request(people)
    people.do("amy", iid, "DraftRequest", EXTENSION, now=WHEN)
    assert people.ready(iid) == ["ExtensionReview"]
    assert people.inbox("hedy") == []                      # another unit's 分管负责人
    people.do("dean", iid, "ExtensionReview", OK, now=WHEN)
    people.do("dora", iid, "ExtensionFiling", {"confirmed": True}, now=WHEN)
    assert people.instance(iid)["status"] == "completed"


def test_an_extension_without_a_sound_reason_is_refused_inside_the_unit(people):
    _, iid = _request(people)
    people.do("amy", iid, "DraftRequest", EXTENSION, now=WHEN)
    people.do("dean", iid, "ExtensionReview", {"decision": "reject", "comment": "无科学合理理由"}, now=WHEN)
    assert people.instance(iid)["outcome"] == "extension_refused"
