from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountRequestStatus(models.TextChoices):
    """An enterprise contact's request to be linked to an enterprise (8.1.1, web source)."""

    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    REVOKED = "revoked", _("已撤销")

    @property
    def badge(self):
        return {"pending": "warning", "approved": "success", "rejected": "danger", "revoked": "secondary"}[self.value]
