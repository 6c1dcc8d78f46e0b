"""签收 / 退签 / 转办 / 委托 / 暂存 / 确认 and comments, through the real services (engine/services/claims.py,
comments.py): each state change, who may make it, and the audit row it leaves."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.errors import Conflict, PermissionDenied, ValidationFailed
from engine.models import AuditEvent, HumanTask
from engine.services import claims, comments, runtime, views
from tests.conftest import at
from tests.support import YEJI_PEOPLE, Personas
from tests.web.helpers import PDF
from tests.yeji_walk import in_review

PEOPLE = {**YEJI_PEOPLE,
          "dan": ("区数据资源管理局", ["data_bureau"]),     # a second holder of 区数据资源管理局's review
          "lin": ("区数据资源管理局", []),                  # a colleague of dora's unit, holding no role
          "alex": ("区教育局", ["applicant"])}            # a colleague of alice's unit
NOW = at("2026-10-05 10:00")
APPROVE = {"decision": "approve"}


@pytest.fixture
def staff(ctx) -> Personas:
    people = Personas(ctx, table=PEOPLE)
    for name in ("dan", "lin", "alex", "fay", "bob", "mona"):   # known by username before anyone names them
        getattr(people, name)
    return people


@pytest.fixture
def review(staff, ctx) -> int:
    """The 区数据资源管理局 review of a project in the joint review: its task id."""
    iid = in_review(staff, ctx)
    return staff.task("dora", iid, "ReviewDataBureau", NOW)["id"]


def events(ctx, task_id: int) -> list[AuditEvent]:
    with ctx.db.transaction() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.human_task_id == task_id).order_by(AuditEvent.id))
        return [(row.event, row.actor_id, row.data) for row in rows]


def detail(ctx, who: int, task_id: int) -> dict:
    return views.task_detail(ctx, who, task_id, NOW)


def test_a_reviewer_claims_a_task_and_a_colleague_cannot_complete_it(ctx, staff, review):
    claims.claim(ctx, staff.dora, review, now=NOW)
    seen = detail(ctx, staff.dan, review)
    assert (seen["assignee"], seen["can_complete"]) == ("dora", False)
    assert "dora签收" in seen["refusal"]
    with pytest.raises(Conflict, match="已由dora签收"):
        runtime.complete_task(ctx, staff.dan, review, APPROVE, now=NOW)
    with pytest.raises(Conflict, match="已由dora签收"):
        claims.claim(ctx, staff.dan, review, now=NOW)
    claims.claim(ctx, staff.dora, review, now=NOW)          # claiming one's own again changes nothing
    claimed = [e for e in events(ctx, review) if e[0] == "task_claimed"]
    assert len(claimed) == 1 and claimed[0][1] == staff.dora and claimed[0][2]["holder"]["username"] == "dora"
    runtime.complete_task(ctx, staff.dora, review, APPROVE, now=NOW)


def test_the_inbox_shows_the_holder_and_filters_by_claim(ctx, staff, review):
    assert [t["id"] for t in staff.inbox("dan", NOW, view="unclaimed")] == [review]
    claims.claim(ctx, staff.dora, review, now=NOW)
    mine = staff.inbox("dora", NOW, view="claimed")
    assert [(t["id"], t["assignee"], t["assignee_name"]) for t in mine] == [(review, "dora", "dora")]
    assert staff.inbox("dan", NOW, view="unclaimed") == []
    assert staff.inbox("dan", NOW, view="claimed") == []
    assert [t["assignee"] for t in staff.inbox("dan", NOW) if t["id"] == review] == ["dora"]


def test_the_holder_gives_a_task_back_and_a_manager_releases_a_claim(ctx, staff, review):
    claims.claim(ctx, staff.dora, review, now=NOW)
    with pytest.raises(Conflict, match="只有签收人或管理者可以退签"):
        claims.unclaim(ctx, staff.dan, review, now=NOW)
    with pytest.raises(PermissionDenied):
        claims.unclaim(ctx, staff.fay, review, now=NOW)
    claims.unclaim(ctx, staff.dora, review, now=NOW)
    assert detail(ctx, staff.dan, review)["assignee"] is None
    with pytest.raises(Conflict, match="尚未签收"):
        claims.unclaim(ctx, staff.dora, review, now=NOW)
    claims.claim(ctx, staff.dan, review, now=NOW)
    claims.unclaim(ctx, staff.mona, review, now=NOW)       # 区数管局's manager releases it
    released = [e for e in events(ctx, review) if e[0] == "task_unclaimed"]
    assert [(e[1], e[2]["holder"]["username"], e[2]["released_by_manager"]) for e in released] == \
        [(staff.dora, "dora", False), (staff.mona, "dan", True)]
    runtime.complete_task(ctx, staff.dan, review, APPROVE, now=NOW)


def test_a_task_is_reassigned_only_to_another_holder_of_its_role(ctx, staff, review):
    claims.claim(ctx, staff.dora, review, now=NOW)
    with pytest.raises(ValidationFailed, match="只能转办给同一办理角色的人员"):
        claims.assign(ctx, staff.dora, review, "fay", now=NOW)
    with pytest.raises(ValidationFailed, match="没有名为"):
        claims.assign(ctx, staff.dora, review, "nobody", now=NOW)
    with pytest.raises(Conflict, match="只有签收人可以转办"):
        claims.assign(ctx, staff.dan, review, "dan", now=NOW)
    claims.assign(ctx, staff.dora, review, "dan", now=NOW)
    assert detail(ctx, staff.dan, review)["assignee"] == "dan"
    with pytest.raises(Conflict):
        runtime.complete_task(ctx, staff.dora, review, APPROVE, now=NOW)
    assigned = [e for e in events(ctx, review) if e[0] == "task_assigned"]
    assert [(e[1], e[2]["holder"]["username"], e[2]["to"]["username"]) for e in assigned] == \
        [(staff.dora, "dora", "dan")]
    runtime.complete_task(ctx, staff.dan, review, APPROVE, now=NOW)


def test_a_unit_role_task_is_reassigned_only_inside_the_applicant_unit(ctx, staff):
    iid = staff.start("alice", "yeji", {"project_name": "叶集区智慧教育平台", "project_type": "construction",
                                        "total_investment": 300, "duration_months": 4, "plan_year": 2027},
                      now=at("2026-08-01 10:00"))
    declare = staff.task("alice", iid, "Declare", at("2026-08-01 10:00"))["id"]
    with pytest.raises(ValidationFailed, match="本项目申报单位"):
        claims.assign(ctx, staff.alice, declare, "bob", now=NOW)     # bob is an applicant of another unit
    claims.assign(ctx, staff.alice, declare, "alex", now=NOW)
    assert detail(ctx, staff.alex, declare)["assignee"] == "alex"


def test_a_delegated_task_cannot_be_completed_until_the_holder_confirms(ctx, staff, review):
    with pytest.raises(ValidationFailed, match="只能委托本单位同事"):
        claims.delegate(ctx, staff.dora, review, "fay", now=NOW)
    claims.delegate(ctx, staff.dora, review, "lin", now=NOW)        # claims it on the way
    held = detail(ctx, staff.dora, review)
    assert (held["assignee"], held["delegated_to"], held["delegation"], held["actions"]) == \
        ("dora", "lin", "out", ["recall"])
    with pytest.raises(Conflict, match="已委托lin办理"):
        runtime.complete_task(ctx, staff.dora, review, APPROVE, now=NOW)
    with pytest.raises(PermissionDenied):                           # lin holds no role: only the delegate's path
        runtime.complete_task(ctx, staff.lin, review, APPROVE, now=NOW)
    assert [t["id"] for t in staff.inbox("lin", NOW, view="delegated")] == [review]
    assert detail(ctx, staff.lin, review)["actions"] == ["save_draft", "submit"]
    with pytest.raises(ValidationFailed):
        claims.submit_delegated(ctx, staff.lin, review, {"decision": "return"}, now=NOW)   # 退回 needs a comment
    answer = {"decision": "return", "comment": "建设方案缺少等保测评内容"}
    claims.submit_delegated(ctx, staff.lin, review, answer, now=NOW)
    back = detail(ctx, staff.dora, review)
    assert (back["delegation"], back["draft"]["comment"], back["can_complete"]) == ("back", answer["comment"], True)
    assert "confirm" in back["actions"] and staff.inbox("lin", NOW, view="delegated") == []
    with pytest.raises(Conflict, match="没有待您确认"):
        claims.confirm(ctx, staff.dan, review, now=NOW)
    state = claims.confirm(ctx, staff.dora, review, now=NOW)
    assert state["status"] == "running"
    with ctx.db.transaction() as session:
        row = session.get(HumanTask, review)
        assert (row.state, row.completed_by_id, row.data["comment"]) == ("completed", staff.dora, answer["comment"])
    kinds = [(e[0], e[1]) for e in events(ctx, review)]
    assert kinds == [("task_claimed", staff.dora), ("task_delegated", staff.dora),
                     ("task_delegate_submitted", staff.lin), ("task_completed", staff.dora)]
    done = events(ctx, review)[-1][2]
    assert done["confirms_delegate_id"] == staff.lin
    assert events(ctx, review)[1][2]["to"]["username"] == "lin"


def test_the_holder_recalls_a_delegation(ctx, staff, review):
    claims.delegate(ctx, staff.dora, review, "lin", now=NOW)
    claims.save_draft(ctx, staff.lin, review, {"comment": "初步意见"}, now=NOW)
    with pytest.raises(Conflict, match="请先收回委托"):
        claims.unclaim(ctx, staff.dora, review, now=NOW)
    claims.recall(ctx, staff.dora, review, now=NOW)
    after = detail(ctx, staff.dora, review)
    assert (after["delegated_to"], after["draft"], after["can_complete"]) == (None, {"comment": "初步意见"}, True)
    with pytest.raises(Conflict, match="没有委托给您"):
        claims.submit_delegated(ctx, staff.lin, review, APPROVE, now=NOW)
    assert [e[0] for e in events(ctx, review)][-1] == "task_delegation_recalled"


def test_a_draft_is_saved_without_validation_and_claims_the_task(ctx, staff, review):
    claims.save_draft(ctx, staff.dora, review, {"decision": "return"}, now=NOW)   # no comment: not validated
    saved = detail(ctx, staff.dora, review)
    assert (saved["assignee"], saved["draft"], saved["has_draft"]) == ("dora", {"decision": "return"}, True)
    assert detail(ctx, staff.dan, review)["draft"] == {"decision": "return"}   # the role's, kept on 退签
    with pytest.raises(Conflict):
        claims.save_draft(ctx, staff.dan, review, {}, now=NOW)
    with pytest.raises(ValidationFailed):
        claims.save_draft(ctx, staff.dora, review, "not an object", now=NOW)
    assert [e[0] for e in events(ctx, review)] == ["task_claimed", "task_draft_saved"]
    assert events(ctx, review)[0][2]["by_draft"] is True


def test_comments_on_a_task_and_a_project_with_an_attachment(ctx, staff, review):
    iid = detail(ctx, staff.dora, review)["instance_id"]
    note = comments.add(ctx, staff.dora, "请申报单位补充等保方案", task_id=review,
                        file=("等保方案要求.pdf", io.BytesIO(PDF)), now=NOW)
    assert (note["author"], note["task_id"], note["attachment"]["name"]) == ("dora", review, "等保方案要求.pdf")
    comments.add(ctx, staff.alice, "已收到，将于三日内补充", instance_id=iid, now=NOW)
    with pytest.raises(ValidationFailed):
        comments.add(ctx, staff.alice, "   ", instance_id=iid, now=NOW)
    with pytest.raises(PermissionDenied):
        comments.add(ctx, staff.bob, "我也说两句", instance_id=iid, now=NOW)       # another unit's project
    with pytest.raises(PermissionDenied):
        comments.add(ctx, staff.fay, "看看", task_id=review, now=NOW)             # not finance's task
    assert [c["text"] for c in comments.of(ctx, staff.alice, instance_id=iid)] == \
        ["请申报单位补充等保方案", "已收到，将于三日内补充"]
    assert [c["text"] for c in detail(ctx, staff.dan, review)["comments"]] == ["请申报单位补充等保方案"]
    history = views.instance_detail(ctx, staff.alice, iid, NOW)["history"]
    timeline = [h for h in history if h["event"] == "comment_added"]
    assert [h["data"]["text"] for h in timeline] == ["请申报单位补充等保方案", "已收到，将于三日内补充"]


def test_two_holders_racing_to_claim_leave_exactly_one_holder(ctx, staff, review):
    """Each claim on its own connection (threads; on PostgreSQL real concurrent transactions)."""
    from tests.test_concurrency import _race
    for _ in range(3):
        results = _race([lambda: claims.claim(ctx, staff.dora, review, now=NOW),
                         lambda: claims.claim(ctx, staff.dan, review, now=NOW)])
        assert sorted(results) == ["conflict", "ok"]
        holder = detail(ctx, staff.mona, review)["assignee"]
        assert holder in ("dora", "dan")
        assert results[0 if holder == "dora" else 1] == "ok"
        claims.unclaim(ctx, staff.mona, review, now=NOW)
    assert [e[0] for e in events(ctx, review)].count("task_claimed") == 3


def test_a_claim_racing_a_completion_by_another_holder_never_leaves_both(ctx, staff, review):
    from tests.test_concurrency import _race
    results = _race([lambda: claims.claim(ctx, staff.dora, review, now=NOW),
                     lambda: runtime.complete_task(ctx, staff.dan, review, APPROVE, now=NOW)])
    with ctx.db.transaction() as session:
        row = session.get(HumanTask, review)
        assert (row.state == "completed") == (results[1] == "ok")
        if row.state == "completed":
            assert row.completed_by_id == staff.dan
        else:
            assert row.assignee_id == staff.dora and results == ["ok", "conflict"]


def _statements(ctx, call) -> int:
    from sqlalchemy import event
    count = [0]

    def seen(*_args):
        count[0] += 1
    event.listen(ctx.db.engine, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", seen)
    return count[0]


def test_completing_a_claimed_task_sends_no_more_statements_than_an_unclaimed_one(ctx, staff):
    """The holder check reads the task row's own columns (assignee_id, delegation): nothing is added."""
    iid = in_review(staff, ctx)
    finance = staff.task("fay", iid, "ReviewFinance", NOW)["id"]
    ndrc = staff.task("nick", iid, "ReviewNdrc", NOW)["id"]
    claims.claim(ctx, staff.nick, ndrc, now=NOW)
    unclaimed = _statements(ctx, lambda: runtime.complete(ctx, staff.fay, finance, APPROVE, now=NOW))
    claimed = _statements(ctx, lambda: runtime.complete(ctx, staff.nick, ndrc, APPROVE, now=NOW))
    assert claimed == unclaimed
