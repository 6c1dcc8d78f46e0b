"""九江 personas and the steps the scenario tests share (no tests here): each helper walks one
project through one stage of the 九江市数字化项目建设管理办法(试行) with valid answers."""
from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest

from engine.clock import SHANGHAI
from engine.services.timers import tick
from tests.conftest import at
from tests.support import Personas

JIUJIANG_PEOPLE = {  # username: (unit, roles)
    "alice": ("九江市教育局", ["applicant"]),
    "bob": ("九江市卫生健康委员会", ["applicant"]),
    "cody": ("修水县", ["county"]),
    "olga": ("九江市数字政府建设工作领导小组办公室", ["leading_group_office"]),
    "leo": ("九江市数字政府建设工作领导小组", ["leading_group"]),
    "pia": ("江西省推进政府职能转变和数字政府建设领导小组办公室", ["province"]),
    "cora": ("九江市数字化项目咨询机构（咨询机构库）", ["consultancy"]),
    "ezra": ("江西省保密科技领域专家库", ["experts"]),
    "dora": ("九江市数据管理部门", ["data_bureau"]),
    "nick": ("九江市发展和改革委员会", ["ndrc"]),
    "fay": ("九江市财政局", ["finance"]),
    "sam": ("九江市国有资产监督管理委员会", ["sasac"]),
    "cris": ("中共九江市委保密机要局", ["crypto"]),
    "cai": ("中共九江市委网络安全和信息化委员会办公室", ["cac"]),
    "gus": ("九江市人民政府", ["government"]),
    "mona": ("九江市数据管理部门", ["manager"]),
}

FACTS = {"project_name": "九江市智慧教育平台", "project_type": "construction", "total_investment": 300,
         "in_reserve": True, "reserve_entered_on": "2025-12-01", "plan_year": 2027}
OK = {"decision": "approve"}
RETURN = {"decision": "return", "comment": "请补充需求确认材料"}
REJECT = {"decision": "reject", "comment": "不符合要求"}
DECLARE = {
    "application_unit": "九江市教育局", "main_tasks": "建设全市教育数据中台", "location": "九江市",
    "schedule": "2027年1月至2027年12月", "necessity": "落实教育数字化战略", "performance_goals": "覆盖全市中小学",
    "implementation_method": "公开招标", "build_kind": "new", "superior_opinion": "上级意见.pdf",
    "consulted_stakeholders": True, "technical_plan": "技术方案.pdf", "cloud_resources": "云资源清单.xlsx",
    "data_sharing": "共享至市共享交换平台", "security_plan": "等保三级，商用密码",
    "funding_plan": "市财政信息化专项资金",
    "vendor_quotes": [{"vendor": "甲公司", "amount": 300}, {"vendor": "乙公司", "amount": 310},
                      {"vendor": "丙公司", "amount": 295}],
    "meeting_type": "party_committee", "meeting_date": "2026-08-20", "meeting_minutes": "党组会纪要.pdf",
}
PRELIMINARY_OK = {"decision": "approve", "necessity": "必要", "urgency": "急迫"}
SOLUTIONS = {"alternatives": [{"title": f"方案{n}", "summary": "概要"} for n in "一二三"], "recommended": "方案一"}
JOINT = [("dora", "JointReviewData"), ("nick", "JointReviewNdrc"), ("fay", "JointReviewFinance"),
         ("sam", "JointReviewSasac")]
JOINT_OPINION = {"construction_plan": "2027年建设", "funding": "市本级资金", "owner_unit": "九江市教育局",
                 "schedule": "2027年内完成"}
NOTICE = {"notice_number": "九数政办〔2026〕1号", "owner_unit": "九江市教育局", "approved_content": "按会审意见"}
DOCUMENT = {"document": "文本.pdf", "prepared_by": "self"}
FEASIBILITY = {**DOCUMENT, "sent_to_data_bureau": True}
BUDGET = {"document": "预算.pdf", "amount": 300, "complete": True}
BUDGET_OK = {"decision": "approve", "approved_amount": 298, "tender_ceiling": 290}
CONFIRM = {"confirmed": True}
START_CLAIMS = ("in_reserve", "reserve_entered_on", "province_assessed", "major_deployment")
ALL_TRUE = {f"{key}_holds": "yes" for key in START_CLAIMS}   # 市数字政府领导小组办公室 finds every claim true


def started(people, facts, now, confirm=None) -> int:
    """Started, and the claims of 入库 / 省级论证评估 / 重大部署 confirmed by the office (all true, or
    `confirm`'s answers) when the applicant made any."""
    iid = people.start("alice", "jiujiang", facts, now=now)
    if "ConfirmStartFacts" in people.ready(iid):
        people.do("olga", iid, "ConfirmStartFacts", {**ALL_TRUE, **(confirm or {})}, now=now)
    return iid


def fast_personas(ctx, monkeypatch, jurisdiction: str, table: dict) -> Personas:
    """Personas of a city (the shared test password is hashed once per run in tests.support)."""
    return Personas(ctx, jurisdiction, table)


@pytest.fixture
def people(ctx, monkeypatch) -> Personas:
    return fast_personas(ctx, monkeypatch, "jiujiang", JIUJIANG_PEOPLE)


def local_day(value: datetime) -> date:
    return value.astimezone(SHANGHAI).date()


def due_of(people, iid, element) -> datetime:
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at


def workdays_after(start: date, n: int) -> date:
    """The n-th working day after `start` (start not counted), by chinese_calendar itself."""
    from datetime import timedelta
    day = start
    while n:
        day += timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


def declaration_for(facts: dict) -> dict:
    """DECLARE with what 第十七条/第十八条 ask of this project: the county's own meeting, the
    分级保护建设方案 of a 涉密 project, the 实施方案 of a 购买服务 project."""
    answers = dict(DECLARE)
    if facts.get("level") == "county":
        answers["meeting_type"] = "county_party_committee"
    if facts.get("is_classified"):
        answers["graded_protection_plan"] = "分级保护建设方案.pdf"
    if facts.get("project_type") == "service":
        answers["service_plan"] = "实施方案.pdf"
    return answers


def declared(people, ctx, facts=None, start="2026-08-01 10:00", declare_at="2026-09-01 10:00") -> int:
    """Started before the 2027 call opens (8月31日) and declared in its window."""
    iid = started(people, {**FACTS, **(facts or {})}, at(start))
    if people.ready(iid) == ["ProvincialAssessment"]:
        people.do("pia", iid, "ProvincialAssessment", OK, now=at(start))
    if people.ready(iid) != ["DeclareAnnual"]:
        tick(ctx, at("2026-08-31 00:00:01"))
    people.do("alice", iid, "DeclareAnnual", declaration_for({**FACTS, **(facts or {})}), now=at(declare_at))
    return iid


def consulted(people, ctx, facts=None, when="2026-09-10 10:00") -> int:
    """Through 初审, 咨询机构's solutions and 初步论证: the 联合会审 is ready."""
    iid = declared(people, ctx, facts)
    if people.ready(iid) == ["CountyScreenDeclaration"]:
        people.do("cody", iid, "CountyScreenDeclaration", OK, now=at(when))
    people.do("olga", iid, "PreliminaryReview", PRELIMINARY_OK, now=at(when))
    people.do("cora", iid, "ConsultancySolutions", SOLUTIONS, now=at(when))
    if people.ready(iid) == ["ConfirmClassified"]:
        people.do("cris", iid, "ConfirmClassified", {"is_classified_holds": "yes"}, now=at(when))
    if people.ready(iid) == ["ClassifiedExpertReview"]:
        people.do("ezra", iid, "ClassifiedExpertReview",
                  {"experts": [{"name": "王专家"}], "from_provincial_pool": True, "opinion": "同意"}, now=at(when))
    people.do("dora", iid, "PreliminaryAssessment", OK, now=at(when))
    return iid


def launched(people, ctx, facts=None, when="2026-09-21 10:00", notice_at=None) -> int:
    """Through 联合会审, 领导小组审定 (and 省级审核 above 限额) and the 启动通知."""
    iid = consulted(people, ctx, facts)
    for who, element in JOINT:
        people.do(who, iid, element, OK, now=at(when))
    people.do("dora", iid, "JointOpinion", JOINT_OPINION, now=at(when))
    people.do("leo", iid, "LeadingGroupDecision", OK, now=at(when))
    if "ProvincialReview" in people.ready(iid):
        people.do("pia", iid, "ProvincialReview", OK, now=at(when))
    people.do("olga", iid, "StartNotice", NOTICE, now=at(notice_at or when))
    return iid


def plan_and_budget(people, iid, when="2026-09-22 10:00") -> None:
    people.do("nick", iid, "InvestmentPlan", {"plan_reference": "2027年第一批"}, now=at(when))
    people.do("fay", iid, "ArrangeBudget", {"budget_reference": "2027-信息化", "amount": 300}, now=at(when))


PROCUREMENT = {"procurement_method": "public_tender", "supplier": "九江某信息技术有限公司", "amount": 290,
               "contract_signed": True, "responsible_person": "张三"}
IMPLEMENTED = {"as_approved": True, "completed_on": "2026-03-31"}
APPLY = {"mode": "apply", "application": "竣工验收申请.pdf"}
INSPECTION_OK = {"decision": "approve", "with_application_unit": True, "participants": ["市公安局"],
                 "opinion_document": "验收意见.pdf"}
ACCEPTANCE_OPINIONS = [("nick", "AcceptanceOpinionNdrc"), ("sam", "AcceptanceOpinionSasac"),
                       ("cris", "AcceptanceOpinionCrypto"), ("cai", "AcceptanceOpinionCac")]   # 第三十二条
STEPS = {  # element: (persona, answers) — the usual, valid answer of each step
    "ProvincialAssessment": ("pia", OK), "DeclareAnnual": ("alice", {**DECLARE, "service_plan": "实施方案.pdf"}),
    "CountyScreenDeclaration": ("cody", OK),
    "PreliminaryReview": ("olga", PRELIMINARY_OK), "ConsultancySolutions": ("cora", SOLUTIONS),
    "ClassifiedExpertReview": ("ezra", {"experts": [{"name": "王专家"}], "from_provincial_pool": True,
                                        "opinion": "同意"}),
    "PreliminaryAssessment": ("dora", OK), **{element: (who, OK) for who, element in JOINT},
    "JointOpinion": ("dora", JOINT_OPINION), "LeadingGroupDecision": ("leo", OK), "ProvincialReview": ("pia", OK),
    "StartNotice": ("olga", NOTICE), "InvestmentPlan": ("nick", {"plan_reference": "第一批"}),
    "ArrangeBudget": ("fay", {"budget_reference": "信息化专项", "amount": 300}),
    "ChooseMerge": ("alice", {"merge_documents": True}), "PrepareProposal": ("alice", DOCUMENT),
    "ApproveProposal": ("nick", OK), "PrepareFeasibility": ("alice", FEASIBILITY),
    "SubmitTechPlan": ("alice", {"document": "技术方案.pdf"}), "TechReview": ("dora", OK),
    "ApproveFeasibility": ("nick", OK), "ApproveFeasibilitySasac": ("sam", OK),
    "SelectDesignUnit": ("alice", {"design_unit": "甲设计院", "selection_method": "比选"}),
    "PrepareDesign": ("alice", {"document": "初设.pdf"}), "ApproveDesign": ("nick", OK),
    "ApproveDesignSasac": ("sam", OK), "PrepareBudget": ("alice", BUDGET), "ApproveBudget": ("fay", BUDGET_OK),
    "ApproveBudgetSasac": ("sam", BUDGET_OK), "ProvincialFiling": ("olga", CONFIRM),
    "Procurement": ("alice", PROCUREMENT), "Implementation": ("alice", IMPLEMENTED),
    "FinalInspection": ("alice", {"passed": True, "report": "终验报告.pdf"}), "AcceptanceApplication": ("alice", APPLY),
    "DataSharingCheck": ("dora", OK), "SecureReliableCheck": ("cris", OK),
    **{element: (who, OK) for who, element in ACCEPTANCE_OPINIONS},
    "AcceptanceInspection": ("dora", INSPECTION_OK),
    "AcceptanceFiling": ("dora", CONFIRM),
    "SelfEvaluation": ("alice", {"report": "自评报告.pdf", "sent_to": True}),
}


def advance(people, iid, until: str, when: str, answers: dict | None = None) -> None:
    """Complete ready steps with their usual answers (or `answers`) until `until` is ready."""
    steps = {**STEPS, **(answers or {})}
    while until not in (ready := people.ready(iid)):
        doable = [element for element in ready if element in steps]
        assert doable, f"stuck before {until}: {ready} {people.instance(iid)['waiting']}"
        who, data = steps[doable[0]]
        people.do(who, iid, doable[0], data, now=at(when))


URGENT_2026 = {**FACTS, "plan_year": 2026, "urgent": True, "reserve_entered_on": "2025-06-01"}


def started_early(people, facts=None, when="2026-01-05 10:00") -> int:
    """An urgent (增列) project for 2026, declared in January, so later clocks stay inside 2026."""
    return started(people, {**URGENT_2026, **(facts or {})}, now=at(when))


def operated_system(people, when: datetime, who: str = "alice") -> int:
    """A 运维类 project of `who`'s unit: it ends at once (运维经费 is asked for yearly, 第三十五条), the
    project a 运维经费 request may be filed for."""
    iid = people.start(who, "jiujiang", {"project_name": "九江市智慧教育平台运维", "project_type": "operation",
                                         "total_investment": 45}, now=when)
    assert people.instance(iid)["outcome"] == "operation_separate"
    return iid


def om_requested(people, facts: dict, now: datetime, who: str = "alice", project: int | None = None) -> int:
    """A 运维经费 request filed by hand for `project` (by default a 运维类 project of `who`'s unit)."""
    from engine.services import runtime
    people.deploy("jiujiang.om_funding")
    project = project if project is not None else operated_system(people, now, who)
    return runtime.start_instance(people.ctx, getattr(people, who), "jiujiang.om_funding", facts, now=now,
                                  parent_instance_id=project)

