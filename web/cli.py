"""The `govflow` command line (CONTRACT.md). Every command calls the same services as the API."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from engine import clock
from engine.config import Settings
from engine.errors import GovflowError

_opened: list = []   # contexts a command opened; `main` closes their connections when it ends


def _ctx():
    from engine.services.context import Context
    ctx = Context.from_settings(Settings.from_env())
    _opened.append(ctx)
    return ctx


def _runtime():
    """The procedures and forms alone (no database), for commands that only read files."""
    from engine.runtime_env import Runtime
    return Runtime.from_data_dir(Settings.from_env().data_dir)


def cmd_init_db(_args) -> int:
    from engine.migrate import upgrade
    from engine.services.systems import backfill_standing
    ctx = _ctx()
    upgrade(ctx.db)
    filled = backfill_standing(ctx)    # projects that have not stepped since their process published a standing
    if filled:
        print(f"已补记 {filled} 个项目的系统状态（验收、暂缓拨付等，供后续项目核查）")
    print(f"数据库已就绪：{_safe_url(ctx.db.url)}")
    return 0


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def cmd_demo(_args) -> int:
    from web.demo import run_demo
    ctx = _ctx()
    for line in run_demo(ctx):
        print(line)
    return 0


def cmd_serve(args) -> int:
    from waitress import serve

    from web.app import LOOPBACK, create_app
    from web.scheduler import start_scheduler
    app = create_app(local_demo=args.host in LOOPBACK)
    ctx = app.extensions["govflow"]
    scheduler = None if args.no_scheduler else start_scheduler(ctx, interval_seconds=args.tick_seconds)
    print(f"govflow 已启动：http://{args.host}:{args.port}/  （API：/api/v1，文档：/api/v1/openapi.json）")
    try:
        serve(app, host=args.host, port=args.port, threads=8, ident="govflow")
    finally:
        if scheduler:
            scheduler.shutdown(wait=False)
    return 0


def cmd_user_add(args) -> int:
    from engine.services.users import upsert_user
    ctx = _ctx()
    with ctx.db.transaction() as session:
        user = upsert_user(session, args.username, args.password, ctx.registry.get(args.jurisdiction), args.unit,
                           args.role,
                           display_name=args.display_name)
        print(f"用户 {user.username}（{args.unit}，{args.jurisdiction}）角色：{', '.join(sorted(user.role_keys))}")
    return 0


def cmd_validate(args) -> int:
    """Check .bpmn and .dmn files (engine.validation): one line `文件:行: 元素: 原因` per problem, exit 1
    on any; a BPMN is checked with what it calls, a DMN no given BPMN calls on its own."""
    from engine.services.deploy import validate_files
    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print("文件不存在：" + "，".join(missing), file=sys.stderr)
        return 1
    shown = {p.name: str(p) for p in paths}
    if len(shown) < len(paths):
        print("文件名重复：同名的文件请分开校验", file=sys.stderr)
        return 1
    problems = validate_files(_runtime(), paths)
    for problem in problems:
        file = shown.get(problem.file, problem.file)
        where = f"{file}:{problem.line}" if problem.line else file
        print(f"{where}: {problem.element}: {problem.message}")
    if problems:
        print(f"共 {len(problems)} 个问题", file=sys.stderr)
        return 1
    print(f"校验通过：{len(paths)} 个文件")
    return 0


def cmd_deploy(args) -> int:
    from engine.services import designer
    from engine.services.deploy import deploy, main_process_key
    ctx = _ctx()
    paths = [Path(p) for p in args.files]
    extra = {p.name: p.read_bytes() for p in paths}
    keys = [k for k in (main_process_key(extra[p.name]) for p in paths if p.suffix == ".bpmn") if k]
    if not keys:
        print("没有可部署的 BPMN 流程", file=sys.stderr)
        return 1
    with ctx.db.transaction() as session:
        for key in keys:
            row, created = deploy(ctx.runtime, session, key, extra, deployed_by="cli")
            if created:
                designer.attach_forms(ctx.runtime, row)     # the forms deployed with it
            state = "新版本" if created else "未变化，沿用"
            print(f"{key}: {state} v{row.version}（{row.checksum[:12]}）")
    return 0


TICK_LABELS = {"timer": "定时器触发", "overdue": "任务逾期", "failed": "定时器失败",
               "schedule": "周期任务发起", "schedule_failed": "周期任务失败"}


def _calendar_ctx():
    """A context whose holiday calendar is loaded from the database."""
    from engine.services import calendar_admin
    ctx = _ctx()
    calendar_admin.install(ctx)
    return ctx


def cmd_tick(args) -> int:
    from engine.services.timers import tick
    now = clock.parse_instant(args.now) if args.now else None
    fired = tick(_calendar_ctx(), now)
    for item in fired:
        extra = f"（{item.detail}）" if item.detail else ""
        project = f"项目 {item.instance_id} · " if item.instance_id else ""
        print(f"{TICK_LABELS.get(item.kind, item.kind)}：{project}{item.title} [{item.element_id}]{extra}")
    print(f"共处理 {len(fired)} 项")
    return 0


def _print_fired(item) -> None:
    extra = f"（{item.detail}）" if item.detail else ""
    project = f"项目 {item.instance_id} · " if item.instance_id else ""
    print(f"{TICK_LABELS.get(item.kind, item.kind)}：{project}{item.title} [{item.element_id}]{extra}", flush=True)


def _render_documents(ctx, stop) -> None:
    """Beside the ticks, not between them: the PDFs of new documents, ahead of their first download."""
    from engine.services import documents
    from web.scheduler import DOCUMENTS_EVERY
    while not stop.wait(DOCUMENTS_EVERY):
        try:
            documents.render_pending(ctx)
        except Exception as exc:  # noqa: BLE001 - as a tick: the next run tries again
            logging.getLogger("govflow.scheduler").warning("rendering documents failed: %s", exc)


def cmd_scheduler(args) -> int:
    """The timer loop of `govflow serve` on its own, for hosts whose web servers run without one
    (gunicorn, `govflow serve --no-scheduler`): `tick` every N seconds until SIGTERM/SIGINT. Claims
    are row locks in the database, so any number may run on any hosts and each timer fires once; a
    tick that fails (the database restarting) is logged and the next one tries again."""
    import signal
    import threading

    from engine.services import calendar_admin
    from engine.services.timers import tick
    ctx = _ctx()
    calendar_admin.install(ctx)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=_render_documents, args=(ctx, stop), name="govflow-documents", daemon=True).start()
    print(f"govflow 调度器已启动：每 {args.interval:g} 秒触发到期的定时器与期限", flush=True)
    while not stop.is_set():
        try:
            fired = tick(ctx)
        except Exception as exc:  # noqa: BLE001 - the loop outlives a failed tick; the next one retries
            logging.getLogger("govflow.scheduler").warning("tick failed: %s", (str(exc).splitlines() or ["?"])[0])
            fired = []
        for item in fired:
            _print_fired(item)
        if fired:
            print(f"共处理 {len(fired)} 项", flush=True)
        stop.wait(args.interval)
    print("govflow 调度器已停止", flush=True)
    return 0


def cmd_calendar_import(args) -> int:
    from engine.services import calendar_admin
    text = Path(args.file).read_text(encoding="utf-8")
    result = calendar_admin.import_notice(_calendar_ctx(), text, year=args.year, jurisdiction=args.jurisdiction,
                                          loaded_by="cli")
    verb = "已覆盖" if result["replaced"] else "已导入"
    print(f"{verb} {result['jurisdiction_name']} {result['year']} 年节假日安排：{result['source']}"
          f"（休息日 {result['holiday_count']} 天，调休上班 {result['workday_count']} 天）")
    print(f"重算暂定期限：任务 {result['recomputed_tasks']} 项，定时器 {result['recomputed_timers']} 项")
    return 0


def cmd_calendar_list(args) -> int:
    from engine.services import calendar_admin
    listing = calendar_admin.list_years(_calendar_ctx(), args.jurisdiction)
    for y in listing["years"]:
        origin = "内置" if y["builtin"] else f"导入（{y['loaded_by'] or '—'}，{y['loaded_at'][:10]}）"
        print(f"{y['year']}  {y['jurisdiction_name']}  休息日 {y['holiday_count']:>3}  调休上班 {y['workday_count']:>2}"
              f"  {origin}  {y['source']}")
    if listing["provisional_years"]:
        years = "、".join(str(y) for y in listing["provisional_years"])
        print(f"暂定年度（尚未导入）：{years}。{listing['provisional_rule']}")
    return 0


def cmd_audit_verify(_args) -> int:
    """Walk the audit chain: 0 when intact, else 1 naming the first broken row."""
    from engine.services import audit
    ctx = _ctx()
    with ctx.db.transaction() as session:
        verdict = audit.verify(session)
    if verdict.intact:
        print(f"审计链完整：共 {verdict.count} 条记录，链头哈希 {verdict.head_hash}")
        return 0
    print(f"审计链已被破坏：{verdict.broken.describe()}")
    print(f"此前 {verdict.count} 条记录完整", file=sys.stderr)
    return 1


def cmd_compare(args) -> int:
    """The five procedures on one project's facts: per jurisdiction the path, approvals and duration."""
    import json

    from engine.services import compare
    try:
        facts = json.loads(Path(args.facts).read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        print(f"错误：无法读取项目信息文件 {args.facts}：{exc}", file=sys.stderr)
        return 1
    now = clock.parse_instant(args.now) if args.now else None
    result = compare.compare_facts(_ctx(), facts, now)
    for column in result["results"]:
        _print_column(column)
    return 0


def _print_column(column: dict) -> None:
    version = f"第 {column['version']} 版" if column["version"] else "未部署"
    print(f"== {column['jurisdiction_name']}（{column['jurisdiction']}）· {column['process_name']} · {version}")
    for note in column["notes"]:
        print(f"  说明：{note}")
    for number, step in enumerate(column["steps"], 1):
        who = step["role_label"] or "定时"
        limit = f"（时限 {step['time_limit']}）" if step["time_limit"] else ""
        print(f"  {number:>3}. {step['title']} —— {who}{limit}")
    if column["parallel"]:
        print("  并联办理：" + "；".join("、".join(group) for group in column["parallel"]))
    print("  审批环节：" + ("、".join(column["approvals"]) or "无"))
    for c in column["clocks"]:
        print(f"  时间节点：{c['title']} {c['days']} 日（工作日 {c['workdays']} 天）")
    if column["min_duration_days"] is not None:
        print(f"  最短法定用时：{column['min_duration_days']} 日（工作日 {column['min_duration_workdays']} 天）")
    if column["outcome_label"]:
        reason = f"：{column['outcome_reason']}" if column["outcome_reason"] else ""
        print(f"  结果：{column['outcome_label']}{reason}")
    if column["stopped"]:
        print(f"  未完成：{column['stopped']}")
    print()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govflow", description="政务信息化项目审批流程引擎")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init-db", help="创建或迁移数据库（幂等）").set_defaults(func=cmd_init_db)
    sub.add_parser("demo", help="初始化演示数据（幂等）").set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="启动 Web 与 API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--no-scheduler", action="store_true", help="不在进程内运行定时器调度")
    serve.add_argument("--tick-seconds", type=int, default=30, help="调度间隔（秒）")
    serve.set_defaults(func=cmd_serve)
    user = sub.add_parser("user", help="用户管理")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="新增或更新用户")
    add.add_argument("username")
    add.add_argument("--password", required=True)
    add.add_argument("--jurisdiction", required=True)
    add.add_argument("--unit", required=True)
    add.add_argument("--role", action="append", required=True)
    add.add_argument("--display-name")
    add.set_defaults(func=cmd_user_add)
    for name, func, text in (("deploy", cmd_deploy, "校验并部署 BPMN/DMN 为新版本"),
                             ("validate", cmd_validate, "校验 BPMN/DMN 文件")):
        p = sub.add_parser(name, help=text)
        p.add_argument("files", nargs="+")
        p.set_defaults(func=func)
    tick = sub.add_parser("tick", help="触发截至某时刻到期的定时器与期限")
    tick.add_argument("--now", help="ISO-8601 时刻，如 2026-10-01T09:00:00+08:00")
    tick.set_defaults(func=cmd_tick)
    sched = sub.add_parser("scheduler", help="单独运行定时器调度（可多机多进程同时运行，每个定时器只触发一次）")
    sched.add_argument("--interval", type=float, default=30, help="调度间隔（秒）")
    sched.set_defaults(func=cmd_scheduler)
    cal = sub.add_parser("calendar", help="节假日安排（工作日日历）")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    imp = cal_sub.add_parser("import", help="导入某年度节假日安排（国务院办公厅通知或地方规定）")
    imp.add_argument("file", help="文本（year:/source:/holiday:/workday: 各行）或 JSON 文件")
    imp.add_argument("--jurisdiction", help="仅适用于该辖区的地方安排（缺省为全国）")
    imp.add_argument("--year", type=int, help="年度（缺省取文件中的 year）")
    imp.set_defaults(func=cmd_calendar_import)
    lst = cal_sub.add_parser("list", help="列出已载入的年度")
    lst.add_argument("--jurisdiction", help="同时列出该辖区的地方安排")
    lst.set_defaults(func=cmd_calendar_list)
    cmp_ = sub.add_parser("compare", help="各地流程比对：同一项目在五地已部署流程上的路径、审批与最短用时"
                                          "（不保存数据）")
    cmp_.add_argument("--facts", required=True, help="项目信息 JSON 文件，如 {\"total_investment\": 450, …}")
    cmp_.add_argument("--now", help="试算的起始时刻（ISO-8601，缺省为现在）")
    cmp_.set_defaults(func=cmd_compare)
    aud = sub.add_parser("audit", help="审计记录")
    aud_sub = aud.add_subparsers(dest="audit_command", required=True)
    aud_sub.add_parser("verify", help="校验审计哈希链（完整退出码 0，否则 1 并指出第一条异常记录）") \
        .set_defaults(func=cmd_audit_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GovflowError as exc:
        print(f"错误：{exc.detail}", file=sys.stderr)
        for field, message in exc.errors.items():
            print(f"  {field}: {message}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    finally:
        while _opened:
            _opened.pop().db.dispose()


if __name__ == "__main__":
    sys.exit(main())
