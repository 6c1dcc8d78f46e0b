"""Managers load a year's holiday notice in the browser; everyone reads their notifications."""
from engine.services import notifications
from tests.conftest import at
from tests.test_timers_support import fresh_calendars  # noqa: F401 - fixture
from tests.web.helpers import form_token
from tests.web.test_pages import text

NOTICE = """year: 2027
source: 国务院办公厅关于2027年部分节假日安排的通知
holiday: 2027-01-01 元旦
holiday: 2027-10-01..2027-10-07 国庆节
workday: 2027-09-26 国庆调休
"""


def test_it_lets_a_manager_load_a_local_notice_and_shows_it(sign_in, people, fresh_calendars):  # noqa: F811 - the fixture
    client = sign_in("mona")
    page = text(client.get("/admin/calendar"))
    assert "2027" in page and "暂定" in page
    response = client.post("/admin/calendar", data={"text": NOTICE, "scope": "local",
                                                    "csrf_token": form_token(page)}, follow_redirects=True)
    body = text(response)
    assert "已导入2027年节假日安排（六安市叶集区）" in body
    assert "国务院办公厅关于2027年部分节假日安排的通知" in body


def test_it_refuses_a_district_manager_the_national_calendar(sign_in, people, ctx, fresh_calendars):  # noqa: F811 - the fixture
    """One district's manager must not change every city's working days (national is admin-only)."""
    client = sign_in("mona")
    page = text(client.get("/admin/calendar"))
    assert "全国（国务院办公厅通知）" not in page
    response = client.post("/admin/calendar", data={"text": NOTICE, "scope": "national",
                                                    "csrf_token": form_token(page)})
    assert response.status_code == 403
    assert ("", 2027) not in calendar_years(ctx)


def test_it_lets_an_admin_load_the_national_calendar(sign_in, people, ctx, fresh_calendars):  # noqa: F811 - the fixture
    client = sign_in("ada")
    page = text(client.get("/admin/calendar"))
    response = client.post("/admin/calendar", data={"text": NOTICE, "scope": "national",
                                                    "csrf_token": form_token(page)}, follow_redirects=True)
    assert "已导入2027年节假日安排（全国）" in text(response)
    assert ("", 2027) in calendar_years(ctx)


def calendar_years(ctx) -> set[tuple[str, int]]:
    from sqlalchemy import select

    from engine.models import CalendarYear
    with ctx.db.transaction() as session:
        return {(r.jurisdiction, r.year) for r in session.scalars(select(CalendarYear))
                if r.loaded_by not in ("chinese-calendar", None) and r.year == 2027}


def test_it_shows_a_bad_notice_line_by_line_and_keeps_the_text(sign_in, people, fresh_calendars):  # noqa: F811 - the fixture
    client = sign_in("ada")
    token = form_token(text(client.get("/admin/calendar")))
    response = client.post("/admin/calendar", data={"text": "year: 2027\nsource: 通知\nholiday: 2027-13-01",
                                                    "csrf_token": token})
    assert response.status_code == 422
    body = text(response)
    assert "第3行" in body and "holiday: 2027-13-01" in body


def test_it_keeps_the_calendar_and_incidents_to_managers(sign_in, people):
    client = sign_in("alice")
    assert client.get("/admin/calendar").status_code == 403
    assert client.get("/admin/incidents").status_code == 403
    assert "目前没有定时器故障" in text(sign_in("mona").get("/admin/incidents"))


def test_it_lists_a_users_notifications_and_marks_them_read(sign_in, people, ctx):
    with ctx.db.transaction() as session:
        notifications.notify(session, [people.user("dora")], kind="overdue", title="“区数管局审查”已逾期",
                             body="办理期限为2026年12月31日", now=at("2027-01-01 09:00"))
    client = sign_in("dora")
    page = text(client.get("/notifications"))
    assert "“区数管局审查”已逾期" in page and "1 条未读" in page
    after = text(client.post("/notifications/read", data={"csrf_token": form_token(page)}, follow_redirects=True))
    assert "已全部标记为已读" in after and "条未读" not in after
