"""Excel exports over the API: the same exports, filters and scope as the list pages."""

from datetime import datetime

from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Router, Schema
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error

from . import workflow
from .choices import ExportStatus
from .models import ExportJob
from .registry import REGISTRY, InvalidFilters
from .views import XLSX, xlsx_response

router = Router(tags=["数据导出"])


class JobOut(Schema):
    id: int
    export: str
    title: str
    status: str
    status_label: str
    rows_done: int
    rows_total: int
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    error: str
    file_url: str | None

    @staticmethod
    def from_job(job):
        return JobOut(
            id=job.pk,
            export=job.export_name,
            title=job.title,
            status=job.status,
            status_label=str(job.get_status_display()),
            rows_done=job.rows_done,
            rows_total=job.rows_total,
            created_at=job.created_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            error=job.error,
            file_url=reverse("api:export_job_file", args=[job.pk]) if job.status == ExportStatus.DONE else None,
        )


@router.get("/jobs/{int:job_id}", response={200: JobOut, 404: Error}, url_name="export_job")
def job_status(request, job_id: int):
    """An export job of the caller's (anyone else's is 404)."""
    return JobOut.from_job(ExportJob.objects.get_for(request.auth, job_id))


@router.get("/jobs/{int:job_id}/file", response={200: None, 404: Error}, url_name="export_job_file")
def job_file(request, job_id: int):
    """The finished job's .xlsx (the caller's own jobs only)."""
    job = ExportJob.objects.get_for(request.auth, job_id)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    try:
        fileobj = job.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    workflow.record_download(request.auth, job)
    return FileResponse(fileobj, as_attachment=True, filename=job.filename, content_type=XLSX)


@router.get(
    "/{name}",
    response={200: None, 202: JobOut, 403: Error, 404: Error, 422: Error},
    url_name="export",
    description=(
        "导出 Excel（.xlsx）。name 为 "
        + "、".join(sorted(REGISTRY))
        + "；查询参数与对应列表页相同（筛选、q 关键字、sort 排序）。"
        "行数不足 EXPORT_BACKGROUND_ROWS 时直接返回文件，否则返回 202 与后台任务。"
    ),
)
def export(request, name: str):
    try:
        export, queryset, total = workflow.prepare(name, request.auth, request.GET)
    except InvalidFilters as error:
        raise ApiValidationError(
            [{"loc": ["query", f], "msg": m} for f, ms in error.errors.items() for m in ms]
        ) from None
    if workflow.is_large(total):
        job = workflow.start_job(export, request.auth, request.GET, total)
        return Status(202, JobOut.from_job(job))
    fileobj, _rows = workflow.export_now(export, queryset, request.auth, request.GET)
    return xlsx_response(fileobj, export)
