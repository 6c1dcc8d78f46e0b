"""九江市数字化项目建设管理办法(试行) 第九条、第二十一条、第二十五条、第二十六条、第三十二条 — a county (县/区)
project of 200万元 or more: the city's 储备库, 联合会审 and 审定 (第十二条、第二十一条), then the county's own
发改委 / 数据管理部门 / 财政局 (国资委) approve it by the city's procedure and clocks (第九条 参照市级做法);
the city accepts only the county projects it reported to the province (第三十二条第二款), the county the others.

Assumption (README): a county project is started by the county (the unit 修水县), whose departments and
bureaus are users of that unit; the county roles are unit-scoped to it."""
from datetime import date

import pytest

from engine.errors import ValidationFailed
from engine.services.timers import tick
from tests.conftest import at
from tests.support import Personas
from tests.test_jiujiang_walk import (
    APPLY,
    BUDGET,
    BUDGET_OK,
    DOCUMENT,
    FEASIBILITY,
    JIUJIANG_PEOPLE,
    OK,
    STEPS,
    advance,
    declaration_for,
    launched,
    local_day,
    started,
    started_early,
)

COUNTY_PEOPLE = {
    **JIUJIANG_PEOPLE,
    "alice": ("修水县", ["applicant"]),                  # the county's applicant department
    "xd": ("修水县", ["county_data_bureau"]),
    "xn": ("修水县", ["county_ndrc"]),
    "xf": ("修水县", ["county_finance"]),
    "xs": ("修水县", ["county_sasac"]),
    "xc": ("修水县", ["county_crypto"]),
    "xw": ("修水县", ["county_cac"]),
    "ww": ("武宁县", ["county_cac"]),                   # another county's 网信部门
    "wu": ("武宁县", ["county_ndrc"]),                   # another county's 发改委
    "city": ("九江市教育局", ["applicant"]),
}

COUNTY = {"level": "county", "county": "修水县"}
COUNTY_STEPS = {
    "CountyChooseMerge": ("alice", {"merge_documents": True}), "CountyPrepareProposal": ("alice", DOCUMENT),
    "CountyApproveProposal": ("xn", OK), "CountyPrepareFeasibility": ("alice", FEASIBILITY),
    "CountyTechReview": ("xd", OK), "CountyApproveFeasibility": ("xn", OK),
    "CountyApproveFeasibilitySasac": ("xs", OK),
    "CountySelectDesignUnit": STEPS["SelectDesignUnit"], "CountyPrepareDesign": STEPS["PrepareDesign"],
    "CountyApproveDesign": ("xn", OK), "CountyPrepareBudget": ("alice", BUDGET),
    "CountyApproveBudget": ("xf", BUDGET_OK), "CountyApproveBudgetSasac": ("xs", BUDGET_OK),
    "CountyInvestmentPlan": ("xn", {"plan_reference": "修水县2027年第一批"}),
    "CountyArrangeBudget": ("xf", {"budget_reference": "修水县信息化专项", "amount": 300}),
    "AcceptanceOpinionCountyCrypto": ("xc", OK), "AcceptanceOpinionCountyCac": ("xw", OK),
    "CountyAcceptanceInspection": ("xd", {"decision": "approve", "with_application_unit": True,
                                          "opinion_document": "验收意见.pdf"}),
}
COUNTY_OPINIONS = ["AcceptanceOpinionCountyCac", "AcceptanceOpinionCountyCrypto", "AcceptanceOpinionCountyNdrc"]


@pytest.fixture
def people(ctx) -> Personas:
    return Personas(ctx, "jiujiang", COUNTY_PEOPLE)


def _titles(people, who, iid) -> list[str]:
    return sorted(t["name"] for t in people.inbox(who) if t["instance_id"] == iid)


# 第二十一条 — 200万元以上 (200 included, as 第十二条 and the existing routing read it) comes to the city's
# 联合会审; below 200 the county approves and files it

@pytest.mark.parametrize("investment, first", [(199.99, ["CountyApproval"]), (200, ["SubmitNeed"]),
                                               (200.01, ["SubmitNeed"])])
def test_a_county_project_comes_to_the_city_reserve_from_200_wan(people, investment, first):
    iid = people.start("alice", "jiujiang", {"project_name": "修水县智慧政务平台", "project_type": "construction",
                                             "total_investment": investment, "plan_year": 2027, **COUNTY},
                       now=at("2026-05-06 10:00"))
    steps = people.ready(iid)
    if steps == ["CountyScreenNeed"]:
        people.do("cody", iid, "CountyScreenNeed", OK, now=at("2026-05-06 11:00"))
        steps = people.ready(iid)
    assert steps == first


# 第九条、第二十五条 — after the city's 审定 and 启动通知, the county's own bureaus approve a county project

@pytest.mark.parametrize("investment", [200, 200.01])
def test_a_county_project_of_200_wan_or_more_is_approved_by_the_countys_own_bureaus(people, ctx, investment):
    iid = launched(people, ctx, {**COUNTY, "total_investment": investment})
    assert "CountyChooseMerge" in people.ready(iid)
    assert "ChooseMerge" not in people.ready(iid)
    people.do("alice", iid, "CountyChooseMerge", {"merge_documents": False}, now=at("2026-09-22 10:00"))
    people.do("alice", iid, "CountyPrepareProposal", DOCUMENT, now=at("2026-09-23 10:00"))
    assert _titles(people, "xn", iid) == ["CountyApproveProposal", "CountyInvestmentPlan"]   # 县发改委, not 市发改委
    assert _titles(people, "nick", iid) == []
    assert _titles(people, "wu", iid) == []                             # another county's bureau sees nothing
    people.do("xn", iid, "CountyApproveProposal", OK, now=at("2026-09-24 10:00"))
    people.do("alice", iid, "CountyPrepareFeasibility", FEASIBILITY, now=at("2026-09-28 10:00"))
    assert _titles(people, "xd", iid) == ["CountyTechReview"]            # 县数据管理部门's 技术评审
    assert "CountyTechReview" not in _titles(people, "dora", iid)


def test_a_city_project_of_the_same_size_stays_with_the_city_bureaus(people, ctx):
    iid = launched(people, ctx, {"total_investment": 200})
    assert "ChooseMerge" in people.ready(iid)
    assert not any(element.startswith("County") for element in people.ready(iid))


def test_the_county_finance_bureau_approves_the_budget_of_a_county_project(people, ctx):
    iid = launched(people, ctx, {**COUNTY, "total_investment": 300})
    advance(people, iid, "CountyApproveBudget", "2026-09-25 10:00", COUNTY_STEPS)
    assert _titles(people, "xf", iid) == ["CountyApproveBudget"]
    assert "CountyApproveBudget" not in _titles(people, "fay", iid)
    people.do("xf", iid, "CountyApproveBudget", BUDGET_OK, now=at("2026-09-29 10:00"))
    assert "CountyApproveBudget" not in people.ready(iid)


def test_a_county_state_owned_enterprise_is_approved_by_the_county_sasac(people, ctx):
    iid = launched(people, ctx, {**COUNTY, "total_investment": 300, "owner_type": "soe"})
    advance(people, iid, "CountyApproveFeasibilitySasac", "2026-09-25 10:00", COUNTY_STEPS)
    assert _titles(people, "xs", iid) == ["CountyApproveFeasibilitySasac"]
    assert _titles(people, "sam", iid) == []


def test_a_county_bureau_refusing_the_proposal_ends_the_project_unfunded(people, ctx):
    iid = launched(people, ctx, {**COUNTY, "total_investment": 6000, "province_assessed": True})
    people.do("alice", iid, "CountyPrepareProposal", DOCUMENT, now=at("2026-09-23 10:00"))
    people.do("xn", iid, "CountyApproveProposal", {"decision": "reject", "comment": "不符合县级投资计划"},
              now=at("2026-09-24 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "not_approved")


# 第三十二条 — the city accepts its own projects and the county projects it reported to the province
# (限额以上, 第二十三条); the county accepts its other projects (第九条)

def _applying_for_acceptance(people, facts) -> int:
    iid = started_early(people, facts)
    declare = ("alice", {**declaration_for(facts), "service_plan": "实施方案.pdf"})
    advance(people, iid, "Implementation", "2026-01-06 10:00", {**COUNTY_STEPS, "DeclareAnnual": declare})
    people.do("alice", iid, "Implementation", {"as_approved": True, "completed_on": "2026-03-31"},
              now=at("2026-03-31 10:00"))
    tick(people.ctx, at("2026-10-01 00:00:01"))
    people.do("alice", iid, "FinalInspection", {"passed": True, "report": "终验报告.pdf"}, now=at("2026-10-12 10:00"))
    return iid


def _applied_for_acceptance(people, facts) -> int:
    """Applied for acceptance and both 第三十一条 confirmations given by the level that accepts it."""
    iid = _applying_for_acceptance(people, facts)
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-13 10:00"))
    if "CountyDataSharingCheck" in people.ready(iid):
        people.do("xd", iid, "CountyDataSharingCheck", OK, now=at("2026-10-14 10:00"))
        people.do("xc", iid, "CountySecureReliableCheck", OK, now=at("2026-10-14 10:00"))
    else:
        people.do("dora", iid, "DataSharingCheck", OK, now=at("2026-10-14 10:00"))
        people.do("cris", iid, "SecureReliableCheck", OK, now=at("2026-10-14 10:00"))
    return iid


def test_a_county_project_below_the_limit_is_accepted_by_the_county(people):
    iid = _applied_for_acceptance(people, {**COUNTY, "total_investment": 300})
    # 第九条 参照市级做法: the county's 审批部门, 保密机要部门 and 网信部门 each give their opinion
    assert people.ready(iid) == COUNTY_OPINIONS
    assert (_titles(people, "xn", iid), _titles(people, "xc", iid), _titles(people, "xw", iid)) == (
        ["AcceptanceOpinionCountyNdrc"], ["AcceptanceOpinionCountyCrypto"], ["AcceptanceOpinionCountyCac"])
    assert _titles(people, "cris", iid) == _titles(people, "cai", iid) == _titles(people, "nick", iid) == []
    for who, element in [("xn", "AcceptanceOpinionCountyNdrc"), ("xc", "AcceptanceOpinionCountyCrypto"),
                         ("xw", "AcceptanceOpinionCountyCac")]:
        people.do(who, iid, element, OK, now=at("2026-10-15 09:00"))
    assert people.ready(iid) == ["CountyAcceptanceInspection"]
    assert _titles(people, "xd", iid) == ["CountyAcceptanceInspection"]
    assert _titles(people, "dora", iid) == []
    people.do("xd", iid, "CountyAcceptanceInspection", COUNTY_STEPS["CountyAcceptanceInspection"][1],
              now=at("2026-10-15 10:00"))
    # the 6-month self-evaluation counts from the county's acceptance (第三十九条), as for the city's
    assert [(w["name"], w["fires_at"]) for w in people.instance(iid)["waiting"]] == \
        [("WaitOperation", "2027-04-15T23:59:59+08:00")]


def test_a_county_project_the_city_reported_to_the_province_is_accepted_by_the_city(people):
    iid = _applied_for_acceptance(people, {**COUNTY, "total_investment": 600, "province_assessed": True})
    # 第三十二条: the city's acceptance, with the county's 发改委 as the project's approving department
    assert people.ready(iid) == ["AcceptanceOpinionCac", "AcceptanceOpinionCountyNdrc", "AcceptanceOpinionCrypto"]
    assert _titles(people, "xn", iid) == ["AcceptanceOpinionCountyNdrc"]
    assert _titles(people, "nick", iid) == []
    advance(people, iid, "AcceptanceInspection", "2026-10-15 10:00",
            {**COUNTY_STEPS, "AcceptanceOpinionCountyNdrc": ("xn", OK)})
    assert _titles(people, "dora", iid) == ["AcceptanceInspection"]


def test_a_city_project_below_the_limit_is_accepted_by_the_city(people):
    iid = _applied_for_acceptance(people, {"total_investment": 300})
    assert people.ready(iid) == ["AcceptanceOpinionCac", "AcceptanceOpinionCrypto", "AcceptanceOpinionNdrc"]


def _county_opinions_given(people, **answers) -> int:
    """A county project the county accepts, its departments' opinions given (OK unless `answers` says)."""
    iid = _applied_for_acceptance(people, {**COUNTY, "total_investment": 300})
    for who, element in [("xn", "AcceptanceOpinionCountyNdrc"), ("xc", "AcceptanceOpinionCountyCrypto"),
                         ("xw", "AcceptanceOpinionCountyCac")]:
        people.do(who, iid, element, answers.get(element, OK), now=at("2026-10-15 09:00"))
    return iid


COUNTY_INSPECTION = COUNTY_STEPS["CountyAcceptanceInspection"][1]
CAC_REFUSAL = {"decision": "reject", "comment": "未通过网络安全等级保护测评"}


def test_the_countys_data_bureau_sees_each_county_departments_opinion_side_by_side(people):
    from engine.services import views
    iid = _county_opinions_given(people, AcceptanceOpinionCountyCac=CAC_REFUSAL)
    detail = views.task_detail(people.ctx, people.xd, people.task("xd", iid, "CountyAcceptanceInspection")["id"])
    shown = {o["element"]: (o["state"], o["decision"], o["effect"]) for o in detail["opinions"]}
    assert shown["AcceptanceOpinionCountyNdrc"][1:] == ("approve", "overridable")
    assert shown["AcceptanceOpinionCountyCrypto"][1:] == ("approve", "overridable")
    assert shown["AcceptanceOpinionCountyCac"][1:] == ("reject", "overridable")
    assert shown["AcceptanceOpinionCountySasac"][0] == "not_reached"


def test_the_county_passing_an_acceptance_its_cac_refused_must_say_why(people):
    from engine.services import attachments, runtime
    iid = _county_opinions_given(people, AcceptanceOpinionCountyCac=CAC_REFUSAL)
    task = people.task("xd", iid, "CountyAcceptanceInspection")
    answers = attachments.with_placeholders(people.ctx, people.xd, task["id"], COUNTY_INSPECTION)
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.xd, task["id"], answers, now=at("2026-10-16 10:00"))
    assert set(err.value.errors) == {"override_reason"}
    people.do("xd", iid, "CountyAcceptanceInspection", {**COUNTY_INSPECTION, "override_reason": "等保测评已补测通过"},
              now=at("2026-10-16 10:00"))
    [override] = people.instance(iid)["overrides"]
    assert [o["element"] for o in override["overruled"]] == ["AcceptanceOpinionCountyCac"]
    assert override["reason"] == "等保测评已补测通过"


def test_the_county_accepts_without_a_reason_when_every_department_agreed(people):
    iid = _county_opinions_given(people)
    people.do("xd", iid, "CountyAcceptanceInspection", COUNTY_INSPECTION, now=at("2026-10-16 10:00"))
    assert people.instance(iid)["overrides"] == []
    assert "CountyAcceptanceInspection" not in people.ready(iid)


def test_the_county_may_follow_its_crypto_bureaus_refusal(people):
    iid = _county_opinions_given(people, AcceptanceOpinionCountyCrypto={"decision": "reject", "comment": "密评未通过"})
    people.do("xd", iid, "CountyAcceptanceInspection",
              {**COUNTY_INSPECTION, "decision": "reject", "comment": "按县保密机要局意见"}, now=at("2026-10-16 10:00"))
    assert people.instance(iid)["outcome"] == "acceptance_failed"


def test_another_countys_cac_sees_nothing_of_the_countys_acceptance(people):
    iid = _applied_for_acceptance(people, {**COUNTY, "total_investment": 300})
    assert _titles(people, "ww", iid) == []
    assert _titles(people, "xw", iid) == ["AcceptanceOpinionCountyCac"]


# 第二十四条 with 第九条 — the county's own 发改委 puts a county project into the county's investment plan and
# its 财政局 arranges the budget; the city's bureaus do so for city projects

@pytest.mark.parametrize("investment", [200, 600])
def test_the_countys_bureaus_plan_and_budget_a_county_project(people, ctx, investment):
    iid = launched(people, ctx, {**COUNTY, "total_investment": investment, "province_assessed": True})
    ready = people.ready(iid)
    assert {"CountyInvestmentPlan", "CountyArrangeBudget"} <= set(ready)
    assert not {"InvestmentPlan", "ArrangeBudget"} & set(ready)
    assert "CountyInvestmentPlan" in _titles(people, "xn", iid)
    assert _titles(people, "xf", iid) == ["CountyArrangeBudget"]
    assert _titles(people, "nick", iid) == [] and _titles(people, "fay", iid) == []
    assert _titles(people, "wu", iid) == []                            # another county's 发改委


def test_the_citys_bureaus_plan_and_budget_a_city_project(people, ctx):
    iid = launched(people, ctx, {"total_investment": 200})
    assert {"InvestmentPlan", "ArrangeBudget"} <= set(people.ready(iid))
    assert _titles(people, "nick", iid) == ["InvestmentPlan"] and _titles(people, "fay", iid) == ["ArrangeBudget"]
    assert _titles(people, "xn", iid) == [] and _titles(people, "xf", iid) == []


def test_the_county_plan_and_budget_hold_up_what_follows_the_approvals_like_the_citys(people, ctx):
    iid = launched(people, ctx, {**COUNTY, "total_investment": 300})
    chain = {k: v for k, v in COUNTY_STEPS.items() if k not in ("CountyInvestmentPlan", "CountyArrangeBudget")}
    advance(people, iid, "CountyApproveBudget", "2026-09-25 10:00", chain)
    people.do("xf", iid, "CountyApproveBudget", BUDGET_OK, now=at("2026-09-29 10:00"))
    assert people.ready(iid) == ["CountyArrangeBudget", "CountyInvestmentPlan"]
    people.do("xn", iid, "CountyInvestmentPlan", COUNTY_STEPS["CountyInvestmentPlan"][1], now=at("2026-09-29 10:00"))
    assert people.ready(iid) == ["CountyArrangeBudget"]
    people.do("xf", iid, "CountyArrangeBudget", COUNTY_STEPS["CountyArrangeBudget"][1], now=at("2026-09-29 10:00"))
    assert people.ready(iid) == ["ProvincialFiling"]                   # 第二十三条: 限额以下, filed after 立项


# 第三十一条 with 第九条 — a county project the county accepts applies to the county's 数据管理部门, which
# confirms the data sharing; the county's 保密机要局 confirms 安全可靠 and 密码应用. The city confirms for the
# projects it accepts itself (第三十二条第二款)

def test_the_countys_bureaus_confirm_the_checks_of_a_project_the_county_accepts(people):
    iid = _applying_for_acceptance(people, {**COUNTY, "total_investment": 300})
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-13 10:00"))
    assert people.ready(iid) == ["CountyDataSharingCheck", "CountySecureReliableCheck"]
    assert _titles(people, "xd", iid) == ["CountyDataSharingCheck"]
    assert _titles(people, "xc", iid) == ["CountySecureReliableCheck"]
    assert _titles(people, "dora", iid) == [] and _titles(people, "cris", iid) == []


def test_the_citys_bureaus_confirm_the_checks_of_a_county_project_the_city_accepts(people):
    iid = _applying_for_acceptance(people, {**COUNTY, "total_investment": 600, "province_assessed": True})
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-13 10:00"))
    assert people.ready(iid) == ["DataSharingCheck", "SecureReliableCheck"]
    assert _titles(people, "xd", iid) == [] and _titles(people, "xc", iid) == []


@pytest.mark.parametrize("failing", ["CountyDataSharingCheck", "CountySecureReliableCheck"])
def test_a_check_the_county_fails_means_no_acceptance_and_no_om_funds(people, failing):
    iid = _applying_for_acceptance(people, {**COUNTY, "total_investment": 300})
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-13 10:00"))
    for who, element in (("xd", "CountyDataSharingCheck"), ("xc", "CountySecureReliableCheck")):
        answer = {"decision": "reject", "comment": "未按要求共享数据"} if element == failing else OK
        people.do(who, iid, element, answer, now=at("2026-10-14 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "precheck_failed")


@pytest.mark.parametrize("facts, reviewer, element", [
    ({**COUNTY, "total_investment": 300}, "xd", "CountyExtensionReview"),
    ({**COUNTY, "total_investment": 600, "province_assessed": True}, "dora", "ExtensionReview")])
def test_an_extension_is_asked_of_the_level_that_accepts_the_project(people, facts, reviewer, element):
    iid = _applying_for_acceptance(people, facts)
    people.do("alice", iid, "AcceptanceApplication", {"mode": "extension", "extension_reason": "等保测评尚未完成",
                                                      "requested_date": "2026-12-15"}, now=at("2026-10-13 10:00"))
    assert people.ready(iid) == [element]
    people.do(reviewer, iid, element, {"decision": "approve", "extended_until": "2026-12-15"},
              now=at("2026-10-14 10:00"))
    assert people.ready(iid) == ["AcceptanceApplication"]
    [row] = people.ready_rows(iid)
    assert local_day(row.due_at) == date(2026, 12, 15)


def test_a_city_applicant_is_no_county(people):
    iid = started(people, {"project_name": "九江市平台", "project_type": "construction", "total_investment": 300,
                           "plan_year": 2027}, now=at("2026-05-06 10:00"))
    assert people.instance(iid)["status"] == "running"


def test_the_demo_county_project_waits_on_the_countys_technical_review(ctx):
    from sqlalchemy import select

    from engine.models import HumanTask, ProcessInstance
    from web.demo import run_demo
    list(run_demo(ctx))
    with ctx.db.transaction() as session:
        inst = session.scalars(select(ProcessInstance).where(
            ProcessInstance.project_name == "修水县智慧政务服务平台")).one()
        ready = sorted(t.element_id for t in session.scalars(select(HumanTask).where(
            HumanTask.instance_id == inst.id, HumanTask.completed_at.is_(None))))
    assert "CountyTechReview" in ready


# 第九条、第二十一条、第二十五条 — a county has many departments: the county project goes to the county it is
# declared for (the start fact `county`; a county declaring for itself needs not name it), whichever unit
# declares it, and that county screens it first (第十二条、第十七条), which confirms it is the county's

def _declared_by(ctx, unit: str) -> Personas:
    return Personas(ctx, "jiujiang", {**COUNTY_PEOPLE, "alice": (unit, ["applicant"]),
                                      "wc": ("武宁县", ["county"])})


def test_a_county_department_of_its_own_is_approved_by_its_countys_bureaus(ctx):
    people = _declared_by(ctx, "修水县教育局")          # one of the county's departments, a unit of its own
    iid = launched(people, ctx, {**COUNTY, "total_investment": 300})
    assert "CountyInvestmentPlan" in _titles(people, "xn", iid)
    assert _titles(people, "xf", iid) == ["CountyArrangeBudget"]
    assert _titles(people, "alice", iid) == ["CountyChooseMerge"]       # the department's own steps
    assert _titles(people, "wu", iid) == []


def test_a_county_project_declared_by_a_city_unit_goes_to_the_declared_countys_bureaus(ctx):
    people = _declared_by(ctx, "九江市教育局")
    iid = launched(people, ctx, {**COUNTY, "total_investment": 300})
    assert "CountyInvestmentPlan" in _titles(people, "xn", iid)
    assert _titles(people, "wu", iid) == []


def test_another_countys_project_goes_to_that_countys_screening_and_bureaus(ctx):
    people = _declared_by(ctx, "九江市教育局")
    iid = started(people, {"project_name": "武宁县智慧政务平台", "project_type": "construction",
                           "total_investment": 300, "plan_year": 2027, "level": "county", "county": "武宁县"},
                  now=at("2026-05-06 10:00"))
    assert people.ready(iid) == ["SubmitNeed"]
    people.do("alice", iid, "SubmitNeed", {"goals": "一网通办", "main_content": "政务服务平台",
                                           "technical_route": "政务云", "estimate": 300, "not_split": True},
              now=at("2026-05-07 10:00"))
    assert people.ready(iid) == ["CountyScreenNeed"]
    assert _titles(people, "wc", iid) == ["CountyScreenNeed"]          # 武宁县 screens its own
    assert _titles(people, "cody", iid) == []                          # 修水县 does not


def test_a_county_declaring_for_itself_needs_not_name_the_county(people):
    iid = people.start("alice", "jiujiang", {"project_name": "修水县智慧政务平台", "project_type": "construction",
                                             "total_investment": 300, "plan_year": 2027, "level": "county"},
                       now=at("2026-05-06 10:00"))
    assert people.instance(iid)["data"]["county"] == "修水县"


def test_a_county_project_declared_by_a_city_unit_must_name_its_county(people):
    with pytest.raises(ValidationFailed) as err:
        people.start("city", "jiujiang", {"project_name": "修水县智慧政务平台", "project_type": "construction",
                                          "total_investment": 300, "plan_year": 2027, "level": "county"},
                     now=at("2026-05-06 10:00"))
    assert set(err.value.errors) == {"county"}


# 第二十七条 with 第九条 — the county arranged the funds (第二十四条 above), so its 数据管理部门 determines an
# owner's 30 working days of delay on a county project; the city's determines the city's

@pytest.mark.parametrize("facts, who, element", [
    ({**COUNTY, "total_investment": 6000, "province_assessed": True}, "xd", "CountyDelayDetermination"),
    ({"total_investment": 6000, "province_assessed": True}, "dora", "DelayDetermination")])
def test_the_delay_of_a_county_project_is_determined_by_the_countys_data_bureau(people, ctx, facts, who, element):
    iid = launched(people, ctx, facts)
    tick(ctx, at("2026-12-15 10:00"))                  # the proposal, due 15 October, 30 working days late
    assert element in people.ready(iid)
    assert element in _titles(people, who, iid)
    people.do(who, iid, element, {"decision": "reject", "comment": "因业主原因延后", "delayed_step": "项目建议书",
                                  "owner_caused": True}, now=at("2026-12-15 11:00"))
    assert people.instance(iid)["outcome"] == "delayed_no_funding"
