"""The managers' overview: every running project, where it waits, overdue ones first."""
from engine.services import views
from tests.conftest import at
from tests.web.test_pages import in_review, text
from tests.yeji_walk import FACTS


def test_it_shows_managers_where_each_project_waits_overdue_first(sign_in, people, ctx):
    late = in_review(people, ctx)  # reviews due 2026-12-31: overdue by the real clock only after that
    fresh = people.start("bob", "yeji", {**FACTS, "project_name": "医保便民系统"}, now=at("2026-08-01 11:00"))
    board = views.dashboard(ctx, people.mona, now=at("2027-01-05 10:00"))
    # both are overdue; the one overdue longest comes first (its 项目申报 was due in 2026 before the
    # reviews of the other fell due on 2026-12-31)
    declaration_due = board["projects"][0]["earliest_due"]
    assert [p["id"] for p in board["projects"]] == [fresh, late] and declaration_due < "2026-12-31"
    assert [p["overdue"] for p in board["projects"]] == [1, 6] and board["overdue_tasks"] == 7
    assert board["counts"] == {"running": 2}
    page = text(sign_in("mona").get("/manage/running"))
    assert "项目监控" in page and "医保便民系统" in page and "区财政局：概算合理性审查" in page
    assert "区财政局" in page  # the role the review waits on


def test_it_filters_to_projects_with_overdue_steps(sign_in, people, ctx):
    in_review(people, ctx)
    people.start("bob", "yeji", {**FACTS, "project_name": "医保便民系统", "plan_year": 2028},
                 now=at("2026-11-01 11:00"))
    board = views.dashboard(ctx, people.mona, overdue_only=True, now=at("2027-01-05 10:00"))
    assert [p["project_name"] for p in board["projects"]] == ["智慧教育平台"]


def test_it_keeps_the_overview_to_managers(sign_in, people):
    assert sign_in("alice").get("/manage").status_code == 403
    assert "项目监控" not in text(sign_in("dora").get("/"))
    assert "项目监控" in text(sign_in("mona").get("/"))
