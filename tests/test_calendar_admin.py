"""The holiday calendar as data: seeded from chinese-calendar, a later year loaded from the State
Council's notice (CLI and API), local rules per jurisdiction, and provisional deadlines and timers
computed again when their year is loaded."""
import io
import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import select

from engine import clock
from engine.config import ROOT
from engine.models import CalendarYear
from engine.script_helpers import helpers_for
from engine.services import calendar_admin
from engine.services.timers import tick
from engine.services.users import upsert_user
from tests.conftest import at
from tests.test_timers_support import FACTS, events, fresh_calendars, install_process, review_diagram, timers_of  # noqa: F401
from web.cli import main

pytestmark = pytest.mark.usefixtures("fresh_calendars")
KEY = "yeji.test_calendar"
# A made-up 2027 notice: 元旦 runs to Monday 1/4, which the provisional rule counts as a working day.
NOTICE_2027 = """\
year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知（测试）
holiday: 2027-01-01..2027-01-04 元旦
holiday: 2027-02-06..2027-02-12 春节
workday: 2027-02-14 春节调休
"""


def test_it_seeds_the_years_chinese_calendar_knows_and_lists_the_provisional_ones(ctx):
    calendar_admin.install(ctx)
    calendar_admin.install(ctx)    # idempotent
    listing = calendar_admin.list_years(ctx, now=at("2026-11-23 10:00"))
    years = {y["year"]: y for y in listing["years"]}
    assert set(years) == set(range(2004, 2027))
    assert years[2025]["builtin"] and years[2025]["source"].startswith("国务院办公厅关于2025年部分节假日安排的通知")
    assert "2025-10-08" in years[2025]["holidays"] and "2025-10-11" in years[2025]["workdays"]
    assert listing["provisional_years"] == [2027, 2028]
    assert "暂定" in listing["provisional_rule"]


def test_it_never_raises_for_a_2027_date_but_says_it_is_provisional():
    helpers = helpers_for("yeji")
    with clock.frozen_at(at("2027-01-15 10:00")):
        assert helpers["quarter_workday"](5) == "2027-01-08T23:59:59+08:00"    # 1/1 off, 1/4–1/8
        assert helpers["provisional"](helpers["quarter_workday"](5)) is True
    assert helpers["add_workdays"](250, "2026-06-01").startswith("2027-")
    assert helpers["provisional"]("2026-10-08", since="2026-06-01") is False


def test_it_recomputes_provisional_due_dates_and_timers_when_the_year_is_loaded(people, ctx, monkeypatch,
                                                                                 tmp_path, capsys):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    iid = people.start("alice", KEY, FACTS, now=at("2026-12-24 10:00"))
    task = people.task("dora", iid, "Review", now=at("2026-12-24 10:00"))
    # 12/25, 12/28–12/31, then 2027 by the provisional rule: 1/1 off, 1/4–1/8.
    assert (task["due_at"], task["due_provisional"]) == ("2027-01-08T23:59:59+08:00", True)
    assert timers_of(ctx, iid)[0].run_at == at("2027-01-08 23:59:59")

    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    assert main(["calendar", "import", str(notice)]) == 0
    out = capsys.readouterr().out
    assert "已导入 全国 2027 年节假日安排" in out and "任务 1 项，定时器 1 项" in out

    task = people.task("dora", iid, "Review", now=at("2027-01-05 10:00"))
    assert (task["due_at"], task["due_provisional"]) == ("2027-01-11T23:59:59+08:00", False)
    assert timers_of(ctx, iid)[0].run_at == at("2027-01-11 23:59:59")
    assert people.instance(iid)["waiting"][0]["fires_at"] == "2027-01-11T23:59:59+08:00"
    assert [e.data["after"][:10] for e in events(ctx, "due_recomputed", iid)] == ["2027-01-11"]

    assert tick(ctx, at("2027-01-09 08:00")) == []     # the provisional deadline would have passed
    assert sorted(f.kind for f in tick(ctx, at("2027-01-12 08:00"))) == ["overdue", "timer"]

    assert main(["calendar", "list"]) == 0
    out = capsys.readouterr().out
    assert "2027  全国" in out and "导入（cli" in out


def test_it_keeps_a_local_rule_to_its_own_jurisdiction(ctx):
    calendar_admin.import_notice(ctx, NOTICE_2027, jurisdiction="yeji", loaded_by="test")
    assert ctx.calendar("yeji").is_workday(date(2027, 1, 4)) is False
    assert ctx.calendar("yeji").is_provisional(date(2027, 1, 4)) is False
    assert ctx.calendar(None).is_provisional(date(2027, 1, 4)) is True
    assert ctx.calendar(None).is_workday(date(2027, 1, 4)) is True

    # A national notice loaded afterwards does not override 叶集's own rule for that year.
    national = NOTICE_2027.replace("2027-01-01..2027-01-04", "2027-01-01")
    calendar_admin.import_notice(ctx, national, loaded_by="test")
    assert ctx.calendar(None).is_workday(date(2027, 1, 4)) is True
    assert ctx.calendar("yeji").is_workday(date(2027, 1, 4)) is False


def test_it_reloads_a_year_another_process_imported(ctx):
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:
        session.add(CalendarYear(jurisdiction="", year=2028, holidays=["2028-01-03"], workdays=[],
                                 source="另一进程导入", loaded_at=clock.now(), loaded_by="other"))
    assert ctx.calendar(None).is_provisional(date(2028, 1, 3))
    assert calendar_admin.refresh(ctx) is True
    assert ctx.calendar(None).is_workday(date(2028, 1, 3)) is False
    assert calendar_admin.refresh(ctx) is False


def test_it_refuses_a_malformed_notice_with_the_line_in_chinese(ctx, tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_text("year: 2027\nsource: 测试\nholiday: 2027-13-01 不存在\n", encoding="utf-8")
    assert main(["calendar", "import", str(bad)]) == 1
    assert "第3行" in capsys.readouterr().err
    with ctx.db.transaction() as session:
        assert session.scalars(select(CalendarYear).where(CalendarYear.year == 2027)).all() == []


def _token(client, who):
    return {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": who, "password": "secret-pass-1"}).json["token"]}


def test_it_lets_managers_load_local_rules_and_admins_the_national_calendar(people, ctx, client):
    people.mona, people.dora  # noqa: B018
    with ctx.db.transaction() as session:
        upsert_user(session, "ada", "secret-pass-1", ctx.registry.get("yeji"), "区数据资源管理局", ["admin"])
    mona, ada = _token(client, "mona"), _token(client, "ada")

    assert client.get("/api/v1/admin/calendar/years", headers=_token(client, "dora")).status_code == 403
    assert client.post("/api/v1/admin/calendar/years", json={"text": NOTICE_2027},
                       headers=_token(client, "dora")).status_code == 403
    local = client.post("/api/v1/admin/calendar/years", json={"text": NOTICE_2027}, headers=mona)
    assert local.status_code == 201 and local.json["jurisdiction"] == "yeji" and local.json["year"] == 2027
    assert client.post("/api/v1/admin/calendar/years", json={"text": NOTICE_2027, "jurisdiction": "huaian"},
                       headers=mona).status_code == 403
    bad = client.post("/api/v1/admin/calendar/years", json={"text": "year: 2027\nholiday: 2027-01-01\n"},
                      headers=mona)
    assert bad.status_code == 422 and "source" in bad.json["detail"]

    upload = {"file": (io.BytesIO(NOTICE_2027.encode()), "2027.txt")}
    national = client.post("/api/v1/admin/calendar/years", data=upload, headers=ada,
                           content_type="multipart/form-data")
    assert national.status_code == 201 and national.json["jurisdiction"] is None
    listed = client.get("/api/v1/admin/calendar/years", headers=mona).json
    assert [(y["year"], y["jurisdiction"]) for y in listed["years"] if y["year"] == 2027] == \
        [(2027, None), (2027, "yeji")]
    assert 2027 not in listed["provisional_years"]


def test_a_year_imported_by_another_process_counts_from_this_processs_next_transaction(
        people, ctx, monkeypatch, tmp_path, settings):
    install_process(monkeypatch, people, KEY, review_diagram(KEY))
    calendar_admin.install(ctx)                       # as `govflow serve` does when it starts
    assert ctx.calendar("yeji").is_provisional(date(2027, 1, 4))
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    env = dict(os.environ, GOVFLOW_DATABASE_URL=settings.database_url,
               GOVFLOW_INSTANCE_DIR=str(tmp_path / "other-process"))
    done = subprocess.run([sys.executable, "-m", "web.cli", "calendar", "import", str(notice)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    # Nobody told this process; its next transaction that computes a due date reads the new year.
    iid = people.start("alice", KEY, FACTS, now=at("2026-12-24 10:00"))
    task = people.task("dora", iid, "Review", now=at("2026-12-24 10:00"))
    assert (task["due_at"], task["due_provisional"]) == ("2027-01-11T23:59:59+08:00", False)
