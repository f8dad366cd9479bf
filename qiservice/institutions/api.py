from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, filter_queryset, form_data, form_errors, get_scoped
from qiservice.api.pagination import CappedPages
from qiservice.core.visibility import get_scope

from . import workflow
from .filtersets import InstitutionFilterSet
from .forms import InstitutionForm
from .models import Institution

router = Router(tags=["技术机构"])


class ServiceItemOut(Schema):
    id: int
    qi_field: str
    name: str
    description: str
    is_active: bool


class InstitutionOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    qi_fields: list[str]
    district: int = Field(alias="district_id")
    district_name: str = Field(alias="district.name")
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    description: str
    qualifications: str
    is_active: bool
    updated_at: datetime


class InstitutionDetailOut(InstitutionOut):
    service_items: list[ServiceItemOut]

    @staticmethod
    def resolve_service_items(obj):
        return list(obj.service_items.all())


class InstitutionIn(Schema):
    name: str | None = None
    short_name: str | None = None
    kind: str | None = None
    qi_fields: list[str] | None = None
    district: int | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    description: str | None = None
    qualifications: str | None = None
    is_active: bool | None = None


class InstitutionFilters(Schema):
    q: str | None = None
    kind: str | None = None
    qi_field: str | None = None
    district: int | None = None
    is_active: bool | None = None


@router.get("", response=list[InstitutionOut])
@paginate(CappedPages, page_size=25, max_page_size=200)
def list_institutions(request, filters: Query[InstitutionFilters]):
    qs = Institution.objects.restrict(request.user).select_related("district").order_by("name", "pk")
    qs = filter_queryset(InstitutionFilterSet, filters, qs, request)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return qs


@router.get("/{int:institution_id}", response={200: InstitutionDetailOut, 404: Error})
def get_institution(request, institution_id: int):
    return get_scoped(Institution, request.user, institution_id)


def _save(request, institution, payload):
    form = InstitutionForm(data=payload, instance=institution, user=request.user)
    if not form.is_valid():
        raise ApiValidationError(form_errors(form))
    with transaction.atomic():
        return workflow.save_institution(form.save(commit=False), by=request.user)


@router.post("", response={201: InstitutionDetailOut, 403: Error, 422: Error})
def create_institution(request, payload: InstitutionIn):
    if not get_scope(request.user).is_agency_admin:
        raise PermissionDenied("只有管理机构管理员可以新增技术机构。")
    return Status(201, _save(request, Institution(), payload.dict(exclude_none=True)))


@router.patch("/{int:institution_id}", response={200: InstitutionDetailOut, 404: Error, 422: Error})
def update_institution(request, institution_id: int, payload: InstitutionIn):
    institution = get_scoped(Institution, request.user, institution_id, "change")
    data = form_data(institution, InstitutionForm, payload.dict(exclude_unset=True))
    return _save(request, institution, data)
