"""宿迁市市级信息化项目管理办法: 申报 (第十二至十四条), 初审 (第十五条 with 第六、八、九、十四条), 预审 (第十六、
十七条), 预算 (第十七条), 市政府同意 and 年度清单 (第十八条)."""
from datetime import date

import pytest

from engine.clock import SHANGHAI
from engine.errors import ValidationFailed
from engine.services import views
from tests.conftest import at
from tests.test_suqian_support import ANSWERS, ATTESTED, DECLARE, FACTS, OK, REJECT, RETURN, advance, declared, personas


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _due_day(people, iid, element):
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at.astimezone(SHANGHAI).date() if row.due_at else None


def _ended(people, iid):
    inst = people.instance(iid)
    return inst["status"], inst["outcome"], inst["outcome_label"], inst["outcome_reason"]


def _registered_with(people, **review):
    iid = declared(people)
    people.do("dora", iid, "RegisterReview", {"decision": "approve", **ATTESTED, **review}, now=at("2026-10-10 10:00"))
    return iid


# 第十二条 — 每年9月底前提交下一年度项目建设计划；未在申报期内申报的，不列入年度清单

def test_it_refuses_a_declaration_after_30_september_naming_the_deadline_and_the_next_open_year(people):
    with pytest.raises(ValidationFailed) as err:
        people.start("ann", "suqian", FACTS, now=at("2026-10-01 08:00"))
    assert "2026年9月30日" in err.value.detail and "2028" in err.value.detail
    assert err.value.extra == {"deadline": "2026-09-30", "next_open_year": 2028}
    assert "plan_year" in err.value.errors


def test_it_accepts_a_declaration_on_30_september(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-09-30 23:30"))
    assert people.ready(iid) == ["Declare"]


def test_it_defaults_the_plan_year_to_the_first_open_year(people):
    before = people.start("ann", "suqian", {**FACTS, "plan_year": None}, now=at("2026-09-30 12:00"))
    after = people.start("ann", "suqian", {**FACTS, "plan_year": None}, now=at("2026-10-01 12:00"))
    assert people.instance(before)["data"]["plan_year"] == 2027
    assert people.instance(after)["data"]["plan_year"] == 2028


def test_it_accepts_a_project_the_state_or_province_requires_this_year_after_the_deadline(people):
    iid = people.start("ann", "suqian", {**FACTS, "plan_year": 2026, "mandated_this_year": True},
                       now=at("2026-11-02 09:00"))
    assert people.ready(iid) == ["Declare"]
    assert _due_day(people, iid, "Declare") is None
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-11-03 09:00"))
    assert people.ready(iid) == ["ConfirmMandate"]
    assert people.task("dora", iid, "ConfirmMandate")["role"] == "data_bureau"
    people.do("dora", iid, "ConfirmMandate", MANDATE_HOLDS, now=at("2026-11-04 09:00"))
    assert people.ready(iid) == ["RegisterReview"]


MANDATE_HOLDS = {"mandated_this_year_holds": "yes", "comment": "苏政办发〔2026〕8号要求当年建成"}
MANDATE_FAILS = {"mandated_this_year_holds": "no", "comment": "所附文件为市级工作要点，非国家、省要求"}


def test_the_data_bureau_not_the_applicant_decides_that_the_state_or_province_requires_it_this_year(people):
    """第十二条: the exemption is an office's finding — a late project whose claim 市数据局 finds untrue
    is not listed."""
    iid = people.start("ann", "suqian", {**FACTS, "plan_year": 2026, "mandated_this_year": True},
                       now=at("2026-11-02 09:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-11-03 09:00"))
    people.do("dora", iid, "ConfirmMandate", MANDATE_FAILS, now=at("2026-11-04 09:00"))
    status, outcome, _label, reason = _ended(people, iid)
    assert (status, outcome) == ("terminated", "not_listed")
    assert reason.startswith("经市数据局核实，不属于国家、省有明确建设要求且必须在当年实施的项目")
    assert "第十二条" in reason
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "mandated_this_year"]
    assert (fact["claimed"], fact["confirmed"]) == (True, False)


def test_it_asks_no_confirmation_of_a_claimed_requirement_when_the_project_is_declared_in_time(people):
    iid = people.start("ann", "suqian", {**FACTS, "mandated_this_year": True}, now=at("2026-09-20 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-09-30 09:00"))
    assert people.ready(iid) == ["RegisterReview"]


def test_it_refuses_a_late_project_that_is_only_urgent_or_required_by_the_city(people):
    """第十二条 names 国家、省 only: a 市 requirement or urgency (第二十条's `urgent`) does not lift the deadline."""
    with pytest.raises(ValidationFailed) as err:
        people.start("ann", "suqian", {**FACTS, "plan_year": 2026, "urgent": True}, now=at("2026-11-02 09:00"))
    assert "国家、省有明确建设要求且必须在当年实施" in err.value.detail
    assert err.value.extra == {"deadline": "2025-09-30", "next_open_year": 2028}


def test_it_does_not_list_late_materials_of_a_project_that_is_only_urgent(people):
    iid = people.start("ann", "suqian", {**FACTS, "urgent": True}, now=at("2026-09-20 10:00"))
    assert _due_day(people, iid, "Declare") == date(2026, 9, 30)
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-10-01 09:00"))
    assert _ended(people, iid)[1] == "not_listed"


def test_it_lists_late_materials_of_a_project_the_state_or_province_requires_this_year(people):
    iid = people.start("ann", "suqian", {**FACTS, "mandated_this_year": True}, now=at("2026-09-20 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-10-01 09:00"))
    assert people.ready(iid) == ["ConfirmMandate"]
    people.do("dora", iid, "ConfirmMandate", MANDATE_HOLDS, now=at("2026-10-02 09:00"))
    assert people.ready(iid) == ["RegisterReview"]


def test_it_gives_the_declaration_the_30_september_deadline(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-08-01 10:00"))
    assert _due_day(people, iid, "Declare") == date(2026, 9, 30)


def test_it_does_not_list_a_project_whose_materials_arrive_after_30_september(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-09-20 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-10-01 09:00"))
    status, outcome, label, reason = _ended(people, iid)
    assert (status, outcome, label) == ("terminated", "not_listed", "未在申报期内申报，不列入年度清单")
    assert "2026-09-30" in reason and "第十二条" in reason


def test_it_registers_materials_submitted_on_30_september(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-09-20 10:00"))
    people.do("ann", iid, "Declare", DECLARE, now=at("2026-09-30 23:00"))
    assert people.ready(iid) == ["RegisterReview"]


def test_it_asks_for_the_data_sharing_and_security_analyses(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-08-01 10:00"))
    incomplete = {k: v for k, v in DECLARE.items() if k not in ("data_sharing_analysis", "security_analysis")}
    with pytest.raises(ValidationFailed) as err:
        people.do("ann", iid, "Declare", incomplete, now=at("2026-08-02 10:00"))
    assert set(err.value.errors) == {"data_sharing_analysis", "security_analysis"}


def test_it_asks_for_a_reason_when_the_project_requests_decentralized_construction(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-08-01 10:00"))
    with pytest.raises(ValidationFailed) as err:
        people.do("ann", iid, "Declare", {**DECLARE, "decentralized_request": True}, now=at("2026-08-02 10:00"))
    assert "decentralized_reason" in err.value.errors


# 第十三条 — 市属学校、医院等由行业主管部门审核把关后统一申报

def test_it_sends_school_and_hospital_projects_to_the_industry_authority_first(people):
    iid = people.start("hugh", "suqian", {**FACTS, "industry_managed": True}, now=at("2026-08-01 10:00"))
    people.do("hugh", iid, "Declare", DECLARE, now=at("2026-08-05 10:00"))
    assert people.ready(iid) == ["IndustryReview"]
    assert people.inbox("dora") == []
    assert _due_day(people, iid, "IndustryReview") == date(2026, 9, 30)
    people.do("ian", iid, "IndustryReview", OK, now=at("2026-08-20 10:00"))
    assert people.ready(iid) == ["RegisterReview"]


def test_it_lets_the_industry_authority_return_the_declaration(people):
    iid = people.start("hugh", "suqian", {**FACTS, "industry_managed": True}, now=at("2026-08-01 10:00"))
    people.do("hugh", iid, "Declare", DECLARE, now=at("2026-08-05 10:00"))
    people.do("ian", iid, "IndustryReview", RETURN, now=at("2026-08-06 10:00"))
    assert people.ready(iid) == ["Declare"]
    detail = views.task_detail(people.ctx, people.hugh, people.task("hugh", iid, "Declare")["id"])
    assert [(r["step"], r["comment"]) for r in detail["returns"]] == [("行业主管部门审核把关", "请补充完善")]


def test_it_ends_a_project_the_industry_authority_will_not_declare(people):
    iid = people.start("hugh", "suqian", {**FACTS, "industry_managed": True}, now=at("2026-08-01 10:00"))
    people.do("hugh", iid, "Declare", DECLARE, now=at("2026-08-05 10:00"))
    people.do("ian", iid, "IndustryReview", REJECT, now=at("2026-08-06 10:00"))
    assert _ended(people, iid) == ("terminated", "not_declared", "行业主管部门审核未通过，未统一申报", "不符合要求")


def test_it_does_not_list_a_hospital_project_the_authority_declares_after_30_september(people):
    iid = people.start("hugh", "suqian", {**FACTS, "industry_managed": True}, now=at("2026-09-01 10:00"))
    people.do("hugh", iid, "Declare", DECLARE, now=at("2026-09-25 10:00"))
    people.do("ian", iid, "IndustryReview", OK, now=at("2026-10-08 10:00"))
    assert _ended(people, iid)[1] == "not_listed"


# 第十五条 — 市数据局接收、登记、初审，不符合项目申报要求的不予登记 (gates of 第六、八、九、十四条)

@pytest.mark.parametrize("review, article", [
    ({"materials_complete": False}, "第十四条"),
    ({"plan_requirements_met": False}, "第十四条"),
    ({"prohibited_content": ["machine_room"]}, "新建或扩建机房"),
    ({"prohibited_content": ["video_conference"]}, "采购视频会议系统"),
    ({"access_ready": False}, "第八条"),
    ({"data_sharing_ready": False}, "第九条"),
    ({"follows_failed_system": True}, "第六条"),
])
def test_it_does_not_register_a_declaration_that_fails_a_requirement(people, review, article):
    iid = _registered_with(people, **review)
    status, outcome, label, reason = _ended(people, iid)
    assert (status, outcome, label) == ("terminated", "not_registered", "不符合项目申报要求，不予登记")
    assert article in reason


def test_it_does_not_register_a_new_mobile_app(people):
    iid = declared(people, new_mobile_app=True)
    people.do("dora", iid, "RegisterReview", {**OK, **ATTESTED}, now=at("2026-10-10 10:00"))
    assert "新建APP" in _ended(people, iid)[3]


def test_it_refuses_a_non_classified_system_off_the_government_cloud(people):
    iid = people.start("ann", "suqian", FACTS, now=at("2026-08-01 10:00"))
    people.do("ann", iid, "Declare", {**DECLARE, "uses_government_cloud": False}, now=at("2026-08-02 10:00"))
    people.do("dora", iid, "RegisterReview", {**OK, **ATTESTED}, now=at("2026-10-10 10:00"))
    assert "政务云" in _ended(people, iid)[3]


def test_it_lets_a_classified_system_stay_off_the_government_cloud(people):
    iid = people.start("ann", "suqian", {**FACTS, "is_classified": True}, now=at("2026-08-01 10:00"))
    people.do("ann", iid, "Declare", {**DECLARE, "uses_government_cloud": False,
                                      "classified_split": "涉密部分单独部署"}, now=at("2026-08-02 10:00"))
    people.do("dora", iid, "RegisterReview", {**OK, **ATTESTED}, now=at("2026-10-10 10:00"))
    assert people.ready(iid) == ["PreReview"]


def test_it_records_the_data_bureaus_own_reason_for_refusing_registration(people):
    iid = _registered_with(people, decision="reject", comment="申报表未加盖公章")
    assert _ended(people, iid)[1:] == ("not_registered", "不符合项目申报要求，不予登记", "申报表未加盖公章")


def test_a_department_declares_a_second_construction_project_only_with_a_recorded_reason(people):
    refused = _registered_with(people, other_construction_projects=True)
    assert "同一部门不得同时申报多个建设类项目" in _ended(people, refused)[3]
    allowed = _registered_with(people, other_construction_projects=True,
                               multiple_projects_reason="省厅统一部署的两个系统，无法整合")
    assert people.ready(allowed) == ["PreReview"]


# 第十六、十七条 — 预审；未通过的，市财政局不予安排项目预算

def test_it_refuses_budget_to_a_project_that_fails_the_prereview(people):
    iid = _registered_with(people)
    people.do("pete", iid, "PreReview", {"decision": "reject", "comment": "与市一体化平台功能重复"},
              now=at("2026-10-20 10:00"))
    assert _ended(people, iid) == ("terminated", "prereview_failed", "预审未通过，市财政局不予安排项目预算",
                                   "与市一体化平台功能重复")


def test_it_has_finance_and_the_data_bureau_propose_the_budget_after_the_prereview(people):
    iid = _registered_with(people)
    people.do("pete", iid, "PreReview", OK, now=at("2026-10-20 10:00"))
    order = []
    while "GovernmentApproval" not in people.ready(iid):
        [row] = people.ready_rows(iid)
        order.append((row.element_id, row.role_key))
        who, data = ANSWERS[row.element_id]
        people.do(who, iid, row.element_id, data, now=at("2026-11-02 10:00"))
    assert order == [("BudgetDeclaration", "applicant"), ("FundReview", "finance"), ("BudgetConsult", "data_bureau"),
                     ("BudgetProposal", "finance")]


def test_it_ends_a_project_finance_does_not_budget(people):
    iid = declared(people)
    advance(people, iid, "BudgetProposal", "2026-11-01 10:00")
    people.do("fay", iid, "BudgetProposal", {"arranged": False, "arranged_amount": 0, "comment": "财力不足，暂缓"},
              now=at("2026-11-10 10:00"))
    assert _ended(people, iid) == ("terminated", "not_budgeted", "未落实财政预算", "财力不足，暂缓")


# 第十八条 — 已落实预算的项目报经市政府同意后纳入年度清单

def test_it_ends_a_project_the_government_does_not_approve(people):
    iid = declared(people)
    advance(people, iid, "GovernmentApproval", "2026-11-01 10:00")
    people.do("gus", iid, "GovernmentApproval", REJECT, now=at("2026-12-01 10:00"))
    assert _ended(people, iid)[:3] == ("terminated", "not_in_plan", "市政府未同意，未纳入年度清单")


def test_it_lists_the_project_once_the_government_approves(people):
    iid = declared(people)
    advance(people, iid, "AnnualList", "2026-11-01 10:00")
    assert people.task("dora", iid, "AnnualList")["role"] == "data_bureau"
    people.do("dora", iid, "AnnualList", {"list_year": 2027, "list_no": "宿数清〔2027〕1号"},
              now=at("2026-12-20 10:00"))
    assert people.ready(iid) == ["SchemeReview"]
