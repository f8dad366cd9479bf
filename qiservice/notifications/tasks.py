"""Background jobs of the notifications app (huey)."""

from huey.contrib.djhuey import db_task

from . import service


@db_task(retries=3, retry_delay=60)
def deliver_notifications(ids):
    service.deliver(ids)
