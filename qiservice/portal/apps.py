from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def enterprise_home(scope):
    """An enterprise's users who hold no other role start on the portal."""
    from django.urls import reverse

    others = scope.is_agency or scope.is_auditor or scope.is_specialist or scope.institution_ids
    if scope.enterprise_ids and not others:
        return reverse("portal:home")
    return None


class PortalConfig(AppConfig):
    name = "qiservice.portal"
    label = "portal"
    verbose_name = _("服务对象门户")

    def ready(self):
        from qiservice.accounts.views import HOME_REDIRECTS

        HOME_REDIRECTS.append(enterprise_home)
