from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a workbook holds: one kind per file."""

    ENTERPRISES = "enterprises", _("服务对象")
    DEMANDS = "demands", _("服务需求")


class ImportStatus(models.TextChoices):
    """Where an import job stands. A refused file never gets past `refused`; a checked file
    waits in `validated` until its owner chooses how to import it."""

    PENDING = "pending", _("排队等待检查")
    VALIDATING = "validating", _("正在检查")
    REFUSED = "refused", _("文件被拒绝")
    VALIDATED = "validated", _("检查完成，待导入")
    QUEUED = "queued", _("排队等待导入")
    IMPORTING = "importing", _("正在导入")
    DONE = "done", _("导入完成")
    FAILED = "failed", _("导入失败")

    @classmethod
    def badge(cls, value):
        return {
            "refused": "danger",
            "failed": "danger",
            "validated": "info",
            "done": "success",
        }.get(value, "warning")


RUNNING_STATUSES = {ImportStatus.PENDING, ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.IMPORTING}


class CommitMode(models.TextChoices):
    VALID_ONLY = "valid_only", _("导入全部有效行（跳过有错误的行）")
    ALL_OR_NOTHING = "all_or_nothing", _("全部导入或全部不导入")


class RowStatus(models.TextChoices):
    OK = "ok", _("通过")
    ERROR = "error", _("错误")
    IMPORTED = "imported", _("已导入")
    SKIPPED = "skipped", _("未导入")
