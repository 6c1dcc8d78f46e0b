"""瑶海 二（二）8 — 区数据资源局会同区发改委、区财政局等单位组织专家评审、论证。评审通过的，项目单位按照
专家意见及时修改完善. The review is the experts': their 不通过 binds the conclusion; the 会同 bureaus'
opinions may be overruled by 区数据资源局 only with a stated reason, recorded as an override."""
import pytest

from engine.errors import PermissionDenied, ValidationFailed
from engine.services import attachments, opinions, runtime, views
from tests.conftest import at
from tests.test_yaohai_walk import CONCLUSION, DESIGN, OK, advance, started
from tests.test_yaohai_walk import people as yaohai_people

people = yaohai_people  # the personas fixture

WHEN = at("2026-03-10 10:00")
NO = {"decision": "reject", "comment": "需求论证不充分"}
REVIEWERS = {"ExpertOpinion": "erin", "NdrcOpinion": "nick", "FinanceOpinion": "fay"}


def _opinions_given(people, rejecting: set[str]) -> int:
    iid = started(people)
    advance(people, iid, "ExpertOpinion")
    for element, who in REVIEWERS.items():
        people.do(who, iid, element, NO if element in rejecting else OK, now=WHEN)
    assert people.ready(iid) == ["ExpertConclusion"]
    return iid


def _refused(people, iid, answers) -> dict:
    task = people.task("dora", iid, "ExpertConclusion")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.dora, task["id"], answers, now=WHEN)
    return err.value.errors


def test_it_refuses_a_passed_review_when_experts_ndrc_and_finance_all_reject(people):
    iid = _opinions_given(people, set(REVIEWERS))
    errors = _refused(people, iid, {**CONCLUSION, "override_reason": "项目急需"})
    assert set(errors) == {"decision"}
    assert "专家评审论证意见" in errors["decision"] and "约束力" in errors["decision"]
    assert people.ready(iid) == ["ExpertConclusion"]          # nothing happened
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "decision": "reject", "comment": "专家评审未通过"},
              now=WHEN)
    assert people.instance(iid)["outcome"] == "review_failed"


def test_it_refuses_a_passed_review_when_only_the_experts_reject(people):
    iid = _opinions_given(people, {"ExpertOpinion"})
    assert set(_refused(people, iid, CONCLUSION)) == {"decision"}


@pytest.mark.parametrize("rejecting", [{"NdrcOpinion"}, {"FinanceOpinion"}, {"NdrcOpinion", "FinanceOpinion"}])
def test_it_lets_the_data_bureau_overrule_ndrc_or_finance_only_with_a_stated_reason(people, rejecting):
    iid = _opinions_given(people, rejecting)
    errors = _refused(people, iid, CONCLUSION)
    assert set(errors) == {"override_reason"}
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "override_reason": "概算已按专家意见压减，可以实施"},
              now=WHEN)
    assert people.ready(iid) == ["ReviseDesignDocs"]
    [override] = people.instance(iid)["overrides"]
    assert override["reason"] == "概算已按专家意见压减，可以实施"
    assert override["element"] == "ExpertConclusion" and override["decision"] == "approve"
    assert override["by"] and override["unit"] == "合肥市瑶海区数据资源局"
    assert {o["element"] for o in override["overruled"]} == rejecting
    assert all(o["comment"] == "需求论证不充分" and o["by"] for o in override["overruled"])


def test_it_records_no_override_when_every_reviewer_approves(people):
    iid = _opinions_given(people, set())
    people.do("dora", iid, "ExpertConclusion", CONCLUSION, now=WHEN)
    assert people.ready(iid) == ["ReviseDesignDocs"]
    assert people.instance(iid)["overrides"] == []


def test_it_needs_no_reason_to_follow_a_negative_opinion(people):
    iid = _opinions_given(people, {"NdrcOpinion"})
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "decision": "reject", "comment": "采纳发改委意见"},
              now=WHEN)
    detail = people.instance(iid)
    assert detail["outcome"] == "review_failed" and detail["overrides"] == []


def test_it_shows_the_data_bureau_every_opinion_side_by_side(people):
    iid = _opinions_given(people, {"FinanceOpinion"})
    task = people.task("dora", iid, "ExpertConclusion")
    detail = views.task_detail(people.ctx, people.dora, task["id"], now=WHEN)
    rows = {o["element"]: o for o in detail["opinions"]}
    assert list(rows) == ["ExpertOpinion", "NdrcOpinion", "FinanceOpinion"]
    assert rows["ExpertOpinion"]["effect"] == "binding"
    assert rows["NdrcOpinion"]["effect"] == rows["FinanceOpinion"]["effect"] == "overridable"
    assert rows["FinanceOpinion"]["negative"] and rows["FinanceOpinion"]["decision_label"] == "不通过"
    assert rows["FinanceOpinion"]["comment"] == "需求论证不充分"
    assert rows["FinanceOpinion"]["role"] == "finance" and rows["FinanceOpinion"]["state"] == "completed"
    assert rows["FinanceOpinion"]["unit"] == "合肥市瑶海区财政局"
    assert not rows["NdrcOpinion"]["negative"] and rows["NdrcOpinion"]["completed_at"]
    # other tasks consolidate nothing
    assert views.task_detail(people.ctx, people.amy, people.task("amy", started(people), "PlanProject")["id"],
                             now=WHEN)["opinions"] == []


def test_managers_list_the_overrides_of_their_jurisdiction_and_others_may_not(people):
    iid = _opinions_given(people, {"NdrcOpinion"})
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "override_reason": "区政府专题会议已研究同意"}, now=WHEN)
    [listed] = opinions.overrides(people.ctx, people.mona)
    assert listed["instance_id"] == iid and listed["project_name"] == "瑶海区智慧校园平台"
    assert listed["reason"] == "区政府专题会议已研究同意"
    history = [ev for ev in people.instance(iid)["history"] if ev["event"] == opinions.EVENT]
    assert len(history) == 1 and history[0]["element"] == "ExpertConclusion"
    with pytest.raises(PermissionDenied):
        opinions.overrides(people.ctx, people.dora)


# the same through the REST API and the pages

def _signed_in(app, people, who):
    from tests.support import PASSWORD
    from tests.web.helpers import form_token
    getattr(people, who)
    client = app.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return client


def _bearer(client, people, who) -> dict:
    from tests.support import PASSWORD
    getattr(people, who)
    response = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_api_gives_the_opinions_and_refuses_the_binding_case_beside_the_decision(app, client, people):
    iid = _opinions_given(people, {"ExpertOpinion", "FinanceOpinion"})
    task_id = people.task("dora", iid, "ExpertConclusion")["id"]
    headers = _bearer(client, people, "dora")
    body = client.get(f"/api/v1/tasks/{task_id}", headers=headers).json
    assert [(o["element"], o["decision"], o["effect"]) for o in body["opinions"]] == [
        ("ExpertOpinion", "reject", "binding"), ("NdrcOpinion", "approve", "overridable"),
        ("FinanceOpinion", "reject", "overridable")]
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": CONCLUSION}, headers=headers)
    assert response.status_code == 422 and set(response.json["errors"]) == {"decision"}


def test_the_api_lists_an_override_in_the_instance_and_for_managers(app, client, people):
    iid = _opinions_given(people, {"NdrcOpinion"})
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "override_reason": "发改委意见已在初设中落实"}, now=WHEN)
    instance = client.get(f"/api/v1/instances/{iid}", headers=_bearer(client, people, "dora")).json
    assert [o["reason"] for o in instance["overrides"]] == ["发改委意见已在初设中落实"]
    response = client.get("/api/v1/manage/overrides", headers=_bearer(client, people, "mona"))
    assert response.status_code == 200
    assert [(o["instance_id"], o["overruled"][0]["element"]) for o in response.json] == [(iid, "NdrcOpinion")]
    assert client.get("/api/v1/manage/overrides", headers=_bearer(client, people, "amy")).status_code == 403


def test_the_task_page_shows_the_opinions_and_the_project_page_the_override(app, people):
    iid = _opinions_given(people, {"FinanceOpinion"})
    task_id = people.task("dora", iid, "ExpertConclusion")["id"]
    browser = _signed_in(app, people, "dora")
    page = browser.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "各方审查意见" in page and 'data-opinion="FinanceOpinion"' in page
    assert "需求论证不充分" in page and "可说明理由后不采纳" in page and "具有约束力" in page
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "override_reason": "财政资金已落实"}, now=WHEN)
    project = browser.get(f"/instances/{iid}").get_data(as_text=True)
    assert "不采纳审查意见" in project and "理由：财政资金已落实" in project and "区财政局评审意见" in project


# 二（一）2 — 确需新建政务移动APP的…向网信部门、数据资源部门报备同意后方可纳入项目建设内容

def _app_filed(people, cac: dict, data: dict) -> int:
    iid = started(people, {"new_mobile_app": True})
    advance(people, iid, "CacAppFiling")
    people.do("cathy", iid, "CacAppFiling", cac, now=WHEN)
    people.do("dora", iid, "DataAppFiling", data, now=WHEN)
    assert people.ready(iid) == ["DraftDesign"]
    return iid


def _draft(people, iid, mobile_app: str) -> None:
    people.do("amy", iid, "DraftDesign", {**DESIGN, "mobile_app": mobile_app}, now=WHEN)


def _draft_refused(people, iid) -> dict:
    task = people.task("amy", iid, "DraftDesign")
    answers = attachments.with_placeholders(people.ctx, people.amy, task["id"], {**DESIGN, "mobile_app": "included"})
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.amy, task["id"], answers, now=WHEN)
    return err.value.errors


@pytest.mark.parametrize("cac, data", [(NO, OK), (OK, NO), (NO, NO)])
def test_it_keeps_an_app_the_cac_or_the_data_bureau_refuses_out_of_the_design(people, cac, data):
    iid = _app_filed(people, cac, data)
    errors = _draft_refused(people, iid)
    assert set(errors) == {"mobile_app"} and "政务移动APP报备同意" in errors["mobile_app"]
    _draft(people, iid, "none")
    assert people.ready(iid) == ["UnitReview"]


def test_it_lets_an_app_both_agreed_to_into_the_design(people):
    iid = _app_filed(people, OK, OK)
    _draft(people, iid, "included")
    assert people.ready(iid) == ["UnitReview"]


def test_it_keeps_an_app_never_filed_out_of_the_design_and_again_after_a_return(people):
    iid = started(people)                                   # no new APP declared, nothing filed
    advance(people, iid, "DraftDesign")
    assert set(_draft_refused(people, iid)) == {"mobile_app"}
    iid = _app_filed(people, NO, OK)
    _draft(people, iid, "none")
    people.do("ivan", iid, "UnitReview", {"decision": "return", "comment": "补充"}, now=WHEN)
    assert set(_draft_refused(people, iid)) == {"mobile_app"}          # the refusal still holds


# 三（二） — 适度核减应用成效未达标项目运维经费

def _evaluated(people, results_met: bool) -> int:
    iid = started(people)
    advance(people, iid, "PerformanceEvaluation")
    people.do("dora", iid, "PerformanceEvaluation", {"decision": "approve", "findings": "运行平稳"} if results_met
              else {"decision": "reject", "findings": "使用率低", "comment": "月活跃用户不足预期的两成"}, now=WHEN)
    assert people.ready(iid) == ["OmFunding"]
    return iid


def test_it_cuts_the_om_funds_of_a_project_that_missed_its_results(people):
    iid = _evaluated(people, results_met=False)
    task = people.task("fay", iid, "OmFunding")
    assert task["title"] == "安排系统运维经费（申请20万元）"       # the unit's request, with its 绩效自评
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fay, task["id"], {"decision": "full"}, now=WHEN)
    assert set(err.value.errors) == {"decision"} and "项目应用绩效评价" in err.value.errors["decision"]
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fay, task["id"], {"decision": "reduced"}, now=WHEN)
    assert set(err.value.errors) == {"approved_amount", "comment"}
    people.do("fay", iid, "OmFunding", {"decision": "reduced", "approved_amount": 12,
                                        "comment": "按绩效评价结果核减40%"}, now=WHEN)
    assert people.ready(iid) == ["Operation"]


@pytest.mark.parametrize("approved", [20, 25])
def test_a_cut_that_is_not_below_the_amount_applied_for_is_refused_beside_the_amount(people, approved):
    """三（二） 适度核减: 核减 means less than the 申请; 20 of 20 (or more) is not a cut, 19.99 is."""
    iid = _evaluated(people, results_met=False)
    task = people.task("fay", iid, "OmFunding")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.fay, task["id"], {"decision": "reduced", "approved_amount": approved,
                                                                   "comment": "核减"}, now=WHEN)
    assert err.value.errors == {"approved_amount": "核减后的核定运维经费须低于申请的20万元（三（二）适度核减）"}
    assert people.ready(iid) == ["OmFunding"]
    people.do("fay", iid, "OmFunding", {"decision": "reduced", "approved_amount": 19.99, "comment": "核减"}, now=WHEN)
    assert people.ready(iid) == ["Operation"]


def test_the_om_task_page_shows_the_refused_cut_in_chinese_beside_the_amount(app, people):
    import re

    from tests.web.helpers import form_token
    iid = _evaluated(people, results_met=False)
    task_id = people.task("fay", iid, "OmFunding")["id"]
    browser = _signed_in(app, people, "fay")
    page = browser.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "申请20万元" in page
    response = browser.post(f"/tasks/{task_id}", data={
        "csrf_token": form_token(page), "_submit": "1", "decision": "reduced", "approved_amount": "20",
        "comment": "按绩效评价结果核减"})
    assert response.status_code == 422
    errors = dict(re.findall(r'<p class="field-error" id="([^"]+)-error">(.*?)</p>',
                             response.get_data(as_text=True), re.S))
    [(field, message)] = errors.items()
    assert "approved_amount" in field and "须低于申请的20万元" in message


def test_it_funds_in_full_a_project_that_met_its_results(people):
    iid = _evaluated(people, results_met=True)
    people.do("fay", iid, "OmFunding", {"decision": "full"}, now=WHEN)
    assert people.ready(iid) == ["Operation"]


def test_the_task_page_puts_the_refusal_beside_the_decision_and_keeps_the_answers(app, people):
    import re

    from tests.web.helpers import form_token
    iid = _opinions_given(people, {"ExpertOpinion"})
    task_id = people.task("dora", iid, "ExpertConclusion")["id"]
    browser = _signed_in(app, people, "dora")
    token = form_token(browser.get(f"/tasks/{task_id}").get_data(as_text=True))
    response = browser.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "_submit": "1", "decision": "approve", "presenter": "project_leader",
        "presenter_name": "王主任", "it_head_attended": "true", "opinions": "同意"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    [error] = re.findall(r'<p class="field-error" id="([^"]+)-error">(.*?)</p>', page, re.S)
    assert "decision" in error[0] and "约束力" in error[1]
    assert "王主任" in page
    assert people.ready(iid) == ["ExpertConclusion"]


# Forms that say what the law asks: a reviewer's attestations start unticked

@pytest.mark.parametrize("form, field", [("yaohai/expert_conclusion", "it_head_attended"),
                                         ("yaohai/tender_docs", "whole_tender"),
                                         ("yaohai/plan", "urgent_and_frugal")])
def test_an_attestation_starts_unticked(people, form, field):
    schema, _ui = people.ctx.runtime.forms.load(form)
    assert schema["properties"][field].get("default") is False


def test_an_unticked_attendance_needs_the_reason_beside_it(people):
    iid = _opinions_given(people, set())
    answers = {k: v for k, v in CONCLUSION.items() if k != "it_head_attended"}
    assert set(_refused(people, iid, answers)) == {"absence_reason"}


def test_managers_see_the_overrides_on_a_page_of_their_own(app, people):
    iid = _opinions_given(people, {"NdrcOpinion"})
    people.do("dora", iid, "ExpertConclusion", {**CONCLUSION, "override_reason": "已按发改委意见压减概算"}, now=WHEN)
    manager = _signed_in(app, people, "mona")
    assert "不采纳审查意见的记录" in manager.get("/manage").get_data(as_text=True)
    page = manager.get("/manage/overrides").get_data(as_text=True)
    assert "已按发改委意见压减概算" in page and "区发改委评审意见" in page and f"#{iid}" in page
    assert _signed_in(app, people, "dora").get("/manage/overrides").status_code == 403
