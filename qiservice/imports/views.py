"""Pages of the import: the start page (templates, upload, recent jobs), a job's report
with its progress and the choice of how to import, and the downloads."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope

from . import rules, workbooks, workflow
from .choices import CommitMode, ImportKind, ImportStatus, RowStatus
from .models import ImportJob
from .spreadsheet import FileRefused, check_size
from .uploads import SizeLimitHandler

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_PAGE_SIZE = 50


def _may_view(user):
    scope = get_scope(user)
    return scope.is_agency or scope.is_auditor


def _kind(kind):
    if kind not in ImportKind.values:
        raise Http404
    return ImportKind(kind)


def _index_context(request, errors=None):
    jobs = ImportJob.objects.restrict(request.user).select_related("owner")
    page = Paginator(jobs, 20).get_page(request.GET.get("page"))
    return {
        "kinds": [{"value": k.value, "label": k.label, "error": (errors or {}).get(k.value)} for k in ImportKind],
        "may_import": rules.may_import(request.user),
        "page": page,
        "max_mb": workflow.settings.IMPORT_MAX_MB,
        "max_rows": workflow.settings.IMPORT_MAX_ROWS,
    }


@login_required
def index(request):
    if not _may_view(request.user):
        raise PermissionDenied
    return render(request, "imports/index.html", _index_context(request))


@login_required
def template(request, kind):
    if not _may_view(request.user):
        raise PermissionDenied
    kind = _kind(kind)
    handle = workbooks.template(kind, request.user)
    filename = _("%(kind)s导入模板.xlsx") % {"kind": kind.label}
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


@csrf_exempt
def upload(request, kind):
    # The size limit is enforced while the body streams in, so the upload handlers must be
    # set before anything reads request.POST — the CSRF check included (Django's documented
    # pattern: exempt here, protect the inner view).
    request.upload_handlers = [SizeLimitHandler(request), TemporaryFileUploadHandler(request)]
    return _upload(request, kind)


@csrf_protect
@login_required
@require_POST
def _upload(request, kind):
    kind = _kind(kind)
    if not rules.may_import(request.user):
        raise PermissionDenied
    error = None
    handler = request.upload_handlers[0]
    file = request.FILES.get("file")
    try:
        if handler.exceeded:
            check_size(max(int(request.META.get("CONTENT_LENGTH") or 0), handler.limit + 1))
        if file is None:
            raise FileRefused(_("请选择要上传的 Excel 文件（.xlsx）。"))
        job = workflow.start_import(kind=kind, upload=file, by=request.user, ip=request.META.get("REMOTE_ADDR"))
    except FileRefused as refused:
        error = refused.message
    if error:
        return render(request, "imports/index.html", _index_context(request, {kind.value: error}), status=200)
    return redirect(job)


def _job(request, pk, action="view"):
    return ImportJob.objects.get_for(request.user, pk, action)


@login_required
def job_detail(request, pk):
    job = _job(request, pk)
    only_errors = request.GET.get("show") == "errors"
    rows = job.rows.all()
    if only_errors:
        rows = rows.filter(status=RowStatus.ERROR)
    page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "imports/job.html",
        {
            "job": job,
            "page": page,
            "only_errors": only_errors,
            "done": workflow.progress(job),
            "may_commit": job.may_commit and job.owner_id == request.user.pk,
            "modes": CommitMode,
            "status": ImportStatus,
        },
    )


@login_required
def job_progress(request, pk):
    """The htmx partial polled while a job runs; when it stops, it asks for a full reload."""
    job = _job(request, pk)
    response = render(request, "imports/_progress.html", {"job": job, "done": workflow.progress(job)})
    if not job.is_running and request.headers.get("HX-Request") and request.GET.get("was") == "running":
        response["HX-Refresh"] = "true"
    return response


@login_required
def job_report(request, pk):
    job = _job(request, pk)
    if job.status in (ImportStatus.REFUSED, ImportStatus.PENDING, ImportStatus.VALIDATING) or not job.rows.exists():
        raise Http404
    handle = workbooks.report(job)
    # The report holds the uploaded enterprise data: its download is audited like an export.
    audit.record(AuditEvent.DOWNLOADED, job, actor=request.user, extra={"report": True})
    filename = _("导入结果-%(name)s") % {"name": job.original_name.removesuffix(".xlsx")} + ".xlsx"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@require_POST
def job_commit(request, pk):
    job = _job(request, pk, "change")
    try:
        workflow.request_commit(job, mode=request.POST.get("mode", ""), by=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
    return redirect(job)
