"""The in-process scheduler of `govflow serve`: one APScheduler job that runs `tick` every N seconds
(timers, yearly cycles, overdue deadlines, e-mail), one that recomputes the dashboards' summaries,
one that makes the PDFs of newly issued documents.
Claims are atomic in the database, so a second
server, or `govflow tick` from cron, may run beside it safely."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from engine.services import calendar_admin, documents, portfolio
from engine.services.context import Context
from engine.services.timers import tick

log = logging.getLogger("govflow.scheduler")
DOCUMENTS_EVERY = 60   # seconds between two runs making the PDFs of new documents
PORTFOLIO_EVERY = int(portfolio.REFRESH_EVERY.total_seconds())   # seconds between two dashboard snapshots


def run_once(ctx: Context) -> None:
    """One tick as the job runs it: a failing tick is logged and the next one tries again."""
    try:
        for item in tick(ctx):
            log.info("%s %s %s %s", item.kind, item.instance_id, item.element_id, item.detail)
    except Exception:  # noqa: BLE001 - the scheduler must survive a bad tick; the error is logged
        log.exception("tick failed")


def refresh_portfolio(ctx: Context) -> None:
    """The dashboards' summaries (durations, months: engine/services/portfolio.py), recomputed."""
    try:
        portfolio.refresh_all(ctx)
    except Exception:  # noqa: BLE001 - as a tick: logged, the next run tries again
        log.exception("portfolio summary failed")


def render_documents(ctx: Context) -> None:
    """The PDFs of documents issued since the last run, made before anyone downloads them."""
    try:
        documents.render_pending(ctx)
    except Exception:  # noqa: BLE001 - as a tick: logged, the next run tries again
        log.exception("rendering documents failed")


def start_scheduler(ctx: Context, interval_seconds: int = 30) -> BackgroundScheduler:
    calendar_admin.install(ctx)
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.add_job(run_once, "interval", args=[ctx], seconds=interval_seconds, id="govflow-tick",
                      max_instances=1, coalesce=True)
    scheduler.add_job(refresh_portfolio, "interval", args=[ctx], seconds=PORTFOLIO_EVERY, id="govflow-portfolio",
                      max_instances=1, coalesce=True)
    scheduler.add_job(render_documents, "interval", args=[ctx], seconds=DOCUMENTS_EVERY, id="govflow-documents",
                      max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
