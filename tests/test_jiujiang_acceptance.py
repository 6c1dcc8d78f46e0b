"""九江市数字化项目建设管理办法(试行) 第三十一条 (试运行 3 / 6 个月, 终验 20 个工作日, 竣工验收申请 10 / 30 个工作日
或书面延期申请, 数据共享 ∥ 安全可靠/密码 确认), 第三十二条 (竣工验收, 限额以上报省备案), 第三十九条 (投入运行后
6–12 个月绩效自评) and 第四十条 (重点绩效评价, 整改)."""
from datetime import date, timedelta

import pytest

from engine.errors import ValidationFailed
from engine.services import attachments, runtime, views
from engine.services.timers import tick
from tests.conftest import at
from tests.test_jiujiang_walk import (
    APPLY,
    OK,
    advance,
    due_of,
    local_day,
    started_early,
    workdays_after,
)
from tests.test_jiujiang_walk import people as jiujiang_people

people = jiujiang_people  # the personas fixture

SMALL = {"total_investment": 300}                                  # 限额以下 (merged feasibility, no design)
LARGE = {"total_investment": 600, "province_assessed": True}       # 限额以上


def _implemented(people, facts, done_at="2026-03-31 10:00") -> int:
    iid = started_early(people, facts)
    advance(people, iid, "Implementation", "2026-01-06 10:00")
    people.do("alice", iid, "Implementation", {"as_approved": True, "completed_on": done_at[:10]}, now=at(done_at))
    return iid


def _waiting(people, iid) -> list[tuple[str, str]]:
    return [(w["name"], w["fires_at"]) for w in people.instance(iid)["waiting"]]


# 第三十一条 — 原则上，限额以下建设类项目试运行3个月，限额以上6个月

@pytest.mark.parametrize("facts, ends", [(SMALL, "2026-06-30"), (LARGE, "2026-09-30")])
def test_a_construction_project_runs_on_trial_for_3_or_6_months(people, ctx, facts, ends):
    iid = _implemented(people, facts)
    assert _waiting(people, iid) == [("TrialRun", f"{ends}T23:59:59+08:00")]
    assert tick(ctx, at(f"{ends} 23:59:58")) == []
    tick(ctx, at(f"{ends} 23:59:59") + timedelta(seconds=2))
    assert people.ready(iid) == ["FinalInspection"]


def test_the_final_inspection_is_due_20_working_days_after_the_trial_across_the_national_day(people, ctx):
    iid = _implemented(people, LARGE)
    tick(ctx, at("2026-10-01 00:00:01"))
    assert local_day(due_of(people, iid, "FinalInspection")) == workdays_after(date(2026, 10, 1), 20)


@pytest.mark.parametrize("facts, workdays", [(SMALL, 10), (LARGE, 30)])
def test_the_acceptance_application_is_due_10_or_30_working_days_after_the_final_inspection(
        people, ctx, facts, workdays):
    iid = _implemented(people, facts)
    tick(ctx, at("2026-10-01 00:00:01"))
    people.do("alice", iid, "FinalInspection", {"passed": True, "report": "终验报告.pdf"}, now=at("2026-10-12 10:00"))
    assert local_day(due_of(people, iid, "AcceptanceApplication")) == workdays_after(date(2026, 10, 12), workdays)


def test_a_service_project_has_no_trial_run_and_applies_within_10_working_days(people, ctx):
    iid = _implemented(people, {"project_type": "service"})
    assert _waiting(people, iid) == []
    assert local_day(due_of(people, iid, "AcceptanceApplication")) == workdays_after(date(2026, 3, 31), 10)


def _applying(people, ctx, facts=SMALL) -> int:
    iid = _implemented(people, facts)
    tick(ctx, at("2026-10-01 00:00:01"))
    people.do("alice", iid, "FinalInspection", {"passed": True, "report": "终验报告.pdf"}, now=at("2026-10-12 10:00"))
    return iid


@pytest.mark.parametrize("granted", [True, False])
def test_an_owner_who_cannot_apply_in_time_asks_in_writing_for_an_extension(people, ctx, granted):
    iid = _applying(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", {"mode": "extension", "extension_reason": "等保测评未完成",
                                                      "requested_date": "2026-12-15"}, now=at("2026-10-20 10:00"))
    assert people.ready(iid) == ["ExtensionReview"]
    answer = {"decision": "approve", "extended_until": "2026-12-15"} if granted else \
        {"decision": "reject", "comment": "理由不充分"}
    people.do("dora", iid, "ExtensionReview", answer, now=at("2026-10-21 10:00"))
    expected = date(2026, 12, 15) if granted else workdays_after(date(2026, 10, 12), 10)
    assert local_day(due_of(people, iid, "AcceptanceApplication")) == expected


# 第三十一条 — 竣工验收前，数据共享由数据管理部门确认，安全可靠、密码应用由市委保密机要局确认

def test_data_sharing_and_secure_reliable_checks_are_ready_at_once_before_acceptance(people, ctx):
    iid = _applying(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-20 10:00"))
    assert people.ready(iid) == ["DataSharingCheck", "SecureReliableCheck"]
    assert [t["name"] for t in people.inbox("cris") if t["instance_id"] == iid] == ["SecureReliableCheck"]
    assert [t["name"] for t in people.inbox("dora") if t["instance_id"] == iid] == ["DataSharingCheck"]


@pytest.mark.parametrize("failing", ["DataSharingCheck", "SecureReliableCheck"])
def test_a_failed_check_means_no_acceptance_and_no_om_funds(people, ctx, failing):
    iid = _applying(people, ctx)
    people.do("alice", iid, "AcceptanceApplication", APPLY, now=at("2026-10-20 10:00"))
    for who, element in (("dora", "DataSharingCheck"), ("cris", "SecureReliableCheck")):
        answer = {"decision": "reject", "comment": "未按要求共享数据"} if element == failing else OK
        people.do(who, iid, element, answer, now=at("2026-10-22 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "precheck_failed")
    assert "不安排运维经费" in inst["outcome_label"]


# 第三十二条 — 市数据管理部门会同项目审批部门、项目应用单位、市委保密机要局、市委网信办等部门进行竣工验收，出具验收意见;
# 限额以上项目竣工验收情况报省数字政府领导小组办公室备案

INSPECTION = {"decision": "approve", "with_application_unit": True, "opinion_document": "验收意见.pdf"}


def _opinions_asked(people, ctx, facts=SMALL) -> int:
    iid = _applying(people, ctx, facts)
    advance(people, iid, "AcceptanceOpinionCac", "2026-10-22 10:00")
    return iid


def _accepted(people, ctx, facts, decision=None) -> int:
    iid = _applying(people, ctx, facts)
    advance(people, iid, "AcceptanceInspection", "2026-10-22 10:00")
    people.do("dora", iid, "AcceptanceInspection", decision or INSPECTION, now=at("2026-10-26 10:00"))
    return iid


def _refused(people, iid, answers) -> dict:
    """The data bureau's AcceptanceInspection answers refused (422): the errors by field."""
    task = people.task("dora", iid, "AcceptanceInspection")
    answers = attachments.with_placeholders(people.ctx, people.dora, task["id"], answers)
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(people.ctx, people.dora, task["id"], answers, now=at("2026-10-26 10:00"))
    assert people.task("dora", iid, "AcceptanceInspection")           # still to do
    return err.value.errors


def _inbox(people, who, iid) -> list[str]:
    return [t["name"] for t in people.inbox(who) if t["instance_id"] == iid]


def test_the_approving_department_the_crypto_bureau_and_the_cac_each_give_their_acceptance_opinion(people, ctx):
    iid = _opinions_asked(people, ctx)
    assert people.ready(iid) == ["AcceptanceOpinionCac", "AcceptanceOpinionCrypto", "AcceptanceOpinionNdrc"]
    assert _inbox(people, "nick", iid) == ["AcceptanceOpinionNdrc"]        # 项目审批部门: 市发改委
    assert _inbox(people, "cris", iid) == ["AcceptanceOpinionCrypto"]      # 市委保密机要局
    assert _inbox(people, "cai", iid) == ["AcceptanceOpinionCac"]          # 市委网信办
    assert _inbox(people, "dora", iid) == []                               # nothing to consolidate yet
    people.do("nick", iid, "AcceptanceOpinionNdrc", OK, now=at("2026-10-23 10:00"))
    people.do("cris", iid, "AcceptanceOpinionCrypto", OK, now=at("2026-10-23 10:00"))
    assert people.ready(iid) == ["AcceptanceOpinionCac"]                   # each department answers
    people.do("cai", iid, "AcceptanceOpinionCac", OK, now=at("2026-10-23 10:00"))
    assert people.ready(iid) == ["AcceptanceInspection"]


def test_a_state_owned_enterprises_approving_department_is_the_sasac(people, ctx):
    iid = _opinions_asked(people, ctx, {**SMALL, "owner_type": "soe"})
    assert people.ready(iid) == ["AcceptanceOpinionCac", "AcceptanceOpinionCrypto", "AcceptanceOpinionSasac"]
    assert _inbox(people, "sam", iid) == ["AcceptanceOpinionSasac"]
    assert _inbox(people, "nick", iid) == []


def test_the_data_bureau_sees_each_departments_opinion_side_by_side(people, ctx):
    iid = _opinions_asked(people, ctx)
    people.do("nick", iid, "AcceptanceOpinionNdrc", OK, now=at("2026-10-23 10:00"))
    people.do("cris", iid, "AcceptanceOpinionCrypto", OK, now=at("2026-10-23 10:00"))
    people.do("cai", iid, "AcceptanceOpinionCac", {"decision": "reject", "comment": "未通过网络安全等级保护测评"},
              now=at("2026-10-23 10:00"))
    detail = views.task_detail(people.ctx, people.dora, people.task("dora", iid, "AcceptanceInspection")["id"])
    shown = {o["element"]: (o["state"], o["decision"], o["effect"]) for o in detail["opinions"]}
    assert shown["AcceptanceOpinionNdrc"][1:] == ("approve", "overridable")
    assert shown["AcceptanceOpinionCrypto"][1:] == ("approve", "overridable")
    assert shown["AcceptanceOpinionCac"][1:] == ("reject", "overridable")
    assert shown["AcceptanceOpinionSasac"][0] == "not_reached"             # not this project's department


def _with_opinions(people, ctx, cac: dict) -> int:
    iid = _opinions_asked(people, ctx)
    people.do("nick", iid, "AcceptanceOpinionNdrc", OK, now=at("2026-10-23 10:00"))
    people.do("cris", iid, "AcceptanceOpinionCrypto", OK, now=at("2026-10-23 10:00"))
    people.do("cai", iid, "AcceptanceOpinionCac", cac, now=at("2026-10-23 10:00"))
    return iid


def test_passing_an_acceptance_a_department_refused_needs_a_stated_reason(people, ctx):
    iid = _with_opinions(people, ctx, {"decision": "reject", "comment": "未通过网络安全等级保护测评"})
    assert set(_refused(people, iid, INSPECTION)) == {"override_reason"}
    people.do("dora", iid, "AcceptanceInspection", {**INSPECTION, "override_reason": "等保测评已于10月25日补测通过"},
              now=at("2026-10-26 10:00"))
    [override] = people.instance(iid)["overrides"]
    assert [(o["element"], o["comment"]) for o in override["overruled"]] == [
        ("AcceptanceOpinionCac", "未通过网络安全等级保护测评")]
    assert override["reason"] == "等保测评已于10月25日补测通过"


def test_an_acceptance_every_department_agreed_to_needs_no_reason(people, ctx):
    iid = _with_opinions(people, ctx, OK)
    people.do("dora", iid, "AcceptanceInspection", INSPECTION, now=at("2026-10-26 10:00"))
    assert people.instance(iid)["overrides"] == []
    assert "AcceptanceInspection" not in people.ready(iid)


def test_the_data_bureau_may_follow_a_departments_refusal(people, ctx):
    iid = _with_opinions(people, ctx, {"decision": "reject", "comment": "未通过网络安全等级保护测评"})
    people.do("dora", iid, "AcceptanceInspection", {**INSPECTION, "decision": "reject", "comment": "按市委网信办意见"},
              now=at("2026-10-26 10:00"))
    assert people.instance(iid)["outcome"] == "acceptance_failed"


def test_the_application_unit_still_takes_part_in_the_acceptance(people, ctx):
    iid = _applying(people, ctx)
    advance(people, iid, "AcceptanceInspection", "2026-10-22 10:00")
    errors = _refused(people, iid, {**INSPECTION, "with_application_unit": False})
    assert set(errors) == {"with_application_unit"} and "项目应用单位" in errors["with_application_unit"]


def test_a_failed_acceptance_ends_the_project(people, ctx):
    iid = _accepted(people, ctx, SMALL, {**INSPECTION, "decision": "reject", "comment": "功能未完成"})
    assert people.instance(iid)["outcome"] == "acceptance_failed"


@pytest.mark.parametrize("facts, filed", [(SMALL, False), (LARGE, True)])
def test_an_acceptance_above_the_limit_is_filed_with_the_province(people, ctx, facts, filed):
    iid = _accepted(people, ctx, facts)
    assert people.ready(iid) == (["AcceptanceFiling"] if filed else [])


# 第三十九条 — 投入运行后6–12个月内开展绩效自评；第四十条 — 重点绩效评价，整改

def test_the_self_evaluation_comes_6_months_into_operation_and_is_due_within_12(people, ctx):
    iid = _accepted(people, ctx, SMALL)
    assert _waiting(people, iid) == [("WaitOperation", "2027-04-26T23:59:59+08:00")]
    tick(ctx, at("2027-04-27 09:00"))
    assert people.ready(iid) == ["SelfEvaluation"]
    assert local_day(due_of(people, iid, "SelfEvaluation")) == date(2027, 10, 26)


def test_the_project_completes_with_its_self_evaluation(people, ctx):
    """第四十条's 重点绩效评价 is a side process of its own (tests/test_jiujiang_key_evaluation.py)."""
    iid = _accepted(people, ctx, SMALL)
    tick(ctx, at("2027-04-27 09:00"))
    people.do("alice", iid, "SelfEvaluation", {"report": "自评报告.pdf", "sent_to": True}, now=at("2027-05-10 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")


def test_a_delay_still_being_determined_does_not_outlive_the_projects_end(people, ctx):
    iid = started_early(people, SMALL)
    advance(people, iid, "PrepareBudget", "2026-01-06 10:00")
    tick(ctx, at("2026-03-31 09:00"))                      # 15 + 30 working days after 6 January
    assert "DelayDetermination" in people.ready(iid)
    advance(people, iid, "Implementation", "2026-04-01 10:00")
    people.do("alice", iid, "Implementation", {"as_approved": True, "completed_on": "2026-04-02"},
              now=at("2026-04-02 10:00"))
    tick(ctx, at("2026-07-03 09:00"))
    advance(people, iid, "DataSharingCheck", "2026-07-06 10:00")
    people.do("dora", iid, "DataSharingCheck", {"decision": "reject", "comment": "未共享"}, now=at("2026-07-07 10:00"))
    people.do("cris", iid, "SecureReliableCheck", OK, now=at("2026-07-07 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("terminated", "precheck_failed")
    assert people.ready(iid) == []
