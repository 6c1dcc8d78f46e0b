"""The project page shows a suspension (which order, by whom, since when) and offers managers 暂停 / 恢复."""
from engine.models import HumanTask
from engine.services import orders, runtime
from tests.conftest import at
from tests.web.helpers import form_token
from tests.yeji_walk import contracted


def test_the_project_page_shows_who_suspended_it_and_lets_a_manager_resume_it(sign_in, people, ctx):
    iid = contracted(people, ctx)
    people.deploy("yeji.rectification")
    rid = runtime.start_instance(ctx, people.nick, "yeji.rectification",
                                 {"issue": "未按批复要求实施", "deadline_days": 10},
                                 now=at("2027-02-01 10:00"), parent_instance_id=iid)
    people.do("alice", rid, "Rectify", {"rectification": "部分整改"}, now=at("2027-02-05 10:00"))
    people.do("nick", rid, "RectificationCheck", {"decision": "reject", "comment": "仍不符合"},
              now=at("2027-02-06 10:00"))
    people.do("nick", rid, "SanctionDecision", {"sanction": "suspend_construction", "comment": "暂停建设"},
              now=at("2027-02-07 10:00"))
    alice = sign_in("alice")
    page = alice.get(f"/instances/{iid}").get_data(as_text=True)
    assert "项目已暂停：暂停项目建设" in page and "区发展和改革委员会" in page and "项目实施" in page
    assert "恢复项目（管理者）" not in page
    mona = sign_in("mona")
    page = mona.get(f"/instances/{iid}").get_data(as_text=True)
    assert "恢复项目（管理者）" in page
    done = mona.post(f"/instances/{iid}/resume", data={"reason": "整改到位", "csrf_token": form_token(page)})
    assert done.status_code == 303
    page = mona.get(f"/instances/{iid}").get_data(as_text=True)
    assert "项目已暂停" not in page and "暂停项目（管理者）" in page


def test_the_task_page_of_a_suspended_project_says_why_it_cannot_be_done(sign_in, people, ctx):
    iid = contracted(people, ctx)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2027-01-05 10:00"))
    with ctx.db.transaction() as session:
        task_id = session.query(HumanTask.id).filter(HumanTask.instance_id == iid,
                                                     HumanTask.element_id == "Implement").scalar()
    alice = sign_in("alice")
    page = alice.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "管理者暂停项目" in page and "资金来源待核实" in page and "恢复前不能办理" in page
    refused = alice.post(f"/tasks/{task_id}", data={"finished": "true", "csrf_token": form_token(page)})
    assert refused.status_code == 409 and "资金来源待核实" in refused.get_data(as_text=True)


def test_the_managers_overview_marks_a_suspended_project(sign_in, people, ctx):
    iid = contracted(people, ctx)
    orders.suspend_instance(ctx, people.mona, iid, "资金来源待核实", now=at("2027-01-05 10:00"))
    page = sign_in("mona").get("/manage/running").get_data(as_text=True)
    assert "已暂停：管理者暂停项目（2027年1月5日起）" in page
