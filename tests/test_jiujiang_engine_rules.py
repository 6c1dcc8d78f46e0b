"""The generic engine rules 九江 needs: a yearly declaration window configured per call (第十七条),
a process's own yearly deadline (第三十五条), paused clocks and the date helpers."""
import dataclasses
from datetime import date, datetime, timezone

import pytest

from engine import clock
from engine.clocks import paused_clock_due
from engine.config import ROOT
from engine.errors import ValidationFailed
from engine.registry import declaration_window
from engine.runtime_env import Runtime
from engine.services.runtime import check_plan_year
from tests.conftest import at
from tests.test_jiujiang_walk import workdays_after

WINDOW = {"window": {"opens": "08-31", "closes": "09-30",
                     "calls": {"2028": {"opens": "2027-08-20", "closes": "2027-09-15"}}}, "rule": "第十七条"}


RUNTIME = Runtime.from_data_dir(ROOT)   # the shipped procedures, on chinese-calendar's years


def _jurisdiction(rule: dict):
    return dataclasses.replace(RUNTIME.registry.get("jiujiang"), declaration=rule)


def test_a_deadline_rule_closes_on_that_day_of_the_year_before():
    assert declaration_window({"deadline": "09-30"}, 2027) == (None, date(2026, 9, 30))


def test_a_window_rule_uses_the_published_call_for_that_year_and_the_default_otherwise():
    assert declaration_window(WINDOW, 2028) == (date(2027, 8, 20), date(2027, 9, 15))
    assert declaration_window(WINDOW, 2027) == (date(2026, 8, 31), date(2026, 9, 30))
    assert declaration_window({}, 2027) == (None, None)


def test_jiujiang_declares_next_years_projects_in_the_call_opened_by_the_end_of_august():
    j = RUNTIME.registry.get("jiujiang")
    assert j.declaration_opens(2027) == date(2026, 8, 31)
    assert j.declaration_deadline(2027) == date(2026, 9, 30)
    assert j.declaration_deadline(2027, "jiujiang.om_funding") == date(2026, 8, 31)
    assert j.declaration_opens(2027, "jiujiang.om_funding") is None


def test_the_plan_year_defaults_to_the_first_call_still_open():
    j = _jurisdiction(WINDOW)
    assert check_plan_year(j, {}, at("2026-09-30 23:00"))["plan_year"] == 2027
    assert check_plan_year(j, {}, at("2026-10-01 09:00"))["plan_year"] == 2028
    # the 2028 call was published closing on 9月15日: after it the next open year is 2029
    assert check_plan_year(j, {}, at("2027-09-16 09:00"))["plan_year"] == 2029


def test_a_closed_call_is_refused_naming_its_last_day_unless_urgent():
    j = _jurisdiction(WINDOW)
    with pytest.raises(ValidationFailed) as err:
        check_plan_year(j, {"plan_year": 2028}, at("2027-09-16 09:00"))
    assert "2027年9月15日" in err.value.detail and err.value.extra["next_open_year"] == 2029
    assert check_plan_year(j, {"plan_year": 2028, "urgent": True}, at("2027-09-16 09:00"))["plan_year"] == 2028


def test_yeji_keeps_its_30_september_deadline():
    yeji = RUNTIME.registry.get("yeji")
    assert yeji.declaration_deadline(2027) == date(2026, 9, 30)
    assert yeji.declaration_opens(2027) is None
    assert check_plan_year(yeji, {}, at("2026-10-01 09:00"))["plan_year"] == 2028


def test_the_call_helpers_answer_the_opening_instant_and_the_closing_deadline():
    h = RUNTIME.helpers("jiujiang")
    assert h["declaration_opens"](2027) == "2026-08-31T00:00:00+08:00"
    assert h["declaration_closes"](2027) == "2026-09-30T23:59:59+08:00"


def test_next_date_is_the_coming_31_may_or_today_itself():
    h = RUNTIME.helpers("jiujiang")
    with clock.frozen_at(at("2026-05-31 18:00")):
        assert h["next_date"](5, 31) == "2026-05-31T23:59:59+08:00"
    with clock.frozen_at(at("2026-06-01 08:00")):
        assert h["next_date"](5, 31) == "2027-05-31T23:59:59+08:00"


def _utc(text):
    return at(text).astimezone(timezone.utc)


def test_a_paused_clock_deducts_the_working_days_used_before_the_matter_went_back_to_the_owner():
    # round 1: ready 9月21日, returned 9月24日 — 3 working days used (22, 23, 24)
    earlier = [(_utc("2026-09-21 09:00"), _utc("2026-09-24 16:00"), "return")]
    due, provisional = paused_clock_due("15wd", _utc("2026-10-09 10:00"), RUNTIME.calendar("jiujiang"), earlier)
    expected = workdays_after(date(2026, 10, 9), 12)
    assert due.astimezone(clock.SHANGHAI).date() == expected == date(2026, 10, 26)
    assert not provisional


def test_a_paused_clock_adds_up_every_returned_round_and_starts_afresh_after_a_decision():
    rounds = [(_utc("2026-10-12 09:00"), _utc("2026-10-14 09:00"), "return"),   # 2 wd
              (_utc("2026-09-21 09:00"), _utc("2026-09-24 16:00"), "return"),   # 3 wd
              (_utc("2026-08-03 09:00"), _utc("2026-08-05 09:00"), "approve")]  # an earlier, finished clock
    due, _ = paused_clock_due("15wd", _utc("2026-10-16 10:00"), RUNTIME.calendar("jiujiang"), rounds)
    assert due.astimezone(clock.SHANGHAI).date() == workdays_after(date(2026, 10, 16), 10)
    fresh, _ = paused_clock_due("15wd", _utc("2026-10-16 10:00"), RUNTIME.calendar("jiujiang"), rounds[2:])
    assert fresh.astimezone(clock.SHANGHAI).date() == workdays_after(date(2026, 10, 16), 15)


def test_a_paused_clock_that_is_used_up_falls_due_the_same_day():
    earlier = [(_utc("2026-09-01 09:00"), _utc("2026-09-30 09:00"), "return")]
    due, _ = paused_clock_due("15wd", _utc("2026-10-09 10:00"), RUNTIME.calendar("jiujiang"), earlier)
    assert due == datetime(2026, 10, 9, 23, 59, 59, tzinfo=clock.SHANGHAI)


def _probe(**properties):
    from tests.diagrams import Diagram
    d = Diagram(process_id="jiujiang.clock_probe", process_name="暂停计时校验",
                lanes=[("data_bureau", "市数据管理部门")])
    d.start("StartProbe", lane="data_bureau", col=0, name="开始")
    d.user_task("Probe", lane="data_bureau", col=1, name="技术评审",
                properties={"form": "common/review", "legalBasis": "第二十五条", **properties})
    d.end("EndProbe", lane="data_bureau", col=2, name="结束", properties={"outcome": "completed"})
    d.flow("StartProbe", "Probe")
    d.flow("Probe", "EndProbe")
    return {"jiujiang.clock_probe.bpmn": d.to_xml()}


@pytest.mark.parametrize("properties", [{"clock": "x", "dueIn": "1m"}, {"clock": "x", "dueAt": "add_workdays(3)"},
                                        {"clock": "x"}, {"subject": "__import__('os')"}])
def test_a_paused_clock_needs_a_working_or_calendar_day_budget_and_subjects_are_sandboxed(properties):
    from engine.errors import DiagramInvalid
    from engine.services.deploy import validate_bundle
    with pytest.raises(DiagramInvalid) as err:
        validate_bundle(RUNTIME, "jiujiang.clock_probe", _probe(**properties))
    assert [element for _file, element, _reason in err.value.problems] == ["Probe"]


def test_a_paused_clock_on_working_days_validates():
    from engine.services.deploy import validate_bundle
    validate_bundle(RUNTIME, "jiujiang.clock_probe", _probe(clock="tech_review", dueIn="15wd", subject="project_name"))
