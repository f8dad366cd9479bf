"""The demand workflow's rules (clauses 7 and 8). The UI, the API, imports and the demo data
call these functions; nothing else writes a demand or its records.

Every function runs in one transaction, locks the demand row, checks the transition table
(`transitions.py`) and the caller's right to act, writes the change, a `StatusChange` row
for a transition, and the audit log. When the caller passes the version they loaded and
someone else changed the demand since, nothing is written and they are told so.
"""

import codecs
import hashlib
import zipfile
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.choices import QIField
from qiservice.core.files import safe_file_name
from qiservice.core.models import AuditEvent
from qiservice.core.validators import normalize_phone, validate_phone
from qiservice.core.visibility import get_scope
from qiservice.deadlines import service as deadlines
from qiservice.enterprises.workflow import verify_profile
from qiservice.notifications.choices import NotificationKind
from qiservice.notifications.service import notify
from qiservice.specialists.choices import SpecialistStatus

from . import transitions as T
from .choices import (
    AssignmentStatus,
    CaseStatus,
    DemandSource,
    DemandStatus,
    DispatchStatus,
    NoteKind,
    RiskKind,
    ServiceMode,
    TargetStatus,
)
from .models import (
    Agreement,
    Assignment,
    Attachment,
    Demand,
    DemandCategory,
    DemandSequence,
    Dispatch,
    Escalation,
    LedgerEntry,
    Milestone,
    Note,
    Preparation,
    ServicePlan,
    StatusChange,
    Summary,
    TaskTarget,
    TypicalCase,
)


class WorkflowError(ValidationError):
    """A refused action: the message says why, in Chinese; nothing was written."""


class StaleDemandError(WorkflowError):
    pass


# --- helpers ------------------------------------------------------------------------------


def _lock(demand, expected_version=None):
    """The demand's stored row, locked for this transaction."""
    locked = Demand.objects.select_for_update().get(pk=demand.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        raise StaleDemandError(
            _("该需求已被他人更新（当前第%(v)d版），请刷新页面查看最新情况后再操作，您填写的内容未保存。")
            % {"v": locked.version},
            code="stale",
        )
    return locked


def _require(condition, message):
    if not condition:
        raise WorkflowError(message)


def _transition(demand, action, by):
    """Check that `by` may take `action` on the locked demand now; returns (row, facts)."""
    row = T.TRANSITIONS[action]
    scope = get_scope(by)
    facts = T.Facts.of(demand)
    if demand.status not in row.sources or (row.modes and demand.service_mode not in row.modes):
        raise WorkflowError(
            _("需求当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": DemandStatus(demand.status).label, "action": row.label},
            code="not_allowed_now",
        )
    if row not in T.available_actions(scope, demand, facts):
        raise WorkflowError(_("您无权对该需求执行“%(action)s”。") % {"action": row.label}, code="not_permitted")
    missing = row.missing(demand, facts)
    if missing:
        raise WorkflowError(missing, code="missing_record")
    return row, facts


def _move(demand, action, to_status, by, reason=""):
    from_status = demand.status
    demand.status = to_status
    demand.version += 1
    demand.save()
    StatusChange.objects.create(
        demand=demand, action=action, from_status=from_status, to_status=to_status, actor=by, reason=reason
    )
    deadlines.on_transition(demand, from_status, to_status)
    audit.record(
        AuditEvent.TRANSITION,
        demand,
        actor=by,
        changes={"status": [from_status, to_status]},
        extra={"action": action, "reason": reason} if reason else {"action": action},
    )


def _touch(demand, by, what, target=None, changes=None, fields=()):
    """A change to a demand's records that is not a transition: bump the version, audit it
    (`fields`: the demand's own fields the change set, saved with the version)."""
    demand.version += 1
    demand.save(update_fields=["version", "updated_at", *fields])
    audit.record(
        AuditEvent.UPDATED if changes else AuditEvent.CREATED,
        target or demand,
        actor=by,
        changes=changes,
        extra={"demand": demand.number, "what": what},
    )


def _reason(reason):
    reason = (reason or "").strip()
    _require(reason, _("请填写理由。"))
    return reason


def _text(value, label):
    value = (value or "").strip()
    _require(value, _("请填写“%(field)s”。") % {"field": label})
    return value


def is_agency_for(scope, demand):
    return T.agency(scope, demand, None)


def works_on(scope, demand, facts=None):
    """The assigned specialist or staff of an institution that accepted the demand."""
    facts = facts or T.Facts.of(demand)
    return T.assigned_specialist(scope, demand, facts) or T.accepted_institution(scope, demand, facts)


# --- 8.1 registration ---------------------------------------------------------------------


def next_number(year):
    """QI-<year>-<6 digits>, from a locked per-year counter: unique and without gaps."""
    DemandSequence.objects.get_or_create(year=year)
    sequence = DemandSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"QI-{year}-{sequence.last:06d}"


@transaction.atomic
def register_demand(
    *,
    enterprise,
    categories,
    source,
    contact_name,
    contact_phone,
    description,
    by,
    contact_email="",
    address="",
    collected_on=None,
    task_target=None,
):
    """8.1 — register a demand (Appendix A). A specialist who registers it serves it; the
    agency assigns demands registered by others (or by the enterprise online)."""
    categories = [c for c in QIField.values if c in set(categories or [])]
    _require(categories, _("请至少选择一个需求类别。"))
    _require(source in DemandSource.values, _("请选择需求来源。"))
    description = _text(description, _("需求描述"))
    contact_name = _text(contact_name, _("联系人"))
    validate_phone(contact_phone)
    scope = get_scope(by)
    from qiservice.enterprises.models import Enterprise

    _require(
        Enterprise.objects.restrict(by, "change").filter(pk=enterprise.pk).exists(),
        _("您无权为该服务对象登记需求。"),
    )
    now = timezone.now()
    demand = Demand(
        number=next_number(timezone.localdate(now).year),
        enterprise=enterprise,
        district_id=enterprise.district_id,
        address=(address or "").strip() or enterprise.address,
        source=source,
        contact_name=contact_name,
        contact_phone=normalize_phone(contact_phone),
        contact_email=(contact_email or "").strip(),
        description=description,
        collected_on=collected_on or timezone.localdate(now),
        registered_at=now,
        registered_on=timezone.localdate(now),
        registered_by=by,
    )
    if task_target is not None:
        demand.special_task_id = task_target.task_id
    if scope.is_specialist:
        demand.specialist_id = scope.specialist_id
    demand.save()
    DemandCategory.objects.bulk_create(DemandCategory(demand=demand, category=c) for c in categories)
    StatusChange.objects.create(demand=demand, action="register", to_status=DemandStatus.REGISTERED, actor=by)
    deadlines.on_register(demand)
    audit.record(AuditEvent.CREATED, demand, actor=by, changes=audit.snapshot(demand) | {"categories": categories})
    if scope.is_specialist:
        # Registering it yourself is taking it on: the assignment is accepted at once.
        Assignment.objects.create(
            demand=demand,
            specialist_id=scope.specialist_id,
            assigned_by=by,
            status=AssignmentStatus.ACCEPTED,
            responded_at=now,
            note=_("服务专员自行登记"),
        )
    if task_target is not None:
        TaskTarget.objects.filter(pk=task_target.pk).update(status=TargetStatus.DEMAND_REGISTERED, demand=demand)
    if not scope.is_specialist:
        _auto_assign(demand, by)
    return demand


def _auto_assign(demand, by):
    """When the agency turned automatic assignment on, the top suggestion is assigned at
    once (the specialist still accepts or declines)."""
    from qiservice.specialists import matching
    from qiservice.specialists.models import MatchingWeights

    if not MatchingWeights.current().auto_assign:
        return None
    ranking = matching.rank_for_demand(demand, limit=1)
    if not ranking.candidates:
        return None
    specialist = ranking.candidates[0].specialist
    assignment = Assignment.objects.create(
        demand=demand, specialist=specialist, assigned_by=by, note=_("系统按匹配结果自动指派")
    )
    demand.specialist = specialist
    demand.save(update_fields=["specialist", "updated_at"])
    audit.record(
        AuditEvent.UPDATED, demand, actor=by, changes={"specialist": [None, specialist.pk]}, extra={"auto": True}
    )
    notify(
        [specialist.user],
        NotificationKind.ASSIGNMENT,
        _("新的需求指派：%(number)s %(enterprise)s") % {"number": demand.number, "enterprise": demand.enterprise.name},
        url=demand.get_absolute_url(),
        demand=demand,
    )
    return assignment


# --- supervision and assignment (4.2, 6.1) -------------------------------------------------


@transaction.atomic
def assign(demand, specialist, *, by, note="", expected_version=None):
    """The agency assigns (or reassigns) a demand to a specialist, who then accepts or declines."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    _require(is_agency_for(scope, demand), _("只有管理机构可以指派服务专员。"))
    _require(demand.is_open, _("需求已结束，不能再指派。"))
    _require(
        specialist.status == SpecialistStatus.ACTIVE,
        _("%(name)s 当前状态为“%(status)s”，不能承接需求。")
        % {"name": specialist.name, "status": specialist.get_status_display()},
    )
    current = demand.assignments.order_by("-assigned_at", "-pk").first()
    _require(
        not (current and current.specialist_id == specialist.pk and current.status != AssignmentStatus.DECLINED),
        _("该需求已指派给 %(name)s。") % {"name": specialist.name},
    )
    open_load = Demand.objects.open().filter(specialist=specialist).exclude(pk=demand.pk).count()
    _require(
        open_load < specialist.capacity,
        _("%(name)s 在办需求已达上限（%(n)d 件），请选择其他服务专员。")
        % {"name": specialist.name, "n": specialist.capacity},
    )
    if current and current.status in (AssignmentStatus.PENDING, AssignmentStatus.ACCEPTED):
        current.status = AssignmentStatus.REPLACED
        current.responded_at = current.responded_at or timezone.now()
        current.save(update_fields=["status", "responded_at"])
    assignment = Assignment.objects.create(demand=demand, specialist=specialist, assigned_by=by, note=note.strip())
    notify(
        [specialist.user],
        NotificationKind.ASSIGNMENT,
        _("新的需求指派：%(number)s %(enterprise)s") % {"number": demand.number, "enterprise": demand.enterprise.name},
        note,
        url=demand.get_absolute_url(),
        demand=demand,
    )
    previous = demand.specialist_id
    demand.specialist = specialist
    _touch(
        demand, by, "assign", target=demand, changes={"specialist": [previous, specialist.pk]}, fields=["specialist"]
    )
    return assignment


@transaction.atomic
def respond_to_assignment(demand, *, by, accept, reason="", expected_version=None):
    """6.1 — the specialist accepts the assignment, or declines it with a reason."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    assignment = demand.assignments.order_by("-assigned_at", "-pk").first()
    _require(
        assignment is not None
        and assignment.status == AssignmentStatus.PENDING
        and assignment.specialist_id == scope.specialist_id,
        _("没有等待您确认的指派。"),
    )
    assignment.responded_at = timezone.now()
    if accept:
        assignment.status = AssignmentStatus.ACCEPTED
    else:
        assignment.status = AssignmentStatus.DECLINED
        assignment.reason = _reason(reason)
        demand.specialist = None
    assignment.save()
    notify(
        [assignment.assigned_by],
        NotificationKind.ASSIGNMENT_ANSWER,
        (_("%(name)s 已接受需求 %(number)s") if accept else _("%(name)s 拒绝了需求 %(number)s，请重新指派"))
        % {"name": assignment.specialist.name, "number": demand.number},
        assignment.reason,
        url=demand.get_absolute_url(),
        demand=demand,
    )
    _touch(
        demand,
        by,
        "accept_assignment" if accept else "decline_assignment",
        target=assignment,
        changes={"status": [AssignmentStatus.PENDING, assignment.status], "reason": assignment.reason},
        fields=["specialist"],
    )
    return assignment


@transaction.atomic
def add_note(demand, *, by, kind, text, expected_version=None):
    """4.2 instructions (agency, internal) and 8.4.2 d progress updates (specialist, institution)."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    text = _text(text, _("内容"))
    if kind == NoteKind.INSTRUCTION:
        _require(is_agency_for(scope, demand), _("只有管理机构可以下达工作指示。"))
    else:
        _require(kind == NoteKind.PROGRESS, _("未知的记录类型。"))
        _require(demand.is_open, _("需求已结束，不能再添加进展。"))
        _require(works_on(scope, demand), _("只有承办的服务专员或技术机构可以填写进展。"))
    note = Note.objects.create(demand=demand, kind=kind, text=text, author=by)
    _touch(demand, by, kind, target=note)
    return note


# --- 8.2 preparation ----------------------------------------------------------------------


@transaction.atomic
def start_preparation(demand, *, by, expected_version=None):
    demand = _lock(demand, expected_version)
    _transition(demand, "start_preparation", by)
    _move(demand, "start_preparation", DemandStatus.PREPARING, by)
    return demand


@transaction.atomic
def save_preparation(
    demand,
    *,
    by,
    plan_notes,
    content,
    risks,
    process_notes="",
    special_handling="",
    enterprise_suggestions="",
    expected_version=None,
):
    """8.2.1–8.2.4 — plan notes, preliminary content by QI field, suggestions, risks."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    _require(demand.status == DemandStatus.PREPARING, _("只有在服务准备阶段可以填写服务准备记录。"))
    _require(T.assigned_specialist(scope, demand, T.Facts.of(demand)), _("只有承办的服务专员可以填写服务准备记录。"))
    plan_notes = _text(plan_notes, _("计划与安排"))
    content = {k: v.strip() for k, v in (content or {}).items() if k in QIField.values and (v or "").strip()}
    _require(content, _("请至少按一个领域填写初步服务内容。"))
    risks = {k: (v or "").strip() for k, v in (risks or {}).items() if k in RiskKind.values}
    preparation = Preparation.objects.filter(demand=demand).first()
    before = audit.snapshot(preparation) if preparation else None
    preparation = preparation or Preparation(demand=demand)
    preparation.plan_notes = plan_notes
    preparation.process_notes = (process_notes or "").strip()
    preparation.special_handling = (special_handling or "").strip()
    preparation.content = content
    preparation.enterprise_suggestions = (enterprise_suggestions or "").strip()
    preparation.risks = risks
    preparation.updated_by = by
    preparation.save()
    audit.record_save(preparation, before, actor=by)
    demand.version += 1
    demand.save(update_fields=["version", "updated_at"])
    return preparation


@transaction.atomic
def verify_enterprise(demand, *, by, expected_version=None, **profile):
    """8.2.2 — the specialist verifies the enterprise's profile while preparing."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    _require(
        demand.is_open and (T.assigned_specialist(scope, demand, T.Facts.of(demand)) or is_agency_for(scope, demand)),
        _("只有承办的服务专员或管理机构可以核实服务对象信息。"),
    )
    allowed = {"size", "main_products", "rd_capability", "production_capacity", "quality_management"}
    enterprise = verify_profile(demand.enterprise, by=by, **{k: v for k, v in profile.items() if k in allowed})
    demand.version += 1
    demand.save(update_fields=["version", "updated_at"])
    return enterprise


@transaction.atomic
def confirm(demand, *, by, mode, reason, expected_version=None):
    """8.3 — decide: serve directly, or escalate for assistance; with the reason."""
    demand = _lock(demand, expected_version)
    _transition(demand, "confirm", by)
    _require(mode in ServiceMode.values, _("请选择服务方式：直接提供服务或寻求服务协助。"))
    demand.service_mode = mode
    demand.confirmation_reason = _reason(reason)
    demand.confirmed_at = timezone.now()
    _move(
        demand, "confirm", DemandStatus.CONFIRMED, by, reason=f"{ServiceMode(mode).label}：{demand.confirmation_reason}"
    )
    return demand


# --- 8.4 implementation -------------------------------------------------------------------


@transaction.atomic
def sign_agreement(
    demand, *, by, period_start, period_end, content, method, signed_on, scan=None, expected_version=None
):
    """8.4.1 a / 8.4.2 b — record the signed service agreement."""
    demand = _lock(demand, expected_version)
    _row, facts = _transition(demand, "sign_agreement", by)
    content = _text(content, _("服务内容"))
    _require(period_start and period_end and period_end >= period_start, _("服务周期的结束日期不能早于开始日期。"))
    _require(signed_on, _("请填写签订日期。"))
    from .choices import ServiceMethod

    _require(method in ServiceMethod.values, _("请选择服务方式。"))
    institution_id = None
    parties = [demand.enterprise.name]
    if demand.service_mode == ServiceMode.ASSISTED:
        from qiservice.institutions.models import Institution

        institution_id = min(facts.accepted_institutions)
        parties += [_("协同服务管理机构"), Institution.objects.get(pk=institution_id).name]
    else:
        parties.append(_("服务专员 %(name)s") % {"name": demand.specialist.name})
    agreement = Agreement.objects.create(
        demand=demand,
        institution_id=institution_id,
        parties="、".join(str(p) for p in parties),
        period_start=period_start,
        period_end=period_end,
        content=content,
        method=method,
        signed_on=signed_on,
        scan=scan,
        created_by=by,
    )
    audit.record(AuditEvent.CREATED, agreement, actor=by, changes=audit.snapshot(agreement))
    _move(demand, "sign_agreement", DemandStatus.AGREEMENT_SIGNED, by)
    return agreement


@transaction.atomic
def make_plan(demand, *, by, objectives, milestones, resources="", expected_version=None):
    """8.4.1 b / 8.4.2 c — the service plan from the agreement, with milestones
    (a list of {"title", "due_on"})."""
    demand = _lock(demand, expected_version)
    _transition(demand, "make_plan", by)
    objectives = _text(objectives, _("服务目标"))
    milestones = [m for m in milestones or [] if (m.get("title") or "").strip()]
    _require(milestones, _("请至少填写一个方案步骤。"))
    _require(all(m.get("due_on") for m in milestones), _("每个方案步骤都需要计划完成日期。"))
    plan = ServicePlan.objects.create(
        demand=demand,
        agreement=demand.agreements.order_by("-created_at", "-pk").first(),
        objectives=objectives,
        resources=(resources or "").strip(),
        created_by=by,
    )
    Milestone.objects.bulk_create(
        Milestone(plan=plan, title=m["title"].strip(), due_on=m["due_on"]) for m in milestones
    )
    audit.record(AuditEvent.CREATED, plan, actor=by, changes=audit.snapshot(plan) | {"milestones": len(milestones)})
    _move(demand, "make_plan", DemandStatus.PLAN_MADE, by)
    return plan


@transaction.atomic
def mark_informed(demand, *, by, informed_on=None, expected_version=None):
    """8.4.2 c — stamp that the enterprise was told the plan (or acknowledged it itself).

    A user of the demand's own enterprise (who does not also serve it) acknowledges: the
    plan records when and who (`acknowledged_at`/`acknowledged_by`), once; the informed
    stamp is set too unless the service side recorded it already."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    plan = demand.plans.order_by("-created_at", "-pk").first()
    _require(plan is not None, _("还没有服务方案。"))
    serving = works_on(scope, demand) or is_agency_for(scope, demand)
    _require(serving or T.enterprise(scope, demand, None), _("您无权记录方案告知情况。"))
    before = {"enterprise_informed_on": plan.enterprise_informed_on, "acknowledged_at": plan.acknowledged_at}
    if serving:
        plan.enterprise_informed_on = informed_on or timezone.localdate()
        plan.informed_by = by
    else:
        _require(plan.acknowledged_at is None, _("您已确认知悉该服务方案。"))
        plan.acknowledged_at = timezone.now()
        plan.acknowledged_by = by
        if plan.enterprise_informed_on is None:
            plan.enterprise_informed_on = timezone.localdate(plan.acknowledged_at)
            plan.informed_by = by
    plan.save(update_fields=["enterprise_informed_on", "informed_by", "acknowledged_at", "acknowledged_by"])
    _touch(
        demand,
        by,
        "mark_informed" if serving else "acknowledge_plan",
        target=plan,
        changes={name: [value, getattr(plan, name)] for name, value in before.items() if value != getattr(plan, name)},
    )
    return plan


@transaction.atomic
def update_milestone(milestone, *, by, progress, notes="", done_on=None, expected_version=None):
    """8.4.1 c — track a milestone's progress."""
    demand = _lock(milestone.plan.demand, expected_version)
    _require(works_on(get_scope(by), demand), _("只有承办的服务专员或技术机构可以更新方案进度。"))
    _require(demand.is_open, _("需求已结束。"))
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise WorkflowError(_("完成进度应为0至100之间的整数。")) from None
    _require(0 <= progress <= 100, _("完成进度应为0至100之间的整数。"))
    before = audit.snapshot(milestone)
    milestone.progress = progress
    milestone.notes = (notes or milestone.notes).strip()
    milestone.done_on = done_on or (
        timezone.localdate() if progress == 100 and not milestone.done_on else milestone.done_on
    )
    milestone.save()
    _touch(demand, by, "update_milestone", target=milestone, changes=audit.diff(before, audit.snapshot(milestone)))
    return milestone


@transaction.atomic
def start_service(demand, *, by, expected_version=None):
    demand = _lock(demand, expected_version)
    _transition(demand, "start_service", by)
    _move(demand, "start_service", DemandStatus.IN_SERVICE, by)
    return demand


@transaction.atomic
def escalate(demand, *, by, reason, needs, expected_version=None):
    """8.4.2 a — report to the platform for assistance. From a direct service this is the
    switch of 8.4.1 e: everything recorded so far stays with the demand."""
    demand = _lock(demand, expected_version)
    switching = demand.service_mode == ServiceMode.DIRECT
    action = "switch_to_assisted" if switching else "escalate"
    _transition(demand, action, by)
    escalation = Escalation.objects.create(
        demand=demand,
        reason=_reason(reason),
        needs=_text(needs, _("所需协助")),
        switched_from_direct=switching,
        reported_by=by,
    )
    audit.record(AuditEvent.CREATED, escalation, actor=by, changes=audit.snapshot(escalation))
    demand.service_mode = ServiceMode.ASSISTED
    _move(demand, action, DemandStatus.ESCALATED, by, reason=escalation.reason)
    return escalation


@transaction.atomic
def dispatch(demand, *, by, institutions, note="", expected_version=None):
    """8.4.2 b — the agency dispatches the escalation to one or more institutions."""
    demand = _lock(demand, expected_version)
    _transition(demand, "dispatch", by)
    institutions = list(institutions)
    _require(institutions, _("请至少选择一个技术机构。"))
    _require(all(i.is_active for i in institutions), _("所选技术机构已出库，不能派单。"))
    escalation = demand.escalations.order_by("-reported_at", "-pk").first()
    already = set(escalation.dispatches.values_list("institution_id", flat=True))
    _require(
        not already & {i.pk for i in institutions},
        _("已派给过该技术机构（含已拒绝的），请选择其他机构。"),
    )
    dispatches = [
        Dispatch.objects.create(escalation=escalation, institution=i, note=(note or "").strip(), dispatched_by=by)
        for i in institutions
    ]
    names = "、".join(i.name for i in institutions)
    from qiservice.accounts.models import User

    notify(
        User.objects.filter(role_assignments__role="institution_staff", role_assignments__institution__in=institutions),
        NotificationKind.DISPATCH,
        _("新的派单：%(number)s %(enterprise)s") % {"number": demand.number, "enterprise": demand.enterprise.name},
        escalation.needs,
        url=demand.get_absolute_url(),
        demand=demand,
    )
    _move(demand, "dispatch", DemandStatus.DISPATCHED, by, reason=names)
    return dispatches


def _pending_dispatch(demand, by):
    scope = get_scope(by)
    dispatch_row = (
        Dispatch.objects.select_for_update()
        .filter(demand=demand, status=DispatchStatus.PENDING, institution_id__in=scope.institution_ids)
        .first()
    )
    _require(dispatch_row is not None, _("没有等待贵机构答复的派单。"))
    return dispatch_row


def _notify_dispatch_answer(demand, row):
    accepted = row.status == DispatchStatus.ACCEPTED
    title = _("%(inst)s 已接单：%(number)s") if accepted else _("%(inst)s 拒绝接单：%(number)s")
    notify(
        [row.dispatched_by, demand.specialist.user if demand.specialist_id else None],
        NotificationKind.DISPATCH_ANSWER,
        title % {"inst": row.institution.name, "number": demand.number},
        row.reason,
        url=demand.get_absolute_url(),
        demand=demand,
    )


@transaction.atomic
def accept_dispatch(demand, *, by, expected_version=None):
    """8.4.2 b — an institution accepts. Other institutions' pending dispatches lapse."""
    demand = _lock(demand, expected_version)
    _transition(demand, "accept_dispatch", by)
    row = _pending_dispatch(demand, by)
    now = timezone.now()
    row.status, row.responded_by, row.responded_at = DispatchStatus.ACCEPTED, by, now
    row.save()
    Dispatch.objects.filter(escalation=row.escalation, status=DispatchStatus.PENDING).update(
        status=DispatchStatus.DECLINED, responded_at=now, reason=_("已由其他技术机构接单")
    )
    _notify_dispatch_answer(demand, row)
    _move(demand, "accept_dispatch", DemandStatus.ACCEPTED, by, reason=row.institution.name)
    return row


@transaction.atomic
def decline_dispatch(demand, *, by, reason, expected_version=None):
    """An institution declines with a reason; when no dispatch is left pending, the demand
    returns to the agency to dispatch again."""
    demand = _lock(demand, expected_version)
    _transition(demand, "decline_dispatch", by)
    row = _pending_dispatch(demand, by)
    row.status, row.responded_by, row.responded_at = DispatchStatus.DECLINED, by, timezone.now()
    row.reason = _reason(reason)
    row.save()
    still_pending = Dispatch.objects.filter(escalation=row.escalation, status=DispatchStatus.PENDING).exists()
    reason_text = f"{row.institution.name}：{row.reason}"
    _notify_dispatch_answer(demand, row)
    if still_pending:
        _touch(demand, by, "decline_dispatch", target=row, changes={"status": ["pending", "declined"]})
    else:
        _move(demand, "decline_dispatch", DemandStatus.ESCALATED, by, reason=reason_text)
    return row


# --- the ledger (Appendix B) ---------------------------------------------------------------

LEDGER_STATUSES = {
    DemandStatus.PREPARING,
    DemandStatus.CONFIRMED,
    DemandStatus.ESCALATED,
    DemandStatus.DISPATCHED,
    DemandStatus.ACCEPTED,
    DemandStatus.AGREEMENT_SIGNED,
    DemandStatus.PLAN_MADE,
    DemandStatus.IN_SERVICE,
    DemandStatus.SERVICE_ENDED,
}


def _ledger_fields(entry_on, enterprise_contact, problem, handling, remarks):
    _require(entry_on, _("请填写日期。"))
    _require(entry_on <= timezone.localdate(), _("台账日期不能晚于今天。"))
    return {
        "entry_on": entry_on,
        "enterprise_contact": _text(enterprise_contact, _("服务对象对接人员")),
        "problem": _text(problem, _("处理的问题")),
        "handling": _text(handling, _("处理过程")),
        "remarks": (remarks or "").strip(),
    }


@transaction.atomic
def add_ledger_entry(
    demand, *, by, entry_on, enterprise_contact, problem, handling, remarks="", corrects=None, expected_version=None
):
    """8.4.1 d / 8.4.2 e — a row of the work ledger, by the specialist or the institution."""
    demand = _lock(demand, expected_version)
    _require(demand.status in LEDGER_STATUSES, _("需求当前状态不能填写工作台账。"))
    _require(works_on(get_scope(by), demand), _("只有承办的服务专员或技术机构可以填写工作台账。"))
    if corrects is not None:
        _require(corrects.demand_id == demand.pk, _("更正的台账记录不属于该需求。"))
    entry = LedgerEntry.objects.create(
        demand=demand,
        author=by,
        corrects=corrects,
        **_ledger_fields(entry_on, enterprise_contact, problem, handling, remarks),
    )
    _touch(demand, by, "ledger", target=entry)
    return entry


@transaction.atomic
def edit_ledger_entry(entry, *, by, entry_on, enterprise_contact, problem, handling, remarks="", expected_version=None):
    """Its author may edit an entry for LEDGER_EDIT_HOURS; after that only a correction entry."""
    demand = _lock(entry.demand, expected_version)
    entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    _require(entry.author_id == by.pk, _("只有记录人可以修改该台账记录。"))
    _require(
        timezone.now() <= entry.editable_until,
        _("该台账记录已超过%(h)d小时的修改期限，请添加更正记录。") % {"h": settings.LEDGER_EDIT_HOURS},
    )
    _require(demand.status in LEDGER_STATUSES, _("需求当前状态不能修改工作台账。"))
    before = audit.snapshot(entry)
    for name, value in _ledger_fields(entry_on, enterprise_contact, problem, handling, remarks).items():
        setattr(entry, name, value)
    entry.save()
    _touch(demand, by, "ledger_edit", target=entry, changes=audit.diff(before, audit.snapshot(entry)))
    return entry


# --- 8.5 closing ---------------------------------------------------------------------------


@transaction.atomic
def end_service(demand, *, by, expected_version=None):
    """Service ends: the evaluation invitation (Appendix C) is issued."""
    from qiservice.evaluations.models import EvaluationInvitation

    demand = _lock(demand, expected_version)
    _transition(demand, "end_service", by)
    demand.service_ended_at = timezone.now()
    _move(demand, "end_service", DemandStatus.SERVICE_ENDED, by)
    invitation = EvaluationInvitation.issue(demand, by=by)
    audit.record(AuditEvent.CREATED, invitation, actor=by, extra={"demand": demand.number})
    return invitation


@transaction.atomic
def submit_summary(demand, *, by, problems_solved, methods, results, expected_version=None):
    """8.5.1 — the work summary: problems solved, methods, results."""
    demand = _lock(demand, expected_version)
    _row, facts = _transition(demand, "submit_summary", by)
    summary = Summary.objects.create(
        demand=demand,
        problems_solved=_text(problems_solved, _("解决的问题")),
        methods=_text(methods, _("解决问题的方法")),
        results=_text(results, _("取得的成效")),
        submitted_by=by,
    )
    audit.record(AuditEvent.CREATED, summary, actor=by, changes=audit.snapshot(summary))
    target = DemandStatus.EVALUATED if facts.has_evaluation else DemandStatus.SUMMARY_SUBMITTED
    _move(demand, "submit_summary", target, by)
    if demand.specialist_id:
        from qiservice.specialists import matching

        transaction.on_commit(lambda: matching.refresh_tokens(demand.specialist))
    return summary


@transaction.atomic
def record_evaluation(
    demand,
    *,
    ratings,
    channel,
    by=None,
    invitation=None,
    suggestions="",
    remarks="",
    evaluator_name="",
):
    """8.6.1 — the enterprise's evaluation (Appendix C): once per demand, through a valid
    invitation link, the enterprise's own login, or typed in from the paper form by the agency."""
    from qiservice.evaluations.choices import ITEMS, EvaluationChannel, Rating
    from qiservice.evaluations.models import Evaluation, EvaluationInvitation

    demand = _lock(demand)
    _require(
        demand.status in (DemandStatus.SERVICE_ENDED, DemandStatus.SUMMARY_SUBMITTED),
        _("该需求当前不在评价阶段。"),
    )
    _require(not Evaluation.objects.filter(demand=demand).exists(), _("该需求已评价，每项服务只能评价一次。"))
    if channel == EvaluationChannel.LINK:
        _require(invitation is not None, _("评价链接无效。"))
        invitation = EvaluationInvitation.objects.select_for_update().get(pk=invitation.pk)
        _require(invitation.demand_id == demand.pk, _("评价链接无效。"))
        _require(invitation.used_at is None, _("该评价链接已使用过，不能重复评价。"))
        _require(invitation.revoked_at is None, _("该评价链接已作废，请联系服务专员获取新的链接。"))
        _require(invitation.expires_at > timezone.now(), _("该评价链接已过期，请联系服务专员获取新的链接。"))
    else:
        scope = get_scope(by)
        if channel == EvaluationChannel.PORTAL:
            _require(T.enterprise(scope, demand, None), _("只有该服务对象的用户可以评价。"))
        else:
            _require(
                channel == EvaluationChannel.PAPER and is_agency_for(scope, demand),
                _("只有管理机构可以录入纸质评价表。"),
            )
    values = {}
    for name, label in ITEMS:
        try:
            value = int(ratings.get(name))
        except (TypeError, ValueError):
            value = None
        _require(value in Rating.values, _("请为“%(item)s”选择评价等级。") % {"item": label})
        values[name] = value
    evaluation = Evaluation.objects.create(
        demand=demand,
        specialist_id=demand.specialist_id,
        channel=channel,
        submitted_by=by if by is not None and by.is_authenticated else None,
        invitation=invitation,
        suggestions=(suggestions or "").strip(),
        remarks=(remarks or "").strip(),
        evaluator_name=(evaluator_name or "").strip()[:50],
        **values,
    )
    if invitation is not None:
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at"])
    deadlines.meet(demand, "evaluation")
    if demand.specialist_id:
        notify(
            [demand.specialist.user],
            NotificationKind.EVALUATION,
            _("%(number)s 收到满意度评价，总分 %(total)d") % {"number": demand.number, "total": evaluation.total},
            url=demand.get_absolute_url(),
            demand=demand,
        )
    audit.record(
        AuditEvent.CREATED, evaluation, actor=evaluation.submitted_by, changes=values | {"total": evaluation.total}
    )
    if demand.status == DemandStatus.SUMMARY_SUBMITTED:
        _move(
            demand,
            "evaluate",
            DemandStatus.EVALUATED,
            evaluation.submitted_by,
            reason=_("总分 %(t)d") % {"t": evaluation.total},
        )
    else:
        _touch(demand, evaluation.submitted_by, "evaluate", target=evaluation)
    return evaluation


@transaction.atomic
def reissue_invitation(demand, *, by, expected_version=None):
    """Revoke the current evaluation link and issue a new one (lost or expired link)."""
    from qiservice.evaluations.models import EvaluationInvitation

    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    _require(works_on(scope, demand) or is_agency_for(scope, demand), _("您无权重新发送评价链接。"))
    _require(
        demand.status in (DemandStatus.SERVICE_ENDED, DemandStatus.SUMMARY_SUBMITTED)
        and not T.hasattr_row(demand, "evaluation"),
        _("该需求当前不需要评价链接。"),
    )
    demand.evaluation_invitations.filter(used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invitation = EvaluationInvitation.issue(demand, by=by)
    _touch(demand, by, "reissue_invitation", target=invitation)
    return invitation


@transaction.atomic
def close(demand, *, by, reason="", expected_version=None):
    demand = _lock(demand, expected_version)
    _transition(demand, "close", by)
    if demand.status == DemandStatus.SUMMARY_SUBMITTED:
        reason = _reason(reason)  # closing without the enterprise's evaluation needs a reason
    demand.closed_at = timezone.now()
    _move(demand, "close", DemandStatus.CLOSED, by, reason=(reason or "").strip())
    return demand


@transaction.atomic
def withdraw(demand, *, by, reason, expected_version=None):
    demand = _lock(demand, expected_version)
    _transition(demand, "withdraw", by)
    demand.closed_at = timezone.now()
    _move(demand, "withdraw", DemandStatus.WITHDRAWN, by, reason=_reason(reason))
    return demand


@transaction.atomic
def cancel(demand, *, by, reason, expected_version=None):
    demand = _lock(demand, expected_version)
    _transition(demand, "cancel", by)
    demand.closed_at = timezone.now()
    _move(demand, "cancel", DemandStatus.CANCELLED, by, reason=_reason(reason))
    return demand


def take(action, demand, *, by, **data):
    """Run the rules function of a transition by its action name (used by the UI and API)."""
    functions = {
        "start_preparation": start_preparation,
        "confirm": confirm,
        "sign_agreement": sign_agreement,
        "make_plan": make_plan,
        "start_service": start_service,
        "escalate": escalate,
        "switch_to_assisted": escalate,
        "dispatch": dispatch,
        "accept_dispatch": accept_dispatch,
        "decline_dispatch": decline_dispatch,
        "end_service": end_service,
        "submit_summary": submit_summary,
        "close": close,
        "withdraw": withdraw,
        "cancel": cancel,
    }
    return functions[action](demand, by=by, **data)


# --- typical cases (8.5.2) ------------------------------------------------------------------


@transaction.atomic
def nominate_case(demand, *, by, title, highlights, masked_enterprise, expected_version=None):
    """A representative, effective service is nominated as a typical case for the agency."""
    demand = _lock(demand, expected_version)
    scope = get_scope(by)
    _require(T.hasattr_row(demand, "summary"), _("请先提交工作总结，再推荐典型案例。"))
    _require(demand.specialist_id == scope.specialist_id, _("只有承办的服务专员可以推荐典型案例。"))
    case = TypicalCase.objects.filter(demand=demand).first()
    _require(case is None or case.status == CaseStatus.RETURNED, _("该需求已推荐过典型案例。"))
    masked = _text(masked_enterprise, _("公开时企业名称"))
    _require(demand.enterprise.name not in masked, _("公开时企业名称不能包含企业真实名称。"))
    case = case or TypicalCase(demand=demand)
    case.title = _text(title, _("案例标题"))
    case.highlights = _text(highlights, _("典型意义"))
    case.masked_enterprise = masked
    case.status = CaseStatus.NOMINATED
    case.nominated_by = by
    case.nominated_at = timezone.now()
    case.save()
    _touch(demand, by, "nominate_case", target=case)
    return case


@transaction.atomic
def review_case(case, *, by, approve, comments="", publish=False):
    """The agency approves a nominated case into the library, or returns it with comments."""
    scope = get_scope(by)
    case = TypicalCase.objects.select_for_update().get(pk=case.pk)
    _require(scope.is_agency_admin, _("只有管理机构管理员可以审核典型案例。"))
    _require(case.status == CaseStatus.NOMINATED, _("该案例不在待审核状态。"))
    if not approve:
        comments = _reason(comments)
    case.status = CaseStatus.APPROVED if approve else CaseStatus.RETURNED
    case.is_published = bool(approve and publish)
    case.review_comments = (comments or "").strip()
    case.reviewed_by = by
    case.reviewed_at = timezone.now()
    case.save()
    audit.record(AuditEvent.UPDATED, case, actor=by, changes={"status": ["nominated", case.status]})
    notify(
        [case.nominated_by],
        NotificationKind.CASE_REVIEWED,
        (_("典型案例“%(title)s”已入库") if approve else _("典型案例“%(title)s”被退回")) % {"title": case.title},
        case.review_comments,
        url=case.demand.get_absolute_url(),
        demand=case.demand,
    )
    return case


# --- attachments -----------------------------------------------------------------------------

# What may be uploaded: the extension must agree with the type read from the content.
ALLOWED_TYPES = {
    "pdf": {"application/pdf"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "png": {"image/png"},
    "docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip"},
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/zip"},
    "doc": {"application/x-ole-storage", "application/msword"},
    "xls": {"application/x-ole-storage", "application/vnd.ms-excel"},
    "txt": {"text/plain"},
}


SNIFF_BYTES = 8192
# A Word or Excel file is a zip holding its main part (filetype sometimes only sees the zip).
OFFICE_PARTS = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def office_type(upload, extension):
    """The Office type of a zip upload when it holds the part its extension promises, else None."""
    part, content_type = OFFICE_PARTS.get(extension, (None, None))
    if part is None:
        return None
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return content_type if {part, "[Content_Types].xml"} <= names else None


def sniff(head, extension):
    """The content type read from the file's first bytes, or None when refused."""
    kind = filetype.guess(head)
    if kind is None:
        # No magic number: accept plain UTF-8 text (without NUL bytes) for .txt only. The
        # head may end inside a character: decoded as a stream, not as a whole.
        if extension == "txt":
            if b"\x00" in head:
                return None
            try:
                codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
            except UnicodeDecodeError:
                return None
            return "text/plain"
        if extension in ("doc", "xls") and head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            return "application/x-ole-storage"
        return None
    return kind.mime if kind.mime in ALLOWED_TYPES.get(extension, set()) else None


@transaction.atomic
def add_attachment(demand, upload, *, by, stage, is_trade_secret=False, description=""):
    """Attach a file: size and type checked on the content, stored under a random name."""
    scope = get_scope(by)
    demand = _lock(demand)
    _require(
        works_on(scope, demand) or is_agency_for(scope, demand) or demand.registered_by_id == by.pk,
        _("您无权为该需求上传附件。"),
    )
    name = safe_file_name(upload.name)
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    _require(name and extension in ALLOWED_TYPES, _("只能上传 PDF、图片（JPG/PNG）、Word、Excel 或文本文件。"))
    _require(
        upload.size <= settings.ATTACHMENT_MAX_BYTES,
        _("文件不能超过 %(mb)d MB。") % {"mb": settings.ATTACHMENT_MAX_BYTES // 1024 // 1024},
    )
    _require(upload.size > 0, _("文件是空的。"))
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    content_type = sniff(head, extension)
    if content_type == "application/zip":
        content_type = office_type(upload, extension)
    _require(content_type, _("文件内容与扩展名 .%(ext)s 不符，或不是允许的文件类型。") % {"ext": extension})
    upload.seek(0)
    digest = hashlib.sha256(upload.read(SNIFF_BYTES))
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        demand=demand,
        stage=stage,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        is_trade_secret=bool(is_trade_secret),
        description=(description or "").strip()[:200],
        uploaded_by=by,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _touch(demand, by, "attachment", target=attachment)
    return attachment


def record_download(attachment, demand, *, by, via):
    """Every download of an attachment is audited, with whether it is a trade secret and
    which door it left by (the demand page, the API, the portal) — R6.2."""
    return audit.record(
        AuditEvent.DOWNLOADED,
        attachment,
        actor=by,
        extra={"demand": demand.number, "trade_secret": attachment.is_trade_secret, "via": via},
    )


def attachments_visible_to(user, demand):
    """Attachments of a demand the user may see: trade secrets only to the assigned
    specialist, staff of an institution that accepted it, and the agency admin."""
    qs = demand.attachments.all()
    if sees_trade_secrets(get_scope(user), demand):
        return qs
    return qs.filter(is_trade_secret=False)


def sees_trade_secrets(scope, demand, facts=None):
    """Whether `scope` sees the demand's trade-secret attachments (see above)."""
    return scope.is_agency_admin or works_on(scope, demand, facts)
