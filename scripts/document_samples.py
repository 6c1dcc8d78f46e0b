"""Render one sample of each kind of official document to docs/images/document-<kind>.png (the first
page of its PDF, by poppler's pdftoppm — `scripts/setup --browser` installs it): a 叶集 project through
the joint review (受理通知书 when the review window opens, the six opinions summarised, a 补正通知 for
the two returns, then 立项批复) and a 宿迁 declaration refused registration (不予受理通知书). Runs the
real services on a throw-away SQLite database.

    .venv/bin/python scripts/document_samples.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.config import Settings  # noqa: E402
from engine.migrate import upgrade  # noqa: E402
from engine.services import documents  # noqa: E402
from engine.services.context import Context  # noqa: E402
from engine.services.timers import tick  # noqa: E402
from tests import test_suqian_support as suqian  # noqa: E402
from tests.conftest import at  # noqa: E402
from tests.support import Personas  # noqa: E402
from tests.yeji_walk import OK, REVIEWERS, in_review  # noqa: E402

COMMENTS = {"ReviewFinance": "概算中服务器、存储设备单价偏高，请按近三个月市场询价重新测算，并附询价记录。",
            "ReviewCac": "请补充网络安全等级保护（第三级）建设方案和数据安全保护措施。"}
KEY_PROJECT = {"decision": "approve", "approval_no": "叶发改〔2026〕8号", "comment": "同意作为重点项目单独立项。"}


def _yeji(ctx: Context) -> dict[str, int]:
    people = Personas(ctx)
    iid = in_review(people, ctx, is_key_project=True)
    for who, element in REVIEWERS:
        answer = {"decision": "return", "comment": COMMENTS[element]} if element in COMMENTS else \
            {**OK, "comment": "同意。"}
        people.do(who, iid, element, answer, now=at("2026-10-20 10:00"))
    people.do("alice", iid, "Revise", {"revision_note": "已按意见重新测算概算并补充等保方案。",
                                       "budget_estimate": 285}, now=at("2026-10-27 10:00"))
    for who, element in REVIEWERS:
        people.do(who, iid, element, {**OK, "comment": "同意。"}, now=at("2026-11-05 10:00"))
    people.do("nick", iid, "KeyProjectApproval", KEY_PROJECT, now=at("2026-11-10 10:00"))
    found: dict[str, int] = {}
    for doc in people.instance(iid)["documents"]:
        found.setdefault(doc["kind"], doc["id"])
        found["people:" + doc["kind"]] = people.alice
    return found


def _suqian(ctx: Context) -> dict[str, int]:
    people = suqian.personas(ctx)
    iid = suqian.declared(people)
    _, answers = suqian.ANSWERS["RegisterReview"]
    people.do("dora", iid, "RegisterReview", {**answers, "decision": "reject",
                                              "comment": "申报材料缺少本单位集体研究意见，且建设方案拟新建机房，"
                                                         "不符合第十四条规定。"}, now=at("2026-09-10 10:00"))
    doc = people.instance(iid)["documents"][0]
    return {doc["kind"]: doc["id"], "people:" + doc["kind"]: people.ann}


def main() -> None:
    out = ROOT / "docs" / "images"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GOVFLOW_INSTANCE_DIR"] = tmp
        settings = Settings(database_url=f"sqlite:///{tmp}/samples.sqlite3", secret_key="samples",
                            timezone="Asia/Shanghai", instance_dir=Path(tmp), upload_dir=Path(tmp) / "uploads")
        ctx = Context.from_settings(settings)
        upgrade(ctx.db)
        found = {**_yeji(ctx), **_suqian(ctx)}
        tick(ctx, at("2026-11-11 08:00"))
        for kind in documents.DOCUMENT_KINDS:
            _, pdf = documents.pdf_for(ctx, found["people:" + kind], found[kind])
            path = Path(tmp) / f"{kind}.pdf"
            path.write_bytes(pdf)
            target = out / f"document-{kind.replace('_', '-')}"
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                            str(target)], check=True)
            print(f"{target}.png")
        ctx.db.dispose()


if __name__ == "__main__":
    main()
