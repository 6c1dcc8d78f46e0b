"""Every error page a browser can meet speaks Chinese only: 403 (a project, a task, the process
designer, the admin pages), 404, 409, 413, 422 and 500 — no English word in the page's main part."""
from __future__ import annotations

import re

from tests.conftest import at
from tests.web.test_pages import FACTS, text

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def main_text(response) -> str:
    """The visible text of the page's <main> (the header carries the signed-in user's login name)."""
    html = text(response)
    main = html[html.index("<main"):html.index("</main>")] if "<main" in html else html
    main = re.sub(r"<script.*?</script>|<style.*?</style>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def english_in(response) -> list[str]:
    return LATIN_WORD.findall(main_text(response))


def test_forbidden_pages_are_all_chinese(sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    declare = people.task("alice", iid, "Declare")
    bob = sign_in("bob")
    for url in (f"/instances/{iid}", f"/tasks/{declare['id']}", "/design", "/design/yeji", "/admin/calendar",
                "/manage", f"/projects/new?parent={iid}&process=yeji.change_request"):
        response = bob.get(url)
        assert response.status_code == 403, url
        assert english_in(response) == [], (url, main_text(response))
        assert "无权" in main_text(response)


def test_not_found_conflict_too_large_and_invalid_pages_are_all_chinese(app, sign_in, people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    declare = people.task("alice", iid, "Declare")
    alice = sign_in("alice")
    for response, status in (
        (alice.get("/no-such-page"), 404),
        (alice.get("/tasks/987654"), 404),
        (alice.get("/instances?page=abc"), 422),
        (alice.post(f"/tasks/{declare['id']}", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 10),
                    content_type="multipart/form-data; boundary=x"), 413),
    ):
        assert response.status_code == status
        assert english_in(response) == [], (status, main_text(response))
    people.do("alice", iid, "Declare", {"construction_basis": "依据", "construction_plan": "方案.pdf",
                                       "budget_estimate": 300, "feasibility_study": "可研.pdf", "leader": "张三",
                                       "contact": "李四", "phone": "0564-1234567"}, now=at("2026-08-02 10:00"))
    conflict = alice.post(f"/tasks/{declare['id']}", data={"csrf_token": _token(alice)})
    assert conflict.status_code == 409
    html = text(conflict)   # the task page again, its message on top (it names people by their login)
    alert = html[html.index('class="alert alert-warning"') + 30:]
    alert = alert[:alert.index("</div>")]
    words = LATIN_WORD.findall(re.sub(r"<[^>]*>|alice", " ", alert.split(">", 1)[1]))
    assert "未被保存" in alert and words == [], alert



def _token(client) -> str:
    from tests.web.helpers import form_token
    return form_token(text(client.get("/")))


def test_the_failure_page_is_all_chinese(app, sign_in):
    def broken():
        raise RuntimeError("boom")
    app.add_url_rule("/broken-for-chinese-test", view_func=broken)
    failure = sign_in("alice").get("/broken-for-chinese-test")
    assert failure.status_code == 500
    assert english_in(failure) == [] and "系统内部错误" in main_text(failure)
