"""The REST API (`/api/v1`), as CONTRACT.md lists it. Routes only translate HTTP to service calls."""
from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from engine import policy, queries
from engine.errors import AuthenticationError, NotFound, ValidationFailed
from engine.models import ProcessVersion, User
from engine.services import attachments as attachment_service
from engine.services import deploy as deploy_service
from engine.services import documents, orders, runtime, users, views
from web import errors, params, schemas

bp = Blueprint("api", __name__, url_prefix="/api/v1")
TEXT_MAX = 4000     # a comment or reason, as the forms' long texts


def ctx():
    return current_app.extensions["govflow"]


def client_address() -> str | None:
    """The caller's address, as the throttling and the audit record it (behind a proxy: see
    GOVFLOW_PROXY_HOPS in web/app.py)."""
    return request.remote_addr


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def authenticated(view):
    """Bearer token (or the browser's live signed-in session) → g.user_id; g.token_hash is the
    bearer token's hash (None for a browser session)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        token = bearer_token()
        g.token_hash = None
        if token is not None:
            with ctx().db.transaction() as session:
                g.principal = users.principal_for_token(session, token)
            g.token_hash = users.secret_hash(token)
        else:
            from flask import session as cookie
            if not cookie.get("user_id"):
                raise AuthenticationError("缺少 Authorization: Bearer 令牌")
            with ctx().db.transaction() as session:
                g.principal = users.principal_for_session(session, cookie.get("user_id"), cookie.get("sid"))
        g.user_id = g.principal.id
        return view(*args, **kwargs)
    return wrapper


def reply(schema, body, status: int = 200, headers: dict | None = None):
    """A JSON answer dumped through its response schema (web/schemas.py, which the OpenAPI document is
    built from): only declared fields go out, and in testing an undeclared one is an error."""
    return jsonify(schemas.dump(schema, body, strict=current_app.testing)), status, headers or {}


def _int_arg(name: str, default: int, low: int = 1, high: int = 10_000) -> int:
    return params.int_arg(name, default, low, high)


@bp.post("/auth/token")
def token():
    """A token for a password. Throttled per account and per address (429 with Retry-After)."""
    body = schemas.load(schemas.TokenRequest(), request.get_json(silent=True))
    try:
        user_id = users.login(ctx().db, body["username"], body["password"], address=client_address(), via="api")
    except users.LoginThrottled as exc:
        response = errors.respond(exc.status, exc.title, exc.detail, code=exc.code, retry_after=exc.retry_after)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    with ctx().db.transaction() as session:
        user = session.get(User, user_id)
        value, expires_at = users.issue_token(session, user, ctx().settings.token_hours, address=client_address())
    return reply(schemas.TokenResponse(), {"token": value, "expires_at": expires_at.isoformat()})


@bp.delete("/auth/token")
def revoke_token():
    """Sign out an API client: the bearer token is refused from then on."""
    token = bearer_token()
    if token is None:
        raise AuthenticationError("缺少 Authorization: Bearer 令牌")
    with ctx().db.transaction() as session:
        user = users.user_for_token(session, token)
        users.revoke_token(session, user.id, token=token)
    return "", 204


@bp.get("/auth/tokens")
@authenticated
def list_tokens():
    """The caller's live tokens (never their secrets); `current` marks the one in use."""
    with ctx().db.transaction() as session:
        rows = users.list_tokens(session, g.user_id, g.token_hash)
    return reply(schemas.TokenInfoSchema(many=True), rows)


@bp.delete("/auth/tokens/<token_id>")
@authenticated
def revoke_token_by_id(token_id: str):
    """Revoke one of the caller's own tokens by its id (from GET /auth/tokens)."""
    with ctx().db.transaction() as session:
        users.revoke_token(session, g.user_id, public_id=token_id)
    return "", 204


@bp.get("/processes")
@authenticated
def processes():
    with ctx().db.transaction() as session:
        rows = deploy_service.deployed_processes(session)
        return reply(schemas.ProcessSchema(many=True), [{"key": r.process_key, "name": r.name,
                                                         "jurisdiction": r.jurisdiction,
                         "jurisdiction_name": ctx().registry.get(r.jurisdiction).name, "version": r.version,
                         "deployed_at": r.deployed_at.isoformat()} for r in rows])


@bp.get("/processes/<key>/diagram")
@authenticated
def diagram(key: str):
    """The BPMN XML of a version (default: the newest), for drawing it."""
    version = params.id_arg("version", label="版本", maximum=params.INT32_MAX)
    with ctx().db.transaction() as session:
        stmt = select(ProcessVersion).where(ProcessVersion.process_key == key)
        stmt = stmt.where(ProcessVersion.version == version) if version else \
            stmt.order_by(ProcessVersion.version.desc()).limit(1)
        row = session.scalar(stmt)
        if row is None:
            raise NotFound(f"流程不存在：{key}")
        main = next(name for name, content in row.files.items()
                    if name.endswith(".bpmn") and f'id="{key}"' in content)
        return current_app.response_class(row.files[main], mimetype="application/xml")


@bp.post("/instances")
@authenticated
def start_instance():
    body = schemas.load(schemas.StartRequest(), request.get_json(silent=True))
    instance_id = runtime.start_instance(ctx(), g.user_id, body["process"], body["data"],
                                         parent_instance_id=body.get("parent_instance_id"))
    result = views.instance_detail(ctx(), g.user_id, instance_id)
    return reply(schemas.InstanceSchema(), result, 201, {"Location": f"/api/v1/instances/{instance_id}"})


@bp.get("/instances")
@authenticated
def list_instances():
    with ctx().db.transaction() as session:
        from engine.models import User
        user = session.get(User, g.user_id)
        manager = policy.is_manager(user)
        per_page = _int_arg("per_page", 50, 1, 200)
        status = params.choice_arg("status", ("running", "completed", "terminated"))
        rows, total = queries.instances(session, user.jurisdiction, status,
                                        None if manager else user.unit_id, per_page,
                                        (_int_arg("page", 1) - 1) * per_page)
        body = [{"id": r.id, "process": r.process_key, "project_name": r.project_name, "status": r.status,
                 "outcome": r.outcome, "applicant_unit": r.applicant_unit.name,
                 "created_at": r.created_at.isoformat()} for r in rows]
    return reply(schemas.InstanceSummarySchema(many=True), body, 200, {"X-Total-Count": str(total)})


@bp.get("/instances/<int:instance_id>")
@authenticated
def get_instance(instance_id: int):
    return reply(schemas.InstanceSchema(), views.instance_detail(ctx(), g.user_id, instance_id))


@bp.post("/instances/<int:instance_id>/terminate")
@authenticated
def terminate_instance(instance_id: int):
    """A manager ends a running project with a recorded reason (e.g. 第二十六条 终止项目)."""
    payload = request.get_json(silent=True)
    reason = payload.get("reason") if isinstance(payload, dict) else None
    if isinstance(reason, str) and len(reason) > TEXT_MAX:
        raise ValidationFailed(f"终止理由不得超过 {TEXT_MAX} 个字", errors={"reason": f"不得超过 {TEXT_MAX} 个字"})
    runtime.terminate_instance(ctx(), g.user_id, instance_id, reason if isinstance(reason, str) else "")
    return reply(schemas.InstanceSchema(), views.instance_detail(ctx(), g.user_id, instance_id))


def _order(instance_id: int, action, what: str):
    payload = request.get_json(silent=True)
    reason = payload.get("reason") if isinstance(payload, dict) else None
    if isinstance(reason, str) and len(reason) > TEXT_MAX:
        raise ValidationFailed(f"{what}理由不得超过 {TEXT_MAX} 个字", errors={"reason": f"不得超过 {TEXT_MAX} 个字"})
    action(ctx(), g.user_id, instance_id, reason if isinstance(reason, str) else "")
    return reply(schemas.InstanceSchema(), views.instance_detail(ctx(), g.user_id, instance_id))


@bp.post("/instances/<int:instance_id>/suspend")
@authenticated
def suspend_instance(instance_id: int):
    """A manager suspends a running project with a recorded reason (its tasks and clocks held)."""
    return _order(instance_id, orders.suspend_instance, "暂停")


@bp.post("/instances/<int:instance_id>/resume")
@authenticated
def resume_instance(instance_id: int):
    """A manager resumes a suspended project (the time held added to its deadlines)."""
    return _order(instance_id, orders.resume_instance, "恢复")


@bp.get("/tasks")
@authenticated
def inbox():
    flt = queries.InboxFilter(process=params.text_arg("process", 80),
                              overdue=params.bool_arg("overdue"),
                              q=params.text_arg("q"),
                              sort=params.choice_arg("sort", ("due", "new"), "due"),
                              view=params.choice_arg("view", queries.INBOX_VIEWS, "all"),
                              page=_int_arg("page", 1), per_page=_int_arg("per_page", 20, 1, 200))
    tasks, total = views.inbox(ctx(), g.user_id, flt)
    return reply(schemas.TaskSchema(many=True), tasks, 200, {"X-Total-Count": str(total)})


@bp.get("/tasks/completed")
@authenticated
def completed_tasks():
    tasks, total = views.completed(ctx(), g.user_id, _int_arg("page", 1), _int_arg("per_page", 20, 1, 200))
    return reply(schemas.CompletedTaskSchema(many=True), tasks, 200, {"X-Total-Count": str(total)})


@bp.get("/tasks/<int:task_id>")
@authenticated
def get_task(task_id: int):
    return reply(schemas.TaskDetailSchema(), views.task_detail(ctx(), g.user_id, task_id))


@bp.post("/tasks/<int:task_id>/complete")
@authenticated
def complete_task(task_id: int):
    payload = request.get_json(silent=True)
    data = payload.get("data") if isinstance(payload, dict) else None
    # Order of checks (CONTRACT.md): 401, 403/404, 409, then 422 — so the body is validated by the
    # service after it has checked ownership and state.
    state = runtime.complete(ctx(), g.principal, task_id, data)
    return reply(schemas.CompleteResponse(), {"instance": state})


@bp.post("/tasks/<int:task_id>/attachments")
@authenticated
def upload_attachment(task_id: int):
    """A file for an attachment field of the task's form (multipart `file`, optionally `field`): the
    answer's id is the value to put in that field when completing the task."""
    upload = request.files.get("file")
    field = params.text_arg("field", 120, source=request.form)
    if upload is None or not upload.filename:
        attachment_service.check_uploader(ctx(), g.user_id, task_id, field)
        raise ValidationFailed("请以 multipart/form-data 上传文件（字段 file）", errors={"file": "请选择要上传的文件"})
    info = attachment_service.store(ctx(), g.user_id, task_id, field, upload.filename, upload.stream)
    body = {"id": info["id"], "name": info["filename"], "size": info["size"], "sha256": info["sha256"]}
    return reply(schemas.AttachmentUploadResponse(), body, 201, {"Location": f"/attachments/{info['id']}"})


@bp.get("/documents/<int:document_id>")
@authenticated
def get_document(document_id: int):
    """An official document of a project (受理通知书, 补正通知, 批复 …) as PDF, to whoever may see the project."""
    return pdf_response(*documents.pdf_for(ctx(), g.user_id, document_id))


def pdf_response(info: dict, content: bytes):
    response = current_app.response_class(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(info['filename'])}"
    response.headers["ETag"] = f'"{info["sha256"]}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
