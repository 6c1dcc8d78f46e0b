"""Fuzzing the REST API from its own OpenAPI document (schemathesis, in-process over WSGI): every
documented operation gets generated requests, valid ones (positive) and ones that break the document
(negative), as a signed-in user. An answer fails when it is a 5xx, or an error that is not
problem+json with a Chinese `title`. Used by tests/test_fuzz_api.py (bounded, part of the suite) and
scripts/fuzz_api.py (longer, prints the counts)."""
from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Report:
    requests: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    by_answer: Counter = field(default_factory=Counter)         # (operation, status)
    failures: list[dict] = field(default_factory=list)
    stateful: str = ""

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.by_status.items()))
        return (f"{self.requests} requests over {len(self.by_operation)} operations ({statuses}); "
                f"{len(self.failures)} failures; stateful: {self.stateful}")


def problem_of(status: int, headers: dict, content: bytes) -> str | None:
    """Why an answer is wrong, or None."""
    if status >= 500:
        return f"server error {status}"
    if status < 400:
        return None
    media = (headers.get("content-type") or [""])
    media = media[0] if isinstance(media, list) else media
    if not media.startswith("application/problem+json"):
        return f"{status} answered as {media or 'no content type'}, not application/problem+json"
    try:
        title = json.loads(content).get("title", "")
    except (ValueError, AttributeError):
        return f"{status}: the problem body is not a JSON object"
    return None if CJK.search(str(title)) else f"{status}: title {title!r} is not Chinese"


def _describe(case) -> str:
    body = getattr(case, "body", None)
    text = repr(body)
    return (f"{case.method} {case.formatted_path} query={case.query!r} "
            f"body={text[:300]}{'…' if len(text) > 300 else ''}")


def _checker(report: Report, token, label: str, mode: str):
    def check(case):
        response = case.call(headers={"Authorization": f"Bearer {token()}"})
        report.requests += 1
        report.by_status[response.status_code] += 1
        report.by_operation[label] += 1
        report.by_answer[(label, response.status_code)] += 1
        wrong = problem_of(response.status_code, response.headers, response.content)
        if wrong:
            report.failures.append({"operation": label, "mode": mode, "problem": wrong, "request": _describe(case),
                                    "answer": response.content[:300].decode("utf-8", "replace")})
    return check


def fuzz(app, token: Callable[[], str], *, max_examples: int = 10, negative: bool = True,
         exclude: tuple[str, ...] = (), stateful_steps: int = 0,
         path_values: dict[str, list] | None = None) -> Report:
    """Run every operation of the app's document; `token()` answers a fresh bearer token for each
    request (so an operation that revokes tokens cannot lock the run out). `path_values` ({"id":
    [task id, instance id], "key": ["yeji"]}) adds runs with those path parameters fixed, so the
    generated bodies and queries reach real records, not only 404s."""
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode

    report = Report()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # schemathesis' and hypothesis' own notices
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negative else [])
        config = settings(max_examples=max_examples, database=None, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if label in exclude:
                continue
            names = sorted(set(re.findall(r"{(\w+)}", operation.path)))
            pinned = [None] + [dict(zip(names, combo, strict=True)) for combo in _combos(names, path_values or {})]
            for mode in modes:
                for fixed in pinned:
                    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed) if fixed \
                        else operation.as_strategy(generation_mode=mode)
                    try:
                        config(given(case=strategy)(_checker(report, token, label, str(mode))))()
                    except hypothesis.errors.Unsatisfiable:
                        pass
        report.stateful = _stateful(schema, token, report, stateful_steps)
    return report


def _combos(names: list[str], values: dict[str, list]) -> list[tuple]:
    """Every combination of the given values for the path's parameters (none when one has none)."""
    import itertools
    if not names or any(name not in values for name in names):
        return []
    return list(itertools.product(*(values[name] for name in names)))


def _stateful(schema, token, report: Report, steps: int) -> str:
    """The document's links between operations (none yet: then nothing to run)."""
    links = sum(len(response.get("links") or {}) for path in schema.raw_schema.get("paths", {}).values()
                for op in path.values() if isinstance(op, dict)
                for response in (op.get("responses") or {}).values() if isinstance(response, dict))
    if not links or not steps:
        return f"{links} links in the document, not run"
    from hypothesis import settings
    machine = schema.as_state_machine()

    class Checked(machine):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {token()}"}}

        def after_call(self, response, case):
            report.requests += 1
            report.by_status[response.status_code] += 1
            wrong = problem_of(response.status_code, response.headers, response.content)
            if wrong:
                report.failures.append({"operation": "stateful", "problem": wrong, "request": _describe(case)})

        def validate_response(self, response, case, **kwargs):
            return None

    Checked.run(settings=settings(max_examples=steps, database=None, deadline=None))
    return f"{links} links, {steps} examples run"
