"""Official documents (issue 14): the steps of each city's regulation that issue a 受理通知书,
不予受理通知书, 补正（退回修改）通知, 联合审查意见汇总 or 批复, numbered per jurisdiction and year,
reproducible, and read back by extracting the PDF's text."""
from __future__ import annotations

import dataclasses
import io
import threading

import pypdf
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import undefer

from engine.models import AuditEvent, Document, DocumentCounter
from engine.services import documents, runtime
from engine.services.timers import tick
from tests.conftest import at
from tests.yeji_walk import OK, REVIEWERS, declared, in_review, planned


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def docs_of(people, iid) -> list[dict]:
    return people.instance(iid)["documents"]


def the_pdf(people, who: str, document_id: int) -> str:
    _info, content = documents.pdf_for(people.ctx, getattr(people, who), document_id)
    return pdf_text(content)


def test_a_yeji_declaration_taken_into_the_joint_review_gets_a_numbered_acceptance_notice(people, ctx):
    iid = declared(people)
    assert docs_of(people, iid) == []       # 第七条: accepted when the review window opens
    tick(ctx, at("2026-10-01 08:00"))
    [doc] = docs_of(people, iid)
    assert doc["kind"] == "acceptance" and doc["title"] == "受理通知书"
    assert doc["number"] == "叶数管〔2026〕1号"
    text = the_pdf(people, "alice", doc["id"])
    for words in ("六安市叶集区数据资源管理局", "叶数管〔2026〕1号", "受理通知书", "叶集区智慧教育平台", "区教育局：",
                  "第六条", "第七条", "予以受理", "2026年10月1日"):
        assert words in text, words


def test_the_six_reviews_of_a_round_give_one_joint_summary_and_a_return_gives_a_correction_notice(people, ctx):
    iid = in_review(people, ctx)
    comments = {"ReviewFinance": "概算中服务器单价偏高，请按市场询价调整。",
                "ReviewCac": "请补充网络安全等级保护方案。"}
    for who, element in REVIEWERS:
        answer = {"decision": "return", "comment": comments[element]} if element in comments else OK
        people.do(who, iid, element, answer, now=at("2026-10-20 10:00"))
    kinds = [(d["kind"], d["number"]) for d in docs_of(people, iid)]
    assert kinds == [("acceptance", "叶数管〔2026〕1号"), ("joint_opinions", "叶数管〔2026〕2号"),
                     ("correction", "叶数管〔2026〕3号")]
    summary = the_pdf(people, "alice", docs_of(people, iid)[1]["id"])
    for words in ("联合审查意见汇总", "区财政局", "区委网信办", "区政务信息化专家组", "退回修改", "通过",
                  "概算中服务器单价偏高", "请补充网络安全等级保护方案"):
        assert words in summary, words
    correction = the_pdf(people, "alice", docs_of(people, iid)[2]["id"])
    assert "补正（退回修改）通知" in correction and "概算中服务器单价偏高" in correction
    assert "区数据资源管理局" not in correction.split("审查意见")[-1].split("对无法")[0]  # approvals are not quoted


def test_an_approval_is_issued_where_the_procedure_ends_in_one(people, ctx):
    iid = planned(people, ctx, is_key_project=True)
    approvals = [d for d in docs_of(people, iid) if d["kind"] == "approval"]
    assert [(d["title"], d["number"]) for d in approvals] == [
        ("立项批复", "叶发改〔2026〕1号"),                        # the 发改委's own series
        ("年度政务信息化项目建设计划批复", "叶政〔2026〕1号")]    # the 区政府's
    text = the_pdf(people, "alice", approvals[0]["id"])
    for words in ("六安市叶集区发展和改革委员会", "叶发改〔2026〕1号", "关于叶集区智慧教育平台的立项批复", "300万元",
                  "第五条", "此复"):
        assert words in text, words
    assert "叶发改〔2026〕8号" not in text        # the number the form asked for by hand is not printed beside it


def test_the_scheduler_makes_the_pdf_before_its_first_download_and_the_same_document_gives_the_same_bytes(
        people, ctx):
    iid = in_review(people, ctx)
    [doc] = docs_of(people, iid)
    assert documents.render_pending(ctx) == 1          # the scheduler's run after the step
    assert documents.render_pending(ctx) == 0          # made once
    with ctx.db.transaction() as session:
        kept = session.scalars(select(Document).where(Document.id == doc["id"])
                               .options(undefer(Document.pdf))).one().pdf
    assert kept is not None and kept.startswith(b"%PDF")   # stored before anyone asked for it
    _, first = documents.pdf_for(ctx, people.alice, doc["id"])
    assert first == kept
    with ctx.db.transaction() as session:
        row = session.get(Document, doc["id"])
        row.pdf = None     # made again from the stored snapshot
    _, again = documents.pdf_for(ctx, people.alice, doc["id"])
    assert again == first


def test_a_document_is_seen_only_by_those_who_may_see_the_project(people, ctx):
    iid = in_review(people, ctx)
    [doc] = docs_of(people, iid)
    documents.pdf_for(people.ctx, people.mona, doc["id"])      # the jurisdiction's manager
    from engine.errors import NotFound, PermissionDenied
    with pytest.raises(PermissionDenied):
        documents.pdf_for(people.ctx, people.bob, doc["id"])    # another applicant unit
    with pytest.raises(NotFound):
        documents.pdf_for(people.ctx, people.bob, 987654)


def test_issuing_is_audited_with_the_number(people, ctx):
    iid = in_review(people, ctx)
    with ctx.db.transaction() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == iid,
                                                          AuditEvent.event == "document_issued")).all()
        assert [e.data["number"] for e in events] == ["叶数管〔2026〕1号"]


def test_numbers_run_per_jurisdiction_and_year(people, ctx):
    first = in_review(people, ctx)
    second = people.start("bob", "yeji", {"project_name": "叶集区卫健数据平台", "project_type": "construction",
                                          "total_investment": 200, "plan_year": 2028}, now=at("2027-01-05 10:00"))
    people.do("bob", second, "Declare", {"construction_basis": "规划", "construction_plan": "建设方案.pdf",
                                         "budget_estimate": 200, "feasibility_study": "可研报告.pdf", "leader": "王",
                                         "contact": "赵", "phone": "0564-7654321"}, now=at("2027-01-06 10:00"))
    tick(ctx, at("2027-10-01 08:00"))
    assert docs_of(people, first)[0]["number"] == "叶数管〔2026〕1号"
    assert docs_of(people, second)[0]["number"] == "叶数管〔2027〕1号"


def test_a_document_left_unnumbered_by_a_crash_is_numbered_by_the_next_tick(people, ctx):
    iid = in_review(people, ctx)
    with ctx.db.transaction() as session:
        row = session.scalars(select(Document).where(Document.instance_id == iid)).one()
        extra = Document(instance_id=iid, human_task_id=row.human_task_id, jurisdiction="yeji", kind="acceptance",
                         title="受理通知书", rule=0, element_id="WaitReviewWindow", series="叶数管",
                         issued_at=at("2026-10-01 08:00"), year=2026)
        session.add(extra)
    tick(ctx, at("2026-10-02 08:00"))
    assert [d["number"] for d in docs_of(people, iid)] == ["叶数管〔2026〕1号", "叶数管〔2026〕2号"]


def test_two_documents_numbered_at_once_get_distinct_consecutive_numbers(people, ctx):
    ids = []
    for n in range(2):
        ids.append(declared(people, project_name=f"并发项目{n}"))
    tick(ctx, at("2026-10-01 08:00"))
    with ctx.db.transaction() as session:
        for row in session.scalars(select(Document).where(Document.instance_id.in_(ids))):
            row.number, row.sequence, row.snapshot = None, None, None
        session.query(DocumentCounter).delete()
    barrier = threading.Barrier(2)
    errors = []

    def number(iid):
        try:
            barrier.wait(5)
            documents.number_pending(ctx, iid)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=number, args=(iid,)) for iid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    numbers = sorted(docs_of(people, iid)[0]["number"] for iid in ids)
    assert numbers == ["叶数管〔2026〕1号", "叶数管〔2026〕2号"]


class Recorder:
    """The statements the engine sends, with "COMMIT" where a transaction ends."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def _commit(self, conn):
        self.statements.append("COMMIT")

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def transactions(self) -> list[list[str]]:
        found, current = [], []
        for statement in self.statements:
            if statement == "COMMIT":
                found.append(current)
                current = []
            else:
                current.append(statement)
        return found


def _review_round(people, ctx, iid) -> tuple[list[Recorder], Recorder]:
    tasks = {who: people.task(who, iid, element)["id"] for who, element in REVIEWERS}
    plain = []
    for who, _ in REVIEWERS:
        with Recorder(ctx.db.engine) as recorder:
            runtime.complete_task(ctx, getattr(people, who), tasks[who], OK, now=at("2026-10-20 10:00"))
        plain.append(recorder)
    return plain[:-1], plain[-1]


def test_a_plain_completion_sends_nothing_for_documents_and_an_issuing_one_only_its_insert(people, ctx):
    iid = in_review(people, ctx)
    plain, issuing = _review_round(people, ctx, iid)    # the round's last opinion issues 联合审查意见汇总
    for recorder in plain:
        assert not [s for s in recorder.statements if "document" in s.lower()]
    step, numbering = issuing.transactions()[:2]
    assert [s.split("(")[0].strip() for s in step if "document" in s.lower()] == ["INSERT INTO documents"]
    assert any("document_counters" in s and "ON CONFLICT" in s for s in numbering)
    # the same step where no document is configured: one statement fewer, and no numbering transaction
    registry = ctx.registry
    registry.jurisdictions()["yeji"] = dataclasses.replace(registry.get("yeji"), documents=None)
    other = in_review(people, ctx, project_name="未配置公文的项目")
    _, unconfigured = _review_round(people, ctx, other)
    assert len(step) == len(unconfigured.transactions()[0]) + 1
    assert len(unconfigured.transactions()) == len(issuing.transactions()) - 1


def test_a_misspelt_documents_json_is_refused_naming_the_file_and_the_key(tmp_path):
    import json
    import shutil

    from engine.registry import JurisdictionConfigError, load_jurisdiction
    shutil.copytree("processes/yeji", tmp_path / "processes" / "yeji")
    shutil.copytree("bpmn_diagrams/yeji", tmp_path / "bpmn" / "yeji")
    (tmp_path / "processes" / "yeji" / "documents.json").write_text(json.dumps({
        "issuer": "六安市叶集区数据资源管理局", "number_prefix": "叶数管",
        "documents": [{"kind": "acceptance", "elment": ["Declare"], "article": "第六条"},
                      {"kind": "permit", "element": ["NoSuchTask"], "article": "第九十九条"}]}), encoding="utf-8")
    with pytest.raises(JurisdictionConfigError) as refused:
        load_jurisdiction(tmp_path / "processes" / "yeji", tmp_path / "bpmn")
    problems = refused.value.detail
    assert "documents.json: documents[0].elment: 未知的键（是否应为 element？）" in problems
    assert "documents[0].element: 缺少必填项" in problems
    assert "documents[1].kind: 应为 acceptance、non_acceptance、correction、joint_opinions、approval 之一" in problems


def test_an_element_or_article_the_city_does_not_have_is_refused(tmp_path):
    import json
    import shutil

    from engine.registry import JurisdictionConfigError, load_jurisdiction
    shutil.copytree("processes/yeji", tmp_path / "processes" / "yeji")
    shutil.copytree("bpmn_diagrams/yeji", tmp_path / "bpmn" / "yeji")
    (tmp_path / "processes" / "yeji" / "documents.json").write_text(json.dumps({
        "issuer": "六安市叶集区数据资源管理局", "number_prefix": "叶数管",
        "documents": [{"kind": "approval", "element": ["NoSuchTask"], "article": "第九十九条"}]}), encoding="utf-8")
    with pytest.raises(JurisdictionConfigError) as refused:
        load_jurisdiction(tmp_path / "processes" / "yeji", tmp_path / "bpmn")
    problems = refused.value.detail.splitlines()
    assert any("documents[0].element[0]: yeji 的流程图中没有元素 NoSuchTask" in p for p in problems)
    assert any("documents[0].article: citations.json 中没有 第九十九条" in p for p in problems)
