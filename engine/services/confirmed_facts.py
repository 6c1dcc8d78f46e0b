"""Confirmed facts: a fact the regulation makes an office's finding (九江: 已纳入储备库 and its date,
已通过省级论证评估, 重大部署, 涉密 …) is claimed by the applicant in the start form and confirmed by that
office in a user task whose property `confirms` names the facts (`in_reserve,reserve_entered_on`).

The task's form has, for each fact `k`, the field `k_holds` (`yes` 属实 / `no` 不属实) and may have
`k_corrected` (the value the office found; for a yes/no fact 不属实 means the opposite of the claim).
Completing the task writes the office's values into the task data under `confirmed` (gateways read
`confirmed.get('in_reserve')`, never the claim) and appends one `fact_confirmed` audit event per fact
(who, when, claim, finding, comment). The project page and the API read those events (`facts_view`).
A start-form field may name its evidence with `"x-evidence": "<other field>"`."""
from __future__ import annotations

from datetime import datetime

from engine.clocks import local_iso
from engine.services.projection import audit

HOLDS, CORRECTED = "_holds", "_corrected"
EVENT = "fact_confirmed"


def fact_keys(info) -> list[str]:
    """The facts a task (an ElementInfo, or its properties) confirms, in the order written."""
    props = getattr(info, "properties", info) or {}
    return [k.strip() for k in (props.get("confirms") or "").split(",") if k.strip()]


def finding(key: str, answers: dict, claimed):
    """(holds, confirmed value) of one fact from the office's answers."""
    holds = answers.get(key + HOLDS) == "yes"
    if holds:
        return True, claimed
    corrected = answers.get(key + CORRECTED)
    if corrected not in (None, ""):
        return False, corrected
    if isinstance(claimed, bool) or claimed is None:
        return False, not bool(claimed)
    return False, None


def apply(ctx, session, inst, info, task, answers: dict, user, now: datetime) -> dict:
    """The answers of a confirming task with `confirmed` merged in; one audit event per fact.
    Any other task's answers come back unchanged."""
    keys = fact_keys(info) if info is not None else []
    if not keys:
        return answers
    confirmed = dict(task.data.get("confirmed") or {})
    labels = {c["key"]: c["label"] for c in claims(ctx, session, inst, keys)}
    facts = inst.facts or {}
    for key in keys:
        claimed = facts.get(key, task.data.get(key))
        holds, value = finding(key, answers, claimed)
        confirmed[key] = value
        audit(session, EVENT, instance_id=inst.id, actor_id=user.id, element_id=info.element_id,
              data={"title": f"{labels[key]}：{'属实' if holds else '不属实'}", "fact": key, "claimed": claimed,
                    "confirmed": value, "holds": holds, "comment": answers.get("comment")}, at=now)
    return {**answers, "confirmed": confirmed}


def _labels(schema: dict) -> dict:
    return (schema or {}).get("properties") or {}


def _start_schema(ctx, session, inst) -> dict:
    pdef = ctx.registry.process_def(inst.process_key)
    try:
        schema, _ui = ctx.forms_for(session, inst.process_version_id).load(pdef.start_form or "common/project_facts")
    except Exception:  # noqa: BLE001 - a project whose start form is gone still shows its facts, unlabelled
        return {}
    return schema


def confirmable(ctx, session, inst) -> list[str]:
    """Every fact some task of the instance's version confirms."""
    version = ctx.loaded_version(session, inst.process_version_id)
    keys: list[str] = []
    for info in version.elements.values():
        keys += [k for k in fact_keys(info) if k not in keys]
    return keys


def claims(ctx, session, inst, keys: list[str]) -> list[dict]:
    """[{key, label, claimed, evidence}] of these facts, as the applicant declared them."""
    props = _labels(_start_schema(ctx, session, inst))
    facts = inst.facts or {}
    result = []
    for key in keys:
        spec = props.get(key) or {}
        evidence = spec.get("x-evidence")
        result.append({"key": key, "label": spec.get("title") or key, "claimed": facts.get(key),
                       "evidence_label": (props.get(evidence) or {}).get("title") if evidence else None,
                       "evidence": facts.get(evidence) if evidence else None})
    return result


def facts_view(ctx, session, inst, history) -> list[dict]:
    """[{key, label, claimed, evidence, confirmed, holds, confirmed_by, confirmed_unit, confirmed_at,
    comment}] for the project page and GET /instances/{id}: the latest confirmation of each fact."""
    keys = confirmable(ctx, session, inst)
    if not keys:
        return []
    latest = {}
    for ev in history:
        if ev.event == EVENT and (ev.data or {}).get("fact") in keys:
            latest[ev.data["fact"]] = ev
    result = []
    for item in claims(ctx, session, inst, keys):
        ev = latest.get(item["key"])
        data = ev.data if ev is not None else {}
        result.append({**item, "confirmed": data.get("confirmed"), "holds": data.get("holds"),
                       "confirmed_by": ev.actor.display_name if ev is not None and ev.actor else None,
                       "confirmed_unit": ev.actor.unit.name if ev is not None and ev.actor else None,
                       "confirmed_at": local_iso(ev.at) if ev is not None else None,
                       "comment": data.get("comment")})
    return result


def to_confirm(ctx, session, inst, element_id: str) -> list[dict]:
    """The claims a confirming task shows its office (empty for any other task)."""
    info = ctx.loaded_version(session, inst.process_version_id).element(element_id)
    keys = fact_keys(info) if info is not None else []
    return claims(ctx, session, inst, keys) if keys else []
