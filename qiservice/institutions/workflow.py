"""Rules for the technical-institution pool and service catalogues (4.4, R5.2)."""

from django.db import transaction

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.validators import normalize_phone


@transaction.atomic
def save_institution(institution, *, by, service_items=None, deleted_items=(), expected_updated_at=None):
    """Create or update an institution and its service catalogue."""
    institution.contact_phone = normalize_phone(institution.contact_phone)
    save_audited(institution, by=by, expected_updated_at=expected_updated_at)
    for item in deleted_items:
        if item.pk and item.institution_id == institution.pk:
            audit.record(AuditEvent.DELETED, item, actor=by, changes=audit.snapshot(item))
            item.delete()
    for item in service_items or ():
        item.institution = institution
        save_audited(item, by=by)
    return institution
