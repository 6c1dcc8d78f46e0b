"""What a designer writes in a timer: ISO durations, working days ("P5WD"), computed dates, cycles
(on a catch event and as a recurring, non-interrupting boundary timer)."""
from engine.services.timers import tick
from tests.conftest import at
from tests.diagrams import Diagram
from tests.test_timers_support import CONFIRM, DONE, FACTS, events, install_process, timer_diagram, timers_of


def _weekly_report_diagram(key: str) -> bytes:
    d = Diagram(key, "按周报送测试流程", [("applicant", "建设单位")])
    d.start("StartEvent", lane="applicant", col=0, name="开始")
    d.user_task("Implement", lane="applicant", col=1, name="项目实施", properties=CONFIRM)
    d.end("EndEvent", lane="applicant", col=2, name="结束", properties=DONE)
    d.boundary_timer("Weekly", attached_to="Implement", name="每周", cycle='"R3/P7D"', interrupting=False)
    d.user_task("Report", lane="applicant", col=2, row=1, name="报送本周进度", properties=CONFIRM)
    d.end("EndReport", lane="applicant", col=3, row=1, name="已报送", properties=DONE)
    d.flow("StartEvent", "Implement")
    d.flow("Implement", "EndEvent")
    d.flow("Weekly", "Report")
    d.flow("Report", "EndReport")
    return d.to_xml()


def test_it_asks_for_a_report_every_week_from_a_recurring_boundary_timer(people, ctx, monkeypatch):
    key = "yeji.test_weekly"
    install_process(monkeypatch, people, key, _weekly_report_diagram(key))
    iid = people.start("alice", key, FACTS, now=at("2026-05-04 09:00"))
    for day in ("11", "18", "25"):
        assert tick(ctx, at(f"2026-05-{day} 08:59")) == []
        assert [f.kind for f in tick(ctx, at(f"2026-05-{day} 09:00:01"))] == ["timer"]
    assert people.ready(iid) == ["Implement", "Report", "Report", "Report"]
    assert tick(ctx, at("2026-12-31 10:00")) == []                    # three times, as R3 says
    assert [t.state for t in timers_of(ctx, iid)] == ["fired"] * 3
    assert len(events(ctx, "timer_fired", iid)) == 3


def test_it_fires_a_cycle_once_per_period(people, ctx, monkeypatch):
    key = "yeji.test_cycle"
    install_process(monkeypatch, people, key, timer_diagram(key, cycle='"R3/PT12H"'))
    iid = people.start("alice", key, FACTS, now=at("2026-05-11 00:00"))
    assert [f.kind for f in tick(ctx, at("2026-05-11 12:00:01"))] == ["timer"]
    assert tick(ctx, at("2026-05-11 12:30")) == []
    assert [f.kind for f in tick(ctx, at("2026-05-13 00:00:01"))] == ["timer"]   # the second and third
    fired_rows = [t for t in timers_of(ctx, iid) if t.state == "fired"]
    assert len(fired_rows) == len(events(ctx, "timer_fired", iid))


def test_it_counts_working_days_written_as_p_wd_in_a_timer(people, ctx, monkeypatch):
    key = "yeji.test_workdays"
    install_process(monkeypatch, people, key, timer_diagram(key, duration='"P5WD"'))
    iid = people.start("alice", key, FACTS, now=at("2026-09-30 16:00"))   # 国庆 2026: 10/1–10/7
    [row] = timers_of(ctx, iid)
    assert row.run_at == at("2026-10-13 23:59:59")     # 10/8, 10/9, 10/10 (调休 Saturday), 10/12, 10/13
    assert people.instance(iid)["waiting"][0]["fires_at"] == "2026-10-13T23:59:59+08:00"
    assert tick(ctx, at("2026-10-13 23:00")) == []
    assert [f.kind for f in tick(ctx, at("2026-10-14 00:00:01"))] == ["timer"]


def test_it_waits_for_a_computed_date(people, ctx, monkeypatch):
    key = "yeji.test_date"
    install_process(monkeypatch, people, key, timer_diagram(key, date="add_workdays(3)"))
    iid = people.start("alice", key, FACTS, now=at("2026-12-30 10:00"))
    [row] = timers_of(ctx, iid)
    assert row.run_at == at("2027-01-05 23:59:59")      # provisional 2027: 1/1 is off, 1/4 and 1/5 are not
    assert [f.kind for f in tick(ctx, at("2027-01-06 00:00:01"))] == ["timer"]
