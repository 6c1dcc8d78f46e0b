"""Binding opinions: the step that consolidates a joint review (并联审批汇总、专家意见 → 结论) reads the
opinions it consolidates and may not turn a negative one into a positive outcome.

A consolidating user task says so in its spiffworkflow properties (docs/modelling.md, *Binding
opinions*):

    consolidates       ExpertOpinion,NdrcOpinion,FinanceOpinion   the opinion tasks (user task ids)
    binding            ExpertOpinion        the outcome can be positive only when each of these has given a
                                            positive opinion (a negative one, or none at all, binds)
    overridable        NdrcOpinion,FinanceOpinion   a negative opinion of these may be overruled, with a
                                            stated reason (the form's `override_reason`), recorded as
                                            an `opinion_overridden` audit row (who, why, what was overruled)
    positiveDecisions  approve              the values of this task's decision that are a positive outcome
                                            (default approve)
    decisionField      decision             the field of this task's form holding that outcome (default decision)

An opinion is the newest task row of that element created before the consolidating task (the
current round); it is positive when its `decision` is `approve` or one of the positive values, and
negative when it was given otherwise. `check_completion` is
called by runtime.complete_task before the task is claimed; `opinions_for` gives the task page and
`GET /tasks/{id}` every opinion side by side; `overrides_of` / `overrides` list the recorded overrides."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock, policy
from engine.clocks import local_iso
from engine.errors import PermissionDenied, ValidationFailed
from engine.models import AuditEvent, HumanTask, ProcessInstance, User
from engine.services import audit as audit_chain
from engine.services.context import Context

EVENT = "opinion_overridden"
REASON_FIELD = "override_reason"
EFFECT_LABELS = {"binding": "具有约束力", "overridable": "可说明理由后不采纳", "advisory": "参考意见"}


def _names(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Rule:
    """The consolidation rule of one user task (from its properties)."""

    def __init__(self, properties: dict):
        self.consolidates = _names(properties.get("consolidates"))
        self.binding = set(_names(properties.get("binding")))
        self.overridable = set(_names(properties.get("overridable")))
        self.positive = set(_names(properties.get("positiveDecisions"))) or {"approve"}
        self.field = (properties.get("decisionField") or "decision").strip()
        self.agreeing = self.positive | {"approve"}     # what an opinion says to agree

    def __bool__(self) -> bool:
        return bool(self.consolidates)

    def effect(self, element_id: str) -> str:
        if element_id in self.binding:
            return "binding"
        return "overridable" if element_id in self.overridable else "advisory"


def rule_of(ctx: Context, session: Session, inst: ProcessInstance, element_id: str) -> Rule:
    info = ctx.loaded_version(session, inst.process_version_id).element(element_id)
    return Rule(info.properties if info else {})


def _decision_label(forms, form: str | None, value, field: str = "decision") -> str | None:
    if value is None or not form or not forms.exists(form):
        return value
    prop = forms.load(form)[0].get("properties", {}).get(field, {})
    names = dict(zip(prop.get("enum", []), prop.get("x-enumNames", []), strict=False))
    return names.get(value, value)


def _current_rows(session: Session, row: HumanTask, elements: list[str]) -> dict[str, HumanTask]:
    """The newest row of each opinion element created before the consolidating task's row."""
    found: dict[str, HumanTask] = {}
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == row.instance_id,
                                                   HumanTask.element_id.in_(elements), HumanTask.id < row.id,
                                                   HumanTask.state != "cancelled")
                           .order_by(HumanTask.id))
    for opinion in rows:
        found[opinion.element_id] = opinion
    return found


def _opinion(forms, rule: Rule, element_id: str, opinion: HumanTask | None, now: datetime) -> dict:
    answers = (opinion.data or {}) if opinion is not None else {}
    decision = answers.get("decision")
    done = opinion is not None and opinion.state == "completed"
    return {
        "element": element_id, "title": opinion.title if opinion else element_id,
        "role": opinion.role_key if opinion else None, "lane": opinion.lane if opinion else None,
        "state": opinion.state if opinion else "not_reached",
        "decision": decision, "decision_label": _decision_label(forms, opinion.form if opinion else None, decision),
        "comment": answers.get("comment") or answers.get("opinion"), "negative": done and decision not in rule.agreeing,
        "given": done,
        "effect": rule.effect(element_id), "effect_label": EFFECT_LABELS[rule.effect(element_id)],
        "due_at": local_iso(opinion.due_at) if opinion else None,
        "overdue": bool(opinion and opinion.state == "ready" and opinion.due_at and opinion.due_at < now),
        "completed_at": local_iso(opinion.completed_at) if opinion else None,
        "by": opinion.completed_by.display_name if opinion and opinion.completed_by else None,
        "unit": opinion.completed_by.unit.name if opinion and opinion.completed_by else None,
    }


def opinions_for(ctx: Context, session: Session, inst: ProcessInstance, row: HumanTask,
                 now: datetime | None = None) -> list[dict]:
    """Every opinion the task consolidates, side by side (empty for a task that consolidates none)."""
    rule = rule_of(ctx, session, inst, row.element_id)
    if not rule:
        return []
    forms = ctx.forms_for(session, inst.process_version_id)
    rows = _current_rows(session, row, rule.consolidates)
    now = now or clock.now()
    return [_opinion(forms, rule, element, rows.get(element), now) for element in rule.consolidates]


def _listing(opinions: list[dict]) -> str:
    return "、".join(f"{o['title']}（{o['decision_label'] or '未办理'}）" for o in opinions)


def check_completion(ctx: Context, session: Session, inst: ProcessInstance, row: HumanTask, answers: dict,
                     user: User, now: datetime) -> None:
    """Refuse a positive decision over a binding negative opinion; require and record the reason for
    one over an overridable negative opinion. Does nothing for a task that consolidates none."""
    rule = rule_of(ctx, session, inst, row.element_id)
    if not rule or answers.get(rule.field) not in rule.positive:
        return
    opinions = opinions_for(ctx, session, inst, row, now)
    chosen = _decision_label(ctx.forms_for(session, inst.process_version_id), row.form, answers.get(rule.field),
                             rule.field)
    bound = [o for o in opinions if o["effect"] == "binding" and (o["negative"] or not o["given"])]
    if bound:
        raise ValidationFailed(
            f"{_listing(bound)}的意见具有约束力，不能作出“{chosen}”的结论",
            errors={rule.field: f"{_listing(bound)}：该意见具有约束力（{row.legal_basis or ''}），"
                                f"不能选择“{chosen}”"})
    overruled = [o for o in opinions if o["negative"] and o["effect"] == "overridable"]
    if not overruled:
        return
    reason = str(answers.get(REASON_FIELD) or "").strip()
    if len(reason) < 2:
        raise ValidationFailed(
            f"不采纳{_listing(overruled)}的意见须说明理由",
            errors={REASON_FIELD: f"不采纳{_listing(overruled)}的意见而选择“{chosen}”，须填写理由"})
    audit_chain.append(session, EVENT, instance_id=inst.id, actor_id=user.id, element_id=row.element_id,
                       human_task_id=row.id,
          data={"title": f"不采纳审查意见：{row.title}", "decision": answers.get(rule.field), "decision_label": chosen,
                "reason": reason, "legal_basis": row.legal_basis,
                "overruled": [{k: o[k] for k in ("element", "title", "role", "decision", "decision_label",
                                                 "comment", "by", "unit")} for o in overruled]}, at=now)


def override_item(ev: AuditEvent, inst: ProcessInstance | None = None) -> dict:
    data = ev.data or {}
    item = {"instance_id": ev.instance_id, "element": ev.element_id, "title": data.get("title"),
            "decision": data.get("decision"), "decision_label": data.get("decision_label"),
            "reason": data.get("reason"), "overruled": data.get("overruled") or [],
            "by": ev.actor.display_name if ev.actor else None, "unit": ev.actor.unit.name if ev.actor else None,
            "at": local_iso(ev.at)}
    if inst is not None:
        item["project_name"] = inst.project_name
    return item


def overrides_of(session: Session, instance_id: int) -> list[dict]:
    """The overrides recorded on one project, oldest first (the instance detail's `overrides`)."""
    rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id, AuditEvent.event == EVENT)
                           .order_by(AuditEvent.at, AuditEvent.id))
    return [override_item(ev) for ev in rows]


def overrides(ctx: Context, user_id: int, jurisdiction: str | None = None, limit: int = 200) -> list[dict]:
    """Every override in the manager's jurisdiction, newest first (GET /api/v1/manage/overrides)."""
    with ctx.db.transaction() as session:
        user = session.get(User, user_id)
        if not policy.is_manager(user):
            raise PermissionDenied("只有管理者可以查看不采纳审查意见的记录")
        scope = jurisdiction if policy.is_admin(user) and jurisdiction else user.jurisdiction
        rows = session.execute(select(AuditEvent, ProcessInstance)
                               .join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
                               .where(AuditEvent.event == EVENT, ProcessInstance.jurisdiction == scope)
                               .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
        return [override_item(ev, inst) for ev, inst in rows]
