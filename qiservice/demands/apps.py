from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "qiservice.demands"
    label = "demands"
    verbose_name = _("服务需求")

    def ready(self):
        from . import home, scope  # noqa: F401 - widen the scopes, add the home-page panels
