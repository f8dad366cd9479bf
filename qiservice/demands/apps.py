from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "qiservice.demands"
    label = "demands"
    verbose_name = _("服务需求")

    def ready(self):
        from django.db.models.signals import post_init, post_save

        from qiservice.enterprises.models import Enterprise

        from . import home, scope, search  # noqa: F401 - widen the scopes, add the home-page panels
        from .models import Demand

        # The keyword-search index follows the demand and its enterprise's name.
        post_init.connect(search.demand_loaded, sender=Demand, dispatch_uid="demand_search_loaded")
        post_save.connect(search.demand_saved, sender=Demand, dispatch_uid="demand_search_saved")
        post_save.connect(search.enterprise_saved, sender=Enterprise, dispatch_uid="enterprise_search_saved")
