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


# The counters' triggers are not created by a migration but after every `migrate`: a
# migration that rebuilds a counted table (SQLite rebuilds a table to alter it) would drop
# them or fail on them, so they are taken off while migrations run and put back, with a
# recount, afterwards; on a new database they are put in once the counter tables exist.
_taken_off = set()


def before_migrate(sender, plan=None, using="default", **kwargs):
    from . import counters

    connection = connections[using]
    if plan and counters.installed(connection):
        counters.uninstall(connection)
        _taken_off.add(using)


def after_migrate(sender, using="default", **kwargs):
    from . import counters

    connection = connections[using]
    if not counters.tables_exist(connection):
        return  # migrated only part of the way
    expected = {name for name, *_rest in counters.triggers(connection.vendor)}
    if using in _taken_off or counters.installed(connection) != expected:
        _taken_off.discard(using)
        counters.install(connection)
        counters.rebuild()
