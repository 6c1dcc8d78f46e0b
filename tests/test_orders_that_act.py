"""Orders that act (engine/services/orders.py): 叶集 第二十六条 — a supervising department orders 限期整改;
逾期不整改或者整改后仍不符合要求的，相关部门可对其暂缓安排投资计划、暂停项目建设直至终止项目. The order takes
effect on the project: its tasks leave the inboxes and cannot be done, its clocks stop; 恢复 gives them
back with the time paused added; 终止 ends it."""
from datetime import date, timedelta

import chinese_calendar
import pytest

from engine.config import ROOT
from engine.errors import Conflict, PermissionDenied, ValidationFailed
from engine.models import AuditEvent, HumanTask, Timer
from engine.runtime_env import Runtime
from engine.services import designer, orders, projection, runtime, views
from engine.services.timers import tick
from engine.services.users import upsert_user
from engine.validation import check_files
from tests.conftest import at
from tests.support import PASSWORD
from tests.test_jiujiang_walk import JIUJIANG_PEOPLE, due_of, fast_personas, launched, local_day, workdays_after
from tests.test_migration import NOTE, YEJI, deploy_v2
from tests.yeji_walk import OK, contracted, declared

SUPERVISORS = ["dora", "nick", "fay", "audrey", "otto", "cris", "cathy"]   # the seven 第二十六条 names


def _order(people, iid, who="dora", days=30, now="2027-02-01 10:00"):
    people.deploy("yeji.rectification")
    return runtime.start_instance(people.ctx, getattr(people, who), "yeji.rectification",
                                  {"issue": "未按要求开展等保测评", "deadline_days": days},
                                  now=at(now), parent_instance_id=iid)


def _sanction(people, rid, sanction="suspend_construction", now="2027-02-10 10:00", late="2027-02-06 10:00",
              who="dora"):
    """Rectify, fail the ordering department's check, and decide `sanction`."""
    people.do("alice", rid, "Rectify", {"rectification": "已部分整改"}, now=at(late))
    people.do(who, rid, "RectificationCheck", {"decision": "reject", "comment": "等保测评仍未开展"},
              now=at(late))
    people.do(who, rid, "SanctionDecision", {"sanction": sanction, "comment": "整改后仍不符合要求"}, now=at(now))


def _events(ctx, iid):
    with ctx.db.transaction() as session:
        return [e.event for e in session.query(AuditEvent).filter(AuditEvent.instance_id == iid)
                .order_by(AuditEvent.id)]


def _task_row(ctx, iid, element):
    with ctx.db.transaction() as session:
        return session.query(HumanTask).filter(HumanTask.instance_id == iid, HumanTask.element_id == element) \
            .order_by(HumanTask.id.desc()).first()


@pytest.mark.parametrize("who", SUPERVISORS)
def test_it_lets_each_supervising_department_named_in_article_26_order_a_rectification(people, ctx, who):
    iid = contracted(people, ctx)
    rid = _order(people, iid, who=who)
    assert people.ready(rid) == ["Rectify"]
    assert people.instance(rid)["parent_instance_id"] == iid


@pytest.mark.parametrize("who", ["nick", "audrey", "otto"])
def test_it_has_the_department_that_ordered_the_rectification_check_it_and_decide(people, ctx, who):
    iid = contracted(people, ctx)
    rid = _order(people, iid, who=who)
    people.do("alice", rid, "Rectify", {"rectification": "已整改"}, now=at("2027-02-06 10:00"))
    assert [t["name"] for t in people.inbox(who) if t["instance_id"] == rid] == ["RectificationCheck"]
    assert [t for t in people.inbox("dora") if t["instance_id"] == rid] == []
    people.do(who, rid, "RectificationCheck", {"decision": "reject", "comment": "仍不符合"}, now=at("2027-02-07 10:00"))
    people.do(who, rid, "SanctionDecision", {"sanction": "terminate", "comment": "终止项目"},
              now=at("2027-02-08 10:00"))
    assert people.instance(iid)["outcome"] == "terminated"


def test_it_refuses_a_rectification_order_from_someone_who_supervises_nothing(people, ctx):
    iid = contracted(people, ctx)
    for who in ("bob", "gary", "pam", "erin"):
        with pytest.raises(PermissionDenied):
            _order(people, iid, who=who)


def test_it_suspends_the_project_when_the_bureau_orders_construction_halted(people, ctx):
    iid = contracted(people, ctx)
    assert people.ready(iid) == ["Implement"]
    rid = _order(people, iid)
    _sanction(people, rid)
    parent = people.instance(iid)
    assert parent["status"] == "running" and parent["active_tasks"] == []
    suspension = parent["suspension"]
    assert suspension["order"] == "暂停项目建设" and suspension["by_instance_id"] == rid
    assert suspension["since"].startswith("2027-02-10T10:00") and suspension["reason"] == "整改后仍不符合要求"
    assert suspension["by_unit"] == "区数据资源管理局"
    assert [t["name"] for t in parent["suspended_tasks"]] == ["Implement"]
    assert [t for t in people.inbox("alice") if t["instance_id"] == iid] == []
    row = _task_row(ctx, iid, "Implement")
    with pytest.raises(Conflict) as refused:
        runtime.complete_task(ctx, people.alice, row.id, {"finished": True}, now=at("2027-02-11 10:00"))
    assert "暂停项目建设" in refused.value.detail and "2027年2月10日" in refused.value.detail
    assert "区数据资源管理局" in refused.value.detail and "项目实施" in refused.value.detail
    assert "instance_suspended" in _events(ctx, iid)
    # the side process goes on: the applicant rectifies while the project is held
    assert people.ready(rid) == ["RectifySuspended"]


def test_it_suspends_the_investment_plan_the_same_way(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    _sanction(people, rid, sanction="suspend_investment")
    assert people.instance(iid)["suspension"]["order"] == "暂缓安排投资计划"
    assert people.ready(iid) == []


def test_it_leaves_the_project_alone_when_the_rectification_passes(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    people.do("alice", rid, "Rectify", {"rectification": "已完成等保测评"}, now=at("2027-02-20 10:00"))
    people.do("dora", rid, "RectificationCheck", {"decision": "approve"}, now=at("2027-02-22 10:00"))
    parent = people.instance(iid)
    assert parent["suspension"] is None and people.ready(iid) == ["Implement"]


def test_it_resumes_the_project_after_the_rectification_under_suspension_is_accepted(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    _sanction(people, rid, now="2027-02-10 10:00")
    people.do("alice", rid, "RectifySuspended", {"rectification": "已开展等保测评"}, now=at("2027-03-01 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "approve", "comment": "整改到位，同意恢复建设"},
              now=at("2027-03-03 10:00"))
    assert people.instance(rid)["outcome"] == "resumed"
    parent = people.instance(iid)
    assert parent["suspension"] is None and parent["suspended_tasks"] == []
    assert people.ready(iid) == ["Implement"]
    assert "instance_resumed" in _events(ctx, iid)
    people.do("alice", iid, "Implement", {"finished": True}, now=at("2027-03-04 10:00"))
    assert "Implement" not in people.ready(iid)


def test_it_keeps_the_project_suspended_while_the_rectification_still_fails_then_terminates_it(people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    _sanction(people, rid)
    people.do("alice", rid, "RectifySuspended", {"rectification": "尚在整改"}, now=at("2027-03-01 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "reject", "comment": "仍未开展等保测评"},
              now=at("2027-03-03 10:00"))
    assert people.ready(rid) == ["SanctionDecision"] and people.instance(iid)["suspension"] is not None
    people.do("dora", rid, "SanctionDecision", {"sanction": "terminate", "comment": "暂停后仍不整改，终止项目"},
              now=at("2027-03-05 10:00"))
    parent = people.instance(iid)
    assert (parent["status"], parent["outcome"]) == ("terminated", "terminated")
    assert parent["suspension"] is None and parent["suspended_tasks"] == [] and parent["waiting"] == []
    assert _task_row(ctx, iid, "Implement").state == "cancelled"


def test_it_pauses_the_projects_timers_and_moves_them_by_the_time_suspended(people, ctx):
    # 第十五条: a cross-year project reports at each quarter's start; the timer waits for 2027-01-01.
    iid = contracted(people, ctx, cross_year=True)
    assert people.instance(iid)["waiting"][0]["fires_at"].startswith("2027-01-01T00:00")
    rid = _order(people, iid, now="2026-12-16 10:00")
    _sanction(people, rid, late="2026-12-18 10:00", now="2026-12-20 10:00")
    assert [w["state"] for w in people.instance(iid)["waiting"]] == ["paused"]
    assert tick(ctx, at("2027-01-05 10:00")) == [] or people.ready(iid) == []
    assert people.ready(iid) == []
    people.do("alice", rid, "RectifySuspended", {"rectification": "已整改"}, now=at("2027-01-08 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "approve", "comment": "同意恢复"},
              now=at("2027-01-10 10:00"))   # held 21 days
    waiting = people.instance(iid)["waiting"]
    assert [w["state"] for w in waiting] == ["pending"]
    assert waiting[0]["fires_at"].startswith("2027-01-22T00:00")
    assert people.ready(iid) == ["ImplementReporting"]
    tick(ctx, at("2027-01-21 23:00"))
    assert people.ready(iid) == ["ImplementReporting"]
    tick(ctx, at("2027-01-22 00:00:01"))
    assert people.ready(iid) == ["ProgressReport"]


def test_it_adds_the_time_suspended_to_the_due_dates_of_the_projects_tasks(people, ctx):
    # 第七条: the six reviews are due 12月31日; held 10 days, they are due 10 days later.
    iid = declared(people)
    tick(ctx, at("2026-10-01 08:00"))
    before = _task_row(ctx, iid, "ReviewFinance").due_at
    people.deploy("yeji.rectification")
    rid = runtime.start_instance(ctx, people.fay, "yeji.rectification",
                                 {"issue": "概算编制依据不足", "deadline_days": 10},
                                 now=at("2026-10-05 10:00"), parent_instance_id=iid)
    _sanction(people, rid, sanction="suspend_investment", late="2026-10-08 10:00", now="2026-10-10 10:00", who="fay")
    assert people.ready(iid) == []
    assert people.instance(iid)["suspension"]["by_unit"] == "区财政局"
    people.do("alice", rid, "RectifySuspended", {"rectification": "已补充概算依据"}, now=at("2026-10-18 10:00"))
    people.do("fay", rid, "ResumeCheck", {"decision": "approve", "comment": "同意"}, now=at("2026-10-20 10:00"))
    assert _task_row(ctx, iid, "ReviewFinance").due_at == before + timedelta(days=10)
    assert len(people.ready(iid)) == 6


def test_it_does_not_flag_a_suspended_task_overdue(people, ctx):
    iid = declared(people)
    tick(ctx, at("2026-10-01 08:00"))
    with ctx.db.transaction() as session:
        row = session.query(HumanTask).filter(HumanTask.instance_id == iid, HumanTask.state == "ready").first()
    runtime_mona = people.mona
    orders.suspend_instance(ctx, runtime_mona, iid, "资金来源待核实", now=at("2026-12-20 10:00"))
    tick(ctx, at("2027-01-05 10:00"))
    assert _task_row(ctx, iid, row.element_id).overdue_notified_at is None


def test_it_lets_a_manager_suspend_and_resume_a_project_with_a_reason(people, ctx):
    iid = contracted(people, ctx)
    with pytest.raises(PermissionDenied):
        orders.suspend_instance(ctx, people.dora, iid, "资金来源待核实")
    with pytest.raises(ValidationFailed):
        orders.suspend_instance(ctx, people.mona, iid, " ")
    with pytest.raises(Conflict):
        orders.resume_instance(ctx, people.mona, iid, "无需恢复")
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2027-01-05 10:00"))
    suspension = people.instance(iid)["suspension"]
    assert suspension["order"] == "管理者暂停项目" and suspension["by_instance_id"] is None
    assert people.ready(iid) == []
    orders.resume_instance(ctx, people.mona, iid, "资金已落实", now=at("2027-01-08 10:00"))
    assert people.instance(iid)["suspension"] is None and people.ready(iid) == ["Implement"]
    assert {"instance_suspended", "instance_resumed"} <= set(_events(ctx, iid))


def test_a_terminated_project_leaves_no_paused_timer(people, ctx):
    iid = contracted(people, ctx, cross_year=True)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2026-12-20 10:00"))
    runtime.terminate_instance(ctx, people.mona, iid, "年度资金取消", now=at("2026-12-22 10:00"))
    with ctx.db.transaction() as session:
        states = {t.state for t in session.query(Timer).filter(Timer.instance_id == iid)}
    assert states <= {"done", "fired"}


def _token(client, people, who):
    getattr(people, who)
    response = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_api_shows_the_suspension_and_answers_409_with_the_reason(client, people, ctx):
    iid = contracted(people, ctx)
    rid = _order(people, iid)
    _sanction(people, rid)
    alice = _token(client, people, "alice")
    body = client.get(f"/api/v1/instances/{iid}", headers=alice).json
    assert body["suspension"]["order"] == "暂停项目建设" and body["suspension"]["by_instance_id"] == rid
    assert [t["name"] for t in body["suspended_tasks"]] == ["Implement"] and body["active_tasks"] == []
    task_id = body["suspended_tasks"][0]["id"]
    refused = client.post(f"/api/v1/tasks/{task_id}/complete", headers=alice, json={"data": {"finished": True}})
    assert refused.status_code == 409 and "暂停项目建设" in refused.json["detail"]
    assert refused.json["suspended"] is True


def test_the_api_lets_a_manager_suspend_and_resume(client, people, ctx):
    iid = contracted(people, ctx)
    mona = _token(client, people, "mona")
    assert client.post(f"/api/v1/instances/{iid}/resume", headers=mona, json={"reason": "x"}).status_code == 409
    assert client.post(f"/api/v1/instances/{iid}/suspend", headers=mona, json={}).status_code == 422
    assert client.post(f"/api/v1/instances/{iid}/suspend", headers=_token(client, people, "dora"),
                       json={"reason": "核查"}).status_code == 403
    held = client.post(f"/api/v1/instances/{iid}/suspend", headers=mona, json={"reason": "资金来源待核实"})
    assert held.status_code == 200 and held.json["suspension"]["reason"] == "资金来源待核实"
    back = client.post(f"/api/v1/instances/{iid}/resume", headers=mona, json={"reason": "资金已落实"})
    assert back.status_code == 200 and back.json["suspension"] is None
    assert [t["name"] for t in back.json["active_tasks"]] == ["Implement"]


def test_a_suspended_project_migrates_to_a_new_version_and_stays_suspended(people, ctx):
    iid = contracted(people, ctx, cross_year=True)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2026-12-20 10:00"))
    deploy_v2(people, YEJI.replace(*NOTE))
    [result] = designer.migrate(ctx, people.desi, "yeji", from_version=1, to_version=2, instance_ids=[iid],
                                dry_run=False)
    assert result["migrated"], result
    inst = people.instance(iid)
    assert inst["version"] == 2 and inst["suspension"]["reason"] == "资金来源待核实"
    assert [t["name"] for t in inst["suspended_tasks"]] == ["ImplementReporting"]
    assert [w["state"] for w in inst["waiting"]] == ["paused"]


def test_no_one_can_be_given_the_role_of_the_ordering_department(ctx):
    with pytest.raises(ValidationFailed), ctx.db.transaction() as session:
        upsert_user(session, "odd", "secret-pass-1", ctx.registry.get("yeji"), "区数据资源管理局",
                    ["ordering_department"])


def _problems(name: str, old: bytes, new: bytes) -> list[str]:
    content = (ROOT / "bpmn_diagrams" / "yeji" / name).read_bytes()
    assert old in content
    return [p.message for p in check_files(Runtime.from_data_dir(ROOT), {name: content.replace(old, new, 1)})]


def test_validate_refuses_an_effect_on_the_parent_in_a_process_without_one():
    messages = _problems("yeji.bpmn", b'<spiffworkflow:property name="outcome" value="out_of_scope"/>',
                         b'<spiffworkflow:property name="outcome" value="out_of_scope"/>'
                         b'<spiffworkflow:property name="parentEffect" value="suspend"/>')
    assert any("不是项目的子流程" in m for m in messages), messages


def test_validate_refuses_an_unknown_effect_and_an_outcome_on_a_suspension():
    messages = _problems("yeji.rectification.bpmn", b'name="parentEffect" value="resume"',
                         b'name="parentEffect" value="pause"')
    assert any("parentEffect" in m and "pause" in m for m in messages), messages
    messages = _problems("yeji.rectification.bpmn", b'name="parentEffect" value="terminate"',
                         b'name="parentEffect" value="suspend"')
    assert any("parentOutcome 只能与 parentEffect terminate 同用" in m for m in messages), messages


# --- orders that hold named steps only (parentEffect hold / release; 宿迁 第三十六条 暂缓拨付) ---------------------
# The mechanism on 叶集's six reviews (due 12月31日) and on 九江's working-day clocks; the 宿迁 scenario is
# tests/test_suqian_fund_hold.py.

FIRST, SECOND = 9001, 9002     # the side processes placing the holds (their ids only matter here)


def _hold(ctx, iid, now, steps=("ReviewFinance",), by=FIRST):
    with ctx.db.transaction() as session:
        inst = projection.lock_instance(session, iid)
        orders.hold(ctx, session, inst, steps=list(steps), order="暂缓拨付建设资金及运维经费",
                    reason="整改后仍不符合要求", now=at(now), by_instance_id=by)


def _release(ctx, iid, now, by=FIRST, steps=None):
    with ctx.db.transaction() as session:
        inst = projection.lock_instance(session, iid)
        return orders.release(ctx, session, inst, by_instance_id=by, steps=steps, order="整改完成", reason=None,
                              now=at(now))


def _reviews(people, ctx):
    iid = declared(people)
    tick(ctx, at("2026-10-01 08:00"))
    return iid, _task_row(ctx, iid, "ReviewFinance")


def test_a_hold_stops_only_the_named_step_and_gives_it_back_with_the_time_held(people, ctx):
    iid, before = _reviews(people, ctx)
    _hold(ctx, iid, "2026-10-05 10:00")
    assert len(people.ready(iid)) == 5 and "ReviewFinance" not in people.ready(iid)
    assert _task_row(ctx, iid, "ReviewFinance").state == "suspended"
    assert people.instance(iid)["suspension"] is None
    with pytest.raises(Conflict) as refused:
        runtime.complete_task(ctx, people.fay, before.id, OK, now=at("2026-10-06 10:00"))
    assert "已依“暂缓拨付建设资金及运维经费”" in refused.value.detail and "解除前不能办理" in refused.value.detail
    assert "2026年10月5日 10:00起暂缓办理：整改后仍不符合要求" in refused.value.detail
    assert _release(ctx, iid, "2026-10-15 10:00")
    after = _task_row(ctx, iid, "ReviewFinance")
    assert after.state == "ready" and after.due_at == before.due_at + timedelta(days=10)
    assert after.warn_at == before.warn_at + timedelta(days=10)
    assert len(people.ready(iid)) == 6 and {"steps_held", "steps_released"} <= set(_events(ctx, iid))
    assert not _release(ctx, iid, "2026-10-16 10:00")          # nothing more to release


def test_a_held_task_past_its_due_date_is_not_flagged_overdue(people, ctx):
    iid, _row = _reviews(people, ctx)
    _hold(ctx, iid, "2026-12-20 10:00")
    tick(ctx, at("2027-01-05 10:00"))
    assert _task_row(ctx, iid, "ReviewFinance").overdue_notified_at is None
    assert _task_row(ctx, iid, "ReviewNdrc").overdue_notified_at is not None
    board = views.dashboard(ctx, people.mona, now=at("2027-01-05 10:00"))
    [project] = [p for p in board["projects"] if p["id"] == iid]
    assert project["overdue"] == 5 and board["overdue_tasks"] == 5


def test_two_holds_on_one_step_free_it_only_when_both_are_released(people, ctx):
    iid, before = _reviews(people, ctx)
    _hold(ctx, iid, "2026-10-05 10:00", by=FIRST)
    _hold(ctx, iid, "2026-10-08 10:00", steps=("ReviewFinance", "ReviewNdrc"), by=SECOND)
    assert len(people.ready(iid)) == 4
    _release(ctx, iid, "2026-10-10 10:00", by=FIRST)
    assert len(people.ready(iid)) == 4                          # the second order still holds both
    _release(ctx, iid, "2026-10-12 10:00", by=SECOND, steps=["ReviewNdrc"])   # a partial release
    assert len(people.ready(iid)) == 5 and _task_row(ctx, iid, "ReviewNdrc").state == "ready"
    assert [h["steps"] for h in people.instance(iid)["holds"]] == [["ReviewFinance"]]
    _release(ctx, iid, "2026-10-15 10:00", by=SECOND)
    assert _task_row(ctx, iid, "ReviewFinance").due_at == before.due_at + timedelta(days=10)   # held since 10月5日
    assert _task_row(ctx, iid, "ReviewNdrc").due_at == before.due_at + timedelta(days=4)


def test_resuming_a_suspended_project_keeps_its_held_step_held(people, ctx):
    iid, before = _reviews(people, ctx)
    _hold(ctx, iid, "2026-10-05 10:00")
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2026-10-08 10:00"))
    assert people.ready(iid) == []
    orders.resume_instance(ctx, people.mona, iid, "资金已落实", now=at("2026-10-12 10:00"))
    assert len(people.ready(iid)) == 5 and _task_row(ctx, iid, "ReviewFinance").state == "suspended"
    assert _task_row(ctx, iid, "ReviewNdrc").due_at == before.due_at + timedelta(days=4)
    _release(ctx, iid, "2026-10-15 10:00")
    assert _task_row(ctx, iid, "ReviewFinance").due_at == before.due_at + timedelta(days=10)


def test_a_step_held_during_a_suspension_counts_its_clock_stopped_from_the_suspension(people, ctx):
    iid, before = _reviews(people, ctx)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2026-10-05 10:00"))
    _hold(ctx, iid, "2026-10-08 10:00")
    _release(ctx, iid, "2026-10-10 10:00")
    assert _task_row(ctx, iid, "ReviewFinance").state == "suspended"      # still suspended with the project
    _hold(ctx, iid, "2026-10-11 10:00")
    orders.resume_instance(ctx, people.mona, iid, "资金已落实", now=at("2026-10-12 10:00"))
    assert _task_row(ctx, iid, "ReviewFinance").state == "suspended"
    _release(ctx, iid, "2026-10-15 10:00")
    assert _task_row(ctx, iid, "ReviewFinance").due_at == before.due_at + timedelta(days=10)


def test_a_held_working_day_clock_moves_by_the_working_days_held_across_the_national_day(ctx, monkeypatch):
    people = fast_personas(ctx, monkeypatch, "jiujiang", JIUJIANG_PEOPLE)
    iid = launched(people, ctx, {"total_investment": 6000, "province_assessed": True}, notice_at="2026-09-24 10:00")
    due = local_day(due_of(people, iid, "PrepareProposal"))
    assert due == date(2026, 10, 15)
    _hold(ctx, iid, "2026-09-25 10:00", steps=("PrepareProposal",))
    _release(ctx, iid, "2026-10-09 10:00")
    held = sum(chinese_calendar.is_workday(date(2026, 9, 25) + timedelta(days=n)) for n in range(1, 15))
    assert local_day(due_of(people, iid, "PrepareProposal")) == workdays_after(due, held)
