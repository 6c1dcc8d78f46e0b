from tests.conftest import at

FACTS = {"project_name": "智慧教育平台", "project_type": "construction", "total_investment": 300,
         "duration_months": 4}
DECLARE = {"construction_basis": "依据", "construction_plan": "方案.pdf", "budget_estimate": 300,
           "feasibility_study": "可研.pdf", "leader": "张三", "contact": "李四", "phone": "0564-1234567"}
OK = {"decision": "approve"}
REVIEWERS = [("dora", "ReviewDataBureau"), ("erin", "ReviewExperts"), ("fay", "ReviewFinance"),
             ("nick", "ReviewNdrc"), ("cris", "ReviewCrypto"), ("cathy", "ReviewCac")]


def test_it_runs_the_whole_path(people, ctx):
    from engine.services.timers import tick
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2026-08-02 10:00"))
    inst = people.instance(iid)
    assert inst["waiting"][0]["name"] == "WaitReviewWindow", inst
    fired = tick(ctx, at("2026-10-01 00:00:01"))
    assert [f.kind for f in fired] == ["timer"]
    assert people.ready(iid) == sorted(e for _, e in REVIEWERS)
    for who, el in REVIEWERS:
        people.do(who, iid, el, OK, now=at("2026-10-10 10:00"))
    assert people.ready(iid) == ["InvestmentPlan"]
