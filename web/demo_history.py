"""`govflow demo`'s history: a few hundred projects started over the past months, so the managers'
dashboard has something to show — projects in every phase, overdue and 预警 tasks, rejected and
terminated ones with their durations, a year of months.

Each is one of the jurisdiction's sample walks (processes/<key>/demo.json) replayed through the real
services at past instants (`now=`: due dates, waiting times and durations are those of that past),
cut after a different number of steps so the copies stand in different phases; some are then
rejected at the next review that offers 不通过, some ended by the manager. A copy whose walk the
engine refuses at some step (a deadline passed at that past date, a form that wants more) simply
stays where it got to. Drawn with a fixed seed: the same history every time; created once."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from engine import clock, queries
from engine.errors import GovflowError
from engine.models import ProcessInstance
from engine.services import attachments, portfolio, runtime
from engine.services.context import Context

COPIES = 40                  # history projects per jurisdiction (200 in all; with the samples ~220)
MAX_STEPS = 8                # a copy walks at most this far (the demo stays a matter of seconds)
SPREAD_DAYS = 330            # started over the past eleven months
PHASES = ("一期", "二期", "升级改造", "运维", "扩容")
REJECT = {"decision": "reject", "comment": "建设必要性论证不充分，与已建系统功能重复，不予通过。"}


def run_history(ctx: Context, jurisdiction, samples: list[dict], ids: dict[str, int], now: datetime | None = None):
    """Yield a line per jurisdiction: how many history projects it now has."""
    now = now or clock.now()
    walks = [s for s in samples if s.get("steps") and s.get("process", jurisdiction.key) == jurisdiction.key]
    if not walks:
        return
    rng = random.Random(f"govflow-demo-{jurisdiction.key}")
    names = [_name(walks[i % len(walks)], i) for i in range(COPIES)]
    with ctx.db.transaction() as session:
        if session.scalar(select(ProcessInstance.id).where(ProcessInstance.jurisdiction == jurisdiction.key,
                                                           ProcessInstance.project_name == names[0])):
            yield f"  历史项目已存在（{COPIES} 个）"
            return
    made = ended = 0
    for index, name in enumerate(names):
        sample = walks[index % len(walks)]
        started = now - timedelta(days=SPREAD_DAYS * (index + 1) / COPIES, hours=rng.randint(0, 8))
        outcome = _replay(ctx, jurisdiction, sample, ids, name, started, now, rng)
        made += outcome is not None
        ended += outcome == "ended"
    portfolio.refresh(ctx, jurisdiction.key, now)
    yield f"  历史项目 {made} 个（近 {SPREAD_DAYS} 天发起，其中 {ended} 个已不予通过或终止）"


def _name(sample: dict, index: int) -> str:
    """A copy keeps its sample's project name (so it stays in its applicant's field: 教育局 builds
    education systems), told apart by a phase and a number: 叶集区智慧教育云平台（二期·7）."""
    base = (sample.get("facts") or {}).get("project_name") or "示例项目"
    return f"{base}（{PHASES[index % len(PHASES)]}·{index + 1}）"


def _replay(ctx: Context, jurisdiction, sample: dict, ids: dict[str, int], name: str, started: datetime,
            now: datetime, rng: random.Random) -> str | None:
    facts = dict(sample["facts"], project_name=name)
    if isinstance(facts.get("total_investment"), (int, float)):
        facts["total_investment"] = round(facts["total_investment"] * rng.uniform(0.5, 2.5), 1)
    starter = ids[f"{jurisdiction.key}_{sample.get('starter', 'applicant1')}"]
    try:
        instance_id = runtime.start_instance(ctx, starter, jurisdiction.key, facts, now=started)
    except GovflowError:
        # a figure the rules of the sample refuse once varied (a threshold crossed): the sample's own
        facts["total_investment"] = sample["facts"].get("total_investment")
        try:
            instance_id = runtime.start_instance(ctx, starter, jurisdiction.key, facts, now=started)
        except GovflowError:
            return None
    steps = sample["steps"][:rng.randint(1, min(MAX_STEPS, len(sample["steps"])))]
    at = started
    for step in steps:
        if "tick" in step:
            continue
        at = min(at + timedelta(days=rng.uniform(0.5, 6)), now)
        if not _do(ctx, ids[f"{jurisdiction.key}_{step['as']}"], instance_id, step["task"], step.get("data", {}), at):
            return "walked"
    roll = rng.random()
    at = min(at + timedelta(days=rng.uniform(1, 8)), now)
    if roll < 0.15 and _reject(ctx, jurisdiction, ids, instance_id, at):
        return "ended"
    if roll > 0.93:
        manager = ids[f"{jurisdiction.key}_manager"]
        runtime.terminate_instance(ctx, manager, instance_id, "建设单位申请撤回，项目终止。", now=at)
        return "ended"
    return "walked"


def _do(ctx: Context, user_id: int, instance_id: int, element: str, data: dict, at: datetime) -> bool:
    with ctx.db.transaction() as session:
        rows = [t for t in queries.ready_tasks_of(session, instance_id) if t.element_id == element]
    if not rows:
        return False
    try:
        runtime.complete_task(ctx, user_id, rows[0].id, attachments.with_placeholders(ctx, user_id, rows[0].id, data),
                              now=at)
    except GovflowError:
        return False
    return True


def _reject(ctx: Context, jurisdiction, ids: dict[str, int], instance_id: int, at: datetime) -> bool:
    """不通过 at the first ready review whose form offers it, by a holder of its role."""
    with ctx.db.transaction() as session:
        rows = queries.ready_tasks_of(session, instance_id)
    for row in rows:
        user = ids.get(f"{jurisdiction.key}_{row.role_key}") or ids.get(f"{jurisdiction.key}_{row.role_key}1")
        if user is None:
            continue
        try:
            runtime.complete_task(ctx, user, row.id, REJECT, now=at)
        except GovflowError:
            continue
        with ctx.db.transaction() as session:
            if session.get(ProcessInstance, instance_id).status != "running":
                return True
    return False
