from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SpecialistsConfig(AppConfig):
    name = "qiservice.specialists"
    label = "specialists"
    verbose_name = _("服务专员")
