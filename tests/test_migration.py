"""Migration of running projects from one deployed version to another (engine.services.designer.migrate,
POST /api/v1/migrations): a dry run says which can move and why not; a migration carries the state onto
the new version's specs (same task ids, data and timers), maps the projection's element ids, records
who moved what, and leaves the others on their version. With threads completing tasks while another
migrates, nothing is lost or doubled (on SQLite and on PostgreSQL)."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from engine import workflow as wfx
from engine.config import ROOT
from engine.errors import NotFound, ValidationFailed
from engine.models import AuditEvent, HumanTask, ProcessInstance, Timer
from engine.services import designer, runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_openapi_shapes import Api
from tests.yeji_walk import OK, REVIEW_ELEMENTS, REVIEWERS, declared, in_review

YEJI = (ROOT / "bpmn_diagrams" / "yeji" / "yeji.bpmn").read_text(encoding="utf-8")
NOTE = ("第六条：每年10月份前", "第六条：每年十月份前")


def deploy_v2(people, text: str) -> int:
    """Deploy `text` as yeji.bpmn through the designers' service (v1 deployed first if needed)."""
    people.deploy("yeji")
    result = designer.deploy_version(people.ctx, people.desi, "yeji", {"yeji.bpmn": text}, "测试用新版本")
    assert result["created"]
    return result["version"]


def migrate(people, **kwargs) -> list[dict]:
    return designer.migrate(people.ctx, people.desi, "yeji", **{"from_version": 1, "to_version": 2, **kwargs})


def version_of(people, iid) -> int:
    return people.instance(iid)["version"]


def finish_reviews(people, iid, rename: dict | None = None) -> None:
    rename = rename or {}
    for who, element in REVIEWERS:
        element = rename.get(element, element)
        if element in people.ready(iid):
            people.do(who, iid, element, OK, now=at("2026-10-20 10:00"))


def workflow_of(ctx, iid):
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        return wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))


def test_a_dry_run_changes_nothing_and_a_migration_moves_only_the_projects_asked_for(people, ctx):
    first, second = in_review(people, ctx), in_review(people, ctx)
    ended = declared(people)
    runtime.terminate_instance(ctx, people.mona, ended, "测试终止", now=at("2026-08-05 10:00"))
    deploy_v2(people, YEJI.replace(*NOTE))

    dry = migrate(people, dry_run=True)
    assert dry == [{"instance_id": first, "migratable": True, "reason": None, "migrated": False},
                   {"instance_id": second, "migratable": True, "reason": None, "migrated": False}]
    assert (version_of(people, first), version_of(people, second)) == (1, 1)

    tasks_before = {r.element_id: r.id for r in people.ready_rows(first)}
    [moved] = migrate(people, instance_ids=[first], dry_run=False)
    assert moved == {"instance_id": first, "migratable": True, "reason": None, "migrated": True}
    assert (version_of(people, first), version_of(people, second)) == (2, 1)
    assert {r.element_id: r.id for r in people.ready_rows(first)} == tasks_before     # the same tasks
    with ctx.db.transaction() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.event == "instance_migrated"))
        assert (event.instance_id, event.actor_id) == (first, people.desi)
        assert event.data["from_version"] == 1 and event.data["to_version"] == 2
    history = people.instance(first)["history"]
    assert any(h["event"] == "instance_migrated" and h["title"] == "迁移到版本 2" for h in history)

    [again] = migrate(people, instance_ids=[first, ended], dry_run=False)[:1]
    assert not again["migratable"] and "当前在版本 2 上" in again["reason"]
    assert "已结束" in migrate(people, instance_ids=[ended], dry_run=True)[0]["reason"]
    finish_reviews(people, first)
    finish_reviews(people, second)
    assert people.ready(first) == people.ready(second) == ["InvestmentPlan"]


def test_a_renamed_task_moves_only_with_a_mapping(people, ctx):
    iid = in_review(people, ctx)
    people.do("dora", iid, "ReviewDataBureau", OK, now=at("2026-10-10 10:00"))
    finance = people.task("fay", iid, "ReviewFinance")
    renamed = YEJI.replace("ReviewFinance", "ReviewFinanceBureau")
    deploy_v2(people, renamed)

    [refused] = migrate(people, dry_run=False)
    assert not refused["migratable"] and not refused["migrated"]
    assert "ReviewFinance" in refused["reason"] and "mapping" in refused["reason"]
    assert version_of(people, iid) == 1

    mapping = {"ReviewFinance": "ReviewFinanceBureau"}
    assert migrate(people, mapping=mapping, dry_run=True)[0]["migratable"]
    assert migrate(people, mapping=mapping, dry_run=False)[0]["migrated"]
    assert version_of(people, iid) == 2
    task = people.task("fay", iid, "ReviewFinanceBureau")
    assert task["id"] == finance["id"] and task["role"] == "finance"
    with ctx.db.transaction() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.event == "instance_migrated")).one()
        assert event.data["mapping"] == mapping and event.data["moved"]["ReviewFinance"] == "ReviewFinanceBureau"
    finish_reviews(people, iid, mapping)
    assert people.ready(iid) == ["InvestmentPlan"]


def test_a_mapping_onto_another_kind_or_a_missing_element_is_refused(people, ctx):
    in_review(people, ctx)
    deploy_v2(people, YEJI.replace("ReviewFinance", "ReviewFinanceBureau"))
    [result] = migrate(people, mapping={"ReviewFinance": "JoinReview"}, dry_run=True)
    assert not result["migratable"] and "并行网关" in result["reason"] and "不是用户任务" in result["reason"]
    with pytest.raises(ValidationFailed) as err:
        migrate(people, mapping={"ReviewFinance": "NoSuchTask"}, dry_run=True)
    assert "mapping.ReviewFinance" in err.value.errors
    with pytest.raises(ValidationFailed):
        migrate(people, to_version=1, dry_run=True)
    with pytest.raises(NotFound):
        migrate(people, to_version=5, dry_run=True)


def test_a_completed_step_missing_from_the_new_version_blocks_the_migration_unless_mapped(people, ctx):
    iid = in_review(people, ctx)
    deploy_v2(people, re.sub(r"\bDeclare\b", "DeclareProject", YEJI))
    [result] = migrate(people, dry_run=False)
    assert not result["migratable"] and "已办理的步骤“项目申报（Declare）”" in result["reason"]
    assert migrate(people, mapping={"Declare": "DeclareProject"}, dry_run=False)[0]["migrated"]
    finish_reviews(people, iid)
    assert people.ready(iid) == ["InvestmentPlan"]


def test_the_predicted_part_of_the_tree_is_rebuilt_from_the_new_version(people, ctx):
    """JoinReview (not reached yet: predicted under each ready review) is renamed in v2: the prediction
    is dropped and made again from v2's specs, and the join works there."""
    iid, second = in_review(people, ctx), in_review(people, ctx)
    people.do("fay", iid, "ReviewFinance", OK, now=at("2026-10-10 10:00"))    # one branch at the join already
    deploy_v2(people, YEJI.replace("JoinReview", "JoinReviews"))
    [result] = migrate(people, instance_ids=[iid], dry_run=False)
    assert not result["migratable"] and "JoinReview" in result["reason"]       # a reached (waiting) join
    [result] = migrate(people, instance_ids=[second], dry_run=False)
    assert result["migrated"], result
    names = {t.task_spec.name for t in workflow_of(ctx, second).get_tasks()}
    assert "JoinReviews" in names and "JoinReview" not in names
    finish_reviews(people, second)
    assert people.ready(second) == ["InvestmentPlan"]


def test_a_pending_timer_is_carried_over_with_its_deadline_and_fires_on_the_new_version(people, ctx):
    iid = declared(people)
    with ctx.db.transaction() as session:
        [before] = [(t.id, t.task_guid, t.element_id, t.run_at) for t in
                    session.scalars(select(Timer).where(Timer.instance_id == iid))]
    deploy_v2(people, YEJI.replace(*NOTE).replace("每年10月集中审查论证", "每年十月集中审查论证"))
    assert migrate(people, dry_run=False)[0]["migrated"]
    with ctx.db.transaction() as session:
        [timer] = session.scalars(select(Timer).where(Timer.instance_id == iid))
        assert (timer.id, timer.task_guid, timer.element_id, timer.run_at) == before
        assert timer.title == "每年十月集中审查论证"
    tick(ctx, at("2026-10-01 08:00"))
    assert people.ready(iid) == REVIEW_ELEMENTS
    assert version_of(people, iid) == 2


def test_migrations_over_http(client, people, ctx):
    iid = in_review(people, ctx)
    deploy_v2(people, YEJI.replace(*NOTE))
    api = Api(client, people)
    body = {"process": "yeji", "from_version": 1, "to_version": 2, "dry_run": True}
    dry = api.call("post", "/api/v1/migrations", "desi", json=body).get_json()
    assert dry == {"results": [{"instance_id": iid, "migratable": True, "reason": None, "migrated": False}]}
    api.call("post", "/api/v1/migrations", "alice", expect=403, json=body)
    api.call("post", "/api/v1/migrations", "desi", expect=404, json={**body, "to_version": 9})
    api.call("post", "/api/v1/migrations", "desi", expect=422, json={**body, "mapping": {"Nope": "Declare"}})
    api.call("post", "/api/v1/migrations", "desi", expect=422, json={k: v for k, v in body.items() if k != "dry_run"})
    done = api.call("post", "/api/v1/migrations", "ada", json={**body, "dry_run": False, "instance_ids": [iid]})
    assert done.get_json()["results"][0]["migrated"]
    versions = api.call("get", "/api/v1/processes/{key}/versions", "desi", key="yeji").get_json()
    assert [(v["version"], v["running_instances"]) for v in versions] == [(2, 1), (1, 0)]


def test_threads_completing_tasks_while_another_migrates_lose_and_double_nothing(people, ctx):
    """Each project's six reviewers complete their tasks in threads while one thread migrates every
    project: every review is completed exactly once, every project moves, and each ends up at
    InvestmentPlan on v2 with projection and state agreeing."""
    ids = [declared(people) for _ in range(4)]
    tick(ctx, at("2026-10-01 08:00"))
    deploy_v2(people, YEJI.replace(*NOTE))
    tasks = {iid: {r.element_id: r.id for r in people.ready_rows(iid)} for iid in ids}
    users = {element: getattr(people, who) for who, element in REVIEWERS}
    barrier = threading.Barrier(len(REVIEWERS) + 1)
    outcomes: dict = {}

    def reviewer(element):
        barrier.wait()
        for iid in ids:
            try:
                runtime.complete_task(ctx, users[element], tasks[iid][element], OK, now=at("2026-10-20 10:00"))
                outcomes[(iid, element)] = "ok"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcomes[(iid, element)] = repr(exc)

    def migrator():
        barrier.wait()
        # one project at a time, the last first: the reviewers work through them from the first
        outcomes["migration"] = [result for iid in reversed(ids) for result in designer.migrate(
            ctx, people.desi, "yeji", 1, 2, instance_ids=[iid], dry_run=False, now=at("2026-10-20 10:00"))]

    threads = [threading.Thread(target=reviewer, args=(e,)) for _w, e in REVIEWERS]
    threads.append(threading.Thread(target=migrator))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert all(outcomes[(iid, e)] == "ok" for iid in ids for e in REVIEW_ELEMENTS), outcomes
    assert [r["migrated"] for r in outcomes["migration"]] == [True] * len(ids), outcomes["migration"]
    with ctx.db.transaction() as session:
        for iid in ids:
            done = session.execute(select(HumanTask.element_id, func.count(HumanTask.id))
                                   .where(HumanTask.instance_id == iid, HumanTask.state == "completed",
                                          HumanTask.element_id.in_(REVIEW_ELEMENTS))
                                   .group_by(HumanTask.element_id)).all()
            assert sorted(done) == [(e, 1) for e in REVIEW_ELEMENTS]
            events = session.scalars(select(AuditEvent.element_id).where(
                AuditEvent.instance_id == iid, AuditEvent.event == "task_completed")).all()
            assert sorted(e for e in events if e in REVIEW_ELEMENTS) == REVIEW_ELEMENTS
            assert session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.instance_id == iid, AuditEvent.event == "instance_migrated")) == 1
    for iid in ids:
        assert version_of(people, iid) == 2
        assert people.ready(iid) == ["InvestmentPlan"]
        ready = sorted(t.task_spec.name for t in wfx.ready_user_tasks(workflow_of(ctx, iid)))
        assert ready == ["InvestmentPlan"]


def _in_thread(call) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["result"] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            outcome["error"] = repr(exc)
    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _order(ctx, iid) -> list[str]:
    with ctx.db.transaction() as session:
        return [e for e, in session.execute(select(AuditEvent.event).where(
            AuditEvent.instance_id == iid, AuditEvent.event.in_(("task_completed", "instance_migrated")))
            .order_by(AuditEvent.id))]


def test_a_completion_arriving_during_a_migration_waits_and_completes_the_renamed_task(people, ctx, monkeypatch):
    """The migration holds the instance's row lock while it plans; a completion of the task being
    renamed waits for it, then completes it on the new version under its new id (once)."""
    iid = in_review(people, ctx)
    finance = people.task("fay", iid, "ReviewFinance")
    deploy_v2(people, YEJI.replace("ReviewFinance", "ReviewFinanceBureau"))
    inside, release = threading.Event(), threading.Event()
    real = designer.plan_migration

    def slow_plan(*args, **kwargs):
        inside.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(designer, "plan_migration", slow_plan)
    migration, moved = _in_thread(lambda: migrate(people, mapping={"ReviewFinance": "ReviewFinanceBureau"},
                                                  dry_run=False))
    assert inside.wait(30)
    completion, done = _in_thread(lambda: runtime.complete_task(ctx, people.fay, finance["id"], OK,
                                                                now=at("2026-10-10 10:00")))
    completion.join(timeout=0.5)
    assert completion.is_alive()                                   # waiting for the instance's lock
    release.set()
    migration.join(timeout=60)
    completion.join(timeout=60)
    assert moved["result"][0]["migrated"] and done == {"result": iid}, (moved, done)
    with ctx.db.transaction() as session:
        row = session.get(HumanTask, finance["id"])
        assert (row.state, row.element_id, row.completed_by_id) == ("completed", "ReviewFinanceBureau", people.fay)
    assert _order(ctx, iid)[-2:] == ["instance_migrated", "task_completed"]
    assert "ReviewFinanceBureau" not in people.ready(iid) and len(people.ready(iid)) == 5
    finish_reviews(people, iid)
    assert people.ready(iid) == ["InvestmentPlan"]


def test_a_migration_arriving_during_a_completion_waits_and_moves_the_state_after_it(people, ctx, monkeypatch):
    """A completion holds the lock while it saves; a migration waits for it and carries over the
    state with that task completed (its successor's tasks included), doubling nothing."""
    iid = in_review(people, ctx)
    finance = people.task("fay", iid, "ReviewFinance")
    deploy_v2(people, YEJI.replace(*NOTE))
    inside, release = threading.Event(), threading.Event()
    real = runtime.persist

    def slow_persist(*args, **kwargs):
        inside.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(runtime, "persist", slow_persist)
    completion, done = _in_thread(lambda: runtime.complete_task(ctx, people.fay, finance["id"], OK,
                                                                now=at("2026-10-10 10:00")))
    assert inside.wait(30)
    migration, moved = _in_thread(lambda: migrate(people, dry_run=False))
    migration.join(timeout=0.5)
    assert migration.is_alive()
    release.set()
    completion.join(timeout=60)
    migration.join(timeout=60)
    assert done == {"result": iid} and moved["result"][0]["migrated"], (done, moved)
    monkeypatch.setattr(runtime, "persist", real)
    assert _order(ctx, iid)[-2:] == ["task_completed", "instance_migrated"]
    assert people.ready(iid) == [e for e in REVIEW_ELEMENTS if e != "ReviewFinance"]
    finish_reviews(people, iid)
    assert people.ready(iid) == ["InvestmentPlan"]
    with ctx.db.transaction() as session:
        assert session.scalar(select(func.count(HumanTask.id)).where(
            HumanTask.instance_id == iid, HumanTask.element_id == "ReviewFinance")) == 1
