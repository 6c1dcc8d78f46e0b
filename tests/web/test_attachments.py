"""Attachments: uploaded with the task form, checked by extension and content, limited in size,
stored outside the web root under a random name with their SHA-256, downloadable only by those
who may see the project."""
from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from pathlib import Path

import pytest

from engine.errors import PermissionDenied, ValidationFailed
from engine.models import Attachment
from engine.services import attachments
from engine.services.context import Context
from tests.conftest import at
from tests.web.helpers import PDF, PNG, docx_bytes, form_token
from tests.web.test_pages import FACTS

DECLARE_FORM = {"construction_basis": "《叶集区“十四五”数字政府建设规划》", "budget_estimate": "300",
                "leader": "张三", "contact": "李四", "phone": "0564-1234567"}


def declare(people):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    return iid, people.task("alice", iid, "Declare")


def post_declare(client, task_id, files: dict, extra: dict | None = None):
    token = form_token(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    data = dict(DECLARE_FORM, csrf_token=token, **(extra or {}))
    data.update({f"{field}__file": (io.BytesIO(content), name) for field, (name, content) in files.items()})
    return client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")


def test_it_uploads_attachments_with_the_task_form_and_lists_them_on_the_project(sign_in, people, settings):
    iid, task = declare(people)
    alice = sign_in("alice")
    response = post_declare(alice, task["id"], {"construction_plan": ("建设方案.pdf", PDF),
                                                "feasibility_study": ("可研报告.docx", docx_bytes())})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = alice.get(f"/instances/{iid}").get_data(as_text=True)
    assert "附件（2）" in page and "建设方案.pdf" in page and "可研报告.docx" in page
    attachment_id = int(re.search(r'/attachments/(\d+)">建设方案.pdf', page).group(1))
    with alice.get(f"/attachments/{attachment_id}") as download:
        assert download.status_code == 200
        assert download.data == PDF
        assert download.mimetype == "application/pdf"
        assert "attachment" in download.headers["Content-Disposition"]
        assert "filename*=UTF-8''%E5%BB%BA" in download.headers["Content-Disposition"]
    answers = people.instance(iid)["history"][-1]["data"]
    assert answers["construction_plan"] == str(attachment_id)


def test_it_stores_files_outside_the_web_root_with_their_checksum(people, ctx, settings):
    iid, task = declare(people)
    info = attachments.store(ctx, people.alice, task["id"], "construction_plan", "../../方案.pdf", io.BytesIO(PDF))
    assert info["filename"] == "方案.pdf" and info["sha256"] == hashlib.sha256(PDF).hexdigest()
    with ctx.db.transaction() as session:
        row = session.get(Attachment, info["id"])
        stored = Path(settings.upload_dir) / row.stored_name
    assert stored.read_bytes() == PDF and "方案" not in row.stored_name
    assert not str(stored).startswith(str(Path(__file__).resolve().parents[2] / "web"))


@pytest.mark.parametrize("name, content, message", [
    ("病毒.exe", b"MZ\x90\x00", "仅支持PDF、Word"),
    ("伪装.pdf", PNG, "文件内容与扩展名 .pdf 不符"),
    ("假的.docx", b"PK\x03\x04not really a zip", "文件内容与扩展名 .docx 不符"),
    ("空.pdf", b"", "文件为空"),
])
def test_it_refuses_files_of_other_types_and_keeps_the_form(sign_in, people, name, content, message):
    iid, task = declare(people)
    alice = sign_in("alice")
    response = post_declare(alice, task["id"], {"construction_plan": (name, content),
                                                "feasibility_study": ("可研报告.pdf", PDF)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="张三"' in page and "可研报告.pdf" in page  # the good upload is kept, by its id
    assert people.ready(iid) == ["Declare"]


def test_it_refuses_files_over_the_size_limit(people, ctx):
    iid, task = declare(people)
    small = Context(settings=dataclasses.replace(ctx.settings, max_upload_mb=1), db=ctx.db, runtime=ctx.runtime)
    with pytest.raises(ValidationFailed) as refused:
        attachments.store(small, people.alice, task["id"], "construction_plan", "大.pdf",
                          io.BytesIO(b"%PDF-" + b"0" * (1024 * 1024)))
    assert refused.value.errors == {"construction_plan": "文件超过 1 MB 上限"}
    assert attachments.list_for_instance(ctx, people.alice, iid) == []
    assert list(Path(ctx.settings.upload_dir).glob(".upload-*")) == []


def test_it_answers_a_request_over_the_limit_with_a_friendly_page(sign_in, people, app):
    iid, task = declare(people)
    alice = sign_in("alice")
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = post_declare(alice, task["id"], {"construction_plan": ("大.pdf", b"%PDF-" + b"0" * 4096)})
    assert response.status_code == 413
    assert "上传内容超过大小限制" in response.get_data(as_text=True)


def test_it_lets_only_those_who_may_see_the_project_download(sign_in, people, ctx):
    iid, task = declare(people)
    info = attachments.store(ctx, people.alice, task["id"], "construction_plan", "方案.pdf", io.BytesIO(PDF))
    refused = sign_in("bob").get(f"/attachments/{info['id']}")
    assert refused.status_code == 403 and "您无权下载该附件" in refused.get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        attachments.open_for_download(ctx, people.dora, info["id"])  # not involved yet
    with sign_in("mona").get(f"/attachments/{info['id']}") as manager:
        assert manager.status_code == 200
    assert sign_in("alice").get("/attachments/999999").status_code == 404


def test_it_refuses_uploads_by_someone_who_may_not_act_on_the_task(people, ctx):
    iid, task = declare(people)
    with pytest.raises(PermissionDenied):
        attachments.store(ctx, people.bob, task["id"], "construction_plan", "方案.pdf", io.BytesIO(PDF))
    with pytest.raises(ValidationFailed):
        attachments.store(ctx, people.alice, task["id"], "leader", "方案.pdf", io.BytesIO(PDF))


def test_it_refuses_a_file_whose_stored_copy_was_altered(sign_in, people, ctx, settings):
    iid, task = declare(people)
    info = attachments.store(ctx, people.alice, task["id"], "construction_plan", "方案.pdf", io.BytesIO(PDF))
    with ctx.db.transaction() as session:
        stored = Path(settings.upload_dir) / session.get(Attachment, info["id"]).stored_name
    stored.write_bytes(PDF + b"tampered")
    response = sign_in("alice").get(f"/attachments/{info['id']}")
    assert response.status_code == 500 and "附件已损坏" in response.get_data(as_text=True)


def test_it_refuses_an_attachment_id_of_another_project(sign_in, people, ctx):
    other, other_task = declare(people)
    foreign = attachments.store(ctx, people.alice, other_task["id"], "construction_plan", "方案.pdf",
                                io.BytesIO(PDF))
    iid, task = declare(people)
    alice = sign_in("alice")
    response = post_declare(alice, task["id"], {"feasibility_study": ("可研.pdf", PDF)},
                            {"construction_plan": str(foreign["id"])})
    assert response.status_code == 422 and "附件无效，请重新上传" in response.get_data(as_text=True)
