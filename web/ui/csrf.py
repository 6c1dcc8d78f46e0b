"""CSRF protection without extra dependencies: one random token per browser session, sent back in a
hidden `csrf_token` field (forms) or an `X-CSRF-Token` header (scripts), checked on every unsafe
request that a session cookie could authenticate. API calls with a Bearer token need none: a
browser never adds that header on its own."""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session

from engine.errors import GovflowError

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
EXEMPT_PATHS = {"/api/v1/auth/token"}  # answers a token for a password; no cookie is used


class CsrfRejected(GovflowError):
    status, code, title = 400, "csrf_failed", "请求校验未通过"


def token() -> str:
    """The session's token, created on first use."""
    value = session.get("csrf")
    if not value:
        value = session["csrf"] = secrets.token_urlsafe(32)
    return value


def rotate() -> str:
    session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _needs_check() -> bool:
    if request.method in SAFE_METHODS or request.path in EXEMPT_PATHS:
        return False
    if request.path.startswith("/api/"):
        # Bearer-authenticated calls carry no ambient credential; cookie-authenticated ones do.
        return not request.headers.get("Authorization", "").startswith("Bearer ") and bool(session.get("user_id"))
    return True


def check() -> None:
    if not _needs_check():
        return
    expected = session.get("csrf")
    sent = request.headers.get(HEADER)
    if sent is None and not request.path.startswith("/api/"):
        sent = request.form.get(FIELD)
    # as bytes: compare_digest refuses str with non-ASCII characters (a forged token) with TypeError
    if not expected or not sent or not hmac.compare_digest(str(expected).encode(), str(sent).encode()):
        raise CsrfRejected("页面已过期或请求来源无法验证，请刷新页面后重新提交。"
                           if not request.path.startswith("/api/") else
                           "使用登录会话调用接口时须在 X-CSRF-Token 请求头中提供页面令牌")


def register(app: Flask) -> None:
    app.before_request(check)
    app.jinja_env.globals["csrf_token"] = token
