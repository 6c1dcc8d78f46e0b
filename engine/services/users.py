"""Users, units, roles and API tokens. Passwords are hashed with scrypt (standard library)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import AuthenticationError, ValidationFailed
from engine.models import ApiToken, Unit, User, UserRole
from engine.registry import GLOBAL_ROLES, Jurisdiction

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(stored: str, password: str) -> bool:
    try:
        _scheme, salt_b64, digest_b64 = stored.split("$")
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


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
    the jurisdiction's own (its jurisdiction.json `roles`) or the global manager / designer / admin."""
    unknown = sorted(set(roles) - set(jurisdiction.roles) - set(GLOBAL_ROLES))
    if unknown:
        known = "、".join([*jurisdiction.roles, *GLOBAL_ROLES])
        raise ValidationFailed(f"{jurisdiction.name}没有角色：{', '.join(unknown)}（可用：{known}）",
                               errors={"role": "未知的角色"})
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
            user.password_hash = password_hash or hash_password(password)
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


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password(user.password_hash, password):
        raise AuthenticationError("用户名或密码错误")
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, hours: int) -> tuple[str, object]:
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(hours=hours)
    session.add(ApiToken(token_hash=_token_hash(token), user_id=user.id, expires_at=expires_at))
    return token, expires_at


def user_for_token(session: Session, token: str) -> User:
    row = session.get(ApiToken, _token_hash(token or ""))
    if row is None or row.expires_at <= clock.now():
        raise AuthenticationError("令牌无效或已过期")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("用户已停用")
    return user
