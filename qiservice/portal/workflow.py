"""The enterprise portal's rules: an online demand (8.1.1, source web), the plan's
acknowledgement (8.4.2 c) and the messages between the enterprise and those serving it
(8.4.2 d). The UI and the API call these functions; each runs in one transaction and writes
the audit log. Demands themselves are written by `demands.workflow` only.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.accounts.choices import Role
from qiservice.accounts.models import User
from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.demands import transitions as T
from qiservice.demands import workflow as demand_workflow
from qiservice.demands.choices import AttachmentStage, DemandSource, DispatchStatus
from qiservice.demands.models import Demand
from qiservice.demands.workflow import WorkflowError
from qiservice.enterprises.models import Enterprise
from qiservice.notifications.choices import NotificationKind
from qiservice.notifications.service import notify

from .choices import MessageSide
from .models import Message

# Limits of what one submission may carry (the model's own limits, checked before writing
# so that PostgreSQL never sees an over-long value).
MAX_LENGTHS = {"contact_name": 50, "contact_phone": 30, "address": 200, "description": 5000}
MAX_FILES = 5
MESSAGE_MAX_CHARS = 2000


def _require(condition, message, code="refused"):
    if not condition:
        raise WorkflowError(message, code=code)


# --- whose portal ------------------------------------------------------------------------------


def enterprises_of(user):
    """The enterprises whose portal the user may use (their verified enterprise roles)."""
    return Enterprise.objects.filter(pk__in=get_scope(user).enterprise_ids).order_by("name", "pk")


def demands_of(user):
    """The demands of the user's own enterprises: the portal's whole world. Reached through
    the data scope as well, so the portal can never show more than the rest of the site."""
    scope = get_scope(user)
    return Demand.objects.restrict(user).filter(enterprise_id__in=scope.enterprise_ids)


def serves(scope, demand, facts=None):
    """Those who answer the enterprise: the agency for the demand, its specialist (also
    before accepting it) and staff of an institution that accepted it."""
    facts = facts or T.Facts.of(demand)
    return (
        T.agency(scope, demand, facts)
        or (scope.is_specialist and demand.specialist_id == scope.specialist_id)
        or T.accepted_institution(scope, demand, facts)
    )


def side_of(user, demand, facts=None):
    """The side `user` writes messages on for `demand`, or None when they may not write."""
    scope = get_scope(user)
    if serves(scope, demand, facts):
        return MessageSide.SERVICE
    if T.enterprise(scope, demand, facts):
        return MessageSide.ENTERPRISE
    return None


def enterprise_users(demand):
    return User.objects.filter(
        is_active=True,
        role_assignments__role=Role.ENTERPRISE_USER,
        role_assignments__enterprise_id=demand.enterprise_id,
    ).distinct()


def service_users(demand):
    """Who hears from the enterprise: the demand's specialist and the staff of an institution
    that accepted it; while nobody serves it yet, the agency staff of its district."""
    from qiservice.demands.models import Dispatch

    institutions = Dispatch.objects.filter(demand=demand, status=DispatchStatus.ACCEPTED).values("institution_id")
    users = list(
        User.objects.filter(
            is_active=True,
            role_assignments__role=Role.INSTITUTION_STAFF,
            role_assignments__institution_id__in=institutions,
        ).distinct()
    )
    if demand.specialist_id:
        users.append(demand.specialist.user)
    if not users:
        users = list(
            User.objects.filter(
                is_active=True,
                role_assignments__role=Role.AGENCY_STAFF,
                role_assignments__district_id=demand.district_id,
            ).distinct()
        )
    return users


def portal_url(demand, anchor=""):
    from django.urls import reverse

    url = reverse("portal:demand", args=[demand.pk])
    return f"{url}#{anchor}" if anchor else url


# --- 8.1.1 the online demand ---------------------------------------------------------------------


def _clean_submission(contact_name, contact_phone, contact_email, address, description, uploads):
    for name, value in (
        ("contact_name", contact_name),
        ("contact_phone", contact_phone),
        ("address", address),
        ("description", description),
    ):
        _require(
            len((value or "").strip()) <= MAX_LENGTHS[name],
            _("“%(field)s”不能超过 %(n)d 个字。")
            % {"field": str(Demand._meta.get_field(name).verbose_name), "n": MAX_LENGTHS[name]},
        )
    email = (contact_email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise WorkflowError(_("请填写有效的电子邮箱。"), code="invalid") from None
    _require(len(uploads) <= MAX_FILES, _("一次最多上传 %(n)d 个附件。") % {"n": MAX_FILES})
    return email


@transaction.atomic
def submit_demand(
    *,
    by,
    enterprise,
    categories,
    description,
    contact_name,
    contact_phone,
    contact_email="",
    address="",
    uploads=(),
    uploads_are_secret=False,
):
    """8.1.1 — an enterprise's user submits a demand online (Appendix A, source 网络).

    It is registered by `demands.workflow.register_demand` like any other (number,
    deadlines, automatic assignment when the agency turned it on) with the user as 填表人;
    its attachments are checked on their content. All or nothing: a refused attachment
    leaves no demand, no number used and no file behind."""
    scope = get_scope(by)
    _require(
        enterprise is not None and enterprise.pk in scope.enterprise_ids,
        _("只有经核实的服务对象用户可以在门户提交需求。"),
        code="not_permitted",
    )
    uploads = list(uploads or [])
    email = _clean_submission(contact_name, contact_phone, contact_email, address, description, uploads)
    demand = demand_workflow.register_demand(
        enterprise=enterprise,
        categories=categories,
        source=DemandSource.WEB,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=email,
        address=address,
        description=description,
        by=by,
    )
    stored = []
    try:
        for upload in uploads:
            stored.append(
                demand_workflow.add_attachment(
                    demand,
                    upload,
                    by=by,
                    stage=AttachmentStage.REGISTRATION,
                    is_trade_secret=uploads_are_secret,
                    description=_("服务对象网上提交"),
                )
            )
    except WorkflowError as error:
        for attachment in stored:  # their rows roll back with the demand; the files go too
            attachment.file.storage.delete(attachment.file.name)
        name = getattr(upload, "name", "")
        raise WorkflowError(
            _("附件“%(name)s”：%(reason)s") % {"name": name, "reason": " ".join(error.messages)}, code="invalid"
        ) from error
    demand.refresh_from_db()
    agency_staff = User.objects.filter(
        is_active=True, role_assignments__role=Role.AGENCY_STAFF, role_assignments__district_id=demand.district_id
    ).distinct()
    notify(
        agency_staff,
        NotificationKind.NEW_DEMAND,
        _("新的网上需求：%(number)s %(enterprise)s") % {"number": demand.number, "enterprise": enterprise.name},
        demand.description[:200],
        url=demand.get_absolute_url(),
        demand=demand,
    )
    return demand


# --- 8.4.2 c the plan's acknowledgement ------------------------------------------------------


@transaction.atomic
def acknowledge_plan(demand, *, by, expected_version=None):
    """8.4.2 c — the enterprise reads the agreement and the plan and taps "已知悉": the plan
    records when and who (`ServicePlan.acknowledged_at/by`) and counts as told; those
    serving the demand hear of it."""
    scope = get_scope(by)
    _require(T.enterprise(scope, demand, None), _("只有该服务对象的用户可以确认知悉服务方案。"), code="not_permitted")
    _require(not serves(scope, demand), _("服务方不能代替服务对象确认知悉。"), code="not_permitted")
    plan = demand_workflow.mark_informed(demand, by=by, expected_version=expected_version)
    notify(
        service_users(demand),
        NotificationKind.PLAN_ACKNOWLEDGED,
        _("%(enterprise)s 已确认知悉服务方案：%(number)s")
        % {"enterprise": demand.enterprise.name, "number": demand.number},
        url=demand.get_absolute_url() + "#plan",
        demand=demand,
    )
    return plan


# --- withdrawing ---------------------------------------------------------------------------------


@transaction.atomic
def withdraw_demand(demand, *, by, reason, expected_version=None):
    """The enterprise withdraws its demand: the transition table's `withdraw`, from the portal."""
    scope = get_scope(by)
    _require(T.enterprise(scope, demand, None), _("只有该服务对象的用户可以撤回需求。"), code="not_permitted")
    return demand_workflow.withdraw(demand, by=by, reason=reason, expected_version=expected_version)


# --- 8.4.2 d messages ----------------------------------------------------------------------------


@transaction.atomic
def post_message(demand, *, by, text):
    """A message from the enterprise to those serving it, or back. Writing is reading:
    the other side's unread messages are marked read. The other side is notified."""
    demand = (
        Demand.objects.select_for_update(of=("self",))
        .select_related("specialist__user", "enterprise")
        .get(pk=demand.pk)
    )
    side = side_of(by, demand)
    _require(side is not None, _("您无权在该需求下留言。"), code="not_permitted")
    text = (text or "").strip()
    _require(text, _("请填写留言内容。"), code="invalid")
    _require(len(text) <= MESSAGE_MAX_CHARS, _("留言不能超过 %(n)d 个字。") % {"n": MESSAGE_MAX_CHARS}, code="invalid")
    _mark_read(demand, side)
    message = Message.objects.create(demand=demand, author=by, side=side, text=text)
    audit.record(
        AuditEvent.CREATED, message, actor=by, changes={"side": side, "text": text}, extra={"demand": demand.number}
    )
    if side == MessageSide.ENTERPRISE:
        recipients, url = service_users(demand), demand.get_absolute_url() + "#messages"
        title = _("%(enterprise)s 留言：%(number)s") % {"enterprise": demand.enterprise.name, "number": demand.number}
    else:
        recipients, url = enterprise_users(demand), portal_url(demand, "messages")
        title = _("需求 %(number)s 有新的回复") % {"number": demand.number}
    recipients = [u for u in recipients if u.pk != by.pk]
    notify(recipients, NotificationKind.MESSAGE, title, text[:500], url=url, demand=demand)
    return message


def _mark_read(demand, side):
    """Mark the messages written to `side` read; the number marked."""
    other = MessageSide.SERVICE if side == MessageSide.ENTERPRISE else MessageSide.ENTERPRISE
    return Message.objects.filter(demand=demand, side=other, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def mark_messages_read(demand, *, by):
    """The user opened the messages: what the other side wrote is read. Auditors and
    others who only look change nothing."""
    side = side_of(by, demand)
    if side is None:
        return 0
    count = _mark_read(demand, side)
    if count:
        audit.record(AuditEvent.UPDATED, demand, actor=by, extra={"messages_read": count, "side": side})
    return count
