"""Attachments (建设方案, 可研报告, 验收报告 …): stored outside the web root under a random name with
their SHA-256, accepted only as PDF, Office/WPS/OFD documents or images whose first bytes match the
file extension, and handed back only to users who may see the instance."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Text, cast, exists, or_, select
from sqlalchemy.orm import aliased, lazyload

from engine import clock, policy, queries
from engine.errors import Conflict, GovflowError, NotFound, PermissionDenied, ValidationFailed
from engine.models import Attachment, Comment, HumanTask, ProcessInstance, User
from engine.services import holding
from engine.services.context import Context

log = logging.getLogger("govflow.attachments")
_CHUNK = 64 * 1024
ORPHAN_AGE = timedelta(days=1)     # an upload no completed task refers to is removed after this
INVALID = "附件无效，请重新上传"
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


class AttachmentTooLarge(ValidationFailed):
    """Over GOVFLOW_MAX_UPLOAD_MB: 413 for API clients; the task page shows it beside the field."""
    status, code, title = 413, "attachment_too_large", "附件过大"


def describe(row: Attachment) -> dict:
    return {"id": row.id, "instance_id": row.instance_id, "human_task_id": row.human_task_id,
            "field": row.field, "filename": row.filename, "content_type": row.content_type,
            "size": row.size, "sha256": row.sha256,
            "created_at": row.created_at.astimezone(clock.SHANGHAI).isoformat(),
            "uploaded_by": row.uploaded_by.display_name if row.uploaded_by else None,
            "unit": row.uploaded_by.unit.name if row.uploaded_by else None}


def _visible(ch: str) -> bool:
    """Control characters (Cc), format characters (Cf: the bidi embeddings and overrides U+202A–202E,
    isolates U+2066–2069, marks U+200E/200F, zero-width characters) and line/paragraph separators go:
    `evil\u202efdp.exe` would show as `evilexe.pdf`."""
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def clean_filename(filename: str | None) -> str:
    """The name the user gave, without folders, control or bidi-override characters, NFC-normalized,
    without trailing dots or spaces (so the extension read is the one a desktop shows), at most 200
    characters."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if _visible(ch))
    name = unicodedata.normalize("NFC", name).strip().lstrip(".").rstrip(". ")
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


def attachment_values(schema: dict, data: dict) -> list[tuple[str, object]]:
    """(path, value) of every attachment field given in `data`: `plan`, or `quotes.0.file` in rows."""
    found = []
    for key, prop in ((schema or {}).get("properties") or {}).items():
        value = (data or {}).get(key) if isinstance(data, dict) else None
        if not isinstance(prop, dict) or value in (None, ""):
            continue
        if prop.get("x-widget") == "attachment":
            found.append((key, value))
        elif isinstance(value, list) and isinstance(prop.get("items"), dict):
            for index, row in enumerate(value):
                if isinstance(row, dict):
                    found += [(f"{key}.{index}.{path}", cell) for path, cell in attachment_values(prop["items"], row)]
    return found


def _check_uploader(ctx: Context, user_id: int, task_id: int, field: str | None) -> HumanTask:
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        task = session.get(HumanTask, task_id)
        if task is None or not policy.in_jurisdiction(user, task.jurisdiction):
            raise NotFound(f"任务不存在：{task_id}")
        if not holding.may_fill(user, ctx.registry.get(task.jurisdiction), task):   # a holder, or its delegate
            raise PermissionDenied("该任务不属于您的角色或单位，不能上传附件")
        if task.state != "ready":
            raise Conflict(f"“{task.title}”已不在待办状态，不能再上传附件")
        version_id = session.get(ProcessInstance, task.instance_id).process_version_id
        forms = ctx.forms_for(session, version_id)
        if field is None:  # an API upload: the client puts the id into whichever attachment field
            if not task.form or not _has_attachment_field(forms.load(task.form)[0]):
                raise ValidationFailed(f"“{task.title}”的表单没有附件字段", errors={"file": "该任务不需要上传附件"})
        elif not _attachment_field(forms, task.form, field):
            raise ValidationFailed(f"“{field}”不是该表单的附件字段", errors={field: "不是附件字段"})
        return task


def check_uploader(ctx: Context, user_id: int, task_id: int, field: str | None = None) -> None:
    """404/403/409/422 as `store` would answer them, for a request that brought no file."""
    _check_uploader(ctx, user_id, task_id, field)


def _has_attachment_field(schema: dict) -> bool:
    for prop in (schema.get("properties") or {}).values():
        if isinstance(prop, dict) and (prop.get("x-widget") == "attachment"
                                       or _has_attachment_field(prop.get("items") or {})):
            return True
    return False


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
                    raise AttachmentTooLarge(f"附件超过 {ctx.settings.max_upload_mb} MB 的大小限制",
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


def store(ctx: Context, user_id: int, task_id: int, field: str | None, filename: str | None,
          stream: BinaryIO) -> dict:
    """Save an upload for a field (None: any attachment field, as API clients upload) of a ready task
    the user may act on; answers `describe(row)`. The same content uploaded again for the same task
    (a retry after a refused submission) answers the attachment already stored."""
    task = _check_uploader(ctx, user_id, task_id, field)
    return save(ctx, user_id, task.instance_id, task.id, field, filename, stream)


def save(ctx: Context, user_id: int, instance_id: int, task_id: int | None, field: str | None,
         filename: str | None, stream: BinaryIO) -> dict:
    """Check an upload's type, size and content and store it for the instance (and task), the caller
    having checked who may upload it; answers `describe(row)`."""
    key = field or "file"
    name = clean_filename(filename)
    kind = FILE_TYPES.get(extension_of(name))
    if not name or kind is None:
        raise ValidationFailed(f"不支持的附件类型：{name or '（无文件名）'}，请上传{ALLOWED_LABEL}",
                               errors={key: f"仅支持{ALLOWED_LABEL}"})
    temp, size, sha256 = _write_temp(ctx, stream, key)
    try:
        if not _content_matches(temp, kind):
            raise ValidationFailed(f"“{name}”的内容与扩展名 .{extension_of(name)} 不符",
                                   errors={key: f"文件内容与扩展名 .{extension_of(name)} 不符"})
        with ctx.db.transaction() as session:
            same = session.scalar(select(Attachment).where(Attachment.human_task_id == task_id,
                                                           Attachment.sha256 == sha256)
                                  .order_by(Attachment.id).limit(1)) if task_id is not None else None
            if same is not None and (Path(ctx.settings.upload_dir) / same.stored_name).is_file():
                return describe(same)
        stored_name = secrets.token_hex(20)
        final = Path(ctx.settings.upload_dir) / stored_name
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    try:
        with ctx.db.transaction() as session:
            row = Attachment(instance_id=instance_id, human_task_id=task_id, field=field,
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
        info["filename"] = clean_filename(info["filename"]) or f"附件{row.id}"  # stored before names were cleaned
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


# --- attachment fields of a completed task --------------------------------------------------------

def _attachment_id(value) -> int | None:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def invalid_answers(ctx: Context, session, task: HumanTask, answers: dict, actor=None) -> dict[str, str]:
    """{field: message} for each attachment field whose value is not the id of an existing file of
    this task's instance, uploaded for this task (or an earlier one of the instance) by someone who
    could act on that task. `actor`: the user completing the task (a User or Principal), whose roles
    decide their own uploads without reading them again. One query for all the fields' files."""
    if not task.form:
        return {}
    version_id = session.get(ProcessInstance, task.instance_id).process_version_id
    schema = ctx.forms_for(session, version_id).load(task.form)[0]
    values = [(path, _attachment_id(value)) for path, value in attachment_values(schema, answers)]
    if not values:
        return {}
    jurisdiction = ctx.registry.get(task.jurisdiction)
    wanted = {attachment_id for _path, attachment_id in values if attachment_id is not None}
    found = {row.id: (row, upload_task) for row, upload_task in session.execute(
        select(Attachment, HumanTask).join(HumanTask, HumanTask.id == Attachment.human_task_id)
        .where(Attachment.id.in_(wanted)).options(lazyload(Attachment.uploaded_by)))} if wanted else {}

    def valid(attachment_id) -> bool:
        row, upload_task = found.get(attachment_id, (None, None))
        if row is None or row.instance_id != task.instance_id or upload_task.instance_id != task.instance_id \
                or upload_task.id > task.id:
            return False
        uploader = actor if actor is not None and actor.id == row.uploaded_by_id else row.uploaded_by
        return (uploader is not None
                and (policy.can_act_on(uploader, jurisdiction, upload_task.role_key, upload_task.role_unit_id)
                     or uploader.id == upload_task.delegate_id)   # the colleague it was delegated to (委托)
                and (Path(ctx.settings.upload_dir) / row.stored_name).is_file())

    return {path: INVALID for path, attachment_id in values if not valid(attachment_id)}


def check_answers(ctx: Context, session, task: HumanTask, answers: dict, actor=None) -> None:
    """422 naming each attachment field that does not hold a file of this task (see invalid_answers)."""
    errors = invalid_answers(ctx, session, task, answers, actor)
    if errors:
        raise ValidationFailed(f"附件无效（{'、'.join(errors)}）：请上传本项目本环节的文件", errors=errors)


def invalid_for_task(ctx: Context, task_id: int, data: dict) -> dict[str, str]:
    """invalid_answers for the task page, which shows every problem of a submission at once."""
    with ctx.db.transaction() as session:
        task = session.get(HumanTask, task_id)
        return invalid_answers(ctx, session, task, data) if task is not None else {}


# --- orphans --------------------------------------------------------------------------------------

def clean_orphans(ctx: Context, now: datetime | None = None, batch: int = 200) -> int:
    """Remove uploads older than ORPHAN_AGE that no completed task of their instance refers to and
    whose task no longer waits (a refused submission's files stay for its retry while the task is
    ready). Answers how many went."""
    now = now or clock.now()
    upload_task, referring = aliased(HumanTask), aliased(HumanTask)
    quoted_id = '"' + cast(Attachment.id, Text) + '"'
    referred = exists().where(referring.instance_id == Attachment.instance_id, referring.state == "completed",
                              cast(referring.data, Text).contains(quoted_id))
    commented = exists().where(Comment.attachment_id == Attachment.id)   # a comment's file is kept
    with ctx.db.transaction() as session:
        rows = list(session.scalars(
            select(Attachment).outerjoin(upload_task, upload_task.id == Attachment.human_task_id)
            .where(Attachment.created_at < now - ORPHAN_AGE,
                   or_(upload_task.id.is_(None), upload_task.state != "ready"), ~referred, ~commented)
            .order_by(Attachment.id).limit(batch)))
        names = [row.stored_name for row in rows]
        for row in rows:
            session.delete(row)
    for name in names:
        (Path(ctx.settings.upload_dir) / name).unlink(missing_ok=True)
    if names:
        log.info("removed %d orphaned uploads", len(names))
    return len(names)


# --- placeholder documents ------------------------------------------------------------------------

def placeholder(filename: str) -> bytes:
    """A minimal document of the type `filename` names (PDF, OOXML, OFD, OLE2, PNG/JPEG), for demo
    data that names its attachments by file name."""
    kind = FILE_TYPES.get(extension_of(clean_filename(filename))) or FILE_TYPES["pdf"]
    if kind.zip_member:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr(kind.zip_member, "<placeholder/>")
        return buffer.getvalue()
    if kind.magic[0].startswith(b"%PDF"):
        return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return kind.magic[0] + b"\x00" * 64


def with_placeholders(ctx: Context, user_id: int, task_id: int, data: dict) -> dict:
    """`data` with each attachment field that names a file (`建设方案.pdf`) instead of holding an
    attachment id replaced by the id of a placeholder document of that name uploaded for the task:
    how demo data (processes/<city>/demo.json) and test walks fill in their documents."""
    with ctx.db.transaction() as session:
        task = session.get(HumanTask, task_id)
        if task is None or not task.form:
            return data
        version_id = session.get(ProcessInstance, task.instance_id).process_version_id
        schema = ctx.forms_for(session, version_id).load(task.form)[0]
    named = [(path, value) for path, value in attachment_values(schema, data)
             if isinstance(value, str) and _attachment_id(value) is None]
    if not named:
        return data
    result = json.loads(json.dumps(data, default=str))
    for path, value in named:
        name = value if extension_of(clean_filename(value)) in FILE_TYPES else f"{value}.pdf"
        info = store(ctx, user_id, task_id, path, name, io.BytesIO(placeholder(name)))
        *parents, last = path.split(".")
        node = result
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[last] = str(info["id"])
    return result
