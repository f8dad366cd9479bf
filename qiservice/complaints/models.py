from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from .choices import SPECIALIST_VISIBLE, ComplaintStatus


class ComplaintQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        """The agency admin and the auditor (read only) see all; agency staff the
        complaints of their districts' enterprises; an enterprise user their own
        enterprises' (read only); the specialist complained about, from the answer on
        (read only). Only the agency handles complaints."""
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=[])
        if scope.district_ids:
            q |= Q(enterprise__district_id__in=scope.district_ids)
        if action == "view":
            if scope.enterprise_ids:
                q |= Q(enterprise_id__in=scope.enterprise_ids)
            if scope.is_specialist:
                q |= Q(specialist_id=scope.specialist_id, status__in=SPECIALIST_VISIBLE)
        return self.filter(q)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.exclude(status=ComplaintStatus.CLOSED).filter(due_on__lt=today)


class Complaint(models.Model):
    """An enterprise's complaint about a service (one of its demands) and/or a specialist.

    number         human-readable, e.g. TS-2026-000012.
    enterprise     the complaining enterprise; demand and specialist what it is about.
    text           the complaint as written by the enterprise.
    findings       the agency's investigation notes (internal: not shown to the
                   enterprise or the specialist).
    answer         the agency's answer the enterprise reads; upheld whether the
                   complaint was found justified.
    status_since   when the complaint entered its status; due_on the last working day
                   for the step out of that status (None once closed).
    """

    number = models.CharField(_("编号"), max_length=20, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.PROTECT, related_name="complaints", verbose_name=_("服务对象")
    )
    demand = models.ForeignKey(
        "demands.Demand", models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("服务需求")
    )
    specialist = models.ForeignKey(
        "specialists.Specialist",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("服务专员"),
    )
    subject = models.CharField(_("投诉事由"), max_length=100)
    text = models.TextField(_("投诉内容"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("投诉人")
    )
    submitted_at = models.DateTimeField(_("投诉时间"), default=timezone.now)
    status = models.CharField(
        _("状态"), max_length=15, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    status_since = models.DateTimeField(_("进入当前状态时间"), default=timezone.now)
    due_on = models.DateField(_("本环节期限"), null=True, blank=True)
    findings = models.TextField(_("调查情况"), blank=True)
    answer = models.TextField(_("答复意见"), blank=True)
    upheld = models.BooleanField(_("投诉成立"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("投诉")
        verbose_name_plural = _("投诉")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="complaint_status_due"),
            models.Index(fields=["specialist", "upheld", "closed_at"], name="complaint_specialist_upheld"),
        ]

    def __str__(self):
        return self.number or self.subject

    def get_absolute_url(self):
        return reverse("complaints:detail", args=[self.pk])

    @property
    def status_badge(self):
        return ComplaintStatus.badge(self.status)

    @property
    def is_overdue(self):
        return self.status != ComplaintStatus.CLOSED and self.due_on is not None and timezone.localdate() > self.due_on


class ComplaintStep(models.Model):
    """One step of a complaint's handling (append-only): from, to, who, when, a note,
    the step's time limit and whether it was met."""

    complaint = models.ForeignKey(Complaint, models.CASCADE, related_name="steps")
    from_status = models.CharField(_("原状态"), max_length=15, choices=ComplaintStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=15, choices=ComplaintStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("操作人"))
    note = models.TextField(_("说明"), blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    due_on = models.DateField(_("期限"), null=True, blank=True)
    was_late = models.BooleanField(_("超期完成"), default=False)

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.complaint} {self.from_status}→{self.to_status}"
