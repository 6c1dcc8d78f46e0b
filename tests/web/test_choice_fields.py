"""A field whose choices are the unit's projects (`x-choices`): the task page offers them as a select of
names with numbers, and a number that is not one of them comes back beside the field in Chinese."""
from engine.models import HumanTask
from tests.conftest import at
from tests.web.helpers import form_token
from tests.yeji_walk import DECLARE, FACTS, contracted


def _declare_task(people, ctx, who: str) -> tuple[int, int]:
    iid = people.start(who, "yeji", {**FACTS, "project_name": "智慧教育平台运维", "project_type": "operation",
                                     "total_investment": 30, "plan_year": 2028}, now=at("2027-08-01 10:00"))
    with ctx.db.transaction() as session:
        task_id = session.query(HumanTask.id).filter(HumanTask.instance_id == iid,
                                                     HumanTask.element_id == "Declare").scalar()
    return iid, task_id


def test_the_declaration_page_offers_the_units_own_projects_by_name_and_number(sign_in, people, ctx):
    system = contracted(people, ctx)                     # alice's unit's 叶集区智慧教育平台, being built
    _, task_id = _declare_task(people, ctx, "alice")
    page = sign_in("alice").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert '<select' in page and f'value="{system}"' in page
    assert f"叶集区智慧教育平台（编号 {system}，在办）" in page


def test_a_number_that_is_not_one_of_the_units_projects_is_refused_beside_the_field(sign_in, people, ctx):
    system = contracted(people, ctx)                     # alice's unit's project
    _, task_id = _declare_task(people, ctx, "bob")       # bob's unit has none
    bob = sign_in("bob")
    page = bob.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "叶集区智慧教育平台（编号" not in page
    answers = {key: str(value) for key, value in DECLARE.items()}
    refused = bob.post(f"/tasks/{task_id}", data={**answers, "budget_estimate": "30",
                                                  "maintained_project_id": str(system),
                                                  "csrf_token": form_token(page)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请从列出的项目中选择" in text
