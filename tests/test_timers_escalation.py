"""Working-day clocks on tasks and boundary timers, and what happens when one runs out: the task is
flagged overdue once, its role's users and the managers are told, and a boundary timer escalates."""
from datetime import date

import chinese_calendar

from engine.services import notices as notices_module
from engine.services import notifications
from engine.services.timers import tick
from tests.conftest import at
from tests.test_notices import smtp_server  # noqa: F401 - the real SMTP server fixture
from tests.test_timers_support import (
    FACTS,
    events,
    install_process,
    notices,
    nth_workday_after,
    review_diagram,
    timers_of,
)

KEY = "yeji.test_escalation"


def test_it_counts_ten_working_days_across_national_day_2025_and_a_make_up_saturday(people, ctx, monkeypatch):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    iid = people.start("alice", KEY, FACTS, now=at("2025-09-26 10:00"))   # a Friday
    # 9/28 (Sunday) and 10/11 (Saturday) are 调休 working days; 10/1–10/8 are the holiday.
    assert chinese_calendar.is_workday(date(2025, 9, 28)) and chinese_calendar.is_workday(date(2025, 10, 11))
    expected = nth_workday_after(date(2025, 9, 26), 10)
    assert expected == date(2025, 10, 16)

    task = people.task("dora", iid, "Review", now=at("2025-09-26 10:00"))
    assert task["due_at"] == "2025-10-16T23:59:59+08:00"
    assert task["due_provisional"] is False
    assert people.instance(iid)["waiting"][0]["fires_at"] == "2025-10-16T23:59:59+08:00"

    assert tick(ctx, at("2025-10-16 23:59:58")) == []
    fired = tick(ctx, at("2025-10-17 00:00:01"))
    assert [(f.kind, f.element_id) for f in fired] == [("timer", "ReviewOverdue"), ("overdue", "Review")]


def test_it_escalates_an_overdue_review_to_the_government_and_tells_the_reviewers_and_managers(
        people, ctx, monkeypatch):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    iid = people.start("alice", KEY, FACTS, now=at("2026-03-02 09:00"))
    due = people.task("dora", iid, "Review")["due_at"]
    assert due == "2026-03-16T23:59:59+08:00"
    people.gary, people.mona, people.bob  # noqa: B018 - create the government user, a manager, another unit

    tick(ctx, at("2026-03-16 12:00"))
    assert people.ready(iid) == ["Review"]
    assert [n.kind for n in notices(ctx, people.dora)] == ["task_arrived", "task_due_soon"]   # not overdue yet

    fired = tick(ctx, at("2026-03-17 08:00"))
    assert sorted(f.kind for f in fired) == ["overdue", "timer"]
    assert people.ready(iid) == ["Review", "Supervise"]     # non-interrupting: the review stays open
    review = people.task("dora", iid, "Review", now=at("2026-03-17 08:00"))
    assert review["overdue"] is True
    assert [t["name"] for t in people.inbox("dora", now=at("2026-03-17 08:00"), overdue=True)] == ["Review"]

    for who in ("dora", "mona"):
        [note] = overdue(ctx, getattr(people, who))
        assert note.kind == "task_overdue" and note.instance_id == iid
        assert "审查" in note.title and "2026年3月16日 23:59" in note.body
    assert notices(ctx, people.alice) == [] and notices(ctx, people.bob) == []

    # Flagged once: later ticks neither fire nor notify again.
    assert tick(ctx, at("2026-03-18 08:00")) == []
    assert len(overdue(ctx, people.dora)) == 1
    assert len(events(ctx, "task_overdue", iid)) == 1
    assert [t.state for t in timers_of(ctx, iid)] == ["fired"]

    people.do("gary", iid, "Supervise", {"confirmed": True}, now=at("2026-03-18 09:00"))
    people.do("dora", iid, "Review", {"decision": "approve"}, now=at("2026-03-18 10:00"))
    assert people.instance(iid)["status"] == "completed"


def test_it_takes_the_matter_away_when_the_boundary_timer_interrupts(people, ctx, monkeypatch):
    install_process(monkeypatch, people, KEY, review_diagram(KEY, timer='"P5WD"', interrupting=True))
    iid = people.start("alice", KEY, FACTS, now=at("2026-03-02 09:00"))
    tick(ctx, at("2026-03-09 23:59"))
    assert people.ready(iid) == ["Review"]
    tick(ctx, at("2026-03-10 00:00:01"))
    assert people.ready(iid) == ["Supervise"]
    assert [e.element_id for e in events(ctx, "task_cancelled", iid)] == ["Review"]


def test_it_lists_and_marks_notifications_read(people, ctx, monkeypatch, client):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    iid = people.start("alice", KEY, FACTS, now=at("2026-03-02 09:00"))
    people.dora, people.mona  # noqa: B018 - the reviewer and a manager exist when the clock runs out
    notices_module.set_preferences(ctx, people.dora, [{"kind": "task_arrived", "in_app": False, "email": False},
                                                      {"kind": "task_due_soon", "in_app": False, "email": False}])
    tick(ctx, at("2026-03-17 08:00"))
    items, total, unread = notifications.list_for(ctx, people.dora)
    assert (total, unread) == (1, 1) and items[0]["instance_id"] == iid and items[0]["read"] is False

    token = client.post("/api/v1/auth/token", json={"username": "dora", "password": "secret-pass-1"}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/notifications?unread=1", headers=auth)
    assert listed.status_code == 200 and listed.headers["X-Unread-Count"] == "1"
    assert listed.json[0]["kind"] == "task_overdue"
    assert client.post("/api/v1/notifications/read", json={"ids": [listed.json[0]["id"]]},
                       headers=auth).json == {"updated": 1}
    assert client.get("/api/v1/notifications?unread=1", headers=auth).json == []
    assert client.get("/api/v1/notifications").status_code == 401
    # Mona's notice is hers: Dora's "read all" does not touch it.
    assert notifications.list_for(ctx, people.mona)[2] == 1


def test_it_emails_the_notices_only_when_smtp_is_configured(people, ctx, monkeypatch, smtp_server):  # noqa: F811
    """Against a real SMTP server on 127.0.0.1 (aiosmtpd, tests/test_notices.py)."""
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    people.start("alice", KEY, FACTS, now=at("2026-03-02 09:00"))
    people.dora, people.mona  # noqa: B018
    for who in (people.dora, people.mona):
        notices_module.set_preferences(ctx, who, [{"kind": k, "in_app": True, "email": False}
                                                  for k in ("task_arrived", "task_due_soon")])
    smtp_host = ctx.settings.smtp_host
    monkeypatch.setattr(ctx.settings, "smtp_host", None)
    tick(ctx, at("2026-03-17 08:00"))
    assert smtp_server.messages == []   # off by default

    assert len(overdue(ctx, people.dora)) == 1
    monkeypatch.setattr(ctx.settings, "smtp_host", smtp_host)
    tick(ctx, at("2026-03-17 08:30"))
    assert sorted(to for to, _ in smtp_server.messages) == [["dora@yeji.gov.cn"], ["mona@yeji.gov.cn"]]
    assert all(m["Subject"].startswith("任务逾期") for _, m in smtp_server.messages)
    tick(ctx, at("2026-03-17 09:00"))
    assert len(smtp_server.messages) == 2   # each notice is e-mailed once


def overdue(ctx, user_id: int) -> list:
    return [n for n in notices(ctx, user_id) if n.kind == "task_overdue"]
