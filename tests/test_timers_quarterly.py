"""叶集 第十五条: a project built over more than 6 months reports its progress in the first 5 working
days of every quarter. The diagram's boundary timer `QuarterStart` (next_quarter_start()) interrupts
the implementation at the quarter start; `ProgressReport` is due on the 5th working day."""
from datetime import date

from engine.config import ROOT
from engine.forms import FormLibrary
from engine.services import calendar_admin
from engine.services.timers import tick
from tests.conftest import at
from tests.support import YEJI_PEOPLE
from tests.test_calendar_admin import NOTICE_2027
from tests.test_timers_support import fresh_calendars, nth_workday_after  # noqa: F401
from tests.yeji_walk import DECLARE, REVIEWERS, contracted

FACTS = {"project_name": "区级政务云扩容", "project_type": "construction", "total_investment": 300,
         "duration_months": 12}
BY_ROLE = {}
for _name, (_unit, _roles) in YEJI_PEOPLE.items():
    BY_ROLE.setdefault(_roles[0], _name)     # alice is the applicant, dora the data bureau …
ANSWERS = {"Contract": {"contract_no": "YJ-2025-001", "contract_amount": 280, "signed_on": "2025-11-20",
                         "acceptance_date": "2026-09-30"}}


def _minimal_answers(form: str, day: str) -> dict:
    """The least a person would fill in to approve the step (decisions approve, dates `day`)."""
    schema, _ui = FormLibrary(ROOT / "forms").load(form)
    answers = {}
    for field in schema.get("required", []):
        spec = schema["properties"][field]
        if "enum" in spec:
            answers[field] = "approve" if "approve" in spec["enum"] else spec["enum"][0]
        elif spec.get("format") == "date":
            answers[field] = day
        elif spec.get("type") in ("number", "integer"):
            answers[field] = max(spec.get("minimum", 1), 1)
        elif spec.get("type") == "boolean":
            answers[field] = spec.get("const", False)
        else:
            answers[field] = "按计划推进" if not spec.get("pattern") else "0564-1234567"
    return answers


def _advance_to(people, iid: int, target: str, when: str) -> None:
    """Approve every step until `target` is ready (the steps before implementation)."""
    for _ in range(40):
        ready = people.ready(iid)
        if target in ready:
            return
        row = people.ready_rows(iid)[0]
        who = BY_ROLE[row.role_key]
        data = ANSWERS.get(row.element_id) or _minimal_answers(row.form, when[:10])
        people.do(who, iid, row.element_id, data, now=at(when))
    raise AssertionError(f"{target} never became ready: {people.ready(iid)}")


def test_it_asks_for_the_progress_report_at_each_quarter_start_due_the_fifth_working_day(
        people, ctx, fresh_calendars):  # noqa: F811
    iid = people.start("alice", "yeji", FACTS, now=at("2025-08-01 10:00"))
    people.do("alice", iid, "Declare", DECLARE, now=at("2025-08-02 10:00"))
    tick(ctx, at("2025-10-01 00:00:01"))                # 第七条: the 10–12月 review window opens
    for who, element in REVIEWERS:
        people.do(who, iid, element, {"decision": "approve"}, now=at("2025-10-10 10:00"))
    _advance_to(people, iid, "ImplementReporting", "2025-11-20 10:00")
    assert [w["name"] for w in people.instance(iid)["waiting"]] == ["QuarterStart"]

    assert tick(ctx, at("2025-12-31 23:59:59")) == []
    fired = tick(ctx, at("2026-01-01 00:00:01"))
    assert [(f.kind, f.element_id) for f in fired] == [("timer", "QuarterStart")]
    assert people.ready(iid) == ["ProgressReport"]
    report = people.task("alice", iid, "ProgressReport", now=at("2026-01-01 08:00"))
    # 2026: 1/1–1/3 元旦, 1/4 (Sunday) 调休 — the 5th working day is Thursday 1/8.
    fifth = nth_workday_after(date(2025, 12, 31), 5)
    assert fifth == date(2026, 1, 8)
    assert (report["due_at"], report["due_provisional"]) == ("2026-01-08T23:59:59+08:00", False)

    people.do("alice", iid, "ProgressReport", _minimal_answers("yeji/progress_report", "2026-06-30"),
              now=at("2026-01-06 10:00"))
    assert people.ready(iid) == ["ImplementReporting"]
    assert people.instance(iid)["waiting"][0]["fires_at"] == "2026-04-01T00:00:00+08:00"

    tick(ctx, at("2026-04-01 00:00:01"))
    report = people.task("alice", iid, "ProgressReport", now=at("2026-04-01 08:00"))
    # 清明 2026: 4/4–4/6 — 4/1, 4/2, 4/3, 4/7, 4/8.
    assert nth_workday_after(date(2026, 3, 31), 5) == date(2026, 4, 8)
    assert report["due_at"] == "2026-04-08T23:59:59+08:00"
    fired = tick(ctx, at("2026-04-09 00:00:01"))
    assert [(f.kind, f.element_id) for f in fired] == [("overdue", "ProgressReport")]


def test_it_marks_a_2027_report_deadline_provisional_until_the_notice_is_loaded(
        people, ctx, fresh_calendars):  # noqa: F811
    iid = contracted(people, ctx, duration_months=12)          # 合同 signed 2026-12-15
    assert people.ready(iid) == ["ImplementReporting"]
    tick(ctx, at("2027-01-01 00:00:01"))
    report = people.task("alice", iid, "ProgressReport", now=at("2027-01-01 08:00"))
    # 2027 is not loaded: Mon–Fri minus 元旦 → 1/4, 1/5, 1/6, 1/7, 1/8 (暂定).
    assert (report["due_at"], report["due_provisional"]) == ("2027-01-08T23:59:59+08:00", True)

    result = calendar_admin.import_notice(ctx, NOTICE_2027, loaded_by="test", now=at("2027-01-02 09:00"))
    assert result["recomputed_tasks"] == 1
    report = people.task("alice", iid, "ProgressReport", now=at("2027-01-02 09:00"))
    assert (report["due_at"], report["due_provisional"]) == ("2027-01-11T23:59:59+08:00", False)
