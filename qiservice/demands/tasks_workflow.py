"""8.1.2 — the rules of special service tasks (专项服务任务).

The agency creates a task with target enterprises, each with the specialist who is to
contact it; the specialist records each contact attempt, and the attempt's outcome sets
the target's status. A demand registered from a target is linked by
`workflow.register_demand(task_target=…)`. The UI, the API and the demo data call these
functions; nothing else writes a task, a target or an attempt.
"""

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from qiservice.core import audit
from qiservice.core.models import AuditEvent
from qiservice.core.services import save_audited
from qiservice.core.visibility import get_scope
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.choices import SpecialistStatus
from qiservice.specialists.models import Specialist

from .choices import ContactMethod, TargetStatus
from .models import ContactAttempt, SpecialTask, TaskTarget
from .workflow import WorkflowError

# The outcomes a specialist records; "demand registered" is set only by registering a demand.
ATTEMPT_OUTCOMES = (TargetStatus.CONTACTED, TargetStatus.NO_DEMAND, TargetStatus.UNREACHABLE)
# A target counts as contacted once the enterprise was reached, whatever came of it.
REACHED = (TargetStatus.CONTACTED, TargetStatus.DEMAND_REGISTERED, TargetStatus.NO_DEMAND)


def _require(condition, message):
    if not condition:
        raise WorkflowError(message)


def _text(value, label, max_length=None):
    value = (value or "").strip()
    _require(value, _("请填写“%(field)s”。") % {"field": label})
    if max_length:
        _require(len(value) <= max_length, _("“%(field)s”不能超过%(n)d个字。") % {"field": label, "n": max_length})
    return value


# --- what a user sees -------------------------------------------------------------------------


def targets_visible_to(user):
    """The targets a user sees: the agency admin and auditors all; agency staff those in
    their districts; a specialist their own (the same rule as `SpecialTask.visible_to`)."""
    scope = get_scope(user)
    if not scope.is_authenticated:
        return TaskTarget.objects.none()
    if scope.sees_everything:
        return TaskTarget.objects.all()
    q = Q(pk__in=[])
    if scope.district_ids:
        q |= Q(enterprise__district_id__in=scope.district_ids)
    if scope.is_specialist:
        q |= Q(specialist_id=scope.specialist_id)
    return TaskTarget.objects.filter(q)


def with_progress(tasks, user):
    """Annotate each task with the counts of the targets the user sees: total, contacted
    (reached), demands registered. Subqueries, so a page of tasks is one query."""
    targets = targets_visible_to(user).filter(task=OuterRef("pk")).order_by().values("task")

    def count(**filters):
        rows = targets.filter(**filters).annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(rows), 0)

    return tasks.annotate(
        target_total=count(),
        target_contacted=count(status__in=REACHED),
        target_registered=count(status=TargetStatus.DEMAND_REGISTERED),
    )


def progress_of(targets):
    """{status: count} of a queryset of targets, plus "total" and "reached" (one query)."""
    counts = dict.fromkeys(TargetStatus.values, 0)
    for row in targets.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts[s] for s in TargetStatus.values)
    counts["reached"] = sum(counts[s] for s in REACHED)
    return counts


def may_manage_tasks(user):
    """Agency admins and agency staff create tasks (staff for the enterprises of their districts)."""
    return get_scope(user).is_agency


# --- tasks ------------------------------------------------------------------------------------


def _set_fields(task, *, title, programme, description, starts_on, ends_on):
    task.title = _text(title, _("任务名称"), 100)
    task.programme = (programme or "").strip()[:100]
    task.description = (description or "").strip()
    _require(starts_on and ends_on, _("请填写任务的开始日期和结束日期。"))
    _require(ends_on >= starts_on, _("结束日期不能早于开始日期。"))
    task.starts_on = starts_on
    task.ends_on = ends_on


def _checked_targets(by, targets, unchanged=frozenset()):
    """[(enterprise, specialist)] checked against the user's scope: every enterprise in it,
    listed once; every specialist in it and active (read from the stored rows). Pairs in
    `unchanged` ((enterprise id, specialist id) already stored) keep their specialist even
    if that specialist has since been suspended."""
    pairs = [(e, s) for e, s in targets or []]
    seen = set()
    for enterprise, _specialist in pairs:
        _require(enterprise.pk not in seen, _("服务对象“%(name)s”重复列出。") % {"name": enterprise.name})
        seen.add(enterprise.pk)
    in_scope = set(Enterprise.objects.restrict(by).filter(pk__in=seen).values_list("pk", flat=True))
    for enterprise, _specialist in pairs:
        _require(
            enterprise.pk in in_scope,
            _("服务对象“%(name)s”不在您的管理范围内，不能列为任务对象。") % {"name": enterprise.name},
        )
    changed = [(e, s) for e, s in pairs if (e.pk, s.pk) not in unchanged]
    specialist_ids = {s.pk for _e, s in changed}
    stored = dict(Specialist.objects.restrict(by).filter(pk__in=specialist_ids).values_list("pk", "status"))
    for _enterprise, specialist in changed:
        _require(
            specialist.pk in stored,
            _("服务专员 %(name)s 不在您的管理范围内。") % {"name": specialist.name},
        )
        _require(
            stored[specialist.pk] == SpecialistStatus.ACTIVE,
            _("服务专员 %(name)s 当前状态为“%(status)s”，不能承担专项任务。")
            % {"name": specialist.name, "status": SpecialistStatus(stored[specialist.pk]).label},
        )
    return pairs


@transaction.atomic
def create_task(*, by, title, starts_on, ends_on, targets, programme="", description=""):
    """8.1.2 — the agency creates a special service task: its targets (enterprises in the
    creator's scope) and, for each, the active specialist who is to contact it."""
    _require(may_manage_tasks(by), _("只有管理机构可以创建专项服务任务。"))
    task = SpecialTask(created_by=by)
    _set_fields(task, title=title, programme=programme, description=description, starts_on=starts_on, ends_on=ends_on)
    pairs = _checked_targets(by, targets)
    _require(pairs, _("请至少添加一个目标服务对象。"))
    save_audited(task, by=by, extra={"targets": [[e.pk, s.pk] for e, s in pairs]})
    TaskTarget.objects.bulk_create(TaskTarget(task=task, enterprise=e, specialist=s) for e, s in pairs)
    return task


@transaction.atomic
def update_task(
    task, *, by, title, starts_on, ends_on, targets, programme="", description="", expected_updated_at=None
):
    """Edit a task. `targets` is the wanted list of the targets in the user's scope: those
    missing are removed (only while nobody has contacted them), new ones are added, a
    changed specialist takes the target over. Targets outside the user's scope stay as they are."""
    _require(may_manage_tasks(by), _("只有管理机构可以修改专项服务任务。"))
    _require(
        SpecialTask.objects.restrict(by, "change").filter(pk=task.pk).exists(),
        _("您无权修改该专项服务任务。"),
    )
    # Lock the task first: two editors of one task's targets are serialised.
    stored = SpecialTask.objects.select_for_update().get(pk=task.pk)
    if expected_updated_at is not None and stored.updated_at != expected_updated_at:
        raise WorkflowError(_("该任务已被他人修改，请刷新页面查看最新内容后再提交。"), code="stale")
    _set_fields(task, title=title, programme=programme, description=description, starts_on=starts_on, ends_on=ends_on)
    mine = {
        t.enterprise_id: t
        for t in TaskTarget.objects.select_for_update().filter(
            task=task, enterprise__in=Enterprise.objects.restrict(by)
        )
    }
    pairs = _checked_targets(by, targets, unchanged={(pk, t.specialist_id) for pk, t in mine.items()})
    wanted = {e.pk: s for e, s in pairs}
    removed = [t for pk, t in mine.items() if pk not in wanted]
    contacted = set(
        ContactAttempt.objects.filter(target__in=[t.pk for t in removed]).values_list("target_id", flat=True)
    )
    for target in removed:
        _require(
            target.pk not in contacted and target.demand_id is None,
            _("服务对象“%(name)s”已有联系记录或登记的需求，不能移出任务。") % {"name": target.enterprise.name},
        )
    reassigned = [(t, wanted[pk]) for pk, t in mine.items() if pk in wanted and wanted[pk].pk != t.specialist_id]
    added = [(e, s) for e, s in pairs if e.pk not in mine]
    remaining = TaskTarget.objects.filter(task=task).count() - len(removed) + len(added)
    _require(remaining > 0, _("请至少添加一个目标服务对象。"))
    TaskTarget.objects.filter(pk__in=[t.pk for t in removed]).delete()
    for target, specialist in reassigned:
        target.specialist = specialist
        target.save(update_fields=["specialist", "updated_at"])
    TaskTarget.objects.bulk_create(TaskTarget(task=task, enterprise=e, specialist=s) for e, s in added)
    changes = {}
    if added:
        changes["added"] = [[e.pk, s.pk] for e, s in added]
    if removed:
        changes["removed"] = [t.enterprise_id for t in removed]
    if reassigned:
        changes["reassigned"] = [[t.enterprise_id, s.pk] for t, s in reassigned]
    save_audited(task, by=by, extra={"targets": changes} if changes else None)
    return task


# --- contact attempts --------------------------------------------------------------------------


@transaction.atomic
def record_contact_attempt(target, *, by, contacted_on, method, outcome, notes=""):
    """8.1.2 — the target's specialist records an attempt to reach the enterprise; its outcome
    becomes the target's status (a target whose demand is registered stays so)."""
    target = TaskTarget.objects.select_for_update().select_related("task", "specialist").get(pk=target.pk)
    _require(
        target.specialist.user_id == by.pk,
        _("只有负责该服务对象的服务专员可以记录联系情况。"),
    )
    _require(method in ContactMethod.values, _("请选择联系方式。"))
    _require(outcome in ATTEMPT_OUTCOMES, _("请选择联系结果。"))
    _require(contacted_on is not None, _("请填写联系日期。"))
    _require(contacted_on <= timezone.localdate(), _("联系日期不能晚于今天。"))
    _require(
        contacted_on >= target.task.starts_on,
        _("联系日期不能早于任务开始日期（%(d)s）。") % {"d": target.task.starts_on.isoformat()},
    )
    notes = (notes or "").strip()
    if outcome == TargetStatus.NO_DEMAND:
        _require(notes, _("结果为“暂无需求”时，请在情况记录中简要说明。"))
    attempt = ContactAttempt(
        target=target,
        contacted_on=contacted_on,
        method=method,
        outcome=outcome,
        notes=notes,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    save_audited(attempt, by=by, extra={"task": target.task_id})
    if target.demand_id is None and target.status != outcome:
        before = target.status
        target.status = outcome
        target.save(update_fields=["status", "updated_at"])
        audit.record(AuditEvent.UPDATED, target, actor=by, changes={"status": [before, outcome]})
    return attempt
