"""淮安 机制三.1 / 附件1三.2: the yearly capital increase of the city data group — 市交投集团 drafts, 市国资委 with
市财政局 review, 市交投集团 submits to 市政府, then 市财政局 编列预算 ∥ 市国资委 审批章程.
The increase is based on the year's 资金投入 that 市财政局 confirms (附件1三.1–三.2),
not on the amount 市交投集团 states."""
import pytest

from engine.errors import PermissionDenied, ValidationFailed
from engine.models import HumanTask
from engine.services import runtime, views
from tests.conftest import at
from tests.support import PASSWORD
from tests.test_huaian_support import OK, RETURN, personas, started
from tests.web.helpers import form_token

FACTS = {"funding_year": 2027, "injection_amount": 5000}
DRAFT = {"amount": 5000, "purpose": "2027年度市级政务信息化项目建设", "plan": "增资方案.pdf"}
REVIEWS = [("sara", "ReviewSasac"), ("fred", "ReviewFinance")]
CONFIRMED = {"injection_amount_holds": "yes", "basis": "2027年度概算评审结果"}


def _reviewed(people, estimate, plan_year=2027) -> int:
    """A project of `plan_year` whose 概算评审 (huaian.bpmn BudgetReview, 市财政局) fixed `estimate` 万元."""
    iid = started(people, "BudgetReview", now="2026-11-01 10:00",
                  project_name=f"{plan_year}年度项目（{estimate}万元）", plan_year=plan_year)
    people.do("fred", iid, "BudgetReview", {"approved_estimate": estimate, "comment": "核定"},
              now=at("2026-11-01 10:30"))
    return iid


@pytest.fixture
def people(ctx):
    """附件1三.1: the year's 资金投入 is fixed on the 概算评审 of the year's projects: 3000 + 2000 for 2027."""
    people = personas(ctx)
    _reviewed(people, 3000)
    _reviewed(people, 2000)
    return people


def _drafted(people):
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    people.do("fred", iid, "ConfirmFunds", CONFIRMED, now=at("2026-11-03 10:00"))
    people.do("tom", iid, "DraftIncrease", DRAFT, now=at("2026-11-05 10:00"))
    return iid


# 附件1三.1–三.2、机制三.1 — 市财政局依据概算评审结果确定年度资金投入；市交投集团依据该额度拟定增资方案

def test_finance_confirms_the_years_funds_before_the_transport_group_drafts_the_increase(people):
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    assert people.ready(iid) == ["ConfirmFunds"]
    assert people.task("fred", iid, "ConfirmFunds")["role"] == "finance"
    with pytest.raises(ValidationFailed) as err:
        people.do("fred", iid, "ConfirmFunds", {"injection_amount_holds": "no"}, now=at("2026-11-03 10:00"))
    assert "injection_amount_corrected" in err.value.errors
    people.do("fred", iid, "ConfirmFunds", CONFIRMED, now=at("2026-11-03 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]


def test_an_increase_of_the_confirmed_amount_goes_to_review(people):
    iid = _drafted(people)
    assert people.ready(iid) == ["ReviewFinance", "ReviewSasac"]


def test_an_increase_on_the_stated_amount_is_sent_back_when_finance_confirmed_less(people):
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    people.do("fred", iid, "ConfirmFunds", {"injection_amount_holds": "no", "injection_amount_corrected": 4200,
                                            "comment": "按概算评审结果核减"}, now=at("2026-11-03 10:00"))
    people.do("tom", iid, "DraftIncrease", DRAFT, now=at("2026-11-05 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]
    people.do("tom", iid, "DraftIncrease", {**DRAFT, "amount": 4200.0}, now=at("2026-11-06 10:00"))
    assert people.ready(iid) == ["ReviewFinance", "ReviewSasac"]
    [fact] = [f for f in people.instance(iid)["facts"] if f["key"] == "injection_amount"]
    assert (fact["claimed"], fact["confirmed"]) == (5000, 4200)


def test_an_increase_below_the_confirmed_funds_is_sent_back_too(people):
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    people.do("fred", iid, "ConfirmFunds", CONFIRMED, now=at("2026-11-03 10:00"))
    people.do("tom", iid, "DraftIncrease", {**DRAFT, "amount": 4999}, now=at("2026-11-05 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]


def test_a_year_started_without_an_amount_gets_it_from_finance(people):
    iid = people.start("tom", "huaian.annual_funding", {"funding_year": 2027}, now=at("2026-09-01 10:00"))
    people.do("fred", iid, "ConfirmFunds", {"injection_amount_holds": "yes"}, now=at("2026-11-03 10:00"))
    people.do("tom", iid, "DraftIncrease", DRAFT, now=at("2026-11-05 10:00"))
    assert people.ready(iid) == ["ConfirmFunds"]
    people.do("fred", iid, "ConfirmFunds", {"injection_amount_holds": "no", "injection_amount_corrected": 5000},
              now=at("2026-11-06 10:00"))
    people.do("tom", iid, "DraftIncrease", DRAFT, now=at("2026-11-07 10:00"))
    assert people.ready(iid) == ["ReviewFinance", "ReviewSasac"]


def test_only_the_transport_group_starts_the_capital_increase(people):
    people.deploy("huaian.annual_funding")
    with pytest.raises(PermissionDenied):
        runtime.start_instance(people.ctx, people.amy, "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))


def test_sasac_and_finance_review_the_plan_at_the_same_time(people):
    iid = _drafted(people)
    assert people.ready(iid) == ["ReviewFinance", "ReviewSasac"]
    assert people.task("sara", iid, "ReviewSasac")["role"] == "sasac"
    assert people.task("fred", iid, "ReviewFinance")["role"] == "finance"


@pytest.mark.parametrize("returning", ["ReviewSasac", "ReviewFinance"])
def test_either_reviewer_sends_the_plan_back_and_both_review_again(people, returning):
    iid = _drafted(people)
    for who, element in REVIEWS:
        people.do(who, iid, element, RETURN if element == returning else OK, now=at("2026-11-10 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]
    people.do("tom", iid, "DraftIncrease", {**DRAFT, "revision_note": "已调整用途"}, now=at("2026-11-12 10:00"))
    assert people.ready(iid) == ["ReviewFinance", "ReviewSasac"]
    other = next(element for _, element in REVIEWS if element != returning)
    people.do(dict((e, w) for w, e in REVIEWS)[other], iid, other, OK, now=at("2026-11-13 10:00"))
    assert people.ready(iid) == [returning]


def test_the_government_decides_then_finance_budgets_while_sasac_approves_the_charter(people):
    iid = _drafted(people)
    for who, element in REVIEWS:
        people.do(who, iid, element, OK, now=at("2026-11-10 10:00"))
    assert people.ready(iid) == ["SubmitToGovernment"]
    people.do("tom", iid, "SubmitToGovernment", {"submitted_on": "2026-11-15"}, now=at("2026-11-15 10:00"))
    people.do("gov", iid, "GovernmentDecision", RETURN, now=at("2026-11-20 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]
    people.do("tom", iid, "DraftIncrease", DRAFT, now=at("2026-11-21 10:00"))
    for who, element in REVIEWS:
        people.do(who, iid, element, OK, now=at("2026-11-22 10:00"))
    people.do("tom", iid, "SubmitToGovernment", {"submitted_on": "2026-11-23"}, now=at("2026-11-23 10:00"))
    people.do("gov", iid, "GovernmentDecision", OK, now=at("2026-11-25 10:00"))
    assert people.ready(iid) == ["ApproveCharter", "CompileBudget"]
    people.do("sara", iid, "ApproveCharter", {"charter_approved": True}, now=at("2026-11-26 10:00"))
    people.do("fred", iid, "CompileBudget", {"budget_amount": 5000, "budget_year": 2027}, now=at("2026-11-27 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["project_name"]) == ("completed", "completed", "市数据集团年度增资")


def test_it_starts_next_years_capital_increase_every_september_on_schedule(ctx):
    """附件1 三.2: the yearly 增资 is started by the configured schedule, once a year."""
    from engine.services.timers import tick
    from tests.test_huaian_support import HUAIAN_PEOPLE, personas
    people = personas(ctx)
    people.deploy("huaian.annual_funding")
    starter = next(name for name, (_unit, roles) in HUAIAN_PEOPLE.items() if "transport_group" in roles)
    assert getattr(people, starter)
    tick(ctx, at("2026-08-01 10:00"))
    started = [f for f in tick(ctx, at("2026-09-01 09:00:05")) if f.kind == "schedule"]
    assert len(started) == 1
    assert [f for f in tick(ctx, at("2026-09-02 09:00")) if f.kind.startswith("schedule")] == []
    inst = people.instance(started[0].instance_id, who=starter)
    assert inst["process"] == "huaian.annual_funding" and inst["data"]["funding_year"] == 2027
    assert [t["name"] for t in inst["active_tasks"]] == ["ConfirmFunds"]


# 附件1三.1 — 市财政局依据概算评审结果确定年度资金投入: the year's reviewed 概算 beside the claim, and no more

def test_finance_sees_the_reviewed_estimates_of_the_years_projects_beside_the_claim(people):
    _reviewed(people, 900, plan_year=2028)                     # another year's project is listed with its year
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    detail = views.task_detail(people.ctx, people.fred, people.task("fred", iid, "ConfirmFunds")["id"])
    [records] = detail["records"]
    assert (records["element"], records["title"]) == ("BudgetReview", "概算评审")
    assert sorted((r["plan_year"], r["values"][0]["value"]) for r in records["rows"]) == [
        (2027, 2000), (2027, 3000), (2028, 900)]
    assert records["rows"][0]["values"][0]["label"] == "评审核定概算"


def _confirming(people, terminate_one=False) -> dict:
    """The 2027 funding at ConfirmFunds; 3000 + 2000 reviewed for 2027 (the fixture) and 900 for 2028.
    With `terminate_one`, a third 2027 project reviewed at 1000 was terminated."""
    if terminate_one:
        dropped = _reviewed(people, 1000)
        runtime.terminate_instance(people.ctx, people.mona, dropped, "需求单位撤回", now=at("2026-11-01 10:40"))
    _reviewed(people, 900, plan_year=2028)
    iid = people.start("tom", "huaian.annual_funding", FACTS, now=at("2026-11-01 10:00"))
    return people.task("fred", iid, "ConfirmFunds")


def _refusal(people, task, answers) -> dict:
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fred, task["id"], {**answers, "basis": "2027年度概算评审结果"},
                              now=at("2026-11-03 10:00"))
    assert people.task("fred", task["instance_id"], "ConfirmFunds")        # still to do
    return err.value.errors


def test_finance_cannot_confirm_more_than_the_years_reviewed_estimates(people):
    task = _confirming(people, terminate_one=True)          # 2027: 3000 + 2000 count; 1000 terminated, 900 is 2028
    too_much = "确定的注资额度5000.01万元超过2027年度项目概算评审核定合计5000万元，须依据概算评审结果确定（附件1三.1）"
    assert _refusal(people, task, {"injection_amount_holds": "no", "injection_amount_corrected": 5000.01}) == {
        "injection_amount_corrected": too_much}
    people.do("fred", task["instance_id"], "ConfirmFunds",
              {"injection_amount_holds": "no", "injection_amount_corrected": 5000}, now=at("2026-11-03 10:00"))
    assert people.ready(task["instance_id"]) == ["DraftIncrease"]


def test_finance_cannot_find_true_a_claim_above_the_years_reviewed_estimates(people):
    _reviewed(people, 900, plan_year=2028)
    iid = people.start("tom", "huaian.annual_funding", {**FACTS, "injection_amount": 5900},
                       now=at("2026-11-01 10:00"))
    task = people.task("fred", iid, "ConfirmFunds")
    errors = _refusal(people, task, {"injection_amount_holds": "yes"})
    assert set(errors) == {"injection_amount_holds"} and "5900" in errors["injection_amount_holds"]
    people.do("fred", iid, "ConfirmFunds", {"injection_amount_holds": "no", "injection_amount_corrected": 4200,
                                            "comment": "合理确定，低于评审合计"}, now=at("2026-11-03 10:00"))
    assert people.ready(iid) == ["DraftIncrease"]        # less than reviewed: 合理确定 is finance's


def test_finances_task_page_shows_the_stated_amount_as_a_claim_to_confirm(app, ctx, people):
    iid = people.start("tom", "huaian.annual_funding", {**FACTS, "injection_basis": "淮财预〔2026〕12号"},
                       now=at("2026-11-01 10:00"))
    with ctx.db.transaction() as session:
        task_id = session.query(HumanTask.id).filter(HumanTask.instance_id == iid,
                                                     HumanTask.element_id == "ConfirmFunds").scalar()
    assert people.fred  # personas are created on first use
    fred = app.test_client()
    token = form_token(fred.get("/login").get_data(as_text=True))
    assert fred.post("/login", data={"username": "fred", "password": PASSWORD, "csrf_token": token}).status_code == 303
    page = fred.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "市财政注资资金额度" in page and "5000" in page and "淮财预〔2026〕12号" in page
    assert 'name="injection_amount_holds" value="yes" checked' not in page
    assert "相关项目的办理记录：概算评审" in page and "评审核定概算：3000万元" in page   # beside the claim
