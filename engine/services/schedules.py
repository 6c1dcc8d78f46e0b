"""Yearly (and quarterly, monthly) cycles: side processes a jurisdiction starts on a calendar — 淮安
增资, 九江 运维经费, 宿迁 年度自评价. Each is configured under "schedules" in
processes/<key>/jurisdiction.json:

    {"name": "年度运维经费申请", "process": "jiujiang.maintenance_funding", "rule": "yearly 08-01 09:00",
     "for_each": "instance", "instances": {"process": "jiujiang", "status": "completed"},
     "facts": {"project_name": "{year}年度运维经费（{project_name}）", "year": "{year}"}}

`rule`: `yearly MM-DD [HH:MM]`, `quarterly D [HH:MM]` (day D of the quarter's first month) or
`monthly D [HH:MM]`, Beijing time. `for_each`: `jurisdiction` (one instance, started by the first user
holding `start_as`), `unit` (one per unit with a user holding `start_as`, default the process's first
starting role) or `instance` (one per instance matching `instances`, started by its starter — or by
the first user holding `start_as` when given, e.g. the bureau that monitors — linked as its child).
`instances` matches on `process`, `status` and `inside`: a list of element ids of the instance's
diagram it must be inside now (a phase, engine.workflow.inside; 宿迁 第六条 monitors only the projects
in 运维: `"inside": ["PhaseOperations"]`). `facts` strings may use {year}, {next_year}, {month} (the
occurrence's, two digits), {project_name}, {unit}, {instance_id}; a string that is only one
placeholder takes the value itself (so "{year}" gives an integer).

Each configuration is a `schedules` row. A scheduler claims a due row (`FOR UPDATE SKIP LOCKED`),
starts every instance inside that same transaction (each in a savepoint, so one bad target does not
stop the others) and moves `next_run_at` on: the cycle runs exactly once per occurrence, and a crash
rolls all of it back for the next tick. Occurrences missed while no scheduler ran are run once, not
once per missed period."""
from __future__ import annotations

import calendar
import contextlib
import logging
import re
import string
from datetime import date, datetime, time

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine import clock
from engine.clocks import local_iso
from engine.errors import GovflowError, ValidationFailed
from engine.models import ProcessInstance, ProcessVersion, Schedule, Unit, User, UserRole
from engine.services import notifications
from engine.services.context import Context
from engine.services.fired import Fired
from engine.services.projection import audit
from engine.services.runtime import parent_inside, start_instance

log = logging.getLogger("govflow.schedules")
_RULE = re.compile(r"^(yearly)\s+(\d{2})-(\d{2})(?:\s+(\d{1,2}):(\d{2}))?$|"
                   r"^(quarterly|monthly)\s+(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?$")
FOR_EACH = ("jurisdiction", "unit", "instance")
_SYNC_LOCK_KEY = 720_571_001   # pg_advisory_xact_lock key: one sync at a time


# --- rules ------------------------------------------------------------------------------------------

def parse_rule(rule: str) -> tuple[str, int, int, time]:
    """(kind, month, day, time of day); month is 0 for quarterly/monthly rules."""
    match = _RULE.match((rule or "").strip())
    if match is None:
        raise ValueError("周期规则应写作 yearly MM-DD [HH:MM]、quarterly D [HH:MM] 或 monthly D [HH:MM]，"
                         f"当前为 {rule!r}")
    if match.group(1):
        kind, month, day, hour, minute = "yearly", *match.group(2, 3, 4, 5)
    else:
        kind, month, day, hour, minute = match.group(6), 0, *match.group(7, 8, 9)
    month, day = int(month), int(day)
    if not (0 <= month <= 12 and (month or kind != "yearly") and 1 <= day <= 31):
        raise ValueError(f"周期规则中的日期无效：{rule!r}")
    return kind, month, day, time(int(hour or 0), int(minute or 0))


def _occurrence(year: int, month: int, day: int, at: time) -> datetime:
    day = min(day, calendar.monthrange(year, month)[1])   # 02-29 in a common year, 31 in a short month
    return datetime.combine(date(year, month, day), at, clock.SHANGHAI)


def next_occurrence(rule: str, after: datetime) -> datetime:
    """The first occurrence of `rule` strictly after `after`."""
    kind, month, day, at = parse_rule(rule)
    local = after.astimezone(clock.SHANGHAI)
    if kind == "yearly":
        months = [(local.year + i, month) for i in range(3)]
    else:
        step = 3 if kind == "quarterly" else 1
        first = (local.month - 1) // step * step   # months since January of the current period
        months = [(local.year + (first + i * step) // 12, (first + i * step) % 12 + 1) for i in range(3)]
    return next(moment for moment in (_occurrence(y, m, day, at) for y, m in months) if moment > after)


# --- configuration ------------------------------------------------------------------------------------

def configured(registry, strict: bool = False) -> dict[str, list[dict]]:
    """Every jurisdiction's "schedules" entries (jurisdiction.json, read by the registry's loader). A
    broken entry is logged and left out, so it cannot stop the clocks (`strict`: raise the ValueError
    naming the file and the entry instead)."""
    found: dict[str, list[dict]] = {}
    for key, jurisdiction in registry.jurisdictions().items():
        found[key] = []
        for entry in jurisdiction.schedules:
            try:
                check_entry(key, entry)
            except ValueError:
                if strict:
                    raise
                log.exception("周期任务配置有误，已忽略")
                continue
            found[key].append(entry)
    return found


def check_entry(jurisdiction: str, entry: dict) -> None:
    where = f"processes/{jurisdiction}/jurisdiction.json schedules"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}：每一项应为对象")
    name = entry.get("name")
    if not name:
        raise ValueError(f"{where}：每个周期任务需要 name")
    try:
        parse_rule(entry.get("rule", ""))
    except ValueError as exc:
        raise ValueError(f"{where}「{name}」：{exc}") from None
    process = str(entry.get("process", ""))
    if process != jurisdiction and not process.startswith(f"{jurisdiction}."):
        raise ValueError(f"{where}「{name}」：process 应为本辖区的流程（{jurisdiction}.…）")
    if entry.get("for_each", "jurisdiction") not in FOR_EACH:
        raise ValueError(f"{where}「{name}」：for_each 应为 {'、'.join(FOR_EACH)} 之一")


def sync(ctx: Context, now: datetime | None = None, configs: dict[str, list[dict]] | None = None) -> int:
    """Bring the `schedules` rows in line with the configuration; returns how many rows changed.
    A new cycle starts with its first occurrence after `now` (nothing is run for the past)."""
    now = now or clock.now()
    if configs is None:
        configs = configured(ctx.registry) if ctx.schedule_config is None else ctx.schedule_config
    changed = 0
    with ctx.db.transaction() as session:
        if session.bind.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK_KEY})
        rows = {(r.jurisdiction, (r.config or {}).get("name")): r for r in session.scalars(select(Schedule))}
        # A cycle runs only once its process is deployed: a city not yet rolled out raises no incidents.
        deployed = set(session.scalars(select(ProcessVersion.process_key).distinct()))
        wanted = {(j, e["name"]): e for j, entries in configs.items() for e in entries if e["process"] in deployed}
        for (jurisdiction, name), entry in wanted.items():
            row = rows.get((jurisdiction, name))
            if row is None:
                session.add(Schedule(jurisdiction=jurisdiction, process_key=entry["process"], rule=entry["rule"],
                                     config=entry, active=True, next_run_at=next_occurrence(entry["rule"], now)))
                changed += 1
            elif (row.config, row.process_key, row.rule, row.active) != (entry, entry["process"], entry["rule"], True):
                if row.rule != entry["rule"] or not row.active:
                    row.next_run_at = next_occurrence(entry["rule"], now)
                row.config, row.process_key, row.rule, row.active = entry, entry["process"], entry["rule"], True
                changed += 1
        for key, row in rows.items():
            if key not in wanted and row.active:
                row.active = False
                changed += 1
    return changed


# --- running ---------------------------------------------------------------------------------------

class _SavepointDatabase:
    """Lets a service that owns its transaction (runtime.start_instance) run inside ours: its
    "transaction" is a savepoint of our session, so the whole cycle commits or rolls back as one."""

    def __init__(self, session: Session):
        self._session = session

    @contextlib.contextmanager
    def transaction(self):
        with self._session.begin_nested():
            yield self._session


def _fill(template, values: dict):
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    if isinstance(template, str):
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if len(fields) == 1 and template == "{" + fields[0] + "}":
            return values.get(fields[0])
        return template.format_map({k: "" if v is None else v for k, v in values.items()})
    return template


def _first_user(session: Session, jurisdiction: str, role: str, unit_id: int | None = None) -> User | None:
    users = notifications.users_with_role(session, jurisdiction, [role], unit_id)
    return users[0] if users else None


def _targets(ctx: Context, session: Session, row: Schedule, year: int,
             month: int = 1) -> list[tuple[User | None, dict, int | None, str]]:
    """(starter, placeholder values, parent instance id, label) for each instance to start."""
    entry = row.config or {}
    mode = entry.get("for_each", "jurisdiction")
    role = entry.get("start_as") or ctx.registry.process_def(row.process_key).startable_by[0]
    base = {"year": year, "next_year": year + 1, "month": f"{month:02d}", "jurisdiction": row.jurisdiction}
    if mode == "jurisdiction":
        return [(_first_user(session, row.jurisdiction, role), base, None, ctx.registry.get(row.jurisdiction).name)]
    if mode == "unit":
        units = session.scalars(select(Unit).join(User, User.unit_id == Unit.id)
                                .join(UserRole, UserRole.user_id == User.id)
                                .where(Unit.jurisdiction == row.jurisdiction, UserRole.role_key == role,
                                       User.active.is_(True)).order_by(Unit.id)).unique()
        return [(_first_user(session, row.jurisdiction, role, u.id), dict(base, unit=u.name), None, u.name)
                for u in units]
    match = entry.get("instances") or {}
    stmt = select(ProcessInstance).where(ProcessInstance.jurisdiction == row.jurisdiction,
                                         ProcessInstance.process_key == match.get("process", row.jurisdiction))
    for column in ("status", "outcome"):
        wanted = match.get(column)
        if wanted:
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            stmt = stmt.where(getattr(ProcessInstance, column).in_(wanted))
    inside = match.get("inside") or ()
    bureau = _first_user(session, row.jurisdiction, entry["start_as"]) if entry.get("start_as") else None
    result = []
    for inst in session.scalars(stmt.order_by(ProcessInstance.id)):
        if inside and not parent_inside(ctx, session, inst, inside):
            continue
        values = dict(base, project_name=inst.project_name, instance_id=inst.id, unit=inst.applicant_unit.name)
        result.append((bureau or session.get(User, inst.started_by_id), values, inst.id, inst.project_name))
    return result


def _claim(session: Session, now: datetime) -> Schedule | None:
    return session.scalar(select(Schedule).where(Schedule.active.is_(True), Schedule.next_run_at <= now)
                          .order_by(Schedule.next_run_at, Schedule.id).limit(1)
                          .with_for_update(skip_locked=True))


def run_due(ctx: Context, now: datetime | None = None, worker: str = "", *, sync_first: bool = True) -> list[Fired]:
    """Start the side processes of every cycle due as of `now`, one cycle per transaction."""
    now = now or clock.now()
    if sync_first:
        sync(ctx, now)
    fired = []
    while True:
        with ctx.db.transaction() as session:
            row = _claim(session, now)
            if row is None:
                break
            fired.extend(Fired(kind, iid, row.process_key, title, detail)
                         for kind, iid, title, detail in _run(ctx, session, row, now, worker))
    return fired


def _run(ctx: Context, session: Session, row: Schedule, now: datetime, worker: str) -> list[tuple]:
    name = (row.config or {}).get("name") or row.process_key
    occurrence = row.next_run_at
    local = occurrence.astimezone(clock.SHANGHAI)
    year = local.year
    inner = Context(settings=ctx.settings, db=_SavepointDatabase(session), runtime=ctx.runtime)
    results = []
    try:
        targets = _targets(ctx, session, row, year, local.month)
    except (GovflowError, ValueError) as exc:
        targets, results = [], [_failure(session, row, name, _message(exc), now)]
    for user, values, parent, label in targets:
        title = f"{name}（{label}）"
        try:
            if user is None:
                raise ValidationFailed("没有可作为发起人的用户（需具有 "
                                       f"{(row.config or {}).get('start_as') or '发起'} 角色）")
            facts = _fill((row.config or {}).get("facts") or {}, values)
            iid = start_instance(inner, user.id, row.process_key, facts, now=now, parent_instance_id=parent)
        except (GovflowError, ValueError) as exc:
            results.append(_failure(session, row, title, _message(exc), now))
            continue
        audit(session, "schedule_started", instance_id=iid,
              data={"schedule": name, "occurrence": occurrence, "parent_instance_id": parent, "worker": worker},
              at=now)
        results.append(("schedule", iid, title, ""))
    row.last_run_at, row.claimed_by, row.claimed_at = now, worker, now
    row.next_run_at = next_occurrence(row.rule, max(now, occurrence))
    return results


def _message(exc: Exception) -> str:
    return getattr(exc, "detail", None) or str(exc)


def _failure(session: Session, row: Schedule, title: str, message: str, now: datetime) -> tuple:
    log.warning("周期任务 %s 未能发起：%s", title, message)
    audit(session, "schedule_failed", data={"schedule": title, "process": row.process_key, "error": message},
          at=now)
    notifications.notify_schedule_failure(session, row.jurisdiction, name=title, error=message, now=now)
    return ("schedule_failed", None, title, message)


def list_schedules(ctx: Context, jurisdiction: str | None = None) -> list[dict]:
    with ctx.db.transaction() as session:
        stmt = select(Schedule).order_by(Schedule.jurisdiction, Schedule.next_run_at)
        if jurisdiction:
            stmt = stmt.where(Schedule.jurisdiction == jurisdiction)
        return [{"id": r.id, "jurisdiction": r.jurisdiction, "name": (r.config or {}).get("name"),
                 "process": r.process_key, "rule": r.rule, "active": r.active,
                 "next_run_at": local_iso(r.next_run_at), "last_run_at": local_iso(r.last_run_at)}
                for r in session.scalars(stmt)]

