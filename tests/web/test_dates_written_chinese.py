"""Dates are written one way for readers — 2026年12月1日 (09:30) in Beijing time — by one formatter
(engine/cn_dates.py) that the pages' Jinja filters are and that engine code (refusals, incidents, the
audit warning, notices) calls: no ISO date left on a page or in a message."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from engine import cn_dates
from engine.services.audit import Break
from tests.web.test_pages import start_form, text

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_the_shared_formatter_writes_beijing_dates_in_chinese():
    instant = datetime(2026, 12, 1, 1, 30, 5, tzinfo=timezone.utc)
    assert cn_dates.cn_date(date(2026, 12, 1)) == "2026年12月1日"
    assert cn_dates.cn_date("2026-09-30") == "2026年9月30日"
    assert cn_dates.cn_date(datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)) == "2026年12月1日"
    assert cn_dates.cn_datetime(instant) == "2026年12月1日 09:30"
    assert cn_dates.cn_datetime(instant.isoformat(), seconds=True) == "2026年12月1日 09:30:05"
    assert cn_dates.cn_date(None) == cn_dates.cn_datetime("") == ""


def test_the_page_filters_are_the_shared_formatter(app):
    assert app.jinja_env.filters["cn_date"] is cn_dates.cn_date
    assert app.jinja_env.filters["cn_datetime"] is cn_dates.cn_datetime


def test_the_declaration_deadline_refusal_names_the_day_in_chinese(sign_in, people):
    people.deploy("yeji")
    client = sign_in("alice")
    response = client.post("/projects/new", data={
        "csrf_token": start_form(client), "process": "yeji", "project_name": "过期申报",
        "project_type": "construction", "total_investment": "300", "plan_year": "2025"})
    page = text(response)
    assert response.status_code == 422
    assert "已过申报截止日期（2024年9月30日）" in page
    main = page[page.index("<main"):page.index("</main>")]
    assert ISO_DATE.findall(re.sub(r"<[^>]+>", " ", main)) == []


def test_the_audit_warning_names_the_broken_row_with_a_chinese_time():
    broken = Break(id=7, seq=7, event="task_completed", at=datetime(2026, 12, 1, 1, 30, 5, tzinfo=timezone.utc),
                   reason="内容与哈希不符")
    assert "时间 2026年12月1日 09:30:05" in broken.describe()
