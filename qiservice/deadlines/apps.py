from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "qiservice.deadlines"
    label = "deadlines"
    verbose_name = _("时限管理")

    def ready(self):
        from qiservice.accounts.views import HOME_EXTENSIONS

        def calendar_warning(request, scope):
            from .views import next_year_missing

            return {"calendar_warning": next_year_missing()} if scope.is_agency_admin else {}

        HOME_EXTENSIONS.append(calendar_warning)
