"""The import's API: the same rules, checks and data scope as the pages.

POST /api/imports/{kind} takes a multipart upload (`file`) and answers with the job and its
dry-run report; POST /api/imports/jobs/{id}/commit imports it. A refused file is 422 with the
Chinese reason and nothing stored; a job outside the caller's scope is 404."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error

from . import rules, workbooks, workflow
from .choices import ImportKind, RowStatus
from .models import ImportJob
from .spreadsheet import FileRefused
from .views import XLSX

router = Router(tags=["数据导入"])

PAGE_SIZE = 500


class ReportRowOut(Schema):
    row: int
    status: str
    errors: list[str]
    object: str = ""


class ReportOut(Schema):
    page: int
    pages: int
    count: int
    rows: list[ReportRowOut]


class JobOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    original_name: str
    message: str
    mode: str
    rows_total: int
    valid_rows: int
    error_rows: int
    rows_done: int
    created_count: int
    created_at: datetime
    validated_at: datetime | None
    finished_at: datetime | None
    report: ReportOut


class ReportQuery(Schema):
    page: int = 1
    only_errors: bool = False


class CommitIn(Schema):
    mode: str


def _out(job, query=None):
    query = query or ReportQuery()
    rows = job.rows.all()
    if query.only_errors:
        rows = rows.filter(status=RowStatus.ERROR)
    page = Paginator(rows, PAGE_SIZE).get_page(query.page)
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_label": job.get_status_display(),
        "original_name": job.original_name,
        "message": job.message,
        "mode": job.mode,
        "rows_total": job.rows_total,
        "valid_rows": job.valid_rows,
        "error_rows": job.error_rows,
        "rows_done": workflow.progress(job),
        "created_count": job.created_count,
        "created_at": job.created_at,
        "validated_at": job.validated_at,
        "finished_at": job.finished_at,
        "report": {
            "page": page.number,
            "pages": page.paginator.num_pages,
            "count": page.paginator.count,
            "rows": [
                {"row": r.row_number, "status": r.status, "errors": r.errors, "object": r.object_id}
                for r in page.object_list
            ],
        },
    }


def _kind(kind):
    if kind not in ImportKind.values:
        raise Http404
    return ImportKind(kind)


XLSX_RESPONSE = {
    "responses": {
        "200": {"description": "Excel 文件", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}
    }
}


@router.get(
    "/templates/{kind}",
    response={403: Error, 404: Error},
    summary="下载导入模板",
    description="kind 为 enterprises（服务对象）或 demands（服务需求）。含表头、示例行、下拉列表和“说明”工作表。",
    openapi_extra=XLSX_RESPONSE,
)
def template(request, kind: str):
    kind = _kind(kind)
    from qiservice.core.visibility import get_scope

    scope = get_scope(request.user)
    if not (scope.is_agency or scope.is_auditor):
        raise PermissionDenied
    handle = workbooks.template(kind, request.user)
    return FileResponse(handle, as_attachment=True, filename=f"{kind.value}-template.xlsx", content_type=XLSX)


@router.post(
    "/{kind}",
    response={201: JobOut, 403: Error, 404: Error, 422: Error},
    summary="上传 Excel 并检查（不写入）",
    description=(
        "multipart/form-data，字段 file 为 .xlsx 文件。逐行检查而不写入任何业务数据，返回导入任务及检查报告"
        "（`report.rows`：行号、结果、中文错误说明，每页 500 行）。大文件在后台检查：`status` 为 pending/validating 时"
        "请轮询 GET /api/imports/jobs/{id}。"
        "文件不是 .xlsx、已加密、已损坏、含宏、过大、疑似压缩炸弹时为 422，不保存任何内容。"
    ),
)
def upload(request, kind: str, file: File[UploadedFile] = None):
    kind = _kind(kind)
    if not rules.may_import(request.user):
        raise PermissionDenied
    if file is None:
        raise ApiValidationError([{"loc": ["body", "file"], "msg": _("请上传 Excel 文件（.xlsx），字段名为 file。")}])
    try:
        job = workflow.start_import(kind=kind, upload=file, by=request.user, ip=request.META.get("REMOTE_ADDR"))
    except FileRefused as refused:
        raise ApiValidationError([{"loc": ["body", "file"], "msg": refused.message, "type": "refused"}]) from None
    return Status(201, _out(job))


@router.get(
    "/jobs/{int:job_id}",
    response={200: JobOut, 404: Error},
    summary="导入任务的状态与检查报告",
    description="`only_errors=true` 只列错误行；`page` 翻页（每页 500 行）。",
)
def job(request, job_id: int, query: Query[ReportQuery]):
    return _out(ImportJob.objects.get_for(request.user, job_id), query)


@router.post(
    "/jobs/{int:job_id}/commit",
    response={202: JobOut, 403: Error, 404: Error, 422: Error},
    summary="导入已检查的文件",
    description=(
        "mode 为 valid_only（导入全部有效行，跳过错误行）或 all_or_nothing（仅当没有错误行时可选：全部导入，"
        "导入时重新检查发现任何错误则全部不导入）。小文件立即导入，大文件在后台导入（轮询任务状态）。"
        "只有上传人可以导入（其他可见者 403）。"
    ),
)
def commit(request, job_id: int, payload: CommitIn):
    job = ImportJob.objects.get_for(request.user, job_id, "change")
    try:
        workflow.request_commit(job, mode=payload.mode, by=request.user)
    except ValidationError as refused:
        raise ApiValidationError(
            [{"loc": ["body", "mode"], "msg": m, "type": "refused"} for m in refused.messages]
        ) from None
    job.refresh_from_db()
    return Status(202, _out(job))
