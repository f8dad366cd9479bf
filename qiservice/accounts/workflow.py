"""Rules for accounts: roles and API tokens."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import forget_scope

from .models import ApiToken, RoleAssignment


@transaction.atomic
def grant_role(user, role, *, by, district=None, institution=None, enterprise=None):
    assignment = RoleAssignment(user=user, role=role, district=district, institution=institution, enterprise=enterprise)
    assignment.full_clean()
    assignment.save()
    audit.record(AuditEvent.CREATED, assignment, actor=by, changes={"user": user.username, "role": role})
    forget_scope(user)
    return assignment


@transaction.atomic
def issue_token(user, name):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称，例如用途或对接系统名称。")})
    if len(name) > 50:
        raise ValidationError({"name": _("令牌名称不能超过50个字符。")})
    token, key = ApiToken.issue(user, name)
    audit.record(AuditEvent.TOKEN_CREATED, token, actor=user)
    return token, key


@transaction.atomic
def revoke_token(token, *, by):
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(AuditEvent.TOKEN_REVOKED, token, actor=by)
    return token
