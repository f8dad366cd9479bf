from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, filter_queryset, form_data, form_errors, get_scoped
from qiservice.api.pagination import CappedPages
from qiservice.core.masking import annotate_contact, api_shown

from . import workflow
from .filtersets import SpecialistFilterSet
from .forms import SpecialistForm
from .models import Specialist, SpecialistField
from .views import manages_pool

router = Router(tags=["服务专员"])


class FieldOut(Schema):
    field: str
    proficiency: str


class FieldIn(Schema):
    field: str
    proficiency: str = "proficient"


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    changed_at: datetime


class SpecialistOut(Schema):
    id: int
    name: str
    phone: str
    email: str
    district: int = Field(alias="district_id")
    district_name: str = Field(alias="district.name")
    employer: str
    title: str
    qualifications: str
    expertise: str
    capacity: int
    status: str
    admitted_on: date | None
    term_ends_on: date | None
    admission_route: str
    nominated_by: str
    fields: list[FieldOut]
    updated_at: datetime

    @staticmethod
    def resolve_fields(obj):
        return list(obj.fields.all())

    # Masked for those who may not read them in full (R6.2, qiservice/core/masking.py).
    @staticmethod
    def resolve_phone(obj, context):
        return api_shown(context, obj, obj.phone)

    @staticmethod
    def resolve_email(obj, context):
        return api_shown(context, obj, obj.email)


class SpecialistDetailOut(SpecialistOut):
    status_changes: list[StatusChangeOut]

    @staticmethod
    def resolve_status_changes(obj):
        return list(obj.status_changes.all())


class SpecialistIn(Schema):
    username: str | None = Field(None, description="新建时必填：登录账号")
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    district: int | None = None
    employer: str | None = None
    title: str | None = None
    qualifications: str | None = None
    expertise: str | None = None
    capacity: int | None = None
    term_ends_on: date | None = None
    admission_route: str | None = Field(None, description="application（个人申请）或 nomination（单位推荐）")
    nominated_by: str | None = None
    fields: list[FieldIn] | None = None


class SpecialistCreated(SpecialistDetailOut):
    initial_password: str


class StatusIn(Schema):
    to_status: str
    reason: str
    term_ends_on: date | None = None


class SpecialistFilters(Schema):
    q: str | None = None
    status: str | None = None
    district: int | None = None
    qi_field: str | None = None


@router.get("", response=list[SpecialistOut])
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_specialists(request, filters: Query[SpecialistFilters]):
    qs = Specialist.objects.restrict(request.user).select_related("district").prefetch_related("fields")
    qs = annotate_contact(qs, request.user)  # whether each row's contacts are shown in full
    qs = filter_queryset(SpecialistFilterSet, filters, qs.order_by("name", "pk"), request).distinct()
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return qs


@router.get("/{int:specialist_id}", response={200: SpecialistDetailOut, 404: Error})
def get_specialist(request, specialist_id: int):
    return get_scoped(Specialist, request.user, specialist_id)


def _fields(payload_fields):
    if payload_fields is None:
        return None
    from qiservice.core.choices import QIField

    from .choices import Proficiency

    errors, rows = [], []
    for i, f in enumerate(payload_fields):
        if f.field not in QIField.values:
            errors.append({"loc": ["body", "fields", i, "field"], "msg": f"未知的专业领域：{f.field}"})
        if f.proficiency not in Proficiency.values:
            errors.append({"loc": ["body", "fields", i, "proficiency"], "msg": f"未知的熟练程度：{f.proficiency}"})
        rows.append(SpecialistField(field=f.field, proficiency=f.proficiency))
    if len({r.field for r in rows}) != len(rows):
        errors.append({"loc": ["body", "fields"], "msg": "同一专业领域只能填写一次。"})
    if errors:
        raise ApiValidationError(errors)
    return rows


@router.post("", response={201: SpecialistCreated, 403: Error, 422: Error})
def create_specialist(request, payload: SpecialistIn):
    if not manages_pool(request.user):
        raise PermissionDenied("只有管理机构可以新增服务专员。")
    data = payload.dict(exclude_none=True, exclude={"fields"})
    form = SpecialistForm(data=data, instance=Specialist(), user=request.user)
    fields = _fields(payload.fields) or []
    if not form.is_valid():
        raise ApiValidationError(form_errors(form))
    with transaction.atomic():
        specialist, password = workflow.create_specialist(
            form.save(commit=False), username=form.cleaned_data["username"], by=request.user, fields=fields
        )
    specialist.initial_password = password
    return Status(201, specialist)


@router.patch("/{int:specialist_id}", response={200: SpecialistDetailOut, 404: Error, 422: Error})
def update_specialist(request, specialist_id: int, payload: SpecialistIn):
    specialist = get_scoped(Specialist, request.user, specialist_id, "change")
    form_probe = SpecialistForm(instance=specialist, user=request.user)
    allowed = set(form_probe.fields) - {"loaded_at"}
    changes = payload.dict(exclude_unset=True, exclude={"fields", "username"})
    refused = sorted(set(changes) - allowed)
    if refused:
        raise ApiValidationError([{"loc": ["body", f], "msg": "您无权修改此字段。"} for f in refused])
    data = form_data(specialist, SpecialistForm, changes)
    data = {k: v for k, v in data.items() if k in allowed}
    form = SpecialistForm(data=data, instance=specialist, user=request.user)
    fields = _fields(payload.fields)
    if not form.is_valid():
        raise ApiValidationError(form_errors(form))
    with transaction.atomic():
        return workflow.save_specialist(form.save(commit=False), by=request.user, fields=fields)


@router.post("/{int:specialist_id}/status", response={200: SpecialistDetailOut, 403: Error, 404: Error, 422: Error})
def change_status(request, specialist_id: int, payload: StatusIn):
    specialist = get_scoped(Specialist, request.user, specialist_id)
    if not manages_pool(request.user, specialist):
        raise PermissionDenied("只有管理机构可以变更服务专员状态。")
    return workflow.change_status(
        specialist, payload.to_status, by=request.user, reason=payload.reason, term_ends_on=payload.term_ends_on
    )
