"""Background jobs of the exports app (huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import workflow


@db_task()
def run_export_job(job_id):
    workflow.run_job(job_id)


@db_periodic_task(crontab(hour="3", minute="20"))
def purge_expired_exports():
    return workflow.purge_expired()
