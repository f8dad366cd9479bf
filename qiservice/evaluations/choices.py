from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.IntegerChoices):
    """Appendix C: each item is rated 10 / 8 / 6 / 0."""

    VERY_SATISFIED = 10, _("非常满意")
    SATISFIED = 8, _("满意")
    NEUTRAL = 6, _("一般")
    DISSATISFIED = 0, _("不满意")


# The five items of Appendix C, in the form's order: (field name, label).
ITEMS = [
    ("conduct", _("遵纪守法")),
    ("attitude", _("服务态度")),
    ("competence", _("服务能力")),
    ("timeliness", _("服务时效")),
    ("result", _("服务结果")),
]


class EvaluationChannel(models.TextChoices):
    LINK = "link", _("评价链接")
    PORTAL = "portal", _("企业账号")
    PAPER = "paper", _("纸质表录入")
