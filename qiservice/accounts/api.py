from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from qiservice.api.common import filter_queryset
from qiservice.api.pagination import CappedPages
from qiservice.core.audit_views import AuditLogFilterSet
from qiservice.core.masking import mask_changes
from qiservice.core.models import AuditLog
from qiservice.core.visibility import get_scope

from .models import District

router = Router()


class MeOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]
    district_ids: list[int]
    institution_ids: list[int]
    enterprise_ids: list[int]
    specialist_id: int | None


@router.get("/me", response=MeOut, tags=["账户"])
def me(request):
    scope = get_scope(request.user)
    return {
        "id": request.user.pk,
        "username": request.user.username,
        "name": request.user.display_name,
        "roles": sorted(scope.roles),
        "district_ids": sorted(scope.district_ids),
        "institution_ids": sorted(scope.institution_ids),
        "enterprise_ids": sorted(scope.enterprise_ids),
        "specialist_id": scope.specialist_id,
    }


class DistrictOut(Schema):
    id: int
    name: str
    code: str


@router.get("/districts", response=list[DistrictOut], tags=["账户"])
def districts(request):
    return list(District.objects.restrict(request.user))


class AuditLogOut(Schema):
    id: int
    event_type: str
    created_at: datetime
    actor: int | None = Field(alias="actor_id")
    actor_repr: str
    ip_address: str | None
    target_type: str | None
    target_id: str
    target_repr: str
    changes: dict[str, Any]
    extra: dict[str, Any]

    @staticmethod
    def resolve_target_type(obj):
        return obj.target_type.model if obj.target_type_id else None

    @staticmethod
    def resolve_changes(obj, context):
        """Phone numbers and e-mail addresses in full for the admin only (R6.2)."""
        request = (context or {}).get("request")
        full = get_scope(getattr(request, "user", None)).is_agency_admin
        return obj.changes if full else mask_changes(obj.changes)


class AuditLogFilters(Schema):
    event_type: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None


@router.get("/audit-log", response=list[AuditLogOut], tags=["审计日志"])
@paginate(CappedPages, page_size=50, max_page_size=500)
def audit_log(request, filters: Query[AuditLogFilters]):
    if not get_scope(request.user).sees_everything:
        raise PermissionDenied("只有管理机构管理员和审计人员可以查看审计日志。")
    qs = AuditLog.objects.visible_to_user(request.user).select_related("target_type")
    return filter_queryset(AuditLogFilterSet, filters, qs, request)
