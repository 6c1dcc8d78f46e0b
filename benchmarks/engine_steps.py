"""What benchmarks/completion.py does not cover: parsing each deployed diagram, starting an instance,
and the size of the stored state.

    python benchmarks/engine_steps.py [--backend sqlite|postgresql] [--rounds 30] [--parse-rounds 5]
        [--no-parse] [--json]

- parse — every process of every jurisdiction is deployed into a scratch database
  (benchmarks/common.py), then its deployed files are parsed as a worker does on first use of a version
  (`engine.workflow.load_version`: BPMN/DMN parse, element table, serialized specs; the version cache
  keeps the result, so this is paid once per process and version), median of `--parse-rounds`; with
  the bundle's size (what one version stores; the states never repeat it). Does not depend on the
  database: `--no-parse` leaves it out.
- start — `engine.services.runtime.start_instance` of a 叶集 project (form check, engine start up to
  项目申报, projection, audit, commit), median and p90 of `--rounds`.
- state — the stored workflow state of a 叶集 project waiting on 项目申报, and after it (six parallel
  reviews open), raw and gzipped."""
from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from benchmarks.common import backend_url, context, median_ms, p90_ms, scratch_database  # noqa: E402
from benchmarks.completion import FACTS, Bench  # noqa: E402
from engine import workflow as wfx  # noqa: E402
from engine.models import ProcessInstance, ProcessVersion  # noqa: E402
from engine.services import runtime  # noqa: E402
from engine.services.deploy import deploy  # noqa: E402


def parse_times(ctx, rounds: int) -> tuple[dict[str, float], dict[str, float]]:
    """({process key: median parse ms}, {process key: bundle KB}) over every deployed process."""
    parse, sizes = {}, {}
    for jurisdiction in ctx.registry.jurisdictions().values():
        for key in jurisdiction.processes:
            with ctx.db.transaction() as session:
                version, _created = deploy(ctx.runtime, session, key, deployed_by="benchmark")
                files = session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == version.id))
            raw = {name: content.encode("utf-8") for name, content in files.items()}
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                wfx.load_version(key, raw)
                samples.append(time.perf_counter() - started)
            parse[key] = round(statistics.median(samples) * 1000, 1)
            sizes[key] = round(sum(len(c) for c in raw.values()) / 1024, 1)
    return parse, sizes


def state_of(ctx, instance_id: int) -> str:
    with ctx.db.transaction() as session:
        return session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))


def kb(text: str) -> tuple[float, float]:
    raw = text.encode("utf-8")
    return round(len(raw) / 1024, 1), round(len(gzip.compress(raw)) / 1024, 1)


def starts(ctx, bench: Bench, rounds: int) -> list[float]:
    for _ in range(3):     # warm-up: parsed version, forms and connections cached
        runtime.start_instance(ctx, bench.user_id, "yeji", FACTS)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        runtime.start_instance(ctx, bench.user_id, "yeji", FACTS)
        samples.append(time.perf_counter() - started)
    return samples


def measure(args) -> dict:
    result = {"benchmark": "engine", "backend": args.backend, "rounds": args.rounds}
    with scratch_database(backend_url(args.backend)) as url:
        ctx = context(url)
        try:
            bench = Bench(ctx, args.rounds)          # 叶集 deployed, an applicant, a signed-in API client
            samples = starts(ctx, bench, args.rounds)
            result.update(start_ms=round(median_ms(samples), 2), start_p90_ms=round(p90_ms(samples), 2))
            instance_id, task_id, data = bench.waiting_task()
            result["state_declare_kb"], result["state_declare_gz_kb"] = kb(state_of(ctx, instance_id))
            runtime.complete_task(ctx, bench.user_id, task_id, data)
            result["state_reviews_kb"], result["state_reviews_gz_kb"] = kb(state_of(ctx, instance_id))
            if args.parse:
                result["parse_ms"], result["bundle_kb"] = parse_times(ctx, args.parse_rounds)
        finally:
            ctx.db.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--parse-rounds", type=int, default=5)
    parser.add_argument("--no-parse", dest="parse", action="store_false", help="leave out the parse figures")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the text figures")
    args = parser.parse_args()
    result = measure(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"database: {args.backend}")
    print(f"start instance (叶集, service incl. commit): median {result['start_ms']:.2f} ms, "
          f"p90 {result['start_p90_ms']:.2f} ms ({args.rounds} rounds)")
    print(f"stored state waiting on 项目申报: {result['state_declare_kb']} KB ({result['state_declare_gz_kb']} KB "
          f"gzipped); with the six reviews open: {result['state_reviews_kb']} KB "
          f"({result['state_reviews_gz_kb']} KB gzipped); the specs are stored once per version")
    for key, ms_ in result.get("parse_ms", {}).items():
        print(f"parse {key:<28} {ms_:8.1f} ms   bundle {result['bundle_kb'][key]:7.1f} KB")


if __name__ == "__main__":
    main()
