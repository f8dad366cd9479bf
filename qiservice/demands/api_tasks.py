"""Special service tasks (8.1.2) in the API: the same rules (`tasks_workflow`) and the same
data scope as the pages. The agency creates and edits tasks for the enterprises in its
scope; a specialist sees their own targets and records contact attempts.

Refusals write nothing: 401 not authenticated; 403 a role that may not do this; 404 a task or
target outside the caller's scope; 422 the rules' Chinese reason in `detail[].msg`.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, filter_queryset, get_scoped
from qiservice.api.pagination import CappedPages
from qiservice.enterprises.models import Enterprise
from qiservice.specialists.models import Specialist

from . import tasks_workflow
from .choices import ContactMethod, TargetStatus
from .forms.tasks import TaskFilterSet
from .models import ContactAttempt, SpecialTask, TaskTarget

router = Router(tags=["专项服务任务"])

ERRORS = {403: Error, 404: Error, 422: Error}


# --- schemas ------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class DemandRef(Schema):
    id: int
    number: str


class ProgressOut(Schema):
    total: int = Field(description="您可见的任务对象数")
    contacted: int = Field(description="已联系上的对象数（已联系、已登记需求、暂无需求）")
    demands_registered: int = Field(description="已登记需求的对象数")


class TaskOut(Schema):
    id: int
    title: str
    programme: str
    description: str
    starts_on: date
    ends_on: date
    created_by: str = Field(alias="created_by.display_name")
    created_at: datetime
    progress: ProgressOut

    @staticmethod
    def resolve_progress(obj):
        return {
            "total": obj.target_total,
            "contacted": obj.target_contacted,
            "demands_registered": obj.target_registered,
        }


class AttemptOut(Schema):
    id: int
    contacted_on: date
    method: str
    outcome: str
    notes: str
    recorded_by: str = Field(alias="recorded_by.display_name")
    recorded_at: datetime


class TargetOut(Schema):
    id: int
    task: int = Field(alias="task_id")
    enterprise: Ref
    specialist: Ref
    status: str
    status_label: str = Field(alias="get_status_display")
    demand: DemandRef | None
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_attempts(obj):
        return list(obj.attempts.all())


class TargetIn(Schema):
    enterprise: int = Field(description="服务对象 id（须在您的管理范围内）")
    specialist: int = Field(description="负责联系的服务专员 id（须为在库专员）")


class TaskIn(Schema):
    title: str
    programme: str = ""
    description: str = ""
    starts_on: date
    ends_on: date
    targets: list[TargetIn] = Field(description="目标服务对象及负责联系的服务专员，至少一个")


class TaskPatch(Schema):
    title: str | None = None
    programme: str | None = None
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    targets: list[TargetIn] | None = Field(
        None,
        description="给出时为您管理范围内的全部任务对象：缺少的移出（仅限尚未联系的），新增的加入，"
        "专员不同的改由新专员联系；范围外的对象不受影响",
    )


class AttemptIn(Schema):
    contacted_on: date
    method: str = Field(..., description="联系方式", json_schema_extra={"enum": list(ContactMethod.values)})
    outcome: str = Field(
        ..., description="联系结果", json_schema_extra={"enum": [s.value for s in tasks_workflow.ATTEMPT_OUTCOMES]}
    )
    notes: str = ""


class TaskFilters(Schema):
    q: str | None = Field(None, description="任务名称或所属项目中的关键字")
    period: str | None = Field(None, description="current 进行中、upcoming 未开始、ended 已结束")


class TargetFilters(Schema):
    status: str | None = Field(None, json_schema_extra={"enum": list(TargetStatus.values)})


# --- helpers ------------------------------------------------------------------------------------


def _tasks(request):
    return tasks_workflow.with_progress(SpecialTask.objects.restrict(request.user), request.user).select_related(
        "created_by"
    )


def _task_out(request, task_id):
    return _tasks(request).get(pk=task_id)


def _targets(request):
    return (
        tasks_workflow.targets_visible_to(request.user)
        .select_related("enterprise", "specialist", "demand")
        .prefetch_related(
            Prefetch("attempts", ContactAttempt.objects.select_related("recorded_by").order_by("-contacted_on", "-pk"))
        )
    )


def _pairs(request, targets):
    """[(enterprise, specialist)] from ids, looked up in the caller's scope."""
    enterprises = Enterprise.objects.restrict(request.user).in_bulk([t.enterprise for t in targets])
    specialists = Specialist.objects.restrict(request.user).in_bulk([t.specialist for t in targets])
    errors, pairs = [], []
    for i, t in enumerate(targets):
        if t.enterprise not in enterprises:
            errors.append(
                {"loc": ["body", "targets", i, "enterprise"], "msg": _("服务对象不存在，或不在您的管理范围内。")}
            )
        if t.specialist not in specialists:
            errors.append(
                {"loc": ["body", "targets", i, "specialist"], "msg": _("服务专员不存在，或不在您的管理范围内。")}
            )
        if not errors:
            pairs.append((enterprises[t.enterprise], specialists[t.specialist]))
    if errors:
        raise ApiValidationError(errors)
    return pairs


def _require_agency(request, message):
    if not tasks_workflow.may_manage_tasks(request.user):
        raise PermissionDenied(message)


# --- endpoints ----------------------------------------------------------------------------------


@router.get("", response=list[TaskOut], summary="专项服务任务列表")
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_tasks(request, filters: Query[TaskFilters]):
    """您可见的任务（管理机构：涉及本区服务对象的任务；服务专员：有本人负责对象的任务），
    进度按您可见的任务对象统计。"""
    qs = filter_queryset(TaskFilterSet, filters, _tasks(request), request)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(programme__icontains=filters.q))
    return qs.order_by("-starts_on", "-pk")


@router.post("", response={201: TaskOut, **ERRORS}, summary="创建专项服务任务")
def create_task(request, payload: TaskIn):
    """管理机构创建任务：每个目标服务对象须在您的管理范围内，并指定一名在库服务专员负责联系。"""
    _require_agency(request, _("只有管理机构可以创建专项服务任务。"))
    task = tasks_workflow.create_task(
        by=request.user,
        targets=_pairs(request, payload.targets),
        **payload.dict(exclude={"targets"}),
    )
    return Status(201, _task_out(request, task.pk))


@router.get("/{int:task_id}", response={200: TaskOut, 404: Error}, summary="专项服务任务详情")
def get_task(request, task_id: int):
    get_scoped(SpecialTask, request.user, task_id)
    return _task_out(request, task_id)


@router.patch("/{int:task_id}", response={200: TaskOut, **ERRORS}, summary="修改专项服务任务")
def update_task(request, task_id: int, payload: TaskPatch):
    """修改任务信息；给出 targets 时替换您管理范围内的任务对象。"""
    task = get_scoped(SpecialTask, request.user, task_id, "change")
    _require_agency(request, _("只有管理机构可以修改专项服务任务。"))
    data = payload.dict(exclude_unset=True)
    if data.get("targets") is not None:
        pairs = _pairs(request, payload.targets)
    else:
        pairs = [
            (t.enterprise, t.specialist)
            for t in TaskTarget.objects.filter(
                task=task, enterprise__in=Enterprise.objects.restrict(request.user)
            ).select_related("enterprise", "specialist")
        ]
    fields = {name: getattr(task, name) for name in ("title", "programme", "description", "starts_on", "ends_on")}
    fields.update({k: v for k, v in data.items() if k != "targets" and v is not None})
    tasks_workflow.update_task(task, by=request.user, targets=pairs, **fields)
    return _task_out(request, task.pk)


@router.get("/{int:task_id}/targets", response={200: list[TargetOut], 404: Error}, summary="任务对象")
@paginate(CappedPages, page_size=50, max_page_size=200)
def list_targets(request, task_id: int, filters: Query[TargetFilters]):
    """您可见的任务对象（服务专员只看到本人负责的），含联系记录（最新的在前）与登记的需求。"""
    get_scoped(SpecialTask, request.user, task_id)
    qs = _targets(request).filter(task_id=task_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("enterprise__name", "pk")


@router.post("/targets/{int:target_id}/attempts", response={201: TargetOut, **ERRORS}, summary="记录联系情况")
def record_attempt(request, target_id: int, payload: AttemptIn):
    """负责该对象的服务专员记录一次联系（日期、方式、结果、情况）；结果即成为对象的对接状态
    （已登记需求的对象保持不变）。"""
    target = tasks_workflow.targets_visible_to(request.user).select_related("specialist").filter(pk=target_id).first()
    if target is None:
        raise Http404
    if target.specialist.user_id != request.user.pk:
        raise PermissionDenied(_("只有负责该服务对象的服务专员可以记录联系情况。"))
    tasks_workflow.record_contact_attempt(target, by=request.user, **payload.dict())
    return Status(201, _targets(request).get(pk=target.pk))
