"""`create_app()` — the one way in: the CLI, the tests and `govflow serve` all build the app here."""
from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from engine.config import Settings, env_bool, env_int
from engine.jsonable import jsonable
from engine.services.context import Context


class GovflowJSON(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def default(self, o):
        converted = jsonable(o)
        if converted is not o:
            return converted
        return super().default(o)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def secure_cookies(local_demo: bool = False) -> bool:
    """The session cookie is `Secure` (sent over HTTPS only) unless GOVFLOW_SECURE_COOKIES=0, or,
    when that is not set, the app is the local demo (`govflow serve` on a loopback address, plain
    HTTP on the operator's own machine)."""
    return env_bool("GOVFLOW_SECURE_COOKIES", not local_demo)


def create_app(settings: Settings | None = None, context: Context | None = None, *,
               local_demo: bool = False) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.json = GovflowJSON(app)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 + 65536,
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure_cookies(local_demo))
    hops = env_int("GOVFLOW_PROXY_HOPS", 0)
    if hops > 0:
        # behind that many reverse proxies: the client address (throttling, audit) and the scheme
        # come from their X-Forwarded-For / X-Forwarded-Proto
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions["govflow"] = context or Context.from_settings(settings)

    from web import admin, api, errors, openapi, params
    params.register(app)  # before the blueprints: their <int:…> rules take its id converter
    errors.register(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(admin.bp)
    from web import claims_api, design_api, manage_api, notices_api
    app.register_blueprint(design_api.bp)
    app.register_blueprint(notices_api.bp)
    app.register_blueprint(claims_api.bp)
    from web import overlay_api
    app.register_blueprint(overlay_api.bp)
    app.register_blueprint(manage_api.bp)
    _register_pages(app)
    params.guard(app)  # after the pages' hooks: a refusal is drawn in the site's error page
    return app


def _register_pages(app: Flask) -> None:
    """The browser pages live in web.ui when present (the inbox UI); the API works without them."""
    try:
        from web import ui
    except ImportError:
        @app.get("/")
        def index():
            return {"name": "govflow", "api": "/api/v1", "openapi": "/api/v1/openapi.json"}
        return
    ui.register(app)


def ctx_of(app: Flask) -> Context:
    return app.extensions["govflow"]
