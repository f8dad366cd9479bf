"""Background jobs of the imports app (huey): the dry run and the import of big files."""

from huey.contrib.djhuey import db_task

from . import workflow


@db_task()
def dry_run_task(job_id):
    workflow.run_dry_run(job_id)


@db_task()
def commit_task(job_id):
    workflow.run_commit(job_id)
