from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年度")


class PeriodStatus(models.TextChoices):
    """8.6.2 — an assessment period: open (indicators recomputed on demand, supervisors
    score) → scored (frozen) → published (specialists see and acknowledge) → closed."""

    OPEN = "open", _("评估中")
    SCORED = "scored", _("已评分")
    PUBLISHED = "published", _("已公布")
    CLOSED = "closed", _("已结束")

    @classmethod
    def badge(cls, value):
        return {"open": "primary", "scored": "info", "published": "success", "closed": "secondary"}.get(
            value, "secondary"
        )


# Which status may follow which.
PERIOD_TRANSITIONS = {
    PeriodStatus.OPEN: PeriodStatus.SCORED,
    PeriodStatus.SCORED: PeriodStatus.PUBLISHED,
    PeriodStatus.PUBLISHED: PeriodStatus.CLOSED,
}


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")

    @classmethod
    def badge(cls, value):
        return {"excellent": "success", "good": "primary", "pass": "warning", "fail": "danger"}.get(value, "secondary")


# Grades low enough to call for an improvement action (8.6.3).
LOW_GRADES = {Grade.PASS, Grade.FAIL}


class ActionStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")

    @classmethod
    def badge(cls, value):
        return {"open": "warning", "done": "success", "cancelled": "secondary"}.get(value, "secondary")


class VisitMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    ONSITE = "onsite", _("上门")
    OTHER = "other", _("其他")
