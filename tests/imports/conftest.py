import pytest

from qiservice.imports import workflow
from qiservice.imports.models import ImportJob

from .helpers import upload


@pytest.fixture
def start():
    """start(user, kind, content) -> the job after its dry run."""

    def _start(user, kind, content, name="导入.xlsx"):
        return workflow.start_import(kind=kind, upload=upload(content, name), by=user)

    return _start


@pytest.fixture
def commit():
    def _commit(job, mode, user=None):
        workflow.request_commit(job, mode=mode, by=user or job.owner)
        return ImportJob.objects.get(pk=job.pk)

    return _commit
