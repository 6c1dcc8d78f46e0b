"""Users, units, roles; sign-in, browser sessions and API tokens.

Passwords are stored in Werkzeug's format, `scrypt:N:r:p$salt$hexdigest` (computed here with the
standard library's scrypt: the engine does not import Werkzeug; `werkzeug.security.
check_password_hash` accepts these hashes). A successful sign-in rehashes a password stored with
other parameters, in Werkzeug's pbkdf2 format, or in govflow's first format (`scrypt$salt$digest`,
base64, N=2**14).

Sign-in (`login`) is throttled per account name as typed and per client address: each attempt is
counted before its password is checked (so parallel guesses are counted too) and a success takes
its count back; past the limit the key is locked for a growing interval (LoginThrottled, 429). An
unknown or inactive name is checked against a dummy hash, so it costs what a known one costs.

A browser session and an API token are random secrets of which only the SHA-256 is stored; signing
out deletes the session's row, a password change deletes all of the user's sessions and tokens."""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import AuthenticationError, GovflowError, NotFound, ValidationFailed
from engine.models import ApiToken, LoginThrottle, Unit, User, UserRole, UserSession
from engine.registry import GLOBAL_ROLES, Jurisdiction
from engine.services.audit import append as audit
from engine.services.audit import insert_or_ignore

# --- password hashes ----------------------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1          # Werkzeug's defaults (32 MiB, ~0.1 s)
_SALT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_LEGACY = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # govflow's first format: scrypt$b64 salt$b64 digest

class _Counter:
    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


_DERIVATIONS = _Counter()


def key_derivation_count() -> int:
    """How many password hashes this process has computed: the seam through which a test sees that
    an unknown user name costs a hash like a known one."""
    return _DERIVATIONS.value


def _counted(function, *args, **kwargs) -> bytes:
    _DERIVATIONS.add()
    return function(*args, **kwargs)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = 64) -> bytes:
    return _counted(hashlib.scrypt, password.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen,
                    maxmem=132 * n * r * p)


def hash_password(password: str) -> str:
    salt = "".join(secrets.choice(_SALT_CHARS) for _ in range(16))
    digest = _scrypt(password, salt.encode(), SCRYPT_N, SCRYPT_R, SCRYPT_P).hex()
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt}${digest}"


def _verify_werkzeug(method: str, salt: str, digest: str, password: str) -> tuple[bool, bool]:
    name, *args = method.split(":")
    if name == "scrypt":
        n, r, p = (int(a) for a in args) if args else (2**15, 8, 1)
        computed = _scrypt(password, salt.encode(), n, r, p).hex()
        return hmac.compare_digest(computed, digest), (n, r, p) != (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    if name == "pbkdf2":
        hash_name = args[0] if args else "sha256"
        iterations = int(args[1]) if len(args) > 1 else 1_000_000
        computed = _counted(hashlib.pbkdf2_hmac, hash_name, password.encode(), salt.encode(), iterations).hex()
        return hmac.compare_digest(computed, digest), True
    return False, False


def verify_password(stored: str, password: str) -> tuple[bool, bool]:
    """(the password matches, the hash should be recomputed with today's parameters)."""
    try:
        method, salt, digest = stored.split("$", 2)
        if method == "scrypt":      # the first format
            computed = _scrypt(password, base64.b64decode(salt), **_LEGACY)
            return hmac.compare_digest(computed, base64.b64decode(digest)), True
        return _verify_werkzeug(method, salt, digest, password)
    except (ValueError, TypeError, AttributeError):
        return False, False


def check_password(stored: str, password: str) -> bool:
    return verify_password(stored, password)[0]


_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash of a random password with today's parameters, checked when the name is unknown."""
    if not _dummy:
        _dummy.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy[0]


# --- users and units ----------------------------------------------------------------------------------

def get_or_create_unit(session: Session, jurisdiction: str, name: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.jurisdiction == jurisdiction, Unit.name == name))
    if unit is None:
        unit = Unit(jurisdiction=jurisdiction, name=name)
        session.add(unit)
        session.flush()
    return unit


def upsert_user(session: Session, username: str, password: str, jurisdiction: Jurisdiction, unit_name: str,
                roles: list[str], display_name: str | None = None, password_hash: str | None = None) -> User:
    """Create the user, or update unit, roles and password of an existing one (idempotent demo).
    `password_hash` lets a caller that creates many users with one password hash it once. Roles are
    the jurisdiction's own (its jurisdiction.json `roles`) or the global manager / designer / admin.
    A changed password ends the user's sessions and tokens (`set_password`)."""
    unknown = sorted(set(roles) - set(jurisdiction.roles) - set(GLOBAL_ROLES))
    if unknown:
        known = "、".join([*jurisdiction.roles, *GLOBAL_ROLES])
        raise ValidationFailed(f"{jurisdiction.name}没有角色：{', '.join(unknown)}（可用：{known}）",
                               errors={"role": "未知的角色"})
    starter = [jurisdiction.roles[r].label for r in roles if r in jurisdiction.roles and jurisdiction.roles[r].starter]
    if starter:
        raise ValidationFailed(f"“{'、'.join(starter)}”由发起该流程的部门承担，不能授予用户",
                               errors={"role": "不能授予的角色"})
    if not username or not password:
        raise ValidationFailed("用户名和密码不能为空")
    unit = get_or_create_unit(session, jurisdiction.key, unit_name)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, password_hash=password_hash or hash_password(password),
                    display_name=display_name or username, jurisdiction=jurisdiction.key, unit_id=unit.id)
        session.add(user)
        session.flush()
    else:
        if not check_password(user.password_hash, password):
            set_password(session, user, password, password_hash=password_hash)
        user.jurisdiction, user.unit_id = jurisdiction.key, unit.id
        user.display_name = display_name or user.display_name
        session.execute(delete(UserRole).where(UserRole.user_id == user.id))
        session.flush()
        session.expire(user, ["roles", "unit"])
    for role in sorted(set(roles)):
        session.add(UserRole(user_id=user.id, role_key=role))
    session.flush()
    session.refresh(user)
    return user


def set_password(session: Session, user: User, password: str, *, password_hash: str | None = None,
                 actor_id: int | None = None, now: datetime | None = None) -> None:
    """A new password ends every browser session and API token of the user."""
    now = now or clock.now()
    user.password_hash = password_hash or hash_password(password)
    ended = _end_all(session, user.id)
    audit(session, "password_changed", actor_id=actor_id or user.id,
          data={"username": user.username, "ended_sessions": ended["sessions"], "ended_tokens": ended["tokens"]},
          at=now)


def authenticate(session: Session, username: str, password: str) -> User:
    """The user if the password matches (no throttling, no audit: `login` is the way in from outside)."""
    user = session.scalar(select(User).where(User.username == username))
    ok, _rehash = verify_password(user.password_hash if user is not None else _dummy_hash(), password)
    if user is None or not user.active or not ok:
        raise AuthenticationError("用户名或密码错误")
    return user


# --- throttled sign-in --------------------------------------------------------------------------------

class LoginThrottled(GovflowError):
    status, code, title = 429, "too_many_attempts", "登录尝试过于频繁"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(f"登录失败次数过多，请 {minutes} 分钟后再试。", retry_after=retry_after)


@dataclass(frozen=True)
class ThrottleRule:
    kind: str                 # "user": the account name as typed; "addr": the client address
    max_failures: int         # this many failed attempts within `window` are allowed …
    window: timedelta
    first_lock: timedelta     # … the next locks the key for this long, doubling with each lock
    longest_lock: timedelta

    def lock_for(self, level: int) -> timedelta:
        return min(self.first_lock * (2 ** min(level, 16)), self.longest_lock)


# An office behind one address is many people: the address allows more failures than an account.
ACCOUNT = ThrottleRule("user", 5, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1))
ADDRESS = ThrottleRule("addr", 20, timedelta(minutes=15), timedelta(minutes=5), timedelta(hours=1))
QUIET_RESET = timedelta(hours=24)   # no failure for this long: the lock level starts over


def _throttle_row(session: Session, rule: ThrottleRule, key: str, now: datetime) -> LoginThrottle:
    insert_or_ignore(session, LoginThrottle.__table__, {"kind": rule.kind, "key": key, "failures": 0,
                                                      "window_started_at": now, "lock_level": 0})
    return session.scalars(select(LoginThrottle).where(LoginThrottle.kind == rule.kind, LoginThrottle.key == key)
                           .with_for_update().execution_options(populate_existing=True)).one()


def _count_attempt(row: LoginThrottle, rule: ThrottleRule, now: datetime) -> bool:
    """Count one attempt on the key; True when it is one too many (the key is locked now)."""
    if row.last_failure_at is None or now - row.last_failure_at > QUIET_RESET:
        row.lock_level = 0
    if now - row.window_started_at > rule.window:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.last_failure_at = now
    if row.failures <= rule.max_failures:
        return False
    row.locked_until = now + rule.lock_for(row.lock_level)
    row.lock_level += 1
    row.failures, row.window_started_at = 0, now
    return True


def _keys(username: str, address: str | None) -> list[tuple[ThrottleRule, str]]:
    return [(ACCOUNT, username[:200]), (ADDRESS, (address or "")[:200])]


def _forget_quiet_keys(session: Session, now: datetime) -> None:
    """Keys quiet for QUIET_RESET and not locked are forgotten (sprayed names do not pile up): a few
    at a time, in a transaction of their own, skipping rows another sign-in holds (it never waits)."""
    stale = session.execute(select(LoginThrottle.kind, LoginThrottle.key)
                            .where(LoginThrottle.last_failure_at < now - QUIET_RESET,
                                   or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))
                            .limit(100).with_for_update(skip_locked=True)).all()
    for kind, key in stale:
        session.execute(delete(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key))


def _admit(session: Session, username: str, address: str | None, now: datetime) -> int:
    """Count the attempt on its keys; the seconds to wait when one of them is locked (0: go on).
    Keys are locked in one order (account, then address), so two sign-ins never wait on each other."""
    rows = [(rule, _throttle_row(session, rule, key, now)) for rule, key in _keys(username, address)]
    waits = [row.locked_until for _rule, row in rows if row.locked_until and row.locked_until > now]
    if not waits:
        locked = [row.locked_until for rule, row in rows if _count_attempt(row, rule, now)]
        waits = locked
    return math.ceil((max(waits) - now).total_seconds()) if waits else 0


def _release(session: Session, username: str, address: str | None) -> None:
    """A success: the account starts over; the address gets its attempt back."""
    session.execute(update(LoginThrottle).where(LoginThrottle.kind == ACCOUNT.kind,
                                                LoginThrottle.key == username[:200])
                    .values(failures=0, locked_until=None, lock_level=0))
    row = session.get(LoginThrottle, (ADDRESS.kind, (address or "")[:200]), with_for_update=True)
    if row is not None and row.failures > 0:
        row.failures -= 1


def login(db, username: str, password: str, *, address: str | None, via: str,
          now: datetime | None = None) -> int:
    """Sign in from outside (`via` "api" or "browser"): the user's id, or AuthenticationError (401),
    or LoginThrottled (429). Every outcome is audited: login, login_failed (the name as typed and the
    address), login_throttled."""
    now = now or clock.now()
    username = (username or "").strip()
    seen = {"username": username[:200], "address": address, "via": via}
    with db.transaction() as session:
        _forget_quiet_keys(session, now)
    with db.transaction() as session:
        wait = _admit(session, username, address, now)
        if wait:
            audit(session, "login_throttled", data={**seen, "retry_after": wait}, at=now)
        user = session.scalar(select(User).where(User.username == username)) if not wait else None
        known = (user.id, user.password_hash, user.active) if user is not None else None
    if wait:
        raise LoginThrottled(wait)
    ok, rehash = verify_password(known[1] if known else _dummy_hash(), password)
    ok = ok and known is not None and known[2]
    new_hash = hash_password(password) if ok and rehash else None
    with db.transaction() as session:
        if not ok:
            reason = "unknown_user" if known is None else ("inactive" if not known[2] else "bad_password")
            audit(session, "login_failed", actor_id=known[0] if known else None, data={**seen, "reason": reason},
                  at=now)
        else:
            _release(session, username, address)
            if new_hash:
                session.execute(update(User).where(User.id == known[0], User.password_hash == known[1])
                                .values(password_hash=new_hash))
            audit(session, "login", actor_id=known[0], data={**seen, "rehashed": bool(new_hash)}, at=now)
    if not ok:
        raise AuthenticationError("用户名或密码错误")
    return known[0]


# --- browser sessions ---------------------------------------------------------------------------------

def secret_hash(secret: str) -> str:
    """What is stored of a session or token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, user_id: int, hours: int, address: str | None = None,
                  now: datetime | None = None) -> str:
    """A new browser session; the secret goes into the signed cookie."""
    now = now or clock.now()
    secret = secrets.token_urlsafe(32)
    session.execute(delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at <= now))
    session.add(UserSession(token_hash=secret_hash(secret), user_id=user_id, created_at=now,
                            expires_at=now + timedelta(hours=hours), address=(address or "")[:64] or None))
    return secret


def user_for_session(session: Session, user_id, secret, now: datetime | None = None) -> User:
    """The user of a live browser session (the cookie's user id and secret), else AuthenticationError."""
    now = now or clock.now()
    row = session.get(UserSession, secret_hash(secret)) if isinstance(secret, str) and secret else None
    if row is None or row.user_id != user_id or row.expires_at <= now:
        raise AuthenticationError("登录已失效，请重新登录")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("用户已停用")
    return user


def end_session(session: Session, user_id: int | None, secret, address: str | None = None,
                now: datetime | None = None) -> bool:
    """Sign out: the session's row is deleted, so a copy of the cookie no longer works."""
    if not isinstance(secret, str) or not secret:
        return False
    ended = session.execute(delete(UserSession).where(UserSession.token_hash == secret_hash(secret))).rowcount
    if ended and user_id:
        audit(session, "logout", actor_id=user_id, data={"address": address}, at=now or clock.now())
    return bool(ended)


def _end_all(session: Session, user_id: int) -> dict:
    sessions = session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount
    tokens = session.execute(delete(ApiToken).where(ApiToken.user_id == user_id)).rowcount
    return {"sessions": sessions, "tokens": tokens}


# --- API tokens ---------------------------------------------------------------------------------------

def token_id(token_hash: str) -> str:
    """The public name of a token (a prefix of its hash: no secret)."""
    return token_hash[:16]


def issue_token(session: Session, user: User, hours: int, *, address: str | None = None,
                now: datetime | None = None) -> tuple[str, datetime]:
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    digest = secret_hash(token)
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at <= now))
    session.add(ApiToken(token_hash=digest, user_id=user.id, created_at=now, expires_at=expires_at))
    audit(session, "token_issued", actor_id=user.id,
          data={"token": token_id(digest), "expires_at": expires_at, "address": address}, at=now)
    return token, expires_at


def token_row(session: Session, token: str, now: datetime | None = None) -> ApiToken:
    row = session.get(ApiToken, secret_hash(token or ""))
    if row is None or row.expires_at <= (now or clock.now()):
        raise AuthenticationError("令牌无效或已过期")
    return row


@dataclass(frozen=True)
class Principal:
    """Who is asking, as one query reads it with their credential: what engine.policy needs (id,
    jurisdiction, unit, role keys) without a User row in the session. A request's services take it
    instead of reloading the user and their roles."""

    id: int
    username: str
    display_name: str
    jurisdiction: str
    unit_id: int
    role_keys: frozenset[str]


# what a Principal is read from: the user's own columns and, one row per role, its role keys
_PRINCIPAL_COLUMNS = (User.id, User.username, User.display_name, User.jurisdiction, User.unit_id, UserRole.role_key)


def _principal(session: Session, credential, secret: str | None, now: datetime | None) -> Principal | None:
    """The active user holding the live credential (ApiToken or UserSession) whose secret is given,
    with their roles: one statement."""
    if not isinstance(secret, str) or not secret:
        return None
    rows = session.execute(
        select(*_PRINCIPAL_COLUMNS)
        .join(credential, credential.user_id == User.id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(credential.token_hash == secret_hash(secret), credential.expires_at > (now or clock.now()),
               User.active.is_(True))).all()
    return _from_rows(rows) if rows else None


def principal_by_id(session: Session, user_id: int) -> Principal:
    """A user (active or not: a service called with a user id acts for them) with their roles."""
    rows = session.execute(
        select(*_PRINCIPAL_COLUMNS)
        .outerjoin(UserRole, UserRole.user_id == User.id).where(User.id == user_id)).all()
    if not rows:
        raise NotFound(f"用户不存在：{user_id}")
    return _from_rows(rows)


def _from_rows(rows) -> Principal:
    first = rows[0]
    return Principal(first.id, first.username, first.display_name, first.jurisdiction, first.unit_id,
                     frozenset(r.role_key for r in rows if r.role_key))


def principal_for_token(session: Session, token: str, now: datetime | None = None) -> Principal:
    """The caller of an API request with a bearer token, else AuthenticationError."""
    found = _principal(session, ApiToken, token, now)
    if found is None:
        raise AuthenticationError("令牌无效或已过期")
    return found


def principal_for_session(session: Session, user_id, secret, now: datetime | None = None) -> Principal:
    """The caller of a browser request (the cookie's user id and session secret), else AuthenticationError."""
    found = _principal(session, UserSession, secret, now)
    if found is None or found.id != user_id:
        raise AuthenticationError("登录已失效，请重新登录")
    return found


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User:
    row = token_row(session, token, now)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("用户已停用")
    return user


def list_tokens(session: Session, user_id: int, current_hash: str | None = None,
                now: datetime | None = None) -> list[dict]:
    """The user's live tokens, newest first, without their secrets."""
    live = (ApiToken.user_id == user_id, ApiToken.expires_at > (now or clock.now()))
    rows = session.scalars(select(ApiToken).where(*live).order_by(ApiToken.created_at.desc(), ApiToken.token_hash))
    return [{"id": token_id(r.token_hash), "created_at": r.created_at, "expires_at": r.expires_at,
             "current": r.token_hash == current_hash} for r in rows]


def revoke_token(session: Session, user_id: int, *, token: str | None = None, public_id: str | None = None,
                 now: datetime | None = None) -> None:
    """Revoke one of the user's tokens: the bearer token itself, or one named by its public id."""
    stmt = delete(ApiToken).where(ApiToken.user_id == user_id)
    if token is not None:
        digest = secret_hash(token)
        stmt = stmt.where(ApiToken.token_hash == digest)
    else:
        digest = (public_id or "").lower()
        if len(digest) != 16 or any(c not in "0123456789abcdef" for c in digest):
            raise NotFound("令牌不存在")
        stmt = stmt.where(ApiToken.token_hash.startswith(digest, autoescape=True))
    if session.execute(stmt).rowcount != 1:
        raise NotFound("令牌不存在")
    audit(session, "token_revoked", actor_id=user_id, data={"token": token_id(digest)}, at=now or clock.now())


def revoke_all(session: Session, username: str, actor_id: int, now: datetime | None = None) -> dict:
    """An administrator ends every API token and browser session of a user."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    ended = _end_all(session, user.id)
    audit(session, "tokens_revoked", actor_id=actor_id,
          data={"username": username, "tokens": ended["tokens"], "sessions": ended["sessions"]},
          at=now or clock.now())
    return ended
