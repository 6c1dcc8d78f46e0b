"""Two people completing the same task at the same moment: exactly one wins, the other gets 409.
Two reviewers completing parallel tasks at the same moment: both count (no lost update)."""
import threading

from engine.errors import Conflict
from engine.services import attachments, runtime
from tests.conftest import at
from tests.yeji_walk import DECLARE, FACTS, OK, REVIEW_ELEMENTS, in_review


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            call()
            results[index] = "ok"
        except Conflict:
            results[index] = "conflict"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = repr(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_it_lets_exactly_one_of_two_racing_completions_win(people, ctx):
    iid = people.start("alice", "yeji", FACTS, now=at("2026-08-01 10:00"))
    task = people.task("alice", iid, "Declare")
    declared = attachments.with_placeholders(ctx, people.alice, task["id"], DECLARE)  # its documents uploaded
    results = _race([lambda: runtime.complete_task(ctx, people.alice, task["id"], declared, now=at("2026-08-02 10:00"))
                     for _ in range(2)])
    assert sorted(results) == ["conflict", "ok"]
    inst = people.instance(iid)
    assert [h["event"] for h in inst["history"]].count("task_completed") == 1


def test_it_keeps_both_of_two_parallel_reviews_completed_at_the_same_moment(people, ctx):
    iid = in_review(people, ctx)
    finance = people.task("fay", iid, "ReviewFinance")
    ndrc = people.task("nick", iid, "ReviewNdrc")
    results = _race([
        lambda: runtime.complete_task(ctx, people.fay, finance["id"], OK, now=at("2026-10-10 10:00")),
        lambda: runtime.complete_task(ctx, people.nick, ndrc["id"], OK, now=at("2026-10-10 10:00")),
    ])
    assert results == ["ok", "ok"]
    remaining = [e for e in REVIEW_ELEMENTS if e not in ("ReviewFinance", "ReviewNdrc")]
    assert people.ready(iid) == remaining
