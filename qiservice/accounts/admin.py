from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from qiservice.core.admin import AuditedModelAdmin

from .models import Agency, ApiToken, District, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("district", "institution", "enterprise")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ("username", "name", "phone", "is_active", "last_login")
    search_fields = ("username", "name", "phone")
    fieldsets = (*BaseUserAdmin.fieldsets, (_("平台信息"), {"fields": ("name", "phone")}))


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ("name", "short_name", "phone")


@admin.register(District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "agency")
    search_fields = ("name",)
    filter_horizontal = ("neighbours",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "key_prefix", "created_at", "last_used_at")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False
