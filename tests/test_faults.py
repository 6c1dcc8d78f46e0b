"""Faults, through real processes on PostgreSQL (SECURITY.md, "Faults"): each test has a database of
its own (created and dropped here) and free ports.

1. 50 clients complete one task at once through a `govflow serve` process: exactly one 200, the
   others 409 problem+json; state, human_tasks and audit record one completion.
2. The server is SIGKILLed in the middle of a burst of completions and started again: every instance
   is before or after its step (the ready rows are the stored workflow's ready user tasks, no
   completed row without its state change, every acknowledged completion kept), and the survivors
   can be completed.
3. A private PostgreSQL cluster (initdb + pg_ctl as the postgres OS user; the shared server is never
   touched) is stopped, started and restarted while clients call a `govflow serve` process: during
   the outage every answer is 503 problem+json `urn:govflow:unavailable` with a Chinese title and
   Retry-After, never a traceback; afterwards the same server process answers again and its
   scheduler fires timers again.
4. Two `govflow scheduler` loops on 300 due timers, one SIGKILLed while it holds claimed rows: the
   other finishes, and every timer fired exactly once (tests/test_timers_concurrency.py already
   proves two `govflow tick` at once, and a killed tick followed by a new one).

The helpers (servers, HTTP calls, the projection check) are shared with tests/test_production.py."""
from __future__ import annotations

import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text

from engine import clock
from engine import workflow as wfx
from engine.config import ROOT, Settings
from engine.migrate import upgrade
from engine.models import AuditEvent, HumanTask, ProcessInstance, Timer
from engine.services.context import Context
from tests.conftest import PG_ADMIN_URL
from tests.support import PASSWORD, Personas
from tests.yeji_walk import DECLARE, OK, REVIEW_ELEMENTS, REVIEWERS

POSTGRES = os.environ.get("GOVFLOW_TEST_DB", "sqlite") == "postgresql"
_skip_unless_postgres = pytest.mark.skipif(
    not POSTGRES, reason="PostgreSQL only (GOVFLOW_TEST_DB=postgresql): server processes sharing one database, "
    "row locks across processes, a database restart")


def postgres_only(test):
    return pytest.mark.postgresql(_skip_unless_postgres(test))
SECRET = "fault-test-secret"
UNAVAILABLE_TITLE = "数据库暂不可用，请稍后重试"


# --- databases, contexts ----------------------------------------------------------------------------

@contextmanager
def fresh_database(prefix: str = "govflow_fault", admin_url: str = PG_ADMIN_URL):
    """A new, empty database beside `admin_url`'s (as tests/conftest.py makes one), dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def open_context(url: str, instance_dir: Path) -> Context:
    """The services on `url`, its schema migrated."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url=url, secret_key=SECRET, timezone=ZoneInfo("Asia/Shanghai"),
                        instance_dir=instance_dir, upload_dir=instance_dir / "uploads")
    ctx = Context.from_settings(settings)
    upgrade(ctx.db)
    return ctx


def server_env(url: str, instance_dir: Path, **extra: str) -> dict:
    """The environment of a govflow process (server, scheduler, CLI) on `url`."""
    return dict(os.environ, GOVFLOW_DATABASE_URL=url, GOVFLOW_INSTANCE_DIR=str(instance_dir),
                GOVFLOW_SECRET_KEY=SECRET, **extra)


@dataclass
class Fresh:
    url: str
    ctx: Context
    people: Personas
    instance_dir: Path

    def env(self, **extra: str) -> dict:
        return server_env(self.url, self.instance_dir, **extra)


@pytest.fixture
def fresh(tmp_path):
    """A database of this test's own, its context and the 叶集 personas."""
    with fresh_database() as url:
        ctx = open_context(url, tmp_path / "instance")
        try:
            yield Fresh(url, ctx, Personas(ctx), tmp_path / "instance")
        finally:
            ctx.db.dispose()


# --- processes and HTTP -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict
    text: str

    def json(self):
        return json.loads(self.text)


def call(port: int, method: str, path: str, body=None, token: str | None = None, timeout: float = 30) -> Reply:
    """One HTTP request on a connection of its own (raises OSError/HTTPException when the server is gone)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw.decode("utf-8", "replace"))
    finally:
        conn.close()


TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


def login(port: int, username: str, password: str = PASSWORD) -> str:
    reply = call(port, "POST", "/api/v1/auth/token", {"username": username, "password": password})
    assert reply.status == 200, reply.text
    return reply.json()["token"]


def complete(port: int, token: str, task_id: int, data: dict, timeout: float = 30) -> Reply:
    return call(port, "POST", f"/api/v1/tasks/{task_id}/complete", {"data": data}, token, timeout)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(port: int, token: str, task_id: int, filename: str, content: bytes = PDF) -> Reply:
    """`POST /tasks/{id}/attachments` (multipart, field `file`)."""
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", f"/api/v1/tasks/{task_id}/attachments", body=body, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace"))
    finally:
        conn.close()


def with_uploads(port: int, token: str, task_id: int, data: dict) -> dict:
    """`data` with a document uploaded over HTTP for each attachment field of the task's form
    (`x-widget: attachment`), the field holding its id, as a browser does it."""
    task = call(port, "GET", f"/api/v1/tasks/{task_id}", token=token)
    assert task.status == 200, task.text
    fields = task.json()["form"]["schema"].get("properties") or {}
    result = dict(data)
    for name, spec in fields.items():
        if spec.get("x-widget") == "attachment" and data.get(name):
            uploaded = upload(port, token, task_id, f"{name}.pdf")
            if uploaded.status == 404 and not uploaded.json().get("code"):
                return data     # a build without the upload route (no such URL): it takes file names
            assert uploaded.status == 201, uploaded.text
            result[name] = str(uploaded.json()["id"])
    return result


class Server:
    """A server (or scheduler) subprocess run from the checkout, its output in a log file."""

    def __init__(self, args: list[str], env: dict, log_path: Path, port: int | None = None):
        self.port, self.log_path = port, log_path
        self._log = open(log_path, "ab")   # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @classmethod
    def serve(cls, env: dict, log_path: Path, *extra: str, port: int | None = None) -> "Server":
        port = port or free_port()
        return cls([sys.executable, "-m", "web.cli", "serve", "--port", str(port), *extra], env, log_path,
                   port).wait_ready()

    @classmethod
    def gunicorn(cls, env: dict, log_path: Path, workers: int, port: int | None = None) -> "Server":
        """`gunicorn -w N 'web.app:create_app()'` as docs/production.md runs it; the access log names the
        worker (pid) that answered each request."""
        port = port or free_port()
        args = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                "--graceful-timeout", "5", "--no-control-socket", "--access-logfile", "-",
                "--access-logformat", "%(p)s %(s)s %(r)s", "web.app:create_app()"]
        return cls(args, env, log_path, port).wait_ready()

    def wait_ready(self, timeout: float = 60) -> "Server":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if call(self.port, "GET", "/api/v1/openapi.json", timeout=5).status == 200:
                    return self
            except TRANSPORT_ERRORS:
                pass
            time.sleep(0.1)
        returncode = self.stop()
        raise AssertionError(f"server not ready after {timeout} s (exit code {returncode}):\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def race(count: int, call_) -> list:
    """`count` threads released together, each returning call_(index) (or the exception it raised)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call_(index)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# --- instances and the projection check ------------------------------------------------------------

def urgent_facts(name: str = "叶集区智慧教育平台") -> dict:
    """Project facts that reach the joint review as soon as 项目申报 is completed, at the real time
    (紧急 增列 for the current year: the review window is open)."""
    year = clock.now().astimezone(clock.SHANGHAI).year
    return {"project_name": name, "project_type": "construction", "total_investment": 300,
            "duration_months": 4, "plan_year": year, "urgent": True}


def instances_in_review(people: Personas, count: int) -> list[int]:
    """`count` 叶集 projects, each with its six parallel reviews ready (real time); the reviewers exist."""
    for who, _element in REVIEWERS:
        getattr(people, who)
    ids = []
    for n in range(count):
        iid = people.start("alice", "yeji", urgent_facts(f"并发测试项目{n + 1}"))
        people.do("alice", iid, "Declare", DECLARE)
        ids.append(iid)
    return ids


def waiting_on_a_due_timer(people: Personas, who: str = "alice") -> int:
    """A project `who` (an applicant) declared last year, now waiting on the 10月1日 timer of the
    joint review: due."""
    year = clock.now().astimezone(clock.SHANGHAI).year
    facts = {**urgent_facts("定时器到期项目"), "urgent": False}
    iid = people.start(who, "yeji", facts, now=datetime(year - 1, 8, 1, 10, tzinfo=clock.SHANGHAI))
    people.do(who, iid, "Declare", DECLARE, now=datetime(year - 1, 8, 3, 10, tzinfo=clock.SHANGHAI))
    assert people.ready(iid) == []
    return iid


def review_tasks(ctx: Context, ids: list[int]) -> dict[str, list[int]]:
    """The ready review rows of the instances, by reviewer persona."""
    element_of = dict(REVIEWERS)
    with ctx.db.transaction() as session:
        rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids),
                                                            HumanTask.state == "ready")
                                    .order_by(HumanTask.instance_id, HumanTask.id)))
    return {who: [r.id for r in rows if r.element_id == element_of[who]] for who, _ in REVIEWERS}


def check_projection(ctx: Context, ids: list[int]) -> dict[int, list[str]]:
    """Load each instance's stored state with the engine facade: its ready user tasks are exactly the
    ready human_tasks rows; every completed row's task is completed in that state, with exactly one
    task_completed audit row (and no other row has one). Returns the ready element ids per instance."""
    ready_by_instance = {}
    with ctx.db.transaction() as session:
        audited = Counter(session.scalars(select(AuditEvent.human_task_id).where(
            AuditEvent.event == "task_completed", AuditEvent.instance_id.in_(ids))))
        for iid in ids:
            inst = session.get(ProcessInstance, iid)
            version = ctx.loaded_version(session, inst.process_version_id)
            workflow = wfx.loads(version, inst.state, ctx.helpers(inst.jurisdiction))
            in_state = {str(t.id): t.task_spec.name for t in wfx.ready_user_tasks(workflow)}
            rows = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)))
            ready = {r.task_guid: r.element_id for r in rows if r.state == "ready"}
            assert ready == in_state, f"instance {iid}: ready rows {ready} but the state has {in_state}"
            for row in rows:
                if row.state == "completed":
                    task = wfx.find_task(workflow, row.task_guid)
                    assert task is not None and task.state & wfx.TaskState.COMPLETED, \
                        f"instance {iid}: row {row.id} ({row.element_id}) completed, its task is not"
                assert audited[row.id] == (1 if row.state == "completed" else 0), \
                    f"instance {iid}: row {row.id} ({row.state}) has {audited[row.id]} task_completed audit rows"
            ready_by_instance[iid] = sorted(ready.values())
    return ready_by_instance


def scalar(ctx: Context, stmt):
    with ctx.db.transaction() as session:
        return session.scalar(stmt)


# --- 1. fifty completions of one task --------------------------------------------------------------

@postgres_only
def test_it_lets_exactly_one_of_50_concurrent_http_completions_of_a_task_win(fresh, tmp_path):
    people = fresh.people
    iid = people.start("alice", "yeji", urgent_facts())
    task_id = people.task("alice", iid, "Declare")["id"]
    with Server.serve(fresh.env(), tmp_path / "serve.log", "--no-scheduler") as server:
        token = login(server.port, "alice")
        declare = with_uploads(server.port, token, task_id, DECLARE)
        replies = race(50, lambda _i: complete(server.port, token, task_id, declare))
    assert all(isinstance(r, Reply) for r in replies), [r for r in replies if not isinstance(r, Reply)]
    assert Counter(r.status for r in replies) == {200: 1, 409: 49}, [(r.status, r.text[:200]) for r in replies]
    for reply in (r for r in replies if r.status == 409):
        assert reply.headers["content-type"].startswith("application/problem+json")
        body = reply.json()
        assert body["status"] == 409 and body["title"] == "状态已变化" and "Traceback" not in reply.text
    assert check_projection(fresh.ctx, [iid]) == {iid: REVIEW_ELEMENTS}
    with fresh.ctx.db.transaction() as session:
        row = session.get(HumanTask, task_id)
        assert (row.state, row.completed_by_id) == ("completed", people.alice)
        events = Counter(session.scalars(select(AuditEvent.event).where(AuditEvent.instance_id == iid)))
    assert events["task_completed"] == 1


# --- 2. the server SIGKILLed mid-burst ---------------------------------------------------------------

def _burst_until_killed(server: Server, tasks: dict[str, list[int]], tokens: dict[str, str],
                        kill_after: int) -> tuple[list, list, list]:
    """One client per reviewer completes its reviews one after another; the server is SIGKILLed once
    `kill_after` completions were answered. Returns (answered 200, answered otherwise, cut in flight)."""
    acked, refused, cut = [], [], []

    def client(who: str) -> None:
        for task_id in tasks[who]:
            try:
                reply = complete(server.port, tokens[who], task_id, OK, timeout=20)
            except TRANSPORT_ERRORS:
                cut.append(task_id)          # in flight when the server died: either outcome is fine
                return
            (acked if reply.status == 200 else refused).append((task_id, reply.status, reply.text[:200]))

    clients = [threading.Thread(target=client, args=(who,)) for who in tasks]
    for t in clients:
        t.start()
    deadline = time.monotonic() + 40
    while len(acked) < kill_after and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()                            # SIGKILL: no shutdown; transactions in flight are cut
    for t in clients:
        t.join(timeout=30)
    return [task_id for task_id, _status, _text in acked], refused, cut


@postgres_only
def test_a_server_killed_mid_burst_leaves_every_instance_before_or_after_its_step(fresh, tmp_path):
    people, ctx = fresh.people, fresh.ctx
    ids = instances_in_review(people, 12)
    tasks = review_tasks(ctx, ids)
    total = sum(len(v) for v in tasks.values())
    assert total == 12 * 6
    with Server.serve(fresh.env(), tmp_path / "serve.log", "--no-scheduler") as server:
        tokens = {who: login(server.port, who) for who in tasks}
        acked, refused, cut = _burst_until_killed(server, tasks, tokens, kill_after=total // 3)
    assert server.proc.returncode == -signal.SIGKILL
    assert refused == []
    assert total // 3 <= len(acked) < total, (len(acked), total)

    check_projection(ctx, ids)               # every instance before or after each step, never half
    with ctx.db.transaction() as session:
        states = dict(session.execute(select(HumanTask.id, HumanTask.state)
                                      .where(HumanTask.instance_id.in_(ids))).all())
    assert {states[t] for t in acked} == {"completed"}               # whatever was answered 200 was kept
    assert {states[t] for t in cut} <= {"completed", "ready"}
    reviews = {t for v in tasks.values() for t in v}
    assert {t for t in reviews if states[t] == "completed"} <= set(acked) | set(cut)   # none unasked
    survivors = {who: [t for t in v if states[t] == "ready"] for who, v in tasks.items()}

    with Server.serve(fresh.env(), tmp_path / "serve-again.log", "--no-scheduler", port=server.port) as again:
        for who, task_ids in survivors.items():
            for task_id in task_ids:
                reply = complete(again.port, tokens[who], task_id, OK)
                assert reply.status == 200, reply.text
    assert check_projection(ctx, ids) == {iid: ["InvestmentPlan"] for iid in ids}
    print(f"\nSIGKILL after {len(acked)} of {total} completions answered 200, {len(cut)} cut in flight "
          f"({sum(states[t] == 'completed' for t in cut)} of them committed); "
          f"{sum(len(v) for v in survivors.values())} completed after the restart")


# --- 3. PostgreSQL restarted under load --------------------------------------------------------------

def _postgres_bindir() -> Path | None:
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


class PrivateCluster:
    """A PostgreSQL cluster of one test's own: initdb into a temporary folder and pg_ctl on a free port,
    run as the postgres OS user (PostgreSQL refuses to run as root)."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="govflow-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def run(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} exited {result.returncode}: {result.stderr}{result.stdout}")
        return result

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "30",
                 "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", "30", "-m", mode, "stop")

    def restart(self) -> None:
        # -l again: without it the restarted server would write to (and hold open) pg_ctl's stdout
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "30", "-m", "fast",
                 "restart")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_cluster():
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: cannot start a private cluster")
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != "postgres":
        pytest.skip("a private cluster needs root (to run initdb/pg_ctl as the postgres OS user) or that user")
    if os.geteuid() == 0 and (shutil.which("runuser") is None or _no_postgres_user()):
        pytest.skip("no runuser or no postgres OS user: cannot run a private PostgreSQL cluster as root")
    cluster = PrivateCluster(bindir)
    try:
        try:
            cluster.init()
            cluster.start()
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot start a private PostgreSQL cluster on this machine: {exc}")
        yield cluster
    finally:
        cluster.remove()


def _no_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
        return False
    except KeyError:
        return True


def _is_unavailable_problem(reply: Reply) -> bool:
    if reply.status != 503 or not reply.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    body = reply.json()
    return (body.get("title") == UNAVAILABLE_TITLE and body.get("type") == "urn:govflow:unavailable"
            and body.get("status") == 503 and reply.headers.get("retry-after", "").isdigit()
            and "Traceback" not in reply.text)


@postgres_only
def test_a_postgresql_restart_under_load_answers_503_then_the_same_server_recovers(private_cluster, tmp_path):
    admin = create_engine(private_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "govflow"'))
    admin.dispose()
    url = private_cluster.url("govflow")
    ctx = open_context(url, tmp_path / "instance")
    try:
        people = Personas(ctx)
        ids = instances_in_review(people, 4)
        tasks = review_tasks(ctx, ids)
        env = server_env(url, tmp_path / "instance")
        with Server.serve(env, tmp_path / "serve.log", "--tick-seconds", "1") as server:
            records = _load_through_restarts(server, private_cluster, tasks)
            assert server.proc.poll() is None, server.log()            # the same process throughout
            _check_answers(records)
            # its scheduler loop outlived the outage: a timer due now is fired by this process
            iid = waiting_on_a_due_timer(people)
            deadline = time.monotonic() + 20
            while people.ready(iid) != REVIEW_ELEMENTS and time.monotonic() < deadline:
                time.sleep(0.2)
            assert people.ready(iid) == REVIEW_ELEMENTS, server.log()[-3000:]
            claimed_by = scalar(ctx, select(Timer.claimed_by).where(Timer.instance_id == iid, Timer.state == "fired"))
            assert claimed_by.endswith(f":{server.proc.pid}")
            log = server.log()
        assert "Traceback" not in "".join(r[2].text for r in records if isinstance(r[2], Reply))
        assert "database unavailable" in log
        check_projection(ctx, ids + [iid])
    finally:
        ctx.db.dispose()


def test_an_unreachable_database_answers_503_problem_json_not_a_traceback(tmp_path):
    """The handler alone, on every backend: a database nobody listens on, the app built as usual."""
    from web.app import create_app
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/govflow?connect_timeout=2"
    settings = Settings(database_url=url, secret_key=SECRET, timezone=ZoneInfo("Asia/Shanghai"),
                        instance_dir=tmp_path, upload_dir=tmp_path / "uploads")
    app = create_app(settings)
    try:
        answer = app.test_client().get("/api/v1/tasks", headers={"Authorization": "Bearer some-token"})
    finally:
        app.extensions["govflow"].db.dispose()
    reply = Reply(answer.status_code, {k.lower(): v for k, v in answer.headers.items()}, answer.get_data(as_text=True))
    assert _is_unavailable_problem(reply), (reply.status, reply.headers, reply.text)
    assert reply.headers["retry-after"] == "5" and reply.json()["detail"].startswith("暂时无法连接数据库")


class Reviewers:
    """Client threads, one per reviewer: each reads its inbox and now and then completes one of its
    reviews, until stopped. Each record: (phase when sent, phase when answered, Reply or exception, kind)."""

    def __init__(self, port: int, tasks: dict[str, list[int]], who: tuple[str, ...]):
        self.port, self.tasks = port, tasks
        self.tokens = {name: login(port, name) for name in who}
        self.phase = "load"
        self.records: list[tuple] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(name,)) for name in who]

    def _request(self, who: str, todo: list[int], n: int) -> tuple:
        if todo and n % 3 == 2:
            reply = complete(self.port, self.tokens[who], todo[0], OK, timeout=20)
            if reply.status in (200, 409):
                todo.pop(0)
            return reply, "complete"
        return call(self.port, "GET", "/api/v1/tasks", token=self.tokens[who], timeout=20), "inbox"

    def _run(self, who: str) -> None:
        todo, n = list(self.tasks[who]), 0
        while not self._stop.is_set():
            sent = self.phase
            try:
                outcome, kind = self._request(who, todo, n)
            except TRANSPORT_ERRORS as exc:
                outcome, kind = exc, "?"
            self.records.append((sent, self.phase, outcome, kind))
            n += 1
            time.sleep(0.02)

    def answered(self, phase: str, status: int) -> int:
        return sum(1 for sent, answered, outcome, _kind in list(self.records)
                   if sent == answered == phase and isinstance(outcome, Reply) and outcome.status == status)

    def hold(self, phase: str, status: int, count: int, shortest: float, longest: float = 20.0) -> None:
        """Stay in `phase` at least `shortest` seconds and until `count` requests sent and answered in
        it got `status` (at most `longest` seconds)."""
        started = time.monotonic()
        while time.monotonic() - started < longest:
            if time.monotonic() - started >= shortest and self.answered(phase, status) >= count:
                return
            time.sleep(0.05)

    def __enter__(self) -> "Reviewers":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)


def _load_through_restarts(server: Server, cluster: PrivateCluster, tasks: dict[str, list[int]]) -> list[tuple]:
    """Four reviewers call the server while the cluster is stopped (fast: sessions cut), kept down,
    started, then restarted. Each phase lasts until enough requests were sent and answered in it."""
    steps = (("load", None, 200), ("stopping", lambda: cluster.stop("fast"), None), ("down", None, 503),
             ("starting", cluster.start, None), ("up", None, 200), ("restarting", cluster.restart, None),
             ("up again", None, 200))
    with Reviewers(server.port, tasks, ("dora", "erin", "fay", "nick")) as clients:
        for name, action, status in steps:
            clients.phase = name
            if action:
                action()
            if status:
                clients.hold(name, status, count=8, shortest=1.0)
    return clients.records


def _check_answers(records: list[tuple]) -> None:
    broken = [r for r in records if not isinstance(r[2], Reply)]
    assert broken == [], broken[:5]                     # the server never dropped a connection
    statuses = Counter((r[3], r[2].status) for r in records)
    assert set(statuses) <= {("inbox", 200), ("complete", 200), ("complete", 409), ("inbox", 503),
                             ("complete", 503)}, statuses
    unavailable = [r for r in records if r[2].status == 503]
    assert all(_is_unavailable_problem(r[2]) for r in unavailable), [r[2].text[:300] for r in unavailable][:3]
    by_phase = {}
    for sent, answered, reply, _kind in records:
        if sent == answered:
            by_phase.setdefault(sent, Counter())[reply.status] += 1
    down = by_phase.get("down", Counter())
    assert set(down) == {503} and down[503] >= 4, by_phase
    for healthy in ("load", "up", "up again"):
        answers = by_phase.get(healthy, Counter())
        assert 503 not in answers and answers[200] >= 4, by_phase
    print(f"\nanswers by phase (sent and answered in it): {by_phase}")


# --- 4. two scheduler loops, one killed ---------------------------------------------------------------

TIMERS = 300


@postgres_only
def test_two_scheduler_loops_fire_each_timer_once_when_one_is_killed_while_claiming(fresh, tmp_path, monkeypatch):
    from tests.test_timers_concurrency import seed_due_timers
    ctx = fresh.ctx
    seed_due_timers(fresh.people, ctx, monkeypatch, TIMERS)

    def fired() -> int:
        return scalar(ctx, select(func.count(Timer.id)).where(Timer.state == "fired"))

    args = [sys.executable, "-m", "web.cli", "scheduler", "--interval", "0.5"]
    doomed = Server(args, fresh.env(), tmp_path / "doomed.log")
    survivor = Server(args, fresh.env(), tmp_path / "survivor.log")
    try:
        deadline = time.monotonic() + 40
        while fired() < TIMERS // 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        doomed.kill()      # mid-batch: it holds up to timers.BATCH claimed instances, uncommitted
        killed_at = fired()
        deadline = time.monotonic() + 60
        while fired() < TIMERS and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        doomed.stop()
        assert survivor.stop() == 0, survivor.log()
    assert doomed.proc.returncode == -signal.SIGKILL
    assert TIMERS // 4 <= killed_at < TIMERS

    with ctx.db.transaction() as session:
        timer_ids = [e.data["timer_id"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.event == "timer_fired"))]
        states = Counter(session.scalars(select(Timer.state)))
        shares = Counter(session.scalars(select(Timer.claimed_by)))
        ended = session.scalar(select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "completed"))
    assert (len(timer_ids), len(set(timer_ids))) == (TIMERS, TIMERS)        # none lost, none twice
    assert states == {"fired": TIMERS} and ended == TIMERS
    workers = {f"{socket.gethostname()}:{p.proc.pid}": p for p in (doomed, survivor)}
    assert set(shares) == set(workers), shares                               # both claimed timers
    printed = survivor.log().count("定时器触发：")
    assert printed == shares[f"{socket.gethostname()}:{survivor.proc.pid}"], survivor.log()[-2000:]
    assert "govflow 调度器已停止" in survivor.log()                            # SIGTERM: a clean stop
    print(f"\n{killed_at} fired when one scheduler was killed; shares: killed "
          f"{shares[f'{socket.gethostname()}:{doomed.proc.pid}']}, survivor {printed}")
