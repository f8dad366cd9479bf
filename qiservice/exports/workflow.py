"""The rules of exporting: count, then write now or queue a job; record every export.

The UI, the API and the benchmark call these functions.
"""

import logging
import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent

from .choices import ExportStatus
from .models import ExportJob
from .registry import InvalidFilters, dict_to_params, get_export, params_to_dict
from .writer import write_export

log = logging.getLogger(__name__)


def prepare(name, user, params):
    """The export, its scoped and filtered queryset and its row count (one COUNT query).
    Raises Http404 (unknown export or object), PermissionDenied, InvalidFilters."""
    export = get_export(name)
    queryset = export.queryset(user, params)
    total = queryset.order_by().count()
    return export, queryset, total


def is_large(total):
    return total >= settings.EXPORT_BACKGROUND_ROWS


def record_export(user, export, params, rows, job=None):
    return audit.record(
        AuditEvent.EXPORTED,
        job,
        actor=user,
        extra={
            "export": export.name,
            "title": str(export.title),
            "filters": params_to_dict(params),
            "rows": rows,
            **({"job": job.pk} if job else {}),
        },
    )


def export_now(export, queryset, user, params):
    """Write the file in the request (a small export) and record it; returns (file, rows)
    with the file object rewound."""
    header = export.header_block(user, params) if export.header_block else None
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - the response closes it
    rows = write_export(export, queryset, target, viewer=user, header_block=header)
    target.seek(0)
    with transaction.atomic():
        record_export(user, export, params, rows)
    return target, rows


def start_job(export, user, params, total):
    """Queue a large export; the queue writes the file (see run_job)."""
    from .tasks import run_export_job

    with transaction.atomic():
        job = ExportJob.objects.create(
            owner=user, export_name=export.name, params=params_to_dict(params), rows_total=total
        )
        transaction.on_commit(lambda: run_export_job(job.pk))
    return job


def _progress(job_id):
    def update(done):
        ExportJob.objects.filter(pk=job_id).update(rows_done=done)

    return update


def run_job(job_id):
    """Write a queued job's file (the queue calls this). A failure is kept on the job with
    a message in Chinese; the owner sees it on the job's page."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # unknown, or another worker has it
        return None
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    user = job.owner
    params = dict_to_params(job.params)
    relative = f"exports/{user.pk}/{uuid.uuid4().hex}.xlsx"
    path = Path(default_storage.path(relative))
    try:
        with translation.override(settings.LANGUAGE_CODE):
            export, queryset, total = prepare(job.export_name, user, params)
            ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
            header = export.header_block(user, params) if export.header_block else None
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = write_export(
                export, queryset, str(path), viewer=user, header_block=header, progress=_progress(job.pk)
            )
    except Exception as error:  # the job keeps the reason, in Chinese
        path.unlink(missing_ok=True)
        message = _failure_message(error)
        if not isinstance(error, PermissionDenied | Http404 | InvalidFilters):
            log.exception("export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        return None
    now = timezone.now()
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            file=relative,
            rows_done=rows,
            rows_total=rows,
            finished_at=now,
            expires_at=now + timezone.timedelta(days=settings.EXPORT_FILE_DAYS),
        )
        job.refresh_from_db()
        record_export(user, export, params, rows, job=job)
    return job


def _failure_message(error):
    if isinstance(error, PermissionDenied | Http404):
        return _("导出失败：您已无权查看这些数据。")
    if isinstance(error, InvalidFilters):
        return _("导出失败：筛选条件无效。")
    return _("导出失败：生成文件时出错，请稍后重试或联系管理员。")


def record_download(user, job):
    with transaction.atomic():
        audit.record(AuditEvent.DOWNLOADED, job, actor=user, extra={"export": job.export_name, "rows": job.rows_done})


def purge_expired(now=None):
    """Delete the files of jobs past their expiry (EXPORT_FILE_DAYS); the job rows stay,
    marked expired. Returns the number of files removed."""
    now = now or timezone.now()
    removed = 0
    for job in ExportJob.objects.filter(expires_at__lt=now).exclude(status=ExportStatus.EXPIRED):
        if job.file:
            default_storage.delete(job.file.name)
            removed += 1
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.EXPIRED, file="")
    return removed
