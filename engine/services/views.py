"""Read services: the inbox, a task with its form and legal basis, an instance with its history.
They answer plain dicts (JSON-safe), the shape CONTRACT.md documents."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import clock, policy, queries
from engine.clocks import local_iso
from engine.errors import GovflowError, NotFound, PermissionDenied
from engine.jsonable import jsonable
from engine.models import HumanTask, ProcessInstance, User
from engine.services import choices, confirmed_facts, documents, field_checks, holding, opinions, orders
from engine.services.context import Context


def holders(row: HumanTask) -> dict:
    """Who holds the task (签收) and who it is delegated to while a delegation is open (委托), by
    username and name; `delegation`: `out` (with the delegate), `back` (submitted back for 确认) or None.
    The rows are read with queries.with_holders."""
    delegate = row.delegate if row.delegation else None
    return {"assignee": row.assignee.username if row.assignee else None,
            "assignee_name": row.assignee.display_name if row.assignee else None,
            "claimed_at": local_iso(row.claimed_at) if row.assignee_id else None,
            "delegated_to": delegate.username if delegate else None,
            "delegated_to_name": delegate.display_name if delegate else None,
            "delegation": row.delegation if delegate else None,
            "has_draft": row.draft is not None}


def task_summary(row: HumanTask, now: datetime, with_holders: bool = True) -> dict:
    """A task as lists show it; `with_holders` False where the holders were not read with the row (the
    answer of a completion, which reads no user)."""
    return ({**_summary(row, now), **holders(row)} if with_holders else _summary(row, now))


def _summary(row: HumanTask, now: datetime) -> dict:
    return {
        "id": row.id, "instance_id": row.instance_id, "name": row.element_id, "title": row.title,
        "role": row.role_key, "lane": row.lane, "process": row.process_key,
        "jurisdiction": row.jurisdiction, "project_name": row.project_name, "state": row.state,
        "created_at": local_iso(row.created_at), "due_at": local_iso(row.due_at),
        "due_provisional": bool(row.due_provisional) if row.due_at else False,
        "overdue": bool(row.due_at and row.state == "ready" and row.due_at < now),
        "completed_at": local_iso(row.completed_at),
        "completed_by": row.completed_by.display_name if row.completed_by else None,
    }


def inbox(ctx: Context, user_id: int, flt: queries.InboxFilter, now: datetime | None = None):
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        rows, total = queries.inbox(session, user, ctx.registry.get(user.jurisdiction).unit_roles, flt, now)
        return [task_summary(r, now) for r in rows], total


def completed(ctx: Context, user_id: int, page: int = 1, per_page: int = 20):
    now = clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        rows, total = queries.completed_by(session, user, page, per_page)
        jurisdiction = ctx.registry.get(user.jurisdiction)
        return [completed_summary(jurisdiction, row, status, outcome,
                                  _decision_label(ctx, session, version_id, row), now)
                for row, status, outcome, version_id in rows], total


DECISION_WORDS = {"approve": "通过", "return": "退回修改", "reject": "不通过"}


def _decision_label(ctx: Context, session, version_id: int, row: HumanTask) -> str | None:
    """What the task's form calls the decision taken (予以受理, 验收通过 …; the form as deployed with the
    project's version, cached), else the usual words; None for a task without a decision."""
    decision = (row.data or {}).get("decision")
    if not isinstance(decision, str):
        return None
    try:
        prop = ctx.forms_for(session, version_id).load(row.form)[0]["properties"]["decision"] if row.form else {}
    except (GovflowError, KeyError, TypeError):   # a form since removed or changed: the usual words
        prop = {}
    choices = dict(zip(prop.get("enum") or (), prop.get("x-enumNames") or (), strict=False))
    return choices.get(decision) or DECISION_WORDS.get(decision) or decision


def completed_summary(jurisdiction, row: HumanTask, status: str, outcome: str | None, decision_label: str | None,
                      now: datetime) -> dict:
    """A completed task with what its holder decided (通过 / 退回修改 / 不通过 …, None: only submitted) and
    where its project stands now."""
    decision = (row.data or {}).get("decision")
    return {**task_summary(row, now), "decision": decision if isinstance(decision, str) else None,
            "decision_label": decision_label, "project_status": status, "project_outcome": outcome,
            "project_outcome_label": jurisdiction.outcome_label(outcome)}


def _returns(history, user_id: int | None = None) -> list[dict]:
    """Comments of whoever returned or rejected material on this instance, newest first; `mine`: the
    reader's own (a reviewer seeing the objection they made in the round before)."""
    result = []
    for ev in history:
        answers = (ev.data or {}).get("answers") or {}
        if ev.event == "task_completed" and answers.get("decision") in ("return", "reject"):
            result.append({"by": ev.actor.display_name if ev.actor else None,
                           "mine": user_id is not None and ev.actor_id == user_id,
                           "unit": ev.actor.unit.name if ev.actor else None, "step": ev.data.get("title"),
                           "decision": answers["decision"], "comment": answers.get("comment"),
                           "at": local_iso(ev.at)})
    return list(reversed(result))


def task_detail(ctx: Context, user_id: int, task_id: int, now: datetime | None = None) -> dict:
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        row = session.scalar(queries.with_holders(select(HumanTask)).where(HumanTask.id == task_id))
        if row is None or not policy.in_jurisdiction(user, row.jurisdiction):
            raise NotFound(f"任务不存在：{task_id}")
        jurisdiction = ctx.registry.get(row.jurisdiction)
        mine = policy.can_act_on(user, jurisdiction, row.role_key, row.role_unit_id)
        inst = session.get(ProcessInstance, row.instance_id)
        if not mine and row.completed_by_id != user.id and row.delegate_id != user.id \
                and not policy.can_manage(user, row.jurisdiction):
            raise PermissionDenied("该任务不属于您的角色或单位")
        schema, ui_schema = ctx.forms_for(session, inst.process_version_id).load(row.form) if row.form else ({}, {})
        schema = choices.expand(ctx, session, inst, schema)     # `x-choices`: the project's records to pick from
        history = queries.history_of(session, inst.id)
        result = task_summary(row, now)
        ready = row.state == "ready"
        result.update({
            "form": {"name": row.form, "schema": schema, "ui_schema": ui_schema},
            "legal_basis": jurisdiction.legal_basis(row.legal_basis),
            "facts": inst.facts, "applicant_unit": inst.applicant_unit.name,
            "can_complete": mine and ready and holding.completion_refusal(row, user) is None,
            "refusal": holding.completion_refusal(row, user) if mine and ready else None,
            "actions": _actions(user, row, mine) if ready else [],
            "suspension_notice": orders.refusal(ctx, session, row) if row.state == "suspended" else None,
            "data": row.data, "returns": _returns(history, user.id),
            "draft": row.draft if ready and (mine or holding.is_delegate(row, user)) else None,
            "draft_saved_at": local_iso(row.draft_saved_at) if ready else None,
            "earlier_steps": [_history_item(ev) for ev in history if ev.event == "task_completed"],
            "opinions": opinions.opinions_for(ctx, session, inst, row, now),
            "confirms": confirmed_facts.to_confirm(ctx, session, inst, row.element_id),
            "records": field_checks.records_view(ctx, session, inst, ctx.loaded_version(
                session, inst.process_version_id).element(row.element_id)),
            "comments": [comment_view(c) for c in queries.comments_of(session, inst.id, row.id)],
        })
        return result


def _actions(user, row: HumanTask, mine: bool) -> list[str]:
    """What the caller may do with the ready task now: claim, unclaim, assign, delegate, recall,
    save_draft, submit (the delegate hands back), confirm (the holder, after the delegate), complete."""
    mine_now = row.assignee_id == user.id
    actions = []
    if holding.is_delegate(row, user):
        return ["save_draft", "submit"]
    if mine and row.assignee_id is None:
        actions += ["claim", "assign", "delegate", "save_draft", "complete"]
    elif mine and mine_now and row.delegation == holding.OUT:
        actions += ["recall"]
    elif mine and mine_now:
        actions += ["unclaim", "assign", "delegate", "save_draft"]
        actions += ["confirm", "complete"] if row.delegation == holding.BACK else ["complete"]
    if row.assignee_id is not None and not mine_now and policy.can_manage(user, row.jurisdiction):
        actions += ["unclaim", "assign"]
    return actions


def comment_view(c) -> dict:
    return {"id": c.id, "instance_id": c.instance_id, "task_id": c.human_task_id, "text": c.text,
            "author": c.author.username, "author_name": c.author.display_name, "author_unit": c.author.unit.name,
            "created_at": local_iso(c.created_at),
            "attachment": {"id": c.attachment.id, "name": c.attachment.filename, "size": c.attachment.size}
            if c.attachment else None}


def _history_item(ev) -> dict:
    data = ev.data or {}
    return {"event": ev.event, "at": local_iso(ev.at), "element": ev.element_id,
            "title": data.get("title") or data.get("outcome_label") or ev.element_id,
            "by": ev.actor.display_name if ev.actor else None,
            "unit": ev.actor.unit.name if ev.actor else None,
            "role": data.get("role") if ev.event == "task_completed" else None,
            "decision": (data.get("answers") or {}).get("decision"),
            "comment": (data.get("answers") or {}).get("comment"),
            "data": data.get("answers") if ev.event == "task_completed" else data,
            "passed": data.get("passed") or []}


def instance_detail(ctx: Context, user_id: int, instance_id: int, now: datetime | None = None) -> dict:
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or not policy.reads_jurisdiction(user, inst.jurisdiction):
            raise NotFound(f"项目不存在：{instance_id}")
        jurisdiction = ctx.registry.get(inst.jurisdiction)
        involved = queries.user_involved(session, user, jurisdiction.unit_roles, inst.id)
        if not policy.can_view_instance(user, inst.jurisdiction, inst.applicant_unit_id, involved,
                                        inst.started_by_id):
            raise PermissionDenied("您无权查看该项目")
        return instance_view(ctx, session, inst, now)


def instance_view(ctx: Context, session, inst: ProcessInstance, now: datetime) -> dict:
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    tasks = queries.tasks_of(session, inst.id)
    return {
        "id": inst.id, "process": inst.process_key, "version": inst.version.version,
        "jurisdiction": inst.jurisdiction, "jurisdiction_name": jurisdiction.name,
        "project_name": inst.project_name, "applicant_unit": inst.applicant_unit.name,
        "status": inst.status, "outcome": inst.outcome,
        "outcome_label": jurisdiction.outcome_label(inst.outcome), "outcome_reason": inst.outcome_reason,
        "data": jsonable(inst.facts), "created_at": local_iso(inst.created_at), "ended_at": local_iso(inst.ended_at),
        "parent_instance_id": inst.parent_instance_id, "standing": inst.standing,
        "children": [{"id": c.id, "process": c.process_key, "name": jurisdiction.processes[c.process_key].name
                      if c.process_key in jurisdiction.processes else c.process_key, "status": c.status,
                      "outcome": c.outcome, "outcome_label": jurisdiction.outcome_label(c.outcome),
                      "created_at": local_iso(c.created_at)} for c in queries.children_of(session, inst.id)],
        "active_tasks": [task_summary(t, now) for t in tasks if t.state == "ready"],
        **suspension_view(ctx, session, inst, tasks, now),
        "completed_elements": sorted({t.element_id for t in tasks if t.state == "completed"}),
        "waiting": [_waiting(t) for t in queries.pending_timers_of(session, inst.id)],
        "history": [_history_item(ev) for ev in queries.history_of(session, inst.id)],
        "comments": [comment_view(c) for c in queries.comments_of(session, inst.id)],
        "overrides": opinions.overrides_of(session, inst.id),
        "documents": documents.listing(session, inst.id),
        "facts": confirmed_facts.facts_view(ctx, session, inst, queries.history_of(session, inst.id)),
    }


def instance_state(ctx: Context, inst: ProcessInstance, synced, now: datetime) -> dict:
    """The instance after a step, from what the step itself wrote (engine.services.projection.Synced):
    what a client needs next — status, outcome, the tasks now open, the timers waiting — with the full
    detail one GET /instances/{id} away."""
    jurisdiction = ctx.registry.get(inst.jurisdiction)
    return {
        "id": inst.id, "process": inst.process_key, "status": inst.status, "outcome": inst.outcome,
        "outcome_label": jurisdiction.outcome_label(inst.outcome), "outcome_reason": inst.outcome_reason,
        "active_tasks": [task_summary(t, now, with_holders=False)
                         for t in sorted(synced.ready, key=lambda t: (t.created_at, t.title)) if t.state == "ready"],
        "waiting": [_waiting(t) for t in synced.waiting],
    }


def _waiting(timer) -> dict:
    return {"name": timer.element_id, "title": timer.title, "fires_at": local_iso(timer.run_at),
            "state": timer.state, "last_error": timer.last_error}


def suspension_view(ctx: Context, session, inst: ProcessInstance, tasks: list[HumanTask], now: datetime) -> dict:
    """A project held by an order (engine/services/orders.py): `suspension` {state, order, reason, since,
    by, by_unit, by_instance_id, by_process, by_process_name} or None; `holds`, the orders holding some of
    its steps ({state "held", steps, step_titles, order, reason, since, by …}, 宿迁 第三十六条 暂缓拨付); and
    the tasks they hold (`suspended_tasks`: of the suspension and of the holds)."""
    return {"suspension": orders.suspension_of(ctx, session, inst), "holds": orders.holds_of(ctx, session, inst),
            "suspended_tasks": [task_summary(t, now) for t in tasks if t.state == "suspended"]}


def dashboard(ctx: Context, user_id: int, *, process: str | None = None, overdue_only: bool = False,
              page: int = 1, per_page: int = 30, now: datetime | None = None) -> dict:
    """The managers' overview of their jurisdiction: how many projects run, end or stall, and for each
    running one where it waits (the steps open, with whom, by when) — overdue ones first."""
    now = now or clock.now()
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        if not policy.is_manager(user):
            raise PermissionDenied("只有管理者可以查看全辖区项目监控")
        jurisdiction = ctx.registry.get(user.jurisdiction)
        rows, total = queries.running_overview(session, user.jurisdiction, now, process=process,
                                               overdue_only=overdue_only, limit=per_page,
                                               offset=(max(1, page) - 1) * per_page)
        ids = [inst.id for inst, *_ in rows]
        tasks = queries.ready_tasks_for(session, ids)   # of this page's projects only
        timers = queries.pending_timers_for(session, ids)
        return {
            "jurisdiction": jurisdiction.name, "counts": queries.status_counts(session, user.jurisdiction),
            "overdue_tasks": queries.overdue_count(session, user.jurisdiction, now), "total": total,
            "projects": [{
                "id": inst.id, "project_name": inst.project_name, "process": inst.process_key,
                "process_name": jurisdiction.processes[inst.process_key].name
                if inst.process_key in jurisdiction.processes else inst.process_key,
                "applicant_unit": inst.applicant_unit.name, "created_at": local_iso(inst.created_at),
                "open_tasks": [task_summary(t, now, with_holders=False) for t in tasks[inst.id]],
                "waiting": [_waiting(t) for t in timers[inst.id]],
                "earliest_due": local_iso(earliest),
                "overdue": sum(1 for t in tasks[inst.id] if t.due_at is not None and t.due_at < now),
                "suspension": orders.suspension_of(ctx, session, inst),
                "holds": orders.holds_of(ctx, session, inst),
            } for inst, _open, earliest in rows],
        }
