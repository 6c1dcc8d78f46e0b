"""`govflow demo` builds every modelled jurisdiction, idempotently."""
from sqlalchemy import func, select

from engine.models import ProcessInstance, ProcessVersion, User
from web.demo import run_demo


def test_it_loads_the_demo_twice_without_duplicating_anything(ctx):
    first = list(run_demo(ctx))
    with ctx.db.transaction() as session:
        counts = (session.scalar(select(func.count()).select_from(User)),
                  session.scalar(select(func.count()).select_from(ProcessInstance)),
                  session.scalar(select(func.count()).select_from(ProcessVersion)))
    second = list(run_demo(ctx))
    with ctx.db.transaction() as session:
        again = (session.scalar(select(func.count()).select_from(User)),
                 session.scalar(select(func.count()).select_from(ProcessInstance)),
                 session.scalar(select(func.count()).select_from(ProcessVersion)))
    assert counts == again
    assert any("示例项目：" in line for line in first)
    assert not any("示例项目：" in line for line in second)
    for jurisdiction in ctx.registry.jurisdictions().values():
        assert any(jurisdiction.name in line for line in first)


def test_it_leaves_the_yeji_samples_at_their_stages(ctx):
    list(run_demo(ctx))
    with ctx.db.transaction() as session:
        rows = {r.project_name: r for r in session.scalars(select(ProcessInstance).where(
            ProcessInstance.jurisdiction == "yeji"))}
    assert rows["区教育局办公终端更新"].outcome == "out_of_scope"
    assert rows["叶集区智慧教育云平台"].status == "running"
