"""宿迁 第三十六条 during construction, as an order that acts: 市数据局会同市网信、发改、财政、审计等部门 find that a
建设项目 misses its approved goals; 项目申报单位应会同实施单位限期整改；对拒不整改或整改后仍不符合要求的，将通报批评、
暂缓拨付建设资金及运维经费、暂停项目建设，直至项目终止. The side process `suqian.rectification` holds the
project (its tasks and clocks), gives it back, or ends it (engine/services/orders.py)."""
import pytest

from engine.errors import Conflict, PermissionDenied
from engine.models import Timer
from engine.services import runtime
from tests.conftest import at
from tests.test_input_hardening import browser, chinese_page
from tests.test_suqian_acceptance import _operating
from tests.test_suqian_support import building, decide_sanction, declared, order_rectification, personas, task_row
from tests.web.helpers import form_token

SUPERVISORS = ["dora", "cathy", "nick", "fay", "audrey"]   # 市数据局、市网信、发改、财政、审计 (第三十六条)


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _timers(ctx, iid):
    with ctx.db.transaction() as session:
        return {t.element_id: t.state for t in session.query(Timer).filter(Timer.instance_id == iid)}


@pytest.mark.parametrize("who", SUPERVISORS)
def test_each_department_article_36_names_can_order_a_project_under_construction_to_rectify(people, ctx, who):
    iid = building(people)
    rid = order_rectification(people, iid, who=who)
    assert people.ready(rid) == ["Rectify"]
    assert people.task("ann", rid, "Rectify")["role"] == "applicant"
    assert people.instance(rid)["parent_instance_id"] == iid and people.ready(iid) == ["Implement"]


@pytest.mark.parametrize("who", ["ben", "gus", "ann", "gail"])
def test_no_one_else_can_order_a_rectification(people, ctx, who):
    iid = building(people)
    with pytest.raises(PermissionDenied):
        order_rectification(people, iid, who=who)


def test_it_orders_the_construction_period_rectification_only_while_the_project_is_being_built(people, ctx):
    declaring = declared(people)
    with pytest.raises(Conflict) as refused:
        order_rectification(people, declaring, now="2026-08-05 10:00")
    assert "建设实施" in refused.value.detail
    operating = _operating(people, ctx)        # in 运维 the yearly evaluation's own 限期整改 applies
    with pytest.raises(Conflict):
        order_rectification(people, operating, now="2027-09-10 10:00")


@pytest.mark.parametrize("who", ["audrey", "nick"])
def test_the_department_that_ordered_it_checks_the_rectification_and_decides(people, ctx, who):
    iid = building(people)
    rid = order_rectification(people, iid, who=who)
    people.do("ann", rid, "Rectify", {"rectification": "已整改"}, now=at("2027-04-20 10:00"))
    assert [t["name"] for t in people.inbox(who) if t["instance_id"] == rid] == ["RectificationCheck"]
    assert [t for t in people.inbox("dora") if t["instance_id"] == rid] == []


def test_it_halts_construction_when_the_department_suspends_the_project(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    decide_sanction(people, rid, measures=["criticism", "suspend"])
    parent = people.instance(iid)
    assert parent["status"] == "running" and parent["active_tasks"] == []
    assert parent["suspension"]["order"] == "暂停项目建设" and parent["suspension"]["by_instance_id"] == rid
    assert [t["name"] for t in parent["suspended_tasks"]] == ["Implement"]
    assert _timers(ctx, iid)["YearEndEvaluation"] == "paused"       # the year-end clock stops too
    with pytest.raises(Conflict) as refused:
        runtime.complete_task(ctx, people.gail, task_row(ctx, iid, "Implement").id, {"finished": True},
                              now=at("2027-05-11 10:00"))
    assert "暂停项目建设" in refused.value.detail and "市数据局" in refused.value.detail
    assert people.ready(rid) == ["RectifySuspended"]


def test_it_resumes_construction_once_the_rectification_during_the_halt_passes(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    decide_sanction(people, rid, measures=["suspend"], now="2027-05-10 10:00")
    people.do("ann", rid, "RectifySuspended", {"rectification": "已实现数据共享"}, now=at("2027-05-20 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "approve", "comment": "整改到位，恢复建设"},
              now=at("2027-05-30 10:00"))
    parent = people.instance(iid)
    assert parent["suspension"] is None and people.ready(iid) == ["Implement"]
    assert _timers(ctx, iid)["YearEndEvaluation"] == "pending"
    assert people.instance(rid)["outcome"] == "resumed"


def test_it_keeps_the_project_halted_when_the_rectification_during_the_halt_still_fails(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    decide_sanction(people, rid, measures=["suspend"])
    people.do("ann", rid, "RectifySuspended", {"rectification": "仍在整改"}, now=at("2027-05-20 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "reject", "comment": "仍不符合要求"}, now=at("2027-05-30 10:00"))
    assert people.ready(rid) == ["SanctionDecision"] and people.instance(iid)["suspension"] is not None


def test_it_terminates_a_project_that_still_fails_after_rectification(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    decide_sanction(people, rid, measures=["criticism"], terminate=True)
    parent = people.instance(iid)
    assert (parent["status"], parent["outcome"]) == ("terminated", "terminated")
    assert people.ready(iid) == [] and people.instance(rid)["outcome"] == "project_terminated"


def test_a_criticism_alone_leaves_the_project_running_and_sets_a_new_deadline(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    decide_sanction(people, rid, measures=["criticism", "withhold_funds"], deadline_days=15)
    assert people.instance(iid)["suspension"] is None and people.ready(iid) == ["Implement"]
    assert people.ready(rid) == ["Rectify"]
    assert task_row(ctx, rid, "Rectify").due_at.date().isoformat() == "2027-05-25"


def test_it_leaves_the_project_alone_when_the_rectification_passes(people, ctx):
    iid = building(people)
    rid = order_rectification(people, iid)
    people.do("ann", rid, "Rectify", {"rectification": "已实现数据共享"}, now=at("2027-04-20 10:00"))
    people.do("dora", rid, "RectificationCheck", {"decision": "approve"}, now=at("2027-04-25 10:00"))
    assert people.instance(rid)["status"] == "completed"
    assert people.instance(iid)["suspension"] is None and people.ready(iid) == ["Implement"]


def test_the_project_page_offers_the_rectification_only_while_the_project_is_built(app, people, ctx):
    built = building(people)
    operating = _operating(people, ctx, project_name="宿迁市社保系统")
    people.deploy("suqian.rectification")
    people.deploy("suqian.monitoring")
    dora, ben = browser(app, people, "dora"), browser(app, people, "ben")
    assert "发起建设期限期整改（第三十六条）" in dora.get(f"/instances/{built}").get_data(as_text=True)
    assert "发起建设期限期整改" not in dora.get(f"/instances/{operating}").get_data(as_text=True)
    assert "发起月度运行监测" in ben.get(f"/instances/{operating}").get_data(as_text=True)
    assert "发起月度运行监测" not in ben.get(f"/instances/{built}").get_data(as_text=True)
    page = dora.get(f"/projects/new?parent={operating}&process=suqian.rectification")
    csrf = form_token(page.get_data(as_text=True))
    refused = dora.post("/projects/new", data={"process": "suqian.rectification", "parent_instance_id": operating,
                                               "issue": "未实现数据共享", "deadline_days": "30", "csrf_token": csrf})
    assert "当前不在" in chinese_page(refused, 409)
