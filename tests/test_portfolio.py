"""The managers' portfolio: the dashboard's counts, bureaus, overdue and 预警 lists (on the working-day
calendar), durations and months; the project search and its filters; CSV and Excel exports read
back; who sees which city's projects (a manager their own, a province-wide viewer all)."""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from engine import clock, queries
from engine.services import portfolio, runtime, search
from tests import portfolio_support as ps
from tests.conftest import at
from tests.support import PASSWORD, Personas
from web.exports import PROJECT_COLUMNS, TABLES

NOW = at("2026-12-01 10:00")


@pytest.fixture
def phased(monkeypatch, people):
    ps.install_phased(monkeypatch, people)


@pytest.fixture
def built(people, ctx, phased) -> ps.Portfolio:
    return ps.build(people, ctx)


def token(client, username: str, people=None) -> dict:
    if people is not None and username in people.table:
        getattr(people, username)        # a persona is made on first use
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def board_of(ctx, people, who="mona", **kwargs) -> dict:
    portfolio.refresh_all(ctx, NOW)
    return portfolio.dashboard(ctx, getattr(people, who) if isinstance(who, str) else who, now=NOW, **kwargs)


def test_the_dashboard_counts_hundreds_of_projects_by_procedure_phase_status_and_bureau(ctx, people, phased):
    built = ps.build(people, ctx, scale=3)          # 225 projects in three cities
    board = board_of(ctx, people)
    assert [j["key"] for j in board["jurisdictions"]] == ["yeji"]
    running = len(built.at_declare) + len(built.in_review) + len(built.finance_left) + len(built.archiving)
    assert board["counts"] == {"total": len(built.yeji), "running": running, "completed": len(built.completed),
                               "terminated": len(built.terminated)}
    (row,) = [r for r in board["by_process"] if r["process"] == ps.PHASED]
    assert (row["running"], row["completed"], row["terminated"]) == (running, 12, 6)
    phases = {r["phase_title"]: r["running"] for r in board["by_phase"] if r["process"] == ps.PHASED}
    # 项目申报 and 归档 are steps of the top level; the two reviews are inside the phase
    assert phases == {ps.REVIEW_PHASE: len(built.in_review) + len(built.finance_left),
                      "（未分阶段）": len(built.at_declare) + len(built.archiving)}
    bureaus = {r["role"]: r for r in board["bureaus"]}
    assert bureaus["data_bureau"]["waiting"] == len(built.in_review)
    assert bureaus["finance"]["waiting"] == len(built.finance_left)
    assert bureaus["applicant"]["waiting"] == len(built.at_declare) + len(built.archiving)
    assert bureaus["finance"]["role_label"] == "区财政局"
    # the oldest wait at 区数管局: the earliest declaration among those still in review (declared a day
    # after the start)
    oldest = min(built.started[i] for i in built.in_review) + timedelta(days=1)
    assert bureaus["data_bureau"]["oldest_wait_days"] == round((NOW - oldest).total_seconds() / 86400, 1)
    waits = sorted((NOW - built.started[i] - timedelta(days=1)).total_seconds() / 86400 for i in built.in_review)
    assert abs(bureaus["data_bureau"]["median_wait_days"] - waits[(len(waits) - 1) // 2]) <= 0.1
    label = ctx.registry.get("yeji").outcome_label
    assert board["outcomes"] == [
        {"jurisdiction": "yeji", "process": ps.PHASED, "process_name": "分阶段测试流程", "outcome": "completed",
         "outcome_label": label("completed"), "count": 12},
        {"jurisdiction": "yeji", "process": ps.PHASED, "process_name": "分阶段测试流程", "outcome": "terminated",
         "outcome_label": label("terminated"), "count": 6}]


def test_durations_per_phase_and_end_to_end_are_those_the_projects_took(ctx, people, built):
    board = board_of(ctx, people)
    (review,) = [r for r in board["phase_durations"] if r["phase_title"] == ps.REVIEW_PHASE]
    # went on from the phase: the archiving and the completed ones (declared day 1, 区财政局 done day 6);
    # those terminated inside it did not
    assert review["count"] == len(built.archiving) + len(built.completed)
    assert review["avg_days"] == review["p90_days"] == 5.0
    ends = {r["status"]: r for r in board["end_to_end"] if r["process"] == ps.PHASED}
    assert ends["completed"]["count"] == 4 and ends["completed"]["avg_days"] == 10.0
    assert ends["terminated"]["count"] == 2 and ends["terminated"]["p90_days"] == 4.0
    steps = {r["element"]: r for r in board["clocked_steps"] if r["process"] == ps.PHASED}
    assert steps["BureauReview"]["clock"] == "5个工作日" and steps["FinanceReview"]["clock"] == "3个工作日"
    done_bureau = len(built.finance_left) + len(built.archiving) + len(built.completed) + len(built.terminated)
    assert steps["BureauReview"]["count"] == done_bureau and steps["BureauReview"]["avg_days"] == 2.0
    assert steps["BureauReview"]["in_time"] == done_bureau          # two calendar days: always in time
    assert steps["FinanceReview"]["phase_title"] == ps.REVIEW_PHASE and steps["FinanceReview"]["avg_days"] == 3.0
    months = {m["month"]: m for m in board["months"]}
    assert len(board["months"]) == 12 and board["months"][-1]["month"] == "2026-12"
    started = Counter(built.started[i].astimezone(clock.SHANGHAI).strftime("%Y-%m") for i in built.yeji)
    assert {k: v["started"] for k, v in months.items() if v["started"]} == dict(started)
    assert sum(m["completed"] for m in board["months"]) == 4 and sum(m["terminated"] for m in board["months"]) == 2


def test_the_snapshot_is_kept_until_the_scheduler_computes_it_again_and_says_as_of_when(ctx, people, phased):
    iid = people.start("alice", ps.PHASED, {"project_name": "汇总测试项目", "project_type": "construction",
                                            "total_investment": 10}, now=at("2026-11-02 09:00"))
    portfolio.refresh(ctx, "yeji", NOW)
    runtime.terminate_instance(ctx, people.mona, iid, "建设单位申请撤回", now=at("2026-11-04 09:00"))
    board = portfolio.dashboard(ctx, people.mona, now=NOW + timedelta(minutes=5))
    # the counts, the bureaus and the durations are the snapshot of 10:00, which had it running
    assert board["summary_computed_at"].startswith("2026-12-01T10:00")
    assert (board["counts"]["running"], board["counts"]["terminated"]) == (1, 0)
    assert [r["role"] for r in board["bureaus"]] == ["applicant"] and board["end_to_end"] == []
    later = portfolio.dashboard(ctx, people.mona, now=NOW + portfolio.SUMMARY_MAX_AGE + timedelta(minutes=1))
    assert later["summary_computed_at"].startswith("2026-12-01T10:11")
    assert (later["counts"]["running"], later["counts"]["terminated"]) == (0, 1) and later["bureaus"] == []
    assert [(r["status"], r["count"], r["avg_days"]) for r in later["end_to_end"]] == [("terminated", 1, 2.0)]


def test_no_dashboard_answers_with_a_snapshot_older_than_promised(ctx, people, phased):
    """The promise: figures at most SUMMARY_MAX_AGE old — the scheduler's job comes well within it, and a
    dashboard finding an older snapshot (the scheduler stopped) computes it first."""
    from datetime import datetime

    from web import scheduler
    assert timedelta(seconds=scheduler.PORTFOLIO_EVERY) == portfolio.REFRESH_EVERY
    assert 2 * portfolio.REFRESH_EVERY <= portfolio.SUMMARY_MAX_AGE
    portfolio.refresh(ctx, "yeji", NOW)
    for minutes in (0, 3, 9, 10, 11, 25, 61, 24 * 60):
        now = NOW + timedelta(minutes=minutes)
        board = portfolio.dashboard(ctx, people.mona, now=now)
        age = now - datetime.fromisoformat(board["summary_computed_at"])
        assert timedelta(0) <= age <= portfolio.SUMMARY_MAX_AGE, (minutes, age)
    # the clock moved back (a snapshot "from the future") is not answered either
    board = portfolio.dashboard(ctx, people.mona, now=NOW - timedelta(hours=1))
    assert board["summary_computed_at"].startswith("2026-12-01T09:00")
    # the scheduler's job stores a snapshot as of its run
    with clock.frozen_at(NOW + timedelta(days=2)):
        scheduler.refresh_portfolio(ctx)
    assert portfolio.dashboard(ctx, people.mona, now=NOW + timedelta(days=2, minutes=4))[
        "summary_computed_at"].startswith("2026-12-03T10:00")


def test_review_clocks_of_working_days_run_across_the_national_day(ctx, people, phased):
    """区数管局's 5 working days from 9月29日: 9月30日, 10月8日, 9日, 10日 (Saturday, 调休上班) and 12日 —
    due at the end of 10月12日, not 10月4日 as counting calendar days would say; 区财政局's 3 from 9月29日:
    9月30日, 10月8日, 9日. 预警 once 80 % of the working time from ready to due has passed (as the
    notices count it): 甲's 134 working hours → 10月10日 21:12, 乙's 86 → 10月9日 06:48."""
    bureau = people.start("alice", ps.PHASED, {"project_name": "国庆跨期项目甲", "project_type": "construction",
                                               "total_investment": 120}, now=at("2026-09-28 09:00"))
    people.do("alice", bureau, "Declare", ps.CONFIRM, now=at("2026-09-29 10:00"))
    finance = people.start("bob", ps.PHASED, {"project_name": "国庆跨期项目乙", "project_type": "construction",
                                              "total_investment": 80}, now=at("2026-09-27 09:00"))
    people.do("bob", finance, "Declare", ps.CONFIRM, now=at("2026-09-28 10:00"))
    people.do("dora", finance, "BureauReview", ps.CONFIRM, now=at("2026-09-29 10:00"))

    def lists(now):
        board = portfolio.dashboard(ctx, people.mona, now=now)
        return ({t["element"]: t for t in board["overdue"]["tasks"]},
                {t["element"]: t for t in board["warning"]["tasks"]}, board)

    assert lists(at("2026-10-07 12:00"))[:2] == ({}, {})
    assert lists(at("2026-10-09 06:40"))[1] == {}
    overdue, warning, _ = lists(at("2026-10-09 06:50"))     # 乙: 80 % of its working time used
    assert overdue == {} and set(warning) == {"FinanceReview"}
    assert warning["FinanceReview"]["due_at"].startswith("2026-10-09T23:59")
    assert warning["FinanceReview"]["applicant_unit"] == "区卫生健康委员会"
    overdue, warning, _ = lists(at("2026-10-10 21:00"))
    assert set(overdue) == {"FinanceReview"} and warning == {}
    overdue, warning, _ = lists(at("2026-10-10 21:30"))
    assert set(overdue) == {"FinanceReview"} and set(warning) == {"BureauReview"}
    assert warning["BureauReview"]["due_at"].startswith("2026-10-12T23:59")
    assert warning["BureauReview"]["applicant_unit"] == "区教育局" and warning["BureauReview"]["lane"] == "区数管局"
    assert 0.8 <= warning["BureauReview"]["clock_used"] < 1
    overdue, warning, board = lists(at("2026-10-12 23:00"))
    assert set(overdue) == {"FinanceReview"} and board["overdue"]["total"] == 1
    overdue, warning, board = lists(at("2026-10-13 09:00"))
    assert set(overdue) == {"BureauReview", "FinanceReview"} and warning == {}
    assert overdue["BureauReview"]["overdue_days"] == 0.4 and overdue["BureauReview"]["instance_id"] == bureau
    assert {r["role"]: r["overdue"] for r in board["bureaus"]} == {"data_bureau": 1, "finance": 1}


def test_the_search_filters_sorts_and_pages_every_project(ctx, people, built):
    def found(**kwargs):
        rows, total, more = search.search(ctx, people.mona, search.SearchFilter(per_page=200, **kwargs), now=NOW)
        assert not more
        return {r["id"] for r in rows}, total

    everything, total = found()
    assert total == len(built.yeji) and everything == set(built.yeji)      # 叶集's only
    assert found(status="completed")[0] == set(built.completed)
    assert found(waiting_at="data_bureau")[0] == set(built.in_review)
    assert found(waiting_at="finance", status="running")[0] == set(built.finance_left)
    in_phase = found(phase="PhaseReview")[0]
    assert in_phase == set(built.in_review + built.finance_left) | set(built.terminated)  # terminated in the phase
    assert found(q="（卫健）")[0] == {i for i in built.yeji if built.names[i].endswith("（卫健）")}
    assert found(applicant_unit="卫生健康")[0] == {i for i in built.yeji if built.names[i].endswith("（卫健）")}
    by_number = found(q=str(built.completed[0]))[0]      # the number, or a name holding those digits
    assert built.completed[0] in by_number
    assert all(i == built.completed[0] or str(built.completed[0]) in built.names[i] for i in by_number)
    cheap = found(min_investment=Decimal("100"), max_investment=Decimal("300"))[0]
    assert cheap == {i for i in built.yeji if 100 <= built.investments[i] <= 300}
    july = found(started_from=at("2026-07-01 00:00"), started_before=at("2026-08-01 00:00"))[0]
    assert july == {i for i in built.yeji if at("2026-07-01 00:00") <= built.started[i] < at("2026-08-01 00:00")}
    assert found(outcome="terminated")[0] == set(built.terminated)
    # overdue: 项目申报 has no clock; the reviews (5 and 3 working days) of every project in review are late
    assert found(overdue=True)[0] == set(built.in_review + built.finance_left)
    assert found(overdue=False)[0] == set(built.yeji) - set(built.in_review + built.finance_left)
    rows, total, _ = search.search(ctx, people.mona, search.SearchFilter(sort="investment", descending=True,
                                                                           per_page=7, page=2), now=NOW)
    ordered = sorted(built.yeji, key=lambda i: (-built.investments[i], -i))
    assert total == len(built.yeji) and [r["id"] for r in rows] == ordered[7:14]
    assert rows[0]["investment"] == f"{built.investments[ordered[7]]:.2f}"


def test_the_search_api_answers_a_page_with_the_total_and_refuses_bad_parameters(client, people, built):
    headers = token(client, "mona", people)
    answer = client.get("/api/v1/manage/instances?status=running&sort=-investment&per_page=5&min_investment=500",
                        headers=headers)
    expected = sorted((i for i in built.yeji if built.investments[i] >= 500 and i not in
                       built.completed + built.terminated), key=lambda i: (-built.investments[i], -i))
    assert answer.status_code == 200 and answer.headers["X-Total-Count"] == str(len(expected))
    assert [r["id"] for r in answer.get_json()] == expected[:5]
    for query, field in (("min_investment=lots", "min_investment"), ("started_from=2026-13-01", "started_from"),
                         ("status=lost", "status"), ("sort=price", "sort"), ("overdue=maybe", "overdue"),
                         ("format=pdf", "format"), ("max_investment=-1", "max_investment")):
        refused = client.get(f"/api/v1/manage/instances?{query}", headers=headers)
        assert refused.status_code == 422 and field in refused.get_json()["errors"], query
    assert client.get("/api/v1/manage/instances").status_code == 401
    assert client.get("/api/v1/manage/instances", headers=token(client, "dora", people)).status_code == 403


def test_the_search_exports_as_csv_with_a_bom_and_as_excel(client, ctx, people, built):
    headers = token(client, "mona", people)
    query = "status=completed&sort=id"
    as_csv = client.get(f"/api/v1/manage/instances?{query}&format=csv", headers=headers)
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.data.startswith("\ufeff".encode()) and "filename*=UTF-8''" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["项目编号", "辖区", "流程", "项目名称", "申报单位", "总投资（万元）"]
    assert [int(r[0]) for r in rows[1:]] == sorted(built.completed)
    first = sorted(built.completed)[0]
    label = ctx.registry.get("yeji").outcome_label("completed")
    assert rows[1][3] == built.names[first] and rows[1][6] == "已办结" and rows[1][11] == label
    as_xlsx = client.get(f"/api/v1/manage/instances?{query}&format=xlsx", headers=headers)
    assert as_xlsx.status_code == 200 and as_xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    values = list(sheet.values)
    assert values[0] == tuple(h for _, h in PROJECT_COLUMNS)
    assert [v[0] for v in values[1:]] == sorted(built.completed)
    assert values[1][3] == built.names[first] and float(values[1][5]) == built.investments[first]
    assert values[1][1] == "六安市叶集区"


def test_every_dashboard_table_exports_as_csv_and_excel(client, ctx, people, built):
    portfolio.refresh_all(ctx)
    headers = token(client, "mona", people)
    board = client.get("/api/v1/manage/dashboard", headers=headers).get_json()
    for name, (_title, part, columns) in TABLES.items():
        expected = board
        for key in part.split("."):
            expected = expected[key]
        as_csv = client.get(f"/api/v1/manage/dashboard/{name}?format=csv", headers=headers)
        rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
        assert as_csv.status_code == 200 and rows[0] == [h for _, h in columns], name
        assert len(rows) - 1 == len(expected), name
        book = load_workbook(io.BytesIO(client.get(f"/api/v1/manage/dashboard/{name}?format=xlsx",
                                                   headers=headers).data))
        sheet_rows = list(book.active.values)
        assert list(sheet_rows[0]) == [h for _, h in columns] and len(sheet_rows) - 1 == len(expected), name
    bureaus = list(load_workbook(io.BytesIO(client.get("/api/v1/manage/dashboard/bureaus?format=xlsx",
                                                       headers=headers).data)).active.values)
    finance = next(r for r in bureaus if r[0] == "区财政局")
    assert finance[1] == len(built.finance_left)
    assert client.get("/api/v1/manage/dashboard/nosuch", headers=headers).status_code == 404


def test_a_name_that_looks_like_a_formula_stays_text_in_the_exports(client, people, phased):
    people.start("alice", ps.PHASED, {"project_name": "=HYPERLINK(\"http://x\")", "project_type": "construction",
                                      "total_investment": 1}, now=at("2026-11-02 09:00"))
    headers = token(client, "mona", people)
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/manage/instances?format=csv", headers=headers)
                                       .data.decode("utf-8-sig"))))
    assert rows[1][3] == "'=HYPERLINK(\"http://x\")"
    sheet = load_workbook(io.BytesIO(client.get("/api/v1/manage/instances?format=xlsx", headers=headers).data)).active
    assert sheet.cell(2, 4).data_type == "s" and sheet.cell(2, 4).value.startswith("'=")


def test_a_manager_of_suqian_cannot_see_jiujiangs_projects_but_the_province_wide_viewer_can(client, ctx, people,
                                                                                          built):
    Personas(ctx, "suqian", ps.PROVINCE).vera   # noqa: B018 - creates the province-wide viewer
    suqian = token(client, "sq_mona")
    board = client.get("/api/v1/manage/dashboard", headers=suqian).get_json()
    assert [j["key"] for j in board["jurisdictions"]] == ["suqian"]
    assert board["counts"]["total"] == len(built.suqian)
    listed = client.get("/api/v1/manage/instances?per_page=200", headers=suqian)
    assert {r["id"] for r in listed.get_json()} == set(built.suqian)
    assert not [r for r in listed.get_json() if r["jurisdiction"] != "suqian"]
    assert client.get("/api/v1/manage/instances?jurisdiction=jiujiang", headers=suqian).status_code == 403
    assert client.get("/api/v1/manage/dashboard?jurisdiction=jiujiang", headers=suqian).status_code == 403
    assert client.get(f"/api/v1/instances/{built.jiujiang[0]}", headers=suqian).status_code == 404
    exported = client.get("/api/v1/manage/instances?format=csv&q=九江", headers=suqian).data.decode("utf-8-sig")
    assert "九江组合项目" not in exported

    viewer = token(client, "vera")
    everything = client.get("/api/v1/manage/dashboard", headers=viewer).get_json()
    assert {j["key"] for j in everything["jurisdictions"]} == {"huaian", "jiujiang", "suqian", "yaohai", "yeji"}
    assert everything["counts"]["total"] == len(built.yeji) + len(built.suqian) + len(built.jiujiang)
    only = client.get("/api/v1/manage/dashboard?jurisdiction=jiujiang", headers=viewer).get_json()
    assert only["counts"]["total"] == len(built.jiujiang)
    found = client.get("/api/v1/manage/instances?q=九江组合项目&per_page=200", headers=viewer)
    assert found.headers["X-Total-Count"] == str(len(built.jiujiang))
    assert client.get(f"/api/v1/instances/{built.jiujiang[0]}", headers=viewer).status_code == 200
    # read only: the viewer ends, holds and retries nothing
    refused = client.post(f"/api/v1/instances/{built.jiujiang[0]}/terminate", headers=viewer, json={"reason": "x"})
    assert refused.status_code in (403, 404)
    assert client.get("/api/v1/manage/incidents", headers=viewer).status_code == 403


def test_each_step_keeps_the_instance_phase_and_investment_in_the_same_transaction(ctx, people, phased):
    iid = people.start("alice", ps.PHASED, {"project_name": "阶段摘要项目", "project_type": "construction",
                                            "total_investment": 123.456}, now=at("2026-11-02 09:00"))

    def summary():
        with ctx.db.transaction() as session:
            from engine.models import ProcessInstance
            inst = session.get(ProcessInstance, iid)
            ready = queries.ready_tasks_of(session, iid)
            return inst.phase, inst.phase_title, inst.phase_since, str(inst.investment), [t.phase for t in ready]

    assert summary() == (None, None, at("2026-11-02 09:00"), "123.46", [None])
    people.do("alice", iid, "Declare", ps.CONFIRM, now=at("2026-11-03 09:00"))
    assert summary() == ("PhaseReview", ps.REVIEW_PHASE, at("2026-11-03 09:00"), "123.46", ["PhaseReview"])
    people.do("dora", iid, "BureauReview", ps.CONFIRM, now=at("2026-11-04 09:00"))
    assert summary()[:3] == ("PhaseReview", ps.REVIEW_PHASE, at("2026-11-03 09:00"))   # still in the phase
    people.do("fay", iid, "FinanceReview", ps.CONFIRM, now=at("2026-11-05 09:00"))
    assert summary()[:3] == (None, None, at("2026-11-05 09:00"))                         # 归档: top level


def test_the_dashboard_is_refused_to_bureau_staff(client, people, phased):
    assert client.get("/api/v1/manage/dashboard", headers=token(client, "dora", people)).status_code == 403
    assert client.get("/api/v1/manage/dashboard/bureaus", headers=token(client, "alice", people)).status_code == 403
    assert client.get("/api/v1/manage/dashboard").status_code == 401


def _signed_in(app, who: str):
    from tests.web.helpers import form_token
    browser = app.test_client()
    browser.post("/login", data={"username": who, "password": PASSWORD,
                                 "csrf_token": form_token(browser.get("/login").get_data(as_text=True))})
    return browser


def test_the_search_puts_projects_without_a_due_date_last_in_either_order_on_every_page(ctx, people, built):
    """Sorting by 最早期限: the running projects in review have one (5 and 3 working days); those at 项目申报
    or ended have none and come after the others whichever way the column is sorted, page after page."""
    def every_page(descending: bool) -> list[dict]:
        found, page = [], 1
        while True:
            rows, total, _ = search.search(ctx, people.mona, search.SearchFilter(
                sort="due", descending=descending, per_page=7, page=page), now=NOW)
            found += rows
            if len(found) >= total:
                return found
            page += 1

    dated_ids = {r["id"] for r in every_page(False) if r["earliest_due_at"]}
    assert dated_ids == set(built.in_review + built.finance_left)       # the two clocked reviews only
    for descending in (False, True):
        rows = every_page(descending)
        assert len(rows) == len(built.yeji) and len({r["id"] for r in rows}) == len(built.yeji)
        dated = [r for r in rows if r["earliest_due_at"]]
        assert rows[:len(dated)] == dated               # the dated ones first, then those without
        keys = [(r["earliest_due_at"], r["id"]) for r in dated]
        assert keys == sorted(keys, reverse=descending)
        undated = [r["id"] for r in rows[len(dated):]]
        assert undated == sorted(undated, reverse=descending)


def test_a_search_counts_up_to_its_cap_and_says_there_are_more(monkeypatch, app, client, ctx, people, built):
    from engine import portfolio_queries
    monkeypatch.setattr(portfolio_queries, "COUNT_CAP", 5)
    rows, total, more = search.search(ctx, people.mona, search.SearchFilter(per_page=3), now=NOW)
    assert (len(rows), total, more) == (3, 5, True)
    rows, total, more = search.search(ctx, people.mona, search.SearchFilter(status="completed", per_page=3), now=NOW)
    assert (len(rows), total, more) == (3, len(built.completed), False)       # 4: under the cap, exact
    headers = token(client, "mona", people)
    capped = client.get("/api/v1/manage/instances?per_page=3", headers=headers)
    assert capped.headers["X-Total-Count"] == "5" and capped.headers["X-Total-Capped"] == "true"
    exact = client.get("/api/v1/manage/instances?status=completed", headers=headers)
    assert exact.headers["X-Total-Count"] == "4" and "X-Total-Capped" not in exact.headers
    page = _signed_in(app, "mona").get("/manage/search?per_page=3&page=2").get_data(as_text=True)
    assert "超过 <strong id=\"search-total\">5</strong> 个项目" in page and "下一页" in page
    # a page past the counted ones still answers the projects there
    rows, total, more = search.search(ctx, people.mona, search.SearchFilter(per_page=3, page=3), now=NOW)
    assert len(rows) == 3 and more


def test_the_overdue_and_warning_totals_are_live_and_counted_up_to_a_cap(monkeypatch, app, ctx, people, built):
    portfolio.refresh(ctx, "yeji", NOW)
    late = len(built.in_review) + len(built.finance_left)       # every review is past its working days
    board = portfolio.dashboard(ctx, people.mona, now=NOW)
    assert (board["overdue"]["total"], board["overdue"]["capped"]) == (late, False)
    assert sum(r["overdue"] for r in board["bureaus"]) == late        # the snapshot's, by bureau, agrees
    monkeypatch.setattr(portfolio, "LIVE_COUNT_CAP", 3)
    board = portfolio.dashboard(ctx, people.mona, now=NOW)
    assert (board["overdue"]["total"], board["overdue"]["capped"]) == (3, True)
    assert len(board["overdue"]["tasks"]) == min(late, portfolio.LIST_LIMIT)
    with clock.frozen_at(NOW + timedelta(seconds=30)):
        page = _signed_in(app, "mona").get("/manage").get_data(as_text=True)
    assert "超过 3" in page and "统计数据截至" in page and "逾期待办（实时）" in page
    # live: a review done now leaves the list at once, while the snapshot's bureaus wait for the next run
    first = board["overdue"]["tasks"][0]
    who = "dora" if first["element"] == "BureauReview" else "fay"
    people.do(who, first["instance_id"], first["element"], ps.CONFIRM, now=NOW + timedelta(minutes=1))
    monkeypatch.setattr(portfolio, "LIVE_COUNT_CAP", 10_000)
    after = portfolio.dashboard(ctx, people.mona, now=NOW + timedelta(minutes=2))
    assert after["overdue"]["total"] == late - 1
    assert sum(r["overdue"] for r in after["bureaus"]) == late
    assert after["summary_computed_at"] == board["summary_computed_at"]


def test_the_models_match_the_migrations_for_the_portfolio_tables(ctx):
    """engine/models.py and the migrations agree on the instances, the task rows and the snapshots —
    their columns and indexes (0013's trigram index exists only on PostgreSQL with pg_trgm, by design)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.models import Base
    mine = {"process_instances", "human_tasks", "portfolio_summaries"}

    def table_of(diff) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None):
                return table.name
            if isinstance(part, str) and part in mine:
                return part
        return None

    def optional(diff) -> bool:
        item = diff[0] if isinstance(diff, list) else diff
        return item[0] == "remove_index" and item[1].name == "ix_instances_name_trgm"

    with ctx.db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert [d for d in diffs if table_of(d) in mine and not optional(d)] == []
    if ctx.db.is_sqlite:
        return
    with ctx.db.engine.connect() as conn:
        trigram = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_instances_name_trgm'")
        assert "gin_trgm_ops" in trigram.scalar_one()
