from celery import shared_task

from trivia.services import tick as trivia_tick


@shared_task(name="trivia.tasks.tick", ignore_result=True)
def tick() -> str:
    """The trivia clock step. Beat's `common.tasks.clock_tick` runs it every second (with the
    other registered ticks); this task runs it alone. Idempotent: late or duplicate runs are
    harmless."""
    return trivia_tick()
