"""九江市数字化项目建设管理办法(试行): facts that are an office's finding, not the applicant's word —
纳入储备库 and its date (第十一条), 通过省级论证评估 (第十三条), 重大部署 (第十七条), 涉密 (第五条、第七条).
The applicant claims them at the start; the office confirms each (属实/不属实, the corrected value)
before any gateway routes on it; the project page shows claim and finding side by side."""
from engine import validation
from engine.config import ROOT
from engine.runtime_env import Runtime
from engine.services import views
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_walk import ALL_TRUE, FACTS, OK, PRELIMINARY_OK, SOLUTIONS, declaration_for, started
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

IN_WINDOW = "2026-09-01 10:00"   # the 2027 call is open
NEW = {k: v for k, v in FACTS.items() if k not in ("in_reserve", "reserve_entered_on")}
CLAIMED = {**FACTS, "reserve_evidence": "九数政组〔2025〕12号"}


def _detail(people, who, iid, element) -> dict:
    return views.task_detail(people.ctx, getattr(people, who), people.task(who, iid, element)["id"])


def _confirm(people, iid, **verdicts):
    people.do("olga", iid, "ConfirmStartFacts", {**ALL_TRUE, **verdicts}, now=at(IN_WINDOW))
    return people.ready(iid)


# 第十一条 / 第十七条 — 入库 is the 领导小组's decision, held by the 办公室: a claim is checked first

def test_a_claimed_reserve_entry_waits_for_the_office_before_anything_routes_on_it(people):
    iid = people.start("alice", "jiujiang", CLAIMED, now=at(IN_WINDOW))
    assert people.ready(iid) == ["ConfirmStartFacts"]
    assert [t["name"] for t in people.inbox("olga")] == ["ConfirmStartFacts"]
    shown = {c["key"]: c for c in _detail(people, "olga", iid, "ConfirmStartFacts")["confirms"]}
    assert shown["in_reserve"]["label"] == "已纳入市数字化项目储备库"
    assert (shown["in_reserve"]["claimed"], shown["in_reserve"]["evidence"]) == (True, "九数政组〔2025〕12号")
    assert shown["reserve_entered_on"]["claimed"] == "2025-12-01"
    assert _confirm(people, iid) == ["DeclareAnnual"]


def test_a_reserve_entry_the_office_finds_untrue_goes_through_the_need_collection(people):
    iid = people.start("alice", "jiujiang", CLAIMED, now=at(IN_WINDOW))
    assert _confirm(people, iid, in_reserve_holds="no", reserve_entered_on_holds="no") == ["SubmitNeed"]


def test_a_project_claiming_nothing_is_not_held_for_confirmation(people):
    iid = people.start("alice", "jiujiang", NEW, now=at(IN_WINDOW))
    assert people.ready(iid) == ["SubmitNeed"]


# 第十三条 — 限额以上: 通过省级论证评估后方可申报年度建设计划; the passing is the province's finding

def test_an_800_wan_project_whose_provincial_assessment_the_office_cannot_confirm_goes_to_the_province(people):
    iid = people.start("alice", "jiujiang", {**CLAIMED, "total_investment": 800, "province_assessed": True},
                       now=at(IN_WINDOW))
    assert people.ready(iid) == ["ConfirmStartFacts"]          # not 年度申报 on the applicant's tick
    assert _confirm(people, iid, province_assessed_holds="no") == ["ProvincialAssessment"]


def test_an_800_wan_project_with_a_confirmed_provincial_assessment_declares(people):
    iid = people.start("alice", "jiujiang", {**CLAIMED, "total_investment": 800, "province_assessed": True},
                       now=at(IN_WINDOW))
    assert _confirm(people, iid) == ["DeclareAnnual"]


# 第十七条 — 重大部署 exempts from the 储备库 rule only, not from 第十三条's 省级论证评估

def test_a_major_deployment_above_the_limit_still_needs_the_provincial_assessment(people):
    iid = started(people, {**NEW, "major_deployment": True, "total_investment": 800}, at(IN_WINDOW))
    assert people.ready(iid) == ["ProvincialAssessment"]


def test_a_major_deployment_below_the_limit_declares_without_a_reserve_entry(people):
    iid = started(people, {**NEW, "major_deployment": True, "total_investment": 499.99}, at(IN_WINDOW))
    assert people.ready(iid) == ["DeclareAnnual"]


def test_a_major_deployment_the_office_does_not_confirm_must_enter_the_reserve(people):
    iid = people.start("alice", "jiujiang", {**NEW, "major_deployment": True, "major_deployment_basis": "会议纪要"},
                       now=at(IN_WINDOW))
    assert _confirm(people, iid, major_deployment_holds="no") == ["SubmitNeed"]


# 第十一条 — 两年有效, counted from the date the office confirms

def test_the_two_years_count_from_the_reserve_date_the_office_corrected(people, ctx):
    iid = people.start("alice", "jiujiang", CLAIMED, now=at("2026-08-01 10:00"))
    people.do("olga", iid, "ConfirmStartFacts",
              {**ALL_TRUE, "reserve_entered_on_holds": "no", "reserve_entered_on_corrected": "2024-08-30",
               "comment": "入库日期以审定文件为准"}, now=at("2026-08-01 10:00"))
    tick(ctx, at("2026-08-31 00:00:01"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "reserve_expired")


def test_the_project_page_shows_each_claim_beside_the_offices_finding(people):
    iid = people.start("alice", "jiujiang", {**CLAIMED, "total_investment": 800, "province_assessed": True},
                       now=at(IN_WINDOW))
    before = {f["key"]: f for f in people.instance(iid)["facts"]}
    assert before["province_assessed"]["claimed"] is True and before["province_assessed"]["confirmed"] is None
    people.do("olga", iid, "ConfirmStartFacts",
              {**ALL_TRUE, "province_assessed_holds": "no", "reserve_entered_on_holds": "no",
               "reserve_entered_on_corrected": "2025-11-20", "comment": "未见省级论证评估意见"}, now=at(IN_WINDOW))
    facts = {f["key"]: f for f in people.instance(iid)["facts"]}
    assert set(facts) == {"in_reserve", "reserve_entered_on", "province_assessed", "major_deployment", "is_classified"}
    assert (facts["province_assessed"]["claimed"], facts["province_assessed"]["confirmed"],
            facts["province_assessed"]["holds"]) == (True, False, False)
    assert (facts["reserve_entered_on"]["claimed"], facts["reserve_entered_on"]["confirmed"]) == \
        ("2025-12-01", "2025-11-20")
    assert facts["in_reserve"]["confirmed"] is True
    assert facts["in_reserve"]["confirmed_unit"] == "九江市数字政府建设工作领导小组办公室"
    assert facts["in_reserve"]["confirmed_at"].startswith("2026-09-01T10:00")
    assert facts["province_assessed"]["comment"] == "未见省级论证评估意见"
    assert facts["is_classified"]["confirmed"] is None     # not claimed, not yet confirmed
    assert "已通过省级论证评估（限额以上项目）：不属实" in \
        [h["title"] for h in people.instance(iid)["history"] if h["event"] == "fact_confirmed"]


# 第五条 / 第七条 / 第十九条 — 涉密 is the 市委保密机要局's finding; only then the 保密科技领域专家

def _to_solutions(people, ctx, facts):
    iid = started(people, {**FACTS, **facts}, at(IN_WINDOW))
    people.do("alice", iid, "DeclareAnnual", declaration_for(facts), now=at(IN_WINDOW))
    people.do("olga", iid, "PreliminaryReview", PRELIMINARY_OK, now=at(IN_WINDOW))
    people.do("cora", iid, "ConsultancySolutions", SOLUTIONS, now=at(IN_WINDOW))
    return iid


def test_a_classified_claim_confirmed_by_the_crypto_bureau_brings_in_the_classified_experts(people, ctx):
    iid = _to_solutions(people, ctx, {"is_classified": True, "classified_basis": "定密审批表"})
    assert people.ready(iid) == ["ConfirmClassified"]
    assert _detail(people, "cris", iid, "ConfirmClassified")["confirms"][0]["evidence"] == "定密审批表"
    people.do("cris", iid, "ConfirmClassified", {"is_classified_holds": "yes"}, now=at(IN_WINDOW))
    assert people.ready(iid) == ["ClassifiedExpertReview"]


def test_a_classified_claim_the_crypto_bureau_refutes_goes_to_the_ordinary_assessment(people, ctx):
    iid = _to_solutions(people, ctx, {"is_classified": True})
    people.do("cris", iid, "ConfirmClassified", {"is_classified_holds": "no", "comment": "不涉及国家秘密"},
              now=at(IN_WINDOW))
    assert people.ready(iid) == ["PreliminaryAssessment"]
    people.do("dora", iid, "PreliminaryAssessment", OK, now=at(IN_WINDOW))


def test_an_unclaimed_project_goes_to_the_ordinary_assessment(people, ctx):
    iid = _to_solutions(people, ctx, {})
    assert people.ready(iid) == ["PreliminaryAssessment"]


# the check of a diagram: a confirming task names start-form facts, and its form asks about each

def test_validate_refuses_a_confirmation_of_an_unknown_fact_or_without_its_verdict_field():
    runtime = Runtime.from_data_dir(ROOT)
    raw = (ROOT / "bpmn_diagrams/jiujiang/jiujiang.bpmn").read_bytes()
    broken = raw.replace(b'value="is_classified"/>', b'value="is_classified,is_secret"/>')
    problems = validation.check_files(runtime, {"jiujiang.bpmn": broken})
    assert [(p.element, p.message) for p in problems] == \
        [("ConfirmClassified", "核实的事实 is_secret 不是开始表单的字段")]
    broken = raw.replace(b'value="is_classified"/>', b'value="is_classified,is_software"/>')
    problems = validation.check_files(runtime, {"jiujiang.bpmn": broken})
    assert [p.element for p in problems] == ["ConfirmClassified"]
    assert "is_software_holds" in problems[0].message


# the pages: the office sees each claim with its evidence; the project page shows claim and finding

def _signed_in(app, people, who: str):
    from tests.support import PASSWORD
    from tests.web.helpers import form_token
    getattr(people, who)
    client = app.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return client


def test_the_task_page_lists_the_claims_and_the_project_page_the_findings(app, people):
    iid = people.start("alice", "jiujiang", CLAIMED, now=at(IN_WINDOW))
    client = _signed_in(app, people, "olga")
    page = client.get(f"/tasks/{people.task('olga', iid, 'ConfirmStartFacts')['id']}").get_data(as_text=True)
    assert "申报单位所报事实（请逐项核实）" in page and "九数政组〔2025〕12号" in page
    _confirm(people, iid, in_reserve_holds="no", reserve_entered_on_holds="no")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert "申报事实与核实结果" in page and "不属实" in page and "未经核实" in page
