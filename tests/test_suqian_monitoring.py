"""宿迁 第六条: 市大数据中心通过信息化手段对已建成运行的项目通过统一管理平台每月进行监测…对…运行不正常的系统实行淘汰
退出机制，强制收回云资源，关停相关系统，市数据局对后续建设或运维服务项目不予审批，市财政局不予安排预算资金.
The monthly schedule starts `suqian.monitoring` for each project in 运维 only; an elimination leaves a record
about the unit that 市数据局 checks the unit's later projects against, before registration and budget."""
import pytest

from engine.errors import Conflict
from engine.models import ProcessInstance
from engine.services import runtime
from engine.services.deploy import latest_version
from engine.services.timers import tick
from tests.conftest import at
from tests.test_suqian_acceptance import _live, _operating
from tests.test_suqian_support import DECLARE, FACTS, personas

FINDING_IDLE = {"result": "abnormal", "abnormal_reasons": ["idle"], "comment": "连续三个月无人访问"}
SHUTDOWN = {"cloud_reclaimed": True, "shutdown_date": "2028-04-10", "comment": "已收回云资源并关停"}


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _monitorings(ctx):
    with ctx.db.transaction() as session:
        return [(i.parent_instance_id, i.started_by_id, i.facts.get("month"))
                for i in session.query(ProcessInstance).filter(ProcessInstance.process_key == "suqian.monitoring")
                .order_by(ProcessInstance.id)]


def _start(people, parent, now="2028-03-25 09:00"):
    people.deploy("suqian.monitoring")
    return runtime.start_instance(people.ctx, people.ben, "suqian.monitoring",
                                  {"project_name": "宿迁市智慧警务平台", "month": "2028-03"},
                                  now=at(now), parent_instance_id=parent)


def test_it_monitors_each_month_only_the_projects_built_and_in_operation(people, ctx):
    running = _operating(people, ctx)
    building = _live(people, project_name="宿迁市健康档案系统")      # in 试运行, not yet accepted
    people.deploy("suqian.monitoring")
    tick(ctx, at("2028-03-20 10:00"))                                  # the cycle is set up: next 3月25日
    assert _monitorings(ctx) == []
    tick(ctx, at("2028-03-25 09:00:05"))
    assert _monitorings(ctx) == [(running, people.ben, "2028-03")]
    assert building != running
    [row] = [t for t in people.inbox("ben") if t["name"] == "MonitoringFinding"]
    assert row["due_at"].startswith("2028-03-31")
    tick(ctx, at("2028-04-25 09:00:05"))
    assert [m[2] for m in _monitorings(ctx)] == ["2028-03", "2028-04"]


def test_it_records_monitoring_only_for_a_project_in_operation(people, ctx):
    building = _live(people)
    with pytest.raises(Conflict) as refused:
        _start(people, building, now="2027-06-25 09:00")
    assert "运维与绩效评价" in refused.value.detail
    assert people.instance(_start(people, _operating(people, ctx, project_name="宿迁市社保系统")))["status"] \
        == "running"


def _eliminated(people, ctx):
    parent = _operating(people, ctx)
    iid = _start(people, parent)
    people.do("ben", iid, "MonitoringFinding", FINDING_IDLE, now=at("2028-03-31 10:00"))
    people.do("ben", iid, "Shutdown", SHUTDOWN, now=at("2028-04-10 10:00"))
    assert people.instance(parent)["outcome"] == "eliminated"
    return parent


def _follow_up(people, now="2028-08-03 10:00", **facts):
    iid = people.start("ann", "suqian", {**FACTS, "plan_year": 2029, "project_type": "operation",
                                         "project_name": "宿迁市智慧警务平台2029年运维服务", **facts},
                       now=at("2028-08-01 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at(now))
    return iid


def test_the_data_bureau_refuses_the_operations_project_of_an_eliminated_system(people, ctx):
    _eliminated(people, ctx)
    iid = _follow_up(people, follows_system="宿迁市智慧警务平台")
    assert people.ready(iid) == ["CheckFollowUp"]
    task = people.task("dora", iid, "CheckFollowUp")
    assert task["title"].endswith("（本单位已淘汰退出的系统：宿迁市智慧警务平台）")
    people.do("dora", iid, "CheckFollowUp", {"follows_system_holds": "yes", "comment": "系原系统的运维服务"},
              now=at("2028-08-05 10:00"))
    people.do("dora", iid, "RegisterReview", {"decision": "approve", "registration_no": "SQ-2029-7",
                                              "materials_complete": True, "plan_requirements_met": True,
                                              "access_ready": True, "data_sharing_ready": True},
              now=at("2028-08-06 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_registered")
    assert "淘汰退出" in inst["outcome_reason"] and "不予安排预算资金" in inst["outcome_reason"]
    history = [e["element"] for e in inst["history"]]
    assert "FundReview" not in history and "BudgetProposal" not in history   # 市财政局 arranges nothing


def test_the_data_bureau_finds_an_unnamed_follow_up_of_an_eliminated_system(people, ctx):
    _eliminated(people, ctx)
    iid = _follow_up(people)                                   # the applicant names no earlier system
    people.do("dora", iid, "CheckFollowUp", {"follows_system_holds": "no",
                                             "follows_system_corrected": "宿迁市智慧警务平台",
                                             "comment": "实为原警务平台的后续建设"}, now=at("2028-08-05 10:00"))
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "follows_system"]
    assert (fact["holds"], fact["confirmed"]) == (False, "宿迁市智慧警务平台")


def test_it_registers_an_unrelated_project_of_a_unit_with_an_eliminated_system(people, ctx):
    _eliminated(people, ctx)
    iid = _follow_up(people, project_name="宿迁市交通执法平台", project_type="construction")
    people.do("dora", iid, "CheckFollowUp", {"follows_system_holds": "yes", "comment": "新建系统，不延续已建系统"},
              now=at("2028-08-05 10:00"))
    people.do("dora", iid, "RegisterReview", {"decision": "approve", "registration_no": "SQ-2029-8",
                                              "materials_complete": True, "plan_requirements_met": True,
                                              "access_ready": True, "data_sharing_ready": True},
              now=at("2028-08-06 10:00"))
    assert people.ready(iid) == ["PreReview"]


def test_it_asks_no_check_of_a_unit_without_an_eliminated_system(people, ctx):
    people.deploy("suqian.monitoring")
    iid = _follow_up(people, follows_system="宿迁市智慧警务平台")
    assert people.ready(iid) == ["RegisterReview"]


def test_another_units_eliminated_system_does_not_concern_this_unit(people, ctx):
    _eliminated(people, ctx)                                   # 市公安局's system
    iid = people.start("hugh", "suqian", {**FACTS, "plan_year": 2029, "project_name": "医院信息平台"},
                       now=at("2028-08-01 10:00"))
    people.do("hugh", iid, "Declare", DECLARE, now=at("2028-08-03 10:00"))
    assert people.ready(iid) == ["RegisterReview"]


def test_the_phases_a_side_process_or_cycle_requires_are_phases_of_the_project_diagram(people, ctx):
    """A misspelt phase would make the side process impossible to start and the cycle start nothing."""
    people.deploy("suqian")
    with ctx.db.transaction() as session:
        version = ctx.loaded_version(session, latest_version(session, "suqian").id)
    jurisdiction = ctx.registry.get("suqian")
    wanted = {e for p in jurisdiction.processes.values() for e in p.parent_inside}
    wanted |= {e for s in jurisdiction.schedules for e in (s.get("instances") or {}).get("inside", [])}
    assert wanted == {"PhaseProcurement", "PhaseConstruction", "PhaseAcceptance", "PhaseOperations"}
    assert {version.element(e).kind for e in wanted} == {"SubWorkflowTask"}
