"""宿迁 第六条、第三十六条 on the task page: 市数据局, checking which of the unit's systems a new project
continues, sees the unit's systems (by project number, with what bars a follow-up) beside the form."""
from __future__ import annotations

from tests.support import Personas
from tests.test_suqian_support import SUQIAN_PEOPLE, follow_up, started

PEOPLE = {**SUQIAN_PEOPLE, "sq_dora": ("市数据局", ["data_bureau"])}   # a name the 叶集 personas do not use


def test_the_data_bureau_sees_the_units_systems_beside_the_follow_up_check(sign_in, ctx):
    people = Personas(ctx, "suqian", PEOPLE)
    system = started(people)                                         # being built: not accepted
    iid = follow_up(people, plan_year=2028, follows_system="宿迁市智慧警务平台")
    people.sq_dora  # noqa: B018 - creates the persona
    task = people.task("sq_dora", iid, "CheckFollowUp")
    page = sign_in("sq_dora").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'data-records="unit_systems"' in page and "本单位的信息系统（按项目编号）" in page
    assert f'data-record="{system}"' in page and "尚未通过竣工验收" in page
    assert "所延续的本单位信息系统" in page and "<select" in page                 # x-choices: a select
    assert f"宿迁市智慧警务平台（编号 {system}，在办）" in page
