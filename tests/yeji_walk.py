"""Walk a 叶集 project to a given step through the real services (used by several test files)."""
from __future__ import annotations

from engine.services.timers import tick
from tests.conftest import at

FACTS = {"project_name": "叶集区智慧教育平台", "project_type": "construction", "total_investment": 300,
         "duration_months": 4, "plan_year": 2027}
DECLARE = {"construction_basis": "《六安市教育信息化规划》", "construction_plan": "建设方案.pdf",
           "budget_estimate": 300, "feasibility_study": "可研报告.pdf", "leader": "张主任",
           "contact": "李科长", "phone": "0564-1234567"}
OK = {"decision": "approve"}
CONTRACT_ACCEPTANCE_DATE = "2027-03-31"      # 合同约定的验收时间 (第二十二条第二款)
REVIEWERS = [("dora", "ReviewDataBureau"), ("erin", "ReviewExperts"), ("fay", "ReviewFinance"),
             ("nick", "ReviewNdrc"), ("cris", "ReviewCrypto"), ("cathy", "ReviewCac")]
REVIEW_ELEMENTS = sorted(e for _, e in REVIEWERS)


def declared(people, **facts) -> int:
    iid = people.start("alice", "yeji", {**FACTS, **facts}, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-03 10:00"))
    return iid


def in_review(people, ctx, **facts) -> int:
    iid = declared(people, **facts)
    tick(ctx, at("2026-10-01 08:00"))
    return iid


def reviewed(people, ctx, **facts) -> int:
    iid = in_review(people, ctx, **facts)
    for who, element in REVIEWERS:
        people.do(who, iid, element, OK, now=at("2026-10-20 10:00"))
    return iid


def planned(people, ctx, **facts) -> int:
    iid = reviewed(people, ctx, **facts)
    if facts.get("is_key_project"):
        people.do("nick", iid, "KeyProjectApproval", {"is_key_project_holds": "yes", "decision": "approve",
                                                         "approval_no": "叶发改〔2026〕8号"},
                  now=at("2026-11-02 10:00"))
    people.do("nick", iid, "InvestmentPlan", {"decision": "approve", "plan_amount": 300}, now=at("2026-11-03 10:00"))
    people.do("dora", iid, "AnnualPlan", {"plan_amount": 300}, now=at("2026-11-10 10:00"))
    people.do("fay", iid, "FundAllocation", {"decision": "approve", "allocated_amount": 300},
              now=at("2026-11-12 10:00"))
    people.do("gary", iid, "GovernmentApproval", OK, now=at("2026-12-01 10:00"))
    return iid


def contracted(people, ctx, **facts) -> int:
    iid = planned(people, ctx, **facts)
    people.do("alice", iid, "ProjectStart", {"project_leader": "张主任", "start_date": "2027-01-05"},
              now=at("2026-12-02 10:00"))
    people.do("dora", iid, "ServiceUnits", {"supervisor_unit": "安徽某监理公司", "level_protection_unit": "某测评中心",
                                            "third_party_test_unit": "某软件评测中心"}, now=at("2026-12-03 10:00"))
    people.do("pam", iid, "Procurement", {"procurement_method": "public_tender", "winning_bidder": "某科技公司",
                                          "contract_amount": 280, "secure_products": True}, now=at("2026-12-10 10:00"))
    people.do("alice", iid, "Contract", {"contract_no": "YJ-2026-001", "contract_amount": 280,
                                         "signed_on": "2026-12-15", "acceptance_date": CONTRACT_ACCEPTANCE_DATE},
              now=at("2026-12-15 10:00"))
    return iid
