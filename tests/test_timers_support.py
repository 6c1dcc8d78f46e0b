"""Shared by the clock tests: tiny diagrams built with tests/diagrams.py, deployed as processes
of 叶集 (`yeji.test_*`) for the length of one test, and a reference working-day count taken from
chinese_calendar itself. No tests here."""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select

from engine.models import AuditEvent, Notification, Timer
from engine.registry import ProcessDef
from engine.services.deploy import deploy
from tests.diagrams import Diagram

FACTS = {"project_name": "时钟测试项目", "project_type": "construction", "total_investment": 100}
REVIEW = {"form": "common/review", "legalBasis": "第七条"}
CONFIRM = {"form": "common/confirm", "legalBasis": "第七条"}
DONE = {"outcome": "completed"}


def nth_workday_after(start: date, n: int) -> date:
    """Reference: the n-th day after `start` on which chinese_calendar says people work."""
    d = start
    while n:
        d += timedelta(days=1)
        if chinese_calendar.is_workday(d):
            n -= 1
    return d


def timer_diagram(key: str, **timer) -> bytes:
    """开始 → one timer catch (date= / duration= / cycle=) → 结束."""
    d = Diagram(key, "定时器测试流程", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.timer_catch("Wait", lane="applicant", col=1, name="等待期满", **timer)
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties=DONE)
    d.flow("StartEvent", "Wait")
    d.flow("Wait", "EndEvent")
    return d.to_xml()


def review_diagram(key: str, *, due_in: str = "10wd", timer: str = '"P10WD"', interrupting: bool = False) -> bytes:
    """A review by the data bureau with a 10-working-day clock; when it runs out a boundary timer
    either adds a 督办 task for the government (non-interrupting) or takes the matter to it."""
    d = Diagram(key, "逾期督办测试流程", [("applicant", "建设单位"), ("data_bureau", "区数管局"),
                                        ("government", "区政府")])
    d.start("StartEvent", lane="applicant", col=0, name="申报")
    d.user_task("Review", lane="data_bureau", col=1, name="审查", properties={**REVIEW, "dueIn": due_in})
    d.end("EndReviewed", lane="data_bureau", col=2, name="审查完毕", properties=DONE)
    d.boundary_timer("ReviewOverdue", attached_to="Review", name="审查逾期", duration=timer,
                     interrupting=interrupting)
    d.user_task("Supervise", lane="government", col=2, name="督办逾期审查", properties=CONFIRM)
    d.end("EndSupervised", lane="government", col=3, name="督办完毕", properties=DONE)
    d.flow("StartEvent", "Review")
    d.flow("Review", "EndReviewed")
    d.flow("ReviewOverdue", "Supervise")
    d.flow("Supervise", "EndSupervised")
    return d.to_xml()


def script_after_timer_diagram(key: str, script: str, duration: str = '"P1D"') -> bytes:
    """开始 → timer → a script (that may fail) → 结束: a timer whose firing can raise."""
    d = Diagram(key, "定时器失败测试流程", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.timer_catch("Wait", lane="applicant", col=1, name="等待一天", duration=duration)
    d.script_task("Compute", lane="applicant", col=2, name="计算", script=script)
    d.end("EndEvent", lane="applicant", col=3, name="结束", properties=DONE)
    d.flow("StartEvent", "Wait")
    d.flow("Wait", "Compute")
    d.flow("Compute", "EndEvent")
    return d.to_xml()


def install_process(monkeypatch, people, key: str, xml: bytes, **process) -> None:
    """Register `key` as a process of 叶集 in this test's runtime (each test has its own, see
    tests/conftest.py) and deploy `xml` as its newest version."""
    people.ctx.registry.with_process("yeji", ProcessDef(key=key, name=process.pop("name", key),
                                                        file=f"{key}.bpmn", **process))
    with people.ctx.db.transaction() as session:
        deploy(people.ctx.runtime, session, key, extra={f"{key}.bpmn": xml})
    people._deployed.add(key)


@pytest.fixture
def fresh_calendars(ctx):
    """Calendars at chinese-calendar's years (each test's runtime starts so; imports stay local)."""
    ctx.runtime.calendars.reset()
    yield
    ctx.runtime.calendars.reset()


def timers_of(ctx, instance_id: int) -> list[Timer]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)))


def events(ctx, name: str, instance_id: int | None = None) -> list[AuditEvent]:
    with ctx.db.transaction() as session:
        stmt = select(AuditEvent).where(AuditEvent.event == name)
        if instance_id is not None:
            stmt = stmt.where(AuditEvent.instance_id == instance_id)
        return list(session.scalars(stmt.order_by(AuditEvent.id)))


def notices(ctx, user_id: int) -> list[Notification]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                    .order_by(Notification.id)))
