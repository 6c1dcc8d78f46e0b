"""The portfolio on the diagram (engine/services/overlay.py): how many 九江 projects wait at each task,
timer and phase of the deployed version, how many of them are overdue by the working-day calendar, and
the projects behind a count — through the service and the API, for the jurisdiction's managers only."""
from __future__ import annotations

import pytest

from engine.errors import NotFound, PermissionDenied
from engine.services import overlay, runtime
from tests.conftest import at
from tests.support import PASSWORD
from tests.test_jiujiang_walk import DOCUMENT, FACTS, launched, started
from tests.test_jiujiang_walk import people as jiujiang_people  # noqa: F401 - the fixture

BIG = {"total_investment": 6000, "province_assessed": True}    # the full chain: 建议书, 可研, 初步设计
NOTICE_AT = "2026-09-24 10:00"       # the eve of 中秋 and 国庆: the 10 working days end on 15 October


@pytest.fixture
def people(jiujiang_people):  # noqa: F811 - 九江's personas under the usual name
    return jiujiang_people


def counts(result: dict) -> dict:
    return {e["element"]: (e["active"], e["overdue"]) for e in result["elements"]}


@pytest.fixture
def portfolio(people, ctx):
    """Two projects writing their 项目建议书 (第二十五条: 10个工作日 from the 启动通知 of 24 September),
    one of them further on at the ndrc's approval; one project waiting for the yearly call (a timer)."""
    writing = [launched(people, ctx, {**BIG, "project_name": f"九江市项目{n}"}, notice_at=NOTICE_AT) for n in "甲乙丙"]
    people.do("alice", writing[2], "PrepareProposal", DOCUMENT, now=at("2026-10-09 10:00"))
    waiting = started(people, {**FACTS, "project_name": "九江市等待申报项目"}, at("2026-08-01 10:00"))
    return {"writing": writing[:2], "approving": writing[2], "waiting": waiting}


def test_the_counts_on_the_diagram_follow_the_working_day_calendar(ctx, people, portfolio):
    on_the_last_day = counts(overlay.statistics(ctx, people.mona, "jiujiang", now=at("2026-10-15 20:00")))
    assert on_the_last_day["PrepareProposal"] == (2, 0)     # 10 working days across 国庆: not late yet
    assert on_the_last_day["ApproveProposal"] == (1, 0)     # 5 working days from 9 October (10日 调休上班)
    assert on_the_last_day["InvestmentPlan"] == (3, 0)      # 第二十七条: alongside the approvals
    assert on_the_last_day["PhaseApproval"] == (3, 0)       # the phase counts the projects inside it
    assert on_the_last_day["WaitCall"] == (1, 1)            # the call opened 31 August: the timer is owed
    assert on_the_last_day["PhaseDeclaration"] == (1, 1)
    assert on_the_last_day["DeclareAnnual"] == (0, 0)
    the_day_after = counts(overlay.statistics(ctx, people.mona, "jiujiang", now=at("2026-10-16 09:00")))
    assert the_day_after["PrepareProposal"] == (2, 2)
    assert the_day_after["ApproveProposal"] == (1, 1)
    assert the_day_after["PhaseApproval"] == (3, 3)
    a_calendar_count = counts(overlay.statistics(ctx, people.mona, "jiujiang", now=at("2026-10-05 09:00")))
    assert a_calendar_count["PrepareProposal"] == (2, 0)    # 10 calendar days would have ended on 4 October


def test_every_task_timer_and_phase_of_the_version_is_listed_with_its_phase(ctx, people, portfolio):
    result = overlay.statistics(ctx, people.mona, "jiujiang", now=at("2026-10-15 20:00"))
    assert result["version"] == 1 and result["versions"] == [1]
    by_id = {e["element"]: e for e in result["elements"]}
    assert by_id["PrepareProposal"]["phase"] == "PhaseApproval" and by_id["PrepareProposal"]["kind"] == "user_task"
    assert by_id["WaitCall"]["kind"] == "timer" and by_id["PhaseApproval"]["kind"] == "phase"
    assert by_id["PhaseApproval"]["title"] == "立项审批（第二十五至二十七条）"
    assert by_id["PhaseApproval"]["phase"] is None
    assert sum(e["active"] for e in result["elements"] if e["phase"] is None and e["kind"] == "phase") == 4
    assert by_id["DelayPrepareProposal"]["kind"] == "timer"     # the boundary clock on the task


def test_a_count_opens_the_list_of_the_projects_waiting_there(ctx, people, portfolio):
    listing = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "PrepareProposal",
                                       now=at("2026-10-16 09:00"))
    assert listing["total"] == 2 and listing["title"] == "编制项目建议书（10个工作日）"
    assert sorted(p["id"] for p in listing["projects"]) == sorted(portfolio["writing"])
    assert all(p["overdue"] and p["waiting_at"][0]["element"] == "PrepareProposal" for p in listing["projects"])
    phase = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "PhaseApproval", now=at("2026-10-16 09:00"))
    assert phase["total"] == 3
    assert [p["overdue"] for p in phase["projects"]] == [True, True, True]
    assert {w["element"] for p in phase["projects"] for w in p["waiting_at"]} >= {"PrepareProposal", "ApproveProposal"}
    everything = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, None, now=at("2026-10-16 09:00"))
    assert everything["total"] == 4
    with pytest.raises(NotFound):
        overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "NoSuchElement")


def test_only_the_jurisdictions_managers_see_its_counts(ctx, people, portfolio):
    with pytest.raises(PermissionDenied):
        overlay.statistics(ctx, people.nick, "jiujiang")
    with pytest.raises(NotFound):
        overlay.statistics(ctx, people.mona, "jiujiang", version=2)
    with pytest.raises(NotFound):
        overlay.statistics(ctx, people.mona, "jiujiang.nosuch")


def _token(client, who: str) -> dict:
    response = client.post("/api/v1/auth/token", json={"username": who, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_the_statistics_call_answers_managers_and_refuses_others(ctx, people, portfolio, client):
    assert people.mona and people.nick
    assert type(people)(ctx, "yeji", {"ymona": ("区数据资源管理局", ["manager"])}).ymona
    mona = _token(client, "mona")
    response = client.get("/api/v1/manage/processes/jiujiang/statistics", headers=mona)
    assert response.status_code == 200 and response.headers["X-Process-Version"] == "1"
    rows = {r["element"]: r for r in response.json}
    assert rows["PrepareProposal"]["active"] == 2 and set(rows["PrepareProposal"]) >= {"element", "title", "active",
                                                                                        "overdue"}
    listing = client.get("/api/v1/manage/processes/jiujiang/waiting?element=PhaseApproval", headers=mona)
    assert listing.status_code == 200 and listing.headers["X-Total-Count"] == "3"
    assert client.get("/api/v1/manage/processes/jiujiang/statistics?version=x", headers=mona).status_code == 422
    assert client.get("/api/v1/manage/processes/jiujiang/statistics?version=9", headers=mona).status_code == 404
    assert client.get("/api/v1/manage/processes/jiujiang/statistics",
                      headers=_token(client, "nick")).status_code == 403
    other_city = client.get("/api/v1/manage/processes/jiujiang/statistics", headers=_token(client, "ymona"))
    assert other_city.status_code == 403 and other_city.mimetype == "application/problem+json"
    assert client.get("/api/v1/manage/processes/jiujiang/statistics").status_code == 401


def test_a_terminated_project_no_longer_counts(ctx, people, portfolio):
    runtime.terminate_instance(ctx, people.mona, portfolio["writing"][0], "申报单位撤回", now=at("2026-10-10 10:00"))
    result = counts(overlay.statistics(ctx, people.mona, "jiujiang", now=at("2026-10-16 09:00")))
    assert result["PrepareProposal"] == (1, 1) and result["PhaseApproval"] == (2, 2)


def test_each_version_counts_only_its_own_projects(ctx):
    from pathlib import Path

    from engine.services.deploy import deploy
    from tests.support import Personas
    from tests.yeji_walk import FACTS
    yeji = Personas(ctx)
    first = yeji.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    source = Path("bpmn_diagrams/yeji/yeji.bpmn").read_text(encoding="utf-8")
    changed = source.replace('name="项目申报"', 'name="项目申报（新版）"', 1)
    with ctx.db.transaction() as session:
        deploy(ctx.runtime, session, "yeji", extra={"yeji.bpmn": changed.encode("utf-8")})
    second, third = (yeji.start(who, "yeji", FACTS, now=at("2026-08-02 10:00")) for who in ("alice", "bob"))
    assert first and second and third
    old = overlay.statistics(ctx, yeji.mona, "yeji", version=1, now=at("2026-08-03 10:00"))
    new = overlay.statistics(ctx, yeji.mona, "yeji", now=at("2026-08-03 10:00"))
    assert counts(old)["Declare"] == (1, 0) and counts(new)["Declare"] == (2, 0)
    assert new["version"] == 2 and new["versions"] == [2, 1]
    assert {e["title"] for e in new["elements"] if e["element"] == "Declare"} == {"项目申报（新版）"}
    listed = overlay.waiting_projects(ctx, yeji.mona, "yeji", 1, "Declare", now=at("2026-08-03 10:00"))
    assert [p["id"] for p in listed["projects"]] == [first]


def test_the_counts_are_the_snapshot_of_when_it_was_computed_and_the_list_behind_is_live(ctx, people, portfolio):
    """The diagram's counts come with the time they were computed (the scheduler's snapshot, at most
    SUMMARY_MAX_AGE old); the list behind a count is read live."""
    from datetime import timedelta

    from engine.services import portfolio as dashboard
    computed = at("2026-10-16 09:00")
    dashboard.refresh(ctx, "jiujiang", computed)
    people.do("alice", portfolio["writing"][0], "PrepareProposal", DOCUMENT, now=at("2026-10-16 09:01"))
    soon = computed + timedelta(minutes=5)
    result = overlay.statistics(ctx, people.mona, "jiujiang", now=soon)
    assert result["computed_at"] == computed and counts(result)["PrepareProposal"] == (2, 2)
    listing = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "PrepareProposal", now=soon)
    assert listing["total"] == 1 and not listing["capped"]
    assert [p["id"] for p in listing["projects"]] == [portfolio["writing"][1]]
    later = computed + dashboard.SUMMARY_MAX_AGE + timedelta(minutes=1)
    result = overlay.statistics(ctx, people.mona, "jiujiang", now=later)
    assert result["computed_at"] == later and counts(result)["PrepareProposal"] == (1, 1)


def test_the_list_behind_a_count_is_counted_up_to_a_cap(monkeypatch, ctx, people, portfolio, client, app):
    monkeypatch.setattr(overlay, "LIVE_COUNT_CAP", 1)
    listing = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "PrepareProposal",
                                       now=at("2026-10-16 09:00"))
    assert (listing["total"], listing["capped"], len(listing["projects"])) == (1, True, 2)
    phase = overlay.waiting_projects(ctx, people.mona, "jiujiang", None, "PhaseApproval", now=at("2026-10-16 09:00"))
    assert (phase["total"], phase["capped"], len(phase["projects"])) == (1, True, 3)
    answer = client.get("/api/v1/manage/processes/jiujiang/waiting?element=PrepareProposal",
                        headers=_token(client, "mona"))
    assert answer.headers["X-Total-Count"] == "1" and answer.headers["X-Total-Capped"] == "true"
    stats = client.get("/api/v1/manage/processes/jiujiang/statistics", headers=_token(client, "mona"))
    assert stats.status_code == 200 and stats.headers["X-Counts-Computed-At"]
    from tests.web.helpers import form_token
    browser = app.test_client()
    browser.post("/login", data={"username": "mona", "password": PASSWORD,
                                 "csrf_token": form_token(browser.get("/login").get_data(as_text=True))})
    page = browser.get("/manage/processes/jiujiang/waiting?element=PrepareProposal").get_data(as_text=True)
    assert "超过 <strong>1</strong> 个项目（实时）" in page
    diagram = browser.get("/manage/processes/jiujiang/diagram").get_data(as_text=True)
    assert "数据截至" in diagram
