"""Accounts, sessions and tokens under attack. Each test names in its docstring the attack it tries;
each fails when the protection it attacks is removed. Time is moved with engine.clock.frozen_at, never
by sleeping; the cost of a password check is seen through users.key_derivation_count()."""
from __future__ import annotations

import base64
import hashlib
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import check_password_hash, generate_password_hash

from engine import clock
from engine.errors import AuthenticationError
from engine.models import AuditEvent, User
from engine.services import users
from engine.services.deploy import deploy
from tests.conftest import at
from tests.support import PASSWORD
from tests.web.helpers import form_token
from tests.yeji_walk import FACTS

T0 = at("2026-09-01 09:00")
TOKEN_URL = "/api/v1/auth/token"


def legacy_hash(password: str) -> str:
    """govflow's first format, as users.py wrote it before: scrypt$b64(salt)$b64(digest), N=2**14."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def stored_hash(ctx, username: str) -> str:
    with ctx.db.transaction() as session:
        return session.scalar(select(User.password_hash).where(User.username == username))


def set_hash(ctx, username: str, value: str) -> None:
    with ctx.db.engine.begin() as conn:     # behind the application's back
        conn.execute(text("UPDATE users SET password_hash = :h WHERE username = :u"), {"h": value, "u": username})


def events(ctx, name: str) -> list[AuditEvent]:
    with ctx.db.transaction() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)))


def token_call(client, username: str, password: str, address: str = "10.0.0.1", when=None):
    with clock.frozen_at(when):
        return client.post(TOKEN_URL, json={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": address})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def sign_in(app, who: str, password: str = PASSWORD, address: str = "10.0.0.1", when=None):
    client = app.test_client()
    with clock.frozen_at(when):
        token = form_token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": who, "password": password, "csrf_token": token},
                               environ_base={"REMOTE_ADDR": address})
    return client, response


# --- password hashes ------------------------------------------------------------------------------------

def test_new_hashes_are_in_werkzeugs_standard_format():
    """Attack: a home-made hash format nobody else can check or migrate. Our hashes must verify with
    werkzeug.security.check_password_hash."""
    stored = users.hash_password("长密码 with 空格")
    assert stored.startswith(f"scrypt:{users.SCRYPT_N}:{users.SCRYPT_R}:{users.SCRYPT_P}$")
    assert check_password_hash(stored, "长密码 with 空格")
    assert not check_password_hash(stored, "another")
    assert users.verify_password(generate_password_hash("x"), "x") == (True, False)


@pytest.mark.parametrize("old", ["legacy", "weak-scrypt", "pbkdf2"])
def test_a_login_upgrades_an_old_or_weaker_hash(client, people, ctx, old):
    """Attack: offline cracking of hashes stored with yesterday's (weaker) parameters after a database
    leak. The old `scrypt$salt$digest` hashes, weaker Werkzeug scrypt and pbkdf2 hashes still verify,
    and the next successful login replaces them with today's parameters."""
    assert people.alice
    weak = {"legacy": legacy_hash(PASSWORD),
            "weak-scrypt": generate_password_hash(PASSWORD, method="scrypt:16384:8:1"),
            "pbkdf2": generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")}[old]
    set_hash(ctx, "alice", weak)
    assert token_call(client, "alice", "wrong").status_code == 401
    assert stored_hash(ctx, "alice") == weak           # a failed attempt changes nothing
    assert token_call(client, "alice", PASSWORD).status_code == 200
    upgraded = stored_hash(ctx, "alice")
    assert upgraded.startswith(f"scrypt:{users.SCRYPT_N}:8:1$") and check_password_hash(upgraded, PASSWORD)
    assert events(ctx, "login")[-1].data["rehashed"] is True
    assert token_call(client, "alice", PASSWORD).status_code == 200
    assert stored_hash(ctx, "alice") == upgraded       # today's hash is kept as it is
    assert events(ctx, "login")[-1].data["rehashed"] is False


# --- throttling -----------------------------------------------------------------------------------------

def test_an_account_is_locked_after_five_failures_from_any_address(client, people, ctx):
    """Attack: online guessing of one account's password (from one address, then from another). After
    5 failures in 15 minutes the account answers 429 with Retry-After — even to the right password —
    from every address, for 5 minutes, then 10 after the next round: a growing interval."""
    assert people.alice
    for i in range(5):
        assert token_call(client, "alice", f"guess-{i}", when=T0 + timedelta(minutes=i)).status_code == 401
    locked = token_call(client, "alice", PASSWORD, address="10.9.9.9", when=T0 + timedelta(minutes=5))
    assert locked.status_code == 429 and locked.mimetype == "application/problem+json"
    assert locked.headers["Retry-After"] == "300"
    assert locked.get_json()["retry_after"] == 300 and "分钟后再试" in locked.get_json()["detail"]
    assert token_call(client, "alice", PASSWORD, when=T0 + timedelta(minutes=9)).status_code == 429
    assert token_call(client, "bob", PASSWORD, when=T0 + timedelta(minutes=9)).status_code in (200, 401)
    after = T0 + timedelta(minutes=10, seconds=1)
    for i in range(5):
        assert token_call(client, "alice", f"again-{i}", when=after).status_code == 401
    again = token_call(client, "alice", PASSWORD, when=after)
    assert again.status_code == 429 and again.headers["Retry-After"] == "600"
    assert token_call(client, "alice", PASSWORD, when=after + timedelta(minutes=10, seconds=1)).status_code == 200
    throttled = events(ctx, "login_throttled")
    assert throttled and throttled[0].data["username"] == "alice"


def test_a_success_resets_the_account_and_old_failures_expire(client, people, ctx):
    """Attack on the legitimate user: failures spread out over time must not add up to a lock, and a
    correct login starts the account over."""
    assert people.alice
    for i in range(4):
        assert token_call(client, "alice", f"typo-{i}", when=T0 + timedelta(minutes=i)).status_code == 401
    assert token_call(client, "alice", PASSWORD, when=T0 + timedelta(minutes=5)).status_code == 200
    for i in range(4):
        assert token_call(client, "alice", f"typo-{i}", when=T0 + timedelta(minutes=6 + i)).status_code == 401
    later = T0 + timedelta(minutes=40)          # the window of 15 minutes has passed
    for i in range(5):
        assert token_call(client, "alice", f"typo-{i}", when=later).status_code == 401
    assert token_call(client, "alice", PASSWORD, when=later).status_code == 429


def test_an_address_is_locked_after_twenty_failures_on_any_names(client, people, ctx):
    """Attack: password spraying — one guess each at many account names from one address. The address
    is locked after 20 failures (an office shares one address, so it allows more than an account);
    other addresses are not affected, and the names sprayed are not locked by it."""
    assert people.alice and people.bob
    for i in range(20):
        assert token_call(client, f"user{i}", "spray", address="10.6.6.6", when=T0).status_code == 401
    blocked = token_call(client, "alice", PASSWORD, address="10.6.6.6", when=T0)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) == 300
    assert token_call(client, "alice", PASSWORD, address="10.7.7.7", when=T0).status_code == 200
    failed = events(ctx, "login_failed")
    assert [e.data["username"] for e in failed[:3]] == ["user0", "user1", "user2"]
    assert {e.data["address"] for e in failed} == {"10.6.6.6"} and failed[0].data["reason"] == "unknown_user"


def test_sprayed_names_do_not_pile_up_in_the_throttle_table(client, people, ctx):
    """Attack: filling the throttle table with made-up names. Keys quiet for 24 hours are forgotten by
    the next sign-in."""
    from engine.models import LoginThrottle
    for i in range(3):
        token_call(client, f"made-up-{i}", "x", address="10.8.8.8", when=T0)
    with ctx.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LoginThrottle)) == 4
    token_call(client, "another", "x", address="10.8.8.9", when=T0 + timedelta(hours=25))
    with ctx.db.transaction() as session:
        assert {(r.kind, r.key) for r in session.scalars(select(LoginThrottle))} == {
            ("user", "another"), ("addr", "10.8.8.9")}


def test_parallel_guesses_are_counted_before_they_are_checked(people, ctx):
    """Attack: many guesses in flight at once, all checked before the first failure is recorded. Each
    attempt is counted before its password is checked, so of 8 parallel guesses at most 5 are checked
    and the others are refused (429)."""
    assert people.alice
    barrier = threading.Barrier(8)
    outcomes = []

    def guess(i: int) -> None:
        barrier.wait()
        try:
            users.login(ctx.db, "alice", f"parallel-{i}", address=f"10.1.1.{i}", via="api", now=T0)
            outcomes.append("ok")
        except users.LoginThrottled:
            outcomes.append("throttled")
        except AuthenticationError:
            outcomes.append("failed")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 3


def test_the_browser_sign_in_says_so_in_chinese(app, people, ctx):
    """Attack: the same guessing through the sign-in page instead of the API."""
    assert people.alice
    for i in range(5):
        _client, response = sign_in(app, "alice", f"guess-{i}", when=T0)
        assert response.status_code == 200 and "用户名或密码错误" in response.get_data(as_text=True)
    client, response = sign_in(app, "alice", when=T0)
    assert response.status_code == 429 and response.headers["Retry-After"] == "300"
    assert "登录失败次数过多，请 5 分钟后再试" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_unknown_name_costs_one_password_hash_like_a_known_one(client, people, ctx):
    """Attack: telling which user names exist by timing the answer (an unknown name used to answer in
    4 ms, a known one in 110 ms). Both compute exactly one password hash, with today's parameters,
    and answer the same 401."""
    assert people.alice
    before = users.key_derivation_count()
    unknown = token_call(client, "nobody-here", "guess")
    unknown_cost = users.key_derivation_count() - before
    before = users.key_derivation_count()
    known = token_call(client, "alice", "guess")
    known_cost = users.key_derivation_count() - before
    assert unknown_cost == known_cost == 1
    assert unknown.status_code == known.status_code == 401
    assert unknown.get_json() == known.get_json()
    assert users._dummy_hash().split("$")[0] == users.hash_password("x").split("$")[0]
    with ctx.db.transaction() as session:
        before = users.key_derivation_count()
        with pytest.raises(AuthenticationError):
            users.authenticate(session, "nobody-here", "guess")
        assert users.key_derivation_count() - before == 1


# --- sessions -------------------------------------------------------------------------------------------

def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_stops_working_at_logout(app, people):
    """Attack: replaying a copied session cookie after its owner signed out (the signed cookie used
    to stay valid for ever). Sign-out deletes the session on the server."""
    assert people.alice
    owner, response = sign_in(app, "alice")
    assert response.status_code == 303
    copied = session_cookie(owner)

    def thief():
        client = app.test_client()
        client.set_cookie("session", copied)
        return client

    assert thief().get("/").status_code == 200                # the copy works while the session lives
    assert thief().get("/api/v1/tasks").status_code == 200
    csrf = form_token(owner.get("/").get_data(as_text=True))
    assert owner.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert thief().get("/").status_code == 302
    assert thief().get("/api/v1/tasks").status_code == 401


def test_a_forged_cookie_without_a_live_session_is_refused(app, people):
    """Attack: a cookie signed with the secret key that names a user but no live session (as the
    signed cookie alone used to be enough)."""
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["user_id"] = people.alice
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/tasks").status_code == 401
    with client.session_transaction() as cookie:
        cookie["user_id"], cookie["sid"] = people.alice, "guessed"
    assert client.get("/api/v1/tasks").status_code == 401


def test_a_password_change_ends_every_session_and_token(app, client, people, ctx):
    """Attack: a stolen session or token surviving the password reset its owner did to lock the
    thief out."""
    assert people.alice
    first, _ = sign_in(app, "alice")
    second, _ = sign_in(app, "alice", address="10.0.0.2")
    token = token_call(client, "alice", PASSWORD).get_json()["token"]
    assert first.get("/").status_code == 200 and client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200
    with ctx.db.transaction() as session:
        users.upsert_user(session, "alice", "a-new-password-2", ctx.registry.get("yeji"), "区教育局", ["applicant"])
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 401
    [changed] = events(ctx, "password_changed")
    assert changed.data["ended_sessions"] == 2 and changed.data["ended_tokens"] == 1
    assert token_call(client, "alice", "a-new-password-2").status_code == 200


def test_a_browser_session_ends_after_its_lifetime(app, people, ctx):
    """Attack: a session cookie left on a shared computer, used the next day."""
    assert people.alice
    client, _ = sign_in(app, "alice", when=T0)
    hours = ctx.settings.token_hours
    with clock.frozen_at(T0 + timedelta(hours=hours) - timedelta(minutes=1)):
        assert client.get("/").status_code == 200
    with clock.frozen_at(T0 + timedelta(hours=hours, seconds=1)):
        assert client.get("/").status_code == 302


def test_cookies_are_httponly_samesite_and_secure_outside_the_local_demo(settings, ctx, monkeypatch, people):
    """Attack: the session cookie read by a script (XSS), sent along by another site (CSRF), or over
    plain HTTP. HttpOnly and SameSite=Lax always; Secure unless GOVFLOW_SECURE_COOKIES=0 or the
    local demo (`govflow serve` on a loopback address); security headers stay."""
    from web.app import create_app
    assert people.alice

    def cookie_flags(**kwargs) -> str:
        application = create_app(settings, context=ctx, **kwargs)
        application.config.update(TESTING=True)
        _client, response = sign_in(application, "alice")
        assert response.status_code == 303
        return response.headers["Set-Cookie"]

    monkeypatch.delenv("GOVFLOW_SECURE_COOKIES", raising=False)
    flags = cookie_flags()
    assert "HttpOnly" in flags and "SameSite=Lax" in flags and "Secure" in flags
    assert "Secure" not in cookie_flags(local_demo=True)
    monkeypatch.setenv("GOVFLOW_SECURE_COOKIES", "0")
    assert "Secure" not in cookie_flags()
    monkeypatch.setenv("GOVFLOW_SECURE_COOKIES", "1")
    assert "Secure" in cookie_flags(local_demo=True)
    page = create_app(settings, context=ctx).test_client().get("/login")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"


# --- API tokens -----------------------------------------------------------------------------------------

def test_tokens_are_listed_without_secrets_and_revoked(client, people, ctx):
    """Attack: a leaked token that stays valid after its client signed out, and a listing that leaks
    the tokens themselves. GET /auth/tokens shows ids only; DELETE /auth/token ends the bearer token."""
    assert people.alice and people.bob
    first = token_call(client, "alice", PASSWORD).get_json()["token"]
    second = token_call(client, "alice", PASSWORD).get_json()["token"]
    token_call(client, "bob", PASSWORD)
    with clock.frozen_at(T0):
        listing = client.get("/api/v1/auth/tokens", headers=bearer(second))
    assert listing.status_code == 200
    body = listing.get_json()
    assert len(body) == 2 and [t["current"] for t in body].count(True) == 1
    assert first not in listing.get_data(as_text=True) and second not in listing.get_data(as_text=True)
    assert set(body[0]) == {"id", "created_at", "expires_at", "current"}
    with clock.frozen_at(T0):
        assert client.delete(TOKEN_URL, headers=bearer(first)).status_code == 204
        assert client.get("/api/v1/tasks", headers=bearer(first)).status_code == 401
        assert client.delete(TOKEN_URL, headers=bearer(first)).status_code == 401
        assert client.delete(TOKEN_URL).status_code == 401
        assert client.get("/api/v1/tasks", headers=bearer(second)).status_code == 200
        [left] = client.get("/api/v1/auth/tokens", headers=bearer(second)).get_json()
    assert left["current"] is True
    revoked = events(ctx, "token_revoked")
    assert revoked[0].actor_id == people.alice and revoked[0].data["token"] == users.token_id(users.secret_hash(first))
    issued = events(ctx, "token_issued")
    assert len(issued) == 3 and issued[0].data["address"] == "10.0.0.1"


def test_nobody_revokes_anothers_token_by_its_id(client, people):
    """Attack: revoking (or probing) someone else's token by the id the listing shows."""
    assert people.alice and people.bob
    alice = token_call(client, "alice", PASSWORD).get_json()["token"]
    bob = token_call(client, "bob", PASSWORD).get_json()["token"]
    with clock.frozen_at(T0):
        [bobs] = client.get("/api/v1/auth/tokens", headers=bearer(bob)).get_json()
        assert client.delete(f"/api/v1/auth/tokens/{bobs['id']}", headers=bearer(alice)).status_code == 404
        assert client.delete("/api/v1/auth/tokens/not-hex", headers=bearer(alice)).status_code == 404
        assert client.get("/api/v1/tasks", headers=bearer(bob)).status_code == 200
        assert client.delete(f"/api/v1/auth/tokens/{bobs['id']}", headers=bearer(bob)).status_code == 204
        assert client.get("/api/v1/tasks", headers=bearer(bob)).status_code == 401


def test_an_admin_revokes_every_token_and_session_of_a_user(app, client, people, ctx):
    """Attack: a compromised account whose tokens and sessions keep working until they expire. Only an
    admin may end them all; a manager may not."""
    assert people.alice and people.ada and people.mona
    token = token_call(client, "alice", PASSWORD).get_json()["token"]
    browser, _ = sign_in(app, "alice")
    ada = token_call(client, "ada", PASSWORD, address="10.0.0.9").get_json()["token"]
    mona = token_call(client, "mona", PASSWORD, address="10.0.0.9").get_json()["token"]
    url = "/api/v1/admin/users/alice/tokens"
    with clock.frozen_at(T0):
        assert client.delete(url, headers=bearer(mona)).status_code == 403
        assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 200
        assert client.delete(url, headers=bearer(ada)).status_code == 204
        assert client.get("/api/v1/tasks", headers=bearer(token)).status_code == 401
        assert browser.get("/").status_code == 302
        assert client.delete("/api/v1/admin/users/nobody/tokens", headers=bearer(ada)).status_code == 404
    [revoked] = events(ctx, "tokens_revoked")
    assert revoked.actor_id == people.ada and revoked.data == {"username": "alice", "tokens": 1, "sessions": 1}


def test_a_token_ends_after_govflow_token_hours(client, people, ctx):
    """Attack: a token copied from an old script, used long after it was issued."""
    assert people.alice
    reply = token_call(client, "alice", PASSWORD, when=T0).get_json()   # issued at T0
    hours = ctx.settings.token_hours
    assert clock.parse_instant(reply["expires_at"]) == T0 + timedelta(hours=hours)
    with clock.frozen_at(T0 + timedelta(hours=hours) - timedelta(seconds=1)):
        assert client.get("/api/v1/tasks", headers=bearer(reply["token"])).status_code == 200
    with clock.frozen_at(T0 + timedelta(hours=hours)):
        assert client.get("/api/v1/tasks", headers=bearer(reply["token"])).status_code == 401


# --- what the audit records about accounts --------------------------------------------------------------

def test_logins_logouts_and_failures_are_audited_with_name_and_address(app, client, people, ctx):
    """Attack: guessing or signing in without a trace. Logins, failed logins (the name as typed, the
    address), logouts and tokens issued all leave audit rows."""
    assert people.alice
    token_call(client, " alice ", "wrong", address="10.3.3.3")
    token_call(client, "ghost", "wrong", address="10.3.3.3")
    browser, _ = sign_in(app, "alice", address="10.4.4.4")
    browser.post("/logout", data={"csrf_token": form_token(browser.get("/").get_data(as_text=True))},
                 environ_base={"REMOTE_ADDR": "10.4.4.4"})
    failed = events(ctx, "login_failed")
    assert [(e.data["username"], e.data["address"], e.data["reason"], e.actor_id) for e in failed] == [
        ("alice", "10.3.3.3", "bad_password", people.alice), ("ghost", "10.3.3.3", "unknown_user", None)]
    [login] = events(ctx, "login")
    assert login.actor_id == people.alice and login.data["via"] == "browser" and login.data["address"] == "10.4.4.4"
    [logout] = events(ctx, "logout")
    assert logout.actor_id == people.alice and logout.data["address"] == "10.4.4.4"


def test_deploys_and_calendar_imports_are_audited_with_their_actor(client, people, ctx):
    """Attack: changing what runs (a new process version) or the working-day calendar anonymously."""
    from web.cli import main
    assert people.desi and people.mona
    assert main(["deploy", "bpmn_diagrams/yeji/yeji.bpmn"]) == 0
    with ctx.db.transaction() as session:
        deploy(ctx.runtime, session, "yeji", {"yeji.bpmn": _changed_yeji()}, deployed_by="desi")
    deployed = events(ctx, "process_deployed")
    assert [(e.data["by"], e.data["version"]) for e in deployed] == [("cli", 1), ("desi", 2)]
    assert deployed[0].actor_id is None and deployed[1].actor_id == people.desi
    mona = token_call(client, "mona", PASSWORD).get_json()["token"]
    notice = "year: 2031\nsource: 叶集区2031年地方安排（测试）\nholiday: 2031-01-01 元旦\n"
    with clock.frozen_at(T0):
        answer = client.post("/api/v1/admin/calendar/years", headers=bearer(mona),
                             json={"text": notice, "jurisdiction": "yeji"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    [loaded] = events(ctx, "calendar_year_loaded")
    assert loaded.actor_id == people.mona and loaded.data["by"] == "mona"


def _changed_yeji() -> bytes:
    from engine.config import ROOT
    content = (ROOT / "bpmn_diagrams" / "yeji" / "yeji.bpmn").read_bytes()
    return content.replace(b"</bpmn:definitions>", b"<!-- v2 --></bpmn:definitions>")


def test_refusals_on_anothers_objects_are_audited(client, people, ctx):
    """Attack: probing other units' projects by id without a trace. A signed-in user answered 403/404
    on another's project leaves a `refused` row naming the user and the path."""
    iid = people.start("alice", "yeji", FACTS, now=T0)
    assert people.bob
    bob = token_call(client, "bob", PASSWORD).get_json()["token"]
    with clock.frozen_at(T0):
        assert client.get(f"/api/v1/instances/{iid}", headers=bearer(bob)).status_code in (403, 404)
        assert client.get("/api/v1/instances/999999", headers=bearer(bob)).status_code == 404
        assert client.get("/api/v1/no-such-route", headers=bearer(bob)).status_code == 404
    refused = events(ctx, "refused")
    assert [(e.actor_id, e.data["path"]) for e in refused] == [
        (people.bob, f"/api/v1/instances/{iid}"), (people.bob, "/api/v1/instances/999999")]
    assert refused[0].data["status"] in (403, 404) and refused[0].data["method"] == "GET"
    assert all(e.instance_id is None for e in refused)          # not in the project's own history


def test_a_refused_page_in_the_browser_is_audited_too(app, people, ctx):
    """Attack: the same probing through the pages."""
    iid = people.start("alice", "yeji", FACTS, now=T0)
    assert people.bob
    browser, _ = sign_in(app, "bob")
    with clock.frozen_at(T0):
        assert browser.get(f"/instances/{iid}").status_code in (403, 404)
    [refused] = events(ctx, "refused")
    assert refused.actor_id == people.bob and re.fullmatch(rf"/instances/{iid}", refused.data["path"])
