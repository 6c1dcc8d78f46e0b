"""Test personas and helpers that drive the real services (no mocks of our own code)."""
from __future__ import annotations

from datetime import datetime

from engine import queries
from engine.models import HumanTask, User
from engine.services import attachments, runtime, views
from engine.services.context import Context
from engine.services.deploy import deploy
from engine.services.users import hash_password, upsert_user

PASSWORD = "secret-pass-1"
PASSWORD_HASH = hash_password(PASSWORD)  # scrypt is slow on purpose: hash once per run
YEJI_PEOPLE = {  # username: (unit, roles)
    "alice": ("区教育局", ["applicant"]),            # an applicant unit
    "bob": ("区卫生健康委员会", ["applicant"]),        # another applicant unit
    "dora": ("区数据资源管理局", ["data_bureau"]),
    "erin": ("区政务信息化专家组", ["experts"]),
    "fay": ("区财政局", ["finance"]),
    "nick": ("区发展和改革委员会", ["ndrc"]),
    "cris": ("区委机要局（密码管理局）", ["crypto"]),
    "cathy": ("区委网信办", ["cac"]),
    "gary": ("区人民政府", ["government"]),
    "pam": ("区公共资源交易中心", ["public_resources"]),
    "audrey": ("区审计局", ["audit"]),
    "otto": ("区公共资源交易监督管理局", ["procurement_office"]),  # 区公共资源交易监管部门 (第二十六条)
    "mona": ("区数据资源管理局", ["manager"]),
    "desi": ("区数据资源管理局", ["designer"]),
    "ada": ("区数据资源管理局", ["admin"]),
}


class Personas:
    """Users of 叶集 created on first use; `people.alice` is her user id."""

    def __init__(self, ctx: Context, jurisdiction: str = "yeji", table: dict | None = None):
        self.ctx = ctx
        self.jurisdiction = jurisdiction
        self.table = table or YEJI_PEOPLE
        self._ids: dict[str, int] = {}
        self._deployed: set[str] = set()

    def __getattr__(self, name: str) -> int:
        if name.startswith("_") or name not in self.table:
            raise AttributeError(name)
        if name not in self._ids:
            unit, roles = self.table[name]
            with self.ctx.db.transaction() as session:
                self._ids[name] = upsert_user(session, name, PASSWORD, self.ctx.registry.get(self.jurisdiction),
                                              unit, roles,
                                              password_hash=PASSWORD_HASH).id
        return self._ids[name]

    def deploy(self, process_key: str) -> None:
        if process_key not in self._deployed:
            with self.ctx.db.transaction() as session:
                deploy(self.ctx.runtime, session, process_key)
            self._deployed.add(process_key)

    def start(self, who: str, process_key: str, facts: dict, now: datetime | None = None) -> int:
        self.deploy(process_key)
        return runtime.start_instance(self.ctx, getattr(self, who), process_key, facts, now=now)

    def inbox(self, who: str, now: datetime | None = None, **flt) -> list[dict]:
        tasks, _total = views.inbox(self.ctx, getattr(self, who), queries.InboxFilter(per_page=200, **flt), now)
        return tasks

    def task(self, who: str, instance_id: int, element: str, now: datetime | None = None) -> dict:
        """The ready task `element` of the instance in `who`'s inbox (fails if it is not there)."""
        found = [t for t in self.inbox(who, now) if t["instance_id"] == instance_id and t["name"] == element]
        assert found, f"{who} has no ready {element} on instance {instance_id}: {self.ready(instance_id)}"
        return found[0]

    def do(self, who: str, instance_id: int, element: str, data: dict, now: datetime | None = None) -> None:
        task = self.task(who, instance_id, element, now)
        # attachment fields named by file name (建设方案.pdf) get a document of that name uploaded
        data = attachments.with_placeholders(self.ctx, getattr(self, who), task["id"], data)
        runtime.complete_task(self.ctx, getattr(self, who), task["id"], data, now=now)

    def ready(self, instance_id: int) -> list[str]:
        with self.ctx.db.transaction() as session:
            return sorted(t.element_id for t in queries.ready_tasks_of(session, instance_id))

    def ready_rows(self, instance_id: int) -> list[HumanTask]:
        with self.ctx.db.transaction() as session:
            return queries.ready_tasks_of(session, instance_id)

    def instance(self, instance_id: int, who: str = "mona") -> dict:
        return views.instance_detail(self.ctx, getattr(self, who), instance_id)

    def user(self, who: str) -> User:
        with self.ctx.db.transaction() as session:
            return session.get(User, getattr(self, who))


def upload_documents(client, headers: dict, task_id: int, data: dict) -> dict:
    """`data` (DECLARE names its documents: 建设方案.pdf) with a PDF uploaded through the API
    (`POST /tasks/{id}/attachments`) for each attachment field and its id put in the field."""
    import io

    from tests.web.helpers import PDF
    schema = client.get(f"/api/v1/tasks/{task_id}", headers=headers).get_json()["form"]["schema"]
    result = dict(data)
    for key, value in data.items():
        if ((schema.get("properties") or {}).get(key) or {}).get("x-widget") == "attachment" and value:
            answer = client.post(f"/api/v1/tasks/{task_id}/attachments", headers=headers,
                                 data={"file": (io.BytesIO(PDF), str(value))}, content_type="multipart/form-data")
            assert answer.status_code == 201, answer.get_data(as_text=True)
            result[key] = str(answer.get_json()["id"])
    return result
