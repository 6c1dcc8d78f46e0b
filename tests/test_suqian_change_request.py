"""宿迁 第二十三条: 建设内容调整 — started from a running project. Within the 招标控制价, with 调整金额 ≤ 500万元
or ≤ 10% of the contract, and for one of the three reasons: the applicant adjusts and files with 市数据局 ∥
市发展改革委 ∥ 市财政局; otherwise it has to declare the project again. The limits live in
bpmn_diagrams/suqian_change_request.dmn."""
import pytest

from engine.errors import PermissionDenied
from engine.services import runtime
from tests.conftest import at
from tests.test_suqian_support import advance, declared, personas, started

CHANGE = {"change_content": "增加移动端执法模块", "change_reason": "optimisation",
          "change_amount": 500, "contract_amount": 2000, "control_price": 2600, "adjusted_investment": 2500}
FILED = {"filed": True}
FILINGS = ["FilingDataBureau", "FilingFinance", "FilingNdrc"]


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _request(people, parent=None, **change):
    people.deploy("suqian.change_request")
    parent = parent or declared(people)
    return runtime.start_instance(people.ctx, people.ann, "suqian.change_request", {**CHANGE, **change},
                                  now=at("2027-04-01 10:00"), parent_instance_id=parent)


def _outcome(people, iid):
    inst = people.instance(iid)
    return inst["status"], inst["outcome"], inst["outcome_reason"]


def test_it_starts_a_change_from_a_running_project_and_links_them(people):
    parent = started(people, until="Procurement")
    advance(people, parent, "Implement", "2027-02-01 10:00")
    iid = _request(people, parent=parent)
    inst = people.instance(iid)
    assert (inst["process"], inst["parent_instance_id"]) == ("suqian.change_request", parent)
    assert people.ready(iid) == ["AdjustContent"]
    assert people.ready(parent) == ["Implement"]


def test_it_files_an_adjustment_of_exactly_500_wan_with_the_three_bureaus_at_once(people):
    iid = _request(people, change_amount=500, contract_amount=2000)       # 25% of the contract, but ≤ 500
    people.do("ann", iid, "AdjustContent", {"adjusted_plan": "调整后技术方案.pdf"}, now=at("2027-04-02 10:00"))
    assert people.ready(iid) == FILINGS
    assert {people.task(who, iid, el)["role"] for who, el in
            [("dora", "FilingDataBureau"), ("nick", "FilingNdrc"), ("fay", "FilingFinance")]} == {
                "data_bureau", "ndrc", "finance"}
    for who, element in [("nick", "FilingNdrc"), ("fay", "FilingFinance"), ("dora", "FilingDataBureau")]:
        people.do(who, iid, element, FILED, now=at("2027-04-03 10:00"))
    assert _outcome(people, iid)[:2] == ("completed", "completed")


def test_it_sends_an_adjustment_of_500_01_wan_over_10_percent_back_to_declaration(people):
    iid = _request(people, change_amount=500.01, contract_amount=2000)
    status, outcome, reason = _outcome(people, iid)
    assert (status, outcome) == ("terminated", "redeclare")
    assert "调整金额超过500万元且超过合同金额10%" in reason and "重新履行项目申报程序" in reason
    assert people.instance(iid)["outcome_label"] == "不符合建设内容调整情形，须重新履行项目申报程序"


def test_it_allows_an_adjustment_over_500_wan_of_exactly_10_percent_of_the_contract(people):
    iid = _request(people, change_amount=600, contract_amount=6000, control_price=9000, adjusted_investment=6600)
    assert people.ready(iid) == ["AdjustContent"]


def test_it_refuses_an_adjustment_over_500_wan_just_above_10_percent_of_the_contract(people):
    iid = _request(people, change_amount=600.01, contract_amount=6000, control_price=9000, adjusted_investment=6600)
    assert _outcome(people, iid)[1] == "redeclare"


def test_it_refuses_an_adjustment_beyond_the_tender_control_price(people):
    iid = _request(people, change_amount=100, adjusted_investment=2600.01, control_price=2600)
    assert "超出招标控制价" in _outcome(people, iid)[2]


def test_it_allows_an_adjustment_reaching_the_tender_control_price(people):
    iid = _request(people, change_amount=100, adjusted_investment=2600, control_price=2600)
    assert people.ready(iid) == ["AdjustContent"]


@pytest.mark.parametrize("reason", ["deployment", "optimisation", "business_need"])
def test_it_accepts_each_of_the_three_reasons(people, reason):
    assert people.ready(_request(people, change_reason=reason)) == ["AdjustContent"]


def test_it_refuses_an_adjustment_for_another_reason(people):
    assert "不属于第二十三条所列三种情形" in _outcome(people, _request(people, change_reason="other"))[2]


def test_it_lists_every_shortcoming_of_a_refused_adjustment(people):
    iid = _request(people, change_amount=900, contract_amount=2000, adjusted_investment=2900, change_reason="other")
    assert _outcome(people, iid)[2] == ("调整后项目投资规模超出招标控制价；调整金额超过500万元且超过合同金额10%；"
                                        "不属于第二十三条所列三种情形，应重新履行项目申报程序（第二十三条）")


def test_only_an_applicant_may_request_a_change(people):
    people.deploy("suqian.change_request")
    with pytest.raises(PermissionDenied):
        runtime.start_instance(people.ctx, people.dora, "suqian.change_request", CHANGE, now=at("2027-04-01 10:00"))
