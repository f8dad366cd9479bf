from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("需求指派")
    ASSIGNMENT_ANSWER = "assignment_answer", _("指派答复")
    DISPATCH = "dispatch", _("派单")
    DISPATCH_ANSWER = "dispatch_answer", _("派单答复")
    EVALUATION = "evaluation", _("收到评价")
    CASE_REVIEWED = "case_reviewed", _("典型案例审核")
    REMINDER = "reminder", _("时限提醒")
    OVERDUE = "overdue", _("逾期提醒")
    ACCOUNT = "account", _("账户审核")
    COMPLAINT = "complaint", _("投诉处理")
    NEW_DEMAND = "new_demand", _("网上需求")
    MESSAGE = "message", _("留言")
    PLAN_ACKNOWLEDGED = "plan_acknowledged", _("方案已知悉")
