"""Notices that reach people (engine/services/notices.py): 新任务 to the holders of the task's role,
退回修改 with the reviewer's comment and 办理结果 to the applicant, 催办 from a manager, 预警 when the
configured share of a working-day clock is used, 督办 when it ran out — each written once per event
by the scheduler's tick after the step committed (two schedulers, a retried step, a return and a
second return included), on the channels each user chose, and e-mailed through a real SMTP server."""
from __future__ import annotations

import dataclasses
import email
import json
import shutil
import socket
import threading

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from engine.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from engine.models import AuditEvent, HumanTask, Notification
from engine.registry import JurisdictionConfigError, load_jurisdiction
from engine.services import incidents, notices, notifications, runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.diagrams import Diagram
from tests.test_openapi_shapes import Api
from tests.test_timers_support import FACTS, REVIEW, install_process, review_diagram
from tests.yeji_walk import OK, REVIEWERS, in_review

KEY = "yeji.test_notices"
FLAKY = 'ratio = 1 / (1 if today() >= "2026-02-01" else 0)'   # fails until February, then passes


def rows(ctx, user_id: int, kind: str | None = None) -> list[Notification]:
    with ctx.db.transaction() as session:
        stmt = select(Notification).where(Notification.user_id == user_id)
        if kind:
            stmt = stmt.where(Notification.kind == kind)
        return list(session.scalars(stmt.order_by(Notification.id)))


def kinds(ctx, user_id: int) -> list[str]:
    return [n.kind for n in rows(ctx, user_id)]


def review_task(ctx, instance_id: int, element: str = "Review") -> HumanTask:
    with ctx.db.transaction() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.element_id == element)
                               .order_by(HumanTask.id.desc())).first()


def started(monkeypatch, people, when: str = "2026-01-09 15:00") -> int:
    """A review by 区数管局 (dora) due in 10 working days, started by alice at `when`."""
    people.dora, people.mona  # noqa: B018 - the holder of the review and a manager exist first
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    return people.start("alice", KEY, FACTS, now=at(when))


# --- 新任务 ---------------------------------------------------------------------------------------------

def test_a_task_that_arrives_is_announced_to_its_role_holders_once_after_one_scheduler_tick(people, ctx):
    """The applicant's 项目申报 (a unit role) reaches alice, not bob of another unit; nothing is written
    by the step itself, one tick writes it, the next tick adds nothing."""
    people.deploy("yeji")
    iid = people.start("alice", "yeji", {"project_name": "叶集区智慧教育平台", "project_type": "construction",
                                         "total_investment": 300, "duration_months": 4, "plan_year": 2027},
                       now=at("2026-08-01 10:00"))
    assert kinds(ctx, people.alice) == []          # the step wrote no notice: the scheduler does
    tick(ctx, at("2026-08-01 10:00:30"))
    [note] = rows(ctx, people.alice)
    task = review_task(ctx, iid, "Declare")
    assert (note.kind, note.human_task_id, note.instance_id) == ("task_arrived", task.id, iid)
    assert note.title == "新任务：项目申报"
    assert "2026年8月1日 10:00" in note.body and "办理期限2026年9月30日 23:59" in note.body
    assert "T" not in note.body and "+08:00" not in note.body
    assert kinds(ctx, people.bob) == []            # the same role in another unit
    tick(ctx, at("2026-08-01 10:01"))
    assert len(rows(ctx, people.alice)) == 1


def test_a_task_done_before_the_tick_is_not_announced(monkeypatch, people, ctx):
    iid = started(monkeypatch, people)
    people.do("dora", iid, "Review", OK, now=at("2026-01-09 15:00:10"))
    tick(ctx, at("2026-01-09 15:00:30"))
    assert kinds(ctx, people.dora) == []
    assert review_task(ctx, iid).announced_at is not None


# --- 预警 and 督办 -----------------------------------------------------------------------------------------

def test_the_due_soon_warning_comes_when_80_percent_of_the_working_time_is_used(monkeypatch, people, ctx):
    """Arrived Friday 9 January 15:00, due at the end of the 10th working day after (Friday 23
    January). Working time: 9 h on the 9th and 10 working days of 24 h = 249 h; 80 % = 199.2 h, i.e.
    9 h + 7 days (12–16, 19, 20 January) + 22.2 h into the 21st → 21 January 22:12. Calendar time
    would say 21 January 03:00 (80 % of 14 d 9 h): the weekends do not count, so no warning then."""
    iid = started(monkeypatch, people)
    tick(ctx, at("2026-01-09 15:01"))
    task = review_task(ctx, iid)
    assert task.due_at == at("2026-01-23 23:59:59")
    assert abs((task.warn_at - at("2026-01-21 22:12")).total_seconds()) < 2
    for before in ("2026-01-21 03:00", "2026-01-21 22:11"):
        tick(ctx, at(before))
        assert rows(ctx, people.dora, "task_due_soon") == [], before
    tick(ctx, at("2026-01-21 22:13"))
    [warning] = rows(ctx, people.dora, "task_due_soon")
    assert warning.title == "即将到期：审查" and warning.human_task_id == task.id
    assert "将于2026年1月23日 23:59到期" in warning.body and "已用去80%" in warning.body
    [event] = [e for e in _events(ctx, "task_due_soon") if e.instance_id == iid]
    assert event.data["percent"] == 80
    tick(ctx, at("2026-01-22 09:00"))
    assert len(rows(ctx, people.dora, "task_due_soon")) == 1
    # 督办 once the clock ran out, dated as the pages write dates
    tick(ctx, at("2026-01-24 00:00:01"))
    [overdue] = rows(ctx, people.dora, "task_overdue")
    assert "已于2026年1月23日 23:59到期" in overdue.body
    assert kinds(ctx, people.alice) == []          # the applicant is not the holder of the review


def test_the_share_comes_from_the_environment_unless_the_jurisdiction_sets_its_own(monkeypatch, people, ctx):
    """GOVFLOW_DUE_SOON_PERCENT=50: 124.5 h of 249 → 9 h + 4 days (12–15 January) + 19.5 h → 16 January
    19:30. 叶集's jurisdiction.json `notices.due_soon_percent` = 90 wins over the variable."""
    monkeypatch.setenv("GOVFLOW_DUE_SOON_PERCENT", "50")
    iid = started(monkeypatch, people)
    tick(ctx, at("2026-01-09 15:01"))
    assert abs((review_task(ctx, iid).warn_at - at("2026-01-16 19:30")).total_seconds()) < 2
    yeji = ctx.registry.get("yeji")
    monkeypatch.setitem(ctx.registry.jurisdictions(), "yeji",
                        dataclasses.replace(yeji, notices={"due_soon_percent": 90}))
    assert notices.due_soon_percent(ctx, "yeji") == 90


def test_a_jurisdiction_file_with_a_bad_share_is_refused_naming_the_key(tmp_path):
    from engine.config import ROOT
    folder = tmp_path / "processes" / "yeji"
    shutil.copytree(ROOT / "processes" / "yeji", folder)
    raw = json.loads((folder / "jurisdiction.json").read_text(encoding="utf-8"))
    raw["notices"] = {"due_soon_percent": 80}
    (folder / "jurisdiction.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    assert load_jurisdiction(folder, ROOT / "bpmn_diagrams").notices == {"due_soon_percent": 80}
    raw["notices"] = {"due_soon_percent": 150}
    (folder / "jurisdiction.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(JurisdictionConfigError) as refused:
        load_jurisdiction(folder, ROOT / "bpmn_diagrams")
    assert "notices.due_soon_percent" in refused.value.detail and "1 至 99" in refused.value.detail


def test_a_task_that_is_overdue_before_its_warning_gets_only_the_overdue_notice(monkeypatch, people, ctx):
    iid = started(monkeypatch, people)
    tick(ctx, at("2026-01-26 09:00"))          # the first tick after the scheduler was down for weeks
    assert rows(ctx, people.dora, "task_due_soon") == []
    assert len(rows(ctx, people.dora, "task_overdue")) == 1
    assert review_task(ctx, iid).warned_at is not None


# --- 退回修改 and 办理结果 --------------------------------------------------------------------------------

def test_a_return_and_a_second_return_each_tell_the_applicant_once_with_the_reviewers_comment(people, ctx):
    reviewers = [getattr(people, who) for who, _ in REVIEWERS]   # they exist before their reviews arrive
    iid = in_review(people, ctx)
    tick(ctx, at("2026-10-01 08:01"))
    assert all(kinds(ctx, r) == ["task_arrived"] for r in reviewers)
    for who, element in REVIEWERS:
        answer = {"decision": "return", "comment": "请补充密码应用方案"} if who == "cris" else OK
        people.do(who, iid, element, answer, now=at("2026-10-20 10:00"))
    tick(ctx, at("2026-10-20 10:01"))
    [returned] = rows(ctx, people.alice, "task_returned")
    assert returned.title == "退回修改：叶集区智慧教育平台" and returned.instance_id == iid
    assert "区委机要局（密码管理局）" in returned.body and "意见：请补充密码应用方案" in returned.body
    assert "2026年10月20日 10:00" in returned.body
    revise = review_task(ctx, iid, "Revise")
    assert [n.human_task_id for n in rows(ctx, people.alice, "task_arrived")][-1] == revise.id

    people.do("alice", iid, "Revise", {"revision_note": "已补充密码应用方案"}, now=at("2026-10-25 10:00"))
    tick(ctx, at("2026-10-25 10:01"))
    assert all(kinds(ctx, r) == ["task_arrived", "task_arrived"] for r in reviewers)   # the second round
    for who, element in REVIEWERS:
        answer = {"decision": "return", "comment": "投资估算偏高"} if who == "fay" else OK
        people.do(who, iid, element, answer, now=at("2026-10-28 10:00"))
    tick(ctx, at("2026-10-28 10:01"))
    tick(ctx, at("2026-10-28 10:02"))
    returns = rows(ctx, people.alice, "task_returned")
    assert [("请补充密码应用方案" in n.body, "投资估算偏高" in n.body) for n in returns] == [
        (True, False), (False, True)]
    assert len(rows(ctx, people.alice, "task_arrived")) == 2      # two 修改申报材料 (申报 was done before a tick)
    assert kinds(ctx, people.bob) == []


def test_the_outcome_reaches_the_applicant_once_whether_ended_by_the_procedure_or_a_manager(monkeypatch, people, ctx):
    approved, ended = started(monkeypatch, people), started(monkeypatch, people)
    people.do("dora", approved, "Review", OK, now=at("2026-01-12 10:00"))
    runtime.terminate_instance(ctx, people.mona, ended, "项目已由上级统筹建设", now=at("2026-01-12 11:00"))
    tick(ctx, at("2026-01-12 11:01"))
    tick(ctx, at("2026-01-12 11:02"))
    outcomes = rows(ctx, people.alice, "instance_outcome")
    assert [n.instance_id for n in outcomes] == [approved, ended]
    assert "已办结" in outcomes[0].body and "2026年1月12日 10:00" in outcomes[0].body
    assert "已终止" in outcomes[1].body and "理由：项目已由上级统筹建设" in outcomes[1].body
    assert kinds(ctx, people.dora).count("instance_outcome") == 0


def test_a_retried_step_announces_its_outcome_once(monkeypatch, people, ctx):
    """The step after the review fails (an incident), a retry fails again, the next retry passes:
    between and after them the ticks write exactly one 办理结果 and one 新任务."""
    d = Diagram(KEY, "重试测试流程", [("applicant", "建设单位"), ("data_bureau", "区数管局")])
    d.start("Begin", lane="applicant", col=0, name="申报")
    d.user_task("Review", lane="data_bureau", col=1, name="审查", properties=REVIEW)
    d.script_task("Compute", lane="data_bureau", col=2, name="计算结论", script=FLAKY)
    d.end("Finish", lane="data_bureau", col=3, name="结束", properties={"outcome": "completed"})
    d.flow("Begin", "Review")
    d.flow("Review", "Compute")
    d.flow("Compute", "Finish")
    install_process(monkeypatch, people, KEY, d.to_xml())
    people.dora  # noqa: B018 - the reviewer exists before the review arrives
    iid = people.start("alice", KEY, FACTS, now=at("2026-01-10 09:00"))
    tick(ctx, at("2026-01-10 09:01"))
    people.do("dora", iid, "Review", OK, now=at("2026-01-11 10:00"))
    tick(ctx, at("2026-01-11 10:01"))
    incident = incidents.incidents(ctx, "yeji")[0]
    assert incidents.retry(ctx, "step", incident["id"], now=at("2026-01-20 10:00"), actor_id=people.mona)["resolved"] \
        is False
    tick(ctx, at("2026-01-20 10:01"))
    assert rows(ctx, people.alice, "instance_outcome") == []
    assert incidents.retry(ctx, "step", incident["id"], now=at("2026-02-02 10:00"), actor_id=people.mona)["resolved"]
    tick(ctx, at("2026-02-02 10:01"))
    tick(ctx, at("2026-02-02 10:02"))
    assert len(rows(ctx, people.alice, "instance_outcome")) == 1
    assert kinds(ctx, people.dora) == ["task_arrived"]


def test_two_schedulers_ticking_together_write_each_notice_once(monkeypatch, people, ctx):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    projects = [people.start("alice" if i % 2 else "bob", KEY, FACTS, now=at("2026-01-09 15:00")) for i in range(24)]
    for iid in projects[:8]:
        people.do("dora", iid, "Review", {"decision": "return", "comment": f"退回{iid}"}, now=at("2026-01-09 16:00"))
    failures = []

    def race(when: str) -> None:
        barrier = threading.Barrier(2)

        def scheduler():
            try:
                barrier.wait(timeout=10)
                for _ in range(6):
                    notices.dispatch(ctx, at(when), batch=3)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=scheduler) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    race("2026-01-09 16:01")
    tick(ctx, at("2026-01-09 16:02"))
    assert failures == []
    with ctx.db.transaction() as session:
        per_event = session.execute(select(Notification.user_id, Notification.kind, Notification.human_task_id,
                                           Notification.instance_id, func.count())
                                    .group_by(Notification.user_id, Notification.kind, Notification.human_task_id,
                                              Notification.instance_id)).all()
    assert per_event and all(count == 1 for *_, count in per_event)
    assert len(rows(ctx, people.dora, "task_arrived")) == 16       # the 8 returned were done before any tick
    assert len(rows(ctx, people.alice, "task_returned")) + len(rows(ctx, people.bob, "task_returned")) == 8
    assert len(rows(ctx, people.alice, "instance_outcome")) + len(rows(ctx, people.bob, "instance_outcome")) == 8
    race("2026-01-22 09:00")                                        # past the 16 open reviews' 80 %
    tick(ctx, at("2026-01-22 09:01"))
    assert failures == []
    assert len(rows(ctx, people.dora, "task_due_soon")) == 16
    assert len(_events(ctx, "task_due_soon")) == 16


# --- 催办 ------------------------------------------------------------------------------------------------

def test_a_manager_urges_a_waiting_task_and_its_holders_get_the_message(monkeypatch, people, ctx):
    iid = started(monkeypatch, people)
    task = review_task(ctx, iid)
    result = notices.urge(ctx, people.mona, task.id, "请于本周五前办结", now=at("2026-01-19 09:30"))
    assert result["notified"] == 1
    [urged] = rows(ctx, people.dora, "task_urged")
    assert urged.title == "催办：审查" and urged.human_task_id == task.id
    assert "2026年1月19日 09:30催办" in urged.body and urged.body.endswith("：请于本周五前办结")
    [event] = [e for e in _events(ctx, "task_urged") if e.instance_id == iid]
    assert (event.actor_id, event.data["message"], event.data["notified"]) == (people.mona, "请于本周五前办结", 1)
    with pytest.raises(PermissionDenied):
        notices.urge(ctx, people.alice, task.id, "快点")
    with pytest.raises(ValidationFailed):
        notices.urge(ctx, people.mona, task.id, "  ")
    with pytest.raises(ValidationFailed):
        notices.urge(ctx, people.mona, task.id, "催" * 501)
    with pytest.raises(NotFound):
        notices.urge(ctx, people.mona, task.id + 999, "快点")
    people.do("dora", iid, "Review", OK, now=at("2026-01-19 10:00"))
    with pytest.raises(Conflict):
        notices.urge(ctx, people.mona, task.id, "快点")
    tick(ctx, at("2026-01-19 10:01"))
    assert kinds(ctx, people.dora).count("task_urged") == 1


def test_once_claimed_only_the_holder_and_their_delegate_are_urged_and_warned(monkeypatch, people, ctx):
    """Two holders of 区数管局's role: before 签收 both hear of the task; after dora claims it only she is
    urged and warned, and while she has delegated it (委托) to a colleague of her unit, he is told too."""
    from engine.services import claims
    people.table = {**people.table, "dan": ("区数据资源管理局", ["data_bureau"]),
                    "lee": ("区数据资源管理局", ["data_bureau"])}
    people.dan, people.lee  # noqa: B018 - both hold the review's role before it arrives
    iid = started(monkeypatch, people)
    task = review_task(ctx, iid)
    tick(ctx, at("2026-01-09 15:01"))
    assert [kinds(ctx, u).count("task_arrived") for u in (people.dora, people.dan, people.lee)] == [1, 1, 1]
    assert notices.urge(ctx, people.mona, task.id, "请尽快办理", now=at("2026-01-12 09:00"))["notified"] == 3
    claims.claim(ctx, people.dora, task.id, now=at("2026-01-12 10:00"))
    assert notices.urge(ctx, people.mona, task.id, "请于本周五前办结", now=at("2026-01-13 09:00"))["notified"] == 1
    assert [kinds(ctx, u).count("task_urged") for u in (people.dora, people.dan, people.lee)] == [2, 1, 1]
    claims.delegate(ctx, people.dora, task.id, "dan", now=at("2026-01-13 10:00"))
    tick(ctx, at("2026-01-21 22:13"))     # 80 % of the working time used (see above)
    assert [kinds(ctx, u).count("task_due_soon") for u in (people.dora, people.dan, people.lee)] == [1, 1, 0]


def test_the_urge_call_answers_in_the_contracts_order(monkeypatch, people, ctx, client):
    iid = started(monkeypatch, people)
    task = review_task(ctx, iid)
    api = Api(client, people)
    api.call("post", "/api/v1/tasks/{id}/urge", None, id=task.id, json={"message": "x"}, expect=401)
    api.call("post", "/api/v1/tasks/{id}/urge", "alice", id=task.id, json={"message": "x"}, expect=403)
    api.call("post", "/api/v1/tasks/{id}/urge", "mona", id=task.id + 999, json={"message": "x"}, expect=404)
    api.call("post", "/api/v1/tasks/{id}/urge", "mona", id=task.id, json={}, expect=422)
    done = api.call("post", "/api/v1/tasks/{id}/urge", "mona", id=task.id, json={"message": "请尽快办理"}).get_json()
    assert done["task_id"] == task.id and done["notified"] == 1 and done["urged_at"].endswith("+08:00")
    people.do("dora", iid, "Review", OK)
    api.call("post", "/api/v1/tasks/{id}/urge", "mona", id=task.id, json={"message": "x"}, expect=409)


# --- 通知设置 ------------------------------------------------------------------------------------------

def test_each_user_chooses_which_notices_reach_the_list_and_the_mail(monkeypatch, people, ctx, client):
    api = Api(client, people)
    defaults = api.call("get", "/api/v1/notifications/preferences", "dora").get_json()
    assert [p["kind"] for p in defaults] == list(notices.KINDS) and all(p["in_app"] and p["email"] for p in defaults)
    api.call("put", "/api/v1/notifications/preferences", "dora",
             json={"preferences": [{"kind": "task_arrived", "in_app": False, "email": True}]})
    api.call("put", "/api/v1/notifications/preferences", "alice",
             json={"preferences": [{"kind": "instance_outcome", "in_app": False, "email": False}]})
    api.call("put", "/api/v1/notifications/preferences", "alice",
             json={"preferences": [{"kind": "no_such_kind", "in_app": True, "email": True}]}, expect=422)
    api.call("put", "/api/v1/notifications/preferences", "alice",
             json={"preferences": [{"kind": "task_arrived", "in_app": "yes", "email": True}]}, expect=422)
    api.call("put", "/api/v1/notifications/preferences", "alice", json=[], expect=422)
    mine = {p["kind"]: p for p in api.call("get", "/api/v1/notifications/preferences", "dora").get_json()}
    assert (mine["task_arrived"]["in_app"], mine["task_arrived"]["email"]) == (False, True)
    assert [e.data["changed"] for e in _events(ctx, "notice_preferences_changed")][0] == {
        "task_arrived": {"in_app": False, "email": True}}

    iid = started(monkeypatch, people)
    people.do("dora", iid, "Review", OK, now=at("2026-01-09 15:00:01"))
    second = people.start("alice", KEY, FACTS, now=at("2026-01-09 15:10"))
    tick(ctx, at("2026-01-09 15:11"))
    assert rows(ctx, people.alice, "instance_outcome") == []        # both channels off: nothing
    [arrived] = rows(ctx, people.dora, "task_arrived")               # e-mail only: kept for the mail
    assert (arrived.in_app, arrived.email, arrived.human_task_id) == (False, True, review_task(ctx, second).id)
    listed = api.call("get", "/api/v1/notifications", "dora")
    assert listed.get_json() == [] and listed.headers["X-Unread-Count"] == "0"
    notices.urge(ctx, people.mona, review_task(ctx, second).id, "请尽快办理")   # other kinds still come
    assert [n["kind"] for n in api.call("get", "/api/v1/notifications", "dora").get_json()] == ["task_urged"]


# --- e-mail --------------------------------------------------------------------------------------------

class _Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch, ctx):
    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(ctx.settings, "smtp_host", "127.0.0.1")
    monkeypatch.setenv("GOVFLOW_SMTP_PORT", str(port))
    monkeypatch.setenv("GOVFLOW_SMTP_DOMAIN", "yeji.gov.cn")
    monkeypatch.setenv("GOVFLOW_SMTP_FROM", "govflow@yeji.gov.cn")
    yield inbox
    controller.stop()


def test_notices_are_mailed_once_through_a_real_smtp_server_as_each_user_chose(monkeypatch, people, ctx, smtp_server):
    notices.set_preferences(ctx, people.alice, [{"kind": "instance_outcome", "in_app": True, "email": False}])
    iid = started(monkeypatch, people)
    tick(ctx, at("2026-01-09 15:01"))
    [(to, message)] = smtp_server.messages
    assert to == ["dora@yeji.gov.cn"] and message["Subject"] == "新任务：审查"
    assert message["From"] == "govflow@yeji.gov.cn" and "2026年1月23日 23:59" in message.get_content()
    people.do("dora", iid, "Review", {"decision": "return", "comment": "请补充预算明细"}, now=at("2026-01-12 10:00"))
    tick(ctx, at("2026-01-12 10:01"))
    tick(ctx, at("2026-01-12 10:02"))
    got = [(rcpt, m["Subject"]) for rcpt, m in smtp_server.messages]
    assert got[1:] == [(["alice@yeji.gov.cn"], "退回修改：时钟测试项目")]  # the outcome: not mailed to alice
    assert "请补充预算明细" in smtp_server.messages[1][1].get_content()
    assert len(rows(ctx, people.alice, "instance_outcome")) == 1    # but listed
    assert all(n.emailed_at is not None for n in rows(ctx, people.dora) + rows(ctx, people.alice, "task_returned"))


def test_an_unread_count_counts_only_the_users_own_unread_notices(monkeypatch, people, ctx):
    iid = started(monkeypatch, people)
    notices.urge(ctx, people.mona, review_task(ctx, iid).id, "请尽快办理")
    tick(ctx, at("2026-01-09 15:01"))
    with ctx.db.transaction() as session:
        assert notifications.unread_count(session, people.dora) == 2
        assert notifications.unread_count(session, people.alice) == 0
    first = rows(ctx, people.dora)[0]
    assert notifications.mark_read(ctx, people.dora, [first.id]) == 1
    assert notifications.mark_read(ctx, people.alice, [rows(ctx, people.dora)[1].id]) == 0   # not hers
    with ctx.db.transaction() as session:
        assert notifications.unread_count(session, people.dora) == 1


def _events(ctx, name: str) -> list[AuditEvent]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)))
