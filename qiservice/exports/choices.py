from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")

    @classmethod
    def badge(cls, value):
        return {"queued": "secondary", "running": "primary", "done": "success", "failed": "danger"}.get(value, "light")


FINISHED = (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED)
