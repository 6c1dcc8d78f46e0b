"""The notice pages in Chromium: a manager presses 催办 on a review, the reviewer sees the unread count in
the page header, reads the list (each notice linking to its task), marks one read, follows another and
turns a kind off on 通知设置. The list is the docs' screenshot docs/images/notices.png."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from engine.services import notices
from engine.services.timers import tick
from tests.conftest import at
from tests.web.helpers import form_token
from tests.web.test_pages import text
from tests.yeji_walk import in_review

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _review_of(people, iid: int, element: str = "ReviewDataBureau") -> int:
    return people.task("dora", iid, element)["id"]


def test_a_reviewer_reads_the_notices_a_manager_and_the_scheduler_sent(browsing, people, ctx):
    people.dora, people.mona  # noqa: B018 - they exist before the reviews arrive
    iid = in_review(people, ctx)
    tick(ctx, at("2026-10-01 08:01"))                      # 新任务 to the six reviewers
    task_id = _review_of(people, iid)

    manager = browsing.sign_in("mona")
    manager.goto(f"/tasks/{task_id}")
    manager.get_by_label("催办内容").fill("请于本周五前提出审查意见。")
    manager.get_by_role("button", name="催办", exact=True).click()
    expect(manager.get_by_text("已催办，1 位承办人将收到消息。")).to_be_visible()
    manager.goto(f"/instances/{iid}")
    urge_row = manager.locator(".tl-task_urged")
    expect(urge_row).to_contain_text("催办")
    expect(urge_row).to_contain_text("请于本周五前提出审查意见。")

    page = browsing.sign_in("dora")
    count = page.locator("[data-notices] [data-unread-count]")
    expect(count).to_have_text("2")
    page.locator("[data-notices]").click()
    expect(page.get_by_role("heading", name="消息通知")).to_be_visible()
    items = page.locator("[data-notice]")
    expect(items).to_have_count(2)
    urged = page.locator("[data-kind=task_urged]")
    expect(urged).to_contain_text("催办：" + people.task("dora", iid, "ReviewDataBureau")["title"])
    expect(urged).to_contain_text("请于本周五前提出审查意见。")
    expect(page.locator("[data-kind=task_arrived]")).to_contain_text("2026年10月1日 08:00")
    page.screenshot(path=str(IMAGES / "notices.png"), full_page=True)

    urged.get_by_role("button", name="标为已读").click()
    expect(count).to_have_text("1")
    expect(page.locator("[data-kind=task_urged]")).not_to_have_class("notice unread")
    page.locator("[data-kind=task_arrived]").get_by_role("button", name="查看任务").click()
    page.wait_for_url(f"**/tasks/{task_id}")
    expect(page.locator("[data-notices] [data-unread-count]")).to_have_count(0)   # all read: no figure

    page.goto("/notifications/settings")
    page.locator("tr[data-kind=task_arrived]").get_by_role("checkbox").first.uncheck()
    page.get_by_role("button", name="保存设置").click()
    expect(page.get_by_text("通知设置已保存。")).to_be_visible()
    mine = {p["kind"]: p for p in notices.preferences(ctx, people.dora)}
    assert (mine["task_arrived"]["in_app"], mine["task_arrived"]["email"]) == (False, True)
    assert browsing.script_errors == []


def test_the_pages_refuse_another_users_notice_and_a_non_manager_urging(sign_in, people, ctx):
    people.dora, people.mona, people.erin  # noqa: B018
    iid = in_review(people, ctx)
    tick(ctx, at("2026-10-01 08:01"))
    [mine] = notices_of(ctx, people.dora)
    erin = sign_in("erin")
    page = text(erin.get("/notifications"))
    assert "新任务" in page and f'data-notice="{mine.id}"' not in page
    refused = erin.post(f"/notifications/{mine.id}/read", data={"csrf_token": form_token(page)})
    assert refused.status_code == 404 and "消息不存在" in text(refused)
    [hers] = notices_of(ctx, people.erin)
    for elsewhere in ("//evil.example/x", "/\\evil.example", "https://evil.example/"):
        answer = erin.post(f"/notifications/{hers.id}/read", data={"csrf_token": form_token(page), "go": elsewhere})
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/notifications")
    urged = erin.post(f"/tasks/{_review_of(people, iid)}/urge", data={"message": "快", "csrf_token": form_token(page)})
    assert urged.status_code == 403
    mona = sign_in("mona")
    page = text(mona.get(f"/tasks/{_review_of(people, iid)}"))
    empty = mona.post(f"/tasks/{_review_of(people, iid)}/urge", data={"message": " ", "csrf_token": form_token(page)},
                      follow_redirects=True)
    assert "请填写催办内容" in text(empty)


def notices_of(ctx, user_id: int):
    from sqlalchemy import select

    from engine.models import Notification
    with ctx.db.transaction() as session:
        return list(session.scalars(select(Notification).where(Notification.user_id == user_id)))
