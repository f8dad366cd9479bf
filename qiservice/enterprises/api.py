from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from qiservice.api.common import ApiValidationError, Error, filter_queryset, form_data, form_errors, get_scoped
from qiservice.api.pagination import CappedPages
from qiservice.core import audit
from qiservice.core.masking import annotate_contact, api_shown
from qiservice.core.models import AuditEvent

from . import workflow
from .filtersets import EnterpriseFilterSet
from .forms import EnterpriseForm
from .models import Enterprise
from .views import may_create_enterprise

router = Router(tags=["服务对象"])


class ContactOut(Schema):
    name: str
    position: str
    phone: str
    email: str

    # Masked for those who may not read them in full (R6.2, qiservice/core/masking.py).
    @staticmethod
    def resolve_phone(obj, context):
        return api_shown(context, obj, obj.phone)

    @staticmethod
    def resolve_email(obj, context):
        return api_shown(context, obj, obj.email)


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    district: int = Field(alias="district_id")
    district_name: str = Field(alias="district.name")
    address: str
    industry: str
    size: str
    main_products: str
    rd_capability: str
    production_capacity: str
    quality_management: str
    contact_name: str
    contact_phone: str
    contact_email: str
    profile_verified_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_contact_phone(obj, context):
        return api_shown(context, obj, obj.contact_phone)

    @staticmethod
    def resolve_contact_email(obj, context):
        return api_shown(context, obj, obj.contact_email)


class EnterpriseDetailOut(EnterpriseOut):
    contacts: list[ContactOut]

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.all())


class EnterpriseIn(Schema):
    name: str | None = None
    credit_code: str | None = None
    district: int | None = None
    address: str | None = None
    industry: str | None = None
    size: str | None = None
    main_products: str | None = None
    rd_capability: str | None = None
    production_capacity: str | None = None
    quality_management: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None


class EnterpriseFilters(Schema):
    q: str | None = Field(None, description="按名称、信用代码、主要产品搜索")
    district: int | None = None
    industry: str | None = None
    size: str | None = None
    verified: bool | None = None


class AuditedPages(CappedPages):
    """Pages of enterprises: each page served is one audit record naming the enterprises it
    showed, since the API's list carries their profiles (R6.2)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        shown = [e.pk for e in page[self.items_attribute]]
        audit.record(AuditEvent.VIEWED, None, actor=request.user, extra={"via": "api", "enterprises": shown})
        return page


@router.get("", response=list[EnterpriseOut], description="每次读取一页记入审计日志（记录所列服务对象）。")
@paginate(AuditedPages, page_size=25, max_page_size=200)
def list_enterprises(request, filters: Query[EnterpriseFilters]):
    qs = Enterprise.objects.restrict(request.user).select_related("district").order_by("name", "pk")
    qs = annotate_contact(qs, request.user)  # whether each row's contacts are shown in full
    qs = filter_queryset(EnterpriseFilterSet, filters, qs, request)
    if filters.q:
        from django.db.models import Q

        qs = qs.filter(
            Q(name__icontains=filters.q) | Q(credit_code__icontains=filters.q) | Q(main_products__icontains=filters.q)
        )
    return qs


@router.get("/{int:enterprise_id}", response={200: EnterpriseDetailOut, 404: Error})
def get_enterprise(request, enterprise_id: int):
    enterprise = get_scoped(Enterprise, request.user, enterprise_id)
    audit.record(AuditEvent.VIEWED, enterprise, actor=request.user, extra={"via": "api"})
    return enterprise


def _save(request, enterprise, payload):
    form = EnterpriseForm(data=payload, instance=enterprise, user=request.user)
    if not form.is_valid():
        raise ApiValidationError(form_errors(form))
    with transaction.atomic():
        return workflow.save_enterprise(form.save(commit=False), by=request.user)


@router.post("", response={201: EnterpriseDetailOut, 403: Error, 422: Error})
def create_enterprise(request, payload: EnterpriseIn):
    if not may_create_enterprise(request.user):
        raise PermissionDenied("您无权登记服务对象。")
    return Status(201, _save(request, Enterprise(), payload.dict(exclude_none=True)))


@router.patch("/{int:enterprise_id}", response={200: EnterpriseDetailOut, 404: Error, 422: Error})
def update_enterprise(request, enterprise_id: int, payload: EnterpriseIn):
    enterprise = get_scoped(Enterprise, request.user, enterprise_id, "change")
    data = form_data(enterprise, EnterpriseForm, payload.dict(exclude_unset=True))
    return _save(request, enterprise, data)
