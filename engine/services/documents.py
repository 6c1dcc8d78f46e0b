"""Official documents a procedure issues (受理通知书, 不予受理通知书, 补正（退回修改）通知, 联合审查意见汇总,
批复): which step issues which is the jurisdiction's configuration (processes/<key>/documents.json, read
by engine.registry), and a document goes through three moments:

1. `issue` — inside the step's transaction, from what the step already holds in memory (the task it
   completed, its answers, the instance's other open tasks, the tasks it made ready, the outcome): a
   matching rule adds one `documents` row, which goes out in the step's one flush. A step that
   issues nothing sends no statement more.
2. `number_pending` — right after the step's commit, in a transaction of its own: the next number of
   the jurisdiction's year is taken by one upsert of `document_counters` (two documents at once get
   two consecutive numbers: the second upsert waits for the first's row lock) and what the document
   says is frozen into its `snapshot`, then audited (`document_issued`). The scheduler's tick numbers
   any a crash left unnumbered.
3. `pdf_for` — the PDF is made from the snapshot when first asked for (engine/services/document_pdf.py)
   and kept; the same snapshot always gives the same bytes.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, undefer

from engine import clock, policy, queries
from engine.clocks import local_iso
from engine.db import dialect_insert
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.models import Document, DocumentCounter, HumanTask, ProcessInstance, User
from engine.registry import DOCUMENT_KINDS, DocumentRule, Jurisdiction
from engine.services import document_pdf
from engine.services.audit import append as audit
from engine.services.context import Context

PROJECT_TYPES = {"construction": "建设类", "operation": "运维类", "service": "购买服务类", "equipment": "设备采购类"}
_SKIPPED_FIELDS = {"decision", "comment", "override_reason"}
RENDER_BATCH = 5        # PDFs a scheduler run makes ahead of their first download (about 4 s each)


# --- 1. in the step ---------------------------------------------------------------------------------

def _matches(rule: DocumentRule, element_id: str, answers: dict, open_rows, created, inst: ProcessInstance,
             now: datetime) -> bool:
    if element_id not in rule.elements:
        return False
    if rule.decisions and answers.get("decision") not in rule.decisions:
        return False
    if rule.reached and not any(r.element_id == rule.reached for r in created):
        return False
    if rule.outcome and not (inst.outcome == rule.outcome and inst.ended_at == now):
        return False
    # the joint review has answered: no task of the round is still open (the step's own rows excepted)
    return not (rule.round_complete and any(r.element_id in rule.elements and r.state in ("ready", "suspended")
                                            for r in open_rows))


def issue(ctx: Context, session: Session, inst: ProcessInstance, row: HumanTask, answers: dict, open_rows,
          created, now: datetime) -> list[Document]:
    """Add the documents a completion issues (no statement of its own: the rows join the step's
    flush). `open_rows`: the instance's other open task rows as the step read them; `created`: the
    task rows the step made ready."""
    return _issue(ctx, session, inst, row.element_id, row.id, answers, open_rows, created, now)


def issue_on_timers(ctx: Context, session: Session, inst: ProcessInstance, elements, created,
                    now: datetime) -> list[Document]:
    """The documents a timer's firing issues (叶集 第七条: the review window opens, the declaration is
    taken into the joint review — 受理)."""
    issued = []
    for element_id in elements:
        issued += _issue(ctx, session, inst, element_id, None, {}, (), created, now)
    return issued


def _issue(ctx: Context, session: Session, inst: ProcessInstance, element_id: str, task_id: int | None,
           answers: dict, open_rows, created, now: datetime) -> list[Document]:
    config = ctx.registry.get(inst.jurisdiction).documents
    if config is None:
        return []
    issued = []
    for index, rule in enumerate(config.rules):
        if _matches(rule, element_id, answers, open_rows, created, inst, now):
            doc = Document(instance_id=inst.id, human_task_id=task_id, element_id=element_id,
                           jurisdiction=inst.jurisdiction, kind=rule.kind, title=rule.label, rule=index,
                           series=rule.number_prefix or config.number_prefix, issued_at=now,
                           year=now.astimezone(clock.SHANGHAI).year)
            session.add(doc)
            issued.append(doc)
    return issued


# --- 2. numbering and the snapshot -----------------------------------------------------------------

def next_number(session: Session, jurisdiction: str, series: str, year: int) -> int:
    """The next number of the series in the jurisdiction's year, in one statement: INSERT … ON CONFLICT DO UPDATE
    … RETURNING. Concurrent callers serialize on the counter's row; a rolled-back caller gives its
    number back (no gap)."""
    table = DocumentCounter.__table__
    stmt = dialect_insert(session, table).values(jurisdiction=jurisdiction, series=series, year=year, last_number=1)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.jurisdiction, table.c.series, table.c.year],
                                      set_={"last_number": table.c.last_number + 1}).returning(table.c.last_number)
    return session.execute(stmt).scalar_one()


def format_number(prefix: str, year: int, sequence: int) -> str:
    """叶数管〔2026〕12号 (GB/T 9704: the year in 六角括号, the number without leading zeros)."""
    return f"{prefix}〔{year}〕{sequence}号"


def number_pending(ctx: Context, instance_id: int | None = None, now: datetime | None = None) -> int:
    """Number and freeze the documents still without a number (of one instance, or all): each in the
    order it was issued. Answers how many."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        query = select(Document).where(Document.number.is_(None)).order_by(Document.id)
        if instance_id is not None:
            query = query.where(Document.instance_id == instance_id)
        docs = list(session.scalars(query.with_for_update(skip_locked=True)))
        for doc in docs:
            _number(ctx, session, doc)
        return len(docs)


def _number(ctx: Context, session: Session, doc: Document) -> None:
    jurisdiction = ctx.registry.get(doc.jurisdiction)
    doc.sequence = next_number(session, doc.jurisdiction, doc.series, doc.year)
    doc.number = format_number(doc.series, doc.year, doc.sequence)
    doc.snapshot = snapshot_of(ctx, session, jurisdiction, doc)
    audit(session, "document_issued", instance_id=doc.instance_id, element_id=doc.element_id,
          human_task_id=doc.human_task_id,
          data={"title": f"印发{doc.title}", "document_id": doc.id, "kind": doc.kind, "number": doc.number},
          at=doc.issued_at)


def _local_day(value: datetime | None) -> str | None:
    if value is None:
        return None
    local = value.astimezone(clock.SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def _field_labels(forms, form: str | None) -> dict:
    if not form or not forms.exists(form):
        return {}
    return forms.load(form)[0].get("properties", {})


def _choice(prop: dict, value) -> str:
    names = dict(zip(prop.get("enum", []), prop.get("x-enumNames", []), strict=False))
    return str(names.get(value, value))


def _particulars(props: dict, answers: dict, omit=()) -> list[dict]:
    """What the deciding task recorded beyond its decision (批复投资, 批复文号 …): text, number and
    choice fields of its form, in the form's order (attestation ticks and attachments left out)."""
    found = []
    for key, prop in props.items():
        value = answers.get(key)
        if key in _SKIPPED_FIELDS or key in omit or prop.get("x-widget") == "attachment" or value in (None, "", []):
            continue
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            continue
        found.append({"label": prop.get("title") or key, "value": _choice(prop, value)})
    return found


def _opinion(row: HumanTask, props: dict) -> dict:
    answers = row.data or {}
    decision = answers.get("decision")
    by = row.completed_by
    return {"element": row.element_id, "title": row.title,
            "unit": by.unit.name if by else "", "decision": decision,
            "decision_label": _choice(props.get("decision", {}), decision) if decision else "",
            "comment": answers.get("comment") or "", "completed_on": _local_day(row.completed_at)}


def _opinions(session: Session, forms, doc: Document, rule: DocumentRule) -> list[dict]:
    """The newest completed task of each opinion element up to the document's step (the round it closes)."""
    elements = list(rule.opinions or rule.elements)
    rows = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == doc.instance_id, HumanTask.element_id.in_(elements),
        HumanTask.state == "completed", HumanTask.completed_at <= doc.issued_at).order_by(HumanTask.id))
    newest = {row.element_id: row for row in rows}
    found = [_opinion(newest[e], _field_labels(forms, newest[e].form)) for e in elements if e in newest]
    if rule.kind == "correction":   # 补正通知: the opinions that asked for changes (all, should none say so)
        asking = [o for o in found if o["decision"] not in (None, "approve")]
        found = asking or found
    return found


def snapshot_of(ctx: Context, session: Session, jurisdiction: Jurisdiction, doc: Document) -> dict:
    """Everything the document says, frozen when it is numbered (the PDF is made from this alone)."""
    config = jurisdiction.documents
    rule = config.rules[doc.rule]
    inst = session.get(ProcessInstance, doc.instance_id)
    task = session.get(HumanTask, doc.human_task_id) if doc.human_task_id else None
    forms = ctx.forms_for(session, inst.process_version_id)
    facts = inst.facts or {}
    decided = _opinion(task, _field_labels(forms, task.form)) if task else None
    return {
        "kind": doc.kind, "kind_label": DOCUMENT_KINDS[doc.kind], "title": doc.title, "number": doc.number,
        "issuer": rule.issuer or config.issuer, "jurisdiction": jurisdiction.key,
        "jurisdiction_name": jurisdiction.name, "regulation": jurisdiction.document,
        "issued_on": _local_day(doc.issued_at), "issued_at": doc.issued_at.isoformat(),
        "element": doc.element_id,
        "articles": [{"article": a["article"], "text": a["text"]} for a in jurisdiction.legal_basis(rule.article)],
        "project": {"id": inst.id, "name": inst.project_name, "applicant_unit": inst.applicant_unit.name,
                    "type": PROJECT_TYPES.get(facts.get("project_type"), facts.get("project_type") or ""),
                    "total_investment": _wan(facts.get("total_investment")), "plan_year": facts.get("plan_year")},
        "decision": decided,
        "particulars": _particulars(_field_labels(forms, task.form), task.data or {}, rule.omit) if task else [],
        "opinions": _opinions(session, forms, doc, rule) if doc.kind in ("correction", "joint_opinions") else [],
    }


def _wan(value) -> str:
    """Money as the applicant entered it, in 万元 (380 → 380, 12.5 → 12.5)."""
    if value is None:
        return ""
    text = f"{value:f}" if not isinstance(value, str) else value
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- 3. reading ------------------------------------------------------------------------------------

def listing(session: Session, instance_id: int) -> list[dict]:
    """The documents of a project, oldest first (the instance detail's `documents`)."""
    rows = session.execute(select(Document.id, Document.kind, Document.title, Document.number, Document.issued_at)
                           .where(Document.instance_id == instance_id).order_by(Document.id))
    return [{"id": i, "kind": kind, "title": title, "number": number, "created_at": local_iso(at)}
            for i, kind, title, number, at in rows]


def _may_view(ctx: Context, session: Session, user: User, inst: ProcessInstance) -> bool:
    unit_roles = ctx.registry.get(inst.jurisdiction).unit_roles
    return policy.can_view_instance(user, inst.jurisdiction, inst.applicant_unit_id,
                                    queries.user_involved(session, user, unit_roles, inst.id), inst.started_by_id)


def pdf_for(ctx: Context, user_id: int, document_id: int) -> tuple[dict, bytes]:
    """({id, title, number, filename, sha256}, the PDF) for a user who may see the document's project
    (404 unknown or of another jurisdiction, 403 otherwise). Made from the snapshot on first request
    and kept; a document not yet numbered (a crash between the step and its numbering) is numbered first."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        doc = session.get(Document, document_id)
        if doc is None or user is None or not policy.reads_jurisdiction(user, doc.jurisdiction):
            raise NotFound(f"公文不存在：{document_id}")
        inst = session.get(ProcessInstance, doc.instance_id)
        if not _may_view(ctx, session, user, inst):
            raise PermissionDenied("您无权查看该公文：仅项目申报单位、参与办理的部门和管理者可以查看")
        pending = doc.number is None
    if pending:
        number_pending(ctx, doc.instance_id)
    with ctx.db.transaction() as session:
        doc = session.scalars(select(Document).where(Document.id == document_id)
                              .options(undefer(Document.pdf), undefer(Document.snapshot))).one()
        if doc.snapshot is None:    # being numbered by another transaction this very moment
            raise Conflict(f"公文“{doc.title}”正在编号，请稍后再试")
        info = {"id": doc.id, "title": doc.title, "number": doc.number, "sha256": doc.pdf_sha256,
                "filename": f"{doc.number}{doc.title}.pdf"}
        content, snapshot, jurisdiction = doc.pdf, doc.snapshot, doc.jurisdiction
    if content is None:
        content, info["sha256"] = _render_and_keep(ctx, document_id, jurisdiction, snapshot)
    return info, content


def _render_and_keep(ctx: Context, document_id: int, jurisdiction: str, snapshot: dict) -> tuple[bytes, str]:
    """The PDF made outside any transaction (no lock held while WeasyPrint lays it out), then kept; two
    makers at once make the same bytes, and the first to store them wins."""
    content = document_pdf.render(ctx.registry.processes_dir, ctx.registry.get(jurisdiction), snapshot, document_id)
    digest = hashlib.sha256(content).hexdigest()
    with ctx.db.transaction() as session:
        session.execute(update(Document).where(Document.id == document_id, Document.pdf.is_(None))
                        .values(pdf=content, pdf_sha256=digest))
    return content, digest


def render_pending(ctx: Context, limit: int = RENDER_BATCH) -> int:
    """The scheduler's part: make the PDFs of up to `limit` numbered documents nobody has downloaded
    yet, oldest first, so that the first download is served from the database rather than waiting
    seconds for the layout. Answers how many were made."""
    with ctx.db.transaction() as session:
        pending = list(session.execute(
            select(Document.id, Document.jurisdiction, Document.snapshot)
            .where(Document.pdf.is_(None), Document.snapshot.is_not(None)).order_by(Document.id).limit(limit)))
    for document_id, jurisdiction, snapshot in pending:
        _render_and_keep(ctx, document_id, jurisdiction, snapshot)
    return len(pending)
