"""A portfolio for the dashboard and search tests: hundreds of projects in three cities, driven
through the real services — 叶集 on the phased test diagram (tests/fixtures/phases.bpmn with clocks
of 5 and 3 working days on its two reviews), 宿迁 and 九江 on their own procedures, started only.

The personas are the test's own (their names must not collide with other tables: a user belongs
to one jurisdiction)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from engine.services import runtime
from tests.conftest import at
from tests.support import Personas
from tests.test_timers_support import install_process

PHASED = "yeji.test_phases"
CONFIRM = {"confirmed": True}
REVIEW_PHASE = "联合审查阶段"
_XML = (Path(__file__).resolve().parent / "fixtures" / "phases.bpmn").read_bytes()


def _with_clock(xml: bytes, element: str, due_in: str) -> bytes:
    """The task `element` of the fixture with a `dueIn` clock."""
    head, tail = xml.split(f'<bpmn:userTask id="{element}"'.encode(), 1)
    basis = b'<spiffworkflow:property name="legalBasis" value="\xe7\xac\xac\xe4\xb8\x83\xe6\x9d\xa1"/>'
    tail = tail.replace(basis, basis + f'<spiffworkflow:property name="dueIn" value="{due_in}"/>'.encode(), 1)
    return head + f'<bpmn:userTask id="{element}"'.encode() + tail


CLOCKED_XML = _with_clock(_with_clock(_XML, "BureauReview", "5wd"), "FinanceReview", "3wd")

SUQIAN = {"sq_ann": ("市公安局", ["applicant"]), "sq_hugh": ("市第一人民医院", ["applicant"]),
          "sq_mona": ("市数据局", ["manager"])}
JIUJIANG = {"jj_jane": ("九江市教育局", ["applicant"]),
            "jj_mona": ("九江市数字政府建设工作领导小组办公室", ["manager"])}
PROVINCE = {"vera": ("省数字政府建设领导小组办公室", ["province_viewer"])}
SUQIAN_FACTS = {"project_type": "construction", "plan_year": 2027}
JIUJIANG_FACTS = {"project_type": "construction", "in_reserve": True, "reserve_entered_on": "2025-12-01",
                  "plan_year": 2027}


def install_phased(monkeypatch, people) -> None:
    install_process(monkeypatch, people, PHASED, CLOCKED_XML, name="分阶段测试流程")


@dataclass
class Portfolio:
    """What was built, to check the dashboard against: instance ids by where they were left."""

    at_declare: list[int] = field(default_factory=list)        # 项目申报 ready (top level)
    in_review: list[int] = field(default_factory=list)         # 区数管局审查 ready (the phase's first review)
    finance_left: list[int] = field(default_factory=list)      # 区数管局 done, 区财政局审查 ready
    archiving: list[int] = field(default_factory=list)         # 归档 ready (top level again)
    completed: list[int] = field(default_factory=list)
    terminated: list[int] = field(default_factory=list)
    suqian: list[int] = field(default_factory=list)
    jiujiang: list[int] = field(default_factory=list)
    investments: dict[int, float] = field(default_factory=dict)
    started: dict[int, object] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)

    @property
    def yeji(self) -> list[int]:
        return [*self.at_declare, *self.in_review, *self.finance_left, *self.archiving, *self.completed,
                *self.terminated]


def build(people, ctx, *, scale: int = 1) -> Portfolio:
    """8·scale projects at 项目申报, 16·scale before 区数管局, 6·scale before 区财政局, 4·scale archiving,
    4·scale completed, 2·scale terminated (叶集), 20·scale 宿迁 and 15·scale 九江 just started: 75·scale."""
    built = Portfolio()
    suqian, jiujiang = Personas(ctx, "suqian", SUQIAN), Personas(ctx, "jiujiang", JIUJIANG)
    suqian.sq_mona, jiujiang.jj_mona, people.mona    # noqa: B018 - the managers, made on first use
    plan = [("at_declare", 8), ("in_review", 16), ("finance_left", 6), ("archiving", 4), ("completed", 4),
            ("terminated", 2)]
    index = 0
    for kind, count in plan:
        for _ in range(count * scale):
            index += 1
            start = at("2026-06-01 09:00") + timedelta(days=index % 150, hours=index % 7)
            who = "alice" if index % 3 else "bob"
            name = f"组合测试项目{index:03d}" + ("（教育）" if who == "alice" else "（卫健）")
            investment = 50 + (index * 37) % 900
            iid = people.start(who, PHASED, {"project_name": name, "project_type": "construction",
                                             "total_investment": investment}, now=start)
            built.investments[iid], built.started[iid], built.names[iid] = investment, start, name
            _walk(people, ctx, iid, who, kind, start)
            getattr(built, kind).append(iid)
    for i in range(20 * scale):
        start = at("2026-07-01 09:00") + timedelta(days=i % 50)
        who = "sq_ann" if i % 2 else "sq_hugh"
        iid = suqian.start(who, "suqian", {**SUQIAN_FACTS, "project_name": f"宿迁组合项目{i:03d}",
                                          "total_investment": 100 + i}, now=start)
        built.suqian.append(iid)
        built.names[iid] = f"宿迁组合项目{i:03d}"
    for i in range(15 * scale):
        start = at("2026-08-01 09:00") + timedelta(days=i % 20)
        iid = jiujiang.start("jj_jane", "jiujiang", {**JIUJIANG_FACTS, "project_name": f"九江组合项目{i:03d}",
                                                    "total_investment": 200 + i}, now=start)
        built.jiujiang.append(iid)
        built.names[iid] = f"九江组合项目{i:03d}"
    return built


def _walk(people, ctx, iid: int, who: str, kind: str, start) -> None:
    if kind == "at_declare":
        return
    people.do(who, iid, "Declare", CONFIRM, now=start + timedelta(days=1))
    if kind == "in_review":
        return
    people.do("dora", iid, "BureauReview", CONFIRM, now=start + timedelta(days=3))
    if kind == "finance_left":
        return
    if kind == "terminated":
        runtime.terminate_instance(ctx, people.mona, iid, "建设单位申请撤回", now=start + timedelta(days=4))
        return
    people.do("fay", iid, "FinanceReview", CONFIRM, now=start + timedelta(days=6))
    if kind == "archiving":
        return
    people.do(who, iid, "Archive", CONFIRM, now=start + timedelta(days=10))
