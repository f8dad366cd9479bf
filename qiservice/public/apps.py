from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "qiservice.public"
    label = "public"
    verbose_name = _("公共服务页面")

    def ready(self):
        from qiservice.accounts.views import HOME_EXTENSIONS

        from .views import pending_panel

        HOME_EXTENSIONS.append(pending_panel)
