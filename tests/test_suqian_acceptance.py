"""宿迁: construction, 试运行 (第二十九条), 竣工验收 with 档案验收 first (第二十八、三十、三十一条),
备案 within 30 days, 资产移交 and 质保 (第三十二、三十三条), yearly 自评价 and 运维 reports,
限期整改 ending in 终止 (第三十六条), retirement (第三十四条) and 运维/购买服务 projects accepted when
the service period ends (第二十八条)."""
from datetime import date

import pytest

from engine.clock import SHANGHAI
from engine.errors import ValidationFailed
from engine.services.timers import tick
from tests.conftest import at
from tests.test_suqian_support import ANSWERS, OK, OPS_OK, RETURN, advance, fund, personas, started, workflow_data

GO_LIVE = "2027-05-01 10:00"


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _due(people, iid, element):
    [row] = [r for r in people.ready_rows(iid) if r.element_id == element]
    return row.due_at.astimezone(SHANGHAI)


def _live(people, **facts):
    """Built and put online on 2027-05-01: the trial run has started."""
    iid = started(people, **facts)
    advance(people, iid, "GoLive", "2027-03-01 10:00")
    people.do("ann", iid, "GoLive", {"system_online": True}, now=at(GO_LIVE))
    return iid


def _accepted(people, ctx, **facts):
    """Accepted on 2027-08-20 after a 30-day trial; the three post-acceptance duties are ready."""
    iid = _live(people, **facts)
    tick(ctx, at("2027-08-01 00:00"))
    advance(people, iid, "FinalAcceptance", "2027-08-10 10:00")
    people.do("ann", iid, "FinalAcceptance", ANSWERS["FinalAcceptance"][1], now=at("2027-08-20 10:00"))
    return iid


def _operating(people, ctx, **facts):
    """In its first 运维周期 (ends 2027-12-31)."""
    iid = _accepted(people, ctx, **facts)
    for element in ("Payment", "AcceptanceFiling", "AssetTransfer", "AssetRegistration"):
        who, data = ANSWERS[element]
        people.do(who, iid, element, data, now=at("2027-09-01 10:00"))
    return iid


def _reported(people, ctx, **report):
    iid = _operating(people, ctx)
    tick(ctx, at("2028-01-01 00:00"))
    people.do("ann", iid, "OpsReport", {**ANSWERS["OpsReport"][1], **report}, now=at("2028-01-10 10:00"))
    return iid


# 第二十九条 — 竣工验收在上线试运行30天后进行；软件开发项目90天后

def test_it_waits_30_days_of_trial_run_before_acceptance(people, ctx):
    iid = _live(people)
    assert people.ready(iid) == []
    assert [w["name"] for w in people.instance(iid)["waiting"]] == ["TrialMinimum", "TrialYearEnd"]
    assert tick(ctx, at("2027-05-30 10:00")) == []            # 29 days
    assert people.ready(iid) == []
    tick(ctx, at("2027-06-01 10:00"))                         # 31 days
    assert people.ready(iid) == ["AcceptanceMaterials"]


def test_it_waits_90_days_of_trial_run_for_a_software_project(people, ctx):
    iid = _live(people, is_software=True)
    tick(ctx, at("2027-06-01 10:00"))                         # 31 days: not enough for software
    assert people.ready(iid) == []
    tick(ctx, at("2027-07-29 10:00"))                         # 89 days
    assert people.ready(iid) == []
    tick(ctx, at("2027-07-31 10:00"))                         # 91 days
    assert people.ready(iid) == ["AcceptanceMaterials"]


def test_it_keeps_the_system_out_of_formal_use_during_the_trial_run(people, ctx):
    iid = _live(people)
    assert workflow_data(ctx, iid)["in_formal_use"] is False


def test_it_flags_acceptance_not_finished_a_year_after_the_trial_started(people, ctx):
    iid = _live(people)
    tick(ctx, at("2027-06-01 10:00"))
    assert _due(people, iid, "AcceptanceMaterials").date() == date(2028, 5, 1)
    tick(ctx, at("2028-05-01 23:00"))
    assert not people.inbox("ann", now=at("2028-05-01 23:00"))[0]["overdue"]
    flagged = tick(ctx, at("2028-05-02 09:00"))
    assert [(f.kind, f.element_id) for f in flagged] == [("overdue", "AcceptanceMaterials")]
    assert people.inbox("ann", now=at("2028-05-02 09:00"))[0]["overdue"]


# 第三十条、第三十一条 — 资料经市数据局审核；未经档案验收或不合格的不得通过验收

def test_it_reviews_the_materials_then_requires_the_archives_acceptance_before_the_final_one(people, ctx):
    iid = _live(people)
    tick(ctx, at("2027-06-01 10:00"))
    people.do("ann", iid, "AcceptanceMaterials", {"materials": "资料.zip"}, now=at("2027-06-05 10:00"))
    people.do("dora", iid, "MaterialsReview", RETURN, now=at("2027-06-06 10:00"))
    assert people.ready(iid) == ["AcceptanceMaterials"]
    people.do("ann", iid, "AcceptanceMaterials", {"materials": "资料v2.zip"}, now=at("2027-06-07 10:00"))
    people.do("dora", iid, "MaterialsReview", OK, now=at("2027-06-08 10:00"))
    assert people.ready(iid) == ["ArchivesAcceptance"]
    assert _due(people, iid, "ArchivesAcceptance").date() == date(2028, 5, 1)
    people.do("arch", iid, "ArchivesAcceptance", {"decision": "return", "comment": "电子档案未归档"},
              now=at("2027-06-10 10:00"))
    assert people.ready(iid) == ["ArchivesRectify"]
    people.do("ann", iid, "ArchivesRectify", {"rectification": "已完成归档"}, now=at("2027-06-12 10:00"))
    assert people.ready(iid) == ["ArchivesAcceptance"]
    people.do("arch", iid, "ArchivesAcceptance", OK, now=at("2027-06-13 10:00"))
    assert people.ready(iid) == ["FinalAcceptance"]


# 第二十八条 — 未经验收或验收不合格的不得投入使用；第二十九条 — 不得以初步验收替代竣工验收

def test_it_has_the_implementer_rectify_a_failed_acceptance_before_the_system_is_used(people, ctx):
    iid = _live(people)
    tick(ctx, at("2027-06-01 10:00"))
    advance(people, iid, "FinalAcceptance", "2027-06-10 10:00")
    people.do("ann", iid, "FinalAcceptance", {"decision": "return", "comment": "性能不达标",
                                             "acceptance_report": "验收报告.pdf"}, now=at("2027-06-20 10:00"))
    assert people.ready(iid) == ["AcceptanceRectify"]
    assert people.task("gail", iid, "AcceptanceRectify")["role"] == "data_group"
    assert workflow_data(ctx, iid)["in_formal_use"] is False
    people.do("gail", iid, "AcceptanceRectify", {"rectification": "已优化"}, now=at("2027-07-01 10:00"))
    people.do("ann", iid, "FinalAcceptance", ANSWERS["FinalAcceptance"][1], now=at("2027-07-05 10:00"))
    assert workflow_data(ctx, iid)["in_formal_use"] is True


def test_it_pays_nothing_and_funds_no_operation_for_a_project_not_accepted(people, ctx):
    """第三十六条: 未经验收的项目，市财政局不予安排后续建设资金和运维经费 — however long it stays unaccepted."""
    iid = _live(people)
    tick(ctx, at("2027-06-01 10:00"))
    advance(people, iid, "FinalAcceptance", "2027-06-10 10:00")
    people.do("ann", iid, "FinalAcceptance", {"decision": "return", "comment": "性能不达标",
                                             "acceptance_report": "验收报告.pdf"}, now=at("2027-06-20 10:00"))
    tick(ctx, at("2028-01-02 10:00"))           # a year-end and a new year pass unaccepted
    elements = {h["element"] for h in people.instance(iid)["history"]}
    ready = set(people.ready(iid))
    assert not ({"Payment", "AcceptanceFiling", "AssetTransfer", "OpsReport", "OperationService"} & (elements | ready))
    assert "AcceptanceRectify" in ready
    people.do("gail", iid, "AcceptanceRectify", {"rectification": "已优化"}, now=at("2028-01-05 10:00"))
    people.do("ann", iid, "FinalAcceptance", ANSWERS["FinalAcceptance"][1], now=at("2028-01-10 10:00"))
    assert "Payment" in people.ready(iid)


def test_it_does_not_take_a_preliminary_acceptance_for_the_final_one(people, ctx):
    iid = _live(people)
    tick(ctx, at("2027-06-01 10:00"))
    advance(people, iid, "FinalAcceptance", "2027-06-10 10:00")
    with pytest.raises(ValidationFailed) as err:
        people.do("ann", iid, "FinalAcceptance", {**ANSWERS["FinalAcceptance"][1], "acceptance_kind": "preliminary"},
                  now=at("2027-06-20 10:00"))
    assert "acceptance_kind" in err.value.errors


# 第三十条至第三十三条 — 拨付；30天内备案；资产移交；质保不少于三年

def test_it_opens_payment_filing_and_asset_transfer_together_with_the_filing_due_in_30_days(people, ctx):
    iid = _accepted(people, ctx)
    assert people.ready(iid) == ["AcceptanceFiling", "AssetTransfer", "Payment"]
    assert _due(people, iid, "AcceptanceFiling").date() == date(2027, 9, 19)
    assert people.task("fay", iid, "Payment")["role"] == "finance"


def test_it_records_a_warranty_of_at_least_three_years_from_acceptance(people, ctx):
    iid = _accepted(people, ctx)
    with pytest.raises(ValidationFailed) as err:
        people.do("gail", iid, "AssetTransfer", {"assets": "软件许可", "warranty_years": 2}, now=at("2027-08-25 10:00"))
    assert "warranty_years" in err.value.errors
    iid = _operating(people, ctx)
    assert workflow_data(ctx, iid)["warranty_until"].startswith("2030-08-20")


# 第三十六条 — 建设期内实施单位每年年底前提交绩效评价报告

def test_it_asks_the_implementer_for_a_self_evaluation_before_each_year_end_of_construction(people, ctx):
    iid = started(people)
    advance(people, iid, "Implement", "2027-03-01 10:00")
    assert [w["fires_at"][:10] for w in people.instance(iid)["waiting"]] == ["2027-12-01"]
    tick(ctx, at("2027-12-01 08:00"))
    assert people.ready(iid) == ["ConstructionSelfEvaluation"]
    assert _due(people, iid, "ConstructionSelfEvaluation").date() == date(2027, 12, 31)
    people.do("gail", iid, "ConstructionSelfEvaluation", {
        "report": "绩效评价报告.pdf", "progress": "完成70%", "investment_execution": "已支付60%",
        "applicant_opinion": "同意", "supervisor_opinion": "同意"}, now=at("2027-12-10 10:00"))
    assert people.ready(iid) == ["Implement"]
    assert [w["fires_at"][:10] for w in people.instance(iid)["waiting"]] == ["2028-12-01"]


# 第三十六条 — 每个运维周期结束后提交运维服务情况报表；市数据局抽查复核；重点项目第三方评估

def test_it_asks_for_the_operations_report_after_each_natural_year(people, ctx):
    iid = _operating(people, ctx)
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2027-12-31T23:59:59+08:00"]
    tick(ctx, at("2028-01-01 00:00"))
    people.do("ann", iid, "OpsReport", ANSWERS["OpsReport"][1], now=at("2028-01-10 10:00"))
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2028-01-20 10:00"))
    fund(people, iid)
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2028-12-31T23:59:59+08:00"]


def test_it_counts_a_contract_year_as_the_operations_period(people, ctx):
    iid = _accepted(people, ctx)
    for element in ("Payment", "AcceptanceFiling", "AssetTransfer"):
        people.do(ANSWERS[element][0], iid, element, ANSWERS[element][1], now=at("2027-09-01 10:00"))
    people.do("ann", iid, "AssetRegistration", {"registration_no": "ZC-1", "ops_cycle": "contract",
                                                "ops_contract_date": "2027-03-01"}, now=at("2027-09-01 10:00"))
    assert [w["fires_at"] for w in people.instance(iid)["waiting"]] == ["2028-02-29T23:59:59+08:00"]


def test_it_has_a_third_party_evaluate_a_key_project_at_the_same_time_as_the_review(people, ctx):
    iid = _operating(people, ctx, is_key_project=True)
    tick(ctx, at("2028-01-01 00:00"))
    people.do("ann", iid, "OpsReport", ANSWERS["OpsReport"][1], now=at("2028-01-10 10:00"))
    assert sorted(people.ready(iid)) == ["OpsReview", "ThirdPartyEvaluation"]


# 第三十六条 — 限期整改；拒不整改或整改后仍不符合要求的……直至项目终止

def _returned(people, ctx, rectify_by="2028-03-31"):
    iid = _reported(people, ctx)
    people.do("dora", iid, "OpsReview", {"security_compliant": True, "decision": "return", "comment": "未达到预期效果",
                                         "rectify_by": rectify_by}, now=at("2028-01-20 10:00"))
    return iid


def test_it_gives_the_applicant_a_deadline_to_rectify(people, ctx):
    iid = _returned(people, ctx)
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"]
    assert _due(people, iid, "Rectify").isoformat() == "2028-03-31T23:59:59+08:00"
    fund(people, iid)
    people.do("ann", iid, "Rectify", {"rectification": "已整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", iid, "RectifyCheck", OK, now=at("2028-03-05 10:00"))
    assert [w["name"] for w in people.instance(iid)["waiting"]] == ["OpsPeriodEnds"]


def test_it_sanctions_a_project_not_rectified_by_the_deadline(people, ctx):
    iid = _returned(people, ctx)
    tick(ctx, at("2028-04-01 00:00"))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Sanction"]


def test_it_sets_a_new_deadline_after_sanctions_and_terminates_a_project_still_failing(people, ctx):
    iid = _returned(people, ctx)
    people.do("ann", iid, "Rectify", {"rectification": "部分整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", iid, "RectifyCheck", {"decision": "reject", "comment": "仍不符合"}, now=at("2028-03-05 10:00"))
    people.do("dora", iid, "Sanction", {"measures": ["criticism", "withhold_funds"], "rectify_by": "2028-06-30",
                                        "comment": "通报批评，暂缓拨付运维经费"}, now=at("2028-03-06 10:00"))
    assert people.ready(iid) == ["Rectify"]                  # finance's arrangement is held (test_suqian_fund_hold)
    assert _due(people, iid, "Rectify").date() == date(2028, 6, 30)
    tick(ctx, at("2028-07-01 00:00"))
    people.do("dora", iid, "Sanction", {"measures": ["suspend"], "terminate": True, "comment": "拒不整改，终止项目"},
              now=at("2028-07-02 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"], inst["outcome_label"], inst["outcome_reason"]) == (
        "terminated", "terminated", "拒不整改或整改后仍不符合要求，项目终止", "拒不整改，终止项目")
    assert people.ready(iid) == []             # finance's pending arrangement ends with the project


# 第三十四条 — 不再继续使用的，数据移交、系统停用、备案注销

def test_it_retires_a_system_no_longer_used(people, ctx):
    iid = _reported(people, ctx, continue_use=False, retire_reason="业务已并入省级系统")
    people.do("dora", iid, "OpsReview", OPS_OK, now=at("2028-01-20 10:00"))
    fund(people, iid)
    people.do("ann", iid, "Retire", {"data_transfer": "数据已移交市公共数据平台", "shutdown_date": "2028-02-01"},
              now=at("2028-02-01 10:00"))
    people.do("dora", iid, "RetireFiling", {"confirmed": True}, now=at("2028-02-02 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")


# 第二十八条 — 运维类项目应在运维服务期满后组织项目验收，出具验收报告

@pytest.mark.parametrize("project_type", ["operation", "service"])
def test_it_accepts_a_service_project_when_its_service_period_ends(people, ctx, project_type):
    iid = started(people, project_type=project_type)
    advance(people, iid, "OperationService", "2027-01-10 10:00")
    people.do("gail", iid, "OperationService", {"service_months": 12, "service_content": "系统运维"},
              now=at("2027-01-15 10:00"))
    assert tick(ctx, at("2028-01-14 10:00")) == []
    tick(ctx, at("2028-01-16 10:00"))
    people.do("ann", iid, "ServiceAcceptance",
              {"decision": "return", "comment": "响应超时", "acceptance_report": "a.pdf"},
              now=at("2028-01-20 10:00"))
    people.do("gail", iid, "ServiceRectify", {"rectification": "已整改"}, now=at("2028-01-25 10:00"))
    people.do("ann", iid, "ServiceAcceptance", ANSWERS["ServiceAcceptance"][1], now=at("2028-01-30 10:00"))
    inst = people.instance(iid)
    assert (inst["status"], inst["outcome"]) == ("completed", "completed")
    assert "TrialMinimum" not in [e["element"] for e in inst["history"]]
