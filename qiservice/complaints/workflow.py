"""Complaint handling (GB/T 19012 style, 8.6): an enterprise complains about a service or
a specialist; the agency receives, acknowledges, investigates, answers and closes it, each
step within a time limit in working days. Every step is locked, checked against the
transition table, recorded as a ComplaintStep and in the audit log."""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qiservice.accounts.choices import Role
from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.visibility import get_scope
from qiservice.deadlines.calendar import add_working_days
from qiservice.notifications.choices import NotificationKind
from qiservice.notifications.service import notify

from .choices import DEFAULT_TIME_LIMITS, NEXT_STATUS, ComplaintStatus
from .models import Complaint, ComplaintStep

S = ComplaintStatus


def time_limit(status):
    """Working days allowed for the step out of `status` (settings override the default)."""
    limits = {**DEFAULT_TIME_LIMITS, **getattr(settings, "COMPLAINT_TIME_LIMITS", {})}
    return limits.get(status)


def due_date(status, since):
    """The last day for the step out of `status`, counted in working days from the day
    the complaint entered it (holidays and make-up working days honoured)."""
    days = time_limit(status)
    if days is None:
        return None
    return add_working_days(timezone.localdate(since), days).day


def _agency_users(enterprise):
    from qiservice.accounts.models import RoleAssignment

    ids = RoleAssignment.objects.filter(
        Q(role=Role.AGENCY_ADMIN) | Q(role=Role.AGENCY_STAFF, district_id=enterprise.district_id)
    ).values("user_id")
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


def _enterprise_users(complaint):
    from qiservice.accounts.models import RoleAssignment

    ids = RoleAssignment.objects.filter(role=Role.ENTERPRISE_USER, enterprise_id=complaint.enterprise_id).values(
        "user_id"
    )
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


@transaction.atomic
def submit(*, enterprise, by, subject, text, demand=None, specialist=None):
    """An enterprise user complains about one of its demands and/or a specialist who
    served it. Nothing is created when a rule is broken."""
    scope = get_scope(by)
    if enterprise is None or enterprise.pk not in scope.enterprise_ids:
        raise PermissionDenied(_("只能以本企业名义投诉。"))
    from qiservice.demands.models import Demand

    errors = {}
    subject, text = (subject or "").strip(), (text or "").strip()
    if not subject:
        errors["subject"] = _("请填写投诉事由。")
    if len(text) < 10:
        errors["text"] = _("请具体描述投诉内容（至少10个字）。")
    if demand is None and specialist is None:
        errors["demand"] = _("请选择投诉涉及的服务需求或服务专员（至少一项）。")
    if demand is not None and demand.enterprise_id != enterprise.pk:
        errors["demand"] = _("只能投诉本企业的服务需求。")
    if specialist is not None:
        served = Demand.objects.filter(enterprise=enterprise, specialist=specialist)
        if demand is not None:
            served = served.filter(pk=demand.pk)
        if not served.exists():
            errors["specialist"] = _("该服务专员未承办过本企业的服务需求。")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    complaint = Complaint(
        number=f"TMP-{uuid.uuid4().hex[:16]}",  # replaced by the real number below
        enterprise=enterprise,
        demand=demand,
        specialist=specialist,
        subject=subject[:100],
        text=text,
        submitted_by=by,
        submitted_at=now,
        status=S.RECEIVED,
        status_since=now,
        due_on=due_date(S.RECEIVED, now),
    )
    complaint.save()
    complaint.number = f"TS-{timezone.localdate(now).year}-{complaint.pk:06d}"
    complaint.save(update_fields=["number"])
    ComplaintStep.objects.create(complaint=complaint, to_status=S.RECEIVED, actor=by, at=now, due_on=complaint.due_on)
    audit.record(AuditEvent.CREATED, complaint, actor=by, changes=audit.snapshot(complaint))
    notify(
        _agency_users(enterprise),
        NotificationKind.COMPLAINT,
        _("收到投诉 %(number)s：%(subject)s") % {"number": complaint.number, "subject": complaint.subject},
        _("请在 %(due)s 前受理。") % {"due": complaint.due_on},
        url=complaint.get_absolute_url(),
    )
    return complaint


def _advance(complaint, to, *, by, note="", **fields):
    stored = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if not Complaint.objects.restrict(by, "change").filter(pk=stored.pk).exists():
        raise PermissionDenied(_("只有管理机构可以处理投诉。"))
    if NEXT_STATUS.get(stored.status) != to:
        raise ValidationError(
            _("投诉当前状态为“%(status)s”，不能执行此操作，请刷新页面。") % {"status": stored.get_status_display()}
        )
    before = audit.snapshot(stored)
    now = timezone.now()
    was_late = stored.due_on is not None and timezone.localdate(now) > stored.due_on
    ComplaintStep.objects.create(
        complaint=stored,
        from_status=stored.status,
        to_status=to,
        actor=by,
        note=(note or "").strip(),
        at=now,
        due_on=stored.due_on,
        was_late=was_late,
    )
    for name, value in fields.items():
        setattr(stored, name, value)
    stored.status = to
    stored.status_since = now
    stored.due_on = due_date(to, now)
    stored.save()
    audit.record(
        AuditEvent.TRANSITION,
        stored,
        actor=by,
        changes=audit.diff(before, audit.snapshot(stored)),
        extra={"note": (note or "").strip(), "late": was_late},
    )
    return stored


@transaction.atomic
def acknowledge(complaint, *, by, note=""):
    """Receipt acknowledged to the enterprise; the investigation's time limit starts."""
    stored = _advance(complaint, S.ACKNOWLEDGED, by=by, note=note)
    notify(
        _enterprise_users(stored),
        NotificationKind.COMPLAINT,
        _("您的投诉 %(number)s 已受理") % {"number": stored.number},
        note,
        url=stored.get_absolute_url(),
    )
    return stored


@transaction.atomic
def investigate(complaint, *, by, findings):
    """The agency's investigation: findings are internal notes."""
    findings = (findings or "").strip()
    if not findings:
        raise ValidationError({"findings": _("请填写调查情况。")})
    return _advance(complaint, S.INVESTIGATED, by=by, findings=findings)


@transaction.atomic
def answer(complaint, *, by, answer, upheld):
    """The answer the enterprise reads, and whether the complaint is upheld. From now on
    the specialist complained about may read the complaint and the answer."""
    answer = (answer or "").strip()
    errors = {}
    if not answer:
        errors["answer"] = _("请填写答复意见。")
    if upheld is None:
        errors["upheld"] = _("请选择投诉是否成立。")
    if errors:
        raise ValidationError(errors)
    stored = _advance(complaint, S.ANSWERED, by=by, answer=answer, upheld=bool(upheld), answered_at=timezone.now())
    recipients = _enterprise_users(stored)
    if stored.specialist_id and stored.specialist.user_id:
        recipients.append(stored.specialist.user)
    notify(
        recipients,
        NotificationKind.COMPLAINT,
        _("投诉 %(number)s 已答复") % {"number": stored.number},
        answer,
        url=stored.get_absolute_url(),
    )
    return stored


@transaction.atomic
def close(complaint, *, by, note=""):
    """The complaint is closed (办结); an upheld one counts in the specialist's assessment."""
    return _advance(complaint, S.CLOSED, by=by, note=note, closed_at=timezone.now())


ACTIONS = {
    S.RECEIVED: ("acknowledge", gettext_lazy("受理并告知企业")),
    S.ACKNOWLEDGED: ("investigate", gettext_lazy("记录调查情况")),
    S.INVESTIGATED: ("answer", gettext_lazy("答复企业")),
    S.ANSWERED: ("close", gettext_lazy("办结")),
}


def _closed_between(start, end):
    if isinstance(start, datetime.datetime):
        start = timezone.localdate(start)
    if isinstance(end, datetime.datetime):
        end = timezone.localdate(end)
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    finish = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return Complaint.objects.filter(upheld=True, status=S.CLOSED, closed_at__gte=begin, closed_at__lt=finish)


def upheld_counts(specialist_ids, start, end):
    """{specialist id: upheld complaints closed in the period} in one aggregate query."""
    rows = (
        _closed_between(start, end)
        .filter(specialist_id__in=list(specialist_ids))
        .values("specialist_id")
        .annotate(n=models.Count("pk"))
    )
    return {row["specialist_id"]: row["n"] for row in rows}


def upheld_count(specialist, start, end):
    """Upheld complaints about `specialist` closed between `start` and `end` (dates,
    inclusive, Asia/Shanghai) — an indicator of the performance assessment (8.6.2)."""
    specialist_id = getattr(specialist, "pk", specialist)
    return _closed_between(start, end).filter(specialist_id=specialist_id).count()
