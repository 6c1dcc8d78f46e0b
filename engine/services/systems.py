"""The applicant unit's systems: its earlier projects, each with the standing that bars a follow-up.

宿迁 第六条: an eliminated system (运行不正常, 淘汰退出) — "市数据局对后续建设或运维服务项目不予审批，
市财政局不予安排预算资金". 第三十六条: "未经验收的项目，不符合网络和数据安全及密码应用要求…的项目，
市财政局不予安排后续建设资金和运维经费".

A project publishes its standing (ProcessInstance.standing, written by engine/services/projection.persist
from the workflow data its process declares in `standing` in processes/<city>/jurisdiction.json). A
unit's systems are its projects of the jurisdiction's main processes (those started on their own, not
from a project), one row each:

    {instance_id, name, status, outcome, phase, plan_year, updated_at, accepted, eliminated,
     funds_withheld, funds_withheld_reason, adverse: [the reasons, in Chinese with their article, that
     bar a follow-up]}

`accepted` is None for a project that never came to be built (nothing published it: refused before
construction, or a 运维/购买服务 project), False while it is built or when it ended unaccepted, True once
its 竣工验收 passed. A new project reads them at its start (`unit_systems`, beside `unit_records`), and a
user task that names `unit_systems` in its `reads` reads them again when it is shown and completed
(engine/services/field_checks.py): a system eliminated after the project's registration still bars it.
A follow-up names its system by the earlier project's number (`instance_id`), never by its name.

A project that has not stepped since its process declared a standing (or since the column came, migration
0016) has none on its row: `backfill_standing` (run by `govflow init-db` after the migrations) reads it
from each such project's workflow, as a step would have published it."""
from __future__ import annotations

from sqlalchemy import Text, cast, or_, select
from sqlalchemy.orm import Session, undefer

from engine import workflow as wfx
from engine.clocks import local_iso
from engine.models import ProcessInstance
from engine.services.audit import lock_instances

NAME = "unit_systems"    # the name a task's `reads` gives them, and the start data's key
ELIMINATED = "eliminated"
ELIMINATED_REASON = "已淘汰退出，市数据局对后续建设或运维服务项目不予审批，市财政局不予安排预算资金（第六条）"
WITHHELD_REASON = "不符合网络和数据安全及密码应用要求，市财政局不予安排后续建设资金和运维经费（第三十六条）"
UNACCEPTED_REASON = "未经验收的项目，市财政局不予安排后续建设资金和运维经费（第三十六条）"
STATUS_LABELS = {"running": "在办", "completed": "已办结", "terminated": "已终止", "rejected": "未通过"}


def publishes(jurisdiction) -> bool:
    """Whether any process of the jurisdiction publishes a standing (else it keeps no systems)."""
    return any(p.standing for p in jurisdiction.processes.values())


def adverse(status: str, outcome: str | None, standing: dict) -> list[str]:
    """The reasons a project's standing bars a follow-up of it (第六条, 第三十六条), in that order."""
    reasons = []
    if outcome == ELIMINATED:
        reasons.append(ELIMINATED_REASON)
    if standing.get("funds_withheld"):
        reasons.append(str(standing.get("funds_withheld_reason") or WITHHELD_REASON))
    if standing.get("accepted") is False and outcome != ELIMINATED:
        when = "已终止，" if status == "terminated" else "尚未通过竣工验收，"
        reasons.append(when + UNACCEPTED_REASON)
    return reasons


def unit_projects(session: Session, jurisdiction, unit_id: int, exclude: int | None = None, newest_first=False,
                  limit: int | None = None):
    """(id, project_name, status, outcome, phase_title, standing, updated_at, facts) of the unit's projects of
    the jurisdiction's main processes (not side processes), oldest first, in one query; `exclude`: the
    project asking. What the unit's systems and a field's `x-choices` (engine/services/choices.py) list."""
    keys = sorted(k for k, p in jurisdiction.processes.items() if p.parent is None)
    if not keys:
        return []
    query = (select(ProcessInstance.id, ProcessInstance.project_name, ProcessInstance.status,
                    ProcessInstance.outcome, ProcessInstance.phase_title, ProcessInstance.standing,
                    ProcessInstance.updated_at, ProcessInstance.facts)
             .where(ProcessInstance.jurisdiction == jurisdiction.key, ProcessInstance.applicant_unit_id == unit_id,
                    ProcessInstance.process_key.in_(keys))
             .order_by(ProcessInstance.id.desc() if newest_first else ProcessInstance.id))
    if exclude is not None:
        query = query.where(ProcessInstance.id != exclude)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query))


def unit_systems(session: Session, jurisdiction, unit_id: int, exclude: int | None = None) -> list[dict]:
    """The unit's projects of the jurisdiction's main processes as systems (module docstring), oldest
    first, in one query; `exclude`: the project asking (not a system of its own). [] when no process of
    the jurisdiction publishes a standing."""
    if not publishes(jurisdiction):
        return []
    result = []
    for instance_id, name, status, outcome, phase, standing, updated, facts in unit_projects(
            session, jurisdiction, unit_id, exclude):
        standing = standing or {}
        result.append({"instance_id": instance_id, "name": name, "status": status, "outcome": outcome,
                       "phase": phase, "accepted": standing.get("accepted"), "eliminated": outcome == ELIMINATED,
                       "funds_withheld": bool(standing.get("funds_withheld")),
                       "funds_withheld_reason": standing.get("funds_withheld_reason") or None,
                       "adverse": adverse(status, outcome, standing), "updated_at": local_iso(updated),
                       "plan_year": (facts or {}).get("plan_year")})
    return result


def of_instance(ctx, session: Session, inst: ProcessInstance) -> list[dict]:
    """The systems of the project's applicant unit, the project itself left out."""
    return unit_systems(session, ctx.registry.get(inst.jurisdiction), inst.applicant_unit_id, exclude=inst.id)


def _accepted_label(accepted) -> str:
    return {True: "已通过竣工验收", False: "未经验收"}.get(accepted, "未建设")


def view(ctx, session: Session, inst: ProcessInstance, outcome_label) -> dict:
    """The unit's systems as one group of a task's `records` (the task page beside the form): each
    project's number, name, where it stands and what bars a follow-up of it."""
    rows = []
    for s in of_instance(ctx, session, inst):
        state = outcome_label(s["outcome"]) if s["status"] != "running" and s["outcome"] else \
            STATUS_LABELS.get(s["status"], s["status"])
        values = [{"label": "项目编号", "value": s["instance_id"], "unit": None},
                  {"label": "状态", "value": state, "unit": None},
                  {"label": "阶段", "value": s["phase"] or "—", "unit": None},
                  {"label": "验收", "value": _accepted_label(s["accepted"]), "unit": None},
                  {"label": "后续项目", "value": "；".join(s["adverse"]) or "无限制", "unit": None}]
        rows.append({"instance_id": s["instance_id"], "project_name": s["name"], "plan_year": s["plan_year"],
                     "recorded_at": s["updated_at"], "values": values})
    return {"element": NAME, "title": "本单位的信息系统（按项目编号）", "rows": rows}


def backfill_standing(ctx, batch: int = 200) -> int:
    """Publish the standing of every project whose process declares one and whose row has none yet (a
    project that has not stepped since), read from its workflow as projection.persist would publish it;
    `{}` when it published nothing, so that it is not read again. A batch per transaction, each project's
    row locked first (one a step holds is left to that step, which publishes it). Answers how many."""
    keys = {(j.key, key): p.standing for j in ctx.registry.jurisdictions().values()
            for key, p in j.processes.items() if p.standing}
    # SQL NULL (a row from before the column) or JSON null (a row the ORM wrote None into)
    unpublished = or_(ProcessInstance.standing.is_(None), cast(ProcessInstance.standing, Text) == "null")
    done, after = 0, 0
    while keys:
        with ctx.db.transaction() as session:
            ids = list(session.scalars(
                select(ProcessInstance.id).where(unpublished, ProcessInstance.id > after,
                                                 ProcessInstance.process_key.in_(sorted({k for _, k in keys})))
                .order_by(ProcessInstance.id).limit(batch)))
            if not ids:
                break
            after = ids[-1]
            free = lock_instances(session, ids, skip_locked=True)
            for inst in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(sorted(free)), unpublished)
                                        .options(undefer(ProcessInstance.state))
                                        .execution_options(populate_existing=True)):
                names = keys.get((inst.jurisdiction, inst.process_key))
                if not names or not inst.state:
                    continue
                version = ctx.loaded_version(session, inst.process_version_id)
                inst.standing = wfx.published(wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction)), names)
                done += 1
    return done
