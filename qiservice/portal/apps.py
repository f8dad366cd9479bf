from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "qiservice.portal"
    label = "portal"
    verbose_name = _("服务对象门户")
