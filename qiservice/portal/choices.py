from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageSide(models.TextChoices):
    """Which side of the service wrote a message: the enterprise, or those serving it."""

    ENTERPRISE = "enterprise", _("服务对象")
    SERVICE = "service", _("服务方")
