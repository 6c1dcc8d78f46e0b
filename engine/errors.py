"""One exception hierarchy with stable codes; the web edge turns them into problem+json or pages."""
from __future__ import annotations


class GovflowError(Exception):
    """Base of every error a user may see. `title` is Chinese, `code` is stable."""

    status = 400
    code = "error"
    title = "请求有误"

    def __init__(self, detail: str, *, errors: dict | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra

    def to_problem(self) -> dict:
        body = {"type": f"urn:govflow:{self.code}", "title": self.title,
                "status": self.status, "detail": self.detail, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class AuthenticationError(GovflowError):
    status, code, title = 401, "unauthenticated", "未登录或凭据无效"


class PermissionDenied(GovflowError):
    status, code, title = 403, "forbidden", "无权操作"


class NotFound(GovflowError):
    status, code, title = 404, "not_found", "未找到"


class Conflict(GovflowError):
    status, code, title = 409, "conflict", "状态已变化"


class ValidationFailed(GovflowError):
    status, code, title = 422, "validation_failed", "数据校验未通过"


class DiagramInvalid(GovflowError):
    """A BPMN/DMN file breaks the engine's rules; `problems` lists (file, element, reason)."""

    status, code, title = 422, "diagram_invalid", "流程图校验未通过"

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"{f}: {el}: {reason}" for f, el, reason in problems]
        super().__init__("\n".join(lines), problems=[
            {"file": f, "element": el, "reason": reason} for f, el, reason in problems])


class ScriptError(GovflowError):
    """A diagram's script or condition failed or tried something the sandbox forbids."""

    status, code, title = 422, "script_error", "流程脚本执行失败"

    def __init__(self, element: str, message: str):
        self.element = element
        super().__init__(f"元素 {element}：{message}", element=element)
