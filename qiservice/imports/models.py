from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from .choices import RUNNING_STATUSES, CommitMode, ImportKind, ImportStatus, RowStatus


class ImportJobQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        """The admin and the auditor see every import; district staff their own. Only the
        owner changes (imports) a job: it was checked against the owner's own scope."""
        if action == "view" and scope.sees_everything:
            return self
        if scope.is_agency:
            return self.filter(owner_id=scope.user_id)
        return self.none()


def _upload_to(job, filename):
    return f"imports/{job.created_at:%Y/%m}/{job.token}.xlsx"


class ImportJob(models.Model):
    """One uploaded workbook: its dry run (the per-row report) and, when the owner chooses,
    its import. Big files are checked and imported on the queue; `rows_done` of
    `rows_total` shows the progress.

    owner          who uploaded it; the checks and the import use their data scope.
    kind           enterprises or demands (ImportKind).
    file           the uploaded workbook, kept under MEDIA_ROOT/imports/ (never served as is).
    checked_rows   the rows the last dry run found valid, cleaned (`checked.py`): the import
                   reads these instead of the workbook; removed once imported.
    original_name  the uploaded file's name, for the user.
    status         ImportStatus.
    message        why the file was refused, or why the import failed (Chinese, for the user).
    mode           how the owner chose to import it (CommitMode), once chosen.
    rows_total / valid_rows / error_rows   counts of the last dry run (or of the import's
                   own re-check).
    rows_done      rows processed by the running phase (progress).
    created_count  objects created by the import.
    """

    token = models.CharField(max_length=32, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("上传人"))
    kind = models.CharField(_("导入内容"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("文件"), upload_to=_upload_to, max_length=200)
    checked_rows = models.FileField(_("检查通过的行"), max_length=200, blank=True, editable=False)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    status = models.CharField(_("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    message = models.TextField(_("说明"), blank=True)
    mode = models.CharField(_("导入方式"), max_length=20, choices=CommitMode.choices, blank=True)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    error_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("已导入条数"), default=0)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("上传时间"))
    validated_at = models.DateTimeField(_("检查完成时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("导入完成时间"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "created_at"], name="importjob_owner_time")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    def get_absolute_url(self):
        return reverse("imports:job", args=[self.pk])

    @property
    def is_running(self):
        return self.status in RUNNING_STATUSES

    @property
    def status_badge(self):
        return ImportStatus.badge(self.status)

    @property
    def percent(self):
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def may_commit(self):
        return self.status == ImportStatus.VALIDATED and self.valid_rows > 0

    @property
    def may_commit_all(self):
        return self.may_commit and self.error_rows == 0


class ImportRow(models.Model):
    """One data row of an import's report: the row number in the sheet, its status and the
    Chinese error messages (each naming its column)."""

    job = models.ForeignKey(ImportJob, models.CASCADE, related_name="rows", verbose_name=_("导入任务"))
    row_number = models.PositiveIntegerField(_("行号"))
    status = models.CharField(_("结果"), max_length=10, choices=RowStatus.choices)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    object_id = models.CharField(_("导入后的记录"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("导入行")
        verbose_name_plural = _("导入行")
        ordering = ["job", "row_number"]
        constraints = [models.UniqueConstraint(fields=["job", "row_number"], name="importrow_job_row")]
        indexes = [models.Index(fields=["job", "status", "row_number"], name="importrow_job_status")]

    def __str__(self):
        return f"{self.row_number}: {self.status}"
