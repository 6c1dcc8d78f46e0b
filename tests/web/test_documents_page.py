"""Official documents in the browser and the API: the project page lists them with their numbers and
a download link; the PDF goes to whoever may see the project (others get a Chinese refusal, audited)."""
from __future__ import annotations

import io
from pathlib import Path

import pypdf
from sqlalchemy import select

from engine.models import AuditEvent
from engine.services.timers import tick
from tests.conftest import at
from tests.test_api import token
from tests.yeji_walk import declared


def accepted(people, ctx) -> tuple[int, dict]:
    iid = declared(people)
    tick(ctx, at("2026-10-01 08:00"))       # 第七条: the review window opens, the declaration is accepted
    return iid, people.instance(iid)["documents"][0]


def text_of(content: bytes) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages).replace("\n", "")


def test_the_applicant_downloads_the_acceptance_notice_from_the_project_page(browsing, people, ctx):
    iid, doc = accepted(people, ctx)
    page = browsing.sign_in("alice")
    page.goto(f"/instances/{iid}")
    panel = page.locator("section", has=page.get_by_role("heading", name="公文（1）"))
    assert "叶数管〔2026〕1号" in panel.inner_text() and "2026年10月1日" in panel.inner_text()
    with page.expect_download(timeout=60_000) as download:    # the PDF is made on this first request
        panel.get_by_role("link", name="受理通知书").click(timeout=60_000)
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF") and "叶数管〔2026〕1号" in text_of(content)
    assert download.value.suggested_filename == "叶数管〔2026〕1号受理通知书.pdf"
    assert not browsing.script_errors


def test_another_unit_is_refused_the_document_in_chinese_and_the_refusal_is_audited(sign_in, people, ctx):
    _, doc = accepted(people, ctx)
    answer = sign_in("bob").get(f"/documents/{doc['id']}")
    assert answer.status_code == 403 and "无权查看该公文" in answer.get_data(as_text=True)
    with ctx.db.transaction() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.event == "refused",
                                                           AuditEvent.actor_id == people.bob)).all()
    assert refused


def test_the_api_lists_documents_on_the_instance_and_answers_the_pdf(client, people, ctx):
    iid, doc = accepted(people, ctx)
    alice = token(client, people, "alice")
    listed = client.get(f"/api/v1/instances/{iid}", headers=alice).get_json()["documents"]
    assert listed == [{"id": doc["id"], "kind": "acceptance", "title": "受理通知书", "number": "叶数管〔2026〕1号",
                       "created_at": "2026-10-01T08:00:00+08:00"}]
    answer = client.get(f"/api/v1/documents/{doc['id']}", headers=alice)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert "叶集区智慧教育平台" in text_of(answer.data)
    assert client.get(f"/api/v1/documents/{doc['id']}", headers=token(client, people, "bob")).status_code == 403
    missing = client.get("/api/v1/documents/99999", headers=alice)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/documents/{doc['id']}").status_code == 401
