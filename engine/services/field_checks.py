"""Checks of a task's answers against what the project already knows (`fieldCheck`).

A user task may carry `fieldCheck`: an expression evaluated, when the task is completed, on the
project's data with the submitted answers over it (and the answers alone as `answers`, for a field
left blank). It answers {field: message} for each answer the
regulation refuses (or None / {} when all hold); a non-empty answer refuses the completion with the
messages beside their fields, like a form error (瑶海 三（二）: a 核减 amount that is not below the amount
applied for). The check runs before the workflow moves, so a refused completion changes nothing."""
from __future__ import annotations

from engine.errors import ValidationFailed

PROPERTY = "fieldCheck"


def check(workflow, task, info, answers: dict) -> None:
    expression = ((info.properties.get(PROPERTY) if info else None) or "").strip()
    if not expression:
        return
    try:
        found = workflow.script_engine.environment.evaluate(expression, {**task.data, **(answers or {}), "answers": dict(answers or {})})
    except Exception as exc:    # a check that cannot be computed refuses, it does not let the answer through
        raise ValidationFailed(f"“{info.title}”的校验无法计算：{exc}") from exc
    if not found:
        return
    errors = {str(k): str(v) for k, v in found.items() if v} if isinstance(found, dict) else {"": str(found)}
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors={k: v for k, v in errors.items() if k} or None)
