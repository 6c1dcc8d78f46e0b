"""The queries of the managers' portfolio (engine/services/portfolio.py): counts, waiting times,
overdue and 预警 lists, durations and months — on the instance summary columns and the task rows,
with their indexes, never by loading workflows. Durations and percentiles are computed in SQL on
PostgreSQL and from the rows on SQLite (which has no percentile), with the same answers."""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime

from sqlalchemy import Float, case, func, literal, literal_column, select, text, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from engine.models import HumanTask, Incident, ProcessInstance, Unit

DAY = 86_400.0
OPEN_STATES = ("ready", "suspended")


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def custom_plans(session: Session) -> None:
    """On PostgreSQL, plan this transaction's statements for their values: the driver prepares a
    statement run five times, and the server may then switch to one generic plan that ignores the
    values — for a search's filters, or a due-date range over 100,000 projects, one that reads the
    whole table (measured: 60 ms with plans for the values, 700 ms and more once generic)."""
    if _postgres(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def seconds_between(session: Session, start, end):
    """`end - start` in seconds, as SQL of the session's database."""
    if _postgres(session):
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * DAY


def month_of(session: Session, column):
    """The month (YYYY-MM) of an instant in Asia/Shanghai, as SQL."""
    if _postgres(session):
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def percentile(values: list[float], share: float) -> float | None:
    """The continuous percentile (PostgreSQL's percentile_cont) of `values`."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def grouped_stats(session: Session, keys: list, elapsed, source_where: list, *, from_=None,
                  extra: dict | None = None, greatest: dict | None = None) -> list[dict]:
    """Per group of `keys`: count, mean and 90th percentile of `elapsed` seconds (and the `extra`
    sums, the `greatest` maxima), over the rows `source_where` selects (from `from_`, a subquery)."""
    extra, greatest = extra or {}, greatest or {}
    if _postgres(session):
        # both percentiles from one ordered-set aggregate: each group's values are sorted once
        shares = postgresql.array([0.5, 0.9], type_=Float)
        stmt = select(*keys, func.count().label("count"), func.avg(elapsed).label("avg"),
                      func.percentile_cont(shares).within_group(elapsed).label("percentiles"),
                      *[func.sum(v).label(k) for k, v in extra.items()],
                      *[func.max(v).label(k) for k, v in greatest.items()])
        if from_ is not None:
            stmt = stmt.select_from(from_)
        rows = session.execute(stmt.where(*source_where).group_by(*keys)).mappings()
        return [{**{k: v for k, v in row.items() if k != "percentiles"}, "avg": _float(row["avg"]),
                 "p50": _float((row["percentiles"] or [None, None])[0]),
                 "p90": _float((row["percentiles"] or [None, None])[1])} for row in rows]
    stmt = select(*keys, elapsed.label("elapsed"), *[v.label(k) for k, v in {**extra, **greatest}.items()])
    if from_ is not None:
        stmt = stmt.select_from(from_)
    groups: dict[tuple, list] = defaultdict(list)
    for row in session.execute(stmt.where(*source_where)).mappings():
        groups[tuple(row[k.key] for k in keys)].append(row)
    result = []
    for key, rows in groups.items():
        values = [float(r["elapsed"]) for r in rows if r["elapsed"] is not None]
        item = {k.key: v for k, v in zip(keys, key, strict=True)}
        item.update(count=len(rows), avg=sum(values) / len(values) if values else None,
                    p90=percentile(values, 0.9), p50=percentile(values, 0.5))
        item.update({k: sum(int(r[k] or 0) for r in rows) for k in extra})
        item.update({k: max((r[k] for r in rows if r[k] is not None), default=None) for k in greatest})
        result.append(item)
    return result


def _float(value) -> float | None:
    return None if value is None else float(value)


# --- the snapshot's counts (engine/services/portfolio.py computes them every few minutes) ----------

def counts_by_process(session: Session, jurisdictions: list[str]) -> list[tuple]:
    """(jurisdiction, process, status, count) of every instance."""
    return list(session.execute(
        select(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.status, func.count())
        .where(ProcessInstance.jurisdiction.in_(jurisdictions))
        .group_by(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.status)))


def running_by_phase(session: Session, jurisdictions: list[str], now: datetime) -> list[tuple]:
    """(jurisdiction, process, phase, phase title, running, overdue) of the running instances."""
    overdue = func.sum(case((ProcessInstance.earliest_due_at < now, 1), else_=0))
    return list(session.execute(
        select(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.phase,
               func.max(ProcessInstance.phase_title), func.count(), overdue)
        .where(ProcessInstance.jurisdiction.in_(jurisdictions), ProcessInstance.status == "running")
        .group_by(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.phase)))


def outcomes(session: Session, jurisdictions: list[str]) -> list[tuple]:
    """(jurisdiction, process, outcome, count) of the instances that ended."""
    return list(session.execute(
        select(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.outcome, func.count())
        .where(ProcessInstance.jurisdiction.in_(jurisdictions), ProcessInstance.status != "running")
        .group_by(ProcessInstance.jurisdiction, ProcessInstance.process_key, ProcessInstance.outcome)))


def waiting_by_bureau(session: Session, jurisdictions: list[str], now: datetime) -> list[dict]:
    """Per jurisdiction and role: ready tasks, overdue ones, the oldest and the median ready instant."""
    ready = [HumanTask.jurisdiction.in_(jurisdictions), HumanTask.state == literal_column("'ready'")]
    keys = [HumanTask.jurisdiction, HumanTask.role_key]
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    if _postgres(session):
        rows = session.execute(
            select(*keys, func.count().label("waiting"), overdue.label("overdue"),
                   func.min(HumanTask.created_at).label("oldest"),
                   func.percentile_disc(0.5).within_group(HumanTask.created_at.desc()).label("median"))
            .where(*ready).group_by(*keys)).mappings()
        return [dict(row) for row in rows]
    groups: dict[tuple, list] = defaultdict(list)
    for jurisdiction, role, created, due in session.execute(
            select(*keys, HumanTask.created_at, HumanTask.due_at).where(*ready)):
        groups[(jurisdiction, role)].append((created, due))
    result = []
    for (jurisdiction, role), rows in groups.items():
        created = sorted((c for c, _ in rows), reverse=True)
        result.append({"jurisdiction": jurisdiction, "role_key": role, "waiting": len(rows),
                       "overdue": sum(1 for _, due in rows if due is not None and due < now),
                       "oldest": created[-1], "median": created[(len(created) - 1) // 2]})
    return result


# --- live: what the dashboard reads on every view (from indexes, counts capped) ---------------------

def capped_count(session: Session, query, cap: int) -> tuple[int, bool]:
    """(how many rows `query` answers, at most `cap`; whether there are more): the rows are counted
    until one past the cap, so the work is bounded however many match."""
    counted = session.scalar(select(func.count()).select_from(query.limit(cap + 1).subquery("capped")))
    return min(counted, cap), counted > cap


def _ready_in(jurisdictions: list[str], every: bool) -> list:
    """The ready rows of the jurisdictions (`every`: all there are, no condition on the jurisdiction, so
    a province-wide list is one ordered range of ix_human_tasks_ready_due)."""
    ready = [HumanTask.state == literal_column("'ready'")]
    return ready if every else [*ready, HumanTask.jurisdiction.in_(jurisdictions)]


def _overdue(jurisdictions: list[str], now: datetime, every: bool) -> list:
    """Ready tasks past their due date (a range of ix_human_tasks_ready_due)."""
    return [*_ready_in(jurisdictions, every), HumanTask.due_at < now]


def _warning(jurisdictions: list[str], now: datetime, every: bool) -> list:
    """预警: ready tasks not yet due that have used 80 % of their clock (the range due_at >= now of
    ix_human_tasks_ready_due, warn_at read from the same index entries)."""
    return [*_ready_in(jurisdictions, every), HumanTask.due_at >= now, HumanTask.warn_at <= now]


LIVE_TASK_COLUMNS = (HumanTask.id, HumanTask.instance_id, HumanTask.jurisdiction, HumanTask.project_name,
                     HumanTask.process_key, HumanTask.element_id, HumanTask.title, HumanTask.role_key, HumanTask.lane,
                     HumanTask.phase_title, HumanTask.created_at, HumanTask.due_at, HumanTask.due_provisional,
                     Unit.name.label("applicant_unit"))


def live_lists(session: Session, jurisdictions: list[str], now: datetime, limit: int, cap: int, *,
               every: bool = False) -> dict:
    """What the dashboard reads live, in two statements whatever the portfolio's size:
    {overdue: (rows, total, more), warning: (rows, total, more), incidents: n} — the overdue tasks the
    longest overdue first, the 预警 ones the soonest due first (rows of LIVE_TASK_COLUMNS), each total
    counted up to `cap` (more: there are more), and the open incidents."""
    parts = {"overdue": _overdue(jurisdictions, now, every), "warning": _warning(jurisdictions, now, every)}

    def capped(cond):
        rows = select(literal_column("1")).select_from(HumanTask).where(*cond).limit(cap + 1).subquery()
        return select(func.count()).select_from(rows).scalar_subquery()

    incidents = (select(func.count()).select_from(Incident)
                 .where(Incident.jurisdiction.in_(jurisdictions), Incident.state == "open").scalar_subquery())
    counts = session.execute(select(capped(parts["overdue"]), capped(parts["warning"]), incidents)).one()

    def listed(kind: str, cond):
        inner = (select(literal(kind).label("kind"), *LIVE_TASK_COLUMNS)
                 .join(Unit, Unit.id == HumanTask.applicant_unit_id)
                 .where(*cond).order_by(HumanTask.due_at, HumanTask.id).limit(limit).subquery())
        return select(inner)

    rows: dict[str, list] = {"overdue": [], "warning": []}
    both = union_all(*(listed(kind, cond) for kind, cond in parts.items())).subquery()
    for row in session.execute(select(both).order_by(both.c.kind, both.c.due_at, both.c.id)):
        rows[row.kind].append(row)
    return {"overdue": (rows["overdue"], min(counts[0], cap), counts[0] > cap),
            "warning": (rows["warning"], min(counts[1], cap), counts[1] > cap), "incidents": counts[2]}


# --- the summary: what the scheduler computes now and then (engine/services/portfolio.py) -----------

def phase_durations(session: Session, jurisdiction: str) -> list[dict]:
    """Per process and phase: how long the instances that went on from it stayed (first task ready →
    last task done), count, mean, median and 90th percentile in seconds."""
    per_instance = (select(HumanTask.process_key.label("process_key"), HumanTask.phase.label("phase"),
                           func.min(HumanTask.created_at).label("entered"),
                           func.max(HumanTask.completed_at).label("left"),
                           func.max(HumanTask.phase_title).label("title"))
                    .where(HumanTask.jurisdiction == jurisdiction, HumanTask.phase.is_not(None))
                    .group_by(HumanTask.instance_id, HumanTask.process_key, HumanTask.phase)
                    # left by going on, not by being ended inside it (its open tasks then cancelled)
                    .having(func.sum(case((HumanTask.state.in_((*OPEN_STATES, "cancelled")), 1), else_=0)) == 0)
                    .subquery())
    keys = [per_instance.c.process_key, per_instance.c.phase]
    stats = grouped_stats(session, keys, seconds_between(session, per_instance.c.entered, per_instance.c.left),
                          [per_instance.c.left.is_not(None)], from_=per_instance,
                          greatest={"title": per_instance.c.title})
    for item in stats:
        item["title"] = item["title"] or item["phase"]
    return stats


def end_to_end(session: Session, jurisdiction: str) -> list[dict]:
    """Per process and status (completed / terminated): start → end of the instances that ended."""
    keys = [ProcessInstance.process_key, ProcessInstance.status]
    return grouped_stats(session, keys, seconds_between(session, ProcessInstance.created_at,
                                                        ProcessInstance.ended_at),
                         [ProcessInstance.jurisdiction == jurisdiction, ProcessInstance.ended_at.is_not(None)])


def clocked_steps(session: Session, jurisdiction: str) -> list[dict]:
    """Per process and task with a clock: completed ones, how long they took and how many in time."""
    keys = [HumanTask.process_key, HumanTask.element_id, HumanTask.phase_title]
    in_time = case((HumanTask.completed_at <= HumanTask.due_at, 1), else_=0)
    return grouped_stats(session, keys, seconds_between(session, HumanTask.created_at, HumanTask.completed_at),
                         [HumanTask.jurisdiction == jurisdiction, HumanTask.state == literal_column("'completed'"),
                          HumanTask.due_at.is_not(None)], extra={"in_time": in_time})


def months(session: Session, jurisdiction: str, since: datetime) -> dict[str, dict[str, int]]:
    """{YYYY-MM: {started, completed, terminated}} from `since` on (Asia/Shanghai months)."""
    result: dict[str, dict[str, int]] = defaultdict(lambda: {"started": 0, "completed": 0, "terminated": 0})
    started = month_of(session, ProcessInstance.created_at)
    for month, count in session.execute(
            select(started, func.count()).where(ProcessInstance.jurisdiction == jurisdiction,
                                                ProcessInstance.created_at >= since,
                                                ProcessInstance.parent_instance_id.is_(None)).group_by(started)):
        result[month]["started"] = count
    ended = month_of(session, ProcessInstance.ended_at)
    for month, status, count in session.execute(
            select(ended, ProcessInstance.status, func.count())
            .where(ProcessInstance.jurisdiction == jurisdiction, ProcessInstance.ended_at >= since,
                   ProcessInstance.parent_instance_id.is_(None))
            .group_by(ended, ProcessInstance.status)):
        if status in ("completed", "terminated"):
            result[month][status] = count
    return dict(result)



# --- the project search (engine/services/search.py) ------------------------------------------------

SORTS = {
    "created": ProcessInstance.created_at,
    "investment": ProcessInstance.investment,
    "name": ProcessInstance.project_name,
    "due": ProcessInstance.earliest_due_at,
    "ended": ProcessInstance.ended_at,
    "id": ProcessInstance.id,
}
NULLABLE_SORTS = ("investment", "due", "ended")    # the rows without a value come last, either way
COUNT_CAP = 1_000     # a search counts its rows up to this many, then says 超过 1000 项


def search_conditions(flt, jurisdictions: list[str], now: datetime, session: Session | None = None) -> list:
    """The WHERE of a search (engine.services.search.SearchFilter). With a session the applicant units
    matching the filter are read first and named by id, so the planner knows how many projects they
    have (a subquery it estimates at one unit's share and may walk the wrong index for)."""
    cond = [ProcessInstance.jurisdiction.in_(jurisdictions)]
    if flt.q:
        text = flt.q.strip()
        name = ProcessInstance.project_name.contains(text, autoescape=True)
        cond.append(name | (ProcessInstance.id == int(text)) if text.isdigit() and len(text) < 12 else name)
    for column, value in ((ProcessInstance.process_key, flt.process), (ProcessInstance.status, flt.status),
                          (ProcessInstance.outcome, flt.outcome), (ProcessInstance.phase, flt.phase)):
        if value:
            cond.append(column == value)
    if flt.applicant_unit:
        units = select(Unit.id).where(Unit.jurisdiction.in_(jurisdictions),
                                      Unit.name.contains(flt.applicant_unit.strip(), autoescape=True))
        cond.append(ProcessInstance.applicant_unit_id.in_(list(session.scalars(units)) if session else units))
    if flt.waiting_at:
        # ix_human_tasks_ready_role: the instances with a ready task of that bureau, from the index alone
        at_bureau = select(HumanTask.instance_id).where(
            HumanTask.state == literal_column("'ready'"), HumanTask.jurisdiction.in_(jurisdictions),
            HumanTask.role_key == flt.waiting_at)
        cond.append(ProcessInstance.id.in_(at_bureau))
    return cond + _ranges(flt, now)


def _ranges(flt, now: datetime) -> list:
    """Amount and start date ranges, and overdue (true: a ready task past due; false: none)."""
    bounds = ((ProcessInstance.investment.__ge__, flt.min_investment),
              (ProcessInstance.investment.__le__, flt.max_investment),
              (ProcessInstance.created_at.__ge__, flt.started_from),
              (ProcessInstance.created_at.__lt__, flt.started_before))
    cond = [compare(value) for compare, value in bounds if value is not None]
    if flt.overdue is True:
        cond += [ProcessInstance.status == "running", ProcessInstance.earliest_due_at < now]
    elif flt.overdue is False:
        cond.append((ProcessInstance.earliest_due_at >= now) | ProcessInstance.earliest_due_at.is_(None)
                    | (ProcessInstance.status != "running"))
    return cond


ROW_COLUMNS = (ProcessInstance.id, ProcessInstance.jurisdiction, ProcessInstance.process_key,
               ProcessInstance.project_name, ProcessInstance.investment, ProcessInstance.status,
               ProcessInstance.outcome, ProcessInstance.phase, ProcessInstance.phase_title, ProcessInstance.open_tasks,
               ProcessInstance.earliest_due_at, ProcessInstance.created_at, ProcessInstance.ended_at,
               ProcessInstance.parent_instance_id)


def _rows(session: Session, cond: list, order: list, offset: int, limit: int, extra: tuple = ()) -> list:
    """A page of search rows (the columns a row shows, the applicant unit's name, and `extra`), no ORM
    objects."""
    if limit <= 0:
        return []
    return list(session.execute(
        select(*ROW_COLUMNS, Unit.name.label("unit_name"), *extra)
        .join(Unit, Unit.id == ProcessInstance.applicant_unit_id)
        .where(*cond).order_by(*order).offset(offset).limit(limit)))


def _page(session: Session, cond: list, sort: str, descending: bool, offset: int, limit: int,
          extra: tuple = ()) -> list:
    """The rows of a page in the sort's order, the instance id breaking ties, each part an ordered range
    of an index (jurisdiction, the sort's column). A column that may be empty (amount, due date, end)
    is read in two parts — the rows with a value in order, then those without by id — because an index
    serves `DESC NULLS LAST` in neither database (and SQLite puts NULLs first when ascending). The
    `extra` columns come with the first part's rows."""
    column = SORTS[sort]
    way = (lambda c: c.desc()) if descending else (lambda c: c.asc())
    tie = [] if sort == "id" else [way(ProcessInstance.id)]
    if sort not in NULLABLE_SORTS:
        return _rows(session, cond, [way(column), *tie], offset, limit, extra)
    present = [*cond, column.is_not(None)]
    rows = _rows(session, present, [way(column), *tie], offset, limit, extra)
    if len(rows) == limit:
        return rows
    # the page reaches past the rows with a value: how many came before those without
    before = offset + len(rows) if rows else session.scalar(
        select(func.count()).select_from(ProcessInstance).where(*present))
    return rows + _rows(session, [*cond, column.is_(None)], tie, max(0, offset - before), limit - len(rows),
                        extra if not rows else ())


def search(session: Session, flt, jurisdictions: list[str], now: datetime, *, offset: int, limit: int,
           count: bool = True) -> tuple[list, int | None, bool]:
    """(the rows of a page: columns of ROW_COLUMNS and unit_name; the total, counted up to COUNT_CAP;
    whether more than that match). The count rides on the page's statement (a scalar subquery the
    database evaluates once); only a page past the end counts alone."""
    cond = search_conditions(flt, jurisdictions, now, session)
    counted = select(literal_column("1")).select_from(ProcessInstance).where(*cond).limit(COUNT_CAP + 1).subquery()
    total_column = select(func.count()).select_from(counted).scalar_subquery().label("capped_total")
    rows = _page(session, cond, flt.sort, flt.descending, offset, limit, (total_column,) if count else ())
    if not count:
        return rows, None, False
    counted_total = rows[0].capped_total if rows else session.scalar(select(total_column))
    return rows, min(counted_total, COUNT_CAP), counted_total > COUNT_CAP
