from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "qiservice.public"
    label = "public"
    verbose_name = _("公共服务页面")
