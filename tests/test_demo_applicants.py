"""`govflow demo` leaves each sample project with the applicant unit it belongs to — a 交通 project with
the 交通运输局, a 修水县 project with 修水县 — not every one with applicant1 (an 教育局)."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import ProcessInstance, User
from web.demo import demo_users, run_demo

# What each demo applicant unit builds: a word of its field that the project's name carries.
FIELDS = {
    "区教育局": ("教育",), "区卫生健康委员会": ("健康", "卫生", "医生"),
    "区市场监督管理局": ("市场监管",),
    "市政务服务管理办公室": ("12345", "政务服务"), "市市场监督管理局": ("市场监管",),
    "市人力资源和社会保障局": ("人社",),
    "市公安局": ("警务", "公安"), "市卫生健康委员会": ("健康", "卫生"), "市第一人民医院": ("医院",),
    "九江市教育局": ("教育",), "九江市卫生健康委员会": ("健康", "卫生"), "九江市交通运输局": ("交通",),
    "修水县": ("修水县",), "九江市城市管理局": ("城市运行", "城市管理"),
    "区教育体育局": ("教育", "校园", "体育"), "区城市管理局": ("城市管理",),
}


def test_every_sample_project_belongs_to_an_applicant_unit_of_its_field(ctx):
    list(run_demo(ctx))
    with ctx.db.transaction() as session:
        rows = session.execute(select(ProcessInstance.jurisdiction, ProcessInstance.project_name,
                                      ProcessInstance.process_key, User.username)
                               .join(User, User.id == ProcessInstance.started_by_id)
                               .where(ProcessInstance.parent_instance_id.is_(None))).all()
    units = {username: unit for j in ctx.registry.jurisdictions().values() for username, unit, _r, _d in demo_users(j)}
    misfits = []
    for jurisdiction, name, _process, username in rows:
        unit = units[username]
        if username.split("_", 1)[1].startswith("applicant") and not any(w in name for w in FIELDS[unit]):
            misfits.append((jurisdiction, name, username, unit))
    assert misfits == []
    assert {username for _j, _n, _p, username in rows if _j == "jiujiang"} >= {
        "jiujiang_applicant1", "jiujiang_applicant3", "jiujiang_applicant4", "jiujiang_applicant5"}
