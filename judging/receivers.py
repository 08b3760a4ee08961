"""What judging does when the nightly scoring of a date is done and committed."""

from django.conf import settings


def on_night_scored(sender, *, run_id: int, run_date, **kwargs) -> None:
    """Run the judging steps of that night: here without a broker, else by queueing its task."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        from judging.services import night_judge

        night_judge(run_id=run_id)
    else:
        from judging.tasks import night_judge_task

        night_judge_task.delay(run_id)
