"""Yearly cycles: side processes a jurisdiction starts on a calendar, configured under "schedules" in
its jurisdiction.json, started exactly once per occurrence by whichever scheduler claims them."""
import os
import threading
from datetime import datetime

import pytest

from engine import clock
from engine.models import ProcessInstance
from engine.services import schedules
from engine.services.timers import tick
from tests.conftest import at
from tests.diagrams import Diagram
from tests.test_timers_support import CONFIRM, DONE, events, install_process, notices
from tests.yeji_walk import contracted

KEY = "yeji.test_self_evaluation"
YEARLY = {"name": "年度绩效自评价", "process": KEY, "rule": "yearly 03-01 09:00", "for_each": "instance",
          "instances": {"process": "yeji", "status": "running"},
          "facts": {"project_name": "{year}年度绩效自评价", "project_type": "construction",
                    "total_investment": 0, "plan_year": "{year}"}}
PROJECT = {"project_type": "construction", "total_investment": 300}


def _diagram() -> bytes:
    d = Diagram(KEY, "年度绩效自评价", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.user_task("Evaluate", lane="applicant", col=1, name="填报年度绩效自评价", properties=CONFIRM)
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties=DONE)
    d.flow("StartEvent", "Evaluate")
    d.flow("Evaluate", "EndEvent")
    return d.to_xml()


@pytest.fixture
def configure(monkeypatch, people):
    def apply(*entries, parent="required", startable_by=("applicant",)):
        install_process(monkeypatch, people, KEY, _diagram(), name="年度绩效自评价", parent=parent,
                        startable_by=startable_by)
        people.ctx.schedule_config = {"yeji": list(entries)}
    yield apply
    people.ctx.schedule_config = None


@pytest.mark.parametrize(("rule", "after", "expected"), [
    ("yearly 03-01 09:00", "2026-02-28 12:00", "2026-03-01 09:00"),
    ("yearly 03-01 09:00", "2026-03-01 09:00", "2027-03-01 09:00"),
    ("yearly 02-29", "2026-06-01 00:00", "2027-02-28 00:00"),
    ("yearly 09-30 17:30", "2026-12-31 23:00", "2027-09-30 17:30"),
    ("quarterly 1", "2026-05-20 10:00", "2026-07-01 00:00"),
    ("quarterly 1 08:00", "2026-12-15 10:00", "2027-01-01 08:00"),
    ("monthly 31", "2026-02-01 00:00", "2026-02-28 00:00"),
])
def test_it_computes_the_next_occurrence_in_beijing_time(rule, after, expected):
    assert schedules.next_occurrence(rule, at(after)) == at(expected)


def test_it_refuses_a_malformed_rule_naming_the_entry():
    with pytest.raises(ValueError, match="年度绩效自评价.*yearly MM-DD"):
        schedules.check_entry("yeji", dict(YEARLY, rule="every march"))
    with pytest.raises(ValueError, match="本辖区"):
        schedules.check_entry("yeji", dict(YEARLY, process="suqian.self_evaluation"))


def test_the_shipped_configuration_is_valid(ctx):
    schedules.configured(ctx.registry, strict=True)


def test_it_starts_the_yearly_self_evaluation_of_every_running_project_once(people, ctx, configure):
    configure(YEARLY)
    first = people.start("alice", "yeji", dict(PROJECT, project_name="智慧教育平台"), now=at("2026-08-01 10:00"))
    second = people.start("bob", "yeji", dict(PROJECT, project_name="健康档案系统"), now=at("2026-08-02 10:00"))
    tick(ctx, at("2026-12-01 10:00"))       # the cycle is set up: next run 2027-03-01 09:00
    assert [s["next_run_at"] for s in schedules.list_schedules(ctx, "yeji")] == ["2027-03-01T09:00:00+08:00"]

    assert [f for f in tick(ctx, at("2027-03-01 08:59")) if f.kind.startswith("schedule")] == []
    fired = [f for f in tick(ctx, at("2027-03-01 09:00:05")) if f.kind.startswith("schedule")]
    assert [(f.kind, f.title) for f in fired] == [("schedule", "年度绩效自评价（智慧教育平台）"),
                                                  ("schedule", "年度绩效自评价（健康档案系统）")]
    children = {f.instance_id: people.instance(f.instance_id) for f in fired}
    assert sorted(c["parent_instance_id"] for c in children.values()) == [first, second]
    assert all(c["data"]["plan_year"] == 2027 for c in children.values())
    child_of_alice = next(i for i, c in children.items() if c["parent_instance_id"] == first)
    assert people.ready(child_of_alice) == ["Evaluate"]
    people.task("alice", child_of_alice, "Evaluate")     # the parent's applicant unit fills it in

    assert [f for f in tick(ctx, at("2027-03-01 09:30")) if f.kind.startswith("schedule")] == []
    assert len(events(ctx, "schedule_started")) == 2
    assert [s["next_run_at"] for s in schedules.list_schedules(ctx, "yeji")] == ["2028-03-01T09:00:00+08:00"]


def test_it_starts_a_cycle_only_for_the_instances_inside_the_named_phase_as_the_named_role(people, ctx, configure):
    """`instances.inside` (宿迁 第六条: only projects in 运维) and `start_as` for each instance (the bureau
    that monitors, not the project's applicant)."""
    configure(dict(YEARLY, start_as="data_bureau", instances={"process": "yeji", "status": "running",
                                                              "inside": ["Implement"]}),
              startable_by=("data_bureau",))
    people.dora  # noqa: B018
    building = contracted(people, ctx)                                       # 项目实施 is under way
    waiting = people.start("bob", "yeji", dict(PROJECT, project_name="健康档案系统"), now=at("2027-01-05 10:00"))
    tick(ctx, at("2027-02-01 10:00"))
    fired = [f for f in tick(ctx, at("2027-03-01 09:00:05")) if f.kind.startswith("schedule")]
    assert [f.kind for f in fired] == ["schedule"]
    child = people.instance(fired[0].instance_id)
    assert child["parent_instance_id"] == building != waiting
    with ctx.db.transaction() as session:
        assert session.get(ProcessInstance, fired[0].instance_id).started_by_id == people.dora


def test_it_runs_a_missed_occurrence_once_not_once_per_missed_year(people, ctx, configure):
    facts = {k: v for k, v in YEARLY["facts"].items() if k != "plan_year"}
    configure(dict(YEARLY, for_each="jurisdiction", start_as="data_bureau", facts=facts), parent=None,
              startable_by=("data_bureau",))
    people.dora  # noqa: B018
    tick(ctx, at("2026-01-10 10:00"))
    fired = [f for f in tick(ctx, at("2029-06-01 10:00")) if f.kind.startswith("schedule")]
    assert [f.kind for f in fired] == ["schedule"]
    assert schedules.list_schedules(ctx, "yeji")[0]["next_run_at"] == "2030-03-01T09:00:00+08:00"


def test_it_tells_the_managers_when_a_cycle_cannot_start(people, ctx, configure):
    configure(dict(YEARLY, for_each="jurisdiction", start_as="finance"), parent=None,
              startable_by=("finance",))
    people.mona  # noqa: B018 - a manager; nobody holds the finance role yet
    tick(ctx, at("2026-12-01 10:00"))
    fired = [f for f in tick(ctx, at("2027-03-02 10:00")) if f.kind.startswith("schedule")]
    assert [f.kind for f in fired] == ["schedule_failed"]
    assert "finance" in fired[0].detail
    [note] = notices(ctx, people.mona)
    assert note.kind == "schedule_failed" and "年度绩效自评价" in note.title
    assert schedules.list_schedules(ctx, "yeji")[0]["next_run_at"] == "2028-03-01T09:00:00+08:00"


def test_it_follows_the_configuration_when_it_changes(people, ctx, configure, monkeypatch):
    configure(YEARLY)
    schedules.sync(ctx, at("2026-12-01 10:00"))
    ctx.schedule_config = {"yeji": [dict(YEARLY, rule="yearly 04-15 09:00")]}
    schedules.sync(ctx, at("2026-12-02 10:00"))
    [row] = schedules.list_schedules(ctx, "yeji")
    assert (row["rule"], row["next_run_at"], row["active"]) == ("yearly 04-15 09:00", "2027-04-15T09:00:00+08:00", True)
    ctx.schedule_config = {"yeji": []}
    schedules.sync(ctx, at("2026-12-03 10:00"))
    assert schedules.list_schedules(ctx, "yeji")[0]["active"] is False
    assert [f for f in tick(ctx, at("2027-05-01 10:00")) if f.kind.startswith("schedule")] == []


def test_next_occurrence_is_timezone_aware():
    moment = schedules.next_occurrence("yearly 01-01", datetime(2026, 12, 31, 16, 30, tzinfo=clock.SHANGHAI))
    assert moment.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.postgresql
@pytest.mark.skipif(os.environ.get("GOVFLOW_TEST_DB", "sqlite") != "postgresql",
                    reason="PostgreSQL only: SKIP LOCKED between concurrent schedulers")
def test_two_schedulers_run_a_due_cycle_once(people, ctx, configure):
    configure(YEARLY)
    for who, name in (("alice", "智慧教育平台"), ("bob", "健康档案系统")):
        people.start(who, "yeji", dict(PROJECT, project_name=name), now=at("2026-08-01 10:00"))
    schedules.sync(ctx, at("2026-12-01 10:00"))
    barrier, results = threading.Barrier(2), []

    def scheduler():
        barrier.wait()
        results.append(schedules.run_due(ctx, at("2027-03-01 10:00"), "thread", sync_first=False))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(len(r) for r in results) == [0, 2]
    assert len(events(ctx, "schedule_started")) == 2
