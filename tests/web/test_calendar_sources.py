"""The 节假日安排 page cites, for every built-in year, the State Council General Office's notice the
arrangement follows (国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）), not the
library govflow reads it from; rows seeded by an older govflow are brought to the citation at start-up."""
from __future__ import annotations

from sqlalchemy import select, update

from engine.models import CalendarYear
from engine.services import calendar_admin
from engine.workcalendar import builtin_arrangement, state_council_notice
from tests.test_timers_support import fresh_calendars  # noqa: F401 - fixture
from tests.web.test_pages import text


def test_every_built_in_year_cites_the_state_council_notice():
    for year in range(2004, 2027):
        source = builtin_arrangement(year).source
        assert source.startswith(f"国务院办公厅关于{year}年部分节假日安排的通知"), source
        assert "chinese" not in source.lower()
    assert builtin_arrangement(2026).source == "国务院办公厅关于2026年部分节假日安排的通知（国办发明电〔2025〕7号）"
    assert "国办发明电〔2020〕1号" in state_council_notice(2020)   # 延长2020年春节假期


def test_rows_seeded_with_the_library_name_cite_the_notice_after_start_up(ctx, sign_in, people,
                                                                         fresh_calendars):  # noqa: F811
    calendar_admin.seed(ctx)
    with ctx.db.transaction() as session:
        session.execute(update(CalendarYear).where(CalendarYear.jurisdiction == "", CalendarYear.year == 2025)
                        .values(source="chinese-calendar 1.11.0"))
    calendar_admin.install(ctx)
    with ctx.db.transaction() as session:
        source = session.scalar(select(CalendarYear.source).where(CalendarYear.jurisdiction == "",
                                                                  CalendarYear.year == 2025))
    assert source == "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"
    page = text(sign_in("mona").get("/admin/calendar"))
    assert "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）" in page
    assert "chinese-calendar" not in page
