"""The process designers' calls (CONTRACT.md, "Process designers"): versions and their files, validate,
deploy, diff and migrate. Routes only translate HTTP to engine.services.designer."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, g, request

from engine.errors import ValidationFailed
from engine.services import designer
from web import params, schemas
from web.api import authenticated, ctx, reply

bp = Blueprint("design_api", __name__, url_prefix="/api/v1")


def _design_body(schema) -> dict:
    """The body of validate and deploy: a 422 for it lists `problems` like any other of theirs."""
    try:
        return schemas.load(schema, request.get_json(silent=True))
    except ValidationFailed as exc:
        raise designer.DesignProblems.of_request(exc) from exc


def _version_arg(name: str) -> int:
    """A required version number: 422 when missing or not digits; a number beyond the INTEGER column
    (2³¹−1) is no version (404). Up to it, the service answers 403 (not the caller's process, audited)
    before 404 (no such version)."""
    raw = (request.args.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationFailed(f"参数 {name} 应为版本号（正整数）", errors={name: "应为版本号（正整数）"})
    return params.id_arg(name, label="版本", maximum=params.INT32_MAX)


@bp.get("/processes/<key>/versions")
@authenticated
def versions(key: str):
    return reply(schemas.ProcessVersionSchema(many=True), designer.list_versions(ctx(), g.user_id, key))


@bp.post("/processes/<key>/versions")
@authenticated
def deploy(key: str):
    body = _design_body(schemas.DeployRequest())
    result = designer.deploy_version(ctx(), g.user_id, key, body["files"], body.get("note"), body.get("forms"))
    return reply(schemas.DeployResponse(), result, 201 if result["created"] else 200)


@bp.get("/processes/<key>/versions/<int:version>/files")
@authenticated
def files(key: str, version: int):
    return reply(schemas.VersionFileSchema(many=True), designer.version_files(ctx(), g.user_id, key, version))


@bp.get("/processes/<key>/versions/<int:version>/files/<name>")
@authenticated
def file(key: str, version: int, name: str):
    content = designer.version_file(ctx(), g.user_id, key, version, name)
    response = current_app.response_class(content, mimetype="application/xml")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@bp.post("/processes/<key>/validate")
@authenticated
def validate(key: str):
    body = _design_body(schemas.ValidateRequest())
    problems = designer.validate(ctx(), g.user_id, key, body["files"], body.get("forms"))
    return reply(schemas.ValidateResponse(), {"problems": problems})


@bp.get("/processes/<key>/diff")
@authenticated
def diff(key: str):
    result = designer.diff(ctx(), g.user_id, key, _version_arg("from"), _version_arg("to"))
    return reply(schemas.VersionDiffSchema(), result)


@bp.post("/migrations")
@authenticated
def migrations():
    body = schemas.load(schemas.MigrationRequest(), request.get_json(silent=True))
    results = designer.migrate(ctx(), g.user_id, body["process"], body["from_version"], body["to_version"],
                               body.get("instance_ids"), body.get("mapping"), body["dry_run"])
    return reply(schemas.MigrationResponse(), {"results": results})
