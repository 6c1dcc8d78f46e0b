"""The project search of managers and province-wide viewers (`/manage/search`,
`GET /api/v1/manage/instances`): by name or number, procedure, applicant unit, phase, status,
outcome, amount range, started between, overdue, waiting at a bureau; sortable and paginated, and
the same search whole for an export (web/exports.py). Reads the instance summary columns
(engine/portfolio_queries.py), never a workflow."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from engine import clock
from engine import portfolio_queries as pq
from engine.clocks import local_iso
from engine.services.context import Context
from engine.services.portfolio import STATUS_LABELS, scope_of

EXPORT_LIMIT = 50_000     # rows of one export file


@dataclass
class SearchFilter:
    q: str | None = None
    process: str | None = None
    status: str | None = None
    outcome: str | None = None
    phase: str | None = None
    applicant_unit: str | None = None
    min_investment: Decimal | None = None
    max_investment: Decimal | None = None
    started_from: datetime | None = None       # inclusive
    started_before: datetime | None = None     # exclusive (the day after "started until")
    overdue: bool | None = None
    waiting_at: str | None = None              # a role key: a ready task of that bureau
    jurisdiction: str | None = None            # for those who see every jurisdiction
    sort: str = "created"
    descending: bool = True
    page: int = 1
    per_page: int = 20


def search(ctx: Context, user_id: int, flt: SearchFilter, now: datetime | None = None) -> tuple[list[dict], int, bool]:
    """(a page of projects, the total counted up to pq.COUNT_CAP, whether more than that match)."""
    now = now or clock.now()
    per_page = max(1, min(flt.per_page, 200))
    with ctx.db.transaction() as session:
        _user, keys = scope_of(ctx, session, user_id, flt.jurisdiction)
        pq.custom_plans(session)
        rows, total, more = pq.search(session, flt, keys, now, offset=(max(1, flt.page) - 1) * per_page,
                                      limit=per_page)
        return [project_row(ctx, row, now) for row in rows], total, more


def export_rows(ctx: Context, user_id: int, flt: SearchFilter, now: datetime | None = None) -> list[dict]:
    """The whole search (up to EXPORT_LIMIT rows), in its order."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        _user, keys = scope_of(ctx, session, user_id, flt.jurisdiction)
        pq.custom_plans(session)
        rows, _, _ = pq.search(session, flt, keys, now, offset=0, limit=EXPORT_LIMIT, count=False)
        return [project_row(ctx, row, now) for row in rows]


def project_row(ctx: Context, inst, now: datetime) -> dict:
    """One found project (`inst`: a row of pq.ROW_COLUMNS and unit_name)."""
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    process = jurisdiction.processes.get(inst.process_key)
    overdue = inst.status == "running" and inst.earliest_due_at is not None and inst.earliest_due_at < now
    return {
        "id": inst.id, "jurisdiction": inst.jurisdiction, "jurisdiction_name": jurisdiction.name,
        "process": inst.process_key, "process_name": process.name if process else inst.process_key,
        "project_name": inst.project_name, "applicant_unit": inst.unit_name,
        "investment": str(inst.investment) if inst.investment is not None else None,
        "status": inst.status, "status_label": STATUS_LABELS.get(inst.status, inst.status),
        "outcome": inst.outcome, "outcome_label": jurisdiction.outcome_label(inst.outcome),
        "phase": inst.phase, "phase_title": inst.phase_title, "open_tasks": inst.open_tasks,
        "earliest_due_at": local_iso(inst.earliest_due_at), "overdue": overdue,
        "created_at": local_iso(inst.created_at), "ended_at": local_iso(inst.ended_at),
        "parent_instance_id": inst.parent_instance_id,
    }
