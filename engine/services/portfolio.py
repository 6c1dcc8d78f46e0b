"""The managers' dashboard (`/manage`, `GET /api/v1/manage/dashboard`): projects by procedure, phase
and status, tasks waiting at each bureau (median and oldest waiting time), overdue and 预警 tasks with
their unit, outcomes, durations per phase and end to end against the statutory clocks, months.

Two kinds of figures, and the answer says which is which:

- the *snapshot* (`summary_computed_at`, 数据截至 …): everything that needs a group-by over the
  jurisdiction's instances or task rows — the counts by procedure, phase, status and outcome, each
  bureau's waiting tasks with their median and oldest wait, the durations, the months, and the counts
  on each deployed version's diagram (engine/services/overlay.py). Computed by the scheduler every
  REFRESH_EVERY (`refresh_all`) into `portfolio_summaries`, as of that instant; a dashboard finding
  none, or one older than SUMMARY_MAX_AGE (the scheduler stopped), computes it itself first, so no
  answer is ever older than SUMMARY_MAX_AGE;
- *live* (`now`): the overdue and 预警 lists (the 20 most urgent, read in order from the index of the
  ready task rows) and their totals (counted from the same index up to LIVE_COUNT_CAP, `capped` when
  more), and the open incidents.

A manager reads their own jurisdiction; an admin or a province-wide viewer (`province_viewer`)
every one, or one of them (engine.policy.portfolio_scope)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock, policy
from engine import portfolio_queries as pq
from engine.clocks import local_iso, parse_due_in
from engine.db import dialect_insert
from engine.errors import PermissionDenied
from engine.models import PortfolioSummary, ProcessVersion, User
from engine.services import diagram_counts
from engine.services.context import Context
from engine.services.deploy import deployed_processes

REFRESH_EVERY = timedelta(minutes=5)      # the scheduler's job (web/scheduler.py)
SUMMARY_MAX_AGE = timedelta(minutes=10)   # the oldest snapshot a dashboard answers with
LIST_LIMIT = 20
LIVE_COUNT_CAP = 10_000                   # the overdue and 预警 totals are counted up to this many
MONTHS = 12
STATUS_LABELS = {"running": "办理中", "completed": "已办结", "terminated": "已终止"}
UNIT_WORDS = {"wd": "个工作日", "d": "日", "m": "个月"}
SNAPSHOT_PARTS = ("by_process", "by_phase", "outcomes", "bureaus", "phase_durations", "end_to_end",
                  "clocked_steps")


def scope_of(ctx: Context, session, user_id: int, asked: str | None = None) -> tuple[User, list[str]]:
    """(the user, the jurisdictions of the portfolio they read); 403 when none."""
    user = session.get(User, user_id)
    keys = policy.portfolio_scope(user, sorted(ctx.registry.jurisdictions()), asked)
    if not keys:
        raise PermissionDenied("只有项目管理员或省级查看员可以查看项目总览")
    return user, keys


def days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / pq.DAY, 1)


def clock_label(due_in: str | None) -> str | None:
    """`10wd` → 10个工作日 (the statutory clock as the diagram states it)."""
    if not due_in:
        return None
    try:
        amount, unit = parse_due_in(due_in)
    except ValueError:
        return due_in
    return f"{amount}{UNIT_WORDS.get(unit, unit)}"


def dashboard(ctx: Context, user_id: int, jurisdiction: str | None = None, now: datetime | None = None) -> dict:
    now = now or clock.now()
    with ctx.db.transaction() as session:
        _user, keys = scope_of(ctx, session, user_id, jurisdiction)
        pq.custom_plans(session)
        names = {k: ctx.registry.get(k).name for k in keys}
        summaries = summaries_of(ctx, session, keys, now)
        result = {"jurisdictions": [{"key": k, "name": names[k]} for k in keys], "now": local_iso(now),
                  "summary_computed_at": local_iso(min(s.computed_at for s in summaries)),
                  **_live(ctx, session, keys, now)}
        counts = {"total": 0, "running": 0, "completed": 0, "terminated": 0}
        for summary in summaries:
            for key, value in summary.data.get("counts", {}).items():
                counts[key] = counts.get(key, 0) + value
        result["counts"] = counts
        for part in SNAPSHOT_PARTS:
            result[part] = [row for s in summaries for row in s.data.get(part, [])]
        result["bureaus"].sort(key=lambda r: (-r["waiting"], r["jurisdiction"], r["role"]))
        result["months"] = _merged_months(summaries, now)
        return result


def _process_name(ctx: Context, jurisdiction: str, key: str) -> str:
    processes = ctx.registry.get(jurisdiction).processes
    return processes[key].name if key in processes else key


def _live(ctx: Context, session, keys: list[str], now: datetime) -> dict:
    """What a dashboard reads on every view: the overdue and 预警 lists with their (capped) totals, the
    open incidents — two statements, each from an index, whatever the portfolio's size."""
    every = set(keys) == set(ctx.registry.jurisdictions())
    live = pq.live_lists(session, keys, now, LIST_LIMIT, LIVE_COUNT_CAP, every=every)
    result = {part: {"total": live[part][1], "capped": live[part][2],
                     "tasks": [_task(ctx, row, row.applicant_unit, now) for row in live[part][0]]}
              for part in ("overdue", "warning")}
    return {**result, "incidents": live["incidents"]}


def _snapshot_counts(ctx: Context, session, jurisdiction: str, now: datetime) -> dict:
    """The counts of the snapshot, as of `now`: by procedure and status, by phase, outcomes, bureaus."""
    keys = [jurisdiction]
    counts = {"total": 0, "running": 0, "completed": 0, "terminated": 0}
    by_process: dict[str, dict] = {}
    for _j, process, status, count in pq.counts_by_process(session, keys):
        item = by_process.setdefault(process, {
            "jurisdiction": jurisdiction, "process": process, "process_name": _process_name(ctx, jurisdiction, process),
            "running": 0, "completed": 0, "terminated": 0, "total": 0})
        item[status] = item.get(status, 0) + count
        item["total"] += count
        counts[status] = counts.get(status, 0) + count
        counts["total"] += count
    phases = [{"jurisdiction": j, "process": p, "process_name": _process_name(ctx, j, p), "phase": phase,
               "phase_title": title or "（未分阶段）", "running": running, "overdue": int(overdue or 0)}
              for j, p, phase, title, running, overdue in pq.running_by_phase(session, keys, now)]
    outcomes = [{"jurisdiction": j, "process": p, "process_name": _process_name(ctx, j, p), "outcome": code,
                 "outcome_label": ctx.registry.get(j).outcome_label(code) or "—", "count": count}
                for j, p, code, count in pq.outcomes(session, keys)]
    bureaus = [{"jurisdiction": row["jurisdiction"], "role": row["role_key"],
                "role_label": ctx.registry.get(row["jurisdiction"]).role_label(row["role_key"]),
                "waiting": row["waiting"], "overdue": int(row["overdue"] or 0),
                "median_wait_days": days((now - row["median"]).total_seconds()),
                "oldest_wait_days": days((now - row["oldest"]).total_seconds()),
                "oldest_since": local_iso(row["oldest"])}
               for row in pq.waiting_by_bureau(session, keys, now)]
    return {
        "counts": counts,
        "by_process": sorted(by_process.values(), key=lambda r: r["process"]),
        "by_phase": sorted(phases, key=lambda r: (r["process"], -r["running"])),
        "outcomes": sorted(outcomes, key=lambda r: (r["process"], -r["count"])),
        "bureaus": sorted(bureaus, key=lambda r: (-r["waiting"], r["role"])),
    }


def _task(ctx: Context, row, unit: str, now: datetime) -> dict:
    jurisdiction = ctx.registry.get(row.jurisdiction)
    clock_days = (row.due_at - row.created_at).total_seconds() if row.due_at else None
    used = (now - row.created_at).total_seconds() / clock_days if clock_days else None
    return {"id": row.id, "instance_id": row.instance_id, "jurisdiction": row.jurisdiction,
            "project_name": row.project_name, "process": row.process_key, "element": row.element_id,
            "title": row.title, "role": row.role_key, "role_label": jurisdiction.role_label(row.role_key),
            "lane": row.lane, "applicant_unit": unit, "phase_title": row.phase_title,
            "created_at": local_iso(row.created_at), "due_at": local_iso(row.due_at),
            "due_provisional": bool(row.due_provisional),
            "overdue_days": days((now - row.due_at).total_seconds()) if row.due_at and row.due_at < now else 0.0,
            "clock_used": round(used, 2) if used is not None else None}


# --- the summary ---------------------------------------------------------------------------------

def fresh(row: PortfolioSummary | None, now: datetime) -> bool:
    """Whether a stored snapshot may be answered at `now`: computed within SUMMARY_MAX_AGE before it."""
    return row is not None and now - SUMMARY_MAX_AGE <= row.computed_at <= now


def summaries_of(ctx: Context, session, keys: list[str], now: datetime) -> list[PortfolioSummary]:
    """The snapshots of the jurisdictions (one statement), each computed here first if it is missing or
    not fresh (the scheduler is not running, or the clock was moved)."""
    rows = {row.jurisdiction: row for row in session.scalars(
        select(PortfolioSummary).where(PortfolioSummary.jurisdiction.in_(keys)))}
    return [rows[key] if fresh(rows.get(key), now) else _store(ctx, session, key, now) for key in keys]


def summary_of(ctx: Context, session, jurisdiction: str, now: datetime) -> PortfolioSummary:
    return summaries_of(ctx, session, [jurisdiction], now)[0]


def _store(ctx: Context, session, jurisdiction: str, now: datetime) -> PortfolioSummary:
    """Compute and store one jurisdiction's snapshot as of `now` (an upsert: two computing it at once
    both succeed, the later one's stays)."""
    data = compute_summary(ctx, session, jurisdiction, now)
    table = PortfolioSummary.__table__
    statement = dialect_insert(session, table).values(jurisdiction=jurisdiction, computed_at=now, data=data)
    session.execute(statement.on_conflict_do_update(index_elements=[table.c.jurisdiction],
                                                    set_={"computed_at": now, "data": data}))
    return session.scalars(select(PortfolioSummary).where(PortfolioSummary.jurisdiction == jurisdiction)
                           .execution_options(populate_existing=True)).one()


def refresh(ctx: Context, jurisdiction: str, now: datetime | None = None) -> None:
    """Compute and store one jurisdiction's snapshot (the scheduler's job; tests; the demo)."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        _store(ctx, session, jurisdiction, now)


def refresh_all(ctx: Context, now: datetime | None = None) -> list[str]:
    """Every jurisdiction's snapshot, each in its own transaction; answers the keys refreshed."""
    keys = sorted(ctx.registry.jurisdictions())
    for key in keys:
        refresh(ctx, key, now)
    return keys


def _elements(ctx: Context, session, jurisdiction: str) -> dict[str, dict]:
    """{process key: {element id: ElementInfo}} of the newest deployed version of each process."""
    result = {}
    for row in deployed_processes(session):
        if row.jurisdiction == jurisdiction:
            result[row.process_key] = ctx.loaded_version(session, row.id).elements
    return result


def compute_summary(ctx: Context, session, jurisdiction: str, now: datetime) -> dict:
    elements = _elements(ctx, session, jurisdiction)

    def stats(item: dict) -> dict:
        return {"count": item["count"], "avg_days": days(item["avg"]), "median_days": days(item["p50"]),
                "p90_days": days(item["p90"])}

    def clock_of(process: str, element: str) -> str | None:
        info = elements.get(process, {}).get(element)
        return info.properties.get("dueIn") if info else None

    phases = [{"jurisdiction": jurisdiction, "process": r["process_key"],
               "process_name": _process_name(ctx, jurisdiction, r["process_key"]), "phase": r["phase"],
               "phase_title": r["title"], **stats(r)}
              for r in pq.phase_durations(session, jurisdiction)]
    ends = [{"jurisdiction": jurisdiction, "process": r["process_key"],
             "process_name": _process_name(ctx, jurisdiction, r["process_key"]), "status": r["status"],
             "status_label": STATUS_LABELS.get(r["status"], r["status"]), **stats(r)}
            for r in pq.end_to_end(session, jurisdiction)]
    steps = []
    for r in pq.clocked_steps(session, jurisdiction):
        info = elements.get(r["process_key"], {}).get(r["element_id"])
        steps.append({"jurisdiction": jurisdiction, "process": r["process_key"],
                      "process_name": _process_name(ctx, jurisdiction, r["process_key"]),
                      "phase_title": r["phase_title"],
                      "element": r["element_id"], "title": info.title if info else r["element_id"],
                      "clock": clock_label(clock_of(r["process_key"], r["element_id"])), **stats(r),
                      "in_time": int(r["in_time"] or 0),
                      "in_time_share": round(int(r["in_time"] or 0) / r["count"], 3) if r["count"] else None})
    since = _months_back(now, MONTHS)
    return {**_snapshot_counts(ctx, session, jurisdiction, now),
            "overlay": _overlay_counts(ctx, session, jurisdiction, now),
            "phase_durations": sorted(phases, key=lambda r: (r["process"], r["phase"])),
            "end_to_end": sorted(ends, key=lambda r: (r["process"], r["status"])),
            "clocked_steps": sorted(steps, key=lambda r: (r["process"], -(r["count"] or 0))),
            "months": pq.months(session, jurisdiction, since)}


def _overlay_counts(ctx: Context, session, jurisdiction: str, now: datetime) -> dict[str, dict]:
    """{version id: {element or phase: [active, overdue]}} of every deployed version of the jurisdiction
    (engine/services/overlay.py counts)."""
    versions = session.scalars(select(ProcessVersion).where(ProcessVersion.jurisdiction == jurisdiction)).all()
    return {str(row.id): {key: list(pair) for key, pair in diagram_counts.count_version(ctx, session, row, now).items()}
            for row in versions}


def _months_back(now: datetime, count: int) -> datetime:
    local = now.astimezone(clock.SHANGHAI)
    year, month = local.year, local.month - (count - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    return local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _merged_months(summaries: list[PortfolioSummary], now: datetime) -> list[dict]:
    start = _months_back(now, MONTHS)
    labels = []
    year, month = start.year, start.month
    for _ in range(MONTHS):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    result = []
    for label in labels:
        item = {"month": label, "started": 0, "completed": 0, "terminated": 0}
        for s in summaries:
            for key, value in (s.data.get("months", {}).get(label) or {}).items():
                item[key] += value
        result.append(item)
    return result
