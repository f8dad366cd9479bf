"""Rules of the public side: policy library (R5.1) and enterprise self-registration with
the agency's verification of the link to an enterprise (8.1.1, web source)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.accounts.choices import Role
from qiservice.accounts.models import District, RoleAssignment
from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.validators import normalize_credit_code, normalize_phone
from qiservice.core.visibility import forget_scope, get_scope
from qiservice.enterprises.models import Enterprise
from qiservice.notifications.choices import NotificationKind
from qiservice.notifications.service import notify

from .choices import AccountRequestStatus as S
from .models import EnterpriseAccountRequest


@transaction.atomic
def save_policy(policy, *, by, expected_updated_at=None):
    """R5.1 — create or update a policy document (agency admin)."""
    if not get_scope(by).is_agency_admin:
        raise PermissionDenied
    if policy.pk is None:
        policy.created_by = by
    return save_audited(policy, by=by, expected_updated_at=expected_updated_at)


def district_of_code(credit_code):
    """The district whose administrative division code is in positions 3-8 of the credit
    code (GB 32100), or None (e.g. a company registered outside Xiamen's districts)."""
    return District.objects.filter(code=normalize_credit_code(credit_code)[2:8]).first()


@transaction.atomic
def register(*, username, password, contact_name, credit_code, enterprise_name, phone="", email=""):
    """Create the login and a pending request. No role is granted: the account sees no
    enterprise data until the agency approves the request."""
    user = get_user_model().objects.create_user(
        username, email or "", password, name=contact_name, phone=normalize_phone(phone)
    )
    code = normalize_credit_code(credit_code)
    request = EnterpriseAccountRequest.objects.create(
        user=user,
        contact_name=contact_name,
        credit_code=code,
        enterprise_name=enterprise_name,
        phone=normalize_phone(phone),
        email=email or "",
        district=district_of_code(code),
        enterprise=Enterprise.objects.filter(credit_code=code).first(),
    )
    audit.record(AuditEvent.CREATED, user, actor=user, changes={"username": username, "self_registered": True})
    audit.record(AuditEvent.CREATED, request, actor=user, changes=audit.snapshot(request))
    return request


def _lock(request_obj, *, by, expected):
    stored = EnterpriseAccountRequest.objects.select_for_update().get(pk=request_obj.pk)
    if not EnterpriseAccountRequest.objects.restrict(by, "change").filter(pk=stored.pk).exists():
        raise PermissionDenied
    if stored.status not in expected:
        raise ValidationError(_("该申请已处理（%(status)s），请刷新页面。") % {"status": stored.get_status_display()})
    return stored


def _transition(req, to, *, by, reason="", extra=None):
    before = req.status
    req.status = to
    audit.record(
        AuditEvent.TRANSITION,
        req,
        actor=by,
        changes={"status": [before, to]},
        extra={"reason": reason, **(extra or {})},
    )


@transaction.atomic
def approve(request_obj, *, by, enterprise_data=None):
    """Verify the link: grant enterprise_user for the request's enterprise. When no
    enterprise with that credit code exists yet, the verifier creates it from
    `enterprise_data` (district, address, contact_phone)."""
    req = _lock(request_obj, by=by, expected=[S.PENDING])
    enterprise = Enterprise.objects.filter(credit_code=req.credit_code).first()
    if enterprise is None:
        data = enterprise_data or {}
        district = data.get("district")
        if district is None or not District.objects.assignable_for(by).filter(pk=district.pk).exists():
            raise ValidationError({"district": _("请选择企业所在区（须在您的管理范围内）。")})
        if not (data.get("address") or "").strip():
            raise ValidationError({"address": _("请填写企业地址。")})
        from qiservice.enterprises.workflow import save_enterprise

        enterprise = Enterprise(
            name=req.enterprise_name,
            credit_code=req.credit_code,
            district=district,
            address=data["address"].strip(),
            contact_name=req.contact_name,
            contact_phone=data.get("contact_phone") or req.phone,
            contact_email=req.email,
        )
        enterprise.full_clean()
        save_enterprise(enterprise, by=by)
    elif not Enterprise.objects.restrict(by, "change").filter(pk=enterprise.pk).exists():
        raise PermissionDenied
    role, created = RoleAssignment.objects.get_or_create(
        user=req.user, role=Role.ENTERPRISE_USER, enterprise=enterprise
    )
    if created:
        audit.record(AuditEvent.CREATED, role, actor=by, changes={"user": req.user_id, "enterprise": enterprise.pk})
    req.enterprise = enterprise
    req.decided_by, req.decided_at = by, timezone.now()
    _transition(req, S.APPROVED, by=by, extra={"enterprise": enterprise.pk})
    req.save()
    forget_scope(req.user)
    notify(
        [req.user],
        NotificationKind.ACCOUNT,
        _("您的企业账户已通过审核"),
        _("您已可代表“%(name)s”使用平台。") % {"name": enterprise.name},
        url=reverse("home"),
    )
    return req


@transaction.atomic
def reject(request_obj, *, by, reason):
    """Refuse the link, with a reason the requester reads."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写不予通过的原因。")})
    req = _lock(request_obj, by=by, expected=[S.PENDING])
    req.reason = reason
    req.decided_by, req.decided_at = by, timezone.now()
    _transition(req, S.REJECTED, by=by, reason=reason)
    req.save()
    notify(
        [req.user],
        NotificationKind.ACCOUNT,
        _("您的企业账户申请未通过审核"),
        reason,
        url=reverse("public:pending"),
    )
    return req


@transaction.atomic
def revoke(request_obj, *, by, reason=""):
    """Take a contact's access to the enterprise away: the role is deleted, so their next
    request already sees nothing of the enterprise."""
    req = _lock(request_obj, by=by, expected=[S.APPROVED])
    roles = RoleAssignment.objects.filter(user=req.user, role=Role.ENTERPRISE_USER, enterprise=req.enterprise)
    for role in roles:
        audit.record(AuditEvent.DELETED, role, actor=by, changes=audit.snapshot(role), extra={"reason": reason})
    roles.delete()
    req.revoked_by, req.revoked_at = by, timezone.now()
    req.reason = (reason or "").strip()
    _transition(req, S.REVOKED, by=by, reason=req.reason)
    req.save()
    forget_scope(req.user)
    notify(
        [req.user], NotificationKind.ACCOUNT, _("您的企业账户权限已被撤销"), req.reason, url=reverse("public:pending")
    )
    return req
