"""Sign-in and sign-out with the existing users; the signed-in user is loaded into `g.user` for
every request, and `login_required` sends anonymous browsers to the sign-in page."""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from engine import policy, registry
from engine.errors import AuthenticationError
from engine.models import User
from engine.services import users
from web.ui import csrf
from web.ui.labels import role_label

bp = Blueprint("auth", __name__)


@dataclass(frozen=True)
class CurrentUser:
    """What the pages need to know about the signed-in user (no ORM object outlives its session)."""

    id: int
    username: str
    display_name: str
    jurisdiction: str
    jurisdiction_name: str
    unit_id: int
    unit_name: str
    roles: tuple[str, ...]

    @property
    def role_names(self) -> list[str]:
        return [role_label(r) for r in self.roles]

    @property
    def is_manager(self) -> bool:
        return policy.is_manager(self)

    @property
    def sees_portfolio(self) -> bool:
        """The dashboard and the project search: a manager, an admin or a province-wide viewer."""
        return policy.is_manager(self) or policy.sees_every_jurisdiction(self)

    @property
    def is_designer(self) -> bool:
        return policy.can_design(self, self.jurisdiction)

    @property
    def role_keys(self) -> set[str]:
        return set(self.roles)

    def startable_processes(self, side: bool = False) -> list[registry.ProcessDef]:
        """Main procedures the user may start (a new project), or with `side` the processes started
        from an existing project (调整申请, 限期整改 …)."""
        jurisdiction = ctx().registry.get(self.jurisdiction)
        # "optional" ones (九江 运维经费) may be started either way
        return [p for p in jurisdiction.processes.values()
                if policy.can_start(self, jurisdiction, p) and (p.parent == "optional" or bool(p.parent) == side)]


def ctx():
    return current_app.extensions["govflow"]


def _current(user: User) -> CurrentUser:
    return CurrentUser(id=user.id, username=user.username, display_name=user.display_name,
                       jurisdiction=user.jurisdiction, jurisdiction_name=ctx().registry.get(user.jurisdiction).name,
                       unit_id=user.unit_id, unit_name=user.unit.name, roles=tuple(sorted(user.role_keys)))


def load_user() -> None:
    """The signed cookie names the user and the session's secret; the session must still be live
    (not signed out, not ended by a password change, not expired), else the cookie is dropped."""
    g.user = None
    user_id = session.get("user_id")
    if not user_id or request.path.startswith(("/assets/", "/vendor/")):
        return
    try:
        with ctx().db.transaction() as db:
            g.user = _current(users.user_for_session(db, user_id, session.get("sid")))
    except AuthenticationError:
        session.clear()


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def _safe_next(target: str | None) -> str:
    if not target:
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if g.get("user"):
            return redirect(_safe_next(request.args.get("next")))
        return render_template("ui/login.html", username="", error=None, next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    address = request.remote_addr
    try:
        user_id = users.login(ctx().db, username, password, address=address, via="browser")
    except users.LoginThrottled as exc:
        page = render_template("ui/login.html", username=username, error=exc.detail,
                               next=request.form.get("next", ""))
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except AuthenticationError:
        return render_template("ui/login.html", username=username, error="用户名或密码错误，请重新输入。",
                               next=request.form.get("next", ""))
    with ctx().db.transaction() as db:
        secret = users.start_session(db, user_id, ctx().settings.token_hours, address)
    session.clear()
    session["user_id"] = user_id
    session["sid"] = secret
    csrf.rotate()
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.post("/logout")
def logout():
    """Ends this session on the server: a copy of the cookie no longer signs anyone in."""
    with ctx().db.transaction() as db:
        users.end_session(db, session.get("user_id"), session.get("sid"), request.remote_addr)
    session.clear()
    csrf.rotate()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"), code=303)
