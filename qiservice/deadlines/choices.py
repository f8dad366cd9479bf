from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日")
    WORKDAY = "workday", _("调休上班日")


class Stage(models.TextChoices):
    """The time limits of the standard (6 d, 8.1.3, 8.4.2 a, 8.5.1) and of the platform."""

    REGISTRATION = "registration", _("需求收集后录入平台")
    PREPARATION = "preparation", _("完成服务准备")
    ESCALATION = "escalation", _("确认后上报寻求协助")
    DISPATCH_ACCEPTANCE = "dispatch_acceptance", _("技术机构答复派单")
    AGREEMENT = "agreement", _("签订服务协议")
    SUMMARY = "summary", _("服务结束后提交工作总结")
    EVALUATION = "evaluation", _("服务对象完成满意度评价")


# Default limits in working days (the agency edits them): (days, remind this many days before).
DEFAULT_POLICIES = {
    Stage.REGISTRATION: (2, 0),
    Stage.PREPARATION: (5, 1),
    Stage.ESCALATION: (3, 1),
    Stage.DISPATCH_ACCEPTANCE: (3, 1),
    Stage.AGREEMENT: (10, 2),
    Stage.SUMMARY: (5, 1),
    Stage.EVALUATION: (10, 3),
}
