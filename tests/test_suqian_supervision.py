"""宿迁 第三十六条 in the 运维期: 市数据局 抽查复核 the yearly report while, 同时, a 第三方机构 evaluates a 重点项目;
a negative finding of either leads to 限期整改; a system failing 网络和数据安全及密码应用 gets no further
construction or 运维 funds."""
import pytest

from engine.errors import PermissionDenied, ValidationFailed
from engine.services import runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.test_suqian_acceptance import _accepted, _live, _operating
from tests.test_suqian_support import ANSWERS, OK, OPS_OK, advance, fund, personas, task_data
from tests.test_suqian_thresholds import _decentralized

PASSED = {"agency": "某评估公司", "result": "pass", "conclusion": "达到预期效果"}
FAILED = {"agency": "某评估公司", "result": "fail", "conclusion": "用户使用率低，未达到预期效果",
          "rectify_by": "2028-04-30"}


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _reported(people, ctx, **facts):
    iid = _operating(people, ctx, **facts)
    tick(ctx, at("2028-01-01 00:00"))
    people.do("ann", iid, "OpsReport", ANSWERS["OpsReport"][1], now=at("2028-01-10 10:00"))
    return iid


def _waiting(people, iid):
    return [w["name"] for w in people.instance(iid)["waiting"]]


def test_it_commissions_the_third_party_evaluation_before_the_review_decides(people, ctx):
    iid = _reported(people, ctx, is_key_project=True)
    people.do("dora", iid, "ThirdPartyEvaluation", PASSED, now=at("2028-01-15 10:00"))
    assert people.ready(iid) == ["OpsReview"]
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2028-01-20 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds"]
    fund(people, iid)
    assert people.ready(iid) == [] and _waiting(people, iid) == ["OpsPeriodEnds"]


def test_it_does_not_ask_a_third_party_about_an_ordinary_project(people, ctx):
    iid = _reported(people, ctx)
    assert people.ready(iid) == ["OpsReview"]


def test_it_orders_rectification_when_the_third_party_finds_the_goals_missed(people, ctx):
    iid = _reported(people, ctx, is_key_project=True)
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2028-01-20 10:00"))
    people.do("dora", iid, "ThirdPartyEvaluation", FAILED, now=at("2028-01-25 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"]
    [row] = [r for r in people.ready_rows(iid) if r.element_id == "Rectify"]
    assert row.due_at.date().isoformat() == "2028-04-30"


def test_it_orders_rectification_when_the_review_fails_though_the_third_party_passes(people, ctx):
    iid = _reported(people, ctx, is_key_project=True)
    people.do("dora", iid, "ThirdPartyEvaluation", PASSED, now=at("2028-01-15 10:00"))
    people.do("dora", iid, "OpsReview", {"security_compliant": True, "decision": "return", "comment": "未达到预期效果",
                                         "rectify_by": "2028-03-31"}, now=at("2028-01-20 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"]


def test_it_withholds_further_funds_from_a_system_failing_security_and_crypto_requirements(people, ctx):
    iid = _reported(people, ctx)
    people.do("dora", iid, "OpsReview", {**OK, "security_compliant": False, "rectify_by": "2028-03-31",
                                         "comment": "未通过密码应用安全性评估"}, now=at("2028-01-20 10:00"))
    data = task_data(ctx, iid, "WithholdOpsFunds")
    assert data["funds_withheld"] is True and "密码应用" in data["funds_withheld_reason"]
    assert data["ops_funds_withheld_cycles"] == [1]
    assert people.ready(iid) == ["Rectify"]          # 市财政局 is not asked to arrange this system's funds
    assert [t for t in people.inbox("fay") if t["instance_id"] == iid] == []


def test_it_keeps_funding_a_system_meeting_security_and_crypto_requirements(people, ctx):
    iid = _reported(people, ctx)
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2028-01-20 10:00"))
    assert task_data(ctx, iid, "RecordOpsFindings")["funds_withheld"] is False
    assert [t["name"] for t in people.inbox("fay") if t["instance_id"] == iid] == ["ArrangeOpsFunds"]
    fund(people, iid)
    assert _waiting(people, iid) == ["OpsPeriodEnds"]


# 第二十一条 — 分散建设的项目由申报单位组织实施：验收问题整改与资产移交由其实施单位承担，而非市数据集团

def _decentralized_accepting(people, ctx, decision):
    iid = _decentralized(people, OK, OK)
    people.do("ann", iid, "ImplementDecentralized", {"finished": True}, now=at("2027-03-01 10:00"))
    advance(people, iid, "GoLive", "2027-03-01 10:00")
    people.do("ann", iid, "GoLive", {"system_online": True}, now=at("2027-05-01 10:00"))
    tick(ctx, at("2027-08-01 00:00"))
    advance(people, iid, "FinalAcceptance", "2027-08-10 10:00")
    people.do("ann", iid, "FinalAcceptance", decision, now=at("2027-08-20 10:00"))
    return iid


def test_it_has_the_applicants_builder_fix_a_decentralized_project_not_accepted(people, ctx):
    iid = _decentralized_accepting(people, ctx, {"decision": "return", "comment": "性能不达标",
                                                  "acceptance_report": "验收意见.pdf"})
    assert people.ready(iid) == ["AcceptanceRectifyOwn"]
    assert people.task("ann", iid, "AcceptanceRectifyOwn")["role"] == "applicant"


def test_it_has_the_data_group_fix_a_centralized_project_not_accepted(people, ctx):
    iid = _not_accepted(people, ctx)
    assert people.ready(iid) == ["AcceptanceRectify"]
    assert people.task("gail", iid, "AcceptanceRectify")["role"] == "data_group"


def test_it_has_the_applicants_builder_hand_over_a_decentralized_projects_assets(people, ctx):
    iid = _decentralized_accepting(people, ctx, ANSWERS["FinalAcceptance"][1])
    assert sorted(people.ready(iid)) == ["AcceptanceFiling", "AssetTransferOwn", "Payment"]
    assert people.task("ann", iid, "AssetTransferOwn")["role"] == "applicant"
    people.do("ann", iid, "AssetTransferOwn", ANSWERS["AssetTransfer"][1], now=at("2027-09-01 10:00"))
    assert "AssetRegistration" in people.ready(iid)


def test_it_has_the_data_group_hand_over_a_centralized_projects_assets(people, ctx):
    iid = _accepted(people, ctx)
    assert sorted(people.ready(iid)) == ["AcceptanceFiling", "AssetTransfer", "Payment"]
    assert people.task("gail", iid, "AssetTransfer")["role"] == "data_group"


def _not_accepted(people, ctx):
    iid = _live(people)
    tick(ctx, at("2027-08-01 00:00"))
    advance(people, iid, "FinalAcceptance", "2027-08-10 10:00")
    people.do("ann", iid, "FinalAcceptance", {"decision": "return", "comment": "性能不达标",
                                              "acceptance_report": "验收意见.pdf"}, now=at("2027-08-20 10:00"))
    return iid


# 第三十六条 — 建设期内（含试运行至竣工验收）每年年底前提交项目绩效评价报告

SELF_EVALUATION = {"report": "绩效评价报告.pdf", "progress": "已上线试运行", "investment_execution": "已支付80%",
                   "trial_effect": "运行平稳，个别接口超时", "applicant_opinion": "同意", "supervisor_opinion": "同意"}


def _fires(people, iid, name):
    return [w["fires_at"][:10] for w in people.instance(iid)["waiting"] if w["name"] == name]


def test_it_asks_for_the_self_evaluation_in_a_year_whose_construction_closed_before_december(people, ctx):
    iid = _live(people)                               # 实施 closed in March, on trial since 2027-05-01
    assert _fires(people, iid, "TrialYearEnd") == ["2027-12-01"]
    tick(ctx, at("2027-12-01 08:00"))
    assert "TrialSelfEvaluation" in people.ready(iid)
    assert people.task("gail", iid, "TrialSelfEvaluation")["role"] == "data_group"
    [row] = [r for r in people.ready_rows(iid) if r.element_id == "TrialSelfEvaluation"]
    assert row.due_at.date().isoformat() == "2027-12-31"
    people.do("gail", iid, "TrialSelfEvaluation", SELF_EVALUATION, now=at("2027-12-10 10:00"))
    assert _fires(people, iid, "TrialYearEnd") == ["2028-12-01"]


def test_it_does_not_ask_twice_in_a_year_already_evaluated_during_construction(people, ctx):
    iid = _decentralized(people, OK, OK)
    tick(ctx, at("2027-12-01 08:00"))
    people.do("ann", iid, "ConstructionSelfEvaluationDecentralized", SELF_EVALUATION, now=at("2027-12-10 10:00"))
    people.do("ann", iid, "ImplementDecentralized", {"finished": True}, now=at("2027-12-15 10:00"))
    assert _fires(people, iid, "TrialYearEnd") == ["2028-12-01"]


def test_it_asks_the_applicants_builder_for_the_trial_run_self_evaluation_of_a_decentralized_project(people, ctx):
    iid = _decentralized(people, OK, OK)
    people.do("ann", iid, "ImplementDecentralized", {"finished": True}, now=at("2027-03-01 10:00"))
    tick(ctx, at("2027-12-01 08:00"))
    assert "TrialSelfEvaluationOwn" in people.ready(iid)
    assert people.task("ann", iid, "TrialSelfEvaluationOwn")["role"] == "applicant"


def test_it_stops_the_yearly_self_evaluation_once_the_project_is_accepted_and_handed_over(people, ctx):
    iid = _operating(people, ctx)
    assert _fires(people, iid, "TrialYearEnd") == []


# 第三十六条 — 市数据局对报表进行抽查复核：未被抽中的报表不经复核即备案

def test_it_files_a_report_the_data_bureau_does_not_draw_within_30_days(people, ctx):
    iid = _reported(people, ctx)                      # reported on 2028-01-10
    tick(ctx, at("2028-02-08 12:00"))
    assert people.ready(iid) == ["OpsReview"]
    tick(ctx, at("2028-02-10 12:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds"]
    fund(people, iid, now="2028-02-11 10:00")
    assert _waiting(people, iid) == ["OpsPeriodEnds"]
    history = [e["element"] for e in people.instance(iid)["history"]]
    assert "Rectify" not in history


def test_it_orders_rectification_from_a_report_drawn_for_review_within_30_days(people, ctx):
    iid = _reported(people, ctx)
    people.do("dora", iid, "OpsReview", {"security_compliant": True, "decision": "return", "comment": "运营成效不实",
                                         "rectify_by": "2028-05-31"}, now=at("2028-02-08 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"]


def test_it_still_has_the_third_party_evaluate_a_key_project_whose_report_is_not_drawn(people, ctx):
    iid = _reported(people, ctx, is_key_project=True)
    tick(ctx, at("2028-02-10 12:00"))
    assert people.ready(iid) == ["ThirdPartyEvaluation"]
    people.do("dora", iid, "ThirdPartyEvaluation", FAILED, now=at("2028-02-15 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"]


# 第六条 — 市大数据中心每月监测已建成运行的项目；运行不正常的淘汰退出，收回云资源、关停系统

def _monitor(people, parent, who="ben", **finding):
    """市大数据中心 starts the month's monitoring of a project and records its finding."""
    people.deploy("suqian.monitoring")
    iid = runtime.start_instance(people.ctx, getattr(people, who), "suqian.monitoring",
                                 {"project_name": "宿迁市智慧警务平台", "month": "2028-03"},
                                 now=at("2028-03-25 09:00"), parent_instance_id=parent)
    people.do("ben", iid, "MonitoringFinding", {"result": "normal", **finding}, now=at("2028-04-01 09:00"))
    return iid


def test_it_eliminates_a_system_the_monthly_monitoring_finds_idle(people, ctx):
    parent = _operating(people, ctx)
    iid = _monitor(people, parent, result="abnormal", abnormal_reasons=["low_usage", "idle"],
                   comment="云资源使用率长期低于5%")
    assert people.ready(iid) == ["Shutdown"]
    people.do("ben", iid, "Shutdown", {"cloud_reclaimed": True, "shutdown_date": "2028-04-10",
                                       "comment": "已收回云资源并关停"}, now=at("2028-04-10 10:00"))
    inst = people.instance(parent)
    assert (inst["status"], inst["outcome"]) == ("terminated", "eliminated")
    assert "不予审批" in inst["outcome_reason"] and "2028-03" in inst["outcome_reason"]
    assert people.ready(parent) == [] and _waiting(people, parent) == []


def test_it_leaves_a_system_running_normally_in_operation(people, ctx):
    parent = _operating(people, ctx)
    iid = _monitor(people, parent)
    assert people.instance(iid)["status"] == "completed"
    inst = people.instance(parent)
    assert inst["status"] == "running" and _waiting(people, parent) == ["OpsPeriodEnds"]


def test_it_asks_which_abnormality_the_monitoring_found(people, ctx):
    parent = _operating(people, ctx)
    with pytest.raises(ValidationFailed) as err:
        _monitor(people, parent, result="abnormal", comment="异常")
    assert "abnormal_reasons" in err.value.errors


def test_it_lets_only_the_big_data_center_record_the_monitoring(people, ctx):
    parent = _operating(people, ctx)
    with pytest.raises(PermissionDenied):
        _monitor(people, parent, who="ann")


# 第三十六条 — 不符合网络和数据安全及密码应用要求的，市财政局不予安排运维经费：整改合格后的下一周期恢复安排

def _failed_security_then_rectified(people, ctx):
    iid = _reported(people, ctx)
    people.do("dora", iid, "OpsReview", {**OK, "security_compliant": False, "rectify_by": "2028-03-31",
                                         "comment": "未通过等级保护测评"}, now=at("2028-01-20 10:00"))
    people.do("ann", iid, "Rectify", {"rectification": "已完成等保测评整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", iid, "RectifyCheck", OK, now=at("2028-03-05 10:00"))
    tick(ctx, at("2029-01-01 00:00"))
    people.do("ann", iid, "OpsReport", ANSWERS["OpsReport"][1], now=at("2029-01-10 10:00"))
    return iid


def test_it_arranges_the_funds_again_in_the_cycle_after_the_rectification_passed(people, ctx):
    iid = _failed_security_then_rectified(people, ctx)
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2029-01-20 10:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds"]
    assert task_data(ctx, iid, "ArrangeOpsFunds")["ops_funds_withheld_cycles"] == [1]
    fund(people, iid, now="2029-01-25 10:00")            # the second cycle's join counts this round only
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2029-12-31T23:59:59+08:00"]


def test_it_withholds_the_funds_again_when_the_next_review_still_finds_the_system_insecure(people, ctx):
    iid = _failed_security_then_rectified(people, ctx)
    people.do("dora", iid, "OpsReview", {**OK, "security_compliant": False, "rectify_by": "2029-03-31",
                                         "comment": "密码应用仍不符合要求"}, now=at("2029-01-20 10:00"))
    assert people.ready(iid) == ["Rectify"]
    assert task_data(ctx, iid, "WithholdOpsFunds")["ops_funds_withheld_cycles"] == [1, 2]
