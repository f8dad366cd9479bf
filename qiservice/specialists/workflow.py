"""Rules for the specialist pool (4.3 selection, 4.4 pool)."""

import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.validators import normalize_phone

from . import matching
from .choices import STATUS_TRANSITIONS, SpecialistStatus
from .models import Specialist, SpecialistStatusChange


def new_initial_password():
    """A random password that meets the password rules (accounts/passwords.py): 16
    characters of the URL-safe alphabet, drawn again until 3 character classes occur."""
    from qiservice.accounts.passwords import character_classes

    while True:
        password = secrets.token_urlsafe(12)
        if character_classes(password) >= 3:
            return password


@transaction.atomic
def create_specialist(specialist, *, username, by, fields=(), password=None, reason=""):
    """Open a specialist record and its login account. Returns (specialist, password):
    the initial password is shown to the agency once, never stored in clear."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("该登录账号已存在。")})
    password = password or new_initial_password()
    user = User.objects.create_user(username=username, password=password, name=specialist.name)
    user.phone = normalize_phone(specialist.phone)
    user.email = specialist.email
    user.save()
    audit.record(AuditEvent.CREATED, user, actor=by, changes={"username": username})
    specialist.user = user
    specialist.phone = normalize_phone(specialist.phone)
    save_audited(specialist, by=by)
    _replace_fields(specialist, fields, by=by)
    SpecialistStatusChange.objects.create(
        specialist=specialist, from_status="", to_status=specialist.status, reason=reason or _("建档"), changed_by=by
    )
    matching.refresh_tokens(specialist)
    return specialist, password


@transaction.atomic
def save_specialist(specialist, *, by, fields=None, expected_updated_at=None):
    specialist.phone = normalize_phone(specialist.phone)
    save_audited(specialist, by=by, expected_updated_at=expected_updated_at)
    if fields is not None:
        _replace_fields(specialist, fields, by=by)
    matching.refresh_tokens(specialist)
    return specialist


def _replace_fields(specialist, fields, *, by):
    before = sorted((f.field, f.proficiency) for f in specialist.fields.all())
    after = sorted((f.field, f.proficiency) for f in fields)
    if before == after:
        return
    specialist.fields.all().delete()
    for f in fields:
        f.pk = None
        f.specialist = specialist
        f.save()
    audit.record(AuditEvent.UPDATED, specialist, actor=by, changes={"fields": [before, after]})


@transaction.atomic
def change_status(specialist, to_status, *, by, reason, term_ends_on=None):
    """4.3 — admit, suspend, reinstate or retire a specialist, with the reason."""
    specialist = Specialist.objects.select_for_update().get(pk=specialist.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写状态变更的原因。")})
    if to_status not in STATUS_TRANSITIONS.get(specialist.status, set()):
        raise ValidationError(
            _("服务专员当前状态为“%(from)s”，不能变更为“%(to)s”。")
            % {"from": SpecialistStatus(specialist.status).label, "to": SpecialistStatus(to_status).label}
        )
    from_status = specialist.status
    specialist.status = to_status
    if to_status == SpecialistStatus.ACTIVE and specialist.admitted_on is None:
        specialist.admitted_on = timezone.localdate()
    if term_ends_on:
        specialist.term_ends_on = term_ends_on
    save_audited(specialist, by=by, extra={"reason": reason})
    SpecialistStatusChange.objects.create(
        specialist=specialist, from_status=from_status, to_status=to_status, reason=reason, changed_by=by
    )
    matching.bump_index_version()  # the index holds active specialists only
    return specialist
