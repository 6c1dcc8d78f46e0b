"""On a second round a reviewer finds the objection they made themselves as 您上一轮的意见 (not as
someone else's 退回意见), and the applicant's 修改说明 answering it open beside it."""
from __future__ import annotations

import re

from tests.web.test_pages import REVIEWERS, in_review, text

NOTE = "已按意见补充密码应用方案第三章"


def _second_round(people, ctx) -> int:
    iid = in_review(people, ctx)
    for element, who in zip(REVIEWERS, ["dora", "erin", "fay", "nick", "cris", "cathy"], strict=True):
        people.do(who, iid, element, {"decision": "return", "comment": "密评方案需补充"} if who == "cris"
                  else {"decision": "approve"})
    people.do("alice", iid, "Revise", {"revision_note": NOTE})
    assert "ReviewCrypto" in people.ready(iid)
    return iid


def _returns_panel(page: str) -> str:
    return re.search(r'<section class="panel returns".*?</section>', page, re.S).group(0)


def test_the_reviewer_sees_their_own_objection_as_theirs_and_the_answer_open(sign_in, people, ctx):
    iid = _second_round(people, ctx)
    task = people.task("cris", iid, "ReviewCrypto")
    panel = _returns_panel(text(sign_in("cris").get(f"/tasks/{task['id']}")))
    assert "您上一轮的意见" in panel and "退回意见" not in panel
    assert "密评方案需补充" in panel
    reply = panel[panel.index("data-reply"):]
    assert "申报单位的答复：修改申报材料" in reply and NOTE in reply
    assert "<details" not in panel   # the 修改说明 is open, not folded away


def test_another_reviewer_sees_it_as_a_colleagues_objection(sign_in, people, ctx):
    iid = _second_round(people, ctx)
    task = people.task("dora", iid, "ReviewDataBureau")
    page = text(sign_in("dora").get(f"/tasks/{task['id']}"))
    panel = _returns_panel(page)
    assert "退回意见" in panel and "您上一轮的意见" not in panel and NOTE in panel
    revise = re.search(r'<details class="step"( open)?>\s*<summary><strong>修改申报材料</strong>', page)
    assert revise and revise.group(1) == " open"
