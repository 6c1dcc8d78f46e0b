"""State is data with a version: stop the app mid-process, start a new one, carry on."""
import json

from sqlalchemy import select

from engine import workflow as wfx
from engine.models import ProcessInstance
from engine.services import runtime
from engine.services.context import Context
from tests.conftest import at
from tests.yeji_walk import OK, REVIEWERS, in_review


def test_it_carries_on_after_a_restart_mid_review(people, ctx, settings):
    iid = in_review(people, ctx)
    for who, element in REVIEWERS[:3]:
        people.do(who, iid, element, OK, now=at("2026-10-20 10:00"))
    ctx.db.dispose()
    restarted = Context.from_settings(settings)  # a new process: new engine, empty spec cache
    try:
        for who, element in REVIEWERS[3:]:
            task = people.task(who, iid, element)
            runtime.complete_task(restarted, getattr(people, who), task["id"], OK, now=at("2026-10-21 10:00"))
        assert people.ready(iid) == ["InvestmentPlan"]
    finally:
        restarted.db.dispose()


def test_it_stores_the_serializer_version_and_not_the_specs(people, ctx):
    iid = in_review(people, ctx)
    with ctx.db.transaction() as session:
        inst = session.scalar(select(ProcessInstance).where(ProcessInstance.id == iid))
        state = json.loads(inst.state)
        assert inst.serializer_version == wfx.SERIALIZER_VERSION == state["serializer_version"]
        assert "spec" not in state and "subprocess_specs" not in state
        assert len(inst.state) < 40_000


def test_it_round_trips_every_construct_of_the_yeji_diagram(people, ctx):
    """timer catch, parallel fork/join, script tasks, boundary timer, Decimal money, dates."""
    iid = in_review(people, ctx, is_key_project=True, total_investment=300.5)
    with ctx.db.transaction() as session:
        inst = session.get(ProcessInstance, iid)
        version = ctx.loaded_version(session, inst.process_version_id)
        first = wfx.loads(version, inst.state, "yeji")
        again = wfx.loads(version, wfx.dumps(first), "yeji")
    assert wfx.dumps(again) == wfx.dumps(first)
    from decimal import Decimal
    assert again.get_tasks()[0].data["total_investment"] == Decimal("300.5")
    assert sorted(t.task_spec.name for t in wfx.ready_user_tasks(again)) == sorted(e for _, e in REVIEWERS)
