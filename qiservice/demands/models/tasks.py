"""8.1.2 — special service tasks: the agency's campaigns to reach given enterprises."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qiservice.core.models import RestrictedQuerySet

from ..choices import ContactMethod, TargetStatus


class SpecialTaskQuerySet(RestrictedQuerySet):
    def visible_to(self, scope, action):
        if scope.is_agency_admin or (scope.is_auditor and action == "view"):
            return self
        q = Q(pk__in=[])
        if scope.district_ids:
            q |= Q(targets__enterprise__district_id__in=scope.district_ids)
        if scope.is_specialist and action == "view":
            q |= Q(targets__specialist_id=scope.specialist_id)
        return self.filter(q).distinct()


class SpecialTask(models.Model):
    """专项服务任务: a programme's campaign with target enterprises and assigned specialists."""

    title = models.CharField(_("任务名称"), max_length=100)
    programme = models.CharField(_("所属项目"), max_length=100, blank=True)
    description = models.TextField(_("任务要求"), blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = SpecialTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("专项服务任务")
        verbose_name_plural = _("专项服务任务")
        ordering = ["-starts_on", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("demands:task_detail", args=[self.pk])


class TaskTarget(models.Model):
    """One target enterprise of a task, with the specialist who is to contact it."""

    task = models.ForeignKey(SpecialTask, models.CASCADE, related_name="targets")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", models.PROTECT, related_name="task_targets", verbose_name=_("服务对象")
    )
    specialist = models.ForeignKey(
        "specialists.Specialist", models.PROTECT, related_name="task_targets", verbose_name=_("服务专员")
    )
    status = models.CharField(_("对接状态"), max_length=20, choices=TargetStatus.choices, default=TargetStatus.PENDING)
    demand = models.ForeignKey(
        "demands.Demand", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("登记的需求")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("任务对象")
        verbose_name_plural = _("任务对象")
        ordering = ["task", "enterprise__name"]
        constraints = [models.UniqueConstraint(fields=["task", "enterprise"], name="unique_task_target")]

    def __str__(self):
        return f"{self.task}: {self.enterprise}"


class ContactAttempt(models.Model):
    """A specialist's attempt to reach a target enterprise, and its outcome."""

    target = models.ForeignKey(TaskTarget, models.CASCADE, related_name="attempts")
    contacted_on = models.DateField(_("联系日期"), default=timezone.localdate)
    method = models.CharField(_("联系方式"), max_length=10, choices=ContactMethod.choices)
    outcome = models.CharField(_("结果"), max_length=20, choices=TargetStatus.choices)
    notes = models.TextField(_("情况记录"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("记录人")
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["contacted_on", "pk"]

    def __str__(self):
        return f"{self.target} {self.contacted_on}"
