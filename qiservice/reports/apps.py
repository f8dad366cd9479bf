from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "qiservice.reports"
    label = "reports"
    verbose_name = _("统计与监管")

    def ready(self):
        pre_migrate.connect(before_migrate, sender=self)
        post_migrate.connect(after_migrate, sender=self)


# A migration that rebuilds a counted table (SQLite rebuilds a table to alter it) would drop
# or break the counters' triggers: they are taken off while migrations run and put back,
# with a recount, afterwards.
_taken_off = set()


def before_migrate(sender, plan=None, using="default", **kwargs):
    from . import counters

    connection = connections[using]
    if plan and counters.installed(connection):
        counters.uninstall(connection)
        _taken_off.add(using)


def after_migrate(sender, using="default", **kwargs):
    from . import counters

    if using in _taken_off:
        _taken_off.discard(using)
        counters.install(connections[using])
        counters.rebuild()
