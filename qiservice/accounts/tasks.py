"""Housekeeping of the login lockout counters."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import workflow


@db_periodic_task(crontab(minute="17", hour="*/6"))
def purge_login_throttles():
    return workflow.purge_login_throttles()
