"""The holiday calendar as data: each year's arrangement (国务院办公厅 notice, or a local rule of one
jurisdiction) is a `calendar_years` row. Rows are seeded from chinese-calendar for the years it knows,
loaded into the in-memory calendars (`engine.calendars`) at start-up and whenever they change, and a
year loaded later replaces the provisional rule: the open tasks whose due date was provisional get it
computed again (暂定 → 正式), and so do pending timers whose deadline was provisional.

Functions here own their transaction and answer JSON-safe dicts, so the CLI, the admin API and an
admin page can all call them."""
from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine import clock
from engine import workflow as wfx
from engine.clocks import local_iso
from engine.db import dialect_insert
from engine.errors import ValidationFailed
from engine.models import CalendarYear, HumanTask, ProcessInstance, Timer
from engine.script_helpers import rearm
from engine.services.audit import actor_id_of, lock_instances
from engine.services.context import Context
from engine.services.notices import warning_at
from engine.services.projection import audit, due_for, lock_instance, persist, refresh_waiting
from engine.workcalendar import (
    BusinessCalendar,
    YearArrangement,
    builtin_arrangement,
    parse_notice,
    state_council_notice,
)

log = logging.getLogger("govflow.calendar")
BUILTIN_LOADED_BY = "chinese-calendar"
_YEAR_LINE = re.compile(r"^\s*year\s*[:：]\s*(\d{4})\s*(?:#.*)?$", re.MULTILINE | re.IGNORECASE)
_ANY_DATE = re.compile(r"\b(\d{4})-\d{2}-\d{2}\b")


# --- rows <-> arrangements ------------------------------------------------------------------------

def _arrangement(row: CalendarYear) -> YearArrangement:
    return YearArrangement(row.year, frozenset(date.fromisoformat(d) for d in row.holidays),
                           frozenset(date.fromisoformat(d) for d in row.workdays), row.source)


def _days(days) -> list[str]:
    return sorted(d.isoformat() for d in days)


def builtin_years() -> list[int]:
    cal = BusinessCalendar()
    return sorted(cal.known_years())


def seed(ctx: Context) -> int:
    """Insert chinese-calendar's years as national rows where none exists (safe to run concurrently)."""
    with ctx.db.transaction() as session:
        _cite_notices(session)
        have = set(session.scalars(select(CalendarYear.year).where(CalendarYear.jurisdiction == "")))
        missing = [y for y in builtin_years() if y not in have]
        if not missing:
            return 0
        values = []
        for year in missing:
            arr = builtin_arrangement(year)
            values.append({"jurisdiction": "", "year": year, "holidays": _days(arr.holidays),
                           "workdays": _days(arr.workdays), "source": arr.source,
                           "loaded_at": clock.now(), "loaded_by": BUILTIN_LOADED_BY})
        session.execute(dialect_insert(session, CalendarYear).values(values).on_conflict_do_nothing(
            index_elements=["jurisdiction", "year"]))
        return len(missing)


def _cite_notices(session) -> None:
    """Built-in rows seeded before they cited the State Council's notice (they named the library
    chinese-calendar) cite it now."""
    for row in session.scalars(select(CalendarYear).where(CalendarYear.jurisdiction == "",
                                                          CalendarYear.loaded_by == BUILTIN_LOADED_BY,
                                                          CalendarYear.source.like("chinese-calendar%"))):
        row.source = state_council_notice(row.year)


def signature_columns() -> tuple:
    """What tells whether the calendar rows changed: three scalar subqueries, which a statement that
    runs anyway (the instance row lock of a completion) can carry so the check costs no statement."""
    return (select(func.count(CalendarYear.id)).scalar_subquery(), select(func.max(CalendarYear.id)).scalar_subquery(),
            select(func.max(CalendarYear.loaded_at)).scalar_subquery())


def _signature(session) -> tuple:
    return tuple(session.execute(select(*signature_columns())).one())


def _install_rows(ctx: Context, session) -> None:
    signature = _signature(session)
    rows = session.scalars(select(CalendarYear).order_by(CalendarYear.jurisdiction, CalendarYear.year))
    ctx.runtime.calendars.install_all(((row.jurisdiction, _arrangement(row)) for row in rows), signature)


def install(ctx: Context) -> None:
    """Start-up: seed chinese-calendar's years, then load every row into the in-memory calendars.
    A database without the schema yet (before `govflow init-db`) is left alone."""
    try:
        seed(ctx)
        with ctx.db.transaction() as session:
            _install_rows(ctx, session)
    except (OperationalError, ProgrammingError):
        log.warning("日历表尚不可用（请先运行 govflow init-db），暂用内置节假日数据")


def sync(ctx: Context, session) -> bool:
    """Inside the caller's transaction: reload the runtime's calendars if the rows changed since they
    were loaded (another process — `govflow calendar import`, another server — imported a year). Every
    transaction that computes a due date calls this first, so a year imported anywhere counts from
    the next such transaction on (one aggregate query on a small table)."""
    return sync_seen(ctx, session, _signature(session))


def sync_seen(ctx: Context, session, signature: tuple) -> bool:
    """`sync` with the signature (signature_columns) already read in this transaction."""
    if tuple(signature) == ctx.runtime.calendars.installed_signature():
        return False
    _install_rows(ctx, session)
    return True


def refresh(ctx: Context) -> bool:
    """`sync` in a transaction of its own."""
    with ctx.db.transaction() as session:
        return sync(ctx, session)


# --- listing --------------------------------------------------------------------------------------

def _year_dict(ctx: Context, row: CalendarYear) -> dict:
    return {"id": row.id, "jurisdiction": row.jurisdiction or None,
            "jurisdiction_name": ctx.registry.get(row.jurisdiction).name if row.jurisdiction else "全国",
            "year": row.year, "source": row.source, "holidays": row.holidays, "workdays": row.workdays,
            "holiday_count": len(row.holidays), "workday_count": len(row.workdays),
            "builtin": row.loaded_by == BUILTIN_LOADED_BY, "loaded_by": row.loaded_by,
            "loaded_at": local_iso(row.loaded_at)}


def list_years(ctx: Context, jurisdiction: str | None = None, now: datetime | None = None) -> dict:
    """Loaded years (national and, with `jurisdiction`, that one's local rules) and the years that
    are still provisional (this year and the next two, when not loaded)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        stmt = select(CalendarYear).order_by(CalendarYear.year.desc(), CalendarYear.jurisdiction)
        if jurisdiction:
            stmt = stmt.where(CalendarYear.jurisdiction.in_(("", jurisdiction)))
        years = [_year_dict(ctx, r) for r in session.scalars(stmt)]
    refresh(ctx)
    cal = ctx.calendar(jurisdiction)
    this_year = now.astimezone(clock.SHANGHAI).year
    provisional = [y for y in range(this_year, this_year + 3) if cal.is_provisional(date(y, 1, 1))]
    return {"years": years, "provisional_years": provisional,
            "provisional_rule": "暂定规则：周一至周五为工作日，扣除元旦（1月1日）、劳动节（5月1日至2日）、"
                                "国庆节（10月1日至3日）等固定日期法定节假日；该年度安排导入后自动重算。"}


# --- import ---------------------------------------------------------------------------------------

def notice_year(text: str) -> int:
    """The year a notice file is about: its `year:` line / JSON `year`, else its first date."""
    stripped = text.lstrip("\ufeff").lstrip()
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped).get("year")
        except (ValueError, AttributeError):
            value = None
        if isinstance(value, int):
            return value
    match = _YEAR_LINE.search(text) or _ANY_DATE.search(text)
    if match is None:
        raise ValueError("无法确定年份：请在文件中写明 year: 2027，或指定 --year")
    return int(match.group(1))


def import_notice(ctx: Context, text: str, *, year: int | None = None, jurisdiction: str | None = None,
                  loaded_by: str | None = None, now: datetime | None = None) -> dict:
    """Load one year's arrangement (national, or a local rule of `jurisdiction`), install it, and
    recompute the provisional due dates and timers it settles. Errors are ValidationFailed in Chinese."""
    now = now or clock.now()
    jurisdiction = jurisdiction or ""
    if jurisdiction:
        ctx.registry.get(jurisdiction)
    try:
        year = year or notice_year(text)
        arrangement = parse_notice(text, year)
    except ValueError as exc:
        raise ValidationFailed(f"节假日安排文件有误：{exc}", errors={"file": str(exc)}) from None
    with ctx.db.transaction() as session:
        row = session.scalar(select(CalendarYear).where(CalendarYear.jurisdiction == jurisdiction,
                                                        CalendarYear.year == year).with_for_update())
        replaced = row is not None
        if row is None:
            row = CalendarYear(jurisdiction=jurisdiction, year=year)
            session.add(row)
        row.holidays, row.workdays = _days(arrangement.holidays), _days(arrangement.workdays)
        row.source, row.loaded_at, row.loaded_by = arrangement.source, now, loaded_by
        audit(session, "calendar_year_loaded", actor_id=actor_id_of(session, loaded_by),
              data={"year": year, "jurisdiction": jurisdiction or None, "source": arrangement.source,
                    "by": loaded_by}, at=now)
        session.flush()
        result = _year_dict(ctx, row)
        _install_rows(ctx, session)
    result.update(replaced=replaced, **recompute(ctx, year, jurisdiction or None, now))
    return result


# --- recomputing what was provisional --------------------------------------------------------------

def _jurisdiction_filter(ctx: Context, column, jurisdiction: str | None, year: int):
    """Rows of the jurisdictions whose calendar the loaded year changes: the one given (a local
    rule), or every one that has no local rule of its own for that year (a national notice)."""
    if jurisdiction:
        return column == jurisdiction
    calendars = ctx.runtime.calendars
    own = sorted(j for j in calendars.local_jurisdictions() if calendars.has_local_year(j, year))
    return column.not_in(own) if own else column.is_not(None)


def _start(year: int) -> datetime:
    """A provisional deadline that a year's arrangement can change lies in that year or later."""
    return datetime(year, 1, 1, tzinfo=clock.SHANGHAI)


def recompute(ctx: Context, year: int, jurisdiction: str | None = None, now: datetime | None = None) -> dict:
    """Give open tasks with a provisional due date, and pending timers with a provisional deadline,
    the date the now-loaded calendar says. Returns the counts."""
    now = now or clock.now()
    tasks = _recompute_tasks(ctx, year, jurisdiction, now)
    timers = _recompute_timers(ctx, year, jurisdiction, now)
    return {"recomputed_tasks": tasks, "recomputed_timers": timers}


def _recompute_tasks(ctx: Context, year: int, jurisdiction: str | None, now: datetime) -> int:
    changed = 0
    provisional_due = (HumanTask.state == "ready", HumanTask.due_provisional.is_(True),
                       HumanTask.due_at >= _start(year),
                       _jurisdiction_filter(ctx, HumanTask.jurisdiction, jurisdiction, year))
    with ctx.db.transaction() as session:
        # the projects' rows first, in id order, as a step takes them (a completion holding its project
        # and waiting for a task row updated here would deadlock with this transaction); the task rows
        # are then read as those steps left them
        locked = lock_instances(session, set(session.scalars(select(HumanTask.instance_id).where(*provisional_due))))
        rows = [row for row in session.scalars(select(HumanTask).where(*provisional_due).order_by(HumanTask.id)
                                               .execution_options(populate_existing=True))
                if row.instance_id in locked]
        workflows: dict[int, tuple] = {}
        for row in rows:
            inst = session.get(ProcessInstance, row.instance_id)
            if inst.id not in workflows:
                version = ctx.loaded_version(session, inst.process_version_id)
                workflows[inst.id] = (version, wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction)))
            version, workflow = workflows[inst.id]
            info, task = version.element(row.element_id), wfx.find_task(workflow, row.task_guid)
            if info is None or task is None:
                continue
            with clock.frozen_at(row.created_at):   # as computed when the task became ready
                due_at, provisional = due_for(ctx, session, inst, version, workflow, task, info, row.created_at)
            if due_at == row.due_at and provisional == row.due_provisional:
                continue
            audit(session, "due_recomputed", instance_id=row.instance_id, element_id=row.element_id,
                  human_task_id=row.id, data={"title": row.title, "before": row.due_at, "after": due_at,
                                              "provisional": provisional, "year": year}, at=now)
            row.set_due(due_at, provisional, warning_at(ctx, row.jurisdiction, row.created_at, due_at))
            if due_at is None or due_at >= now:
                row.overdue_notified_at = None   # no longer overdue under the official calendar
            changed += 1
        session.flush()
        refresh_waiting(session, workflows)
    return changed


def _recompute_timers(ctx: Context, year: int, jurisdiction: str | None, now: datetime) -> int:
    """Pending timers of the affected jurisdictions, one instance per transaction (the instance row
    is locked first, as every path that touches timer rows does)."""
    with ctx.db.transaction() as session:
        instance_ids = sorted(set(session.scalars(
            select(Timer.instance_id).join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(Timer.state == "pending", Timer.run_at >= _start(year),
                   _jurisdiction_filter(ctx, ProcessInstance.jurisdiction, jurisdiction, year)))))
    changed = 0
    for instance_id in instance_ids:
        with ctx.db.transaction() as session, clock.frozen_at(now):
            changed += _rearm_instance(ctx, session, instance_id, now)
    return changed


def _rearm_instance(ctx: Context, session, instance_id: int, now: datetime) -> int:
    inst = lock_instance(session, instance_id)
    if inst.status != "running":
        return 0
    version = ctx.loaded_version(session, inst.process_version_id)
    workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
    rearmed = moved = 0
    for info in wfx.pending_timers(workflow):
        task = wfx.find_task(workflow, info["task_guid"])
        after = rearm(task) if task is not None else None
        if after is None:
            continue
        rearmed += 1
        if after != info["fires_at"]:
            moved += 1
            audit(session, "timer_recomputed", instance_id=inst.id, element_id=info["element_id"],
                  data={"title": info["title"], "before": info["fires_at"], "after": after}, at=now)
    if rearmed:
        persist(ctx, session, inst, version, workflow, now)
    return moved
