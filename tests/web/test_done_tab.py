"""The 已办 tab says what each person decided (通过 / 退回修改 / 不通过, 已提交 for a step without a
decision) and where the project stands now (办理中, or 已办结/已终止 with its outcome) — from the task
rows and their projects in one query, as GET /api/v1/tasks/completed answers it too."""
from __future__ import annotations

import re

from tests.support import PASSWORD
from tests.web.test_pages import REVIEWERS, in_review, text


def _states(page: str) -> list[str]:
    cells = re.findall(r"<td data-label=\"状态\" data-done-state>(.*?)</td>", page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]


def test_each_completed_task_shows_its_decision_and_the_project_state(sign_in, people, ctx):
    iid = in_review(people, ctx)
    people.do("dora", iid, "ReviewDataBureau", {"decision": "return", "comment": "请补充共享分析"})
    people.do("erin", iid, "ReviewExperts", {"decision": "approve"})
    assert _states(text(sign_in("dora").get("/?tab=done"))) == ["退回修改 项目办理中"]
    assert _states(text(sign_in("erin").get("/?tab=done"))) == ["通过 项目办理中"]
    assert _states(text(sign_in("alice").get("/?tab=done"))) == ["已提交 项目办理中"]   # 项目申报: no decision
    assert "查看项目</a>" not in text(sign_in("alice").get("/?tab=done"))


def test_a_rejected_project_shows_as_ended_with_its_outcome(sign_in, people, ctx):
    iid = in_review(people, ctx)
    for element, who in zip(REVIEWERS, ["dora", "erin", "fay", "nick", "cris", "cathy"], strict=True):
        people.do(who, iid, element, {"decision": "reject", "comment": "重复建设"} if who == "fay"
                  else {"decision": "approve"})
    assert _states(text(sign_in("fay").get("/?tab=done"))) == ["不通过 项目已终止：联合审查论证不通过"]
    client = sign_in("fay")
    token = client.post("/api/v1/auth/token", json={"username": "fay", "password": PASSWORD}).json["token"]
    done = client.get("/api/v1/tasks/completed", headers={"Authorization": f"Bearer {token}"}).json
    assert [(t["decision"], t["decision_label"], t["project_status"], t["project_outcome_label"]) for t in done] == [
        ("reject", "不通过", "terminated", "联合审查论证不通过")]
