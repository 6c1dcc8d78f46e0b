"""In-app notices (an overdue task, a timer that keeps failing, a yearly cycle that could not start)
and their e-mail copies. Notices are written in the transaction of the event that causes them, so
two schedulers never send one twice; e-mail goes out afterwards, through SMTP only when
GOVFLOW_SMTP_HOST is set (off by default), each notice claimed once by a conditional UPDATE."""
from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import clock, policy
from engine.clocks import local_iso
from engine.config import env_bool, env_int
from engine.errors import NotFound
from engine.models import HumanTask, NoticePreference, Notification, User, UserRole
from engine.services.context import Context

log = logging.getLogger("govflow.notifications")
MANAGER_ROLES = (policy.MANAGER, policy.ADMIN)   # who hears of every overdue step
EMAIL_WINDOW = timedelta(days=2)   # older unsent notices are not e-mailed any more
EMAIL_BATCH = 200


def local_text(value: datetime) -> str:
    """An instant as the pages write it, in Beijing time: 2026年12月1日 14:30."""
    local = value.astimezone(clock.SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def users_with_role(session: Session, jurisdiction: str, roles, unit_id: int | None = None) -> list[User]:
    stmt = (select(User).join(UserRole, UserRole.user_id == User.id)
            .where(User.jurisdiction == jurisdiction, User.active.is_(True), UserRole.role_key.in_(list(roles))))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(session.scalars(stmt.order_by(User.id)).unique())


def managers(session: Session, jurisdiction: str) -> list[User]:
    return users_with_role(session, jurisdiction, MANAGER_ROLES)


def notify(session: Session, users, *, kind: str, title: str, body: str, now: datetime,
           instance_id: int | None = None, human_task_id: int | None = None) -> int:
    """One notice per distinct user, on the channels each chose for the kind (通知设置: in the list,
    by e-mail; a user who turned both off gets none); returns how many were written."""
    people = list({user.id: user for user in users}.values())
    if not people:
        return 0
    chosen = {p.user_id: p for p in session.scalars(select(NoticePreference).where(
        NoticePreference.kind == kind, NoticePreference.user_id.in_([u.id for u in people])))}
    written = 0
    for user in people:
        choice = chosen.get(user.id)
        in_app, email = (choice.in_app, choice.email) if choice else (True, True)
        if not (in_app or email):
            continue
        session.add(Notification(user_id=user.id, instance_id=instance_id, human_task_id=human_task_id,
                                 kind=kind, title=title, body=body, created_at=now, in_app=in_app, email=email,
                                 read_at=None if in_app else now))
        written += 1
    return written


def notify_overdue(session: Session, task: HumanTask, now: datetime, unit_scoped: bool) -> int:
    """The users holding the task's role (in the applicant unit, for the unit roles) and the
    jurisdiction's managers are told the task ran past its deadline."""
    unit = task.role_unit_id if unit_scoped else None
    people = users_with_role(session, task.jurisdiction, [task.role_key], unit) + managers(session, task.jurisdiction)
    provisional = "（暂定期限）" if task.due_provisional else ""
    body = (f"项目“{task.project_name}”（编号 {task.instance_id}）的“{task.title}”已于"
            f"{local_text(task.due_at)}到期{provisional}，尚未办理，请尽快处理。")
    return notify(session, people, kind="task_overdue", title=f"任务逾期：{task.title}", body=body, now=now,
                  instance_id=task.instance_id, human_task_id=task.id)


def notify_incident(session: Session, jurisdiction: str, *, instance_id: int, title: str, error: str,
                    attempts: int, now: datetime) -> int:
    """A timer that failed MAX_ATTEMPTS times: the managers see it with its error."""
    body = (f"项目编号 {instance_id} 的定时器“{title}”已连续失败 {attempts} 次，已停止自动重试。"
            f"错误：{error}。请在“定时器异常”中查看并重试。")
    return notify(session, managers(session, jurisdiction), kind="timer_incident",
                  title=f"定时器异常：{title}", body=body, now=now, instance_id=instance_id)


def notify_schedule_failure(session: Session, jurisdiction: str, *, name: str, error: str,
                            now: datetime) -> int:
    body = f"周期任务“{name}”未能按时发起：{error}。请检查配置与发起人后在下次调度时重试。"
    return notify(session, managers(session, jurisdiction), kind="schedule_failed",
                  title=f"周期任务失败：{name}", body=body, now=now)


# --- reading and marking ---------------------------------------------------------------------------

def as_dict(row: Notification) -> dict:
    return {"id": row.id, "kind": row.kind, "title": row.title, "body": row.body,
            "instance_id": row.instance_id, "task_id": row.human_task_id, "created_at": local_iso(row.created_at),
            "read": row.read_at is not None, "read_at": local_iso(row.read_at)}


def list_for(ctx: Context, user_id: int, *, unread_only: bool = False, page: int = 1,
             per_page: int = 20) -> tuple[list[dict], int, int]:
    """(notices newest first, total, unread count) of one user."""
    with ctx.db.transaction() as session:
        base = select(Notification).where(Notification.user_id == user_id, Notification.in_app.is_(True))
        if unread_only:
            base = base.where(Notification.read_at.is_(None))
        total = session.scalar(select(func.count()).select_from(base.subquery()))
        unread = unread_count(session, user_id)
        rows = session.scalars(base.order_by(Notification.created_at.desc(), Notification.id.desc())
                               .limit(per_page).offset((max(page, 1) - 1) * per_page))
        return [as_dict(r) for r in rows], total, unread


def unread_count(session: Session, user_id: int) -> int:
    """The user's unread notices (the page header's figure; an e-mail-only notice is born read)."""
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)))


def mark_one_read(ctx: Context, user_id: int, notice_id: int, now: datetime | None = None) -> bool:
    """Mark one of the user's notices read (True if it was unread); another's or none: 404."""
    with ctx.db.transaction() as session:
        row = session.get(Notification, notice_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"消息不存在：{notice_id}")
        if row.read_at is not None:
            return False
        row.read_at = now or clock.now()
        return True


def mark_read(ctx: Context, user_id: int, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mark the user's notices read (all unread ones when `ids` is None); returns how many changed."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        if ids is not None:
            stmt = stmt.where(Notification.id.in_([int(i) for i in ids]))
        return session.execute(stmt.values(read_at=now)).rowcount


# --- e-mail ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "govflow@localhost"
    starttls: bool = False
    domain: str | None = None

    @classmethod
    def from_env(cls, host: str | None) -> SmtpSettings | None:
        if not host:
            return None
        return cls(host=host, port=env_int("GOVFLOW_SMTP_PORT", 25), user=os.environ.get("GOVFLOW_SMTP_USER"),
                   password=os.environ.get("GOVFLOW_SMTP_PASSWORD"),
                   sender=os.environ.get("GOVFLOW_SMTP_FROM") or "govflow@localhost",
                   starttls=env_bool("GOVFLOW_SMTP_STARTTLS"), domain=os.environ.get("GOVFLOW_SMTP_DOMAIN"))

    def address_of(self, user: User) -> str | None:
        """A username that is an e-mail address is used as is; otherwise username@GOVFLOW_SMTP_DOMAIN."""
        if "@" in user.username:
            return user.username
        return f"{user.username}@{self.domain}" if self.domain else None


def deliver_emails(ctx: Context, now: datetime | None = None) -> int:
    """Send the notices not e-mailed yet (claimed one by one, so a second scheduler skips them)."""
    smtp = SmtpSettings.from_env(ctx.settings.smtp_host)
    if smtp is None:
        return 0
    now = now or clock.now()
    outbox = []
    with ctx.db.transaction() as session:
        stmt = (select(Notification, User).join(User, User.id == Notification.user_id)
                .where(Notification.emailed_at.is_(None), Notification.email.is_(True),
                       Notification.created_at >= now - EMAIL_WINDOW))
        if not smtp.domain:
            stmt = stmt.where(User.username.contains("@"))
        rows = session.execute(stmt.order_by(Notification.id).limit(EMAIL_BATCH)).all()
        for note, user in rows:
            address = smtp.address_of(user)
            claimed = session.execute(update(Notification).where(Notification.id == note.id,
                                                                 Notification.emailed_at.is_(None))
                                      .values(emailed_at=now)).rowcount
            if address and claimed == 1:
                outbox.append((address, note.title, note.body or note.title))
    if outbox:
        _send(smtp, outbox)
    return len(outbox)


def _send(smtp: SmtpSettings, outbox: list[tuple[str, str, str]]) -> None:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.user:
                server.login(smtp.user, smtp.password or "")
            for address, subject, body in outbox:
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = smtp.sender, address, subject
                message.set_content(body)
                server.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The notices stay in the in-app list; an unreachable mail server must not stop the clocks.
        log.exception("发送通知邮件失败（%d 封）", len(outbox))
