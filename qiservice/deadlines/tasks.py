"""The deadline sweep, on the queue's schedule (huey's periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import service


@db_periodic_task(crontab(minute="*/15"))
def sweep_deadlines():
    return service.sweep()
