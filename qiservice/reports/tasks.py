"""The dashboard's counters are compared with the records every night and rebuilt if they
differ (they should not: a difference is logged as an error for the operators)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import counters

log = logging.getLogger("qiservice.reports")


@db_periodic_task(crontab(hour="3", minute="10"))
def check_counters():
    wrong = counters.check()
    if wrong:
        log.error("dashboard counters differ from the records in %s; rebuilt", ", ".join(sorted(wrong)))
        counters.rebuild()
    return {table: len(rows) for table, rows in wrong.items()}
