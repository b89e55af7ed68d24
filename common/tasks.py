from celery import shared_task

from common.clock import run_ticks_once


@shared_task(name="common.tasks.clock_tick", ignore_result=True)
def clock_tick() -> None:
    """Beat's one-second heartbeat: runs every registered idempotent tick."""
    run_ticks_once()
