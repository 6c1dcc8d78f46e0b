"""宿迁 第六条: 市大数据中心通过信息化手段对已建成运行的项目通过统一管理平台每月进行监测…对…运行不正常的系统实行淘汰
退出机制，强制收回云资源，关停相关系统，市数据局对后续建设或运维服务项目不予审批，市财政局不予安排预算资金.
The monthly schedule starts `suqian.monitoring` for each project in 运维 only; an elimination leaves a record
about the unit that 市数据局 checks the unit's later projects against, before registration and budget."""
import pytest

from engine.errors import Conflict, ValidationFailed
from engine.models import ProcessInstance
from engine.services import runtime, views
from engine.services.deploy import latest_version
from engine.services.timers import tick
from tests.conftest import at
from tests.test_suqian_acceptance import _live, _operating
from tests.test_suqian_support import ATTESTED, DECLARE, FACTS, continues, eliminate, follow_up, monitor, personas


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _monitorings(ctx):
    with ctx.db.transaction() as session:
        return [(i.parent_instance_id, i.started_by_id, i.facts.get("month"))
                for i in session.query(ProcessInstance).filter(ProcessInstance.process_key == "suqian.monitoring")
                .order_by(ProcessInstance.id)]


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
        monitor(people, building, now="2027-06-25 09:00")
    assert "运维与绩效评价" in refused.value.detail
    assert people.instance(monitor(people, _operating(people, ctx, project_name="宿迁市社保系统")))["status"] \
        == "running"


def _eliminated(people, ctx, **facts):
    parent = _operating(people, ctx, **facts)
    eliminate(people, parent)
    return parent


REGISTERED = {"decision": "approve", "registration_no": "SQ-2029-7", **ATTESTED}


def test_the_data_bureau_refuses_the_operations_project_of_an_eliminated_system(people, ctx):
    old = _eliminated(people, ctx)
    iid = follow_up(people, follows_system="宿迁市智慧警务平台")
    assert people.ready(iid) == ["CheckFollowUp"]
    task = people.task("dora", iid, "CheckFollowUp")
    assert task["title"].endswith(f"（后续项目受限的系统：宿迁市智慧警务平台（编号{old}））")
    [systems] = views.task_detail(ctx, people.dora, task["id"])["records"]
    assert [(r["instance_id"], r["project_name"]) for r in systems["rows"]] == [(old, "宿迁市智慧警务平台")]
    assert "淘汰退出" in systems["rows"][0]["values"][-1]["value"]
    who, answers = continues(old)
    people.do(who, iid, "CheckFollowUp", answers, now=at("2028-08-05 10:00"))
    people.do("dora", iid, "RegisterReview", REGISTERED, now=at("2028-08-06 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_registered")
    assert f"（项目编号{old}）" in inst["outcome_reason"] and "不予安排预算资金" in inst["outcome_reason"]
    history = [e["element"] for e in inst["history"]]
    assert "FundReview" not in history and "BudgetProposal" not in history   # 市财政局 arranges nothing


def test_it_does_not_take_another_system_of_the_same_name_for_the_eliminated_one(people, ctx):
    eliminated, rebuilt = _operating(people, ctx), _operating(people, ctx)   # two systems of the same name
    eliminate(people, eliminated)
    iid = follow_up(people, follows_system="宿迁市智慧警务平台")
    who, answers = continues(rebuilt)
    people.do(who, iid, "CheckFollowUp", answers, now=at("2028-08-05 10:00"))
    people.do("dora", iid, "RegisterReview", REGISTERED, now=at("2028-08-06 10:00"))
    assert people.ready(iid) == ["PreReview"] and eliminated != rebuilt


def test_the_data_bureau_finds_an_unnamed_follow_up_of_an_eliminated_system(people, ctx):
    old = _eliminated(people, ctx)
    iid = follow_up(people)                                   # the applicant names no earlier system
    who, answers = continues(old, holds="no")
    people.do(who, iid, "CheckFollowUp", {**answers, "follows_system_corrected": "宿迁市智慧警务平台",
                                          "comment": "实为原警务平台的后续建设"}, now=at("2028-08-05 10:00"))
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "follows_system"]
    assert (fact["holds"], fact["confirmed"]) == (False, "宿迁市智慧警务平台")
    people.do("dora", iid, "RegisterReview", REGISTERED, now=at("2028-08-06 10:00"))
    assert people.instance(iid)["outcome"] == "not_registered"


def test_the_data_bureau_may_name_only_a_system_of_the_applicant_unit(people, ctx):
    _eliminated(people, ctx)
    other = people.start("hugh", "suqian", {**FACTS, "plan_year": 2029, "project_name": "医院信息平台"},
                         now=at("2028-08-01 10:00"))
    iid = follow_up(people, follows_system="宿迁市智慧警务平台")
    task = people.task("dora", iid, "CheckFollowUp")
    for number in (other, 999999):
        with pytest.raises(ValidationFailed) as refused:
            runtime.complete_task(ctx, people.dora, task["id"], continues(number)[1], now=at("2028-08-05 10:00"))
        assert set(refused.value.errors) == {"follows_project_id"}
        assert "请从本单位的信息系统中选择" in refused.value.errors["follows_project_id"]
    assert people.ready(iid) == ["CheckFollowUp"]


def test_it_registers_an_unrelated_project_of_a_unit_with_an_eliminated_system(people, ctx):
    _eliminated(people, ctx)
    iid = follow_up(people, project_name="宿迁市交通执法平台", project_type="construction")
    people.do("dora", iid, "CheckFollowUp", {"follows_system_holds": "yes", "comment": "新建系统，不延续已建系统"},
              now=at("2028-08-05 10:00"))
    people.do("dora", iid, "RegisterReview", {**REGISTERED, "registration_no": "SQ-2029-8"},
              now=at("2028-08-06 10:00"))
    assert people.ready(iid) == ["PreReview"]


def test_it_asks_no_check_of_a_unit_without_a_barred_system_for_a_project_continuing_none(people, ctx):
    people.deploy("suqian.monitoring")
    iid = follow_up(people, project_name="宿迁市交通执法平台", project_type="construction")
    assert people.ready(iid) == ["RegisterReview"]


def test_it_asks_the_data_bureau_about_every_project_claiming_to_continue_a_system(people, ctx):
    people.deploy("suqian.monitoring")
    iid = follow_up(people, follows_system="宿迁市智慧警务平台")
    assert people.ready(iid) == ["CheckFollowUp"]
    assert people.task("dora", iid, "CheckFollowUp")["title"].endswith("（后续项目受限的系统：无）")


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
