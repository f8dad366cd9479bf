"""Rules for enterprises (服务对象). Views, the API, imports and demo data all call these."""

from django.db import transaction
from django.utils import timezone

from qiservice.core.services import save_audited
from qiservice.core.validators import normalize_credit_code, normalize_phone


@transaction.atomic
def save_enterprise(enterprise, *, by, contacts=None, expected_updated_at=None):
    """Create or update an enterprise (and replace its other contacts when given)."""
    enterprise.credit_code = normalize_credit_code(enterprise.credit_code)
    enterprise.contact_phone = normalize_phone(enterprise.contact_phone)
    if enterprise.pk is None:
        enterprise.created_by = by
    save_audited(enterprise, by=by, expected_updated_at=expected_updated_at)
    if contacts is not None:
        before = [(c.name, c.position, c.phone, c.email) for c in enterprise.contacts.all()]
        enterprise.contacts.all().delete()
        for contact in contacts:
            contact.enterprise = enterprise
            contact.phone = normalize_phone(contact.phone)
            contact.save()
        after = [(c.name, c.position, c.phone, c.email) for c in contacts]
        if before != after:
            from qiservice.core import audit
            from qiservice.core.models import AuditEvent

            audit.record(AuditEvent.UPDATED, enterprise, actor=by, changes={"contacts": [before, after]})
    return enterprise


@transaction.atomic
def verify_profile(enterprise, *, by, **profile):
    """8.2.2 — verify the enterprise's profile (size, products, R&D, capacity, quality
    management): updates the fields given and stamps who verified it and when."""
    for name, value in profile.items():
        setattr(enterprise, name, value)
    enterprise.profile_verified_at = timezone.now()
    enterprise.profile_verified_by = by
    return save_audited(enterprise, by=by, extra={"verified": True})
