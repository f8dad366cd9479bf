"""A large export written in the background (ExportJob)."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from .choices import FINISHED, ExportStatus


class ExportJobQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        """An export file holds what its owner may see: only the owner reaches the job."""
        return self.filter(owner_id=scope.user_id)


class ExportJob(models.Model):
    """One export of at least EXPORT_BACKGROUND_ROWS rows, written by the queue.

    params     the list's filters as {name: [values]} (the query string of the page).
    file       the .xlsx under MEDIA_ROOT/exports/ (never served directly; downloaded
               through the owner-only view); emptied when the file expires.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="export_jobs", verbose_name=_("导出人")
    )
    export_name = models.CharField(_("导出内容"), max_length=40)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    rows_done = models.PositiveIntegerField(_("已完成行数"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/", blank=True, max_length=200)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    expires_at = models.DateTimeField(_("文件保留至"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="exportjob_owner_time"),
            models.Index(fields=["status", "expires_at"], name="exportjob_status_expiry"),
        ]

    def __str__(self):
        return f"{self.title} #{self.pk}"

    def get_absolute_url(self):
        return reverse("exports:job", args=[self.pk])

    @property
    def title(self):
        from .registry import REGISTRY

        export = REGISTRY.get(self.export_name)
        return str(export.title) if export else self.export_name

    @property
    def is_finished(self):
        return self.status in FINISHED

    @property
    def percent(self):
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, round(self.rows_done * 100 / self.rows_total))

    @property
    def status_badge(self):
        return ExportStatus.badge(self.status)

    @property
    def filename(self):
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"{self.title}-{stamp}.xlsx"
