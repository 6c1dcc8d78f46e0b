"""比对各地流程: one project's facts run through the five deployed procedures in memory (engine/dryrun.py,
engine/services/compare.py), checked against the regulations' texts (/work/shared/seeds/), through the
service, the API and the command line; and nothing is stored."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine import dryrun
from engine.models import Base
from engine.services import compare
from engine.services.context import Context
from engine.services.deploy import latest_version
from tests.conftest import at
from tests.support import PASSWORD
from web.cli import main

CITIES = ("huaian", "suqian", "jiujiang", "yeji", "yaohai")
NOW = at("2026-12-01 10:00")
SOFTWARE_450 = {"project_name": "智慧城市运行管理平台", "project_type": "construction", "total_investment": 450,
                "is_software": True}


@pytest.fixture
def deployed(people):
    for key in CITIES:
        people.deploy(key)
    return people


def by_city(result: dict) -> dict:
    return {column["jurisdiction"]: column for column in result["results"]}


def elements(column: dict) -> list[str]:
    return [step["element"] for step in column["steps"]]


def roles(column: dict) -> set:
    return {step["role"] for step in column["steps"]}


def run(ctx: Context, **facts) -> dict:
    return by_city(compare.compare_facts(ctx, {**SOFTWARE_450, **facts}, NOW))


def test_a_450_wan_software_project_goes_to_the_ndrc_for_approval_and_has_a_supervisor_in_suqian(ctx, deployed):
    suqian = run(ctx)["suqian"]
    # 宿迁 第二十条: 总投资超过400万元的使用预算安排资金的建设类项目 … 提交市发展改革委履行立项审批手续
    assert {"ApprovalRoute", "ApproveProposal", "ApproveFeasibility", "ApproveDesign"} <= set(elements(suqian))
    assert "ndrc" in roles(suqian) and "市发展改革委" in suqian["bureaus"]
    assert "审批项目建议书" in suqian["approvals"] and "审批可行性研究报告" in suqian["approvals"]
    # 第二十五条: 投资预算超过100万元的建设类项目应实行工程监理制 — 委托监理, the 监理单位's report
    assert "CommissionSupervisor" in elements(suqian) and "SupervisionReport" in elements(suqian)
    assert "supervisor" in roles(suqian)
    # 第三十二条: 软件开发类项目试运行满90天
    [trial] = [c for c in suqian["clocks"] if c["element"] == "TrialMinimum"]
    assert trial["days"] >= 90
    assert suqian["finished"] and suqian["stopped"] is None


def test_jiujiang_sends_a_450_wan_project_to_no_provincial_review(ctx, deployed):
    # 九江 第十条: 1000万元以上的基础设施类、跨部门跨层级集成类 and 500万元以上的其他类别 projects need the
    # 省级论证评估; a 450万元 software project stays in the city
    jiujiang = run(ctx)["jiujiang"]
    assert "province" not in roles(jiujiang)
    assert not {"ProvincialAssessment", "ProvincialReview"} & set(elements(jiujiang))
    assert jiujiang["finished"]
    above = run(ctx, total_investment=600)["jiujiang"]
    assert {"ProvincialAssessment", "ProvincialReview"} <= set(elements(above))
    assert "省数字政府领导小组（办公室）" in above["bureaus"]


@pytest.mark.parametrize(("amount", "approved_by_ndrc"), [(400, False), (400.01, True)])
def test_suqian_sends_only_projects_of_more_than_400_wan_to_the_ndrc(ctx, deployed, amount, approved_by_ndrc):
    suqian = run(ctx, total_investment=amount)["suqian"]   # 第二十条 "超过400万元": 400 itself is not
    assert ("ApproveProposal" in elements(suqian)) is approved_by_ndrc
    assert suqian["finished"]


@pytest.mark.parametrize(("amount", "supervised"), [(100, False), (101, True)])
def test_suqian_puts_projects_of_more_than_100_wan_under_a_supervisor(ctx, deployed, amount, supervised):
    suqian = run(ctx, total_investment=amount)["suqian"]   # 第二十五条 "超过100万元"
    assert ("CommissionSupervisor" in elements(suqian)) is supervised


def test_each_column_shows_the_parallel_reviews_and_the_clocks_that_make_the_project_wait(ctx, deployed):
    result = run(ctx)
    yeji = result["yeji"]
    # 叶集 第七条: 每年10-12月份集中审查论证 — six bureaus review together, from 1 October of the year before
    assert sorted(yeji["parallel"][0]) == sorted(["区数据资源管理局", "区政务信息化专家组", "区财政局", "区发改委",
                                                   "区委机要局（密码管理局）", "区委网信办"])
    [window] = yeji["clocks"][:1]
    assert window["element"] == "WaitReviewWindow" and window["to"].startswith("2027-10-01")
    assert yeji["min_duration_days"] >= window["days"] > 0
    assert yeji["min_duration_workdays"] < yeji["min_duration_days"]
    for city in CITIES:
        column = result[city]
        assert column["steps"] and column["finished"], (city, column["stopped"], column["notes"])
        assert column["version"] == 1 and column["jurisdiction_name"]


def test_facts_a_procedure_does_not_know_are_ignored_and_missing_ones_are_noted_in_chinese(ctx, deployed):
    result = by_city(compare.compare_facts(ctx, {"project_type": "construction", "unknown_fact": "x",
                                                 "school_or_hospital": False}, NOW))
    for city in CITIES:
        notes = result[city]["notes"]
        assert any(note.startswith("未提供：总投资，按默认值") for note in notes), (city, notes)
        assert not any("unknown_fact" in note for note in notes)
    assert any("计划年度" in note for note in result["yeji"]["notes"])


def test_a_run_that_does_not_end_within_its_step_budget_says_so(ctx, deployed):
    with ctx.db.transaction() as session:
        row = latest_version(session, "yeji")
        procedure = dryrun.Procedure(key="yeji", version=ctx.loaded_version(session, row.id),
                                     forms=ctx.forms_for(session, row.id), helpers=ctx.helpers("yeji"),
                                     calendar=ctx.calendar("yeji"), role_label=ctx.registry.get("yeji").role_label)
    facts = {**procedure.forms.validate("common/project_facts", {**SOFTWARE_450, "plan_year": 2028}),
             "applicant_unit": "区教育局", "unit_records": {}}
    walk = dryrun.walk(procedure, facts, NOW, budget=3)
    assert not walk.finished and walk.stopped == "超过 3 步仍未结束（可能存在循环），试算中止"
    assert len(walk.steps) == 3


def test_a_city_not_deployed_yet_is_reported_in_its_column(ctx, people):
    people.deploy("yeji")
    result = run(ctx)
    assert result["yeji"]["steps"]
    assert result["suqian"]["stopped"] == "该地流程尚未部署" and result["suqian"]["steps"] == []


def _row_counts(ctx: Context) -> dict[str, int]:
    with ctx.db.transaction() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def _token(client, people, who: str) -> dict:
    getattr(people, who)
    response = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_comparing_stores_nothing_in_any_table(ctx, deployed, client):
    headers = _token(client, deployed, "mona")
    before = _row_counts(ctx)
    assert before["process_versions"] == 5
    response = client.post("/api/v1/manage/compare", json={"facts": SOFTWARE_450}, headers=headers)
    assert response.status_code == 200, response.json
    compare.compare_facts(ctx, {**SOFTWARE_450, "total_investment": 1200}, NOW)
    assert _row_counts(ctx) == before


def test_a_manager_compares_through_the_api_and_others_are_refused(ctx, deployed, client):
    response = client.post("/api/v1/manage/compare", json={"facts": SOFTWARE_450},
                           headers=_token(client, deployed, "mona"))
    assert response.status_code == 200
    columns = {c["jurisdiction"]: c for c in response.json["results"]}
    assert set(columns) == set(CITIES)
    step = columns["suqian"]["steps"][0]
    assert set(step) >= {"element", "title", "role", "kind"} and step["kind"] == "user_task"
    assert columns["jiujiang"]["clocks"][0]["from"].startswith(response.json["computed_at"][:10])
    refused = client.post("/api/v1/manage/compare", json={"facts": SOFTWARE_450},
                          headers=_token(client, deployed, "alice"))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.post("/api/v1/manage/compare", json={"facts": SOFTWARE_450}).status_code == 401
    bad = client.post("/api/v1/manage/compare", json={"facts": [1]}, headers=_token(client, deployed, "mona"))
    assert bad.status_code == 422


def test_govflow_compare_prints_each_city_with_its_path_approvals_and_duration(ctx, deployed, tmp_path, capsys):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(SOFTWARE_450, ensure_ascii=False), encoding="utf-8")
    assert main(["compare", "--facts", str(facts), "--now", "2026-12-01T10:00:00+08:00"]) == 0
    out = capsys.readouterr().out
    for heading in ("== 淮安市（huaian）", "== 宿迁市（suqian）", "== 九江市（jiujiang）", "== 六安市叶集区（yeji）",
                    "== 合肥市瑶海区（yaohai）"):
        assert heading in out
    suqian = out.split("== 宿迁市（suqian）")[1].split("\n== ")[0]
    assert "审批项目建议书 —— 市发展改革委" in suqian and "委托信息系统工程监理单位" in suqian
    assert "审批环节：" in suqian and "最短法定用时：" in suqian
    jiujiang = out.split("== 九江市（jiujiang）")[1].split("\n== ")[0]
    assert "—— 市发改委" in jiujiang and "—— 省数字政府领导小组（办公室）" not in jiujiang


def test_govflow_compare_refuses_a_file_that_is_not_json(tmp_path, capsys):
    facts = tmp_path / "facts.json"
    facts.write_text("not json", encoding="utf-8")
    assert main(["compare", "--facts", str(facts)]) == 1
    assert "无法读取项目信息文件" in capsys.readouterr().err
