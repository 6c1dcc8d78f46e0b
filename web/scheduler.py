"""The in-process scheduler of `govflow serve`: one APScheduler job that runs `tick` every N
seconds. Claims are atomic in the database, so a second server (or `govflow tick` from cron) may run
beside it safely."""
from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from engine.services.context import Context
from engine.services.timers import tick

log = logging.getLogger("govflow.scheduler")


def start_scheduler(ctx: Context, interval_seconds: int = 30) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")

    def run():
        try:
            for item in tick(ctx):
                log.info("%s %s %s", item.kind, item.instance_id, item.element_id)
        except Exception:  # noqa: BLE001 - the scheduler must survive a bad tick; the error is logged
            log.exception("tick failed")

    scheduler.add_job(run, "interval", seconds=interval_seconds, id="govflow-tick",
                      max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
