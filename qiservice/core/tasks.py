"""The audit chain is verified every night; a break is logged as an error for the operators."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import audit_chain
from .models import AuditLog

log = logging.getLogger("qiservice.audit")


@db_periodic_task(crontab(hour="2", minute="30"))
def verify_audit_chain():
    verdict = audit_chain.verify(AuditLog)
    if not verdict.ok:
        log.error(
            "audit chain broken at row %s (%s) after %s good rows", verdict.broken_at, verdict.reason, verdict.checked
        )
    return {"checked": verdict.checked, "broken_at": verdict.broken_at, "reason": verdict.reason}
