"""Errors at the edge: problem+json for API clients, a friendly Chinese page for browsers,
never a traceback."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template_string, request
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine.errors import GovflowError
from engine.services.audit import audit_refusal

log = logging.getLogger("govflow.web")

_HTTP_TITLES = {400: "请求有误", 401: "未登录", 403: "无权访问", 404: "页面不存在", 405: "不支持的请求方法",
                406: "无法提供所需格式", 408: "请求超时", 409: "状态已变化", 410: "内容已删除", 411: "缺少内容长度",
                412: "前提条件不满足", 413: "上传文件过大", 414: "请求地址过长", 415: "不支持的内容类型",
                416: "请求范围无效", 417: "无法满足预期", 418: "请求有误", 421: "请求发往了错误的服务器",
                422: "数据校验未通过", 423: "资源已锁定", 424: "依赖的请求失败", 428: "缺少前提条件",
                429: "请求过于频繁", 431: "请求头过大", 451: "因法律原因不可用", 500: "系统内部错误",
                501: "功能未实现", 502: "网关错误", 503: "服务暂不可用", 504: "网关超时", 505: "不支持的 HTTP 版本"}
# werkzeug's own descriptions are English: a Chinese one for each status (a description given to
# abort() is shown only when it is Chinese).
_HTTP_DETAILS = {400: "请求格式有误，服务器无法处理。", 401: "请先登录。", 403: "您没有访问该页面或办理该事项的权限。",
                 404: "您访问的地址不存在。", 405: "该地址不支持此请求方法。", 408: "请求等待时间过长，请重试。",
                 411: "请求须注明内容长度（Content-Length）。", 413: "上传内容超过大小限制。",
                 414: "请求地址过长。", 415: "请求的内容类型不受支持（接口请使用 application/json）。",
                 429: "请求过于频繁，请稍后再试。", 431: "请求头过大。", 500: "服务器处理请求时出错，请稍后再试。",
                 503: "服务暂不可用，请稍后再试。"}

_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ title }} - 政务信息化项目审批系统</title>
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:40rem;margin:4rem auto;
padding:0 1rem;color:#222}h1{font-size:1.5rem}a{color:#0b5cad}</style></head><body>
<h1>{{ status }} · {{ title }}</h1><p>{{ detail }}</p><p><a href="/">返回待办事项</a></p></body></html>"""


def _chinese(text) -> bool:
    return isinstance(text, str) and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def problem(status: int, title: str, detail: str, **extra):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def respond(status: int, title: str, detail: str, **extra):
    if wants_json():
        return problem(status, title, detail, **extra)
    handler = getattr(request, "govflow_error_page", None)
    if handler:
        return handler(status, title, detail, extra)
    return render_template_string(_PAGE, status=status, title=title, detail=detail), status


def _audit_refusal(status: int, detail: str) -> None:
    """A signed-in user answered 403/404 on something (not an unknown address): a `refused` audit row."""
    user = g.get("user")
    user_id = g.get("user_id") or (user.id if user is not None else None)
    if not user_id or status not in (403, 404) or request.url_rule is None:
        return
    try:
        audit_refusal(current_app.extensions["govflow"], user_id,
                      {"status": status, "method": request.method, "path": request.path[:300],
                       "detail": str(detail)[:300]})
    except Exception:  # noqa: BLE001 - the answer goes out even when the audit cannot be written
        log.exception("refusal audit failed on %s %s", request.method, request.path)


def register(app: Flask) -> None:
    _register_unavailable(app)

    @app.errorhandler(GovflowError)
    def _govflow_error(exc: GovflowError):
        body = exc.to_problem()
        status, title, detail = body.pop("status"), body.pop("title"), body.pop("detail")
        body.pop("type", None)
        _audit_refusal(status, detail)
        response = respond(status, title, detail, **body)
        if status == 401 and wants_json():
            response.headers["WWW-Authenticate"] = 'Bearer realm="govflow"'
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        title = _HTTP_TITLES.get(status, "请求未能完成")
        detail = exc.description if _chinese(exc.description) else _HTTP_DETAILS.get(status, title + "。")
        _audit_refusal(status, detail)
        response = respond(status, title, detail)
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc: Exception):
        # a value the database cannot hold (a number beyond its column, SQLite's 64 bits …) that no
        # check at the edge caught: the client's data, so 422 — logged, as the edge should catch it
        log.warning("value out of range on %s %s", request.method, request.path, exc_info=exc)
        return respond(422, "数据校验未通过", "提交的数值或文本超出了系统允许的范围，请检查后重试。")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return respond(500, "系统内部错误", "服务器处理请求时出错，已记录日志，请稍后再试或联系管理员。")


# --- the database out of reach ------------------------------------------------------------------------

UNAVAILABLE_TITLE = "数据库暂不可用，请稍后重试"
RETRY_AFTER_SECONDS = 5


def _register_unavailable(app: Flask) -> None:
    """The database restarting, failing over or cut off (connection refused or lost, server shutting
    down: OperationalError/InterfaceError; no pooled connection free in time: the pool's TimeoutError)
    answers 503 `urn:govflow:unavailable` with Retry-After, never a traceback. The request's
    transaction was rolled back or never began; the pool (pool_pre_ping) reconnects on the next one."""
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(exc: Exception):
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    reason[0] if reason else type(exc).__name__)
        response = app.make_response(respond(
            503, UNAVAILABLE_TITLE, "暂时无法连接数据库（可能正在重启或维护），请稍后重试。",
            type="urn:govflow:unavailable", code="unavailable", retry_after=RETRY_AFTER_SECONDS))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
