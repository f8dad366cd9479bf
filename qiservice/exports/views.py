"""Excel export pages: the export of a list (a download, or a background job when large),
the job's progress page, its download and the user's own exports ("我的导出")."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from . import workflow
from .choices import ExportStatus
from .models import ExportJob
from .registry import InvalidFilters, get_export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(fileobj, export, name=None):
    from django.utils import timezone

    filename = name or f"{export.title}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(fileobj, as_attachment=True, filename=filename, content_type=XLSX)


class ExportView(LoginRequiredMixin, View):
    """GET: the file when it is small; when it is large, a page offering to write it in the
    background (a POST, so that a link alone never queues work)."""

    def back_url(self, export):
        if not export.list_url:
            return None
        query = self.request.GET.urlencode()
        url = reverse(export.list_url)
        return f"{url}?{query}" if query else url

    def prepare(self, name):
        try:
            return workflow.prepare(name, self.request.user, self.request.GET), None
        except InvalidFilters as error:
            return None, error

    def invalid(self, name, error):
        export = get_export(name)
        return render(
            self.request,
            "exports/confirm.html",
            {"export": export, "errors": error.errors, "back_url": self.back_url(export)},
            status=400,
        )

    def get(self, request, name):
        prepared, error = self.prepare(name)
        if error:
            return self.invalid(name, error)
        export, queryset, total = prepared
        if workflow.is_large(total):
            return render(
                request,
                "exports/confirm.html",
                {"export": export, "total": total, "back_url": self.back_url(export), "query": request.GET.urlencode()},
            )
        fileobj, _rows = workflow.export_now(export, queryset, request.user, request.GET)
        return xlsx_response(fileobj, export)

    def post(self, request, name):
        prepared, error = self.prepare(name)
        if error:
            return self.invalid(name, error)
        export, _queryset, total = prepared
        job = workflow.start_job(export, request.user, request.GET, total)
        messages.success(request, _("导出任务已提交，完成后可在此下载。"))
        return redirect(job.get_absolute_url())


class JobListView(LoginRequiredMixin, View):
    """我的导出: the user's own export jobs, newest first."""

    def get(self, request):
        jobs = ExportJob.objects.restrict(request.user)
        page = Paginator(jobs, 20).get_page(request.GET.get("page"))
        return render(request, "exports/job_list.html", {"page": page, "title": _("我的导出")})


class JobDetailView(LoginRequiredMixin, View):
    """The job's page: a progress bar polled every 2 s until the file is ready."""

    def get(self, request, pk):
        job = ExportJob.objects.get_for(request.user, pk)
        template = "exports/_job_progress.html" if request.htmx else "exports/job_detail.html"
        return render(request, template, {"job": job, "title": job.title})


class JobDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = ExportJob.objects.get_for(request.user, pk)
        if job.status != ExportStatus.DONE or not job.file:
            raise Http404
        try:
            fileobj = job.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        workflow.record_download(request.user, job)
        return FileResponse(fileobj, as_attachment=True, filename=job.filename, content_type=XLSX)
