"""宿迁 第三十六条 during construction: 对拒不整改或整改后仍不符合要求的，将通报批评、暂缓拨付建设资金及运维经费、
暂停项目建设，直至项目终止. 暂缓拨付 is an order that holds two steps of the project — 拨付相应资金 (`Payment`,
第三十条, after 竣工验收) and 安排下一运维周期运维经费 (`ArrangeOpsFunds`, in 运维) — while its construction goes on,
until the rectification is found compliant (engine/services/orders.py, `parentEffect` hold / release)."""
import pytest

from engine.config import ROOT
from engine.errors import Conflict
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.runtime_env import Runtime
from engine.services import orders, runtime, views
from engine.services.timers import tick
from engine.validation import check_files
from tests.conftest import at
from tests.test_input_hardening import browser
from tests.test_suqian_acceptance import _returned
from tests.test_suqian_support import (
    ANSWERS,
    advance,
    building,
    decide_sanction,
    order_rectification,
    personas,
    task_data,
    task_row,
)

ACCEPTED = "2027-08-20 10:00"
AFTER_ACCEPTANCE = ["AcceptanceFiling", "AssetTransfer"]   # what 竣工验收 opens beside 拨付


@pytest.fixture
def people(ctx):
    return personas(ctx)


def _withheld(people, measures=("withhold_funds",), who="dora", iid=None, now="2027-05-10 10:00", **decision):
    """A project under construction ordered to rectify; still wanting, the department decides `measures`
    (a new deadline far enough not to fall due during the test)."""
    iid = iid or building(people)
    rid = order_rectification(people, iid, who=who, now="2027-04-01 10:00")
    decide_sanction(people, rid, who=who, now=now, measures=list(measures), deadline_days=120, **decision)
    return iid, rid


def _accept(people, ctx, iid):
    """The construction goes on: built, put online, 30 days' trial, accepted on 2027-08-20."""
    if "Implement" in people.ready(iid):
        people.do("gail", iid, "Implement", {"finished": True}, now=at("2027-05-11 10:00"))
    advance(people, iid, "GoLive", "2027-05-12 10:00")
    people.do("ann", iid, "GoLive", {"system_online": True}, now=at("2027-05-15 10:00"))
    tick(ctx, at("2027-08-01 00:00"))
    advance(people, iid, "FinalAcceptance", "2027-08-10 10:00")
    people.do("ann", iid, "FinalAcceptance", ANSWERS["FinalAcceptance"][1], now=at(ACCEPTED))


def _passes(people, rid, who="dora", now="2027-09-01 10:00"):
    """The rectification is done and found compliant (整改复核 passes)."""
    people.do("ann", rid, "Rectify", {"rectification": "已实现数据共享"}, now=at("2027-08-25 10:00"))
    people.do(who, rid, "RectificationCheck", {"decision": "approve", "comment": "整改到位"}, now=at(now))


def _pay(people, iid, now="2027-09-10 10:00"):
    who, data = ANSWERS["Payment"]
    return runtime.complete_task(people.ctx, getattr(people, who), task_row(people.ctx, iid, "Payment").id, data,
                                 now=at(now))


def _events(ctx, iid, *names):
    with ctx.db.transaction() as session:
        return [(e.event, e.data) for e in session.query(AuditEvent).filter(AuditEvent.instance_id == iid,
                                                                             AuditEvent.event.in_(names))
                .order_by(AuditEvent.id)]


def test_it_holds_the_payment_while_construction_goes_on_when_the_department_withholds_funds(people, ctx):
    iid, rid = _withheld(people)
    project = people.instance(iid)
    assert project["suspension"] is None and people.ready(iid) == ["Implement"]    # construction goes on
    [hold] = project["holds"]
    assert hold["steps"] == ["Payment", "ArrangeOpsFunds"] and hold["by_instance_id"] == rid
    assert hold["step_titles"] == ["拨付相应资金", "安排下一运维周期运维经费"]
    assert hold["order"] == "暂缓拨付建设资金及运维经费" and hold["by_unit"] == "市数据局"
    assert hold["reason"] == "整改后仍不符合要求" and hold["since"].startswith("2027-05-10T10:00")
    assert people.ready(rid) == ["Rectify"]                                          # the 整改 goes on
    _accept(people, ctx, iid)                                                        # the current task was done
    assert people.ready(iid) == AFTER_ACCEPTANCE                                     # 拨付 is held
    payment = task_row(ctx, iid, "Payment")
    assert payment.state == "suspended" and payment.held_since == at(ACCEPTED)
    assert "Payment" not in [t["name"] for t in people.inbox("fay")]
    with pytest.raises(Conflict) as refused:
        _pay(people, iid)
    assert refused.value.detail == (
        "项目“宿迁市智慧警务平台”的“拨付相应资金”已依“暂缓拨付建设资金及运维经费”"
        f"（建设期限期整改（第三十六条），编号 {rid}；市数据局 dora决定）于2027年5月10日 10:00起暂缓办理："
        "整改后仍不符合要求。解除前不能办理。")


def test_the_held_payment_is_not_overdue_nor_counted_waiting(people, ctx):
    iid, _rid = _withheld(people)
    _accept(people, ctx, iid)
    tick(ctx, at("2027-12-01 10:00"))
    assert task_row(ctx, iid, "Payment").overdue_notified_at is None
    board = views.dashboard(ctx, people.mona, now=at("2027-12-01 10:00"))
    [project] = [p for p in board["projects"] if p["id"] == iid]
    assert "Payment" not in [t["name"] for t in project["open_tasks"]] and project["holds"]
    ready = people.ready(iid)
    with ctx.db.transaction() as session:
        assert session.get(ProcessInstance, iid).open_tasks == len(ready) and "Payment" not in ready


def test_it_releases_the_payment_once_the_rectification_check_passes(people, ctx):
    iid, rid = _withheld(people)
    _accept(people, ctx, iid)
    _passes(people, rid)
    assert people.instance(rid)["status"] == "completed"
    project = people.instance(iid)
    assert project["holds"] == [] and "Payment" in people.ready(iid)
    assert task_row(ctx, iid, "Payment").held_since is None
    _pay(people, iid)
    # held 2027-08-20 → 09-01: the 8 working days of (8月20日, 9月1日] are added for a post-script to read
    assert task_data(ctx, iid, "Payment")["held_workdays"] == 8
    [(_, held), (_, released)] = _events(ctx, iid, "steps_held", "steps_released")
    assert held["steps"] == ["Payment", "ArrangeOpsFunds"] and held["child_instance_id"] == rid
    assert released["steps"] == ["Payment", "ArrangeOpsFunds"] and released["element"] == "EndRectified"
    assert released["title"] == "整改完成（“拨付相应资金”、“安排下一运维周期运维经费”）"


def test_it_pays_as_usual_when_the_department_does_not_withhold_funds(people, ctx):
    iid, rid = _withheld(people, measures=("criticism",))
    assert people.instance(iid)["holds"] == [] and _events(ctx, iid, "steps_held") == []
    _accept(people, ctx, iid)
    assert people.ready(iid) == [*AFTER_ACCEPTANCE, "Payment"]
    _pay(people, iid)
    assert people.ready(rid) == ["Rectify"]


def test_a_payment_already_ready_is_held_at_once(people, ctx):
    iid = building(people)
    _accept(people, ctx, iid)
    assert "Payment" in people.ready(iid)
    rid = order_rectification(people, iid, now="2027-08-21 10:00")
    decide_sanction(people, rid, now="2027-08-28 10:00", rectified="2027-08-22 10:00", checked="2027-08-23 10:00",
                    measures=["withhold_funds"], deadline_days=60)
    assert people.ready(iid) == AFTER_ACCEPTANCE
    assert task_row(ctx, iid, "Payment").held_since == at("2027-08-28 10:00")
    people.do("ann", rid, "Rectify", {"rectification": "已实现数据共享"}, now=at("2027-09-01 10:00"))
    people.do("dora", rid, "RectificationCheck", {"decision": "approve"}, now=at("2027-09-03 10:00"))
    assert "Payment" in people.ready(iid)


def test_two_departments_withholding_the_same_payment_release_it_only_when_both_rectifications_pass(people, ctx):
    iid, first = _withheld(people, who="dora")
    _iid, second = _withheld(people, who="fay", iid=iid, now="2027-05-12 10:00")
    assert [h["by_instance_id"] for h in people.instance(iid)["holds"]] == [first, second]
    _accept(people, ctx, iid)
    _passes(people, first)
    assert "Payment" not in people.ready(iid)                      # 市财政局's order still holds it
    [hold] = people.instance(iid)["holds"]
    assert hold["by_instance_id"] == second and hold["by_unit"] == "市财政局"
    with pytest.raises(Conflict) as refused:
        _pay(people, iid)
    assert f"编号 {second}；市财政局" in refused.value.detail
    [(_, released)] = _events(ctx, iid, "steps_released")
    assert released["still_held"] == ["ArrangeOpsFunds", "Payment"]
    _passes(people, second, who="fay", now="2027-09-05 10:00")
    assert "Payment" in people.ready(iid) and people.instance(iid)["holds"] == []


def test_it_halts_construction_and_withholds_funds_when_both_are_decided_and_resumes_both(people, ctx):
    iid, rid = _withheld(people, measures=("withhold_funds", "suspend"))
    project = people.instance(iid)
    assert project["suspension"]["order"] == "暂停项目建设" and project["holds"][0]["by_instance_id"] == rid
    assert people.ready(iid) == []
    people.do("ann", rid, "RectifySuspended", {"rectification": "已实现数据共享"}, now=at("2027-05-20 10:00"))
    people.do("dora", rid, "ResumeCheck", {"decision": "approve", "comment": "整改到位"}, now=at("2027-05-30 10:00"))
    project = people.instance(iid)
    assert project["suspension"] is None and project["holds"] == [] and people.ready(iid) == ["Implement"]
    assert people.instance(rid)["outcome"] == "resumed"
    _accept(people, ctx, iid)
    assert "Payment" in people.ready(iid)


def test_a_managers_suspension_and_resumption_of_the_project_keep_the_payment_held(people, ctx):
    iid, rid = _withheld(people)
    _accept(people, ctx, iid)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2027-08-22 10:00"))
    assert people.ready(iid) == []
    orders.resume_instance(ctx, people.mona, iid, "资金已落实", now=at("2027-08-24 10:00"))
    assert people.ready(iid) == AFTER_ACCEPTANCE and task_row(ctx, iid, "Payment").state == "suspended"
    _passes(people, rid)
    assert "Payment" in people.ready(iid)


def test_the_hold_ends_with_a_rectification_the_manager_terminates(people, ctx):
    iid, rid = _withheld(people)
    _accept(people, ctx, iid)
    runtime.terminate_instance(ctx, people.mona, rid, "整改要求撤销", now=at("2027-08-25 10:00"))
    assert "Payment" in people.ready(iid) and people.instance(iid)["holds"] == []
    [(_, released)] = _events(ctx, iid, "steps_released")
    assert released["at_end"] is True and released["order"] == "“建设期限期整改（第三十六条）”已结束"


def test_a_terminated_project_keeps_no_hold(people, ctx):
    iid, rid = _withheld(people, measures=("withhold_funds",))
    people.do("ann", rid, "Rectify", {"rectification": "仍未整改"}, now=at("2027-05-20 10:00"))
    people.do("dora", rid, "RectificationCheck", {"decision": "reject", "comment": "仍不符合"},
              now=at("2027-05-25 10:00"))
    people.do("dora", rid, "SanctionDecision", {"comment": "终止", "measures": ["withhold_funds"], "terminate": True},
              now=at("2027-05-30 10:00"))
    project = people.instance(iid)
    assert project["status"] == "terminated" and project["holds"] == []
    with ctx.db.transaction() as session:
        assert session.get(ProcessInstance, iid).holds is None


def test_the_project_page_and_the_task_page_show_the_hold(app, people, ctx):
    iid, rid = _withheld(people)
    _accept(people, ctx, iid)
    fay = browser(app, people, "fay")
    page = fay.get(f"/instances/{iid}").get_data(as_text=True)
    assert "暂缓办理：“拨付相应资金”、“安排下一运维周期运维经费”" in page and "data-hold" in page
    assert "解除暂缓" not in page and "暂缓办理" in page
    task = fay.get(f"/tasks/{task_row(ctx, iid, 'Payment').id}").get_data(as_text=True)
    assert "解除前不能办理" in task
    _passes(people, rid)
    page = fay.get(f"/instances/{iid}").get_data(as_text=True)
    assert "data-hold" not in page and "解除暂缓" in page          # the timeline keeps both


def _problems(old: bytes, new: bytes, name: str = "suqian.rectification.bpmn") -> list[str]:
    content = (ROOT / "bpmn_diagrams" / "suqian" / name).read_bytes()
    assert old in content
    return [p.message for p in check_files(Runtime.from_data_dir(ROOT), {name: content.replace(old, new, 1)})]


def test_validate_refuses_a_hold_without_steps_or_with_a_step_the_project_diagram_lacks():
    steps = b'<spiffworkflow:property name="parentSteps" value="Payment,ArrangeOpsFunds"/>'
    assert _problems(steps, steps) == []
    messages = _problems(steps, b"")
    assert any("parentEffect hold 须用 parentSteps" in m for m in messages), messages
    messages = _problems(steps, b'<spiffworkflow:property name="parentSteps" value="Payment,ArrangeFunds"/>')
    wanted = "ArrangeFunds 不是所属项目流程图的用户任务（是否应为 ArrangeOpsFunds？）"
    assert any(wanted in m for m in messages), messages
    messages = _problems(steps, b'<spiffworkflow:property name="parentSteps" value="PhaseAcceptance"/>')
    assert any("PhaseAcceptance 不是所属项目流程图的用户任务" in m for m in messages), messages
    messages = _problems(b'<spiffworkflow:property name="parentEffect" value="suspend"/>',
                         b'<spiffworkflow:property name="parentEffect" value="suspend"/>'
                         b'<spiffworkflow:property name="parentSteps" value="Payment"/>')
    assert any("parentSteps 只能与 parentEffect hold 或 release 同用" in m for m in messages), messages


# --- 运维: the yearly loop's own 通报批评、暂缓拨付 (第三十六条) holds that cycle's 运维经费 ----------------------

def _ops_sanctioned(people, ctx, measures=("criticism", "withhold_funds")):
    """In 运维, the 2028 report was returned, the 整改 still wanting on 2028-03-05: 市数据局 decides
    `measures` on 2028-03-06 with a new deadline; 市财政局 had not arranged the next cycle's funds yet."""
    iid = _returned(people, ctx)
    people.do("ann", iid, "Rectify", {"rectification": "部分整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", iid, "RectifyCheck", {"decision": "reject", "comment": "仍不符合"}, now=at("2028-03-05 10:00"))
    people.do("dora", iid, "Sanction", {"measures": list(measures), "rectify_by": "2028-06-30",
                                        "comment": "通报批评，暂缓拨付运维经费"}, now=at("2028-03-06 10:00"))
    return iid


def _arrange(people, iid, now):
    return runtime.complete_task(people.ctx, people.fay, task_row(people.ctx, iid, "ArrangeOpsFunds").id,
                                 {"ops_funds_amount": 30}, now=at(now))


def test_the_yearly_sanction_holds_the_cycles_ops_funds_while_the_rectification_goes_on(people, ctx):
    iid = _ops_sanctioned(people, ctx)
    assert people.ready(iid) == ["Rectify"]                                  # the 整改 goes on
    row = task_row(ctx, iid, "ArrangeOpsFunds")
    assert row.state == "suspended" and row.held_since == at("2028-03-06 10:00")
    assert "ArrangeOpsFunds" not in [t["name"] for t in people.inbox("fay")]
    [hold] = people.instance(iid)["holds"]
    assert (hold["steps"], hold["order"], hold["by_instance_id"], hold["by_unit"]) == (
        ["ArrangeOpsFunds"], "暂缓拨付运维经费", iid, "市数据局")
    with pytest.raises(Conflict) as refused:
        _arrange(people, iid, "2028-03-10 10:00")
    assert "已依“暂缓拨付运维经费”" in refused.value.detail and "解除前不能办理" in refused.value.detail
    [(_, held)] = _events(ctx, iid, "steps_held")
    assert held["element"] == "HoldOpsFunds" and held["held_tasks"] == [row.id]


def test_the_ops_funds_are_arranged_once_the_rectification_is_found_compliant(people, ctx):
    iid = _ops_sanctioned(people, ctx)
    people.do("ann", iid, "Rectify", {"rectification": "已全部整改"}, now=at("2028-03-20 10:00"))
    people.do("dora", iid, "RectifyCheck", {"decision": "approve", "comment": "整改后符合要求"},
              now=at("2028-03-27 10:00"))
    assert people.instance(iid)["holds"] == [] and people.ready(iid) == ["ArrangeOpsFunds"]
    assert task_row(ctx, iid, "ArrangeOpsFunds").held_since is None
    _arrange(people, iid, "2028-03-28 10:00")
    # held 2028-03-06 10:00 → 03-27 10:00: the 15 working days between, for a post-script to read
    assert task_data(ctx, iid, "ArrangeOpsFunds")["held_workdays"] == 15
    [(_, released)] = _events(ctx, iid, "steps_released")
    assert released["element"] == "ReleaseOpsFunds" and released["steps"] == ["ArrangeOpsFunds"]
    assert [w["name"] for w in people.instance(iid)["waiting"]] == ["OpsPeriodEnds"]    # the next cycle


def test_a_sanction_that_does_not_withhold_funds_leaves_them_to_finance(people, ctx):
    iid = _ops_sanctioned(people, ctx, measures=("criticism",))
    assert people.ready(iid) == ["ArrangeOpsFunds", "Rectify"] and people.instance(iid)["holds"] == []
    _arrange(people, iid, "2028-03-10 10:00")
    assert _events(ctx, iid, "steps_held", "steps_released") == []


def test_funds_already_arranged_are_not_taken_back_and_the_project_ends_with_its_hold(people, ctx):
    iid = _returned(people, ctx)
    _arrange(people, iid, "2028-01-25 10:00")                  # arranged before the 整改 failed
    people.do("ann", iid, "Rectify", {"rectification": "部分整改"}, now=at("2028-03-01 10:00"))
    people.do("dora", iid, "RectifyCheck", {"decision": "reject", "comment": "仍不符合"}, now=at("2028-03-05 10:00"))
    people.do("dora", iid, "Sanction", {"measures": ["withhold_funds"], "rectify_by": "2028-06-30",
                                        "comment": "暂缓拨付"}, now=at("2028-03-06 10:00"))
    [(_, held)] = _events(ctx, iid, "steps_held")
    assert held["held_tasks"] == [] and task_row(ctx, iid, "ArrangeOpsFunds").state == "completed"
    tick(ctx, at("2028-07-01 00:00"))                          # 逾期未整改
    people.do("dora", iid, "Sanction", {"measures": ["suspend"], "terminate": True, "comment": "拒不整改，终止项目"},
              now=at("2028-07-02 10:00"))
    project = people.instance(iid)
    assert (project["status"], project["holds"], people.ready(iid)) == ("terminated", [], [])


def test_a_held_step_keeps_its_one_task_while_the_rest_of_the_project_goes_on(people, ctx):
    """Each completion elsewhere in the project keeps the held row as it is (one 拨付 to release, not
    one more per step taken meanwhile)."""
    iid, rid = _withheld(people)
    _accept(people, ctx, iid)
    for element in AFTER_ACCEPTANCE:
        who, data = ANSWERS[element]
        people.do(who, iid, element, data, now=at("2027-08-25 10:00"))
    with ctx.db.transaction() as session:
        rows = session.query(HumanTask).filter(HumanTask.instance_id == iid, HumanTask.element_id == "Payment").all()
        assert [(r.state, r.held_since) for r in rows] == [("suspended", at(ACCEPTED))]
    _passes(people, rid)
    assert people.ready(iid).count("Payment") == 1


OWN = "suqian.bpmn"


def test_validate_refuses_an_own_hold_on_a_step_the_diagram_lacks_or_mixed_with_a_parent_effect():
    hold = b'<spiffworkflow:property name="holdSteps" value="ArrangeOpsFunds"/>'
    assert _problems(hold, hold, OWN) == []
    messages = _problems(hold, b'<spiffworkflow:property name="holdSteps" value="ArrangeOpsFund"/>', OWN)
    assert any("holdSteps 中的 ArrangeOpsFund 不是本流程图的用户任务（是否应为 ArrangeOpsFunds？）" in m
               for m in messages), messages
    messages = _problems(hold, hold + b'<spiffworkflow:property name="releaseSteps" value="ArrangeOpsFunds"/>', OWN)
    assert any("holdSteps 与 releaseSteps 不能设在同一元素上" in m for m in messages), messages
    messages = _problems(hold, hold + b'<spiffworkflow:property name="parentEffect" value="hold"/>', OWN)
    assert any("不能与 parentEffect、parentSteps（所属项目）同用" in m for m in messages), messages
