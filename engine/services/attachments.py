"""Attachments (建设方案, 可研报告, 验收报告 …): stored outside the web root under a random name with
their SHA-256, accepted only as PDF, Office/WPS/OFD documents or images whose first bytes match the
file extension, and handed back only to users who may see the instance."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from engine import clock, policy, queries
from engine.errors import Conflict, GovflowError, NotFound, PermissionDenied, ValidationFailed
from engine.models import Attachment, HumanTask, ProcessInstance, User
from engine.services.context import Context

_CHUNK = 64 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class FileType:
    content_type: str
    magic: tuple[bytes, ...] = ()     # the file starts with one of these …
    zip_member: str | None = None     # … or it is a ZIP holding this member (OOXML, OFD)


FILE_TYPES = {
    "pdf": FileType("application/pdf", (b"%PDF-",)),
    "doc": FileType("application/msword", (_OLE2,)),
    "xls": FileType("application/vnd.ms-excel", (_OLE2,)),
    "ppt": FileType("application/vnd.ms-powerpoint", (_OLE2,)),
    "wps": FileType("application/vnd.ms-works", (_OLE2,)),
    "et": FileType("application/vnd.ms-excel", (_OLE2,)),
    "docx": FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     zip_member="word/document.xml"),
    "xlsx": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     zip_member="xl/workbook.xml"),
    "pptx": FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                     zip_member="ppt/presentation.xml"),
    "ofd": FileType("application/ofd", zip_member="OFD.xml"),
    "png": FileType("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileType("image/jpeg", (b"\xff\xd8\xff",)),
}
ALLOWED_LABEL = "PDF、Word、Excel、PowerPoint、WPS、OFD 文档或 PNG/JPEG 图片"


class AttachmentCorrupted(GovflowError):
    status, code, title = 500, "attachment_corrupted", "附件已损坏"


def describe(row: Attachment) -> dict:
    return {"id": row.id, "instance_id": row.instance_id, "human_task_id": row.human_task_id,
            "field": row.field, "filename": row.filename, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256,
            "created_at": row.created_at.astimezone(clock.SHANGHAI).isoformat(),
            "uploaded_by": row.uploaded_by.display_name if row.uploaded_by else None,
            "unit": row.uploaded_by.unit.name if row.uploaded_by else None}


def clean_filename(filename: str | None) -> str:
    """The name the user gave, without folders or control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext) if dot else name[:200]
    return name


def extension_of(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def _attachment_field(forms, form: str | None, field: str) -> bool:
    """Is `field` (`plan`, or `quotes.0.file` inside repeated rows) an attachment of the form (in
    `forms`, the forms of the task's version: Context.forms_for)?"""
    if not form:
        return False
    node, _ui = forms.load(form)
    for part in field.split("."):
        node = node.get("items", {}) if part.isdigit() else node.get("properties", {}).get(part)
        if not isinstance(node, dict):
            return False
    return node.get("x-widget") == "attachment"


def _check_uploader(ctx: Context, user_id: int, task_id: int, field: str) -> HumanTask:
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        task = session.get(HumanTask, task_id)
        if task is None or task.jurisdiction != user.jurisdiction:
            raise NotFound(f"任务不存在：{task_id}")
        if not policy.can_act_on(user, ctx.registry.get(task.jurisdiction), task.role_key, task.applicant_unit_id):
            raise PermissionDenied("该任务不属于您的角色或单位，不能上传附件")
        if task.state != "ready":
            raise Conflict(f"“{task.title}”已不在待办状态，不能再上传附件")
        version_id = session.get(ProcessInstance, task.instance_id).process_version_id
        if not _attachment_field(ctx.forms_for(session, version_id), task.form, field):
            raise ValidationFailed(f"“{field}”不是该表单的附件字段", errors={field: "不是附件字段"})
        return task


def _write_temp(ctx: Context, stream: BinaryIO, field: str) -> tuple[Path, int, str]:
    limit = ctx.settings.max_upload_mb * 1024 * 1024
    folder = Path(ctx.settings.upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".upload-{secrets.token_hex(8)}"
    digest, size = hashlib.sha256(), 0
    try:
        with temp.open("wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationFailed(f"附件超过 {ctx.settings.max_upload_mb} MB 的大小限制",
                                           errors={field: f"文件超过 {ctx.settings.max_upload_mb} MB 上限"})
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if size == 0:
        temp.unlink(missing_ok=True)
        raise ValidationFailed("附件为空文件", errors={field: "文件为空，请重新选择"})
    return temp, size, digest.hexdigest()


def _content_matches(path: Path, kind: FileType) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    if kind.magic:
        return any(head.startswith(m) for m in kind.magic)
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return kind.zip_member in archive.namelist()
    except zipfile.BadZipFile:
        return False


def store(ctx: Context, user_id: int, task_id: int, field: str, filename: str | None,
          stream: BinaryIO) -> dict:
    """Save an upload for a field of a ready task the user may act on; answers `describe(row)`."""
    task = _check_uploader(ctx, user_id, task_id, field)
    name = clean_filename(filename)
    kind = FILE_TYPES.get(extension_of(name))
    if not name or kind is None:
        raise ValidationFailed(f"不支持的附件类型：{name or '（无文件名）'}，请上传{ALLOWED_LABEL}",
                               errors={field: f"仅支持{ALLOWED_LABEL}"})
    temp, size, sha256 = _write_temp(ctx, stream, field)
    try:
        if not _content_matches(temp, kind):
            raise ValidationFailed(f"“{name}”的内容与扩展名 .{extension_of(name)} 不符",
                                   errors={field: f"文件内容与扩展名 .{extension_of(name)} 不符"})
        stored_name = secrets.token_hex(20)
        final = Path(ctx.settings.upload_dir) / stored_name
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    try:
        with ctx.db.transaction() as session:
            row = Attachment(instance_id=task.instance_id, human_task_id=task.id, field=field,
                             uploaded_by_id=user_id, filename=name, stored_name=stored_name,
                             content_type=kind.content_type, size=size, sha256=sha256, created_at=clock.now())
            session.add(row)
            session.flush()
            session.refresh(row)
            return describe(row)
    except BaseException:
        final.unlink(missing_ok=True)
        raise


def _may_view(ctx: Context, session, user: User, inst: ProcessInstance) -> bool:
    unit_roles = ctx.registry.get(inst.jurisdiction).unit_roles
    return policy.can_view_instance(user, inst.jurisdiction, inst.applicant_unit_id,
                                    queries.user_involved(session, user, unit_roles, inst.id), inst.started_by_id)


def list_for_instance(ctx: Context, user_id: int, instance_id: int) -> list[dict]:
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            raise NotFound(f"项目不存在：{instance_id}")
        if not _may_view(ctx, session, user, inst):
            raise PermissionDenied("您无权查看该项目的附件")
        rows = session.scalars(select(Attachment).where(Attachment.instance_id == instance_id)
                               .order_by(Attachment.created_at, Attachment.id))
        return [describe(r) for r in rows]


def open_for_download(ctx: Context, user_id: int, attachment_id: int) -> tuple[dict, Path]:
    """(description, path on disk) for a user who may view the attachment's instance; the stored
    file is checked against its SHA-256 before it is handed out."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise NotFound(f"附件不存在：{attachment_id}")
        if not _may_view(ctx, session, user, session.get(ProcessInstance, row.instance_id)):
            raise PermissionDenied("您无权下载该附件：仅项目申报单位和参与办理的部门可以查看")
        info = describe(row)
        stored_name = row.stored_name
    path = Path(ctx.settings.upload_dir) / stored_name
    if not path.is_file() or _sha256(path) != info["sha256"]:
        raise AttachmentCorrupted(f"附件“{info['filename']}”的存储文件缺失或校验值不符，请联系管理员")
    return info, path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
