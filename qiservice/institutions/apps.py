from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "qiservice.institutions"
    label = "institutions"
    verbose_name = _("技术机构")
